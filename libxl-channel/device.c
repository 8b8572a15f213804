/*
 * device.c - attaching and detaching a channel: the xenstore layout of
 * SPEC §3 written in one transaction, and the closing handshake.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define XENBUS_INITIALISING "1"
#define XENBUS_CLOSING      "5"
#define XENBUS_CLOSED       6UL
#define CONSOLE_PROTOCOL    "vt100"

char *xch__fe_path(uint32_t domid, int devid)
{
    return xch__sprintf("/local/domain/%u/device/console/%d", domid, devid);
}

char *xch__be_path(uint32_t backend_domid, uint32_t domid, int devid)
{
    return xch__sprintf("/local/domain/%u/backend/console/%u/%d", backend_domid,
                        domid, devid);
}

char *xch__lx_path(uint32_t domid, int devid)
{
    return xch__sprintf("/libxl/%u/device/console/%d", domid, devid);
}

char *xch__fe_dir(uint32_t domid)
{
    return xch__sprintf("/local/domain/%u/device/console", domid);
}

char *xch__lx_dir(uint32_t domid)
{
    return xch__sprintf("/libxl/%u/device/console", domid);
}

char *xch__be_dir(uint32_t backend_domid, uint32_t domid)
{
    return xch__sprintf("/local/domain/%u/backend/console/%u", backend_domid,
                        domid);
}

int xch__backend_path_domid(const char *be, uint32_t *domid)
{
    unsigned long b;
    char *digits, *end;
    int rc;

    if (strncmp(be, "/local/domain/", 14) != 0)
        return XCH_ERROR_INVAL;
    end = strchr(be + 14, '/');
    if (!end)
        return XCH_ERROR_INVAL;
    digits = strndup(be + 14, (size_t)(end - (be + 14)));
    if (!digits)
        return XCH_ERROR_NOMEM;
    rc = xch__parse_ulong(digits, XCH__DOMID_MAX, &b);
    free(digits);
    if (!rc)
        *domid = (uint32_t)b;
    return rc;
}

/* ---- attach ------------------------------------------------------------ */

struct add_state {
    uint32_t domid, backend;
    const xch_device_channel *chan;
    uint64_t limit;         /* 0: the backend's default */
    const char *socket_dir; /* for a socket without a path */
    char *path;             /* the path made for it, valid after commit */
    int devid;              /* chosen, valid after commit */
    char *errmsg;
};

/* One bit per possible devid. */
struct devid_set {
    unsigned char bits[XCH_CHANNEL_DEVID_MAX / 8 + 1];
};

static void devid_set_add(struct devid_set *set, unsigned long devid)
{
    set->bits[devid / 8] |= (unsigned char)(1U << (devid % 8));
}

static bool devid_set_has(const struct devid_set *set, int devid)
{
    return set->bits[devid / 8] & (1U << (devid % 8));
}

/* Adds the numeric children of dir to set (others are not devices). */
static int devids_of_dir(xch_ctx *ctx, xs_transaction_t t, const char *dir,
                         struct devid_set *set)
{
    char **list = NULL;
    unsigned num, i;
    unsigned long devid;
    int rc;

    if (!dir)
        return XCH_ERROR_NOMEM;
    rc = xch__xs_directory(ctx, t, dir, &list, &num);
    if (rc)
        goto out;
    for (i = 0; i < num; i++)
        if (!xch__parse_ulong(list[i], XCH_CHANNEL_DEVID_MAX, &devid))
            devid_set_add(set, devid);

out:
    free(list);
    return rc;
}

/* Every devid in use for domid's consoles: in FE, LX and at backend. */
static int devids_taken(xch_ctx *ctx, xs_transaction_t t, uint32_t domid,
                        uint32_t backend, struct devid_set *set)
{
    char *fe_dir = NULL, *lx_dir = NULL, *be_dir = NULL;
    int rc;

    memset(set, 0, sizeof(*set));
    fe_dir = xch__fe_dir(domid);
    lx_dir = xch__lx_dir(domid);
    be_dir = xch__be_dir(backend, domid);
    rc = devids_of_dir(ctx, t, fe_dir, set);
    if (!rc)
        rc = devids_of_dir(ctx, t, lx_dir, set);
    if (!rc)
        rc = devids_of_dir(ctx, t, be_dir, set);
    free(be_dir);
    free(lx_dir);
    free(fe_dir);
    return rc;
}

