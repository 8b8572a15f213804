/*
 * log.c - the daemon's messages, to stderr or syslog (log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "log.h"

static bool log_to_stderr = true;
static bool log_verbose;

void xcd_log_init(bool to_stderr, bool verbose)
{
    log_to_stderr = to_stderr;
    log_verbose = verbose;
    if (!to_stderr)
        openlog("xenchanneld", LOG_PID, LOG_DAEMON);
}

static void log_va(int prio, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void log_va(int prio, const char *fmt, va_list ap)
{
    if (prio == LOG_DEBUG && !log_verbose)
        return;
    if (log_to_stderr) {
        fputs("xenchanneld: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    } else {
        vsyslog(prio, fmt, ap);
    }
}

void xcd_log(int prio, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_va(prio, fmt, ap);
    va_end(ap);
}

void xcd_log_limited(xcd_ratelimit *rl, int prio, const char *fmt, ...)
{
    uint64_t suppressed = rl->suppressed;
    char *msg = NULL;
    va_list ap;
    int r;

    if (prio == LOG_DEBUG && !log_verbose)
        return;
    if (!xcd_ratelimit_take(rl, xch__now_ms()))
        return;
    rl->suppressed = 0;
    va_start(ap, fmt);
    if (!suppressed) {
        log_va(prio, fmt, ap);
        va_end(ap);
        return;
    }
    r = vasprintf(&msg, fmt, ap);
    va_end(ap);
    xcd_log(prio, "%s (%llu earlier messages suppressed)", r < 0 ? fmt : msg,
            (unsigned long long)suppressed);
    free(msg);
}
