/*
 * ring.c - the console ring (struct xencons_interface), both ends.
 *
 * See xenchannel_ring.h for the rules. The peer's indices are read, and
 * ours published, with relaxed atomic accesses so that the compiler reads
 * each exactly once and never tears or re-reads them; the ordering comes
 * from the explicit fences. Our own indices live in struct xch_ring.
 */
#include <stdbool.h>
#include <string.h>

#include "xenchannel_ring.h"

/* One direction of the ring, as seen by the side using it: `own` is this
 * side's private copy of the index it owns in that direction, `pub` where
 * it is published, `peer` the index the peer owns. */
typedef struct ring_dir {
    char *data;
    uint32_t size;
    XENCONS_RING_IDX *own;
    XENCONS_RING_IDX *pub;
    XENCONS_RING_IDX *peer;
} ring_dir;

/* What one look at the peer's index found. */
typedef struct ring_snap {
    XENCONS_RING_IDX cons;
    XENCONS_RING_IDX prod;
    uint32_t used;
} ring_snap;

static void ring_mb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void ring_wmb(void)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

static XENCONS_RING_IDX load_idx(const XENCONS_RING_IDX *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* The direction this side consumes: `out` for the backend, `in` for the
 * frontend. The peer owns its producer index. */
static void ring_rx(const xch_ring *r, ring_dir *d)
{
    struct xencons_interface *intf = r->intf;
    bool be = r->side == XCH_RING_BACKEND;

    d->data = be ? intf->out : intf->in;
    d->size = be ? sizeof(intf->out) : sizeof(intf->in);
    d->own = (XENCONS_RING_IDX *)&r->rx_cons;
    d->pub = be ? &intf->out_cons : &intf->in_cons;
    d->peer = be ? &intf->out_prod : &intf->in_prod;
}

/* The direction this side produces into. The peer owns its consumer
 * index. */
static void ring_tx(const xch_ring *r, ring_dir *d)
{
    struct xencons_interface *intf = r->intf;
    bool be = r->side == XCH_RING_BACKEND;

    d->data = be ? intf->in : intf->out;
    d->size = be ? sizeof(intf->in) : sizeof(intf->out);
    d->own = (XENCONS_RING_IDX *)&r->tx_prod;
    d->pub = be ? &intf->in_prod : &intf->out_prod;
    d->peer = be ? &intf->in_cons : &intf->out_cons;
}

/* Reads the peer's index once, then a full barrier (nothing from the data
 * is read before it), then checks it against our own. */
static int rx_snapshot(const ring_dir *d, ring_snap *s)
{
    s->cons = *d->own;
    s->prod = load_idx(d->peer);
    ring_mb();
    s->used = s->prod - s->cons;
    return s->used > d->size ? XCH_ERROR_RING_CORRUPT : 0;
}

static int tx_snapshot(const ring_dir *d, ring_snap *s)
{
    s->prod = *d->own;
    s->cons = load_idx(d->peer);
    ring_mb();
    s->used = s->prod - s->cons;
    return s->used > d->size ? XCH_ERROR_RING_CORRUPT : 0;
}

/* Moves our own index of d by n and publishes it. */
static void publish(const ring_dir *d, size_t n)
{
    *d->own += (XENCONS_RING_IDX)n;
    __atomic_store_n(d->pub, *d->own, __ATOMIC_RELAXED);
}

/* Describe len bytes of d's data starting at index idx as up to two
 * segments. */
static int ring_segments(const ring_dir *d, XENCONS_RING_IDX idx, size_t len,
                         struct iovec iov[2])
{
    size_t off = idx & (d->size - 1);
    size_t first = d->size - off;

    if (len == 0)
        return 0;
    if (first > len)
        first = len;
    iov[0].iov_base = d->data + off;
    iov[0].iov_len = first;
    if (first == len)
        return 1;
    iov[1].iov_base = d->data;
    iov[1].iov_len = len - first;
    return 2;
}

void xch_ring_attach(xch_ring *r, void *page, xch_ring_side side)
{
    ring_dir rx, tx;

    r->intf = page;
    r->side = side;
    ring_rx(r, &rx);
    ring_tx(r, &tx);
    r->rx_cons = load_idx(rx.pub);
    r->tx_prod = load_idx(tx.pub);
    r->tx_cons_seen = load_idx(tx.peer);
}

int xch_ring_readable(const xch_ring *r, size_t *avail)
{
    ring_dir d;
    ring_snap s;
    int rc;

    ring_rx(r, &d);
    rc = rx_snapshot(&d, &s);
    if (rc)
        return rc;
    *avail = s.used;
    return 0;
}

int xch_ring_writable(const xch_ring *r, size_t *room)
{
    ring_dir d;
    ring_snap s;
    int rc;

    ring_tx(r, &d);
    rc = tx_snapshot(&d, &s);
    if (rc)
        return rc;
    *room = d.size - s.used;
    return 0;
}

ssize_t xch_ring_read(xch_ring *r, void *buf, size_t len)
{
    struct iovec iov[2];
    ssize_t avail;
    size_t n = 0;
    int i, niov = 0;

    avail = xch_ring_peek(r, iov, &niov);
    if (avail <= 0)
        return avail;
    for (i = 0; i < niov && n < len; i++) {
        size_t chunk = iov[i].iov_len < len - n ? iov[i].iov_len : len - n;

        memcpy((char *)buf + n, iov[i].iov_base, chunk);
        n += chunk;
    }
    return xch_ring_consume(r, n) ? XCH_ERROR_RING_CORRUPT : (ssize_t)n;
}

ssize_t xch_ring_write(xch_ring *r, const void *buf, size_t len)
{
    struct iovec iov[2];
    ssize_t room;
    size_t n = 0;
    int i, niov = 0;

    room = xch_ring_reserve(r, iov, &niov);
    if (room <= 0)
        return room;
    for (i = 0; i < niov && n < len; i++) {
        size_t chunk = iov[i].iov_len < len - n ? iov[i].iov_len : len - n;

        memcpy(iov[i].iov_base, (const char *)buf + n, chunk);
        n += chunk;
    }
    return xch_ring_commit(r, n) ? XCH_ERROR_RING_CORRUPT : (ssize_t)n;
}

ssize_t xch_ring_peek(const xch_ring *r, struct iovec iov[2], int *niov)
{
    ring_dir d;
    ring_snap s;
    int rc;

    ring_rx(r, &d);
    rc = rx_snapshot(&d, &s);
    if (rc)
        return rc;
    *niov = ring_segments(&d, s.cons, s.used, iov);
    return (ssize_t)s.used;
}

int xch_ring_consume(xch_ring *r, size_t n)
{
    ring_dir d;
    ring_snap s;
    int rc;

    ring_rx(r, &d);
    if (n > d.size)
        return XCH_ERROR_INVAL;
    rc = rx_snapshot(&d, &s);
    if (rc)
        return rc;
    if (n > s.used)
        return XCH_ERROR_RING_CORRUPT;
    if (n == 0)
        return 0;
    ring_mb(); /* the data is read before the peer may overwrite it */
    publish(&d, n);
    return 0;
}

ssize_t xch_ring_reserve(const xch_ring *r, struct iovec iov[2], int *niov)
{
    ring_dir d;
    ring_snap s;
    uint32_t room;
    int rc;

    ring_tx(r, &d);
    rc = tx_snapshot(&d, &s);
    if (rc)
        return rc;
    room = d.size - s.used;
    *niov = ring_segments(&d, s.prod, room, iov);
    return (ssize_t)room;
}

int xch_ring_commit(xch_ring *r, size_t n)
{
    ring_dir d;
    ring_snap s;
    int rc;

    ring_tx(r, &d);
    if (n > d.size)
        return XCH_ERROR_INVAL;
    rc = tx_snapshot(&d, &s);
    if (rc)
        return rc;
    if (n > d.size - s.used)
        return XCH_ERROR_RING_CORRUPT;
    if (n == 0)
        return 0;
    ring_wmb(); /* the peer sees the data before the new producer index */
    publish(&d, n);
    return 0;
}

int xch_ring_tx_freed(xch_ring *r, size_t *freed)
{
    ring_dir d;
    ring_snap s;
    uint32_t moved, pending;
    int rc;

    *freed = 0;
    ring_tx(r, &d);
    rc = tx_snapshot(&d, &s);
    if (rc)
        return rc;
    /* Forward from what was seen, and not past what we produced. */
    moved = s.cons - r->tx_cons_seen;
    pending = s.prod - r->tx_cons_seen;
    if (moved && moved <= pending) {
        r->tx_cons_seen = s.cons;
        *freed = moved;
    }
    return 0;
}
