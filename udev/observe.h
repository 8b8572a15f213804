/*
 * What sysfs shows of the guest's console-N devices at one moment, between
 * two reads of the kernel's uevent counter (/sys/kernel/uevent_seqnum).
 */
#ifndef XCH_UDEV_OBSERVE_H
#define XCH_UDEV_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XCH_MAX_DEVS 256

struct xch_dev {
    int devid;
    uint64_t ino; /* inode of its directory: one per device, never reused */
    bool bound;   /* has a `driver` link (set before the probe runs) */
    bool alive;   /* bound and Initialised or Connected: holds its hvc */
    bool closed;  /* bound and Closed: hvc_xen has freed its hvc */
};

struct xch_obs {
    uint64_t seq_before; /* uevent counter before looking at the devices */
    uint64_t seq_after;  /* and after */
    size_t ndevs;
    struct xch_dev devs[XCH_MAX_DEVS];
    char foreign[64]; /* a console-* the helper cannot follow, or "" */
};

/* "console-N" with N a devid the helper follows: N, else -1. */
int xch_console_devid(const char *kernel);

/* Looks at sysfs/bus/xen/devices/console-*. 0, or -1 (logged). */
int xch_observe(const char *sysfs, struct xch_obs *obs);

/* The device console-devid, or NULL. */
const struct xch_dev *xch_obs_find(const struct xch_obs *obs, int devid);

#endif
