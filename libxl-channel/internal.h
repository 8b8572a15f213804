/*
 * internal.h - what the files of libxenchannel, and xenchanneld with them,
 * share and the public header does not show: the context, the transaction
 * runner, small xenstore wrappers that turn errno into XCH_ERROR_* codes,
 * strict number parsing for values a guest may have written, the clock,
 * and the device paths. Symbols are named xch__*.
 */
#ifndef XCH_INTERNAL_H
#define XCH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include <xenstore.h>

#include "xenchannel.h"

struct xch_ctx {
    struct xs_handle *xsh;
    bool own_xsh;          /* closed by xch_ctx_free */
    unsigned long retries; /* transactions restarted after EAGAIN */
    int xs_errno;          /* errno of the last failed xenstore call */
};

/*
 * Returned by the xenstore wrappers and transaction bodies when the
 * transaction must be started again (xenstored answered EAGAIN). Never
 * leaves the library: xch__txn_run consumes it.
 */
#define XCH__RETRY (-1000)

/*
 * A transaction body: reads and writes through t, returns 0 to commit or
 * a negative code to abort. It may run several times (after EAGAIN at
 * commit), so it must start from scratch each time, resetting whatever it
 * produces for its caller.
 */
typedef int xch__txn_body(xch_ctx *ctx, xs_transaction_t t, void *arg);

/*
 * Runs body in a transaction until it commits, restarting it on EAGAIN
 * (each restart counted in ctx->retries) up to a bound. Returns body's
 * code, or XCH_ERROR_XENSTORE when xenstore fails or keeps conflicting.
 */
int xch__txn_run(xch_ctx *ctx, xch__txn_body *body, void *arg);

/* ---- xenstore wrappers: 0, XCH__RETRY or XCH_ERROR_XENSTORE ---------- */
/* (On failure ctx->xs_errno holds xenstore's errno.) */

/* *val_r is the value (malloc'd, NUL-terminated) or NULL if the node does
 * not exist. */
int xch__xs_read(xch_ctx *ctx, xs_transaction_t t, const char *path,
                 char **val_r);
/* *list_r is the children (one malloc'd block) or NULL with *num_r 0 if
 * the node does not exist. */
int xch__xs_directory(xch_ctx *ctx, xs_transaction_t t, const char *path,
                      char ***list_r, unsigned *num_r);
int xch__xs_write(xch_ctx *ctx, xs_transaction_t t, const char *path,
                  const char *val);
/* Writes val, then sets the node's permissions. */
int xch__xs_write_perms(xch_ctx *ctx, xs_transaction_t t, const char *path,
                        const char *val, struct xs_permissions *perms,
                        unsigned num_perms);
int xch__xs_mkdir_perms(xch_ctx *ctx, xs_transaction_t t, const char *path,
                        struct xs_permissions *perms, unsigned num_perms);
/* Removes path and its subtree; a missing node is not an error. */
int xch__xs_rm(xch_ctx *ctx, xs_transaction_t t, const char *path);

/*
 * Writes keys[i] = vals[i] (vals[i] NULL: removes the key) under dir, in
 * one transaction that first reads dir (retried on EAGAIN): a device that
 * was removed is never re-created by a late write. 0, XCH_ERROR_NOTFOUND
 * when dir does not exist (nothing written), or an error code as above.
 */
int xch__xs_update(xch_ctx *ctx, const char *dir, const char *const *keys,
                   const char *const *vals, size_t n);

/* ---- values ------------------------------------------------------------ */

/* Parses s as a plain decimal number (digits only, no sign, no leading
 * zero except "0", no white space) of at most max. 0 or XCH_ERROR_INVAL. */
int xch__parse_ulong(const char *s, unsigned long max, unsigned long *out);

/* A size: a plain decimal number as above, optionally followed by K or M
 * (either case; 1024 and 1048576), of at most max bytes. */
int xch__parse_size(const char *s, unsigned long max, unsigned long *out);

/* asprintf that returns NULL instead of failing half-way. */
char *xch__sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sets *errmsg (when errmsg is not NULL; the previous message is freed) to
 * the formatted message and returns rc. */
int xch__error(char **errmsg, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t xch__now_ms(void);

/* ms as a struct timeval (timers). */
struct timeval xch__timeval_ms(uint64_t ms);

/* ---- device paths (malloc'd, NULL when out of memory) ------------------ */
char *xch__fe_path(uint32_t domid, int devid);
char *xch__be_path(uint32_t backend_domid, uint32_t domid, int devid);
char *xch__lx_path(uint32_t domid, int devid);
/* The directories that hold the devids of one domain's consoles. */
char *xch__fe_dir(uint32_t domid);
char *xch__lx_dir(uint32_t domid);
char *xch__be_dir(uint32_t backend_domid, uint32_t domid);

/* Connects to xenchanneld's control socket at path (blocking):
 * XCH_ERROR_NOTFOUND when nobody listens there. */
int xch__control_connect(const char *path, int *fd_r, char **errmsg);

/* The domain B of a backend path "/local/domain/B/...": 0 or
 * XCH_ERROR_INVAL (XCH_ERROR_NOMEM). */
int xch__backend_path_domid(const char *be, uint32_t *domid);

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* Largest domid of a real domain (DOMID_FIRST_RESERVED - 1). */
#define XCH__DOMID_MAX 0x7FEFUL

/* 0 with *exists_r set, or an error code (as the wrappers). */
int xch__domain_exists(xch_ctx *ctx, xs_transaction_t t, uint32_t domid,
                       bool *exists_r);

#endif /* XCH_INTERNAL_H */