/* Sets *devid_r to the devid of domid's channel called name, or -1. Reads
 * LX only: the guest can change nothing there. */
static int devid_of_name(xch_ctx *ctx, xs_transaction_t t, uint32_t domid,
                         const char *name, int *devid_r)
{
    char **list = NULL;
    char *dir = NULL, *path = NULL, *val = NULL;
    unsigned num = 0, i;
    unsigned long devid;
    int rc;

    *devid_r = -1;
    dir = xch__lx_dir(domid);
    if (!dir) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    rc = xch__xs_directory(ctx, t, dir, &list, &num);
    if (rc)
        goto out;
    for (i = 0; i < num; i++) {
        if (xch__parse_ulong(list[i], XCH_CHANNEL_DEVID_MAX, &devid))
            continue;
        free(path);
        free(val);
        val = NULL;
        path = xch__sprintf("%s/%s/name", dir, list[i]);
        if (!path) {
            rc = XCH_ERROR_NOMEM;
            goto out;
        }
        rc = xch__xs_read(ctx, t, path, &val);
        if (rc)
            goto out;
        if (val && !strcmp(val, name)) {
            *devid_r = (int)devid;
            break;
        }
    }

out:
    free(val);
    free(path);
    free(list);
    free(dir);
    return rc;
}

struct kv {
    const char *key;
    const char *val;
};

/* Writes each pair under dir (a NULL value: a key this device does not
 * have); with perms, also sets each key's perms. */
static int write_keys(xch_ctx *ctx, xs_transaction_t t, const char *dir,
                      const struct kv *kvs, size_t num,
                      struct xs_permissions *perms, unsigned num_perms)
{
    char *path = NULL;
    size_t i;
    int rc = 0;

    for (i = 0; i < num && !rc; i++) {
        if (!kvs[i].val)
            continue; /* a key this device does not have */
        free(path);
        path = xch__sprintf("%s/%s", dir, kvs[i].key);
        if (!path)
            rc = XCH_ERROR_NOMEM;
        else if (perms)
            rc =
                xch__xs_write_perms(ctx, t, path, kvs[i].val, perms, num_perms);
        else
            rc = xch__xs_write(ctx, t, path, kvs[i].val);
    }
    free(path);
    return rc;
}

/* Another devid in set that ends in the same digit as devid, or -1: a
 * Linux guest numbers its consoles by that digit, so two such channels
 * would share one console (and a devid ending in 0 is never probed). */
static int devid_same_digit(const struct devid_set *set, int devid)
{
    int other;

    for (other = devid % 10; other <= XCH_CHANNEL_DEVID_MAX; other += 10)
        if (other && other != devid && devid_set_has(set, other))
            return other;
    return -1;
}

/* Picks the devid: the requested one if free, else the lowest free one
 * whose last digit no other console has. */
static int add_choose_devid(struct add_state *st, const struct devid_set *set)
{
    int devid = st->chan->devid, other;

    if (devid != -1) {
        if (devid_set_has(set, devid))
            return xch__error(&st->errmsg, XCH_ERROR_DEVICE_EXISTS,
                              "domain %u already has a console with devid "
                              "%d",
                              st->domid, devid);
        if (devid % 10 == 0)
            return xch__error(&st->errmsg, XCH_ERROR_INVAL,
                              "devid %d ends in 0: a Linux guest numbers its "
                              "consoles by the devid's last digit and never "
                              "probes one ending in 0 (the primary console)",
                              devid);
        other = devid_same_digit(set, devid);
        if (other != -1)
            return xch__error(&st->errmsg, XCH_ERROR_DEVICE_EXISTS,
                              "devid %d ends in the same digit as devid %d "
                              "of domain %u: a Linux guest numbers its "
                              "consoles by that digit and would run both on "
                              "one console",
                              devid, other, st->domid);
        st->devid = devid;
        return 0;
    }
    for (devid = 1; devid <= XCH_DEVID_AUTO_MAX; devid++) {
        if (!devid_set_has(set, devid) && devid_same_digit(set, devid) == -1) {
            st->devid = devid;
            return 0;
        }
    }
    return xch__error(&st->errmsg, XCH_ERROR_NO_FREE_DEVID,
                      "domain %u has no free devid in 1-%d (a Linux guest "
                      "has 7 channel consoles); give devid=N explicitly",
                      st->domid, XCH_DEVID_AUTO_MAX);
}

