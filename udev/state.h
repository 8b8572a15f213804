/*
 * The helper's memory between events: a text file under /run (tmpfs, so it
 * starts empty at each boot, as the kernel's hvc table does), read and
 * rewritten by each event under a lock.
 */
#ifndef XCH_UDEV_STATE_H
#define XCH_UDEV_STATE_H

#include "slots.h"

/* Reads path into *s; no file gives an empty state. 0, or -1 (logged). */
int xch_state_load(const char *path, struct xch_slots *s);

/* Writes *s to path through a temporary file renamed over it. 0 or -1. */
int xch_state_save(const char *path, const struct xch_slots *s);

#endif
