/*
 * test_ring.c - the console ring code (libxl-channel/ring.c), both ends of
 * one page in one process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xenchannel_ring.h"

#define PAGE_SIZE 4096

typedef struct fixture {
    struct xencons_interface *intf;
    xch_ring fe;
    xch_ring be;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    /* Exactly one page, so that ASan catches any access past it. */
    f->intf = calloc(1, PAGE_SIZE);
    if (!f->intf) {
        free(f);
        return -1;
    }
    xch_ring_attach(&f->fe, f->intf, XCH_RING_FRONTEND);
    xch_ring_attach(&f->be, f->intf, XCH_RING_BACKEND);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    free(f->intf);
    free(f);
    return 0;
}

/* Puts the page's indices as given and attaches both sides again: a ring
 * taken over in that state (each side keeps its own indices privately,
 * read from the page at attach). */
static void set_indices(fixture *f, XENCONS_RING_IDX out_cons,
                        XENCONS_RING_IDX out_prod, XENCONS_RING_IDX in_cons,
                        XENCONS_RING_IDX in_prod)
{
    f->intf->out_cons = out_cons;
    f->intf->out_prod = out_prod;
    f->intf->in_cons = in_cons;
    f->intf->in_prod = in_prod;
    xch_ring_attach(&f->fe, f->intf, XCH_RING_FRONTEND);
    xch_ring_attach(&f->be, f->intf, XCH_RING_BACKEND);
}

static void fill_pattern(unsigned char *buf, size_t len, unsigned seed)
{
    size_t i;

    for (i = 0; i < len; i++)
        buf[i] = (unsigned char)(seed + i * 7 + (i >> 8));
}