/* The socket path: the channel's, or the one made for it. */
static const char *add_path(const struct add_state *st)
{
    return st->chan->u.socket.path ? st->chan->u.socket.path : st->path;
}

/* A socket channel without a path gets <socket_dir>/<domain name>/<name>:
 * one directory per domain, the channel's name as the file, so no two
 * channels can meet. Read in the transaction, as the name could change. */
static int add_make_path(xch_ctx *ctx, xs_transaction_t t, struct add_state *st)
{
    char *name_path = NULL, *domname = NULL, *why = NULL;
    int rc;

    free(st->path);
    st->path = NULL;
    if (st->chan->connection != XCH_CHANNEL_CONNECTION_SOCKET ||
        st->chan->u.socket.path)
        return 0;
    name_path = xch__sprintf("/local/domain/%u/name", st->domid);
    if (!name_path) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    rc = xch__xs_read(ctx, t, name_path, &domname);
    if (rc)
        goto out;
    if (!domname || !*domname || strchr(domname, '/') ||
        !strcmp(domname, ".") || !strcmp(domname, "..")) {
        rc = xch__error(&st->errmsg, XCH_ERROR_INVAL,
                        "domain %u has no name that can be a directory: "
                        "give the socket channel '%s' a path=",
                        st->domid, st->chan->name);
        goto out;
    }
    st->path =
        xch__sprintf("%s/%s/%s", st->socket_dir, domname, st->chan->name);
    if (!st->path) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    rc = xch_channel_path_check(st->path, &why);
    if (rc)
        rc = xch__error(&st->errmsg, rc,
                        "the socket path made for channel '%s' will not do "
                        "(%s): give it a path=",
                        st->chan->name, why ? why : "out of memory");
out:
    free(why);
    free(domname);
    free(name_path);
    return rc;
}

/* Writes FE, BE and LX of channel st->devid. */
static int add_write(xch_ctx *ctx, xs_transaction_t t, struct add_state *st)
{
    const xch_device_channel *chan = st->chan;
    bool socket = chan->connection == XCH_CHANNEL_CONNECTION_SOCKET;
    char *fe = NULL, *be = NULL, *lx = NULL;
    char *domid_s = NULL, *backend_s = NULL, *output = NULL, *limit = NULL;
    struct xs_permissions fe_perms[2] = {
        {.id = st->domid, .perms = XS_PERM_NONE},
        {.id = st->backend, .perms = XS_PERM_READ}};
    /* Read-only FE keys and BE: the backend owns them, the guest reads. */
    struct xs_permissions be_perms[2] = {
        {.id = st->backend, .perms = XS_PERM_NONE},
        {.id = st->domid, .perms = XS_PERM_READ}};
    struct xs_permissions lx_perms[1] = {{.id = 0, .perms = XS_PERM_NONE}};
    int rc;

    fe = xch__fe_path(st->domid, st->devid);
    be = xch__be_path(st->backend, st->domid, st->devid);
    lx = xch__lx_path(st->domid, st->devid);
    domid_s = xch__sprintf("%u", st->domid);
    backend_s = xch__sprintf("%u", st->backend);
    limit = xch__sprintf(
        "%llu",
        (unsigned long long)(st->limit ? st->limit : XCH_CHANNEL_LIMIT));
    output = socket ? xch__sprintf("chardev:libxl-channel%d", st->devid)
                    : strdup("pty");
    if (!fe || !be || !lx || !domid_s || !backend_s || !limit || !output) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }

    {
        const struct kv fe_keys[] = {{"backend", be},
                                     {"backend-id", backend_s},
                                     {"state", XENBUS_INITIALISING},
                                     {"protocol", CONSOLE_PROTOCOL}};
        const struct kv fe_ro_keys[] = {{"name", chan->name},
                                        {"limit", limit},
                                        {"type", XCH_CHANNEL_TYPE},
                                        {"output", output},
                                        {"tty", ""}};
        /* BE keys; LX gets the same plus `backend`. */
        const struct kv be_keys[] = {{"frontend", fe},
                                     {"frontend-id", domid_s},
                                     {"online", "1"},
                                     {"state", XENBUS_INITIALISING},
                                     {"protocol", CONSOLE_PROTOCOL},
                                     {"name", chan->name},
                                     {"connection", socket ? "socket" : "pty"},
                                     {"limit", st->limit ? limit : NULL},
                                     {"path", socket ? add_path(st) : NULL}};
        size_t num_be = ARRAY_SIZE(be_keys);
        const struct kv lx_keys[] = {{"backend", be}};

        rc = xch__xs_mkdir_perms(ctx, t, fe, fe_perms, ARRAY_SIZE(fe_perms));
        if (!rc)
            rc = write_keys(ctx, t, fe, fe_keys, ARRAY_SIZE(fe_keys), NULL, 0);
        if (!rc)
            rc = write_keys(ctx, t, fe, fe_ro_keys, ARRAY_SIZE(fe_ro_keys),
                            be_perms, ARRAY_SIZE(be_perms));
        if (!rc)
            rc =
                xch__xs_mkdir_perms(ctx, t, be, be_perms, ARRAY_SIZE(be_perms));
        if (!rc)
            rc = write_keys(ctx, t, be, be_keys, num_be, NULL, 0);
        if (!rc)
            rc =
                xch__xs_mkdir_perms(ctx, t, lx, lx_perms, ARRAY_SIZE(lx_perms));
        if (!rc)
            rc = write_keys(ctx, t, lx, lx_keys, ARRAY_SIZE(lx_keys), NULL, 0);
        if (!rc)
            rc = write_keys(ctx, t, lx, be_keys, num_be, NULL, 0);
    }

