/*
 * control.c - the control socket (docs/control-protocol.md).
 *
 * A unix stream socket, mode 0600, for root and the daemon's own user
 * only (SO_PEERCRED is checked at accept). A client sends one request, a
 * JSON object on one line, and gets one reply line, then the daemon
 * closes the connection:
 *   {"request":"status"}            every channel
 *   {"request":"status","domid":D}  the channels of guest D ("devid":N
 *                                   narrows it to one)
 *     -> {"status":[ <channel_status>, ... ]}
 *   {"request":"listen","domid":D,"devid":N} with a listening unix socket
 *   passed by SCM_RIGHTS: socket channel N of guest D serves on it from
 *   now on (a pre-opened descriptor) -> {"status":[ <that channel> ]}
 *   {"request":"events"} (optionally "domid":D): the connection becomes a
 *   subscriber of the lifecycle events (events.c), which starts with a
 *   `state` event per channel; it stays open
 *   anything else -> {"error":"what is wrong"}
 * A descriptor that a request does not use (or a failed one) is closed,
 * and only the first of a request is kept: nothing leaks whatever a
 * client sends.
 *
 * No client can keep others out: a connection that has not sent a whole
 * request within CONTROL_IDLE_MS is closed, and when all places are
 * taken the oldest connection still waiting for its request makes room
 * for a new one. Accepting pauses for a moment when the daemon is out of
 * descriptors. Before answering, the daemon makes sure its xenstore
 * connection still works: it never answers with stale data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "channel.h"
#include "control.h"
#include "events.h"
#include "log.h"

#define REQUEST_MAX     4096
#define CONNECTIONS_MAX 64
#define FDS_PER_MSG_MAX 16
/* How long a connection may take to send its request. */
#define CONTROL_IDLE_MS 5000
/* How long accepting pauses when the daemon is out of descriptors. */
#define ACCEPT_PAUSE_MS 1000

typedef struct ctl_conn ctl_conn;

struct ctl_conn {
    xcd_control *ctl;
    ctl_conn *next; /* newest first */
    int fd;
    struct event *ev;
    struct event *idle_ev; /* closes it if no request comes */
    char req[REQUEST_MAX + 1];
    size_t req_len;
    char *reply;
    size_t reply_len, reply_off;
    int passed_fd; /* came with the request, -1 if none */
};

struct xcd_control {
    xcd_daemon *d;
    xcd_transport tp; /* only its listening socket */
    struct event *listen_ev;
    struct event *resume_ev; /* accepting again after a pause */
    ctl_conn *conns;
    int nconns;
};

/* ---- requests ---- */

/* {"error": msg} and a newline; msg (malloc'd) is taken. */
static char *error_reply(char *msg)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    char *out = NULL;
    size_t len;

    if (!g || !msg)
        goto out;
    if (yajl_gen_map_open(g) ||
        yajl_gen_string(g, (const unsigned char *)"error", 5) ||
        yajl_gen_string(g, (const unsigned char *)msg, strlen(msg)) ||
        yajl_gen_map_close(g) || yajl_gen_get_buf(g, &buf, &len))
        goto out;
    out = xch__sprintf("%.*s\n", (int)len, (const char *)buf);
out:
    free(msg);
    if (g)
        yajl_gen_free(g);
    return out;
}

/* The status of the channels of domid (all if -1), devid (all if -1). */
static char *status_reply(xcd_daemon *d, long domid, long devid)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    xch_channel_status st;
    xcd_channel *c;
    char *out = NULL;
    size_t len;

    xch_channel_status_init(&st);
    if (!g || yajl_gen_map_open(g) ||
        yajl_gen_string(g, (const unsigned char *)"status", 6) ||
        yajl_gen_array_open(g))
        goto out;
    for (c = d->reg.list; c; c = c->next) {
        if ((domid >= 0 && c->domid != (unsigned long)domid) ||
            (devid >= 0 && c->devid != (unsigned long)devid))
            continue;
        xch_channel_status_dispose(&st);
        xch_channel_status_init(&st);
        if (xcd_channel_status(c, &st) || xch_channel_status_gen_json(g, &st))
            goto out;
    }
    if (yajl_gen_array_close(g) || yajl_gen_map_close(g) ||
        yajl_gen_get_buf(g, &buf, &len))
        goto out;
    out = xch__sprintf("%.*s\n", (int)len, (const char *)buf);
out:
    xch_channel_status_dispose(&st);
    if (g)
        yajl_gen_free(g);
    return out;
}

/* Reads the optional integer `key` of root into *out (-1 if absent): 0,
 * or -1 if it is not an integer in 0..max. */
