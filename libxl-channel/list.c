/*
 * list.c - what a guest's channels are and how they are doing. Names,
 * connection, socket path and backend come from LX, which only dom0 can
 * write; the frontend's state, ring-ref and port (the guest's) and tty
 * (the backend's) are parsed strictly and only shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* What upstream shows for a pty whose FE tty is missing. */
#define NO_SUCH_PATH "/NO-SUCH-PATH"

/* One channel as read from xenstore; strings malloc'd. */
struct chan_raw {
    int devid;
    char *name, *connection, *path, *backend;
    uint32_t backend_id;
    int fe_state, evtch, rref;
    char *tty;
    int be_state;
    char *client_connected, *error, *bytes_dropped, *host_end, *host_error;
};

static void chan_raw_dispose(struct chan_raw *c)
{
    free(c->name);
    free(c->connection);
    free(c->path);
    free(c->backend);
    free(c->tty);
    free(c->client_connected);
    free(c->error);
    free(c->bytes_dropped);
    free(c->host_end);
    free(c->host_error);
}

static void chan_raws_free(struct chan_raw *list, int num)
{
    int i;

    for (i = 0; i < num; i++)
        chan_raw_dispose(&list[i]);
    free(list);
}

static int devid_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

/* Reads dir/key into *val_r (NULL when missing). */
static int read_key(xch_ctx *ctx, const char *dir, const char *key,
                    char **val_r)
{
    char *path;
    int rc;

    *val_r = NULL;
    path = xch__sprintf("%s/%s", dir, key);
    if (!path)
        return XCH_ERROR_NOMEM;
    rc = xch__xs_read(ctx, XBT_NULL, path, val_r);
    free(path);
    return rc;
}

/* An untrusted number: -1 unless plain decimal and at most max. */
static int read_int(xch_ctx *ctx, const char *dir, const char *key,
                    unsigned long max, int *out)
{
    unsigned long v;
    char *val = NULL;
    int rc;

    *out = -1;
    rc = read_key(ctx, dir, key, &val);
    if (!rc && val && !xch__parse_ulong(val, max, &v))
        *out = (int)v;
    free(val);
    return rc;
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

/* A message the backend wrote, replaced if it could mislead a terminal. */
static int printable_or_replaced(char **msg)
{
    if (!*msg || printable(*msg))
        return 0;
    free(*msg);
    *msg = strdup("(unprintable error message)");
    return *msg ? 0 : XCH_ERROR_NOMEM;
}

/* Reads channel c->devid of domid (LX, FE, and with be_keys BE). */
static int read_channel(xch_ctx *ctx, uint32_t domid, bool be_keys,
                        struct chan_raw *c)
{
    char *lx = NULL, *fe = NULL;
    int rc;

    lx = xch__lx_path(domid, c->devid);
    fe = xch__fe_path(domid, c->devid);
    if (!lx || !fe) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    rc = read_key(ctx, lx, "name", &c->name);
    if (!rc)
        rc = read_key(ctx, lx, "connection", &c->connection);
    if (!rc)
        rc = read_key(ctx, lx, "path", &c->path);
    if (!rc)
        rc = read_key(ctx, lx, "backend", &c->backend);
    if (!rc)
        rc = read_int(ctx, fe, "state", 8, &c->fe_state);
    if (!rc)
        rc = read_int(ctx, fe, "port", 0x7fffffff, &c->evtch);
    if (!rc)
        rc = read_int(ctx, fe, "ring-ref", 0x7fffffff, &c->rref);
    if (!rc)
        rc = read_key(ctx, fe, "tty", &c->tty);
    if (rc)
        goto out;
    if (c->tty && !printable(c->tty)) {
        free(c->tty);
        c->tty = NULL;
    }
    c->be_state = -1;
    if (!c->backend || xch__backend_path_domid(c->backend, &c->backend_id))
        goto out;
    if (!be_keys)
        goto out;
    rc = read_int(ctx, c->backend, "state", 8, &c->be_state);
    if (!rc)
        rc = read_key(ctx, c->backend, XCH_BE_STATUS_CLIENT_CONNECTED,
                      &c->client_connected);
    if (!rc)
        rc = read_key(ctx, c->backend, XCH_BE_STATUS_ERROR, &c->error);
    if (!rc)
        rc = read_key(ctx, c->backend, XCH_BE_STATUS_BYTES_DROPPED,
                      &c->bytes_dropped);
    if (!rc)
        rc = read_key(ctx, c->backend, XCH_BE_STATUS_HOST_END, &c->host_end);
    if (!rc)
        rc =
            read_key(ctx, c->backend, XCH_BE_STATUS_HOST_ERROR, &c->host_error);
    if (!rc)
        rc = printable_or_replaced(&c->error);
    if (!rc)
        rc = printable_or_replaced(&c->host_error);

out:
    free(fe);
    free(lx);
    return rc;
}

/* Every channel of domid (LX entries with a name), by ascending devid. */
static int read_channels(xch_ctx *ctx, uint32_t domid, bool be_keys,
                         struct chan_raw **list_r, int *num_r)
{
    struct chan_raw *list = NULL;
    char **dir = NULL;
    char *lx_dir = NULL;
    int *devids = NULL;
    unsigned n = 0, i = 0;
    unsigned long devid;
    int num = 0, k, rc;

    *list_r = NULL;
    *num_r = 0;
    lx_dir = xch__lx_dir(domid);
    if (!lx_dir) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    rc = xch__xs_directory(ctx, XBT_NULL, lx_dir, &dir, &n);
    if (rc || !n)
        goto out;
    devids = calloc(n, sizeof(*devids));
    list = calloc(n, sizeof(*list));
    if (!devids || !list) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    for (i = 0; i < n; i++)
        if (!xch__parse_ulong(dir[i], XCH_CHANNEL_DEVID_MAX, &devid))
            devids[num++] = (int)devid;
    qsort(devids, (size_t)num, sizeof(*devids), devid_cmp);

    /* Consoles without a name (the primary one) are not channels. */
    for (k = 0, i = 0; k < num; k++) {
        struct chan_raw *c = &list[i];

        c->devid = devids[k];
        rc = read_channel(ctx, domid, be_keys, c);
        if (rc) {
            chan_raw_dispose(c);
            memset(c, 0, sizeof(*c));
            goto out;
        }
        if (!c->name) {
            chan_raw_dispose(c);
            memset(c, 0, sizeof(*c));
            continue;
        }
        i++;
    }
    *list_r = list;
    *num_r = (int)i;
    list = NULL;
    i = 0;

out:
    if (list)
        chan_raws_free(list, (int)i);
    free(devids);
    free(dir);
    free(lx_dir);
    return rc;
}

static xch_channel_connection connection_of(const char *s)
{
    if (s && !strcmp(s, "pty"))
        return XCH_CHANNEL_CONNECTION_PTY;
    if (s && !strcmp(s, "socket"))
        return XCH_CHANNEL_CONNECTION_SOCKET;
    return XCH_CHANNEL_CONNECTION_UNKNOWN;
}

/* Moves *s into the result (NULL stays NULL). */
static char *take(char **s)
{
    char *v = *s;

    *s = NULL;
    return v;
}

static int pty_path(struct chan_raw *c, char **out)
{
    *out = c->tty ? take(&c->tty) : strdup(NO_SUCH_PATH);
    return *out ? 0 : XCH_ERROR_NOMEM;
}

int xch_channel_list(xch_ctx *ctx, uint32_t domid, xch_channelinfo **infos,
                     int *num)
{
    struct chan_raw *raw = NULL;
    xch_channelinfo *out = NULL;
    int n = 0, nout = 0, i, rc;

    *infos = NULL;
    *num = 0;
    rc = read_channels(ctx, domid, false, &raw, &n);
    if (rc || !n)
        goto out;
    out = calloc((size_t)n, sizeof(*out));
    if (!out) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        xch_channelinfo *info = &out[i];
        struct chan_raw *c = &raw[i];

        xch_channelinfo_init(info);
        xch_channelinfo_init_connection(info, connection_of(c->connection));
        info->backend = take(&c->backend);
        info->backend_id = c->backend_id;
        info->frontend = xch__fe_path(domid, c->devid);
        info->frontend_id = domid;
        info->devid = c->devid;
        info->state = c->fe_state;
        info->evtch = c->evtch;
        info->rref = c->rref;
        if (!info->frontend)
            rc = XCH_ERROR_NOMEM;
        if (info->connection == XCH_CHANNEL_CONNECTION_PTY && !rc)
            rc = pty_path(c, &info->u.pty.path);
        nout = i + 1;
        if (rc)
            goto out;
    }
    *infos = out;
    *num = n;
    out = NULL;

out:
    if (out) {
        for (i = 0; i < nout; i++)
            xch_channelinfo_dispose(&out[i]);
        free(out);
    }
    chan_raws_free(raw, n);
    return rc;
}

