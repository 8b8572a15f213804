/*
 * buffer.c - a bounded byte buffer (buffer.h).
 */
#include <stdlib.h>
#include <string.h>

#include "xenchannel.h"

#include "buffer.h"

/* Smallest allocation, so that trickling output does not realloc often. */
#define BUFFER_MIN_ALLOC 4096

void xcd_buffer_init(xcd_buffer *b, size_t cap, xcd_buffer_pool *pool)
{
    memset(b, 0, sizeof(*b));
    b->cap = cap ? cap : 1;
    b->pool = pool;
}

static void buffer_free(xcd_buffer *b)
{
    if (b->pool)
        b->pool->used -= b->size;
    free(b->data);
    b->data = NULL;
    b->size = b->len = b->head = 0;
}

void xcd_buffer_dispose(xcd_buffer *b)
{
    buffer_free(b);
}

/* Copies the held bytes, oldest first, to dst (which has room for len). */
static void buffer_copy_out(const xcd_buffer *b, uint8_t *dst)
{
    struct iovec iov[2];
    int niov, i;

    xcd_buffer_peek(b, iov, &niov);
    for (i = 0; i < niov; i++) {
        memcpy(dst, iov[i].iov_base, iov[i].iov_len);
        dst += iov[i].iov_len;
    }
}

/* Reallocates to exactly `size` bytes (>= len, > 0), held bytes made
 * linear; the pool is charged the difference. */
static int buffer_resize(xcd_buffer *b, size_t size)
{
    uint8_t *data = malloc(size);

    if (!data)
        return XCH_ERROR_NOMEM;
    buffer_copy_out(b, data);
    free(b->data);
    if (b->pool)
        b->pool->used = b->pool->used - b->size + size;
    b->data = data;
    b->size = size;
    b->head = 0;
    return 0;
}

static void buffer_drop(xcd_buffer *b, size_t n)
{
    b->len -= n;
    b->head = b->len ? (b->head + n) % b->size : 0;
    b->dropped += n;
}

int64_t xcd_buffer_set_cap(xcd_buffer *b, size_t cap)
{
    size_t excess = 0;
    int rc;

    if (!cap)
        cap = 1;
    if (b->len > cap) {
        excess = b->len - cap;
        buffer_drop(b, excess);
    }
    if (b->size > cap) {
        rc = buffer_resize(b, cap);
        if (rc)
            return rc;
    }
    b->cap = cap;
    return (int64_t)excess;
}

/* The size to grow to for `need` bytes: doubling, at least the minimum,
 * at most the cap and what the pool can still give. Never less than the
 * current size. */
static size_t grow_size(const xcd_buffer *b, size_t need)
{
    size_t size = b->size * 2, avail;

    if (size < need)
        size = need;
    if (size < BUFFER_MIN_ALLOC)
        size = BUFFER_MIN_ALLOC;
    if (size > b->cap)
        size = b->cap;
    if (b->pool) {
        avail = b->pool->cap > b->pool->used ? b->pool->cap - b->pool->used : 0;
        if (size - b->size > avail)
            size = b->size + avail;
    }
    return size;
}

int64_t xcd_buffer_push(xcd_buffer *b, const void *data, size_t len)
{
    const uint8_t *src = data;
    size_t dropped = 0, size, tail, first;
    int rc;

    if (!len)
        return 0;
    if (b->len + len > b->size && b->size < b->cap) {
        size = grow_size(b, b->len + len);
        if (size > b->size) {
            rc = buffer_resize(b, size);
            if (rc)
                return rc;
        }
    }
    if (len > b->size) {
        /* Only the newest bytes of data can stay. */
        dropped = len - b->size;
        src += dropped;
        len = b->size;
        b->dropped += dropped;
    }
    if (!len)
        return (int64_t)dropped;
    if (b->len + len > b->size) {
        size_t excess = b->len + len - b->size;

        buffer_drop(b, excess);
        dropped += excess;
    }
    tail = (b->head + b->len) % b->size;
    first = b->size - tail < len ? b->size - tail : len;
    memcpy(b->data + tail, src, first);
    memcpy(b->data, src + first, len - first);
    b->len += len;
    return (int64_t)dropped;
}

size_t xcd_buffer_peek(const xcd_buffer *b, struct iovec iov[2], int *niov)
{
    size_t first;

    *niov = 0;
    if (!b->len)
        return 0;
    first = b->size - b->head < b->len ? b->size - b->head : b->len;
    iov[0].iov_base = b->data + b->head;
    iov[0].iov_len = first;
    *niov = 1;
    if (first < b->len) {
        iov[1].iov_base = b->data;
        iov[1].iov_len = b->len - first;
        *niov = 2;
    }
    return b->len;
}

void xcd_buffer_consume(xcd_buffer *b, size_t n)
{
    if (n > b->len)
        n = b->len;
    b->len -= n;
    b->head = b->len ? (b->head + n) % b->size : 0;
    if (!b->len && b->size > BUFFER_MIN_ALLOC)
        buffer_free(b);
}
