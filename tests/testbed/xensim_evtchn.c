/*
 * xensim: event channels between processes of one simulated host.
 *
 * Each domain has a file evtchn/d<D> of XENSIM_MAX_PORTS port records,
 * mapped shared by every handle that touches the domain. Record 0 is never
 * a port. Allocating, pairing and freeing ports happen under an flock of
 * evtchn/lock; notify and unmask only use atomics on the records.
 *
 * Delivery: every bound port owns a datagram socket evtchn/p<D>.<port>,
 * registered in its handle's epoll descriptor, which is what
 * xenevtchn_fd() returns. Like Linux's evtchn driver, a port is masked when
 * an event is delivered and the receiver unmasks it after pending(): so at
 * most one datagram per port is ever queued and a sender never blocks.
 * Events coalesce through the PENDING bit exactly as on Xen.
 */
#include "xensim.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DOMID_SELF 0x7FF0U

enum port_kind {
    PORT_FREE,
    PORT_UNBOUND,
    PORT_INTERDOMAIN,
    PORT_VIRQ,
};

#define BIT_PENDING 1U
#define BIT_MASKED  2U

struct port_rec {
    uint32_t bits;        /* atomic: BIT_PENDING | BIT_MASKED */
    uint32_t kind;        /* atomic: enum port_kind */
    uint32_t remote_dom;  /* unbound: who may bind; interdomain: peer */
    uint32_t remote_port; /* interdomain: peer's port */
    uint32_t virq;
    int32_t owner_pid;  /* 0: the kernel's port, nobody receives */
    int32_t owner_epfd; /* with owner_pid: the owning handle */
    int32_t sockfd;     /* the owner's socket for this port */
};

#define PORTS_BYTES (sizeof(struct port_rec) * XENSIM_MAX_PORTS)

struct dom_map {
    uint32_t domid;
    struct port_rec *ports;
    struct dom_map *next;
};

/* The addresses of the ports a handle sends events to, built once: a
 * relay notifies one port thousands of times a second, and formatting its
 * path each time was most of the preload's cost. */
#define ADDR_CACHE 16

struct addr_entry {
    uint32_t domid, port; /* port 0: empty */
    struct sockaddr_un sa;
};

struct xensim_evtchn {
    char *dir;
    uint32_t domid;
    pid_t pid;
    int epfd;
    int sendfd;
    pthread_mutex_t lock; /* protects maps and addrs */
    struct dom_map *maps;
    struct addr_entry addrs[ADDR_CACHE];
};

