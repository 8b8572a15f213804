/*
 * ctx.c - the toolstack context: one xenstore connection, no global
 * state.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

int xch_ctx_open(xch_ctx **pctx)
{
    struct xs_handle *xsh = NULL;
    int rc;

    *pctx = NULL;
    xsh = xs_open(0);
    if (!xsh) {
        rc = XCH_ERROR_XENSTORE;
        goto out;
    }
    rc = xch_ctx_open_xs(pctx, xsh);
    if (rc)
        goto out;
    (*pctx)->own_xsh = true;
    xsh = NULL;

out:
    if (xsh)
        xs_close(xsh);
    return rc;
}

int xch_ctx_open_xs(xch_ctx **pctx, struct xs_handle *xsh)
{
    xch_ctx *ctx;

    *pctx = NULL;
    ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return XCH_ERROR_NOMEM;
    ctx->xsh = xsh;
    ctx->own_xsh = false;
    *pctx = ctx;
    return 0;
}

void xch_ctx_free(xch_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->own_xsh)
        xs_close(ctx->xsh);
    free(ctx);
}

unsigned long xch_ctx_txn_retries(const xch_ctx *ctx)
{
    return ctx->retries;
}
