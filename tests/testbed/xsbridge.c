/*
 * xsbridge: one simulated guest's xenbus connection.
 *
 * Usage: xsbridge XENSIM_DIR DOMID SOCKET
 *
 * Plays the guest kernel's xenbus driver: owns the domain's xenstore ring
 * (grant ref 1 of the guest, for dom0) and an unbound event channel for
 * dom0, prints that port and its pid on stdout (the launcher passes the
 * port to INTRODUCE),
 * then serves SOCKET: every libxenstore client connected there talks to
 * xenstored as the guest. Clients are multiplexed on the one ring:
 * requests are forwarded whole and in order, replies matched in order
 * (xenstored answers one connection's requests in order) and given back
 * the client's req_id; each client's watches get tokens of their own and
 * events are routed by token; a client that leaves has its watches removed
 * and its transactions aborted one by one. Everything is driven by poll()
 * on the event channel and the sockets.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <stdint.h>

#include <xen/grant_table.h>
#include <xen/io/xs_wire.h>

#include "xensim.h"

#define HDR_SIZE  sizeof(struct xsd_sockmsg)
#define MSG_MAX   (HDR_SIZE + XENSTORE_PAYLOAD_MAX)
#define TOKEN_MAX 64

struct buf {
    char *data;
    size_t len, cap;
};

struct client;

struct watch {
    struct client *client;
    char *path;
    char *token;            /* the client's */
    char btoken[TOKEN_MAX]; /* ours, on the ring */
    bool acked;
    struct watch *next;
};

struct txn {
    uint32_t id;
    struct txn *next;
};

struct client {
    int fd;
    struct buf in, out;
    struct txn *txns;
    struct client *next;
};

/* A request on the ring whose reply has not come yet. */
struct pending {
    struct client *client; /* NULL: ours, or its client has left */
    uint32_t type;
    uint32_t req_id; /* the client's */
    uint32_t tx_id;
    char btoken[TOKEN_MAX]; /* XS_WATCH: the token registered */
    struct pending *next;
};

struct bridge {
    uint32_t domid;
    struct xenstore_domain_interface *ring;
    struct xensim_evtchn *evtchn;
    uint32_t port;
    int listen_fd;
    int signal_fd; /* SIGTERM, SIGINT: leave cleanly */
    struct client *clients;
    struct watch *watches;
    struct pending *head, *tail;
    struct buf to_ring; /* whole requests waiting for ring space */
    char rsp[MSG_MAX];  /* the reply being read from the ring */
    size_t rsp_len;
    uint32_t next_req_id;
    unsigned long next_token;
};