static uint32_t load32(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store32(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static struct port_rec *map_ports(const char *dir, uint32_t domid)
{
    char path[4096];
    void *p = MAP_FAILED;
    struct stat st;
    int fd;

    if (domid >= DOMID_SELF) {
        errno = EINVAL;
        return NULL;
    }
    if (xensim_path(path, sizeof(path), dir, "evtchn/d%u", domid))
        return NULL;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) == 0 &&
        (st.st_size >= (off_t)PORTS_BYTES || !ftruncate(fd, PORTS_BYTES)))
        p = mmap(NULL, PORTS_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

/* The records of domid, mapped once per handle. The list is kept in
 * most-recently-used order: a backend of many guests maps every guest's
 * records, and its own domain's and the guest it is serving are looked
 * up at every notify and unmask. */
static struct port_rec *ports_of(struct xensim_evtchn *h, uint32_t domid)
{
    struct port_rec *ports = NULL;
    struct dom_map *m, **pp;

    pthread_mutex_lock(&h->lock);
    for (pp = &h->maps; (m = *pp); pp = &m->next) {
        if (m->domid == domid) {
            ports = m->ports;
            *pp = m->next;
            m->next = h->maps;
            h->maps = m;
            goto out;
        }
    }
    m = malloc(sizeof(*m));
    if (!m)
        goto out;
    m->ports = map_ports(h->dir, domid);
    if (!m->ports) {
        free(m);
        goto out;
    }
    m->domid = domid;
    m->next = h->maps;
    h->maps = m;
    ports = m->ports;
out:
    pthread_mutex_unlock(&h->lock);
    return ports;
}

static int lock_ports(const char *dir)
{
    char path[4096];
    int fd;

    if (xensim_path(path, sizeof(path), dir, "evtchn/lock"))
        return -1;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX)) {
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

static void unlock_ports(int fd)
{
    int saved = errno;

    close(fd);
    errno = saved;
}

static int port_addr(struct sockaddr_un *sa, const char *dir, uint32_t domid,
                     uint32_t port)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    return xensim_path(sa->sun_path, sizeof(sa->sun_path), dir, "evtchn/p%u.%u",
                       domid, port);
}

/* Sends the event for port (of domid) to whoever owns that port; h, if
 * not NULL, keeps the address for the next time. */
static void send_event(struct xensim_evtchn *h, int sendfd, const char *dir,
                       uint32_t domid, uint32_t port)
{
    struct sockaddr_un sa;
    struct addr_entry *e;

    if (h) {
        e = &h->addrs[(domid * 31U + port) % ADDR_CACHE];
        pthread_mutex_lock(&h->lock);
        if (e->port == port && e->domid == domid) {
            sa = e->sa;
        } else if (port_addr(&sa, dir, domid, port)) {
            pthread_mutex_unlock(&h->lock);
            return;
        } else {
            e->domid = domid;
            e->port = port;
            e->sa = sa;
        }
        pthread_mutex_unlock(&h->lock);
    } else if (port_addr(&sa, dir, domid, port)) {
        return;
    }
    /*
     * A full queue already holds an event for this very port, and an
     * owner that is gone is a closed port: both are fine to ignore.
     */
    (void)sendto(sendfd, &port, sizeof(port), MSG_DONTWAIT,
                 (const struct sockaddr *)&sa, sizeof(sa));
}

/* Delivers an event unless one is pending or the port is masked. */
static void raise_port(struct xensim_evtchn *h, int sendfd, const char *dir,
                       uint32_t domid, struct port_rec *rec, uint32_t port)
{
    uint32_t old;

    old = __atomic_fetch_or(&rec->bits, BIT_PENDING, __ATOMIC_ACQ_REL);
    if (old & BIT_PENDING)
        return;
    old = __atomic_fetch_or(&rec->bits, BIT_MASKED, __ATOMIC_ACQ_REL);
    if (old & BIT_MASKED)
        return; /* stays pending: the owner's unmask delivers it */
    __atomic_fetch_and(&rec->bits, ~BIT_PENDING, __ATOMIC_ACQ_REL);
    if (rec->owner_pid)
        send_event(h, sendfd, dir, domid, port);
}

/* A zombie has closed its descriptors: for us it is gone too. */
static bool is_zombie(pid_t pid)
{
    char path[64], buf[256], *p;
    ssize_t r;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    r = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (r <= 0)
        return false;
    buf[r] = '\0';
    p = strrchr(buf, ')'); /* "pid (comm) S ...": comm may hold spaces */
    return p && p[1] == ' ' && p[2] == 'Z';
}

static bool owner_alive(const struct port_rec *rec)
{
    if (rec->owner_pid == 0)
        return true;
    if (kill(rec->owner_pid, 0) && errno == ESRCH)
        return false;
    return !is_zombie(rec->owner_pid);
}

static bool owned_by(const struct port_rec *rec, const struct xensim_evtchn *h)
{
    return rec->owner_pid == h->pid && rec->owner_epfd == h->epfd;
}

/*
 * Frees a port (lock held): its peer goes back to unbound, as on Xen when
 * one end closes. close_sock: the port's socket belongs to this process.
 */
static void free_port_locked(const char *dir, uint32_t domid,
                             struct port_rec *ports, uint32_t port,
                             bool close_sock)
{
    struct port_rec *rec = &ports[port];
    struct sockaddr_un sa;

    if (load32(&rec->kind) == PORT_INTERDOMAIN) {
        uint32_t rdom = rec->remote_dom, rport = rec->remote_port;
        struct port_rec *rports = rdom == domid ? ports : map_ports(dir, rdom);

        if (rports && rport > 0 && rport < XENSIM_MAX_PORTS) {
            struct port_rec *peer = &rports[rport];

            if (load32(&peer->kind) == PORT_INTERDOMAIN &&
                peer->remote_dom == domid && peer->remote_port == port) {
                peer->remote_port = 0;
                store32(&peer->kind, PORT_UNBOUND);
            }
        }
        if (rports && rports != ports)
            munmap(rports, PORTS_BYTES);
    }
    store32(&rec->kind, PORT_FREE);
    if (close_sock && rec->sockfd >= 0)
        close(rec->sockfd);
    if (rec->owner_pid && !port_addr(&sa, dir, domid, port))
        unlink(sa.sun_path);
    memset(rec, 0, sizeof(*rec));
    rec->sockfd = -1;
}

/* Owners already looked at during one scan of the ports: a domain's
 * ports mostly belong to a few processes (a backend serving 1,000
 * channels owns 1,000 of them), so each is asked about once a scan. */
#define OWNERS_SEEN 8

struct owners_seen {
    pid_t pid[OWNERS_SEEN];
    bool alive[OWNERS_SEEN];
    unsigned int n, next;
};

static bool owner_alive_seen(struct owners_seen *seen,
                             const struct port_rec *rec)
{
    unsigned int i;
    bool alive;

    if (rec->owner_pid == 0)
        return true;
    for (i = 0; i < seen->n; i++)
        if (seen->pid[i] == rec->owner_pid)
            return seen->alive[i];
    alive = owner_alive(rec);
    i = seen->n < OWNERS_SEEN ? seen->n++ : seen->next++ % OWNERS_SEEN;
    seen->pid[i] = rec->owner_pid;
    seen->alive[i] = alive;
    return alive;
}

/* The lowest free port of a domain (lock held); reclaims dead owners'. */
static int alloc_port_locked(const char *dir, uint32_t domid,
                             struct port_rec *ports)
{
    struct owners_seen seen = {.n = 0};
    uint32_t p;

    for (p = 1; p < XENSIM_MAX_PORTS; p++) {
        struct port_rec *rec = &ports[p];

        if (load32(&rec->kind) != PORT_FREE && !owner_alive_seen(&seen, rec))
            free_port_locked(dir, domid, ports, p, false);
        if (load32(&rec->kind) == PORT_FREE)
            return (int)p;
    }
    errno = ENOSPC;
    return -1;
}

/*
 * Allocates a port of h's domain with its socket, and fills it in as kind
 * (lock held). Returns the port or -1.
 */
static int new_port_locked(struct xensim_evtchn *h, struct port_rec *ports,
                           enum port_kind kind, uint32_t remote_dom,
                           uint32_t remote_port, uint32_t virq)
{
    struct epoll_event ev;
    struct sockaddr_un sa;
    struct port_rec *rec;
    int port, fd = -1;

    port = alloc_port_locked(h->dir, h->domid, ports);
    if (port < 0)
        return -1;
    if (port_addr(&sa, h->dir, h->domid, (uint32_t)port))
        return -1;
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(sa.sun_path); /* left by an owner that died */
    if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)))
        goto fail;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.u64 = ((uint64_t)(uint32_t)port << 32) | (uint32_t)fd;
    if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev))
        goto fail;
    rec = &ports[port];
    rec->bits = 0;
    rec->remote_dom = remote_dom;
    rec->remote_port = remote_port;
    rec->virq = virq;
    rec->owner_pid = h->pid;
    rec->owner_epfd = h->epfd;
    rec->sockfd = fd;
    store32(&rec->kind, kind);
    return port;

