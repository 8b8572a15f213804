/*
 * test_udev_slots.c - the udev helper's replay of Linux's hvc_alloc
 * (udev/slots.c): slots in the kernel's order, what a release frees, and
 * where the helper must answer with more than one slot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../udev/slots.h"

static struct xch_slots s;

static int setup(void **state)
{
    (void)state;
    memset(&s, 0, sizeof(s));
    return 0;
}

static struct xch_chan *add(int devid)
{
    struct xch_chan *c = &s.chans[s.nchans++];

    *c = (struct xch_chan){.devid = devid, .boot_pos = -1};
    return c;
}

/* A `bind` of console-devid numbered seq. */
static struct xch_chan *bound(int devid, uint64_t seq)
{
    struct xch_chan *c = add(devid);

    c->bind = seq;
    return c;
}

/* Probed at boot, at position pos of xenstore's listing. */
static struct xch_chan *booted(int devid, int pos)
{
    struct xch_chan *c = add(devid);

    c->boot_pos = pos;
    return c;
}

/* Every binding seen holding its slot when the uevent counter read k. */
static void all_alive(uint64_t k)
{
    size_t i;

    for (i = 0; i < s.nchans; i++)
        s.chans[i].alive = k;
}

static struct xch_chan *chan(int devid)
{
    size_t i;

    for (i = 0; i < s.nchans; i++)
        if (s.chans[i].devid == devid)
            return &s.chans[i];
    fail_msg("no binding of console-%d", devid);
    return NULL;
}

static uint32_t slots(int devid)
{
    return chan(devid)->slots;
}

#define SLOT(i) (1U << (i))

static void test_slots_follow_the_order_of_probes(void **state)
{
    (void)state;
    bound(1, 10);
    bound(2, 12);
    bound(3, 14);
    all_alive(20);
    xch_slots_replay(&s);
    assert_int_equal(slots(1), SLOT(1));
    assert_int_equal(slots(2), SLOT(2));
    assert_int_equal(slots(3), SLOT(3));
}

static void test_slots_follow_seqnum_not_the_order_recorded(void **state)
{
    (void)state;
    bound(3, 14); /* udev's workers ran console-3's bind first */
    bound(1, 10);
    bound(2, 12);
    all_alive(20);
    xch_slots_replay(&s);
    assert_int_equal(slots(1), SLOT(1));
    assert_int_equal(slots(2), SLOT(2));
    assert_int_equal(slots(3), SLOT(3));
}

static void test_slots_explicit_devid_takes_the_first_free(void **state)
{
    (void)state;
    bound(1, 10);
    bound(2, 12);
    bound(3, 14);
    bound(5, 16);
    bound(4, 18);
    all_alive(20);
    xch_slots_replay(&s);
    assert_int_equal(slots(5), SLOT(4));
    assert_int_equal(slots(4), SLOT(5));
}

static void test_slots_released_slot_goes_to_the_next_probe(void **state)
{
    (void)state;
    bound(1, 10);
    bound(2, 12);
    all_alive(13);
    xch_slots_replay(&s);
    chan(1)->release = 20;
    bound(1, 22); /* the same devid again: a new binding */
    all_alive(23);
    xch_slots_replay(&s);
    assert_int_equal(s.nchans, 2); /* the released binding is forgotten */
    assert_int_equal(slots(1), SLOT(1));
    assert_int_equal(slots(2), SLOT(2));
}

static void test_slots_at_boot_follow_the_listing(void **state)
{
    (void)state;
    booted(2, 0);
    booted(1, 2);
    booted(3, 1);
    bound(4, 30); /* hot-plugged after boot */
    all_alive(31);
    xch_slots_replay(&s);
    assert_int_equal(slots(2), SLOT(1));
    assert_int_equal(slots(3), SLOT(2));
    assert_int_equal(slots(1), SLOT(3));
    assert_int_equal(slots(4), SLOT(4));
}

static void test_slots_probe_during_an_unknown_close_is_unsure(void **state)
{
    (void)state;
    bound(1, 10);
    bound(2, 12);
    all_alive(13);
    xch_slots_replay(&s);
    bound(3, 20);
    chan(2)->alive = 21; /* console-1 was not seen holding hvc1 after 13 */
    chan(3)->alive = 21;
    xch_slots_replay(&s);
    assert_int_equal(slots(3), SLOT(1) | SLOT(3));
    assert_false(xch_slots_single(slots(3)));
}

static void test_slots_seen_closed_before_the_probe_is_free(void **state)
{
    (void)state;
    bound(1, 10);
    bound(2, 12);
    all_alive(13);
    xch_slots_replay(&s);
    chan(1)->closed = 15; /* seen Closed, counter 15 read after */
    bound(3, 20);
    chan(2)->alive = 21;
    chan(3)->alive = 21;
    xch_slots_replay(&s);
    assert_int_equal(slots(3), SLOT(1));
}

static void test_slots_same_last_digit_shares_and_unsettles(void **state)
{
    (void)state;
    bound(1, 10);
    bound(11, 20);
    all_alive(21);
    xch_slots_replay(&s);
    assert_int_equal(slots(11), SLOT(1)); /* console-1's slot */
    assert_true(chan(11)->shared);
    assert_true(chan(1)->twinned);
    assert_false(chan(1)->shared); /* hvc1 still opens console-1 */
    bound(2, 30);
    all_alive(31);
    xch_slots_replay(&s);
    /* hvc1 is free if console-11 went first, so hvc1 or hvc2 */
    assert_int_equal(slots(2), SLOT(1) | SLOT(2));
}

static void test_slots_eighth_channel_gets_a_slot_without_tty(void **state)
{
    int devid;

    (void)state;
    for (devid = 1; devid <= 8; devid++)
        bound(devid, 10 + (uint64_t)devid);
    all_alive(20);
    xch_slots_replay(&s);
    assert_int_equal(xch_slots_first(slots(8)), 8);
    assert_true(xch_slots_first(slots(8)) >= XCH_HVC_TTYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_slots_follow_the_order_of_probes, setup),
        cmocka_unit_test_setup(test_slots_follow_seqnum_not_the_order_recorded,
                               setup),
        cmocka_unit_test_setup(test_slots_explicit_devid_takes_the_first_free,
                               setup),
        cmocka_unit_test_setup(test_slots_released_slot_goes_to_the_next_probe,
                               setup),
        cmocka_unit_test_setup(test_slots_at_boot_follow_the_listing, setup),
        cmocka_unit_test_setup(
            test_slots_probe_during_an_unknown_close_is_unsure, setup),
        cmocka_unit_test_setup(test_slots_seen_closed_before_the_probe_is_free,
                               setup),
        cmocka_unit_test_setup(test_slots_same_last_digit_shares_and_unsettles,
                               setup),
        cmocka_unit_test_setup(
            test_slots_eighth_channel_gets_a_slot_without_tty, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
