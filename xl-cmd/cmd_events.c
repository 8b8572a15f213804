/*
 * cmd_events.c - `xl-channel events [--json] [DOMAIN...]`: the lifecycle
 * events of channels, as xenchanneld reports them, one line each, until
 * the daemon stops or the command is interrupted.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "xl-channel.h"

const char cmd_events_usage[] =
    "Usage: xl-channel events [-h|--help] [--json] [DOMAIN...]\n"
    "\n"
    "Prints what happens to the channels of each DOMAIN (name or id; every\n"
    "domain by default) as the local xenchanneld reports it, one line per\n"
    "event, until interrupted. The stream starts with one `state` line per\n"
    "channel, its state at that moment, so that nothing between a listing\n"
    "and the stream is missed. Then: attached, guest_connected,\n"
    "guest_closed, client_connected, client_disconnected, host_failed,\n"
    "host_listening, dropping, drained, error, detached.\n"
    "\n"
    "A line: TIME DOMID/DEVID NAME EVENT, then the guest side and host end\n"
    "of a state line, the bytes dropped so far of dropping and drained,\n"
    "and what an event has to say (why a host end failed, the error).\n"
    "\n"
    "Options:\n"
    "      --json  one JSON object (a channel_event) per line instead\n"
    "  -h, --help  show this help and exit\n"
    "\n"
    "Exit status: 1 when xenchanneld cannot be reached or ends the stream\n"
    "(it stopped), 2 usage error.\n";

static void print_text(const xch_channel_event *ev)
{
    printf("%s %" PRIu32 "/%d %s %s", ev->time ? ev->time : "-",
           ev->frontend_id, ev->devid, ev->name ? ev->name : "-",
           xch_channel_event_kind_to_string(ev->event));
    if (ev->event == XCH_CHANNEL_EVENT_KIND_STATE)
        printf(" guest=%s host=%s", xch_guest_side_to_string(ev->guest_side),
               xch_host_end_to_string(ev->host_end));
    if (ev->event == XCH_CHANNEL_EVENT_KIND_DROPPING ||
        ev->event == XCH_CHANNEL_EVENT_KIND_DRAINED)
        printf(" dropped=%" PRIu64, ev->bytes_dropped);
    if (ev->detail)
        printf(": %s", ev->detail);
    printf("\n");
}

static int print_json(const xch_channel_event *ev)
{
    yajl_gen gen = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;
    int rc = XCH_ERROR_NOMEM;

    if (gen && xch_channel_event_gen_json(gen, ev) == yajl_gen_status_ok &&
        yajl_gen_get_buf(gen, &buf, &len) == yajl_gen_status_ok) {
        printf("%.*s\n", (int)len, (const char *)buf);
        rc = 0;
    }
    if (gen)
        yajl_gen_free(gen);
    return rc;
}

static bool wanted(const uint32_t *domids, int ndom, uint32_t domid)
{
    int i;

    for (i = 0; i < ndom; i++)
        if (domids[i] == domid)
            return true;
    return ndom == 0;
}

int cmd_events(const struct xlch_command *cmd, int argc, char **argv)
{
    enum { OPT_JSON = 256 };
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {NULL, 0, NULL, 0}};
    xch_event_stream *stream = NULL;
    xch_channel_event ev;
    uint32_t *domids = NULL;
    xch_ctx *ctx = NULL;
    char *errmsg = NULL;
    bool json = false;
    int ndom, i, opt, rc;

    xch_channel_event_init(&ev);
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return command_help(cmd);
        case OPT_JSON:
            json = true;
            break;
        default:
            return command_usage_error(cmd, NULL);
        }
    }
    ndom = argc - optind;
    if (ndom) {
        domids = calloc((size_t)ndom, sizeof(*domids));
        if (!domids || toolstack_open(NULL, &ctx, NULL)) {
            rc = XLCH_EXIT_FAILURE;
            goto out;
        }
        for (i = 0; i < ndom; i++) {
            if (toolstack_resolve(ctx, argv[optind + i], &domids[i])) {
                rc = XLCH_EXIT_FAILURE;
                goto out;
            }
        }
    }
    /* One domain: the daemon filters; several: we do. */
    if (xch_event_stream_open(ndom == 1 ? (long)domids[0] : -1, &stream,
                              &errmsg)) {
        error_msg("cannot follow the events: %s",
                  errmsg ? errmsg : "out of memory");
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    for (;;) {
        if (xch_event_stream_next(stream, &ev, &errmsg)) {
            error_msg("%s", errmsg ? errmsg : "out of memory");
            rc = XLCH_EXIT_FAILURE;
            goto out;
        }
        if (!wanted(domids, ndom, ev.frontend_id))
            continue;
        if (json) {
            if (print_json(&ev)) {
                error_msg("cannot generate JSON");
                rc = XLCH_EXIT_FAILURE;
                goto out;
            }
        } else {
            print_text(&ev);
        }
        if (fflush(stdout)) {
            rc = XLCH_EXIT_FAILURE; /* nobody reads us any more */
            goto out;
        }
    }

out:
    xch_channel_event_dispose(&ev);
    xch_event_stream_close(stream);
    xch_ctx_free(ctx);
    free(domids);
    free(errmsg);
    return rc;
}
