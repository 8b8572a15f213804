/*
 * transport.h - the host end of a channel, behind a small vtable.
 *
 * A transport has at most one client at a time. While it has none, the
 * channel watches `wait_fd` (readable: call accept); while it has one,
 * `client_fd` is the descriptor to read from and write to (non-blocking),
 * and the channel learns that the client left from one of two signs, as
 * the transport says: EV_CLOSED on client_fd (closed_event), or wait_fd
 * readable while the client is there (wait_while_client; accept then
 * reports whether the client is still there). The channel code never looks
 * at what kind of transport it has:
 *  - socket (transport_socket.c): a listening unix socket on the
 *    channel's path; wait_fd is the listening socket, client_fd an
 *    accepted connection, whose hangup EV_CLOSED reports; further clients
 *    wait in the backlog.
 *  - pty (transport_pty.c): a pty pair whose slave path is published;
 *    client_fd is the master while somebody has the slave open, wait_fd
 *    an inotify descriptor that reports opens and closes of the slave.
 */
#ifndef XCD_TRANSPORT_H
#define XCD_TRANSPORT_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct xcd_transport xcd_transport;

/* What a transport is opened with. */
typedef struct xcd_transport_config {
    const char *path; /* socket: where to listen */
    mode_t mode;      /* socket: file mode of the socket (and umask) */
    gid_t group;      /* socket: group of the socket, if set_group */
    bool set_group;
    int passed_fd; /* socket: a listening socket to use, or -1 */
    /* socket: a directory one level under this one is made (0755) when
     * missing: the toolstack makes paths <base_dir>/<domain>/<name>. */
    const char *base_dir;
} xcd_transport_config;

typedef struct xcd_transport_ops {
    const char *kind;       /* "socket", "pty" */
    bool closed_event;      /* EV_CLOSED on client_fd reports a hangup */
    bool wait_while_client; /* watch wait_fd with a client too */
    /* Opens the endpoint. 0 or a negative XCH_ERROR_*, with *errmsg
     * (malloc'd) saying what failed. */
    int (*open)(xcd_transport *t, const xcd_transport_config *cfg,
                char **errmsg);
    /* wait_fd was readable (or the channel asks): takes a waiting client
     * if there is none yet. 1 if there is a client (new, or still there),
     * 0 if there is none (a current one has hung up: its client_fd stays
     * set, for what it left to be read, until drop_client), or a negative
     * XCH_ERROR_* with *errmsg set. */
    int (*accept)(xcd_transport *t, char **errmsg);
    /* True if the client has gone although client_fd is still usable
     * (a pty master whose slave is closed accepts writes into the void);
     * checked before each write. */
    bool (*hung_up)(const xcd_transport *t);
    /* True if the client closed its end entirely. A socket client that
     * only stopped sending (shutdown(SHUT_WR), as `echo ... | socat`
     * does) is not gone: it waits for its answer. */
    bool (*gone)(const xcd_transport *t);
    /* Forgets the current client (EOF, hangup or error): it has been read
     * to the end, or what is left is to be thrown away. */
    void (*drop_client)(xcd_transport *t);
    /* Releases everything: descriptors, the socket file. */
    void (*close)(xcd_transport *t);
} xcd_transport_ops;

struct xcd_transport {
    const xcd_transport_ops *ops;
    int wait_fd;    /* readable when a client may be waiting; -1 if none */
    int client_fd;  /* the current client, -1 if none */
    char *endpoint; /* socket path or pty slave path (malloc'd) */
    /* Private to the implementation. */
    int fd;           /* socket: listening socket; pty: the master */
    bool unlink_path; /* socket: we created the file, remove it at close */
    dev_t file_dev;   /* socket: the file we created */
    ino_t file_ino;
    bool slave_opened; /* pty: the slave has been opened at least once */
};

extern const xcd_transport_ops xcd_transport_socket_ops;
extern const xcd_transport_ops xcd_transport_pty_ops;

/* Sets every descriptor to -1 and every pointer to NULL. */
void xcd_transport_init(xcd_transport *t, const xcd_transport_ops *ops);

#endif
