/*
 * cmd_detach.c - `xl-channel detach DOMAIN DEVID|NAME`: the closing
 * handshake with the backend, then removal (upstream cannot detach).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl-channel.h"

const char cmd_detach_usage[] =
    "Usage: xl-channel detach [-h|--help] [-f|--force] [-t|--timeout S] "
    "DOMAIN DEVID|NAME\n"
    "\n"
    "Detaches a channel from DOMAIN (name or id), named by its devid (a\n"
    "number) or by its name. The backend is asked to close the channel\n"
    "(backend state Closing) and given S seconds to report Closed; then the\n"
    "frontend, backend and toolstack entries are removed from xenstore in\n"
    "one transaction, also when the backend did not answer in time (a\n"
    "warning says so).\n"
    "\n"
    "Options:\n"
    "  -f, --force        remove at once, without asking the backend\n"
    "  -t, --timeout S    seconds to wait for the backend (default 10;\n"
    "                     fractions allowed)\n"
    "  -h, --help         show this help and exit\n"
    "\n"
    "Exit status: 0 detached, 1 error (no such domain or channel,\n"
    "xenstore failure), 2 usage error.\n";

/* Seconds, 0 to one day, as milliseconds. */
static int parse_timeout(const char *s, unsigned *ms_r)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 86400)
        return -1;
    *ms_r = (unsigned)(v * 1000 + 0.5);
    return 0;
}

int cmd_detach(const struct xlch_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"force", no_argument, NULL, 'f'},
        {"timeout", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0}};
    unsigned timeout_ms = XCH_DETACH_TIMEOUT_MS;
    xch_ctx *ctx = NULL;
    char *errmsg = NULL;
    const char *domain, *which;
    bool force = false;
    uint32_t domid = 0;
    int devid, opt, r, rc;

    while ((opt = getopt_long(argc, argv, "hft:", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return command_help(cmd);
        case 'f':
            force = true;
            break;
        case 't':
            if (parse_timeout(optarg, &timeout_ms))
                return command_usage_error(cmd,
                                           "invalid timeout '%s': expected "
                                           "seconds from 0 to 86400",
                                           optarg);
            break;
        default:
            return command_usage_error(cmd, NULL);
        }
    }
    if (argc - optind != 2)
        return command_usage_error(cmd, "expects DOMAIN and DEVID or NAME");
    domain = argv[optind];
    which = argv[optind + 1];

    if (toolstack_open(domain, &ctx, &domid)) {
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    /* Digits name a devid; anything else a channel name. */
    if (strspn(which, "0123456789") == strlen(which)) {
        if (xch_channel_devid_parse(which, &devid, &errmsg)) {
            error_msg("invalid devid '%s': %s", which,
                      errmsg ? errmsg : "out of memory");
            rc = XLCH_EXIT_FAILURE;
            goto out;
        }
    } else {
        r = xch_channel_find_by_name(ctx, domid, which, &devid);
        if (r) {
            if (r == XCH_ERROR_NOTFOUND)
                error_msg("domain '%s' has no channel named '%s'", domain,
                          which);
            else
                error_msg("cannot look up channel '%s': %s", which,
                          xch_error_to_string(r));
            rc = XLCH_EXIT_FAILURE;
            goto out;
        }
    }
    /* No longer kept first: a domain built meanwhile does not get it. */
    if (keep_remove(ctx, domid, devid)) {
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    r = xch_channel_remove(ctx, domid, devid, force, timeout_ms, &errmsg);
    if (r) {
        error_msg("cannot detach channel %s from domain '%s': %s", which,
                  domain, errmsg ? errmsg : xch_error_to_string(r));
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    if (errmsg)
        fprintf(stderr, "xl-channel: warning: %s\n", errmsg);
    toolstack_debug_retries(ctx, "detach");
    rc = XLCH_EXIT_OK;

out:
    xch_ctx_free(ctx);
    free(errmsg);
    return rc;
}