static xch_xenbus_state xenbus_state_of(int v)
{
    return v >= 0 && v <= XCH_XENBUS_STATE_RECONFIGURED
               ? (xch_xenbus_state)v
               : XCH_XENBUS_STATE_UNKNOWN;
}

static int status_of(uint32_t domid, struct chan_raw *c, xch_channel_status *st)
{
    unsigned long dropped;

    xch_channel_status_init(st);
    xch_channel_status_init_connection(st, connection_of(c->connection));
    st->backend = take(&c->backend);
    st->backend_id = c->backend_id;
    st->frontend = xch__fe_path(domid, c->devid);
    st->frontend_id = domid;
    st->devid = c->devid;
    st->state = c->fe_state;
    st->evtch = c->evtch;
    st->rref = c->rref;
    st->name = take(&c->name);
    st->backend_state = xenbus_state_of(c->be_state);
    st->frontend_state = xenbus_state_of(c->fe_state);
    st->client_connected =
        c->client_connected && !strcmp(c->client_connected, "1");
    if (c->bytes_dropped &&
        !xch__parse_ulong(c->bytes_dropped, (unsigned long)-1, &dropped))
        st->bytes_dropped = dropped;
    st->error = take(&c->error);
    if (c->host_end)
        xch_host_end_from_string(c->host_end, &st->host_end);
    st->host_error = take(&c->host_error);
    if (!st->frontend)
        return XCH_ERROR_NOMEM;
    switch (st->connection) {
    case XCH_CHANNEL_CONNECTION_PTY:
        return pty_path(c, &st->u.pty.path);
    case XCH_CHANNEL_CONNECTION_SOCKET:
        st->u.socket.path = take(&c->path);
        return 0;
    default:
        return 0;
    }
}

int xch_channel_status_list(xch_ctx *ctx, uint32_t domid,
                            xch_channel_status **list, int *num)
{
    struct chan_raw *raw = NULL;
    xch_channel_status *out = NULL;
    int n = 0, nout = 0, i, rc;

    *list = NULL;
    *num = 0;
    rc = read_channels(ctx, domid, true, &raw, &n);
    if (rc || !n)
        goto out;
    out = calloc((size_t)n, sizeof(*out));
    if (!out) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        rc = status_of(domid, &raw[i], &out[i]);
        nout = i + 1;
        if (rc)
            goto out;
    }
    *list = out;
    *num = n;
    out = NULL;

out:
    if (out) {
        for (i = 0; i < nout; i++)
            xch_channel_status_dispose(&out[i]);
        free(out);
    }
    chan_raws_free(raw, n);
    return rc;
}
