/*
 * xs.c - xenstore reads and transactional writes for the daemon.
 *
 * Every write to a device's nodes happens in a transaction that first
 * reads the device's directory: xenstored creates missing parents on
 * WRITE, so a late write would otherwise resurrect a removed device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenchanneld.h"

/* Give up after this many EAGAIN retries (somebody keeps changing the
 * directory: a guest rewriting its own keys in a loop). */
#define XS_RETRIES 64

char *xcd_xs_read(struct xs_handle *xs, const char *dir, const char *key)
{
    char *path = xcd_sprintf("%s/%s", dir, key);
    unsigned int len;
    char *val;

    if (!path) {
        errno = ENOMEM;
        return NULL;
    }
    val = xs_read(xs, XBT_NULL, path, &len);
    free(path);
    return val;
}

int xcd_xs_write_keys(struct xs_handle *xs, const char *dir,
                      const char *const *keys, const char *const *vals,
                      size_t n)
{
    xs_transaction_t t = XBT_NULL;
    unsigned int len;
    char *path = NULL, *val;
    int attempt, rc;
    size_t i;

    for (attempt = 0; attempt < XS_RETRIES; attempt++) {
        t = xs_transaction_start(xs);
        if (t == XBT_NULL) {
            rc = XCH_ERROR_XENSTORE;
            goto out;
        }
        val = xs_read(xs, t, dir, &len);
        if (!val) {
            rc = errno == ENOENT ? XCH_ERROR_NOTFOUND : XCH_ERROR_XENSTORE;
            goto out;
        }
        free(val);
        for (i = 0; i < n; i++) {
            bool ok;

            path = xcd_sprintf("%s/%s", dir, keys[i]);
            if (!path) {
                rc = XCH_ERROR_NOMEM;
                goto out;
            }
            if (vals[i])
                ok = xs_write(xs, t, path, vals[i], strlen(vals[i]));
            else
                ok = xs_rm(xs, t, path) || errno == ENOENT;
            free(path);
            path = NULL;
            if (!ok) {
                rc = XCH_ERROR_XENSTORE;
                goto out;
            }
        }
        if (xs_transaction_end(xs, t, false)) {
            t = XBT_NULL;
            rc = 0;
            goto out;
        }
        t = XBT_NULL;
        if (errno != EAGAIN) {
            rc = XCH_ERROR_XENSTORE;
            goto out;
        }
    }
    rc = XCH_ERROR_XENSTORE;
out:
    if (t != XBT_NULL)
        xs_transaction_end(xs, t, true);
    free(path);
    return rc;
}
