/*
 * cmd_list.c - `xl-channel list [DOMAIN...]`: xl's channel-list table,
 * byte for byte, but with each row read from its own device; a long table
 * and JSON with names, states and the daemon's counters. Without DOMAIN,
 * every domain that has channels.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>
#include <yajl/yajl_gen.h>

#include "xl-channel.h"

const char cmd_list_usage[] =
    "Usage: xl-channel list [-h|--help] [-l|--long | --json] [DOMAIN...]\n"
    "\n"
    "Lists the channels of each DOMAIN (name or id), or of every domain\n"
    "that has channels, by domain id. Without options the table is the one\n"
    "`xl channel-list` prints (Idx counts from 0 in each domain; evt-ch,\n"
    "ring-ref and state are the frontend's, -1 when missing or invalid;\n"
    "the table does not name the domain: -l and --json do).\n"
    "\n"
    "Options:\n"
    "  -l, --long  one row per channel with its domain, devid, name,\n"
    "              connection, backend domain, backend and frontend state,\n"
    "              the host end (listening, client, failed or closed),\n"
    "              bytes to and from the guest, bytes dropped, ring errors\n"
    "              and the socket or pty path; an error the backend\n"
    "              reports, and why a host end failed, follow on lines of\n"
    "              their own. Counters come from xenchanneld's control\n"
    "              socket and show '-' where no daemon serves it (a\n"
    "              backend in another domain); a daemon that does not\n"
    "              answer is an error.\n"
    "      --json  a JSON array of channel_status objects (libxl's\n"
    "              channelinfo fields plus ours; fields at their default\n"
    "              are left out)\n"
    "  -h, --help  show this help and exit\n"
    "\n"
    "Exit status: 0 listed, 1 error (no such domain, xenstore failure,\n"
    "xenchanneld not answering), 2 usage error.\n";

enum list_format { FORMAT_XL, FORMAT_LONG, FORMAT_JSON };

/* xl's table: the same printf formats as xl's main_channellist. */
static int print_xl(xch_ctx *ctx, const char *domain, uint32_t domid)
{
    xch_channelinfo *infos = NULL;
    int num = 0, i, rc;

    rc = xch_channel_list(ctx, domid, &infos, &num);
    if (rc) {
        error_msg("cannot list the channels of domain '%s': %s", domain,
                  xch_error_to_string(rc));
        return rc;
    }
    for (i = 0; i < num; i++) {
        const xch_channelinfo *info = &infos[i];
        const char *conn = xch_channel_connection_to_string(info->connection);

        printf("%-3d %-2d ", i, (int)info->backend_id);
        printf("%-5d ", info->state);
        printf("%-6d %-8d ", info->evtch, info->rref);
        printf("%-10s ", conn ? conn : "unknown");
        if (info->connection == XCH_CHANNEL_CONNECTION_PTY)
            printf("%-30s ", info->u.pty.path);
        printf("\n");
        xch_channelinfo_dispose(&infos[i]);
    }
    free(infos);
    return 0;
}

/* A counter, or "-" when the daemon did not report the channel. */
static const char *counter(char *buf, size_t len, bool counted, uint64_t v)
{
    if (!counted)
        return "-";
    snprintf(buf, len, "%" PRIu64, v);
    return buf;
}

static void print_long_row(const xch_channel_status *st, bool counted)
{
    char to[24], from[24], dropped[24], errors[24];
    const char *conn = xch_channel_connection_to_string(st->connection);
    const char *path = NULL;

    if (st->connection == XCH_CHANNEL_CONNECTION_PTY)
        path = st->u.pty.path;
    else if (st->connection == XCH_CHANNEL_CONNECTION_SOCKET)
        path = st->u.socket.path;
    /* The dropped count is also in xenstore: known without the daemon. */
    snprintf(dropped, sizeof(dropped), "%" PRIu64, st->bytes_dropped);
    printf("%-5u %-5d %-24s %-6s %-3u %-12s %-12s %-9s %12s %12s %10s %8s "
           "%s\n",
           st->frontend_id, st->devid, st->name, conn ? conn : "unknown",
           st->backend_id, xch_xenbus_state_to_string(st->backend_state),
           xch_xenbus_state_to_string(st->frontend_state),
           xch_host_end_to_string(st->host_end),
           counter(to, sizeof(to), counted, st->bytes_to_guest),
           counter(from, sizeof(from), counted, st->bytes_from_guest), dropped,
           counter(errors, sizeof(errors), counted, st->ring_errors),
           path && *path ? path : "-");
    if (st->error)
        printf("      error: %s\n", st->error);
    if (st->host_error)
        printf("      host end failed: %s\n", st->host_error);
}

/* Status of domid's channels with the daemon's counters merged in; on
 * error prints it. *ctl_rc_r: whether the daemon answered (0; also 0
 * when no daemon serves the control socket: counters stay unknown), or
 * why not; the list is good either way. */
