/*
 * xenchanneld.h - the backend daemon's internal interfaces.
 *
 * Files:
 *   main.c           options, signals, start-up and shutdown
 *   daemon.c         the event loop's sources: xenstore watches, event
 *                    channels, discovery and release of devices
 *   channel.c        the per-channel state machine (one place, asserted)
 *   relay.c          moving bytes: ring <-> buffer <-> transport
 *   xs.c             xenstore reads and transactional writes
 *   parse.c          strict parsing of untrusted values and watch paths
 *   buffer.c         the bounded guest -> host buffer
 *   transport_*.c    socket and pty endpoints (transport.h)
 *   activation.c     socket activation and sd_notify
 *   control.c        the control socket (status counters)
 *   log.c            stderr or syslog
 */
#ifndef XENCHANNELD_H
#define XENCHANNELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "xenchannel.h"
#include "xenchannel_ring.h"

#include "buffer.h"
#include "transport.h"

struct event;
struct event_base;

typedef struct xcd_daemon xcd_daemon;
typedef struct xcd_channel xcd_channel;
typedef struct xcd_activation xcd_activation;
typedef struct xcd_control xcd_control;

/* ---- log.c ---- */

/* To stderr (foreground) or syslog (daemon facility). */
void xcd_log_init(bool to_stderr);
void xcd_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* malloc'd formatted string, NULL on ENOMEM. */
char *xcd_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- parse.c: untrusted values ---- */

#define XCD_DOMID_MAX     0x7fefU /* DOMID_FIRST_RESERVED - 1 */
#define XCD_DEVID_MAX     9999U
#define XCD_PORT_MAX      ((1U << 17) - 1) /* FIFO event channels */
#define XCD_LIMIT_MIN     4096U
#define XCD_LIMIT_MAX     (64U << 20)
#define XCD_LIMIT_DEFAULT (1U << 20)

/* s as a decimal number 0..max: digits only, no sign, no blanks, no
 * leading zero, at most 10 digits. 0 or XCH_ERROR_INVAL (*out unset). */
int xcd_parse_uint(const char *s, unsigned long max, unsigned long *out);

/* The frontend's `limit`: a number, clamped to XCD_LIMIT_MIN..MAX;
 * XCD_LIMIT_DEFAULT when s is NULL or not a number (*clamped tells). */
size_t xcd_parse_limit(const char *s, bool *clamped);

/* Splits a watch path under base ("base/D/N/rest..."): *domid and *devid
 * are -1 when the path stops before them. XCH_ERROR_INVAL if the path is
 * not under base or D/N are not numbers in range. */
int xcd_parse_be_path(const char *base, const char *path, long *domid,
                      long *devid);

/* ---- xs.c: xenstore ---- */

/* malloc'd value of dir/key (NUL-terminated), NULL if absent or on error
 * (errno set). */
char *xcd_xs_read(struct xs_handle *xs, const char *dir, const char *key);

/* Writes n keys under dir (value NULL: remove the key) in one
 * transaction that first reads dir, retried on EAGAIN. 0,
 * XCH_ERROR_NOTFOUND if dir is gone, XCH_ERROR_XENSTORE otherwise. */
int xcd_xs_write_keys(struct xs_handle *xs, const char *dir,
                      const char *const *keys, const char *const *vals,
                      size_t n);

/* ---- daemon ---- */

typedef struct xcd_options {
    bool foreground;
    const char *control_path;
    mode_t socket_mode;
    bool set_group;
    gid_t socket_group;
} xcd_options;

struct xcd_daemon {
    const xcd_options *opts;
    struct event_base *base;
    struct xs_handle *xs;
    xenevtchn_handle *xce;
    xengnttab_handle *xgt;
    unsigned int self; /* our domid */
    char *be_base;     /* /local/domain/<self>/backend/console */
    struct event *xs_ev, *evtchn_ev;
    xcd_channel *channels; /* every channel */
    xcd_channel **table;   /* hash of (domid, devid) */
    size_t table_size;
    xcd_channel **by_port; /* local port -> channel */
    size_t by_port_size;
    xcd_activation *activation; /* passed listening sockets */
    xcd_control *control;
    bool stopping;
};

/* Sets up everything (xenstore, event channels, grants, watches) and
 * adopts the existing devices. 0 or a negative XCH_ERROR_* (logged). */
int xcd_daemon_start(xcd_daemon *d, struct event_base *base,
                     const xcd_options *opts);
/* Tears every channel down and releases everything; idempotent. */
void xcd_daemon_stop(xcd_daemon *d);

/* Adds c to (removes c from) the daemon's list and lookup table. */
void xcd_daemon_link(xcd_daemon *d, xcd_channel *c);
void xcd_daemon_unlink(xcd_daemon *d, xcd_channel *c);
xcd_channel *xcd_daemon_find(const xcd_daemon *d, unsigned int domid,
                             unsigned int devid);
/* Records c (NULL: nobody) as the owner of local event channel port.
 * 0 or XCH_ERROR_NOMEM. */
int xcd_daemon_port_set(xcd_daemon *d, int port, xcd_channel *c);

/* ---- channel.c: the state machine ---- */

typedef enum xcd_state {
    XCD_INIT,      /* found, nothing done yet */
    XCD_INITWAIT,  /* BE 2: waiting for the frontend's ring */
    XCD_CONNECTED, /* BE 4: ring mapped, bytes flow */
    XCD_CLOSING,   /* BE 5: the frontend is closing */
    XCD_CLOSED,    /* BE 6: ring released; the frontend may come back */
    XCD_ERROR,     /* bad frontend data or corrupt ring: stopped */
    XCD_DETACHING, /* the toolstack set online=0: flushing */
    XCD_DETACHED,  /* BE 6 after a detach: waiting for removal */
    XCD_GONE,      /* torn down */
} xcd_state;

