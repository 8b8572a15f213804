/*
 * test_backend_states.c - the two state machines of a channel, without
 * xenstore: the tables of legal moves of the guest side and the host end,
 * what an impossible move leads to, and the storm rule; the token bucket
 * that bounds guest-caused work.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../backend/guest.h"
#include "../../backend/host.h"
#include "../../backend/ratelimit.h"

#define GUEST_STATES (XCH_GUEST_SIDE_DETACHED + 1)
#define HOST_STATES  (XCH_HOST_END_FAILED + 1)

/* Whether `to` can be reached from `from` in any number of moves. */
static bool guest_reachable(int from, int to)
{
    bool seen[GUEST_STATES] = {false};
    int stack[GUEST_STATES], n = 0, s, t;

    stack[n++] = from;
    seen[from] = true;
    while (n) {
        s = stack[--n];
        if (s == to)
            return true;
        for (t = 0; t < GUEST_STATES; t++)
            if (!seen[t] && xcd_guest_transition_ok(s, t)) {
                seen[t] = true;
                stack[n++] = t;
            }
    }
    return false;
}

/* The xenbus handshake and its reconnection are legal, step by step. */
static void test_guest_handshake_is_legal(void **state)
{
    static const xch_guest_side path[] = {
        XCH_GUEST_SIDE_INIT,      XCH_GUEST_SIDE_INITWAIT,
        XCH_GUEST_SIDE_CONNECTED, XCH_GUEST_SIDE_CLOSING,
        XCH_GUEST_SIDE_CLOSED,    XCH_GUEST_SIDE_INITWAIT,
        XCH_GUEST_SIDE_CONNECTED, XCH_GUEST_SIDE_FAILED,
        XCH_GUEST_SIDE_CLOSED,    XCH_GUEST_SIDE_DETACHING,
        XCH_GUEST_SIDE_DETACHED};
    size_t i;

    (void)state;
    for (i = 0; i + 1 < sizeof(path) / sizeof(path[0]); i++)
        if (!xcd_guest_transition_ok(path[i], path[i + 1]))
            fail_msg("%s -> %s refused", xch_guest_side_to_string(path[i]),
                     xch_guest_side_to_string(path[i + 1]));
}

/* What the protocol forbids: skipping the handshake, leaving a detach,
 * rising from the dead, going back to INIT, standing still. */
static void test_guest_forbidden_moves(void **state)
{
    int s;

    (void)state;
    assert_false(xcd_guest_transition_ok(XCH_GUEST_SIDE_CLOSED,
                                         XCH_GUEST_SIDE_CONNECTED));
    assert_false(xcd_guest_transition_ok(XCH_GUEST_SIDE_FAILED,
                                         XCH_GUEST_SIDE_CONNECTED));
    assert_false(xcd_guest_transition_ok(XCH_GUEST_SIDE_DETACHING,
                                         XCH_GUEST_SIDE_CONNECTED));
    for (s = 0; s < GUEST_STATES; s++) {
        assert_false(xcd_guest_transition_ok(XCH_GUEST_SIDE_DETACHED, s));
        assert_false(xcd_guest_transition_ok(s, XCH_GUEST_SIDE_INIT));
        assert_false(xcd_guest_transition_ok(s, s));
    }
    assert_false(xcd_guest_transition_ok(GUEST_STATES, XCH_GUEST_SIDE_INIT));
    assert_false(xcd_guest_transition_ok(XCH_GUEST_SIDE_INIT, GUEST_STATES));
}

/* Every state is reachable from INIT; a detach is possible from every
 * state until it is done, and every state can fail or end. */
static void test_guest_every_state_reachable_and_detachable(void **state)
{
    int s;

    (void)state;
    for (s = 0; s < GUEST_STATES; s++) {
        assert_true(guest_reachable(XCH_GUEST_SIDE_INIT, s));
        if (s != XCH_GUEST_SIDE_DETACHED)
            assert_true(guest_reachable(s, XCH_GUEST_SIDE_DETACHED));
        if (s != XCH_GUEST_SIDE_DETACHING && s != XCH_GUEST_SIDE_DETACHED &&
            s != XCH_GUEST_SIDE_FAILED)
            assert_true(xcd_guest_transition_ok(s, XCH_GUEST_SIDE_FAILED));
    }
}

/* An impossible move fails the channel (FAILED, where that is legal) and
 * is reported as impossible; it never goes where it asked. */
static void test_guest_impossible_move_fails_the_channel(void **state)
{
    bool legal = true;

    (void)state;
    assert_int_equal(
        xcd_guest_next(XCH_GUEST_SIDE_CLOSED, XCH_GUEST_SIDE_CONNECTED, &legal),
        XCH_GUEST_SIDE_FAILED);
    assert_false(legal);
    /* From where FAILED is not legal either, it stays put. */
    assert_int_equal(xcd_guest_next(XCH_GUEST_SIDE_DETACHED,
                                    XCH_GUEST_SIDE_INITWAIT, &legal),
                     XCH_GUEST_SIDE_DETACHED);
    assert_false(legal);
    assert_int_equal(xcd_guest_next(XCH_GUEST_SIDE_INITWAIT,
                                    XCH_GUEST_SIDE_CONNECTED, &legal),
                     XCH_GUEST_SIDE_CONNECTED);
    assert_true(legal);
}

