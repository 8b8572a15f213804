/*
 * buffer.c - the bounded guest -> host buffer of one channel (buffer.h).
 */
#include <stdlib.h>
#include <string.h>

#include "xenchannel.h"

#include "buffer.h"

/* Smallest allocation, so that trickling output does not realloc often. */
#define BUFFER_MIN_ALLOC 4096

void xcd_buffer_init(xcd_buffer *b, size_t cap)
{
    memset(b, 0, sizeof(*b));
    b->cap = cap ? cap : 1;
}

void xcd_buffer_dispose(xcd_buffer *b)
{
    free(b->data);
    b->data = NULL;
    b->size = b->len = b->head = 0;
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

/* Reallocates to exactly `size` bytes (>= len), held bytes made linear. */
static int buffer_resize(xcd_buffer *b, size_t size)
{
    uint8_t *data = malloc(size ? size : 1);

    if (!data)
        return XCH_ERROR_NOMEM;
    buffer_copy_out(b, data);
    free(b->data);
    b->data = data;
    b->size = size;
    b->head = 0;
    return 0;
}

static void buffer_drop(xcd_buffer *b, size_t n)
{
    xcd_buffer_consume(b, n);
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

int64_t xcd_buffer_push(xcd_buffer *b, const void *data, size_t len)
{
    const uint8_t *src = data;
    size_t dropped = 0, need, tail, first;
    int rc;

    if (len > b->cap) {
        /* Only the newest cap bytes of data can stay. */
        dropped = len - b->cap;
        src += dropped;
        len = b->cap;
        b->dropped += dropped;
    }
    if (!len)
        return 0;
    need = b->len + len;
    if (need > b->size && b->size < b->cap) {
        size_t size = b->size * 2;

        if (size < need)
            size = need;
        if (size < BUFFER_MIN_ALLOC)
            size = BUFFER_MIN_ALLOC;
        if (size > b->cap)
            size = b->cap;
        rc = buffer_resize(b, size);
        if (rc) {
            b->dropped -= dropped;
            return rc;
        }
    }
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
}