fail:
    unlink(sa.sun_path);
    close(fd);
    return -1;
}

struct xensim_evtchn *xensim_evtchn_open(const char *dir, uint32_t domid,
                                         int fd)
{
    struct xensim_evtchn *h = NULL;

    h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->epfd = -1;
    h->sendfd = -1;
    pthread_mutex_init(&h->lock, NULL);
    h->domid = domid;
    h->pid = getpid();
    h->dir = strdup(dir);
    if (!h->dir)
        goto fail;
    /* Adopting an fd: the records already name it as their owner. */
    h->epfd = fd >= 0 ? fd : epoll_create1(EPOLL_CLOEXEC);
    if (h->epfd < 0)
        goto fail;
    h->sendfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (h->sendfd < 0)
        goto fail;
    if (!ports_of(h, domid))
        goto fail;
    return h;

fail:
    if (fd < 0 && h->epfd >= 0)
        close(h->epfd);
    h->epfd = -1;
    xensim_evtchn_close(h);
    return NULL;
}

void xensim_evtchn_close(struct xensim_evtchn *h)
{
    struct port_rec *ports;
    struct dom_map *m;
    uint32_t p;
    int lk;

    if (!h)
        return;
    if (h->epfd >= 0 && (ports = ports_of(h, h->domid))) {
        lk = lock_ports(h->dir);
        for (p = 1; p < XENSIM_MAX_PORTS; p++)
            if (load32(&ports[p].kind) != PORT_FREE && owned_by(&ports[p], h))
                free_port_locked(h->dir, h->domid, ports, p, true);
        if (lk >= 0)
            unlock_ports(lk);
    }
    while ((m = h->maps)) {
        h->maps = m->next;
        munmap(m->ports, PORTS_BYTES);
        free(m);
    }
    if (h->epfd >= 0)
        close(h->epfd);
    if (h->sendfd >= 0)
        close(h->sendfd);
    pthread_mutex_destroy(&h->lock);
    free(h->dir);
    free(h);
}

