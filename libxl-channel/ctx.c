/*
 * ctx.c - the toolstack context (one xenstore connection, no global
 * state) and the small helpers every toolstack file uses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int xch__parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    const char *p;

    if (!s || !*s || (s[0] == '0' && s[1]))
        return XCH_ERROR_INVAL;
    for (p = s; *p; p++) {
        unsigned digit;

        if (*p < '0' || *p > '9')
            return XCH_ERROR_INVAL;
        digit = (unsigned)(*p - '0');
        if (digit > max || v > (max - digit) / 10)
            return XCH_ERROR_INVAL;
        v = v * 10 + digit;
    }
    *out = v;
    return 0;
}

char *xch__sprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    return r < 0 ? NULL : s;
}

int xch__error(char **errmsg, int rc, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int r;

    if (!errmsg)
        return rc;
    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    free(*errmsg);
    *errmsg = r < 0 ? NULL : s;
    return rc;
}