static int status_of_domain(xch_ctx *ctx, const char *domain, uint32_t domid,
                            xch_channel_status **list_r, bool **counted_r,
                            int *num_r, int *ctl_rc_r)
{
    char *errmsg = NULL;
    int rc;

    *ctl_rc_r = 0;
    *counted_r = NULL;
    rc = xch_channel_status_list(ctx, domid, list_r, num_r);
    if (rc) {
        error_msg("cannot list the channels of domain '%s': %s", domain,
                  xch_error_to_string(rc));
        return rc;
    }
    if (!*num_r)
        return 0;
    *counted_r = calloc((size_t)*num_r, sizeof(**counted_r));
    if (!*counted_r) {
        error_msg("out of memory");
        return XCH_ERROR_NOMEM;
    }
    /* No daemon (or one in another domain): the counters stay unknown.
     * A daemon that is there but does not answer is an error. */
    rc = xch_control_query_status(domid, *list_r, *num_r, *counted_r, &errmsg);
    if (rc && rc != XCH_ERROR_NOTFOUND) {
        error_msg("counters of domain '%s' unavailable: %s", domain,
                  errmsg ? errmsg : xch_error_to_string(rc));
        *ctl_rc_r = rc;
    }
    free(errmsg);
    return 0;
}

static void status_free(xch_channel_status *list, bool *counted, int num)
{
    int i;

    for (i = 0; i < num; i++)
        xch_channel_status_dispose(&list[i]);
    free(list);
    free(counted);
}

static int print_long(xch_ctx *ctx, const char *domain, uint32_t domid)
{
    xch_channel_status *list = NULL;
    bool *counted = NULL;
    int num = 0, i, rc, ctl_rc;

    rc = status_of_domain(ctx, domain, domid, &list, &counted, &num, &ctl_rc);
    for (i = 0; !rc && i < num; i++)
        print_long_row(&list[i], counted[i]);
    status_free(list, counted, num);
    return rc ? rc : ctl_rc;
}

static int gen_json(xch_ctx *ctx, yajl_gen gen, const char *domain,
                    uint32_t domid)
{
    xch_channel_status *list = NULL;
    bool *counted = NULL;
    int num = 0, i, rc, ctl_rc;

    rc = status_of_domain(ctx, domain, domid, &list, &counted, &num, &ctl_rc);
    for (i = 0; !rc && i < num; i++) {
        if (xch_channel_status_gen_json(gen, &list[i]) != yajl_gen_status_ok) {
            error_msg("cannot generate JSON");
            rc = XCH_ERROR_FAIL;
        }
    }
    status_free(list, counted, num);
    return rc ? rc : ctl_rc;
}

/* A domain listed, and how messages name it: as given, or by its id. */
struct listed_domain {
    uint32_t domid;
    const char *label;
    char id[12];
};

static int domid_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct listed_domain *)a)->domid;
    uint32_t y = ((const struct listed_domain *)b)->domid;

    return x < y ? -1 : x > y;
}

/* A domain id as xenstore spells it: decimal, no sign, no leading zero. */
static bool parse_domid(const char *s, uint32_t *domid)
{
    unsigned long v = 0;
    const char *p;

    if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 5)
        return false;
    for (p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    *domid = (uint32_t)v;
    return true;
}

/*
 * Every domain that may have channels, by ascending id: the domains with
 * a toolstack directory /libxl/D (where channels are listed from) that
 * still exist (/local/domain/D). Domains without channels list nothing.
 * Prints its errors.
 */
static int all_domains(struct listed_domain **doms_r, int *num_r)
{
    struct listed_domain *doms = NULL;
    struct xs_handle *xsh;
    char **dir = NULL;
    unsigned n = 0, i;
    int num = 0, rc = 0;

    *doms_r = NULL;
    *num_r = 0;
    xsh = xs_open(0);
    if (!xsh) {
        error_msg("cannot connect to xenstore (is xenstored running?)");
        return XCH_ERROR_XENSTORE;
    }
    dir = xs_directory(xsh, XBT_NULL, "/libxl", &n);
    if (!dir) {
        if (errno != ENOENT) {
            error_msg("cannot read /libxl from xenstore: %s", strerror(errno));
            rc = XCH_ERROR_XENSTORE;
        }
        goto out;
    }
    doms = calloc(n ? n : 1, sizeof(*doms));
    if (!doms) {
        error_msg("out of memory");
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        char path[32];
        unsigned len;
        void *v;

        if (!parse_domid(dir[i], &doms[num].domid))
            continue;
        snprintf(path, sizeof(path), "/local/domain/%s", dir[i]);
        v = xs_read(xsh, XBT_NULL, path, &len);
        if (!v) {
            if (errno == ENOENT)
                continue; /* gone, or never there */
            error_msg("cannot read %s from xenstore: %s", path,
                      strerror(errno));
            rc = XCH_ERROR_XENSTORE;
            goto out;
        }
        free(v);
        num++;
    }
    qsort(doms, (size_t)num, sizeof(*doms), domid_cmp);
    for (i = 0; i < (unsigned)num; i++) {
        snprintf(doms[i].id, sizeof(doms[i].id), "%u", doms[i].domid);
        doms[i].label = doms[i].id;
    }
    *doms_r = doms;
    *num_r = num;
    doms = NULL;
out:
    free(doms);
    free(dir);
    xs_close(xsh);
    return rc;
}

