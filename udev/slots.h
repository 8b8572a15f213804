/*
 * What the guest's udev helper knows about Linux's hvc slots.
 *
 * Linux (drivers/tty/hvc/hvc_console.c, hvc_alloc) gives a new console the
 * slot of a live console with the same console number (hvc_xen makes it
 * from the last decimal digit of the devid), else the first free slot of
 * a 16-entry table, else a number past the table. hvc0 is the primary
 * console; only /dev/hvc0..hvc7 are ttys. hvc_xen allocates in its probe,
 * just before the kernel sends `bind`, and frees the slot (hvc_remove) when
 * the backend closes or at `unbind`. Nothing in sysfs says which slot a
 * console-N got, so the helper replays that rule over the events it sees,
 * in the kernel's order (SEQNUM), and keeps what the replay cannot decide
 * as a set of possible slots: a link is made only for a single slot.
 *
 * Probes, closes and removals of xenbus frontends all run in the kernel's
 * one xenwatch thread, so the helper can order a console's probe against
 * another's close from the SEQNUMs of their events and from what it saw in
 * sysfs between events:
 *   - a console seen holding its slot (bound, Initialised or Connected)
 *     when the kernel's uevent counter read K held it at every probe whose
 *     `bind` is numbered K or less;
 *   - a console seen Closed (hvc_remove runs before hvc_xen switches to
 *     Closed), or unbound by an event numbered U, had freed its slot before
 *     every probe whose `bind` is numbered above that counter or U.
 * Channels present when the guest booted were probed before udev ran, in
 * the order xenstore lists device/console (creation order), into a table
 * holding only hvc0.
 */
#ifndef XCH_UDEV_SLOTS_H
#define XCH_UDEV_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xenchannel.h>

#define XCH_HVC_SLOTS 16 /* MAX_NR_HVC_CONSOLES */
#define XCH_HVC_TTYS  8  /* HVC_ALLOC_TTY_ADAPTERS: /dev/hvc0..hvc7 */
/* In a slot mask: a number past the table (the kernel's last_hvc + 16). */
#define XCH_SLOT_BEYOND (1U << XCH_HVC_SLOTS)

#define XCH_MAX_CHANS   64        /* bindings remembered at once */
#define XCH_MAX_DEVID   999999999 /* console-N the helper can follow */
#define XCH_MAX_LISTING 256       /* entries of device/console kept for boot */

/* One binding of hvc_xen to a console-N device, from probe to unbind. */
struct xch_chan {
    uint64_t ino;     /* sysfs inode of its device directory; 0: unknown */
    int devid;        /* N of console-N */
    int boot_pos;     /* probed at boot: its place in the listing; or -1 */
    uint64_t bind;    /* SEQNUM of its `bind` (0 when probed at boot) */
    uint64_t release; /* SEQNUM of its `unbind` (or `remove`); 0: none */
    uint64_t alive;   /* seen holding its slot at this uevent counter */
    uint64_t closed;  /* seen Closed before this uevent counter; 0: not */
    bool applied;     /* slots below are the replay's answer */
    bool shared;      /* may share a slot: same last digit as another */
    bool twinned;     /* another may share its slot: it may be freed early */
    uint32_t slots;   /* possible slots: bit i is hvc i; XCH_SLOT_BEYOND */
    int reported;     /* last outcome logged (enum xch_outcome) */
    int reported_slot;
    char name[XCH_CHANNEL_NAME_MAX + 1]; /* "" when unknown */
};

/* A link the helper made: /dev/xen-channels/NAME -> hvcSLOT. */
struct xch_link {
    char name[XCH_CHANNEL_NAME_MAX + 1];
    int slot;
};

struct xch_slots {
    bool tainted; /* an event was missed: no links until the table empties */
    bool booted;  /* a replay ran: every later binding has a `bind` */
    size_t nlisting;
    int listing[XCH_MAX_LISTING]; /* device/console at the first boot record */
    size_t nchans;
    struct xch_chan chans[XCH_MAX_CHANS];
    size_t nlinks;
    struct xch_link links[XCH_MAX_CHANS];
};

/*
 * Replays, in the kernel's order, every binding and release recorded and
 * not replayed yet, then forgets released bindings. Call it only when the
 * records are complete: every console device bound in sysfs has a binding
 * recorded, and every recorded binding is still bound.
 */
void xch_slots_replay(struct xch_slots *s);

/* Copies a channel name (at most XCH_CHANNEL_NAME_MAX bytes, checked). */
void xch_copy_name(char *dst, const char *src);

/* True when mask names exactly one slot (or XCH_SLOT_BEYOND alone). */
bool xch_slots_single(uint32_t mask);

/* The lowest slot in mask, or XCH_HVC_SLOTS for XCH_SLOT_BEYOND alone. */
int xch_slots_first(uint32_t mask);

#endif