#define XCD_STATE_COUNT (XCD_GONE + 1)

const char *xcd_state_name(xcd_state s);
/* Whether the state machine may go from `from` to `to`. */
bool xcd_state_transition_ok(xcd_state from, xcd_state to);

struct xcd_channel {
    xcd_daemon *d;
    xcd_channel *next;  /* the daemon's list */
    xcd_channel *hnext; /* the daemon's hash chain */
    unsigned int domid, devid;
    char *be, *fe;  /* directories */
    char *fe_token; /* token of the watch on FE state */
    char *fe_state_path;
    char *name;
    xch_channel_connection connection;
    char *path; /* socket path (BE `path`) */
    xcd_state state;

    /* the ring */
    void *page;
    xch_ring ring;
    int port;     /* local event channel port, -1 when unbound */
    uint32_t ref; /* what the frontend gave, while mapped */
    uint32_t remote_port;
    int fe_state;          /* last seen, -1 if unknown or garbage */
    int be_state;          /* last written or adopted */
    uint32_t in_cons_seen; /* to tell storms from traffic */

    /* the host end */
    xcd_transport tp;
    bool tp_open;
    struct event *wait_ev, *read_ev, *write_ev;
    bool reading, writing;
    xcd_buffer buf;

    /* storm control: events that move no data */
    uint64_t storm_window_start; /* ms */
    unsigned int storm_events;
    bool storm_masked;
    bool storm_logged; /* once per storm: until data moves again */
    struct event *storm_ev;

    struct event *detach_ev; /* bound on flushing at detach */
    bool flush_expired;

    /* counters and status */
    uint64_t bytes_to_guest, bytes_from_guest, ring_errors;
    bool dropping; /* in a drop episode */
    char *error;   /* last error, NULL if none */
    bool bad_fe_logged;
    /* what BE holds, to write only changes */
    int pub_connected; /* -1 unknown */
    uint64_t pub_dropped;
    char *pub_error;
};

/* Creates the channel for BE dir base/domid/devid if it is ours (FE type
 * xenchanneld) and starts it. NULL if it is not ours or on error. */
xcd_channel *xcd_channel_create(xcd_daemon *d, unsigned int domid,
                                unsigned int devid);
/* Something in BE or FE changed: re-read and act. Returns false if the
 * channel was torn down and freed. */
bool xcd_channel_update(xcd_channel *c);
/* Tears everything down and frees the channel (BE removed, domain gone,
 * shutdown). */
void xcd_channel_destroy(xcd_channel *c);
/* The guest notified the channel's port. */
void xcd_channel_event(xcd_channel *c);
/* A relay error that stops the channel (corrupt ring). */
void xcd_channel_fail(xcd_channel *c, int rc, const char *what);
/* Records err (malloc'd, taken; NULL is ignored) as the last error and
 * logs it. */
void xcd_channel_set_error(xcd_channel *c, char *err);
/* Writes the status keys that changed to BE. */
void xcd_channel_publish(xcd_channel *c);
/* Whether a client is connected. */
bool xcd_channel_client_connected(const xcd_channel *c);
/* Fills st (initialised) from c. 0 or XCH_ERROR_NOMEM. */
int xcd_channel_status(const xcd_channel *c, xch_channel_status *st);

/* ---- relay.c ---- */

/* Opens the host end and starts waiting for a client. */
int xcd_relay_open(xcd_channel *c);
/* Serves the (socket) channel on fd, a listening unix socket, instead of
 * its current one, whose client is disconnected; buffered output stays.
 * fd is taken whatever the result. 0, or XCH_ERROR_INVAL (not a socket
 * channel, being detached, fd not a listening socket) with *errmsg. */
int xcd_relay_take_listener(xcd_channel *c, int fd, char **errmsg);
/* Closes the host end (client and endpoint). */
void xcd_relay_close(xcd_channel *c);
/* The guest notified: drain `out`, refill `in`. Returns whether data
 * moved (bytes or room), or a negative XCH_ERROR_* (corrupt ring). */
int xcd_relay_guest(xcd_channel *c);
/* The ring goes away: stop reading the client into it. */
void xcd_relay_ring_down(xcd_channel *c);
/* Re-arms the client events after a state change. */
void xcd_relay_rearm(xcd_channel *c);

/* ---- activation.c ---- */

/* Takes the descriptors of socket activation (LISTEN_PID, LISTEN_FDS,
 * LISTEN_FDNAMES) and clears those variables. *out NULL if none. 0 or a
 * negative XCH_ERROR_* with *errmsg. */
int xcd_activation_take(xcd_activation **out, char **errmsg);
/* The passed descriptor named name (or path), removed from the set; -1
 * if none. */
int xcd_activation_claim(xcd_activation *a, const char *name, const char *path);
/* Closes what was not claimed and frees. NULL is fine. */
void xcd_activation_free(xcd_activation *a);
/* Sends state (e.g. "READY=1") to $NOTIFY_SOCKET if set. 0 or
 * XCH_ERROR_FAIL. */
int xcd_notify(const char *state);

/* ---- control.c ---- */

/* Listens on path (mode 0600). */
int xcd_control_open(xcd_daemon *d, const char *path, xcd_control **out);
void xcd_control_close(xcd_control *ctl);
/* One request (a JSON line) to its reply (malloc'd JSON, one line with
 * '\n'). *passed_fd is a descriptor that came with the request, or -1;
 * a request that uses it sets it to -1, the caller closes what is left.
 * Exposed for tests. */
char *xcd_control_handle(xcd_daemon *d, const char *request, int *passed_fd);

#endif