/* The domains named on the command line, looked up, in their order. */
static int named_domains(xch_ctx *ctx, char **names, int num,
                         struct listed_domain **doms_r)
{
    struct listed_domain *doms;
    int i;

    *doms_r = NULL;
    doms = calloc((size_t)num, sizeof(*doms));
    if (!doms) {
        error_msg("out of memory");
        return XCH_ERROR_NOMEM;
    }
    for (i = 0; i < num; i++) {
        doms[i].label = names[i];
        if (toolstack_resolve(ctx, names[i], &doms[i].domid)) {
            free(doms);
            return XCH_ERROR_FAIL;
        }
    }
    *doms_r = doms;
    return 0;
}

int cmd_list(const struct xlch_command *cmd, int argc, char **argv)
{
    enum { OPT_JSON = 256 };
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {"long", no_argument, NULL, 'l'},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {NULL, 0, NULL, 0}};
    enum list_format format = FORMAT_XL;
    struct listed_domain *doms = NULL;
    xch_ctx *ctx = NULL;
    yajl_gen gen = NULL;
    const unsigned char *buf;
    size_t len;
    int ndom, i, opt, rc;

    while ((opt = getopt_long(argc, argv, "hl", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return command_help(cmd);
        case 'l':
        case OPT_JSON:
            if (format != FORMAT_XL)
                return command_usage_error(cmd, "--long and --json exclude "
                                                "each other");
            format = opt == 'l' ? FORMAT_LONG : FORMAT_JSON;
            break;
        default:
            return command_usage_error(cmd, NULL);
        }
    }
    ndom = argc - optind;

    /* Every domain is looked up before anything is printed. */
    if (toolstack_open(NULL, &ctx, NULL)) {
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    if (ndom ? named_domains(ctx, argv + optind, ndom, &doms)
             : all_domains(&doms, &ndom)) {
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }

    rc = 0;
    switch (format) {
    case FORMAT_XL:
        printf("%-3s %-2s %-5s %-6s %8s %-10s %-30s\n", "Idx", "BE", "state",
               "evt-ch", "ring-ref", "connection", "");
        for (i = 0; !rc && i < ndom; i++)
            rc = print_xl(ctx, doms[i].label, doms[i].domid);
        break;
    case FORMAT_LONG:
        printf("%-5s %-5s %-24s %-6s %-3s %-12s %-12s %-9s %12s %12s %10s "
               "%8s %s\n",
               "Dom", "Devid", "Name", "Conn", "BE", "BE-state", "FE-state",
               "Host-end", "To-guest", "From-guest", "Dropped", "RingErrs",
               "Path");
        for (i = 0; i < ndom; i++) {
            int r = print_long(ctx, doms[i].label, doms[i].domid);

            rc = rc ? rc : r;
        }
        break;
    case FORMAT_JSON:
        gen = yajl_gen_alloc(NULL);
        if (!gen) {
            error_msg("out of memory");
            rc = XCH_ERROR_NOMEM;
            break;
        }
        yajl_gen_config(gen, yajl_gen_beautify, 1);
        if (yajl_gen_array_open(gen) != yajl_gen_status_ok)
            rc = XCH_ERROR_FAIL;
        for (i = 0; !rc && i < ndom; i++)
            rc = gen_json(ctx, gen, doms[i].label, doms[i].domid);
        if (!rc && (yajl_gen_array_close(gen) != yajl_gen_status_ok ||
                    yajl_gen_get_buf(gen, &buf, &len) != yajl_gen_status_ok))
            rc = XCH_ERROR_FAIL;
        if (!rc && fwrite(buf, 1, len, stdout) != len)
            rc = XCH_ERROR_FAIL;
        break;
    }
    if (fflush(stdout)) {
        error_msg("writing the output: %s", strerror(errno));
        rc = XCH_ERROR_FAIL;
    }
    rc = rc ? XLCH_EXIT_FAILURE : XLCH_EXIT_OK;

out:
    if (gen)
        yajl_gen_free(gen);
    xch_ctx_free(ctx);
    free(doms);
    return rc;
}