static void test_ring_empty_reads_nothing(void **state)
{
    fixture *f = *state;
    unsigned char buf[16];
    size_t n = 99;

    assert_int_equal(xch_ring_readable(&f->be, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(xch_ring_readable(&f->fe, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(xch_ring_read(&f->be, buf, sizeof(buf)), 0);
    assert_int_equal(xch_ring_read(&f->fe, buf, sizeof(buf)), 0);
    assert_int_equal(f->intf->out_cons, 0);
    assert_int_equal(f->intf->in_cons, 0);
    assert_int_equal(xch_ring_writable(&f->fe, &n), 0);
    assert_int_equal(n, sizeof(f->intf->out));
    assert_int_equal(xch_ring_writable(&f->be, &n), 0);
    assert_int_equal(n, sizeof(f->intf->in));
}

static void test_ring_frontend_to_backend_uses_out(void **state)
{
    fixture *f = *state;
    const char msg[] = "hello backend";
    char got[sizeof(msg)];
    size_t n;

    assert_int_equal(xch_ring_write(&f->fe, msg, sizeof(msg)), sizeof(msg));
    assert_int_equal(f->intf->out_prod, sizeof(msg));
    assert_int_equal(f->intf->in_prod, 0);
    assert_memory_equal(f->intf->out, msg, sizeof(msg));
    /* The frontend does not read its own output. */
    assert_int_equal(xch_ring_readable(&f->fe, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(xch_ring_readable(&f->be, &n), 0);
    assert_int_equal(n, sizeof(msg));
    assert_int_equal(xch_ring_read(&f->be, got, sizeof(got)), sizeof(msg));
    assert_memory_equal(got, msg, sizeof(msg));
    assert_int_equal(f->intf->out_cons, sizeof(msg));
}

static void test_ring_backend_to_frontend_uses_in(void **state)
{
    fixture *f = *state;
    const char msg[] = "hello guest";
    char got[sizeof(msg)];

    assert_int_equal(xch_ring_write(&f->be, msg, sizeof(msg)), sizeof(msg));
    assert_int_equal(f->intf->in_prod, sizeof(msg));
    assert_int_equal(f->intf->out_prod, 0);
    assert_memory_equal(f->intf->in, msg, sizeof(msg));
    assert_int_equal(xch_ring_read(&f->fe, got, sizeof(got)), sizeof(msg));
    assert_memory_equal(got, msg, sizeof(msg));
    assert_int_equal(f->intf->in_cons, sizeof(msg));
}

static void test_ring_full_then_empty(void **state)
{
    fixture *f = *state;
    static unsigned char data[4096], got[4096];
    size_t n;

    fill_pattern(data, sizeof(data), 3);
    /* out holds 2048 bytes; the rest does not fit. */
    assert_int_equal(xch_ring_write(&f->fe, data, sizeof(data)), 2048);
    assert_int_equal(xch_ring_writable(&f->fe, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(xch_ring_write(&f->fe, data, 1), 0);
    assert_int_equal(f->intf->out_prod, 2048);
    assert_int_equal(xch_ring_read(&f->be, got, sizeof(got)), 2048);
    assert_memory_equal(got, data, 2048);
    assert_int_equal(xch_ring_readable(&f->be, &n), 0);
    assert_int_equal(n, 0);
    /* in holds 1024. */
    assert_int_equal(xch_ring_write(&f->be, data, sizeof(data)), 1024);
    assert_int_equal(xch_ring_write(&f->be, data, 1), 0);
    assert_int_equal(xch_ring_read(&f->fe, got, sizeof(got)), 1024);
    assert_memory_equal(got, data, 1024);
}

static void test_ring_partial_write_fills_room(void **state)
{
    fixture *f = *state;
    unsigned char data[200], got[2048];
    size_t n;

    fill_pattern(data, sizeof(data), 11);
    set_indices(f, 500, 500 + 2000, 0, 0);
    assert_int_equal(xch_ring_writable(&f->fe, &n), 0);
    assert_int_equal(n, 48);
    assert_int_equal(xch_ring_write(&f->fe, data, sizeof(data)), 48);
    assert_int_equal(f->intf->out_prod, 500 + 2048);
    /* The 48 bytes went where the producer index said, wrapping. */
    assert_int_equal(xch_ring_read(&f->be, got, sizeof(got)), 2048);
    assert_memory_equal(got + 2000, data, 48);
}

static void test_ring_short_read_leaves_rest(void **state)
{
    fixture *f = *state;
    unsigned char data[100], got[100];

    fill_pattern(data, sizeof(data), 5);
    assert_int_equal(xch_ring_write(&f->be, data, sizeof(data)), 100);
    assert_int_equal(xch_ring_read(&f->fe, got, 30), 30);
    assert_memory_equal(got, data, 30);
    assert_int_equal(f->intf->in_cons, 30);
    assert_int_equal(xch_ring_read(&f->fe, got, sizeof(got)), 70);
    assert_memory_equal(got, data + 30, 70);
}

static void test_ring_wraps_at_2_32(void **state)
{
    fixture *f = *state;
    static unsigned char data[1500], got[1500];
    const uint32_t start = UINT32_MAX - 700;
    size_t n;

    fill_pattern(data, sizeof(data), 17);
    set_indices(f, start, start, 0, 0);
    assert_int_equal(xch_ring_writable(&f->fe, &n), 0);
    assert_int_equal(n, 2048);
    assert_int_equal(xch_ring_write(&f->fe, data, sizeof(data)), 1500);
    assert_int_equal(f->intf->out_prod, (uint32_t)(start + 1500));
    assert_true(f->intf->out_prod < start); /* the index wrapped */
    assert_int_equal(xch_ring_readable(&f->be, &n), 0);
    assert_int_equal(n, 1500);
    assert_int_equal(xch_ring_read(&f->be, got, sizeof(got)), 1500);
    assert_memory_equal(got, data, sizeof(data));
    assert_int_equal(f->intf->out_cons, (uint32_t)(start + 1500));

    /* Same on `in`, the index wrapping in the middle of a full ring. */
    set_indices(f, f->intf->out_cons, f->intf->out_prod, UINT32_MAX - 10,
                UINT32_MAX - 10);
    assert_int_equal(xch_ring_write(&f->be, data, sizeof(data)), 1024);
    assert_int_equal(f->intf->in_prod, 1013);
    assert_int_equal(xch_ring_read(&f->fe, got, sizeof(got)), 1024);
    assert_memory_equal(got, data, 1024);
}

/* The indices of one direction set to garbage: every operation on that
 * direction fails, copies nothing and writes no index. */
static void check_corrupt(fixture *f, XENCONS_RING_IDX *cons,
                          XENCONS_RING_IDX *prod, XENCONS_RING_IDX c,
                          XENCONS_RING_IDX p, xch_ring *reader,
                          xch_ring *writer)
{
    unsigned char buf[64], before[PAGE_SIZE];
    struct iovec iov[2];
    int niov = -1;
    size_t n = 12345;

    *cons = c;
    *prod = p;
    xch_ring_attach(&f->fe, f->intf, XCH_RING_FRONTEND);
    xch_ring_attach(&f->be, f->intf, XCH_RING_BACKEND);
    memset(buf, 0xa5, sizeof(buf));
    memcpy(before, f->intf, PAGE_SIZE);

    assert_int_equal(xch_ring_readable(reader, &n), XCH_ERROR_RING_CORRUPT);
    assert_int_equal(n, 12345);
    assert_int_equal(xch_ring_read(reader, buf, sizeof(buf)),
                     XCH_ERROR_RING_CORRUPT);
    assert_int_equal(xch_ring_peek(reader, iov, &niov), XCH_ERROR_RING_CORRUPT);
    assert_int_equal(niov, -1);
    assert_int_equal(xch_ring_consume(reader, 1), XCH_ERROR_RING_CORRUPT);
    assert_int_equal(xch_ring_writable(writer, &n), XCH_ERROR_RING_CORRUPT);
    assert_int_equal(n, 12345);
    assert_int_equal(xch_ring_write(writer, buf, sizeof(buf)),
                     XCH_ERROR_RING_CORRUPT);
    assert_int_equal(xch_ring_reserve(writer, iov, &niov),
                     XCH_ERROR_RING_CORRUPT);
    assert_int_equal(niov, -1);
    assert_int_equal(xch_ring_commit(writer, 1), XCH_ERROR_RING_CORRUPT);

    /* Nothing copied out, nothing written to the page. */
    for (size_t i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xa5);
    assert_memory_equal(before, f->intf, PAGE_SIZE);
}

static void test_ring_out_too_full_is_corrupt(void **state)
{
    fixture *f = *state;

    check_corrupt(f, &f->intf->out_cons, &f->intf->out_prod, 100, 100 + 2049,
                  &f->be, &f->fe);
}

static void test_ring_out_prod_behind_cons_is_corrupt(void **state)
{
    fixture *f = *state;

    check_corrupt(f, &f->intf->out_cons, &f->intf->out_prod, 100, 99, &f->be,
                  &f->fe);
}

static void test_ring_in_too_full_is_corrupt(void **state)
{
    fixture *f = *state;

    check_corrupt(f, &f->intf->in_cons, &f->intf->in_prod, 7, 7 + 1025, &f->fe,
                  &f->be);
}

static void test_ring_in_prod_behind_cons_is_corrupt(void **state)
{
    fixture *f = *state;

    check_corrupt(f, &f->intf->in_cons, &f->intf->in_prod, 0, UINT32_MAX,
                  &f->fe, &f->be);
}

static void test_ring_corrupt_direction_spares_the_other(void **state)
{
    fixture *f = *state;
    const char msg[] = "still fine";
    char got[sizeof(msg)];

    set_indices(f, 0, 5000, 0, 0);
    assert_int_equal(xch_ring_write(&f->be, msg, sizeof(msg)), sizeof(msg));
    assert_int_equal(xch_ring_read(&f->fe, got, sizeof(got)), sizeof(msg));
    assert_memory_equal(got, msg, sizeof(msg));
}

static void test_ring_exactly_full_is_valid(void **state)
{
    fixture *f = *state;
    size_t n;

    set_indices(f, UINT32_MAX - 5, UINT32_MAX - 5 + 2048, 0, 0);
    assert_int_equal(xch_ring_readable(&f->be, &n), 0);
    assert_int_equal(n, 2048);
    assert_int_equal(xch_ring_writable(&f->fe, &n), 0);
    assert_int_equal(n, 0);
}

static void test_ring_peek_gives_wrapped_segments(void **state)
{
    fixture *f = *state;
    unsigned char data[300];
    struct iovec iov[2];
    int niov;

    fill_pattern(data, sizeof(data), 23);
    set_indices(f, 2048 * 5 - 100, 2048 * 5 - 100, 0, 0);
    assert_int_equal(xch_ring_write(&f->fe, data, sizeof(data)), 300);
    assert_int_equal(xch_ring_peek(&f->be, iov, &niov), 300);
    assert_int_equal(niov, 2);
    assert_ptr_equal(iov[0].iov_base, f->intf->out + 2048 - 100);
    assert_int_equal(iov[0].iov_len, 100);
    assert_ptr_equal(iov[1].iov_base, f->intf->out);
    assert_int_equal(iov[1].iov_len, 200);
    assert_memory_equal(iov[0].iov_base, data, 100);
    assert_memory_equal(iov[1].iov_base, data + 100, 200);
    /* Peeking publishes nothing. */
    assert_int_equal(f->intf->out_cons, 2048 * 5 - 100);
    assert_int_equal(xch_ring_consume(&f->be, 120), 0);
    assert_int_equal(f->intf->out_cons, 2048 * 5 + 20);
    assert_int_equal(xch_ring_peek(&f->be, iov, &niov), 180);
    assert_int_equal(niov, 1);
    assert_memory_equal(iov[0].iov_base, data + 120, 180);
    /* Consuming more than is there is refused and publishes nothing. */
    assert_int_equal(xch_ring_consume(&f->be, 181), XCH_ERROR_RING_CORRUPT);
    assert_int_equal(xch_ring_consume(&f->be, 5000), XCH_ERROR_INVAL);
    assert_int_equal(f->intf->out_cons, 2048 * 5 + 20);
    assert_int_equal(xch_ring_consume(&f->be, 180), 0);
    assert_int_equal(xch_ring_peek(&f->be, iov, &niov), 0);
    assert_int_equal(niov, 0);
}

static void test_ring_reserve_commit(void **state)
{
    fixture *f = *state;
    struct iovec iov[2];
    char got[1024];
    int niov;

    set_indices(f, 0, 0, 1000, 1000);
    assert_int_equal(xch_ring_reserve(&f->be, iov, &niov), 1024);
    assert_int_equal(niov, 2);
    assert_ptr_equal(iov[0].iov_base, f->intf->in + 1000);
    assert_int_equal(iov[0].iov_len, 24);
    assert_ptr_equal(iov[1].iov_base, f->intf->in);
    assert_int_equal(iov[1].iov_len, 1000);
    memcpy(iov[0].iov_base, "abcdefghijklmnopqrstuvwx", 24);
    memcpy(iov[1].iov_base, "yz", 2);
    /* Nothing visible before the commit. */
    assert_int_equal(xch_ring_read(&f->fe, got, sizeof(got)), 0);
    assert_int_equal(xch_ring_commit(&f->be, 1025), XCH_ERROR_INVAL);
    assert_int_equal(xch_ring_commit(&f->be, 26), 0);
    assert_int_equal(f->intf->in_prod, 1026);
    assert_int_equal(xch_ring_read(&f->fe, got, sizeof(got)), 26);
    assert_memory_equal(got, "abcdefghijklmnopqrstuvwxyz", 26);

    /* Committing more than the room is refused. */
    set_indices(f, 0, 0, 0, 1000);
    assert_int_equal(xch_ring_reserve(&f->be, iov, &niov), 24);
    assert_int_equal(niov, 1);
    assert_int_equal(xch_ring_commit(&f->be, 25), XCH_ERROR_RING_CORRUPT);
    assert_int_equal(f->intf->in_prod, 1000);
    assert_int_equal(xch_ring_commit(&f->be, 24), 0);
    assert_int_equal(xch_ring_reserve(&f->be, iov, &niov), 0);
    assert_int_equal(niov, 0);
}

/* The guest rewrites the backend's own indices on the page: the backend
 * goes on from its private copies, and its next publication puts its own
 * values back. */
static void test_ring_peer_rewriting_our_index_is_ignored(void **state)
{
    fixture *f = *state;
    unsigned char data[100], got[100];
    size_t n;

    fill_pattern(data, sizeof(data), 31);
    assert_int_equal(xch_ring_write(&f->fe, data, sizeof(data)), 100);
    f->intf->out_cons = 12345; /* the backend's index, forged */
    f->intf->in_prod = 999999; /* likewise */
    assert_int_equal(xch_ring_readable(&f->be, &n), 0);
    assert_int_equal(n, 100);
    assert_int_equal(xch_ring_writable(&f->be, &n), 0);
    assert_int_equal(n, 1024);
    assert_int_equal(xch_ring_read(&f->be, got, sizeof(got)), 100);
    assert_memory_equal(got, data, sizeof(data));
    assert_int_equal(f->intf->out_cons, 100);
}

/* Room the guest makes in `in` counts once: moving its consumer index
 * back and forth is no progress. */
static void test_ring_tx_freed_counts_only_forward_progress(void **state)
{
    fixture *f = *state;
    unsigned char data[100], got[100];
    size_t freed = 1;

    fill_pattern(data, sizeof(data), 37);
    assert_int_equal(xch_ring_tx_freed(&f->be, &freed), 0);
    assert_int_equal(freed, 0);
    assert_int_equal(xch_ring_write(&f->be, data, sizeof(data)), 100);
    assert_int_equal(xch_ring_read(&f->fe, got, 40), 40);
    assert_int_equal(xch_ring_tx_freed(&f->be, &freed), 0);
    assert_int_equal(freed, 40);
    f->intf->in_cons = 10; /* back */
    assert_int_equal(xch_ring_tx_freed(&f->be, &freed), 0);
    assert_int_equal(freed, 0);
    f->intf->in_cons = 40; /* forth, to where it was */
    assert_int_equal(xch_ring_tx_freed(&f->be, &freed), 0);
    assert_int_equal(freed, 0);
    f->intf->in_cons = 60;
    assert_int_equal(xch_ring_tx_freed(&f->be, &freed), 0);
    assert_int_equal(freed, 20);
    f->intf->in_cons = 101; /* past what was produced */
    assert_int_equal(xch_ring_tx_freed(&f->be, &freed), XCH_ERROR_RING_CORRUPT);
    assert_int_equal(freed, 0);
}

static void test_ring_long_stream_both_ways(void **state)
{
    fixture *f = *state;
    static unsigned char src[1 << 16], dst[1 << 16], back[1 << 16];
    size_t sent = 0, got = 0, sent_back = 0, got_back = 0;
    unsigned chunk = 1;

    fill_pattern(src, sizeof(src), 29);
    /* Odd-sized chunks so that every offset of the wrap gets exercised;
     * the backend echoes what it reads into `in`. */
    while (got_back < sizeof(src)) {
        ssize_t r;

        chunk = chunk * 7 % 997 + 1;
        r = xch_ring_write(&f->fe, src + sent,
                           sizeof(src) - sent < chunk ? sizeof(src) - sent
                                                      : chunk);
        assert_true(r >= 0);
        sent += (size_t)r;
        r = xch_ring_read(&f->be, dst + got,
                          sizeof(dst) - got < chunk / 2 + 1 ? sizeof(dst) - got
                                                            : chunk / 2 + 1);
        assert_true(r >= 0);
        got += (size_t)r;
        r = xch_ring_write(&f->be, dst + sent_back, got - sent_back);
        assert_true(r >= 0);
        sent_back += (size_t)r;
        r = xch_ring_read(&f->fe, back + got_back, chunk);
        assert_true(r >= 0);
        got_back += (size_t)r;
    }
    assert_memory_equal(src, back, sizeof(src));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_ring_empty_reads_nothing),
        T(test_ring_frontend_to_backend_uses_out),
        T(test_ring_backend_to_frontend_uses_in),
        T(test_ring_full_then_empty),
        T(test_ring_partial_write_fills_room),
        T(test_ring_short_read_leaves_rest),
        T(test_ring_wraps_at_2_32),
        T(test_ring_out_too_full_is_corrupt),
        T(test_ring_out_prod_behind_cons_is_corrupt),
        T(test_ring_in_too_full_is_corrupt),
        T(test_ring_in_prod_behind_cons_is_corrupt),
        T(test_ring_corrupt_direction_spares_the_other),
        T(test_ring_exactly_full_is_valid),
        T(test_ring_peek_gives_wrapped_segments),
        T(test_ring_reserve_commit),
        T(test_ring_peer_rewriting_our_index_is_ignored),
        T(test_ring_tx_freed_counts_only_forward_progress),
        T(test_ring_long_stream_both_ways),
#undef T
    };

    return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
