/* Logging for the guest's udev helper: syslog, or stderr when asked. */
#ifndef XCH_UDEV_LOG_H
#define XCH_UDEV_LOG_H

#include <syslog.h>

#define XCH_UDEV_PROG "xen-channel-helper"

/* Sends later messages to stderr instead of syslog. */
void xch_log_to_stderr(void);

void xch_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
