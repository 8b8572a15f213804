/*
 * keep.c - the kept set: the channels a domain gets back whenever it is
 * built again (xl reboot, the guest's own reboot, a crash restart,
 * save/restore, migration).
 *
 * The set lives in the domain configuration libxl keeps, as entries of
 * its c_info.xsdata, "xenchannel/<devid>" = the channel's spec; libxl
 * writes xsdata under /local/domain/D whenever it builds the domain, and
 * carries it in save images and migration streams. So the set is
 * /local/domain/D/xenchannel/<devid>: written by dom0 under a directory
 * that is n0 r<D> (the guest reads it, cannot write it), and read here.
 * xl-channel keeps libxl's copy and this one in step (xl-cmd/keep.c);
 * xenchanneld attaches what a new domain's set names (backend/keeper.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

char *xch_channel_spec_format(const xch_device_channel *chan,
                              const xch_channel_options *opts)
{
    const char *conn = xch_channel_connection_to_string(chan->connection);
    char *s, *more;

    if (!chan->name || !conn)
        return NULL;
    s = xch__sprintf("name=%s,connection=%s", chan->name, conn);
    if (s && chan->connection == XCH_CHANNEL_CONNECTION_SOCKET &&
        chan->u.socket.path) {
        more = xch__sprintf("%s,path=%s", s, chan->u.socket.path);
        free(s);
        s = more;
    }
    if (s && chan->backend_domname) {
        more = xch__sprintf("%s,backend=%s", s, chan->backend_domname);
        free(s);
        s = more;
    }
    if (s && opts && opts->limit) {
        more =
            xch__sprintf("%s,limit=%llu", s, (unsigned long long)opts->limit);
        free(s);
        s = more;
    }
    return s;
}

char *xch_keep_dir(uint32_t domid)
{
    return xch__sprintf("/local/domain/%u/" XCH_KEEP_KEY, domid);
}

void xch_kept_free(xch_kept_channel *list, int num)
{
    int i;

    for (i = 0; list && i < num; i++)
        free(list[i].spec);
    free(list);
}

static int kept_cmp(const void *a, const void *b)
{
    const xch_kept_channel *x = a, *y = b;

    return (x->devid > y->devid) - (x->devid < y->devid);
}

/* Whether the set's directory is dom0's (libxl's, or ours): a set that
 * anyone else owns is not trusted. */
static int keep_owner_ok(xch_ctx *ctx, const char *dir, bool *ok_r)
{
    struct xs_permissions *perms;
    unsigned int num = 0;

    *ok_r = false;
    perms = xs_get_permissions(ctx->xsh, XBT_NULL, dir, &num);
    if (!perms) {
        ctx->xs_errno = errno;
        return errno == ENOENT ? 0 : XCH_ERROR_XENSTORE;
    }
    *ok_r = num >= 1 && perms[0].id == 0;
    free(perms);
    return 0;
}

int xch_keep_read(xch_ctx *ctx, uint32_t domid, xch_kept_channel **list_r,
                  int *num_r, char **errmsg)
{
    xch_kept_channel *list = NULL;
    char **keys = NULL;
    char *dir = NULL, *path = NULL;
    unsigned int nkeys = 0, i;
    unsigned long devid;
    bool owner_ok;
    int num = 0, rc;

    *list_r = NULL;
    *num_r = 0;
    if (errmsg)
        *errmsg = NULL;
    dir = xch_keep_dir(domid);
    if (!dir)
        return XCH_ERROR_NOMEM;
    rc = xch__xs_directory(ctx, XBT_NULL, dir, &keys, &nkeys);
    if (rc || !nkeys)
        goto out;
    rc = keep_owner_ok(ctx, dir, &owner_ok);
    if (rc)
        goto out;
    if (!owner_ok) {
        rc = xch__error(errmsg, XCH_ERROR_INVAL,
                        "%s is not owned by domain 0: ignored", dir);
        goto out;
    }
    list = calloc(nkeys, sizeof(*list));
    if (!list) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    for (i = 0; i < nkeys; i++) {
        char *spec = NULL;

        if (xch__parse_ulong(keys[i], XCH_CHANNEL_DEVID_MAX, &devid) ||
            devid == 0)
            continue;
        free(path);
        path = xch__sprintf("%s/%s", dir, keys[i]);
        if (!path) {
            rc = XCH_ERROR_NOMEM;
            goto out;
        }
        rc = xch__xs_read(ctx, XBT_NULL, path, &spec);
        if (rc)
            goto out;
        if (!spec || !*spec) {
            free(spec);
            continue;
        }
        list[num].devid = (int)devid;
        list[num].spec = spec;
        num++;
    }
    qsort(list, (size_t)num, sizeof(*list), kept_cmp);
    *list_r = list;
    *num_r = num;
    list = NULL;
    num = 0;

out:
    xch_kept_free(list, num);
    free(keys);
    free(path);
    free(dir);
    return rc;
}