int xensim_evtchn_fd(const struct xensim_evtchn *h)
{
    return h->epfd;
}

int xensim_evtchn_bind_unbound(struct xensim_evtchn *h, uint32_t remote_dom)
{
    struct port_rec *ports = ports_of(h, h->domid);
    int lk, port;

    if (!ports)
        return -1;
    if (remote_dom == DOMID_SELF)
        remote_dom = h->domid;
    lk = lock_ports(h->dir);
    if (lk < 0)
        return -1;
    port = new_port_locked(h, ports, PORT_UNBOUND, remote_dom, 0, 0);
    unlock_ports(lk);
    return port;
}

int xensim_evtchn_bind_interdomain(struct xensim_evtchn *h, uint32_t remote_dom,
                                   uint32_t remote_port)
{
    struct port_rec *ports = ports_of(h, h->domid), *rports, *peer;
    int lk, port = -1;

    if (remote_dom == DOMID_SELF)
        remote_dom = h->domid;
    if (!ports || remote_port == 0 || remote_port >= XENSIM_MAX_PORTS) {
        errno = EINVAL;
        return -1;
    }
    rports = ports_of(h, remote_dom);
    if (!rports)
        return -1;
    lk = lock_ports(h->dir);
    if (lk < 0)
        return -1;
    peer = &rports[remote_port];
    /*
     * A peer still paired with a port of a process that died (e.g. a
     * backend restarting) is unbound, as Xen closes a dead process's ports.
     */
    if (load32(&peer->kind) == PORT_INTERDOMAIN &&
        peer->remote_dom == h->domid && peer->remote_port > 0 &&
        peer->remote_port < XENSIM_MAX_PORTS &&
        load32(&ports[peer->remote_port].kind) == PORT_INTERDOMAIN &&
        !owner_alive(&ports[peer->remote_port]))
        free_port_locked(h->dir, h->domid, ports, peer->remote_port, false);
    /* Xen: the remote port must be unbound and offered to us. */
    if (load32(&peer->kind) != PORT_UNBOUND || peer->remote_dom != h->domid ||
        !owner_alive(peer)) {
        errno = EINVAL;
        goto out;
    }
    port =
        new_port_locked(h, ports, PORT_INTERDOMAIN, remote_dom, remote_port, 0);
    if (port < 0)
        goto out;
    peer->remote_port = (uint32_t)port;
    store32(&peer->kind, PORT_INTERDOMAIN);
out:
    unlock_ports(lk);
    return port;
}

int xensim_evtchn_bind_virq(struct xensim_evtchn *h, uint32_t virq)
{
    struct port_rec *ports = ports_of(h, h->domid);
    int lk, port = -1;
    uint32_t p;

    if (!ports)
        return -1;
    lk = lock_ports(h->dir);
    if (lk < 0)
        return -1;
    for (p = 1; p < XENSIM_MAX_PORTS; p++) {
        if (load32(&ports[p].kind) == PORT_VIRQ && ports[p].virq == virq &&
            owner_alive(&ports[p])) {
            errno = EEXIST; /* Xen binds a VIRQ once per vcpu */
            goto out;
        }
    }
    port = new_port_locked(h, ports, PORT_VIRQ, 0, 0, virq);
out:
    unlock_ports(lk);
    return port;
}

/* The record of one of h's own ports, or NULL with EINVAL. */
static struct port_rec *own_port(struct xensim_evtchn *h, uint32_t port)
{
    struct port_rec *ports = ports_of(h, h->domid);

    if (!ports || port == 0 || port >= XENSIM_MAX_PORTS ||
        load32(&ports[port].kind) == PORT_FREE || !owned_by(&ports[port], h)) {
        errno = EINVAL;
        return NULL;
    }
    return &ports[port];
}

