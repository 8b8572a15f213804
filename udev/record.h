/*
 * What one udev event of a console-N device proves about the hvc slots
 * (slots.h), what sysfs shows besides, and whether the helper has every
 * event the kernel has sent so far.
 */
#ifndef XCH_UDEV_RECORD_H
#define XCH_UDEV_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "observe.h"
#include "slots.h"

struct xch_uevent {
    const char *kernel; /* console-N */
    int devid;
    const char *action;
    uint64_t seqnum;
    bool synthetic; /* written to a uevent file (coldplug), not a change */
    char name[XCH_CHANNEL_NAME_MAX + 1]; /* "" when udev had none */
};

/* Logs why the helper lost track of the slots; no links until the
 * kernel's table holds no channel again. */
void xch_taint(struct xch_slots *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records the binding or release ev proves. 0, or -1 (logged). */
int xch_record(struct xch_slots *s, const struct xch_uevent *ev,
               const struct xch_obs *obs);

/* Records, from what sysfs shows now, which bindings still held their
 * slot and which had freed it, by the uevent counter. */
void xch_note_sightings(struct xch_slots *s, const struct xch_obs *obs);

/*
 * Whether the helper has every event the kernel sent so far: each bound
 * device has its binding recorded and each recorded binding is still
 * bound. If not, says in why which device an event is missing for.
 */
bool xch_complete(const struct xch_slots *s, const struct xch_obs *obs,
                  char *why, size_t size);

/* The device a binding is on, while it is still bound; else NULL. */
const struct xch_dev *xch_dev_of(const struct xch_chan *c,
                                 const struct xch_obs *obs);

#endif
