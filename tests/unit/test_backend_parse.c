/*
 * test_backend_parse.c - the daemon's strict parsing of untrusted
 * frontend values, and of its watch paths; its state transition table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../backend/xenchanneld.h"

static void test_parse_uint_accepts_canonical_decimals(void **state)
{
    unsigned long v = 99;

    (void)state;
    assert_int_equal(xcd_parse_uint("0", 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(xcd_parse_uint("4294967295", 4294967295UL, &v), 0);
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
        assert_int_equal(xcd_parse_uint(bad[i], ~0UL, &v), XCH_ERROR_INVAL);
    assert_int_equal(xcd_parse_uint(NULL, ~0UL, &v), XCH_ERROR_INVAL);
    assert_int_equal(xcd_parse_uint("9", 8, &v), XCH_ERROR_INVAL);
    assert_int_equal(v, 7);
}

static void test_parse_limit_clamps(void **state)
{
    bool clamped;

    (void)state;
    assert_int_equal(xcd_parse_limit("1048576", &clamped), 1048576);
    assert_false(clamped);
    assert_int_equal(xcd_parse_limit("1", &clamped), XCD_LIMIT_MIN);
    assert_true(clamped);
    assert_int_equal(xcd_parse_limit("99999999999999", &clamped),
                     XCD_LIMIT_MAX);
    assert_true(clamped);
    assert_int_equal(xcd_parse_limit("lots", &clamped), XCD_LIMIT_DEFAULT);
    assert_true(clamped);
    assert_int_equal(xcd_parse_limit(NULL, &clamped), XCD_LIMIT_DEFAULT);
    assert_false(clamped);
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

static void test_state_transitions(void **state)
{
    int s, t;

    (void)state;
    assert_true(xcd_state_transition_ok(XCD_INIT, XCD_INITWAIT));
    assert_true(xcd_state_transition_ok(XCD_INITWAIT, XCD_CONNECTED));
    assert_true(xcd_state_transition_ok(XCD_CONNECTED, XCD_CLOSING));
    assert_true(xcd_state_transition_ok(XCD_CLOSING, XCD_CLOSED));
    assert_true(xcd_state_transition_ok(XCD_CLOSED, XCD_INITWAIT));
    assert_true(xcd_state_transition_ok(XCD_DETACHING, XCD_DETACHED));
    /* Not allowed: skipping the handshake, leaving a detach, rising from
     * the dead. */
    assert_false(xcd_state_transition_ok(XCD_CLOSED, XCD_CONNECTED));
    assert_false(xcd_state_transition_ok(XCD_DETACHING, XCD_CONNECTED));
    assert_false(xcd_state_transition_ok(XCD_DETACHED, XCD_INITWAIT));
    assert_false(xcd_state_transition_ok(XCD_ERROR, XCD_CONNECTED));
    for (s = 0; s < XCD_STATE_COUNT; s++) {
        /* Every state can be torn down, GONE goes nowhere. */
        if (s != XCD_GONE)
            assert_true(xcd_state_transition_ok(s, XCD_GONE));
        assert_false(xcd_state_transition_ok(XCD_GONE, s));
        /* Nothing goes back to INIT. */
        assert_false(xcd_state_transition_ok(s, XCD_INIT));
        assert_string_not_equal(xcd_state_name(s), "invalid");
        for (t = 0; t < XCD_STATE_COUNT; t++)
            if (s == t)
                assert_false(xcd_state_transition_ok(s, t));
    }
    assert_false(xcd_state_transition_ok(XCD_STATE_COUNT, XCD_GONE));
    assert_string_equal(xcd_state_name(XCD_STATE_COUNT), "invalid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_uint_accepts_canonical_decimals),
        cmocka_unit_test(test_parse_uint_rejects_garbage),
        cmocka_unit_test(test_parse_limit_clamps),
        cmocka_unit_test(test_parse_be_path_levels),
        cmocka_unit_test(test_parse_be_path_rejects_others),
        cmocka_unit_test(test_state_transitions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
