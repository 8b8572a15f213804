/*
 * relay.c - moving a channel's bytes (relay.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"
#include "relay.h"

/* What one read of a departed client takes at most: it cannot send more
 * after hanging up than its socket holds. */
#define LEFTOVER_CHUNK 16384

static bool would_block(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Buffer -> client. */
static void flush_out(const xcd_relay_io *io, xcd_relay_result *res)
{
    struct iovec iov[2];
    int niov;
    ssize_t r;

    while (io->out->len && io->may_write && !res->write_failed) {
        xcd_buffer_peek(io->out, iov, &niov);
        r = writev(io->fd, iov, niov);
        if (r < 0 && !would_block())
            res->write_failed = true;
        if (r <= 0)
            break;
        xcd_buffer_consume(io->out, (size_t)r);
        res->to_client += (uint64_t)r;
    }
}

/* Ring -> client directly when nothing older waits, the rest -> buffer. */
static void drain_ring(const xcd_relay_io *io, xcd_relay_result *res)
{
    struct iovec iov[2];
    size_t sent = 0, handled, off;
    int niov = 0, i, rc;
    int64_t d;
    ssize_t n, r;

    n = xch_ring_peek(io->ring, iov, &niov);
    if (n <= 0) {
        if (n < 0)
            res->ring_rc = (int)n;
        return;
    }
    if (!io->out->len && io->may_write && !res->write_failed) {
        r = writev(io->fd, iov, niov);
        if (r > 0)
            sent = (size_t)r;
        else if (r < 0 && !would_block())
            res->write_failed = true;
    }
    handled = sent;
    off = sent;
    for (i = 0; i < niov; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        d = xcd_buffer_push(io->out, (const char *)iov[i].iov_base + off,
                            iov[i].iov_len - off);
        if (d < 0)
            break; /* out of memory: the rest stays in the ring */
        res->dropped += (uint64_t)d;
        handled += iov[i].iov_len - off;
        off = 0;
    }
    rc = xch_ring_consume(io->ring, handled);
    if (rc) {
        res->ring_rc = rc;
        return;
    }
    res->from_guest += handled;
    res->to_client += sent;
}

void xcd_relay_out(const xcd_relay_io *io, xcd_relay_result *res)
{
    flush_out(io, res);
    if (io->ring)
        drain_ring(io, res);
}

/* Backlog -> ring. Returns the room left. */
static size_t backlog_in(const xcd_relay_io *io, xcd_relay_result *res)
{
    struct iovec room[2], held[2];
    int nroom = 0, nheld = 0, i, j;
    size_t moved = 0, ri = 0, hi = 0;
    ssize_t n;
    int rc;

    n = xch_ring_reserve(io->ring, room, &nroom);
    if (n <= 0) {
        if (n < 0)
            res->ring_rc = (int)n;
        return 0;
    }
    if (!io->backlog->len)
        return (size_t)n;
    xcd_buffer_peek(io->backlog, held, &nheld);
    /* Copy segment by segment, both sides up to two pieces. */
    for (i = 0, j = 0; i < nroom && j < nheld;) {
        size_t a = room[i].iov_len - ri, b = held[j].iov_len - hi;
        size_t k = a < b ? a : b;

        memcpy((char *)room[i].iov_base + ri, (char *)held[j].iov_base + hi, k);
        moved += k;
        ri += k;
        hi += k;
        if (ri == room[i].iov_len) {
            i++;
            ri = 0;
        }
        if (hi == held[j].iov_len) {
            j++;
            hi = 0;
        }
    }
    rc = xch_ring_commit(io->ring, moved);
    if (rc) {
        res->ring_rc = rc;
        return 0;
    }
    xcd_buffer_consume(io->backlog, moved);
    res->to_guest += moved;
    return (size_t)n - moved;
}

/* Client -> ring, once, as far as there is room. */
static void client_in(const xcd_relay_io *io, xcd_relay_result *res)
{
    struct iovec iov[2];
    int niov = 0, rc;
    ssize_t room, r;

    room = xch_ring_reserve(io->ring, iov, &niov);
    if (room < 0) {
        res->ring_rc = (int)room;
        return;
    }
    if (room == 0) {
        res->in_full = true;
        return;
    }
    r = readv(io->fd, iov, niov);
    if (r == 0) {
        res->client_eof = true;
        return;
    }
    if (r < 0) {
        /* EIO: a pty whose slave was closed */
        if (!would_block())
            res->client_error = true;
        return;
    }
    rc = xch_ring_commit(io->ring, (size_t)r);
    if (rc) {
        res->ring_rc = rc;
        return;
    }
    res->to_guest += (uint64_t)r;
}

void xcd_relay_in(const xcd_relay_io *io, xcd_relay_result *res)
{
    size_t freed = 0;
    int rc;

    if (!io->ring)
        return;
    rc = xch_ring_tx_freed(io->ring, &freed);
    if (rc) {
        res->ring_rc = rc;
        return;
    }
    res->freed += freed;
    if (!backlog_in(io, res) && !res->ring_rc) {
        if (io->may_read && io->fd >= 0)
            res->in_full = true;
        return;
    }
    if (!res->ring_rc && !io->backlog->len && io->may_read && io->fd >= 0)
        client_in(io, res);
}

void xcd_relay_leftover(const xcd_relay_io *io, xcd_relay_result *res)
{
    char buf[LEFTOVER_CHUNK];
    int64_t d;
    ssize_t r;

    if (io->ring && !res->ring_rc)
        xcd_relay_in(io, res);
    while (!res->client_eof && !res->client_error) {
        r = read(io->fd, buf, sizeof(buf));
        if (r > 0) {
            d = xcd_buffer_push(io->backlog, buf, (size_t)r);
            res->dropped_to_guest += d < 0 ? (uint64_t)r : (uint64_t)d;
        } else if (r == 0 || errno == EIO) { /* EIO: a hung-up pty */
            res->client_eof = true;
        } else if (errno != EINTR) {
            res->client_error = !would_block();
            break;
        }
    }
    if (io->ring && !res->ring_rc)
        backlog_in(io, res);
}

bool xcd_relay_moved(const xcd_relay_result *res)
{
    return res->from_guest || res->to_guest;
}

void xcd_relay_stats_add(xcd_relay_stats *s, const xcd_relay_result *res)
{
    s->from_guest += res->from_guest;
    s->to_guest += res->to_guest;
    s->dropped += res->dropped;
    s->dropped_to_guest += res->dropped_to_guest;
}