static int get_id(yajl_val root, const char *key, long max, long *out)
{
    const char *path[] = {key, NULL};
    yajl_val v = yajl_tree_get(root, path, yajl_t_any);

    *out = -1;
    if (!v)
        return 0;
    if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 ||
        YAJL_GET_INTEGER(v) > max)
        return -1;
    *out = (long)YAJL_GET_INTEGER(v);
    return 0;
}

/* {"request":"listen","domid":D,"devid":N} with a listening socket. */
static char *listen_reply(xcd_daemon *d, long domid, long devid, int *passed_fd)
{
    xcd_channel *c;
    char *msg = NULL, *reply;
    int fd;

    if (domid < 0 || devid < 0)
        return error_reply(
            xch__sprintf("\"listen\" needs \"domid\" and \"devid\""));
    if (*passed_fd < 0)
        return error_reply(xch__sprintf("\"listen\" needs a listening "
                                        "socket passed with SCM_RIGHTS"));
    c = xcd_registry_find(&d->reg, (unsigned int)domid, (unsigned int)devid);
    if (!c)
        return error_reply(
            xch__sprintf("no channel %ld of domain %ld", devid, domid));
    fd = *passed_fd;
    *passed_fd = -1;
    if (xcd_channel_take_listener(c, fd, &msg)) {
        reply = error_reply(msg ? msg : xch__sprintf("cannot use the socket"));
        return reply;
    }
    return status_reply(d, domid, devid);
}

char *xcd_control_handle(xcd_daemon *d, const char *request, int *passed_fd)
{
    static const char *request_key[] = {"request", NULL};
    char parse_err[128];
    yajl_val root, op;
    const char *op_s;
    long domid, devid;
    char *reply;

    root = yajl_tree_parse(request, parse_err, sizeof(parse_err));
    if (!root || !YAJL_IS_OBJECT(root)) {
        reply = error_reply(xch__sprintf("request is not a JSON object"));
        goto out;
    }
    op = yajl_tree_get(root, request_key, yajl_t_string);
    op_s = op ? YAJL_GET_STRING(op) : NULL;
    if (!op_s) {
        reply = error_reply(xch__sprintf("request has no \"request\" string"));
        goto out;
    }
    if (get_id(root, "domid", (long)XCH__DOMID_MAX, &domid)) {
        reply = error_reply(xch__sprintf("\"domid\" is not a domain id"));
        goto out;
    }
    if (get_id(root, "devid", XCH_CHANNEL_DEVID_MAX, &devid)) {
        reply = error_reply(xch__sprintf("\"devid\" is not a device id"));
        goto out;
    }
    if (!strcmp(op_s, "status"))
        reply = status_reply(d, domid, devid);
    else if (!strcmp(op_s, "events"))
        reply = error_reply(xch__sprintf("\"events\" is a stream: it needs "
                                         "a connection of its own"));
    else if (!strcmp(op_s, "listen"))
        reply = listen_reply(d, domid, devid, passed_fd);
    else
        reply = error_reply(xch__sprintf(
            "unknown request \"%.64s\"; known: status, listen, events", op_s));
out:
    if (root)
        yajl_tree_free(root);
    return reply;
}

/* ---- connections ---- */

static void conn_free(ctl_conn *cn)
{
    xcd_control *ctl = cn->ctl;
    ctl_conn **pp;

    for (pp = &ctl->conns; *pp; pp = &(*pp)->next) {
        if (*pp == cn) {
            *pp = cn->next;
            break;
        }
    }
    ctl->nconns--;
    if (cn->ev)
        event_free(cn->ev);
    if (cn->idle_ev)
        event_free(cn->idle_ev);
    if (cn->passed_fd >= 0)
        close(cn->passed_fd);
    if (cn->fd >= 0)
        close(cn->fd);
    free(cn->reply);
    free(cn);
}

/* Keeps the first descriptor that came with the request, closes any
 * other. */
static void take_passed_fds(ctl_conn *cn, struct msghdr *msg)
{
    struct cmsghdr *cm;

    for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int), i;
            int fd;

            for (i = 0; i < n; i++) {
                memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                if (cn->passed_fd < 0)
                    cn->passed_fd = fd;
                else
                    close(fd);
            }
        }
    }
}

static void conn_event(evutil_socket_t fd, short what, void *arg);

/* Switches the connection to writing its reply. */
static void conn_reply(ctl_conn *cn, char *reply)
{
    event_del(cn->idle_ev); /* the reply is ours to finish */
    cn->reply = reply;
    cn->reply_len = reply ? strlen(reply) : 0;
    cn->reply_off = 0;
    event_free(cn->ev);
    cn->ev = event_new(cn->ctl->d->base, cn->fd, EV_WRITE | EV_PERSIST,
                       conn_event, cn);
    if (!reply || !cn->ev || event_add(cn->ev, NULL))
        conn_free(cn);
}

/* Whether request asks for the event stream; *domid its filter (-1:
 * every guest). */
