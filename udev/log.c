/* Logging for the guest's udev helper (log.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "log.h"

static bool to_stderr, opened;

void xch_log_to_stderr(void)
{
    to_stderr = true;
}

void xch_log(int prio, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (to_stderr) {
        fputs(XCH_UDEV_PROG ": ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    } else {
        if (!opened)
            openlog(XCH_UDEV_PROG, LOG_PID, LOG_DAEMON);
        opened = true;
        vsyslog(prio, fmt, ap);
    }
    va_end(ap);
}
