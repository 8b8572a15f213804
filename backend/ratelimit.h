/*
 * ratelimit.h - a token bucket: at most `burst` actions at once, then one
 * per `interval_ms`. Bounds every kind of work that a guest or a client can
 * cause at will (log lines, xenstore re-reads) without ever delaying real
 * data.
 */
#ifndef XCD_RATELIMIT_H
#define XCD_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct xcd_ratelimit {
    unsigned int burst;
    unsigned int interval_ms;
    unsigned int tokens;
    uint64_t refilled_ms; /* when tokens were last brought up to date */
    uint64_t suppressed;  /* actions refused since the last one taken */
} xcd_ratelimit;

/* A full bucket. */
void xcd_ratelimit_init(xcd_ratelimit *rl, unsigned int burst,
                        unsigned int interval_ms, uint64_t now_ms);

/* Takes a token if there is one (true); otherwise counts a suppressed
 * action (false). */
bool xcd_ratelimit_take(xcd_ratelimit *rl, uint64_t now_ms);

/* Milliseconds until the next token (0 if there is one now). */
uint64_t xcd_ratelimit_wait_ms(xcd_ratelimit *rl, uint64_t now_ms);

#endif
