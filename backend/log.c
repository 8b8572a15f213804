/*
 * log.c - the daemon's messages, to stderr or syslog.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "xenchanneld.h"

static bool log_to_stderr = true;

void xcd_log_init(bool to_stderr)
{
    log_to_stderr = to_stderr;
    if (!to_stderr)
        openlog("xenchanneld", LOG_PID, LOG_DAEMON);
}

void xcd_log(int prio, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (log_to_stderr) {
        fputs("xenchanneld: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    } else {
        vsyslog(prio, fmt, ap);
    }
    va_end(ap);
}

char *xcd_sprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    return r < 0 ? NULL : s;
}