static void die(const char *what)
{
    fprintf(stderr, "xsbridge: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void buf_append(struct buf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;

        while (cap < b->len + len)
            cap *= 2;
        p = realloc(b->data, cap);
        if (!p)
            die("out of memory");
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static void buf_consume(struct buf *b, size_t n)
{
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

/* ---- the ring ---- */

static void ring_write(struct bridge *br)
{
    struct xenstore_domain_interface *r = br->ring;
    XENSTORE_RING_IDX cons, prod;
    size_t n = 0;

    while (br->to_ring.len > n) {
        size_t off, chunk;

        cons = __atomic_load_n(&r->req_cons, __ATOMIC_RELAXED);
        prod = r->req_prod;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (prod - cons > XENSTORE_RING_SIZE) {
            errno = EIO;
            die("corrupt request ring indices");
        }
        off = MASK_XENSTORE_IDX(prod);
        chunk = XENSTORE_RING_SIZE - (prod - cons);
        if (chunk > XENSTORE_RING_SIZE - off)
            chunk = XENSTORE_RING_SIZE - off;
        if (chunk > br->to_ring.len - n)
            chunk = br->to_ring.len - n;
        if (chunk == 0)
            break;
        memcpy(r->req + off, br->to_ring.data + n, chunk);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        __atomic_store_n(&r->req_prod, prod + (XENSTORE_RING_IDX)chunk,
                         __ATOMIC_RELEASE);
        n += chunk;
    }
    if (n) {
        buf_consume(&br->to_ring, n);
        xensim_evtchn_notify(br->evtchn, br->port);
    }
}

static void send_request(struct bridge *br, struct client *c, uint32_t type,
                         uint32_t req_id, uint32_t tx_id, const char *payload,
                         size_t len, const char *btoken)
{
    struct xsd_sockmsg hdr = {type, br->next_req_id++, tx_id, (uint32_t)len};
    struct pending *p = calloc(1, sizeof(*p));

    if (!p)
        die("out of memory");
    p->client = c;
    p->type = type;
    p->req_id = req_id;
    p->tx_id = tx_id;
    if (btoken)
        snprintf(p->btoken, sizeof(p->btoken), "%s", btoken);
    if (br->tail)
        br->tail->next = p;
    else
        br->head = p;
    br->tail = p;
    buf_append(&br->to_ring, &hdr, HDR_SIZE);
    buf_append(&br->to_ring, payload, len);
}

/* ---- clients ---- */

static void client_send(struct client *c, const struct xsd_sockmsg *hdr,
                        const char *payload)
{
    if (c->fd < 0)
        return;
    buf_append(&c->out, hdr, HDR_SIZE);
    buf_append(&c->out, payload, hdr->len);
}

static void client_flush(struct client *c)
{
    ssize_t r;

    while (c->out.len) {
        r = send(c->fd, c->out.data, c->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return; /* EAGAIN: POLLOUT resumes; errors show up on read */
        buf_consume(&c->out, (size_t)r);
    }
}

static struct watch *find_watch(struct bridge *br, const struct client *c,
                                const char *path, const char *token)
{
    struct watch *w;

    for (w = br->watches; w; w = w->next)
        if (w->client == c && !strcmp(w->path, path) &&
            !strcmp(w->token, token))
            return w;
    return NULL;
}

static void remove_watch(struct bridge *br, struct watch *gone)
{
    struct watch **pp;

    for (pp = &br->watches; *pp; pp = &(*pp)->next) {
        if (*pp == gone) {
            *pp = gone->next;
            free(gone->path);
            free(gone->token);
            free(gone);
            return;
        }
    }
}

static void unwatch_on_ring(struct bridge *br, const char *path,
                            const char *btoken)
{
    struct buf b = {0};

    buf_append(&b, path, strlen(path) + 1);
    buf_append(&b, btoken, strlen(btoken) + 1);
    send_request(br, NULL, XS_UNWATCH, 0, 0, b.data, b.len, NULL);
    free(b.data);
}

static void end_txn_on_ring(struct bridge *br, uint32_t tx_id)
{
    send_request(br, NULL, XS_TRANSACTION_END, 0, tx_id, "F", 2, NULL);
}

static void forget_txn(struct client *c, uint32_t id)
{
    struct txn **pp, *t;

    for (pp = &c->txns; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            t = *pp;
            *pp = t->next;
            free(t);
            return;
        }
    }
}

/* Removes a client's watches and transactions from the ring, one by one. */
static void drop_client_state(struct bridge *br, struct client *c)
{
    struct watch *w, *next;
    struct txn *t;

    for (w = br->watches; w; w = next) {
        next = w->next;
        if (w->client != c)
            continue;
        /*
         * Also when its XS_WATCH is still on the ring: xenstored handles
         * that first, so the watch is gone either way.
         */
        unwatch_on_ring(br, w->path, w->btoken);
        remove_watch(br, w);
    }
    while ((t = c->txns)) {
        c->txns = t->next;
        end_txn_on_ring(br, t->id);
        free(t);
    }
}

static void client_close(struct bridge *br, struct client *c)
{
    struct client **pp;
    struct pending *p;

    drop_client_state(br, c);
    for (p = br->head; p; p = p->next)
        if (p->client == c)
            p->client = NULL;
    for (pp = &br->clients; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    close(c->fd);
    free(c->in.data);
    free(c->out.data);
    free(c);
}

/* Sends a client an error reply without involving xenstored. */
static void client_error(struct client *c, const struct xsd_sockmsg *req,
                         const char *err)
{
    struct xsd_sockmsg hdr = {XS_ERROR, req->req_id, req->tx_id,
                              (uint32_t)strlen(err) + 1};

    client_send(c, &hdr, err);
}

/* One whole request from a client. */
static void client_request(struct bridge *br, struct client *c,
                           const struct xsd_sockmsg *req, const char *payload)
{
    const char *path = payload, *token;
    size_t plen;
    struct watch *w;
    struct buf b = {0};

    switch (req->type) {
    case XS_WATCH:
    case XS_UNWATCH:
        plen = strnlen(payload, req->len);
        if (plen + 1 >= req->len) {
            client_error(c, req, "EINVAL");
            return;
        }
        token = payload + plen + 1;
        if (strnlen(token, req->len - plen - 1) == req->len - plen - 1) {
            client_error(c, req, "EINVAL");
            return;
        }
        w = find_watch(br, c, path, token);
        if (req->type == XS_WATCH && !w) {
            w = calloc(1, sizeof(*w));
            if (!w)
                die("out of memory");
            w->client = c;
            w->path = strdup(path);
            w->token = strdup(token);
            if (!w->path || !w->token)
                die("out of memory");
            snprintf(w->btoken, sizeof(w->btoken), "xsbridge-%lu",
                     br->next_token++);
            w->next = br->watches;
            br->watches = w;
        }
        buf_append(&b, path, plen + 1);
        /* An unknown watch gets a token nobody uses: xenstored's ENOENT. */
        token = w ? w->btoken : "xsbridge-none";
        buf_append(&b, token, strlen(token) + 1);
        send_request(br, c, req->type, req->req_id, req->tx_id, b.data, b.len,
                     token);
        free(b.data);
        return;
    case XS_RESET_WATCHES: {
        /* Only this client's: the ring is shared with other clients. */
        struct xsd_sockmsg ack = {XS_RESET_WATCHES, req->req_id, req->tx_id, 3};

        drop_client_state(br, c);
        client_send(c, &ack, "OK");
        return;
    }
    default:
        send_request(br, c, req->type, req->req_id, req->tx_id, payload,
                     req->len, NULL);
        return;
    }
}

/* Reads what a client sent; false when it has gone or misbehaved. */
static bool client_read(struct bridge *br, struct client *c)
{
    char chunk[MSG_MAX];
    struct xsd_sockmsg hdr;
    ssize_t r;

    r = recv(c->fd, chunk, sizeof(chunk), MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return true;
    if (r <= 0)
        return false;
    buf_append(&c->in, chunk, (size_t)r);
    while (c->in.len >= HDR_SIZE) {
        memcpy(&hdr, c->in.data, HDR_SIZE);
        if (hdr.len > XENSTORE_PAYLOAD_MAX) {
            fprintf(stderr, "xsbridge: client sent a %u-byte payload\n",
                    hdr.len);
            return false;
        }
        if (c->in.len < HDR_SIZE + hdr.len)
            break;
        client_request(br, c, &hdr, c->in.data + HDR_SIZE);
        buf_consume(&c->in, HDR_SIZE + hdr.len);
    }
    return true;
}

/* ---- replies and events from the ring ---- */

static void route_event(struct bridge *br, struct xsd_sockmsg *hdr,
                        const char *payload)
{
    size_t plen = strnlen(payload, hdr->len);
    const char *btoken = payload + plen + 1;
    struct watch *w;
    struct buf b = {0};
    struct xsd_sockmsg out = *hdr;

    if (plen + 1 >= hdr->len)
        return;
    for (w = br->watches; w; w = w->next)
        if (!strncmp(w->btoken, btoken, hdr->len - plen - 1))
            break;
    if (!w)
        return; /* its client has left or unwatched */
    buf_append(&b, payload, plen + 1);
    buf_append(&b, w->token, strlen(w->token) + 1);
    out.len = (uint32_t)b.len;
    client_send(w->client, &out, b.data);
    free(b.data);
}

static bool reply_ok(const struct xsd_sockmsg *hdr)
{
    return hdr->type != XS_ERROR;
}

static void route_reply(struct bridge *br, struct xsd_sockmsg *hdr,
                        const char *payload)
{
    struct pending *p = br->head;
    struct client *c;
    struct watch *w;

    if (!p) {
        fprintf(stderr, "xsbridge: reply type %u to no request\n", hdr->type);
        return;
    }
    br->head = p->next;
    if (!br->head)
        br->tail = NULL;
    c = p->client;

    switch (p->type) {
    case XS_TRANSACTION_START:
        if (reply_ok(hdr)) {
            uint32_t id = (uint32_t)strtoul(payload, NULL, 10);

            if (!c) {
                end_txn_on_ring(br, id); /* its client has left */
            } else {
                struct txn *t = calloc(1, sizeof(*t));

                if (!t)
                    die("out of memory");
                t->id = id;
                t->next = c->txns;
                c->txns = t;
            }
        }
        break;
    case XS_TRANSACTION_END:
        if (c)
            forget_txn(c, p->tx_id);
        break;
    case XS_WATCH:
        for (w = br->watches; w; w = w->next)
            if (w->client == c && c && !strcmp(w->btoken, p->btoken))
                break;
        if (w && reply_ok(hdr))
            w->acked = true;
        else if (w && !w->acked)
            remove_watch(br, w); /* refused */
        break;
    case XS_UNWATCH:
        for (w = br->watches; w; w = w->next)
            if (w->client == c && c && !strcmp(w->btoken, p->btoken))
                break;
        if (w && reply_ok(hdr))
            remove_watch(br, w);
        break;
    default:
        break;
    }
    if (c) {
        hdr->req_id = p->req_id;
        client_send(c, hdr, payload);
    }
    free(p);
}

static void ring_read(struct bridge *br)
{
    struct xenstore_domain_interface *r = br->ring;
    XENSTORE_RING_IDX cons, prod;
    bool moved = false;

    for (;;) {
        struct xsd_sockmsg hdr;
        size_t want, off, chunk;

        cons = r->rsp_cons;
        prod = __atomic_load_n(&r->rsp_prod, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (prod - cons > XENSTORE_RING_SIZE) {
            errno = EIO;
            die("corrupt response ring indices");
        }
        if (prod == cons)
            break;
        want = HDR_SIZE;
        if (br->rsp_len >= HDR_SIZE) {
            memcpy(&hdr, br->rsp, HDR_SIZE);
            if (hdr.len > XENSTORE_PAYLOAD_MAX) {
                errno = EPROTO;
                die("oversized message from xenstored");
            }
            want = HDR_SIZE + hdr.len;
        }
        off = MASK_XENSTORE_IDX(cons);
        chunk = prod - cons;
        if (chunk > XENSTORE_RING_SIZE - off)
            chunk = XENSTORE_RING_SIZE - off;
        if (chunk > want - br->rsp_len)
            chunk = want - br->rsp_len;
        memcpy(br->rsp + br->rsp_len, r->rsp + off, chunk);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        __atomic_store_n(&r->rsp_cons, cons + (XENSTORE_RING_IDX)chunk,
                         __ATOMIC_RELEASE);
        moved = true;
        br->rsp_len += chunk;
        if (br->rsp_len < HDR_SIZE)
            continue;
        memcpy(&hdr, br->rsp, HDR_SIZE);
        if (hdr.len > XENSTORE_PAYLOAD_MAX) {
            errno = EPROTO;
            die("oversized message from xenstored");
        }
        if (br->rsp_len < HDR_SIZE + hdr.len)
            continue;
        /* A whole message: NUL-terminate past it for the string code. */
        br->rsp[HDR_SIZE + hdr.len] = '\0';
        if (hdr.type == XS_WATCH_EVENT)
            route_event(br, &hdr, br->rsp + HDR_SIZE);
        else
            route_reply(br, &hdr, br->rsp + HDR_SIZE);
        br->rsp_len = 0;
    }
    if (moved)
        xensim_evtchn_notify(br->evtchn, br->port);
}

/* ---- set-up and the loop ---- */

static int listen_on(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    size_t len = strlen(path);

    if (len >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        die(path);
    }
    memcpy(sa.sun_path, path, len + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    unlink(path);
    if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64))
        die(path);
    return fd;
}

static void accept_client(struct bridge *br)
{
    struct client *c;
    int fd = accept4(br->listen_fd, NULL, NULL, SOCK_CLOEXEC);

    if (fd < 0)
        return;
    c = calloc(1, sizeof(*c));
    if (!c)
        die("out of memory");
    c->fd = fd;
    c->next = br->clients;
    br->clients = c;
}

/* Runs until a termination signal comes. */
static void serve(struct bridge *br)
{
    struct pollfd *pfds = NULL;
    struct client **cl = NULL;
    size_t cap = 0;

    for (;;) {
        struct client *c, *next;
        size_t n = 3, i;

        for (c = br->clients; c; c = c->next)
            n++;
        if (n > cap) {
            struct pollfd *np = realloc(pfds, n * 2 * sizeof(*np));
            struct client **nc;

            if (!np)
                die("out of memory");
            pfds = np;
            nc = realloc(cl, n * 2 * sizeof(struct client *));
            if (!nc)
                die("out of memory");
            cl = nc;
            cap = n * 2;
        }
        pfds[0] = (struct pollfd){xensim_evtchn_fd(br->evtchn), POLLIN, 0};
        pfds[1] = (struct pollfd){br->listen_fd, POLLIN, 0};
        pfds[2] = (struct pollfd){br->signal_fd, POLLIN, 0};
        for (i = 3, c = br->clients; c; c = c->next, i++) {
            cl[i] = c;
            pfds[i] = (struct pollfd){c->fd, POLLIN, 0};
            if (c->out.len)
                pfds[i].events |= POLLOUT;
        }
        if (poll(pfds, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (pfds[0].revents & POLLIN) {
            int port = xensim_evtchn_pending(br->evtchn);

            if (port >= 0)
                xensim_evtchn_unmask(br->evtchn, (uint32_t)port);
        }
        if (pfds[2].revents & POLLIN)
            break;
        if (pfds[1].revents & POLLIN)
            accept_client(br);
        for (i = 3; i < n; i++) {
            if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (!client_read(br, cl[i])) {
                    client_close(br, cl[i]);
                    cl[i] = NULL;
                }
            }
        }
        /* Move whatever can move, whichever event woke us. */
        ring_write(br);
        ring_read(br);
        ring_write(br);
        for (c = br->clients; c; c = next) {
            next = c->next;
            client_flush(c);
        }
    }
    free(pfds);
    free(cl);
}

int main(int argc, char **argv)
{
    struct bridge br = {.listen_fd = -1, .next_req_id = 1, .next_token = 1};
    uint32_t ref = 0;
    uint32_t reserved = GNTTAB_RESERVED_XENSTORE;
    char *end = NULL;
    sigset_t stop;
    int port, null;

    if (argc != 4) {
        fprintf(stderr, "usage: xsbridge XENSIM_DIR DOMID SOCKET\n");
        return 2;
    }
    br.domid = (uint32_t)strtoul(argv[2], &end, 10);
    if (!*argv[2] || *end) {
        fprintf(stderr, "xsbridge: '%s' is not a domid\n", argv[2]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    if (sigprocmask(SIG_BLOCK, &stop, NULL))
        die("sigprocmask");
    br.signal_fd = signalfd(-1, &stop, SFD_CLOEXEC);
    if (br.signal_fd < 0)
        die("signalfd");

    /* A domid used before may have left its ring grant behind. */
    xensim_grant_end(argv[1], br.domid, 0, 1, &reserved);
    br.ring = xensim_grant_share(argv[1], br.domid, 0, 1, reserved, &ref);
    if (!br.ring)
        die("sharing the xenstore ring");
    br.evtchn = xensim_evtchn_open(argv[1], br.domid, -1);
    if (!br.evtchn)
        die("opening event channels");
    port = xensim_evtchn_bind_unbound(br.evtchn, 0);
    if (port < 0)
        die("allocating the xenstore event channel");
    br.port = (uint32_t)port;
    br.listen_fd = listen_on(argv[3]);

    /* Readiness: the port and our pid, then stdout closes. */
    printf("%d %ld\n", port, (long)getpid());
    fflush(stdout);
    null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
        die("/dev/null");
    close(null);

    serve(&br);

    /* The guest kernel goes away: its channel and ring go with it. */
    while (br.clients)
        client_close(&br, br.clients);
    xensim_evtchn_close(br.evtchn);
    xensim_grant_end(argv[1], br.domid, 0, 1, &reserved);
    munmap(br.ring, XENSIM_PAGE_SIZE);
    unlink(argv[3]);
    close(br.listen_fd);
    close(br.signal_fd);
    while (br.head) {
        struct pending *p = br.head;

        br.head = p->next;
        free(p);
    }
    free(br.to_ring.data);
    return 0;
}
