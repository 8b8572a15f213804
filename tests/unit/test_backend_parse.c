/*
 * test_backend_parse.c - the strict parsing of numbers and sizes that the
 * daemon applies to untrusted frontend values and to its options
 * (libxl-channel/util.c), and of its watch paths (backend/parse.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "internal.h"

#include "../../backend/parse.h"

static void test_parse_uint_accepts_canonical_decimals(void **state)
{
    unsigned long v = 99;

    (void)state;
    assert_int_equal(xch__parse_ulong("0", 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(xch__parse_ulong("4294967295", 4294967295UL, &v), 0);
    assert_int_equal(v, 4294967295UL);
}

static void test_parse_uint_rejects_garbage(void **state)
{
    static const char *const bad[] = {"",   "-1",   "+1", " 1",          "1 ",
                                      "01", "0x10", "1a", "12345678901", "\n",
                                      "1\n"};
    unsigned long v = 7;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(xch__parse_ulong(bad[i], 4294967295UL, &v),
                         XCH_ERROR_INVAL);
    assert_int_equal(xch__parse_ulong(NULL, ~0UL, &v), XCH_ERROR_INVAL);
    assert_int_equal(xch__parse_ulong("18446744073709551616", ~0UL, &v),
                     XCH_ERROR_INVAL); /* one past ULONG_MAX: no overflow */
    assert_int_equal(xch__parse_ulong("9", 8, &v), XCH_ERROR_INVAL);
    assert_int_equal(v, 7);
}

static void test_parse_size_takes_suffixes(void **state)
{
    unsigned long v = 0;

    (void)state;
    assert_int_equal(xch__parse_size("4096", 1UL << 30, &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(xch__parse_size("64K", 1UL << 30, &v), 0);
    assert_int_equal(v, 65536);
    assert_int_equal(xch__parse_size("16m", 1UL << 30, &v), 0);
    assert_int_equal(v, 16UL << 20);
    assert_int_equal(xch__parse_size("1024M", 1UL << 30, &v), 0);
    assert_int_equal(v, 1UL << 30);
}

static void test_parse_size_rejects_garbage_and_overflow(void **state)
{
    static const char *const bad[] = {"",
                                      "K",
                                      "M",
                                      "1KK",
                                      "1G",
                                      "-1K",
                                      "1.5M",
                                      "01K",
                                      " 1K",
                                      "1K ",
                                      "0x1K",
                                      "1025M",
                                      "18014398509481984K"};
    unsigned long v = 7;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (xch__parse_size(bad[i], 1UL << 30, &v) != XCH_ERROR_INVAL)
            fail_msg("size \"%s\" accepted", bad[i]);
    assert_int_equal(xch__parse_size(NULL, 1UL << 30, &v), XCH_ERROR_INVAL);
    assert_int_equal(v, 7);
}

static void test_parse_be_path_levels(void **state)
{
    const char *base = "/local/domain/0/backend/console";
    long dom, dev;

    (void)state;
    assert_int_equal(xcd_parse_be_path(base, base, &dom, &dev), 0);
    assert_int_equal(dom, -1);
    assert_int_equal(xcd_parse_be_path(base,
                                       "/local/domain/0/backend/"
                                       "console/5",
                                       &dom, &dev),
                     0);
    assert_int_equal(dom, 5);
    assert_int_equal(dev, -1);
    assert_int_equal(xcd_parse_be_path(base,
                                       "/local/domain/0/backend/"
                                       "console/5/3/state",
                                       &dom, &dev),
                     0);
    assert_int_equal(dom, 5);
    assert_int_equal(dev, 3);
}

static void test_parse_be_path_rejects_others(void **state)
{
    const char *base = "/local/domain/0/backend/console";
    long dom, dev;

    (void)state;
    assert_int_equal(xcd_parse_be_path(base,
                                       "/local/domain/0/backend/"
                                       "consoleX",
                                       &dom, &dev),
                     XCH_ERROR_INVAL);
    assert_int_equal(xcd_parse_be_path(base,
                                       "/local/domain/0/backend/"
                                       "console/x/1",
                                       &dom, &dev),
                     XCH_ERROR_INVAL);
    assert_int_equal(xcd_parse_be_path(base,
                                       "/local/domain/0/backend/"
                                       "console/99999/1",
                                       &dom, &dev),
                     XCH_ERROR_INVAL);
    assert_int_equal(xcd_parse_be_path(base,
                                       "/local/domain/1/backend/"
                                       "console/1/1",
                                       &dom, &dev),
                     XCH_ERROR_INVAL);
}

static void test_be_own_status_keys(void **state)
{
    const char *dev = "/local/domain/0/backend/console/5/3/";
    static const char *const own[] = {"client-connected", "error",
                                      "bytes-dropped",    "host-end",
                                      "host-error",       "hotplug-status"};
    /* What the toolstack writes, and state, which both sides write. */
    static const char *const others[] = {"state", "online", "name",
                                         "limit", "output", "hotplug-statusX"};
    char path[128];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", dev, own[i]);
        assert_true(xcd_be_own_status_key(path));
    }
    for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", dev, others[i]);
        assert_false(xcd_be_own_status_key(path));
    }
    assert_false(xcd_be_own_status_key("/local/domain/0/backend/console/5/3"));
    assert_false(xcd_be_own_status_key("error"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_uint_accepts_canonical_decimals),
        cmocka_unit_test(test_parse_uint_rejects_garbage),
        cmocka_unit_test(test_parse_size_takes_suffixes),
        cmocka_unit_test(test_parse_size_rejects_garbage_and_overflow),
        cmocka_unit_test(test_parse_be_path_levels),
        cmocka_unit_test(test_parse_be_path_rejects_others),
        cmocka_unit_test(test_be_own_status_keys),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