static void test_host_end_moves(void **state)
{
    bool legal = true;
    int s;

    (void)state;
    assert_true(
        xcd_host_transition_ok(XCH_HOST_END_CLOSED, XCH_HOST_END_LISTENING));
    assert_true(
        xcd_host_transition_ok(XCH_HOST_END_LISTENING, XCH_HOST_END_CLIENT));
    assert_true(
        xcd_host_transition_ok(XCH_HOST_END_CLIENT, XCH_HOST_END_LISTENING));
    assert_true(
        xcd_host_transition_ok(XCH_HOST_END_CLOSED, XCH_HOST_END_FAILED));
    assert_true(
        xcd_host_transition_ok(XCH_HOST_END_FAILED, XCH_HOST_END_LISTENING));
    /* A client needs a listening endpoint first. */
    assert_false(
        xcd_host_transition_ok(XCH_HOST_END_CLOSED, XCH_HOST_END_CLIENT));
    assert_false(
        xcd_host_transition_ok(XCH_HOST_END_FAILED, XCH_HOST_END_CLIENT));
    for (s = 0; s < HOST_STATES; s++) {
        assert_false(xcd_host_transition_ok(s, s));
        if (s != XCH_HOST_END_CLOSED)
            assert_true(xcd_host_transition_ok(s, XCH_HOST_END_CLOSED));
    }
    assert_int_equal(
        xcd_host_next(XCH_HOST_END_CLOSED, XCH_HOST_END_CLIENT, &legal),
        XCH_HOST_END_FAILED);
    assert_false(legal);
    assert_int_equal(
        xcd_host_next(XCH_HOST_END_FAILED, XCH_HOST_END_CLIENT, &legal),
        XCH_HOST_END_CLOSED);
    assert_false(legal);
}

static void test_host_retry_backs_off(void **state)
{
    xcd_host h;
    unsigned int i, ms, last = 0;

    (void)state;
    xcd_host_init(&h);
    assert_int_equal(xcd_host_backoff(&h), XCD_HOST_RETRY_MIN_MS);
    for (i = 0; i < 20; i++) {
        ms = xcd_host_backoff(&h);
        assert_true(ms >= last && ms <= XCD_HOST_RETRY_MAX_MS);
        last = ms;
    }
    assert_int_equal(last, XCD_HOST_RETRY_MAX_MS);
}

/* A run of notifications that move nothing masks the port, longer each
 * time while it goes on; one that moves data ends the storm. */
static void test_storm_needs_a_run_of_empty_events(void **state)
{
    xcd_guest g;
    unsigned int i;

    (void)state;
    xcd_guest_init(&g, 0);
    for (i = 1; i < XCD_STORM_RUN; i++)
        assert_int_equal(xcd_guest_storm(&g), 0);
    assert_int_equal(xcd_guest_storm(&g), XCD_STORM_MASK_MIN_MS);
    assert_int_equal(g.storms, 1);
    for (i = 1; i < XCD_STORM_RUN; i++)
        assert_int_equal(xcd_guest_storm(&g), 0);
    assert_int_equal(xcd_guest_storm(&g), 2 * XCD_STORM_MASK_MIN_MS);
    for (i = 0; i < 20 * XCD_STORM_RUN; i++)
        assert_true(xcd_guest_storm(&g) <= XCD_STORM_MASK_MAX_MS);
    assert_int_equal(g.mask_ms, XCD_STORM_MASK_MAX_MS);
    /* Real traffic: no storm, and the next one starts short again. */
    g.progress += 1;
    assert_int_equal(xcd_guest_storm(&g), 0);
    for (i = 1; i < XCD_STORM_RUN; i++)
        assert_int_equal(xcd_guest_storm(&g), 0);
    assert_int_equal(xcd_guest_storm(&g), XCD_STORM_MASK_MIN_MS);
}

/* Traffic in between keeps any number of events from being a storm. */
static void test_storm_never_throttles_traffic(void **state)
{
    xcd_guest g;
    unsigned int i;

    (void)state;
    xcd_guest_init(&g, 0);
    for (i = 0; i < 100 * XCD_STORM_RUN; i++) {
        if (i % (XCD_STORM_RUN - 1) == 0)
            g.progress++;
        assert_int_equal(xcd_guest_storm(&g), 0);
    }
    assert_int_equal(g.storms, 0);
}

static void test_ratelimit_burst_then_rate(void **state)
{
    xcd_ratelimit rl;
    int i;

    (void)state;
    xcd_ratelimit_init(&rl, 3, 100, 1000);
    for (i = 0; i < 3; i++)
        assert_true(xcd_ratelimit_take(&rl, 1000));
    assert_false(xcd_ratelimit_take(&rl, 1000));
    assert_false(xcd_ratelimit_take(&rl, 1099));
    assert_int_equal(rl.suppressed, 2);
    assert_int_equal(xcd_ratelimit_wait_ms(&rl, 1050), 50);
    assert_true(xcd_ratelimit_take(&rl, 1100));
    assert_false(xcd_ratelimit_take(&rl, 1100));
    /* A long pause refills up to the burst, no more. */
    for (i = 0; i < 3; i++)
        assert_true(xcd_ratelimit_take(&rl, 100000));
    assert_false(xcd_ratelimit_take(&rl, 100000));
    assert_int_equal(xcd_ratelimit_wait_ms(&rl, 100000), 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guest_handshake_is_legal),
        cmocka_unit_test(test_guest_forbidden_moves),
        cmocka_unit_test(test_guest_every_state_reachable_and_detachable),
        cmocka_unit_test(test_guest_impossible_move_fails_the_channel),
        cmocka_unit_test(test_host_end_moves),
        cmocka_unit_test(test_host_retry_backs_off),
        cmocka_unit_test(test_storm_needs_a_run_of_empty_events),
        cmocka_unit_test(test_storm_never_throttles_traffic),
        cmocka_unit_test(test_ratelimit_burst_then_rate),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
