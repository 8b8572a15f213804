/*
 * buffer.h - a bounded byte buffer: a channel's guest output held for a
 * client that lags, or the input a client left behind for the guest.
 *
 * A byte ring that grows on demand up to its capacity, and gives its
 * memory back once it is empty: memory is taken only while a reader lags.
 * Buffers may share a pool, a bound on the memory of all of them together
 * (the daemon's --buffer-total). Pushing past what the buffer may hold
 * drops the oldest bytes and counts them: the newest output of a guest is
 * the most useful one.
 */
#ifndef XCD_BUFFER_H
#define XCD_BUFFER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

typedef struct xcd_buffer_pool {
    size_t used; /* bytes allocated by the buffers of the pool */
    size_t cap;
} xcd_buffer_pool;

typedef struct xcd_buffer {
    xcd_buffer_pool *pool; /* NULL: bounded by cap alone */
    uint8_t *data;
    size_t size;      /* allocated bytes, <= cap */
    size_t cap;       /* the bound */
    size_t head;      /* offset of the oldest byte */
    size_t len;       /* bytes held */
    uint64_t dropped; /* bytes dropped since init */
} xcd_buffer;

/* An empty buffer bounded by cap bytes (cap >= 1) and by pool (may be
 * NULL); allocates nothing. */
void xcd_buffer_init(xcd_buffer *b, size_t cap, xcd_buffer_pool *pool);
/* Frees the memory (back to the pool) and forgets what was held. */
void xcd_buffer_dispose(xcd_buffer *b);

/* Changes the bound. Shrinking below what is held drops the oldest
 * bytes; returns how many were dropped, or XCH_ERROR_NOMEM. */
int64_t xcd_buffer_set_cap(xcd_buffer *b, size_t cap);

/* Appends len bytes, dropping the oldest held (or the oldest of data
 * itself) past what the buffer may hold: its cap, or less when the pool
 * has no more memory to give. Returns the number of bytes dropped
 * (>= 0), or XCH_ERROR_NOMEM with nothing changed. */
int64_t xcd_buffer_push(xcd_buffer *b, const void *data, size_t len);

/* Describes the held bytes as at most two segments; returns the total. */
size_t xcd_buffer_peek(const xcd_buffer *b, struct iovec iov[2], int *niov);

/* Forgets the n oldest bytes (n <= len); an emptied buffer gives its
 * memory back. */
void xcd_buffer_consume(xcd_buffer *b, size_t n);

#endif