out:
    free(output);
    free(limit);
    free(backend_s);
    free(domid_s);
    free(lx);
    free(be);
    free(fe);
    return rc;
}

static int add_body(xch_ctx *ctx, xs_transaction_t t, void *arg)
{
    struct add_state *st = arg;
    struct devid_set taken;
    bool exists;
    int other, rc;

    st->devid = -1;
    rc = xch__domain_exists(ctx, t, st->domid, &exists);
    if (rc)
        return rc;
    if (!exists)
        return xch__error(&st->errmsg, XCH_ERROR_DOMAIN_NOTFOUND,
                          "domain %u does not exist", st->domid);
    rc = xch__domain_exists(ctx, t, st->backend, &exists);
    if (rc)
        return rc;
    if (!exists)
        return xch__error(&st->errmsg, XCH_ERROR_DOMAIN_NOTFOUND,
                          "backend domain %u does not exist", st->backend);

    rc = devid_of_name(ctx, t, st->domid, st->chan->name, &other);
    if (rc)
        return rc;
    if (other != -1)
        return xch__error(&st->errmsg, XCH_ERROR_DEVICE_EXISTS,
                          "domain %u already has a channel named '%s' "
                          "(devid %d)",
                          st->domid, st->chan->name, other);

    rc = devids_taken(ctx, t, st->domid, st->backend, &taken);
    if (rc)
        return rc;
    rc = add_choose_devid(st, &taken);
    if (!rc)
        rc = add_make_path(ctx, t, st);
    if (rc)
        return rc;
    return add_write(ctx, t, st);
}

/* Checks what the spec parser checks too: the library may be called with
 * a channel built by other code. */
