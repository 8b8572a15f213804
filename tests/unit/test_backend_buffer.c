/*
 * test_backend_buffer.c - the daemon's bounded guest -> host buffer:
 * nothing lost below the bound, oldest bytes dropped and counted past it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../backend/buffer.h"

/* Copies what the buffer holds, oldest first; returns the length. */
static size_t contents(const xcd_buffer *b, char *out)
{
    struct iovec iov[2];
    int niov, i;
    size_t len = xcd_buffer_peek(b, iov, &niov), off = 0;

    for (i = 0; i < niov; i++) {
        memcpy(out + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    assert_int_equal(off, len);
    return len;
}

static void test_buffer_keeps_everything_below_the_bound(void **state)
{
    xcd_buffer b;
    char out[16];

    (void)state;
    xcd_buffer_init(&b, 10);
    assert_int_equal(xcd_buffer_push(&b, "hello", 5), 0);
    assert_int_equal(xcd_buffer_push(&b, "world", 5), 0);
    assert_int_equal(contents(&b, out), 10);
    assert_memory_equal(out, "helloworld", 10);
    assert_int_equal(b.dropped, 0);
    xcd_buffer_dispose(&b);
}

static void test_buffer_drops_the_oldest_past_the_bound(void **state)
{
    xcd_buffer b;
    char out[16];

    (void)state;
    xcd_buffer_init(&b, 8);
    assert_int_equal(xcd_buffer_push(&b, "abcdef", 6), 0);
    assert_int_equal(xcd_buffer_push(&b, "ghij", 4), 2);
    assert_int_equal(contents(&b, out), 8);
    assert_memory_equal(out, "cdefghij", 8);
    assert_int_equal(b.dropped, 2);
    xcd_buffer_dispose(&b);
}

static void test_buffer_push_larger_than_bound_keeps_newest(void **state)
{
    xcd_buffer b;
    char out[16];

    (void)state;
    xcd_buffer_init(&b, 4);
    assert_int_equal(xcd_buffer_push(&b, "xy", 2), 0);
    assert_int_equal(xcd_buffer_push(&b, "0123456789", 10), 8);
    assert_int_equal(contents(&b, out), 4);
    assert_memory_equal(out, "6789", 4);
    assert_int_equal(b.dropped, 8);
    xcd_buffer_dispose(&b);
}

static void test_buffer_wraps_and_consumes_in_order(void **state)
{
    xcd_buffer b;
    char out[8192], in[8192];
    size_t i, total = 0, seen = 0;

    (void)state;
    for (i = 0; i < sizeof(in); i++)
        in[i] = (char)(i * 7);
    xcd_buffer_init(&b, 5000);
    /* Push and consume in odd sizes so that the data wraps around. */
    while (total < sizeof(in)) {
        size_t n = sizeof(in) - total < 1234 ? sizeof(in) - total : 1234;
        size_t have;

        assert_int_equal(xcd_buffer_push(&b, in + total, n), 0);
        total += n;
        have = contents(&b, out);
        assert_memory_equal(out, in + seen, have);
        xcd_buffer_consume(&b, have > 1000 ? have - 1000 : have);
        seen += have > 1000 ? have - 1000 : have;
    }
    assert_int_equal(b.dropped, 0);
    assert_int_equal(seen + b.len, total);
    xcd_buffer_dispose(&b);
}

static void test_buffer_shrinking_drops_the_oldest(void **state)
{
    xcd_buffer b;
    char out[16];

    (void)state;
    xcd_buffer_init(&b, 16);
    assert_int_equal(xcd_buffer_push(&b, "0123456789", 10), 0);
    assert_int_equal(xcd_buffer_set_cap(&b, 4), 6);
    assert_int_equal(contents(&b, out), 4);
    assert_memory_equal(out, "6789", 4);
    assert_int_equal(xcd_buffer_push(&b, "ab", 2), 2);
    assert_int_equal(contents(&b, out), 4);
    assert_memory_equal(out, "89ab", 4);
    assert_int_equal(b.dropped, 8);
    xcd_buffer_dispose(&b);
}

static void test_buffer_empty_push_and_consume(void **state)
{
    xcd_buffer b;
    struct iovec iov[2];
    int niov;

    (void)state;
    xcd_buffer_init(&b, 4);
    assert_int_equal(xcd_buffer_push(&b, "", 0), 0);
    assert_int_equal(xcd_buffer_peek(&b, iov, &niov), 0);
    assert_int_equal(niov, 0);
    xcd_buffer_consume(&b, 10);
    assert_int_equal(b.len, 0);
    xcd_buffer_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffer_keeps_everything_below_the_bound),
        cmocka_unit_test(test_buffer_drops_the_oldest_past_the_bound),
        cmocka_unit_test(test_buffer_push_larger_than_bound_keeps_newest),
        cmocka_unit_test(test_buffer_wraps_and_consumes_in_order),
        cmocka_unit_test(test_buffer_shrinking_drops_the_oldest),
        cmocka_unit_test(test_buffer_empty_push_and_consume),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