static bool is_subscription(const char *request, long *domid)
{
    static const char *request_key[] = {"request", NULL};
    yajl_val root = yajl_tree_parse(request, NULL, 0), op;
    const char *op_s;
    bool yes = false;

    if (root && YAJL_IS_OBJECT(root)) {
        op = yajl_tree_get(root, request_key, yajl_t_string);
        op_s = op ? YAJL_GET_STRING(op) : NULL;
        yes = op_s && !strcmp(op_s, "events") &&
              !get_id(root, "domid", (long)XCH__DOMID_MAX, domid);
    }
    if (root)
        yajl_tree_free(root);
    return yes;
}

/* The connection becomes a subscriber: it leaves the control socket's
 * connections (no idle timeout, no place taken) for the event stream,
 * which starts with each channel's state. */
static void conn_subscribe(ctl_conn *cn, long domid)
{
    xcd_daemon *d = cn->ctl->d;
    xcd_subscriber *sub;
    xch_channel_event ev;
    xcd_channel *c;

    sub = xcd_events_subscribe(d->events, cn->fd, domid);
    if (!sub) {
        conn_reply(cn, error_reply(xch__sprintf(
                           "too many event subscribers (at most %d)",
                           XCD_SUBSCRIBERS_MAX)));
        return;
    }
    cn->fd = -1; /* the subscriber's now */
    conn_free(cn);
    for (c = d->reg.list; c; c = c->next) {
        if (domid >= 0 && c->domid != (unsigned long)domid)
            continue;
        xch_channel_event_init(&ev);
        ev.event = XCH_CHANNEL_EVENT_KIND_STATE;
        ev.time = xcd_events_time();
        if (!xcd_channel_describe(c, &ev))
            xcd_events_send(d->events, sub, &ev);
        xch_channel_event_dispose(&ev);
    }
}

static void conn_read(ctl_conn *cn)
{
    long domid = -1;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(FDS_PER_MSG_MAX * sizeof(int))];
    } cbuf;
    struct iovec iov = {cn->req + cn->req_len, REQUEST_MAX - cn->req_len};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = cbuf.buf,
                         .msg_controllen = sizeof(cbuf.buf)};
    char *nl;
    ssize_t r;

    r = recvmsg(cn->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r > 0)
        take_passed_fds(cn, &msg);
    if (r <= 0) {
        conn_free(cn);
        return;
    }
    cn->req_len += (size_t)r;
    cn->req[cn->req_len] = '\0';
    nl = memchr(cn->req, '\n', cn->req_len);
    if (nl && !xcd_daemon_xenstore_answers(cn->ctl->d)) {
        conn_reply(cn, error_reply(xch__sprintf("xenchanneld lost its "
                                                "connection to xenstored and "
                                                "is stopping")));
    } else if (nl) {
        *nl = '\0';
        if (is_subscription(cn->req, &domid))
            conn_subscribe(cn, domid);
        else
            conn_reply(cn,
                       xcd_control_handle(cn->ctl->d, cn->req, &cn->passed_fd));
    } else if (cn->req_len == REQUEST_MAX || memchr(cn->req, 0, cn->req_len)) {
        conn_reply(
            cn, error_reply(xch__sprintf(
                    "request longer than %d bytes or not text", REQUEST_MAX)));
    }
}

static void conn_write(ctl_conn *cn)
{
    ssize_t r =
        send(cn->fd, cn->reply + cn->reply_off, cn->reply_len - cn->reply_off,
             MSG_NOSIGNAL | MSG_DONTWAIT);

    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r > 0)
        cn->reply_off += (size_t)r;
    if (r <= 0 || cn->reply_off == cn->reply_len)
        conn_free(cn);
}

static void conn_event(evutil_socket_t fd, short what, void *arg)
{
    ctl_conn *cn = arg;

    (void)fd;
    (void)what;
    if (cn->reply)
        conn_write(cn);
    else
        conn_read(cn);
}

static bool peer_allowed(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
        return false;
    return cred.uid == 0 || cred.uid == geteuid();
}

static void conn_idle(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn_free(arg);
}

/* Makes room: closes the oldest connection still waiting for its
 * request. */
static void evict_oldest(xcd_control *ctl)
{
    ctl_conn *cn, *oldest = NULL;

    for (cn = ctl->conns; cn; cn = cn->next)
        if (!cn->reply)
            oldest = cn;
    if (oldest)
        conn_free(oldest);
}

static void resume_accept(evutil_socket_t fd, short what, void *arg)
{
    xcd_control *ctl = arg;

    (void)fd;
    (void)what;
    event_add(ctl->listen_ev, NULL);
}

/* Out of descriptors: stop accepting for a moment (the listening socket
 * would stay readable and spin the loop). */