static int add_check(const xch_device_channel *chan,
                     const xch_channel_options *opts, char **errmsg)
{
    char *why = NULL;
    int rc;

    if (!chan->name)
        return xch__error(errmsg, XCH_ERROR_INVAL, "the channel has no name");
    rc = xch_channel_name_check(chan->name, &why);
    if (rc)
        goto out;
    switch (chan->connection) {
    case XCH_CHANNEL_CONNECTION_PTY:
        break;
    case XCH_CHANNEL_CONNECTION_SOCKET:
        if (chan->u.socket.path)
            rc = xch_channel_path_check(chan->u.socket.path, &why);
        else if (opts && opts->socket_dir) /* one is made under it */
            rc = xch_channel_path_check(opts->socket_dir, &why);
        break;
    default:
        rc = xch__error(errmsg, XCH_ERROR_INVAL,
                        "channel '%s' has no connection (pty or socket)",
                        chan->name);
        goto out;
    }
    if (rc)
        goto out;
    if (chan->devid != -1 &&
        (chan->devid < 1 || chan->devid > XCH_CHANNEL_DEVID_MAX))
        rc = xch__error(errmsg, XCH_ERROR_INVAL,
                        "devid %d is out of range 1-%d (0 is the primary "
                        "console)",
                        chan->devid, XCH_CHANNEL_DEVID_MAX);
    else if (opts && opts->limit &&
             (opts->limit < XCH_CHANNEL_LIMIT_MIN ||
              opts->limit > XCH_CHANNEL_LIMIT_MAX))
        rc = xch__error(errmsg, XCH_ERROR_INVAL,
                        "channel '%s': limit %llu is out of range %lu-%lu",
                        chan->name, (unsigned long long)opts->limit,
                        XCH_CHANNEL_LIMIT_MIN, XCH_CHANNEL_LIMIT_MAX);

out:
    if (why)
        xch__error(errmsg, rc, "%s", why);
    free(why);
    return rc;
}

/* The backend domain: named, numbered, or this domain. */
static int add_backend(xch_ctx *ctx, const xch_device_channel *chan,
                       uint32_t *backend, char **errmsg)
{
    int rc;

    if (chan->backend_domname) {
        rc = xch_domain_resolve(ctx, chan->backend_domname, backend);
        if (rc == XCH_ERROR_DOMAIN_NOTFOUND)
            return xch__error(errmsg, rc, "backend domain '%s' not found",
                              chan->backend_domname);
        if (rc == XCH_ERROR_INVAL)
            return xch__error(errmsg, rc,
                              "backend domain name '%s' is ambiguous",
                              chan->backend_domname);
        if (rc == XCH_ERROR_XENSTORE)
            return xch__error(errmsg, rc,
                              "looking up backend domain '%s': xenstore: %s",
                              chan->backend_domname, strerror(ctx->xs_errno));
        return rc;
    }
    if (chan->backend_domid) {
        *backend = chan->backend_domid;
        return 0;
    }
    rc = xch_domain_self(ctx, backend);
    if (rc)
        return xch__error(errmsg, rc,
                          "cannot read this domain's id from xenstore");
    return 0;
}

int xch_channel_add(xch_ctx *ctx, uint32_t domid, xch_device_channel *chan,
                    const xch_channel_options *opts, char **errmsg)
{
    struct add_state st = {.domid = domid, .chan = chan, .devid = -1};
    int rc;

    if (errmsg)
        *errmsg = NULL;
    rc = add_check(chan, opts, errmsg);
    if (rc)
        goto out;
    st.limit = opts ? opts->limit : 0;
    st.socket_dir =
        opts && opts->socket_dir ? opts->socket_dir : XCH_SOCKET_DIR_DEFAULT;
    rc = add_backend(ctx, chan, &st.backend, errmsg);
    if (rc)
        goto out;
    rc = xch__txn_run(ctx, add_body, &st);
    if (rc) {
        if (st.errmsg && errmsg) {
            *errmsg = st.errmsg;
            st.errmsg = NULL;
        } else if (rc == XCH_ERROR_XENSTORE) {
            xch__error(errmsg, rc, "xenstore: %s", strerror(ctx->xs_errno));
        }
        goto out;
    }
    chan->devid = st.devid;
    chan->backend_domid = st.backend;
    if (st.path) {
        chan->u.socket.path = st.path;
        st.path = NULL;
    }

out:
    free(st.path);
    free(st.errmsg);
    return rc;
}

/* ---- detach ------------------------------------------------------------ */

int xch_channel_find_by_name(xch_ctx *ctx, uint32_t domid, const char *name,
                             int *devid)
{
    int found, rc;

    rc = devid_of_name(ctx, XBT_NULL, domid, name, &found);
    if (rc)
        return rc;
    if (found == -1)
        return XCH_ERROR_NOTFOUND;
    *devid = found;
    return 0;
}

struct remove_state {
    uint32_t domid, backend;
    int devid;
    const char *fe, *be, *lx;
};

