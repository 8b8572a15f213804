/*
 * fuzz_ring.c - libFuzzer target for the console ring code.
 *
 * The input is a program: each step takes an opcode byte and its operands
 * and either overwrites a shared index (a hostile or buggy peer) or runs a
 * ring operation from one of the two sides. After every operation the
 * target checks what the ring code promises: it touches only the one page
 * (ASan guards the allocation), a result never exceeds what was asked nor
 * the ring's size, a failed call changes nothing, a successful one moves
 * exactly one of its side's own indices by exactly its result and
 * publishes it, an index of its own forged on the page changes nothing,
 * and the bytes copied are the ones the indices designate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xenchannel_ring.h"

#define PAGE_SIZE 4096

/* Stop with a crash libFuzzer reports, also when built with NDEBUG. */
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

typedef struct input {
    const uint8_t *p;
    size_t left;
} input;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t take(input *in, size_t nbytes)
{
    uint32_t v = 0;

    while (nbytes-- > 0 && in->left > 0) {
        v = v << 8 | *in->p++;
        in->left--;
    }
    return v;
}

/* One direction as ring r sees it: the consumer and producer indices it
 * works with (its own from r, the peer's from the page) and where its own
 * one is published. */
typedef struct dir_view {
    const char *data;
    uint32_t size;
    const XENCONS_RING_IDX *cons;
    const XENCONS_RING_IDX *prod;
    const XENCONS_RING_IDX *pub;
} dir_view;

/* The direction r reads (rx) or writes (!rx). */
static void view(const struct xencons_interface *intf, const xch_ring *r,
                 int rx, dir_view *v)
{
    int out = (r->side == XCH_RING_BACKEND) == !!rx;
    const XENCONS_RING_IDX *page_cons = out ? &intf->out_cons : &intf->in_cons;
    const XENCONS_RING_IDX *page_prod = out ? &intf->out_prod : &intf->in_prod;

    v->data = out ? intf->out : intf->in;
    v->size = out ? sizeof(intf->out) : sizeof(intf->in);
    v->cons = rx ? &r->rx_cons : page_cons;
    v->prod = rx ? page_prod : &r->tx_prod;
    v->pub = rx ? page_cons : page_prod;
}

/* Bytes from index idx on, as the ring lays them out. */
static void ring_bytes(const dir_view *v, uint32_t idx, size_t len, char *dst)
{
    for (size_t i = 0; i < len; i++)
        dst[i] = v->data[(idx + i) & (v->size - 1)];
}

/* A call that fails or only looks changes neither the page nor the
 * ring's own indices. */
static void check_unchanged(const void *page, const void *before,
                            const xch_ring *r, const xch_ring *saved)
{
    CHECK(memcmp(page, before, PAGE_SIZE) == 0);
    CHECK(r->rx_cons == saved->rx_cons && r->tx_prod == saved->tx_prod);
}

static void check_iov(const struct xencons_interface *intf, const dir_view *v,
                      const struct iovec *iov, int niov, ssize_t total,
                      uint32_t start)
{
    size_t sum = 0;

    CHECK(niov >= 0 && niov <= 2);
    CHECK((niov == 0) == (total == 0));
    for (int i = 0; i < niov; i++) {
        const char *b = iov[i].iov_base;

        CHECK(iov[i].iov_len > 0);
        CHECK(b >= v->data && b + iov[i].iov_len <= v->data + v->size);
        CHECK(b + iov[i].iov_len <= (const char *)intf + PAGE_SIZE);
        sum += iov[i].iov_len;
    }
    CHECK(sum == (size_t)total);
    if (niov > 0)
        CHECK((const char *)iov[0].iov_base ==
              v->data + (start & (v->size - 1)));
    if (niov == 2)
        CHECK(iov[1].iov_base == v->data);
}

