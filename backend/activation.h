/*
 * activation.h - socket activation and readiness notification, the
 * systemd way (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES; NOTIFY_SOCKET).
 */
#ifndef XCD_ACTIVATION_H
#define XCD_ACTIVATION_H

typedef struct xcd_activation xcd_activation;

/* Takes the descriptors of socket activation and clears those variables.
 * *out NULL if none. 0 or a negative XCH_ERROR_* with *errmsg. */
int xcd_activation_take(xcd_activation **out, char **errmsg);
/* The passed descriptor named name (or path), removed from the set; -1
 * if none. */
int xcd_activation_claim(xcd_activation *a, const char *name, const char *path);
/* Closes what was not claimed and frees. NULL is fine. */
void xcd_activation_free(xcd_activation *a);
/* Sends state (e.g. "READY=1") to $NOTIFY_SOCKET if set. 0 or
 * XCH_ERROR_FAIL. */
int xcd_notify(const char *state);

#endif
