/*
 * cmd_attach.c - `xl-channel attach DOMAIN SPEC`: hot-plug one channel,
 * and what the commands that talk to xenstore share (opening the context
 * and naming a domain).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl-channel.h"

const char cmd_attach_usage[] =
    "Usage: xl-channel attach [-h|--help] [--socket-dir DIR] DOMAIN SPEC\n"
    "\n"
    "Attaches one channel to the running domain DOMAIN (name or id). SPEC\n"
    "is one entry of an xl.cfg channel= list, for example\n"
    "  \"name=org.qemu.guest_agent.0,connection=socket,path=/run/ga.sock\"\n"
    "with the keys\n"
    "  name=NAME              mandatory: 1-64 of A-Z a-z 0-9 . _ - : + @\n"
    "  connection=pty|socket  mandatory\n"
    "  path=PATH              socket path (refused for pty); a socket\n"
    "                         without one gets DIR/DOMAIN-NAME/NAME\n"
    "  backend=DOMAIN         backend domain name or id (default: this "
    "domain)\n"
    "  devid=N                device id 1-9999 (default: the lowest free "
    "in 1-7)\n"
    "  limit=SIZE             output kept for a lagging client, e.g. 64K, "
    "16M\n"
    "                         (default: the backend daemon's)\n"
    "The frontend, backend and toolstack entries are written to xenstore\n"
    "in one transaction: on error nothing is written.\n"
    "\n"
    "Options:\n"
    "      --socket-dir DIR  where socket channels without a path get one\n"
    "                        (default " XCH_SOCKET_DIR_DEFAULT ")\n"
    "  -h, --help            show this help and exit\n"
    "\n"
    "Exit status: 0 attached, 1 error (bad SPEC, no such domain, name or\n"
    "devid taken, no free devid, xenstore failure), 2 usage error.\n";

int toolstack_resolve(xch_ctx *ctx, const char *domain, uint32_t *domid_r)
{
    int rc;

    rc = xch_domain_resolve(ctx, domain, domid_r);
    if (rc == XCH_ERROR_DOMAIN_NOTFOUND)
        error_msg("domain '%s' does not exist", domain);
    else if (rc == XCH_ERROR_INVAL)
        error_msg("domain name '%s' is ambiguous: use the domain id", domain);
    else if (rc)
        error_msg("cannot look up domain '%s': %s", domain,
                  xch_error_to_string(rc));
    return rc;
}

int toolstack_open(const char *domain, xch_ctx **ctx_r, uint32_t *domid_r)
{
    int rc;

    *ctx_r = NULL;
    rc = xch_ctx_open(ctx_r);
    if (rc) {
        error_msg("cannot connect to xenstore (%s)",
                  rc == XCH_ERROR_NOMEM ? "out of memory"
                                        : "is xenstored running?");
        return rc;
    }
    if (!domain)
        return 0;
    rc = toolstack_resolve(*ctx_r, domain, domid_r);
    if (rc) {
        xch_ctx_free(*ctx_r);
        *ctx_r = NULL;
    }
    return rc;
}

void toolstack_warn_devid(const xch_device_channel *chan)
{
    if (chan->devid > XCH_DEVID_AUTO_MAX)
        fprintf(stderr,
                "xl-channel: warning: devid %d: a Linux guest gives hvc "
                "ttys to seven channels only (hvc1 to hvc7)\n",
                chan->devid);
}

void toolstack_debug_retries(const xch_ctx *ctx, const char *what)
{
    const char *debug = getenv("XENCHANNEL_DEBUG");

    if (debug && *debug && strcmp(debug, "0") != 0)
        fprintf(stderr, "xl-channel: debug: %s: %lu transaction retries\n",
                what, xch_ctx_txn_retries(ctx));
}

int toolstack_socket_dir(const struct xlch_command *cmd, const char *dir)
{
    char *why = NULL;
    int rc = XLCH_EXIT_OK;

    if (xch_channel_path_check(dir, &why))
        rc = command_usage_error(cmd, "--socket-dir %s: %s", dir,
                                 why ? why : "out of memory");
    free(why);
    return rc;
}

int cmd_attach(const struct xlch_command *cmd, int argc, char **argv)
{
    enum { OPT_SOCKET_DIR = 256 };
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"socket-dir", required_argument, NULL, OPT_SOCKET_DIR},
        {NULL, 0, NULL, 0}};
    const char *socket_dir = NULL;
    xch_device_channel chan;
    xch_channel_options chan_opts;
    xch_ctx *ctx = NULL;
    char *errmsg = NULL, *quoted = NULL;
    const char *domain, *spec;
    uint32_t domid = 0;
    int opt, r, rc;

    xch_device_channel_init(&chan);
    xch_channel_options_init(&chan_opts);
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return command_help(cmd);
        case OPT_SOCKET_DIR:
            socket_dir = optarg;
            break;
        default:
            return command_usage_error(cmd, NULL);
        }
    }
    if (socket_dir && toolstack_socket_dir(cmd, socket_dir))
        return XLCH_EXIT_USAGE;
    if (argc - optind != 2)
        return command_usage_error(cmd, "expects DOMAIN and SPEC");
    domain = argv[optind];
    spec = argv[optind + 1];

    if (xch_channel_spec_parse(spec, &chan, &chan_opts, &errmsg)) {
        quoted = xch_channel_quote(spec);
        error_msg("invalid channel spec %s: %s", quoted ? quoted : spec,
                  errmsg ? errmsg : "out of memory");
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    if (toolstack_open(domain, &ctx, &domid)) {
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    toolstack_warn_devid(&chan);
    if (socket_dir && !(chan_opts.socket_dir = strdup(socket_dir))) {
        error_msg("out of memory");
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    r = xch_channel_add(ctx, domid, &chan, &chan_opts, &errmsg);
    if (r) {
        error_msg("cannot attach channel '%s' to domain '%s': %s", chan.name,
                  domain, errmsg ? errmsg : xch_error_to_string(r));
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    /* Kept for the domain's next builds, or not attached at all. */
    {
        xlch_spec kept = {chan, chan_opts};

        if (keep_add(ctx, domid, &kept, 1)) {
            xch_channel_remove(ctx, domid, chan.devid, true, 0, NULL);
            error_msg("channel '%s' not attached to domain '%s'", chan.name,
                      domain);
            rc = XLCH_EXIT_FAILURE;
            goto out;
        }
    }
    toolstack_debug_retries(ctx, "attach");
    rc = XLCH_EXIT_OK;

out:
    xch_ctx_free(ctx);
    free(quoted);
    free(errmsg);
    xch_device_channel_dispose(&chan);
    xch_channel_options_dispose(&chan_opts);
    return rc;
}