int xensim_evtchn_notify(struct xensim_evtchn *h, uint32_t port)
{
    struct port_rec *rec = own_port(h, port), *rports;
    uint32_t rdom, rport;

    if (!rec)
        return -1;
    if (load32(&rec->kind) != PORT_INTERDOMAIN)
        return 0; /* Xen: sending on an unbound port does nothing */
    rdom = rec->remote_dom;
    rport = rec->remote_port;
    if (rport == 0 || rport >= XENSIM_MAX_PORTS)
        return 0;
    rports = ports_of(h, rdom);
    if (!rports)
        return -1;
    raise_port(h, h->sendfd, h->dir, rdom, &rports[rport], rport);
    return 0;
}

int xensim_evtchn_pending(struct xensim_evtchn *h)
{
    struct epoll_event ev;
    uint32_t port;
    ssize_t r;
    int n, flags, timeout;

    flags = fcntl(h->epfd, F_GETFL);
    timeout = flags >= 0 && (flags & O_NONBLOCK) ? 0 : -1;
    for (;;) {
        n = epoll_wait(h->epfd, &ev, 1, timeout);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EAGAIN;
            return -1;
        }
        r = recv((int)(ev.data.u64 & 0xffffffffU), &port, sizeof(port),
                 MSG_DONTWAIT);
        if (r == (ssize_t)sizeof(port))
            return (int)port;
        if (r < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        /* Another thread took it: wait again. */
    }
}

int xensim_evtchn_unmask(struct xensim_evtchn *h, uint32_t port)
{
    struct port_rec *rec = own_port(h, port);
    uint32_t old;

    if (!rec)
        return -1;
    old = __atomic_fetch_and(&rec->bits, ~BIT_MASKED, __ATOMIC_ACQ_REL);
    if (!(old & BIT_PENDING))
        return 0;
    /* An event came while masked: deliver it now, as Xen does. */
    old = __atomic_fetch_or(&rec->bits, BIT_MASKED, __ATOMIC_ACQ_REL);
    if (!(old & BIT_MASKED)) {
        __atomic_fetch_and(&rec->bits, ~BIT_PENDING, __ATOMIC_ACQ_REL);
        send_event(h, h->sendfd, h->dir, h->domid, port);
    }
    return 0;
}

int xensim_evtchn_unbind(struct xensim_evtchn *h, uint32_t port)
{
    struct port_rec *ports = ports_of(h, h->domid);
    int lk;

    if (!ports)
        return -1;
    lk = lock_ports(h->dir);
    if (lk < 0)
        return -1;
    if (!own_port(h, port)) {
        unlock_ports(lk);
        return -1;
    }
    epoll_ctl(h->epfd, EPOLL_CTL_DEL, ports[port].sockfd, NULL);
    free_port_locked(h->dir, h->domid, ports, port, true);
    unlock_ports(lk);
    return 0;
}

int xensim_evtchn_alloc_kernel_port(const char *dir, uint32_t domid,
                                    uint32_t remote_dom)
{
    struct port_rec *ports = map_ports(dir, domid);
    int lk, port = -1;

    if (!ports)
        return -1;
    lk = lock_ports(dir);
    if (lk < 0)
        goto out;
    port = alloc_port_locked(dir, domid, ports);
    if (port > 0) {
        struct port_rec *rec = &ports[port];

        rec->bits = 0;
        rec->remote_dom = remote_dom;
        rec->remote_port = 0;
        rec->owner_pid = 0;
        rec->owner_epfd = -1;
        rec->sockfd = -1;
        store32(&rec->kind, PORT_UNBOUND);
    }
    unlock_ports(lk);
out:
    munmap(ports, PORTS_BYTES);
    return port;
}

int xensim_evtchn_raise_virq(const char *dir, uint32_t domid, uint32_t virq)
{
    struct port_rec *ports = map_ports(dir, domid);
    int sendfd = -1, raised = 0;
    uint32_t p;

    if (!ports)
        return -1;
    sendfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sendfd < 0) {
        raised = -1;
        goto out;
    }
    for (p = 1; p < XENSIM_MAX_PORTS; p++) {
        if (load32(&ports[p].kind) == PORT_VIRQ && ports[p].virq == virq) {
            raise_port(NULL, sendfd, dir, domid, &ports[p], p);
            raised++;
        }
    }
out:
    if (sendfd >= 0)
        close(sendfd);
    munmap(ports, PORTS_BYTES);
    return raised;
}
