/*
 * buffer.h - the bounded guest -> host buffer of one channel.
 *
 * A byte ring that grows on demand up to a capacity (the frontend's
 * `limit`, clamped). Pushing past the capacity drops the oldest bytes and
 * counts them: the newest output of a guest is the most useful one.
 */
#ifndef XCD_BUFFER_H
#define XCD_BUFFER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

typedef struct xcd_buffer {
    uint8_t *data;
    size_t size;      /* allocated bytes, <= cap */
    size_t cap;       /* the bound */
    size_t head;      /* offset of the oldest byte */
    size_t len;       /* bytes held */
    uint64_t dropped; /* bytes dropped since init */
} xcd_buffer;

/* An empty buffer bounded by cap bytes (cap >= 1); allocates nothing. */
void xcd_buffer_init(xcd_buffer *b, size_t cap);
void xcd_buffer_dispose(xcd_buffer *b);

/* Changes the bound. Shrinking below what is held drops the oldest
 * bytes; returns how many were dropped, or XCH_ERROR_NOMEM. */
int64_t xcd_buffer_set_cap(xcd_buffer *b, size_t cap);

/* Appends len bytes, dropping the oldest held (or the oldest of data
 * itself, when len > cap) past the bound. Returns the number of bytes
 * dropped (>= 0), or XCH_ERROR_NOMEM with nothing changed. */
int64_t xcd_buffer_push(xcd_buffer *b, const void *data, size_t len);

/* Describes the held bytes as at most two segments; returns the total. */
size_t xcd_buffer_peek(const xcd_buffer *b, struct iovec iov[2], int *niov);

/* Forgets the n oldest bytes (n <= len). */
void xcd_buffer_consume(xcd_buffer *b, size_t n);

#endif
