/*
 * log.h - xenchanneld's messages, to stderr or syslog.
 *
 * Messages about a channel that a guest or a client can cause go through a
 * per-channel rate limit (xcd_log_limited): whatever they do, they cannot
 * fill the host's logs. Debug messages are written only with --verbose.
 */
#ifndef XCD_LOG_H
#define XCD_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "ratelimit.h"

/* To stderr (foreground) or syslog (daemon facility); verbose adds
 * LOG_DEBUG messages. */
void xcd_log_init(bool to_stderr, bool verbose);
void xcd_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* As xcd_log, if rl has a token; otherwise the message is counted, and
 * the next one that passes says how many were suppressed before it. */
void xcd_log_limited(xcd_ratelimit *rl, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
