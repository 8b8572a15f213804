/* gsutil.c - logging and xenstore helpers of the test frontend/backend. */
#include "gsutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

typedef struct gs_logger {
    const char *prog;
    bool to_stderr;
} gs_logger;

/* The one log destination of the process, set once at start. */
static gs_logger logger = {"xch-test", true};

void gs_log_init(const char *prog, bool to_stderr)
{
    logger.prog = prog;
    logger.to_stderr = to_stderr;
    if (!to_stderr)
        openlog(prog, LOG_PID, LOG_DAEMON);
}

void gs_log(int prio, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (r < 0)
        msg = NULL;
    if (logger.to_stderr)
        fprintf(stderr, "%s: %s\n", logger.prog, msg ? msg : fmt);
    else
        syslog(prio, "%s", msg ? msg : fmt);
    free(msg);
}

void gs_status(const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (r < 0)
        msg = NULL;
    printf("%s\n", msg ? msg : fmt);
    fflush(stdout);
    free(msg);
}

char *gs_sprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    return r < 0 ? NULL : s;
}

int gs_read_uint(struct xs_handle *xs, const char *path, unsigned long max,
                 unsigned long *out)
{
    unsigned int len = 0;
    char *val = xs_read(xs, XBT_NULL, path, &len);
    char *end = NULL;
    unsigned long v;
    int rc;

    if (!val) {
        rc = errno == ENOENT ? -ENOENT : -EIO;
        goto out;
    }
    rc = -EINVAL;
    if (len == 0 || len > 10 || strlen(val) != len || val[0] < '0' ||
        val[0] > '9')
        goto out;
    errno = 0;
    v = strtoul(val, &end, 10);
    if (errno || *end || v > max)
        goto out;
    *out = v;
    rc = 0;
out:
    free(val);
    return rc;
}

int gs_write_keys(struct xs_handle *xs, const char *dir,
                  const char *const *keys, const char *const *vals, size_t n)
{
    xs_transaction_t t = XBT_NULL;
    char *path = NULL, *cur = NULL;
    unsigned int len;
    size_t i;
    int rc;

    for (;;) {
        t = xs_transaction_start(xs);
        if (t == XBT_NULL) {
            rc = -EIO;
            goto out;
        }
        cur = xs_read(xs, t, dir, &len);
        if (!cur) {
            rc = errno == ENOENT ? -ENOENT : -EIO;
            goto out;
        }
        free(cur);
        cur = NULL;
        for (i = 0; i < n; i++) {
            path = gs_sprintf("%s/%s", dir, keys[i]);
            if (!path || !xs_write(xs, t, path, vals[i], strlen(vals[i]))) {
                rc = -EIO;
                goto out;
            }
            free(path);
            path = NULL;
        }
        if (xs_transaction_end(xs, t, false))
            break;
        t = XBT_NULL;
        if (errno != EAGAIN) {
            rc = -EIO;
            goto out;
        }
    }
    t = XBT_NULL;
    rc = 0;
out:
    if (t != XBT_NULL)
        xs_transaction_end(xs, t, true);
    free(path);
    return rc;
}

int gs_switch_state(struct xs_handle *xs, const char *dir, int state)
{
    static const char *const keys[] = {"state"};
    char val[12];
    const char *vals[] = {val};

    snprintf(val, sizeof(val), "%d", state);
    return gs_write_keys(xs, dir, keys, vals, 1);
}
