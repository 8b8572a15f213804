/*
 * cmd_apply.c - `xl-channel apply DOMAIN FILE`: attach every channel of an
 * xl.cfg to a running domain, all or none.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl-channel.h"

const char cmd_apply_usage[] =
    "Usage: xl-channel apply [-h|--help] [--socket-dir DIR] DOMAIN FILE\n"
    "\n"
    "Attaches every channel of the channel= list of the xl domain\n"
    "configuration FILE to the running domain DOMAIN (name or id). Every\n"
    "entry is checked before anything is attached. If attaching one of\n"
    "them fails (a name or devid the domain already uses, no free devid,\n"
    "...), the channels this run attached are removed again and nothing\n"
    "is left half-done.\n"
    "\n"
    "Options:\n"
    "      --socket-dir DIR  where socket channels without a path get one,\n"
    "                        DIR/DOMAIN-NAME/NAME (default\n"
    "                        " XCH_SOCKET_DIR_DEFAULT ")\n"
    "  -h, --help            show this help and exit\n"
    "\n"
    "Exit status: 0 all attached, 1 error (bad FILE, no such domain, an\n"
    "attach failed), 2 usage error.\n";

/* Removes the first num channels, attached by this run, at once: their
 * backend has had no time to connect them. */
static void rollback(xch_ctx *ctx, uint32_t domid, const xlch_spec *specs,
                     int num)
{
    char *errmsg = NULL;
    int i;

    for (i = num - 1; i >= 0; i--) {
        int r = xch_channel_remove(ctx, domid, specs[i].chan.devid, true, 0,
                                   &errmsg);

        if (r)
            error_msg("cannot remove channel '%s' (devid %d) again: %s",
                      specs[i].chan.name, specs[i].chan.devid,
                      errmsg ? errmsg : xch_error_to_string(r));
        free(errmsg);
        errmsg = NULL;
    }
}

int cmd_apply(const struct xlch_command *cmd, int argc, char **argv)
{
    enum { OPT_SOCKET_DIR = 256 };
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"socket-dir", required_argument, NULL, OPT_SOCKET_DIR},
        {NULL, 0, NULL, 0}};
    const char *socket_dir = NULL;
    xlch_spec *specs = NULL;
    xch_ctx *ctx = NULL;
    char *errmsg = NULL;
    const char *domain, *file;
    uint32_t domid = 0;
    int num = 0, i, opt, r, rc;

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
        return command_usage_error(cmd, "expects DOMAIN and FILE");
    domain = argv[optind];
    file = argv[optind + 1];

    if (config_read_channels(file, &specs, &num, &errmsg)) {
        error_msg("%s", errmsg ? errmsg : "out of memory");
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    if (toolstack_open(domain, &ctx, &domid)) {
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    for (i = 0; i < num; i++) {
        if (socket_dir && !specs[i].opts.socket_dir &&
            !(specs[i].opts.socket_dir = strdup(socket_dir))) {
            error_msg("out of memory");
            rollback(ctx, domid, specs, i);
            rc = XLCH_EXIT_FAILURE;
            goto out;
        }
        toolstack_warn_devid(&specs[i].chan);
        r = xch_channel_add(ctx, domid, &specs[i].chan, &specs[i].opts,
                            &errmsg);
        if (!r)
            continue;
        error_msg("%s: channel[%d] '%s': cannot attach to domain '%s': %s",
                  file, i, specs[i].chan.name, domain,
                  errmsg ? errmsg : xch_error_to_string(r));
        rollback(ctx, domid, specs, i);
        if (i)
            error_msg("removed the %d channel%s attached before it; "
                      "nothing was changed",
                      i, i == 1 ? "" : "s");
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    /* Kept for the domain's next builds, or not attached at all. */
    if (keep_add(ctx, domid, specs, num)) {
        rollback(ctx, domid, specs, num);
        error_msg("%s: none of its channels was attached", file);
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    toolstack_debug_retries(ctx, "apply");
    rc = XLCH_EXIT_OK;

out:
    xch_ctx_free(ctx);
    specs_free(specs, num);
    free(errmsg);
    return rc;
}