/* Reads BE and, while it exists and is not closed, asks for Closing. */
static int closing_body(xch_ctx *ctx, xs_transaction_t t, void *arg)
{
    const struct remove_state *st = arg;
    char *dir = NULL, *state = NULL, *path = NULL;
    unsigned long v;
    int rc;

    rc = xch__xs_read(ctx, t, st->be, &dir);
    if (rc || !dir)
        goto out;
    path = xch__sprintf("%s/state", st->be);
    if (!path) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    rc = xch__xs_read(ctx, t, path, &state);
    if (rc)
        goto out;
    if (state && !xch__parse_ulong(state, 8, &v) && v == XENBUS_CLOSED)
        goto out;
    rc = xch__xs_write(ctx, t, path, XENBUS_CLOSING);
    if (rc)
        goto out;
    free(path);
    path = xch__sprintf("%s/online", st->be);
    rc = path ? xch__xs_write(ctx, t, path, "0") : XCH_ERROR_NOMEM;

out:
    free(path);
    free(state);
    free(dir);
    return rc;
}

/*
 * Waits until path (BE state) reads 6 or disappears, or timeout_ms pass.
 * A connection of its own, so that the watch sees no one else's events.
 */
static int wait_closed(const char *path, unsigned timeout_ms, bool *closed_r)
{
    struct xs_handle *xsh = NULL;
    long long deadline = (long long)xch__now_ms() + timeout_ms;
    char token[64];
    char **event;
    char *val = NULL;
    bool watching = false;
    unsigned len;
    unsigned long v;
    struct pollfd pfd;
    int r, rc;

    *closed_r = false;
    xsh = xs_open(0);
    if (!xsh) {
        rc = XCH_ERROR_XENSTORE;
        goto out;
    }
    pfd.fd = xs_fileno(xsh);
    pfd.events = POLLIN;
    snprintf(token, sizeof(token), "xch-detach-%p", (void *)&token);
    if (pfd.fd < 0 || !xs_watch(xsh, path, token)) {
        rc = XCH_ERROR_XENSTORE;
        goto out;
    }
    watching = true;
    for (;;) {
        long long left;

        /* Drain first, then read: a change after the read wakes poll. */
        while ((event = xs_check_watch(xsh)))
            free(event);
        free(val);
        val = xs_read(xsh, XBT_NULL, path, &len);
        if (!val && errno != ENOENT) {
            rc = XCH_ERROR_XENSTORE;
            goto out;
        }
        if (!val || (!xch__parse_ulong(val, 8, &v) && v == XENBUS_CLOSED)) {
            *closed_r = true;
            rc = 0;
            goto out;
        }
        left = deadline - (long long)xch__now_ms();
        if (left <= 0) {
            rc = 0;
            goto out;
        }
        r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno != EINTR) {
            rc = XCH_ERROR_FAIL;
            goto out;
        }
    }

out:
    free(val);
    if (watching)
        xs_unwatch(xsh, path, token);
    if (xsh)
        xs_close(xsh);
    return rc;
}

/* Removes the directories above path that are empty, up to stop. */
static int rm_empty_parents(xch_ctx *ctx, xs_transaction_t t, const char *path,
                            const char *stop)
{
    char *dir = NULL, *val = NULL, **list = NULL;
    char *slash;
    unsigned num;
    int rc = 0;

    dir = strdup(path);
    if (!dir)
        return XCH_ERROR_NOMEM;
    while ((slash = strrchr(dir, '/')) && slash != dir) {
        *slash = '\0';
        if (!strcmp(dir, stop))
            break;
        free(list);
        free(val);
        list = NULL;
        rc = xch__xs_read(ctx, t, dir, &val);
        if (rc || !val || *val)
            break;
        rc = xch__xs_directory(ctx, t, dir, &list, &num);
        if (rc || num)
            break;
        rc = xch__xs_rm(ctx, t, dir);
        if (rc)
            break;
    }
    free(list);
    free(val);
    free(dir);
    return rc;
}