struct keep_update_state {
    uint32_t domid;
    const int *devids;
    const char *const *specs;
    int n;
};

static int keep_update_body(xch_ctx *ctx, xs_transaction_t t, void *arg)
{
    struct keep_update_state *st = arg;
    char *dir = NULL, *path = NULL;
    char **left = NULL;
    unsigned int nleft = 0;
    bool exists;
    int i, rc;

    rc = xch__domain_exists(ctx, t, st->domid, &exists);
    if (rc)
        return rc;
    if (!exists)
        return XCH_ERROR_DOMAIN_NOTFOUND;
    dir = xch_keep_dir(st->domid);
    if (!dir)
        return XCH_ERROR_NOMEM;
    for (i = 0; i < st->n && !rc; i++) {
        free(path);
        path = xch__sprintf("%s/%d", dir, st->devids[i]);
        if (!path)
            rc = XCH_ERROR_NOMEM;
        else if (st->specs[i])
            rc = xch__xs_write(ctx, t, path, st->specs[i]);
        else
            rc = xch__xs_rm(ctx, t, path);
    }
    /* An empty set leaves no directory behind: xenstore as before. */
    if (!rc)
        rc = xch__xs_directory(ctx, t, dir, &left, &nleft);
    if (!rc && !nleft)
        rc = xch__xs_rm(ctx, t, dir);
    free(left);
    free(path);
    free(dir);
    return rc;
}

int xch_keep_update(xch_ctx *ctx, uint32_t domid, const int *devids,
                    const char *const *specs, int n)
{
    struct keep_update_state st = {domid, devids, specs, n};

    return xch__txn_run(ctx, keep_update_body, &st);
}

/* Whether guest domid has a console with that devid (frontend or the
 * /libxl copy). */
static int devid_present(xch_ctx *ctx, uint32_t domid, int devid,
                         bool *present_r)
{
    char *fe = xch__fe_path(domid, devid), *lx = xch__lx_path(domid, devid);
    char *val = NULL;
    int rc = XCH_ERROR_NOMEM;

    *present_r = false;
    if (fe && lx) {
        rc = xch__xs_read(ctx, XBT_NULL, lx, &val);
        if (!rc && !val)
            rc = xch__xs_read(ctx, XBT_NULL, fe, &val);
        *present_r = val != NULL;
    }
    free(val);
    free(fe);
    free(lx);
    return rc;
}

int xch_keep_restore(xch_ctx *ctx, uint32_t domid, xch_keep_report *report,
                     void *arg)
{
    xch_kept_channel *list = NULL;
    char *errmsg = NULL;
    int num = 0, i, rc, attached = 0;

    rc = xch_keep_read(ctx, domid, &list, &num, &errmsg);
    if (rc) {
        if (report && errmsg)
            report(arg, domid, -1, NULL, rc, errmsg);
        free(errmsg);
        return rc;
    }
    for (i = 0; i < num; i++) {
        xch_device_channel chan;
        xch_channel_options opts;
        bool present;
        char *spec;

        rc = devid_present(ctx, domid, list[i].devid, &present);
        if (rc)
            break;
        if (present)
            continue;
        xch_device_channel_init(&chan);
        xch_channel_options_init(&opts);
        spec = xch__sprintf("%s,devid=%d", list[i].spec, list[i].devid);
        rc = spec ? xch_channel_spec_parse(spec, &chan, &opts, &errmsg)
                  : XCH_ERROR_NOMEM;
        if (!rc)
            rc = xch_channel_add(ctx, domid, &chan, &opts, &errmsg);
        if (!rc)
            attached++;
        if (report)
            report(arg, domid, list[i].devid, list[i].spec, rc, errmsg);
        free(errmsg);
        errmsg = NULL;
        free(spec);
        xch_device_channel_dispose(&chan);
        xch_channel_options_dispose(&opts);
        /* One entry that cannot be attached does not stop the others;
         * xenstore failing does. */
        if (rc == XCH_ERROR_XENSTORE || rc == XCH_ERROR_NOMEM)
            break;
        rc = 0;
    }
    xch_kept_free(list, num);
    return rc ? rc : attached;
}
