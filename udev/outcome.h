/*
 * Which channels get a link, said in the log when it changes, and the links
 * in /dev made so: one for each binding whose slot the replay pinned to one
 * of hvc1..hvc7, still holding it now, with a name of its own.
 */
#ifndef XCH_UDEV_OUTCOME_H
#define XCH_UDEV_OUTCOME_H

#include "observe.h"
#include "slots.h"

/* why: what the replay waits for, when it could not run. 0, or -1. */
int xch_outcomes(struct xch_slots *s, const struct xch_obs *obs,
                 const char *why, const char *devdir);

#endif