static void pause_accept(xcd_control *ctl)
{
    struct timeval tv = xch__timeval_ms(ACCEPT_PAUSE_MS);

    if (!ctl->resume_ev)
        ctl->resume_ev = evtimer_new(ctl->d->base, resume_accept, ctl);
    if (ctl->resume_ev && !evtimer_add(ctl->resume_ev, &tv))
        event_del(ctl->listen_ev);
}

static void control_accept(evutil_socket_t lfd, short what, void *arg)
{
    struct timeval idle = xch__timeval_ms(CONTROL_IDLE_MS);
    xcd_control *ctl = arg;
    ctl_conn *cn;
    int fd;

    (void)what;
    fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
            errno == ENOMEM)
            pause_accept(ctl);
        return;
    }
    if (!peer_allowed(fd)) {
        close(fd);
        return;
    }
    if (ctl->nconns >= CONNECTIONS_MAX)
        evict_oldest(ctl);
    cn = calloc(1, sizeof(*cn));
    if (!cn) {
        close(fd);
        return;
    }
    cn->ctl = ctl;
    cn->fd = fd;
    cn->passed_fd = -1;
    cn->next = ctl->conns;
    ctl->conns = cn;
    ctl->nconns++;
    cn->ev = event_new(ctl->d->base, fd, EV_READ | EV_PERSIST, conn_event, cn);
    cn->idle_ev = evtimer_new(ctl->d->base, conn_idle, cn);
    if (!cn->ev || !cn->idle_ev || event_add(cn->ev, NULL) ||
        evtimer_add(cn->idle_ev, &idle))
        conn_free(cn);
}

/* Creates the socket's directory (e.g. /run/xenchannel) if missing; a
 * failure shows when binding. */
static void make_parent(const char *path)
{
    char *copy = strdup(path);

    if (copy && strrchr(copy, '/') && strrchr(copy, '/') != copy) {
        *strrchr(copy, '/') = '\0';
        mkdir(copy, 0755);
    }
    free(copy);
}

int xcd_control_open(xcd_daemon *d, const char *path, xcd_control **out)
{
    xcd_transport_config cfg = {.path = path, .mode = 0600, .passed_fd = -1};
    xcd_control *ctl = calloc(1, sizeof(*ctl));
    char *msg = NULL;
    int rc;

    *out = NULL;
    if (!ctl)
        return XCH_ERROR_NOMEM;
    make_parent(path);
    ctl->d = d;
    xcd_transport_init(&ctl->tp, &xcd_transport_socket_ops);
    rc = ctl->tp.ops->open(&ctl->tp, &cfg, &msg);
    if (rc) {
        xcd_log(LOG_ERR, "control socket: %s", msg ? msg : "cannot open");
        free(msg);
        free(ctl);
        return rc;
    }
    ctl->listen_ev = event_new(d->base, ctl->tp.wait_fd, EV_READ | EV_PERSIST,
                               control_accept, ctl);
    if (!ctl->listen_ev || event_add(ctl->listen_ev, NULL)) {
        xcd_control_close(ctl);
        return XCH_ERROR_NOMEM;
    }
    *out = ctl;
    return 0;
}

/* Reads what the client sent and nobody read: a socket closed with
 * unread data resets the connection, and the client might never see the
 * reply written before. */
static void drain_input(int fd)
{
    char buf[REQUEST_MAX];

    while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
        ;
}

/* Sends an error line on fd without waiting; what does not fit is lost
 * (the daemon is going away). */
static void send_error_now(int fd, const char *why)
{
    char *reply = error_reply(xch__sprintf("%s", why));

    drain_input(fd);
    if (reply &&
        send(fd, reply, strlen(reply), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        xcd_log(LOG_DEBUG, "control: refusing a request: %s", strerror(errno));
    free(reply);
}

void xcd_control_refuse_all(xcd_control *ctl, const char *why)
{
    ctl_conn *cn;
    int fd;

    if (!ctl)
        return;
    for (cn = ctl->conns; cn; cn = cn->next) {
        if (!cn->reply)
            send_error_now(cn->fd, why);
        else if (drain_input(cn->fd), send(cn->fd, cn->reply + cn->reply_off,
                                           cn->reply_len - cn->reply_off,
                                           MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
            xcd_log(LOG_DEBUG, "control: a last reply: %s", strerror(errno));
    }
    while ((fd = accept4(ctl->tp.wait_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        if (peer_allowed(fd))
            send_error_now(fd, why);
        close(fd);
    }
}

void xcd_control_close(xcd_control *ctl)
{
    ctl_conn *cn, *next;

    if (!ctl)
        return;
    for (cn = ctl->conns; cn; cn = next) {
        next = cn->next;
        conn_free(cn);
    }
    if (ctl->listen_ev)
        event_free(ctl->listen_ev);
    if (ctl->resume_ev)
        event_free(ctl->resume_ev);
    ctl->tp.ops->close(&ctl->tp);
    free(ctl);
}
