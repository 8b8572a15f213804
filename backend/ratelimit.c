/*
 * ratelimit.c - a token bucket (ratelimit.h).
 */
#include "ratelimit.h"

void xcd_ratelimit_init(xcd_ratelimit *rl, unsigned int burst,
                        unsigned int interval_ms, uint64_t now_ms)
{
    rl->burst = burst ? burst : 1;
    rl->interval_ms = interval_ms ? interval_ms : 1;
    rl->tokens = rl->burst;
    rl->refilled_ms = now_ms;
    rl->suppressed = 0;
}

/* Adds the tokens earned since the last refill, up to the burst. */
static void refill(xcd_ratelimit *rl, uint64_t now_ms)
{
    uint64_t earned;

    if (now_ms < rl->refilled_ms) /* the clock is monotonic; be safe */
        rl->refilled_ms = now_ms;
    earned = (now_ms - rl->refilled_ms) / rl->interval_ms;
    if (!earned)
        return;
    if (earned >= rl->burst - rl->tokens) {
        rl->tokens = rl->burst;
        rl->refilled_ms = now_ms;
    } else {
        rl->tokens += (unsigned int)earned;
        rl->refilled_ms += earned * rl->interval_ms;
    }
}

bool xcd_ratelimit_take(xcd_ratelimit *rl, uint64_t now_ms)
{
    refill(rl, now_ms);
    if (!rl->tokens) {
        rl->suppressed++;
        return false;
    }
    rl->tokens--;
    return true;
}

uint64_t xcd_ratelimit_wait_ms(xcd_ratelimit *rl, uint64_t now_ms)
{
    refill(rl, now_ms);
    if (rl->tokens)
        return 0;
    return rl->refilled_ms + rl->interval_ms - now_ms;
}
