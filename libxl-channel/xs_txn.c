/*
 * xs_txn.c - xenstore transactions retried on EAGAIN, and the thin
 * wrappers the toolstack uses inside them. The wrappers map errno to our
 * codes so that a body can `goto out` on any failure and the runner can
 * tell "start again" (XCH__RETRY) from "give up".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A commit that keeps conflicting this often is a livelock, not bad luck. */
#define TXN_MAX_ATTEMPTS 1000

/* Our code for xenstore's errno, which is kept for messages. */
static int xs_errno_code(xch_ctx *ctx)
{
    ctx->xs_errno = errno;
    return errno == EAGAIN ? XCH__RETRY : XCH_ERROR_XENSTORE;
}

int xch__txn_run(xch_ctx *ctx, xch__txn_body *body, void *arg)
{
    int attempt, rc;

    for (attempt = 0; attempt < TXN_MAX_ATTEMPTS; attempt++) {
        xs_transaction_t t;

        if (attempt)
            ctx->retries++;
        t = xs_transaction_start(ctx->xsh);
        if (t == XBT_NULL) {
            ctx->xs_errno = errno;
            return XCH_ERROR_XENSTORE;
        }
        rc = body(ctx, t, arg);
        if (rc) {
            /* Aborting: nothing was written, whatever the outcome. */
            xs_transaction_end(ctx->xsh, t, true);
            if (rc == XCH__RETRY)
                continue;
            return rc;
        }
        if (xs_transaction_end(ctx->xsh, t, false))
            return 0;
        if (errno != EAGAIN) {
            ctx->xs_errno = errno;
            return XCH_ERROR_XENSTORE;
        }
    }
    /* Conflicting every time: give up rather than spin. */
    ctx->xs_errno = EAGAIN;
    return XCH_ERROR_XENSTORE;
}

int xch__xs_read(xch_ctx *ctx, xs_transaction_t t, const char *path,
                 char **val_r)
{
    unsigned len;

    *val_r = xs_read(ctx->xsh, t, path, &len);
    if (*val_r || errno == ENOENT)
        return 0;
    return xs_errno_code(ctx);
}

int xch__xs_directory(xch_ctx *ctx, xs_transaction_t t, const char *path,
                      char ***list_r, unsigned *num_r)
{
    *num_r = 0;
    *list_r = xs_directory(ctx->xsh, t, path, num_r);
    if (*list_r)
        return 0;
    *num_r = 0;
    if (errno == ENOENT)
        return 0;
    return xs_errno_code(ctx);
}

int xch__xs_write(xch_ctx *ctx, xs_transaction_t t, const char *path,
                  const char *val)
{
    if (xs_write(ctx->xsh, t, path, val, strlen(val)))
        return 0;
    return xs_errno_code(ctx);
}

int xch__xs_write_perms(xch_ctx *ctx, xs_transaction_t t, const char *path,
                        const char *val, struct xs_permissions *perms,
                        unsigned num_perms)
{
    int rc;

    rc = xch__xs_write(ctx, t, path, val);
    if (rc)
        return rc;
    if (xs_set_permissions(ctx->xsh, t, path, perms, num_perms))
        return 0;
    return xs_errno_code(ctx);
}

int xch__xs_mkdir_perms(xch_ctx *ctx, xs_transaction_t t, const char *path,
                        struct xs_permissions *perms, unsigned num_perms)
{
    if (!xs_mkdir(ctx->xsh, t, path))
        return xs_errno_code(ctx);
    if (xs_set_permissions(ctx->xsh, t, path, perms, num_perms))
        return 0;
    return xs_errno_code(ctx);
}

int xch__xs_rm(xch_ctx *ctx, xs_transaction_t t, const char *path)
{
    if (xs_rm(ctx->xsh, t, path) || errno == ENOENT)
        return 0;
    return xs_errno_code(ctx);
}

struct update_args {
    const char *dir;
    const char *const *keys;
    const char *const *vals;
    size_t n;
};

static int update_body(xch_ctx *ctx, xs_transaction_t t, void *arg)
{
    const struct update_args *a = arg;
    char *val = NULL, *path = NULL;
    size_t i;
    int rc;

    rc = xch__xs_read(ctx, t, a->dir, &val);
    if (rc)
        goto out;
    if (!val) {
        rc = XCH_ERROR_NOTFOUND;
        goto out;
    }
    for (i = 0; i < a->n; i++) {
        path = xch__sprintf("%s/%s", a->dir, a->keys[i]);
        if (!path) {
            rc = XCH_ERROR_NOMEM;
            goto out;
        }
        rc = a->vals[i] ? xch__xs_write(ctx, t, path, a->vals[i])
                        : xch__xs_rm(ctx, t, path);
        if (rc)
            goto out;
        free(path);
        path = NULL;
    }
out:
    free(path);
    free(val);
    return rc;
}

int xch__xs_update(xch_ctx *ctx, const char *dir, const char *const *keys,
                   const char *const *vals, size_t n)
{
    struct update_args a = {dir, keys, vals, n};

    return xch__txn_run(ctx, update_body, &a);
}