static void step(struct xencons_interface *intf, xch_ring *rings, input *in,
                 char *buf, char *expect, char *before)
{
    uint8_t op = (uint8_t)take(in, 1);
    xch_ring *r = &rings[op & 1];
    xch_ring saved = *r;
    uint32_t len = take(in, 2) & 0x1fff; /* up to 8 KiB: more than a ring */
    dir_view rx, tx;
    struct iovec iov[2];
    int niov = -1, rc;
    ssize_t n;
    size_t amount;
    uint32_t c, p;

    view(intf, r, 1, &rx);
    view(intf, r, 0, &tx);
    memcpy(before, intf, PAGE_SIZE);
    switch ((op >> 1) % 10) {
    case 0: /* the peer writes an index */
        c = take(in, 4);
        switch (len & 3) {
        case 0:
            intf->in_cons = c;
            break;
        case 1:
            intf->in_prod = c;
            break;
        case 2:
            intf->out_cons = c;
            break;
        default:
            intf->out_prod = c;
            break;
        }
        break;
    case 1: /* the peer scribbles over the data */
        c = take(in, 1);
        memset(intf->out + (len & 2047), (int)c, 2048 - (len & 2047));
        break;
    case 2:
        c = *rx.cons;
        p = *rx.prod;
        n = xch_ring_read(r, buf, len);
        if (n < 0) {
            CHECK(n == XCH_ERROR_RING_CORRUPT && p - c > rx.size);
            check_unchanged(intf, before, r, &saved);
            break;
        }
        CHECK(p - c <= rx.size);
        CHECK((size_t)n <= len && (size_t)n <= rx.size);
        CHECK((uint32_t)n == (p - c < len ? p - c : len));
        CHECK(*rx.cons == c + (uint32_t)n && *rx.prod == p);
        CHECK(n == 0 || *rx.pub == *rx.cons);
        ring_bytes(&rx, c, (size_t)n, expect);
        CHECK(memcmp(buf, expect, (size_t)n) == 0);
        break;
    case 3:
        c = *tx.cons;
        p = *tx.prod;
        for (uint32_t i = 0; i < len; i++)
            buf[i] = (char)(p + i);
        n = xch_ring_write(r, buf, len);
        if (n < 0) {
            CHECK(n == XCH_ERROR_RING_CORRUPT && p - c > tx.size);
            check_unchanged(intf, before, r, &saved);
            break;
        }
        CHECK(p - c <= tx.size);
        CHECK((size_t)n <= len && (size_t)n <= tx.size - (p - c));
        CHECK((uint32_t)n ==
              (tx.size - (p - c) < len ? tx.size - (p - c) : len));
        CHECK(*tx.prod == p + (uint32_t)n && *tx.cons == c);
        CHECK(n == 0 || *tx.pub == *tx.prod);
        ring_bytes(&tx, p, (size_t)n, expect);
        CHECK(memcmp(buf, expect, (size_t)n) == 0);
        break;
    case 4:
        rc = xch_ring_readable(r, &amount);
        c = *rx.cons;
        p = *rx.prod;
        CHECK(rc == 0 ? amount == p - c && amount <= rx.size
                      : rc == XCH_ERROR_RING_CORRUPT && p - c > rx.size);
        check_unchanged(intf, before, r, &saved);
        rc = xch_ring_writable(r, &amount);
        c = *tx.cons;
        p = *tx.prod;
        CHECK(rc == 0 ? amount == tx.size - (p - c)
                      : rc == XCH_ERROR_RING_CORRUPT && p - c > tx.size);
        check_unchanged(intf, before, r, &saved);
        /* Room the peer made: never more than what was in flight. */
        rc = xch_ring_tx_freed(r, &amount);
        CHECK(rc == 0 ? amount <= p - saved.tx_cons_seen
                      : rc == XCH_ERROR_RING_CORRUPT && amount == 0);
        CHECK(rc || amount == 0 || r->tx_cons_seen == c);
        check_unchanged(intf, before, r, &saved);
        break;
    case 5:
        c = *rx.cons;
        p = *rx.prod;
        n = xch_ring_peek(r, iov, &niov);
        check_unchanged(intf, before, r, &saved);
        if (n < 0) {
            CHECK(n == XCH_ERROR_RING_CORRUPT && p - c > rx.size);
            break;
        }
        CHECK((uint32_t)n == p - c && (size_t)n <= rx.size);
        check_iov(intf, &rx, iov, niov, n, c);
        break;
    case 6:
        c = *rx.cons;
        p = *rx.prod;
        rc = xch_ring_consume(r, len);
        if (rc < 0) {
            CHECK(len > rx.size || p - c > rx.size || len > p - c);
            check_unchanged(intf, before, r, &saved);
            break;
        }
        CHECK(len <= p - c && p - c <= rx.size);
        CHECK(*rx.cons == c + len && *rx.prod == p);
        CHECK(len == 0 || *rx.pub == *rx.cons);
        break;
    case 7:
        c = *tx.cons;
        p = *tx.prod;
        n = xch_ring_reserve(r, iov, &niov);
        check_unchanged(intf, before, r, &saved);
        if (n < 0) {
            CHECK(n == XCH_ERROR_RING_CORRUPT && p - c > tx.size);
            break;
        }
        CHECK((uint32_t)n == tx.size - (p - c));
        check_iov(intf, &tx, iov, niov, n, p);
        /* Fill what was reserved, as a caller would. */
        for (int i = 0; i < niov; i++)
            memset(iov[i].iov_base, 0x5a, iov[i].iov_len);
        break;
    case 8:
        c = *tx.cons;
        p = *tx.prod;
        rc = xch_ring_commit(r, len);
        if (rc < 0) {
            CHECK(len > tx.size || p - c > tx.size || len > tx.size - (p - c));
            check_unchanged(intf, before, r, &saved);
            break;
        }
        CHECK(p - c <= tx.size && len <= tx.size - (p - c));
        CHECK(*tx.prod == p + len && *tx.cons == c);
        CHECK(len == 0 || *tx.pub == *tx.prod);
        break;
    default: /* both sides move as much as they can */
        n = xch_ring_write(&rings[0], buf, len);
        CHECK(n >= XCH_ERROR_RING_CORRUPT && n <= (ssize_t)len);
        n = xch_ring_read(&rings[1], buf, len);
        CHECK(n >= XCH_ERROR_RING_CORRUPT && n <= (ssize_t)len);
        n = xch_ring_write(&rings[1], buf, len);
        CHECK(n >= XCH_ERROR_RING_CORRUPT && n <= (ssize_t)len);
        n = xch_ring_read(&rings[0], buf, len);
        CHECK(n >= XCH_ERROR_RING_CORRUPT && n <= (ssize_t)len);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xencons_interface *intf = calloc(1, PAGE_SIZE);
    char *buf = calloc(1, 0x2000);
    char *expect = malloc(0x2000);
    char *before = malloc(PAGE_SIZE);
    xch_ring rings[2];
    input in = {data, size};

    CHECK(intf && buf && expect && before);
    xch_ring_attach(&rings[0], intf, XCH_RING_BACKEND);
    xch_ring_attach(&rings[1], intf, XCH_RING_FRONTEND);
    while (in.left > 0)
        step(intf, rings, &in, buf, expect, before);
    free(before);
    free(expect);
    free(buf);
    free(intf);
    return 0;
}
