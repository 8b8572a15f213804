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
    xcd_buffer_init(&b, 10, NULL);
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
    xcd_buffer_init(&b, 8, NULL);
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
    xcd_buffer_init(&b, 4, NULL);
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
    xcd_buffer_init(&b, 5000, NULL);
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
    xcd_buffer_init(&b, 16, NULL);
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
    xcd_buffer_init(&b, 4, NULL);
    assert_int_equal(xcd_buffer_push(&b, "", 0), 0);
    assert_int_equal(xcd_buffer_peek(&b, iov, &niov), 0);
    assert_int_equal(niov, 0);
    xcd_buffer_consume(&b, 10);
    assert_int_equal(b.len, 0);
    xcd_buffer_dispose(&b);
}

/* Memory is taken while bytes wait and given back once they are read:
 * an idle channel holds none. */
static void test_buffer_gives_memory_back_when_drained(void **state)
{
    xcd_buffer_pool pool = {.cap = 1 << 20};
    char data[10000] = {0};
    xcd_buffer b;

    (void)state;
    xcd_buffer_init(&b, 1 << 20, &pool);
    assert_int_equal(pool.used, 0);
    assert_int_equal(xcd_buffer_push(&b, data, sizeof(data)), 0);
    assert_true(pool.used >= sizeof(data));
    assert_int_equal(pool.used, b.size);
    xcd_buffer_consume(&b, 4000);
    assert_true(pool.used > 0);
    xcd_buffer_consume(&b, 6000);
    assert_int_equal(b.len, 0);
    assert_int_equal(pool.used, 0);
    assert_null(b.data);
    xcd_buffer_dispose(&b);
}

/* The pool bounds all buffers together: past it, a buffer drops its
 * oldest bytes although its own bound would allow more, and counts them;
 * memory a drained buffer gives back serves the others. */
static void test_buffer_pool_bounds_all_buffers(void **state)
{
    xcd_buffer_pool pool = {.cap = 8192};
    char data[6000], out[8192];
    xcd_buffer a, b;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(data); i++)
        data[i] = (char)i;
    xcd_buffer_init(&a, 1 << 20, &pool);
    xcd_buffer_init(&b, 1 << 20, &pool);
    assert_int_equal(xcd_buffer_push(&a, data, sizeof(data)), 0);
    assert_true(pool.used <= pool.cap);
    /* b gets what is left of the pool, and keeps the newest bytes. */
    assert_int_equal(xcd_buffer_push(&b, data, sizeof(data)),
                     (int64_t)(sizeof(data) - (pool.cap - a.size)));
    assert_int_equal(pool.used, pool.cap);
    assert_int_equal(b.len, pool.cap - a.size);
    assert_int_equal(contents(&b, out), b.len);
    assert_memory_equal(out, data + sizeof(data) - b.len, b.len);
    assert_int_equal(b.dropped, sizeof(data) - b.len);
    /* a drains: its memory serves b. */
    xcd_buffer_consume(&a, a.len);
    assert_int_equal(xcd_buffer_push(&b, data, sizeof(data)), 0);
    assert_true(pool.used <= pool.cap);
    xcd_buffer_dispose(&a);
    xcd_buffer_dispose(&b);
    assert_int_equal(pool.used, 0);
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
        cmocka_unit_test(test_buffer_gives_memory_back_when_drained),
        cmocka_unit_test(test_buffer_pool_bounds_all_buffers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