static int remove_body(xch_ctx *ctx, xs_transaction_t t, void *arg)
{
    const struct remove_state *st = arg;
    char *fe_stop = NULL, *be_stop = NULL, *lx_stop = NULL;
    int rc;

    fe_stop = xch__sprintf("/local/domain/%u/device", st->domid);
    be_stop = xch__sprintf("/local/domain/%u", st->backend);
    lx_stop = xch__sprintf("/libxl/%u", st->domid);
    if (!fe_stop || !be_stop || !lx_stop) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    rc = xch__xs_rm(ctx, t, st->fe);
    if (!rc)
        rc = xch__xs_rm(ctx, t, st->be);
    if (!rc)
        rc = xch__xs_rm(ctx, t, st->lx);
    if (!rc)
        rc = rm_empty_parents(ctx, t, st->fe, fe_stop);
    if (!rc)
        rc = rm_empty_parents(ctx, t, st->be, be_stop);
    if (!rc)
        rc = rm_empty_parents(ctx, t, st->lx, lx_stop);

out:
    free(lx_stop);
    free(be_stop);
    free(fe_stop);
    return rc;
}

/* The backend domain from LX's trusted `backend`, which must be the path
 * this library would write. */
static int remove_lookup(xch_ctx *ctx, struct remove_state *st, char **errmsg)
{
    char *name_path = NULL, *be_path = NULL, *name = NULL, *be = NULL;
    char *expected = NULL;
    int rc;

    name_path = xch__sprintf("%s/name", st->lx);
    be_path = xch__sprintf("%s/backend", st->lx);
    if (!name_path || !be_path) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    rc = xch__xs_read(ctx, XBT_NULL, name_path, &name);
    if (!rc)
        rc = xch__xs_read(ctx, XBT_NULL, be_path, &be);
    if (rc)
        goto out;
    if (!name || !be) {
        rc = xch__error(errmsg, XCH_ERROR_NOTFOUND,
                        "domain %u has no channel with devid %d", st->domid,
                        st->devid);
        goto out;
    }
    if (xch__backend_path_domid(be, &st->backend)) {
        rc = XCH_ERROR_FAIL;
        goto bad_path;
    }
    expected = xch__be_path(st->backend, st->domid, st->devid);
    if (!expected) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    if (strcmp(expected, be) != 0) {
        rc = XCH_ERROR_FAIL;
        goto bad_path;
    }
    rc = 0;
    goto out;

bad_path:
    xch__error(errmsg, rc, "%s says the backend is '%s', expected %s", be_path,
               be, expected ? expected : "/local/domain/B/...");
out:
    free(expected);
    free(be);
    free(name);
    free(be_path);
    free(name_path);
    return rc;
}

int xch_channel_remove(xch_ctx *ctx, uint32_t domid, int devid, bool force,
                       unsigned timeout_ms, char **errmsg)
{
    struct remove_state st = {.domid = domid, .devid = devid};
    char *fe = NULL, *be = NULL, *lx = NULL, *state_path = NULL;
    bool closed = true;
    int rc;

    if (errmsg)
        *errmsg = NULL;
    if (devid < 1 || devid > XCH_CHANNEL_DEVID_MAX) {
        if (devid == 0)
            rc = xch__error(errmsg, XCH_ERROR_NOTFOUND,
                            "devid 0 is the primary console, not a channel");
        else
            rc = xch__error(errmsg, XCH_ERROR_NOTFOUND,
                            "devid %d is out of range 1-%d", devid,
                            XCH_CHANNEL_DEVID_MAX);
        goto out;
    }
    lx = xch__lx_path(domid, devid);
    fe = xch__fe_path(domid, devid);
    if (!lx || !fe) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    st.lx = lx;
    st.fe = fe;
    rc = remove_lookup(ctx, &st, errmsg);
    if (rc)
        goto out;
    be = xch__be_path(st.backend, domid, devid);
    state_path = xch__sprintf("%s/state", be ? be : "");
    if (!be || !state_path) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    st.be = be;

    if (!force) {
        rc = xch__txn_run(ctx, closing_body, &st);
        if (rc)
            goto xs_error;
        rc = wait_closed(state_path, timeout_ms, &closed);
        if (rc)
            goto xs_error;
    }
    rc = xch__txn_run(ctx, remove_body, &st);
    if (rc)
        goto xs_error;
    if (!closed)
        xch__error(errmsg, 0,
                   "the backend did not close channel %d of domain %u "
                   "within %u ms; removed it anyway",
                   devid, domid, timeout_ms);
    goto out;

xs_error:
    if (rc == XCH_ERROR_XENSTORE)
        xch__error(errmsg, rc, "xenstore: %s", strerror(ctx->xs_errno));
out:
    free(state_path);
    free(be);
    free(fe);
    free(lx);
    return rc;
}
