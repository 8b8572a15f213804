/*
 * gsutil.h - small helpers shared by the test frontend (xch-guestsim) and
 * the test backend (xch-echoback): logging and xenstore accesses done the
 * way the xenbus drivers do them.
 */
#ifndef GSUTIL_H
#define GSUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <xenstore.h>

/* Log to stderr (to_stderr) or to syslog, every line prefixed by prog. */
void gs_log_init(const char *prog, bool to_stderr);
void gs_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A status line on stdout for the test driving the program, flushed at
 * once ("ready", "connected NAME", ...). */
void gs_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* malloc'd formatted string, NULL on ENOMEM. */
char *gs_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Reads path as a decimal number 0..max. 0 on success; -ENOENT if the node
 * does not exist; -EINVAL if it is not such a number; -EIO (errno set by
 * libxenstore) on another failure.
 */
int gs_read_uint(struct xs_handle *xs, const char *path, unsigned long max,
                 unsigned long *out);

/*
 * Writes n keys (names keys[i], values vals[i]) under dir in one
 * transaction that first checks that dir still exists, so that a device
 * removed meanwhile is not re-created; retried on EAGAIN. 0, -ENOENT when
 * dir is gone, -EIO on another failure.
 */
int gs_write_keys(struct xs_handle *xs, const char *dir,
                  const char *const *keys, const char *const *vals, size_t n);

/* gs_write_keys of one key `state` with the number state. */
int gs_switch_state(struct xs_handle *xs, const char *dir, int state);

#endif
