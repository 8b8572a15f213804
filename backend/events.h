/*
 * events.h - the lifecycle event stream of the control socket: the
 * connections that asked for `{"request":"events"}`, and what is sent to
 * them (docs/control-protocol.md).
 *
 * Each subscriber has a bounded queue of its own. The daemon never waits
 * for one: a subscriber whose queue overflows (it does not read) is cut
 * off and told nothing more. Subscribers are capped; they are not subject
 * to the control socket's idle timeout.
 */
#ifndef XCD_EVENTS_H
#define XCD_EVENTS_H

#include "xenchannel.h"

struct event_base;

typedef struct xcd_events xcd_events;
typedef struct xcd_subscriber xcd_subscriber;

/* Subscribers at once, and what each may have queued. */
#define XCD_SUBSCRIBERS_MAX  32
#define XCD_SUBSCRIBER_QUEUE (256U << 10)

/* 0 or XCH_ERROR_NOMEM. */
int xcd_events_new(struct event_base *base, xcd_events **out);
/* Closes every subscriber; NULL is fine. */
void xcd_events_free(xcd_events *hub);

/* Takes connection fd as a subscriber to the events of guest domid (-1:
 * all). NULL, fd untouched, when the cap is reached or out of memory. */
xcd_subscriber *xcd_events_subscribe(xcd_events *hub, int fd, long domid);

/* Queues ev for one subscriber. */
void xcd_events_send(xcd_events *hub, xcd_subscriber *s,
                     const xch_channel_event *ev);
/* Queues ev for every subscriber it concerns; stamps its time. */
void xcd_events_emit(xcd_events *hub, xch_channel_event *ev);

/* The current time as the events carry it (malloc'd; NULL without
 * memory). */
char *xcd_events_time(void);

#endif
