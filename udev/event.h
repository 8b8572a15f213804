/*
 * One udev event of a guest's console-N device: record what it proves
 * about the hvc slots (slots.h), look at sysfs, and make or remove the
 * channel links so that each names its channel's tty or does not exist.
 */
#ifndef XCH_UDEV_EVENT_H
#define XCH_UDEV_EVENT_H

struct xch_paths {
    const char *sysfs;  /* /sys */
    const char *devdir; /* /dev */
    const char *rundir; /* /run/xen-channel: the state, on tmpfs */
};

/*
 * Handles the event udev describes in the environment (ACTION, SEQNUM,
 * SYNTH_UUID for a synthetic event, XEN_CHANNEL_NAME carried in udev's
 * database) for the device called kernel. Returns an exit status.
 */
int xch_event(const struct xch_paths *paths, const char *kernel);

#endif
