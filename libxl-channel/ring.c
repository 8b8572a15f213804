/*
 * ring.c - the console ring (struct xencons_interface), both ends.
 *
 * See xenchannel_ring.h for the rules. The shared indices are read and
 * written with relaxed atomic accesses so that the compiler reads each
 * exactly once and never tears or re-reads them; the ordering comes from
 * the explicit fences.
 */
#include <string.h>

#include "xenchannel_ring.h"

/* One direction of the ring, as seen by the side using it. */
typedef struct ring_dir {
    char *data;
    uint32_t size;
    XENCONS_RING_IDX *cons;
    XENCONS_RING_IDX *prod;
} ring_dir;

/* What one look at the indices found. */
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

static void ring_dir_out(struct xencons_interface *intf, ring_dir *d)
{
    d->data = intf->out;
    d->size = sizeof(intf->out);
    d->cons = &intf->out_cons;
    d->prod = &intf->out_prod;
}

static void ring_dir_in(struct xencons_interface *intf, ring_dir *d)
{
    d->data = intf->in;
    d->size = sizeof(intf->in);
    d->cons = &intf->in_cons;
    d->prod = &intf->in_prod;
}

/* The direction this side consumes: `out` for the backend, `in` for the
 * frontend. */
static void ring_rx(const xch_ring *r, ring_dir *d)
{
    if (r->side == XCH_RING_BACKEND)
        ring_dir_out(r->intf, d);
    else
        ring_dir_in(r->intf, d);
}

/* The direction this side produces into. */
static void ring_tx(const xch_ring *r, ring_dir *d)
{
    if (r->side == XCH_RING_BACKEND)
        ring_dir_in(r->intf, d);
    else
        ring_dir_out(r->intf, d);
}

/* Read both indices once, then a full barrier (nothing from the data is
 * read before the indices), then validate them. */
static int ring_snapshot(const ring_dir *d, ring_snap *s)
{
    s->cons = __atomic_load_n(d->cons, __ATOMIC_RELAXED);
    s->prod = __atomic_load_n(d->prod, __ATOMIC_RELAXED);
    ring_mb();
    s->used = s->prod - s->cons;
    if (s->used > d->size)
        return XCH_ERROR_RING_CORRUPT;
    return 0;
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
    r->intf = page;
    r->side = side;
}

int xch_ring_readable(const xch_ring *r, size_t *avail)
{
    ring_dir d;
    ring_snap s;
    int rc;

    ring_rx(r, &d);
    rc = ring_snapshot(&d, &s);
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
    rc = ring_snapshot(&d, &s);
    if (rc)
        return rc;
    *room = d.size - s.used;
    return 0;
}

ssize_t xch_ring_read(xch_ring *r, void *buf, size_t len)
{
    ring_dir d;
    ring_snap s;
    struct iovec iov[2];
    size_t n;
    int i, nseg, rc;
    char *p = buf;

    ring_rx(r, &d);
    rc = ring_snapshot(&d, &s);
    if (rc)
        return rc;
    n = s.used < len ? s.used : len;
    nseg = ring_segments(&d, s.cons, n, iov);
    if (nseg == 0)
        return 0;
    for (i = 0; i < nseg; i++) {
        memcpy(p, iov[i].iov_base, iov[i].iov_len);
        p += iov[i].iov_len;
    }
    ring_mb(); /* the data is read before the peer may overwrite it */
    __atomic_store_n(d.cons, s.cons + (XENCONS_RING_IDX)n, __ATOMIC_RELAXED);
    return (ssize_t)n;
}

ssize_t xch_ring_write(xch_ring *r, const void *buf, size_t len)
{
    ring_dir d;
    ring_snap s;
    struct iovec iov[2];
    size_t n, room;
    int i, nseg, rc;
    const char *p = buf;

    ring_tx(r, &d);
    rc = ring_snapshot(&d, &s);
    if (rc)
        return rc;
    room = d.size - s.used;
    n = room < len ? room : len;
    nseg = ring_segments(&d, s.prod, n, iov);
    if (nseg == 0)
        return 0;
    for (i = 0; i < nseg; i++) {
        memcpy(iov[i].iov_base, p, iov[i].iov_len);
        p += iov[i].iov_len;
    }
    ring_wmb(); /* the peer sees the data before the new producer index */
    __atomic_store_n(d.prod, s.prod + (XENCONS_RING_IDX)n, __ATOMIC_RELAXED);
    return (ssize_t)n;
}

ssize_t xch_ring_peek(const xch_ring *r, struct iovec iov[2], int *niov)
{
    ring_dir d;
    ring_snap s;
    int rc;

    ring_rx(r, &d);
    rc = ring_snapshot(&d, &s);
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
    rc = ring_snapshot(&d, &s);
    if (rc)
        return rc;
    if (n > s.used)
        return XCH_ERROR_RING_CORRUPT;
    if (n == 0)
        return 0;
    ring_mb(); /* the data is read before the peer may overwrite it */
    __atomic_store_n(d.cons, s.cons + (XENCONS_RING_IDX)n, __ATOMIC_RELAXED);
    return 0;
}

ssize_t xch_ring_reserve(const xch_ring *r, struct iovec iov[2], int *niov)
{
    ring_dir d;
    ring_snap s;
    uint32_t room;
    int rc;

    ring_tx(r, &d);
    rc = ring_snapshot(&d, &s);
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
    rc = ring_snapshot(&d, &s);
    if (rc)
        return rc;
    if (n > d.size - s.used)
        return XCH_ERROR_RING_CORRUPT;
    if (n == 0)
        return 0;
    ring_wmb(); /* the peer sees the data before the new producer index */
    __atomic_store_n(d.prod, s.prod + (XENCONS_RING_IDX)n, __ATOMIC_RELAXED);
    return 0;
}
