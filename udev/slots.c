/* Replays Linux's hvc slot allocation over recorded events (slots.h). */
#include <stdio.h>
#include <stdlib.h>

#include "slots.h"

#define ALL_SLOTS ((1U << XCH_HVC_SLOTS) - 1)

/* Whether a binding held its slot when another console was probed. */
enum held { HELD_NO, HELD_YES, HELD_MAYBE };

/* One event of the replay: a binding's probe or its release. */
struct step {
    bool release;
    bool boot;    /* probes at boot come first, in listing order */
    uint64_t key; /* listing position at boot, else SEQNUM */
    size_t chan;
};

void xch_copy_name(char *dst, const char *src)
{
    snprintf(dst, XCH_CHANNEL_NAME_MAX + 1, "%s", src);
}

bool xch_slots_single(uint32_t mask)
{
    return mask != 0 && (mask & (mask - 1)) == 0;
}

int xch_slots_first(uint32_t mask)
{
    int i = 0;

    while (i < XCH_HVC_SLOTS && !(mask & (1U << i)))
        i++;
    return i;
}

static enum held held_at(const struct xch_chan *y, const struct xch_chan *x)
{
    if (x->boot_pos >= 0)
        return HELD_YES; /* boot probes follow one another, nothing closes */
    if (y->closed && x->bind > y->closed)
        return HELD_NO;
    if (y->alive >= x->bind)
        return HELD_YES;
    return HELD_MAYBE;
}

/* Lowest slot from `from` up that is not in mask; XCH_HVC_SLOTS if none. */
static int lowest_clear(uint32_t mask, int from)
{
    int i = from;

    while (i < XCH_HVC_SLOTS && (mask & (1U << i)))
        i++;
    return i;
}

/* hvc_alloc for x, given the bindings active before it. */
static void place(struct xch_chan *x, struct xch_chan *const *active,
                  size_t nactive)
{
    uint32_t held = 1U, maybe = 1U; /* hvc0: the primary console */
    struct xch_chan *twin = NULL;
    enum held twin_held = HELD_NO;
    int first, last, i;
    size_t k;

    for (k = 0; k < nactive; k++) {
        struct xch_chan *y = active[k];
        enum held h = held_at(y, x);

        if (h == HELD_NO)
            continue;
        if (y->devid % 10 == x->devid % 10) {
            twin = y;
            twin_held = h;
        }
        maybe |= y->slots & ALL_SLOTS;
        if (h == HELD_YES && !y->shared && !y->twinned &&
            xch_slots_single(y->slots))
            held |= y->slots & ALL_SLOTS;
    }
    x->shared = twin != NULL;
    if (twin) {
        /* The kernel gives x the slot of a live console with the same
         * number, and frees that slot when either goes. */
        twin->twinned = true;
        x->slots = twin->slots & ALL_SLOTS;
        if (twin_held == HELD_YES)
            return;
    } else {
        x->slots = 0;
    }
    first = lowest_clear(held, 0);
    last = lowest_clear(maybe, first);
    for (i = first; i <= last && i < XCH_HVC_SLOTS; i++)
        if (!(held & (1U << i)))
            x->slots |= 1U << i;
    if (last == XCH_HVC_SLOTS)
        x->slots |= XCH_SLOT_BEYOND;
}

static int step_cmp(const void *a, const void *b)
{
    const struct step *x = a, *y = b;

    if (x->boot != y->boot)
        return x->boot ? -1 : 1;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return 0;
}

/* The replay's events: unapplied probes and every recorded release. */
static size_t collect_steps(const struct xch_slots *s, struct step *steps)
{
    size_t i, n = 0;

    for (i = 0; i < s->nchans; i++) {
        const struct xch_chan *c = &s->chans[i];

        if (!c->applied) {
            bool boot = c->boot_pos >= 0;

            steps[n++] = (struct step){
                .boot = boot,
                .key = boot ? (uint64_t)c->boot_pos : c->bind,
                .chan = i,
            };
        }
        if (c->release)
            steps[n++] =
                (struct step){.release = true, .key = c->release, .chan = i};
    }
    qsort(steps, n, sizeof(*steps), step_cmp);
    return n;
}

static void forget_released(struct xch_slots *s)
{
    size_t i, n = 0;

    for (i = 0; i < s->nchans; i++)
        if (!s->chans[i].release)
            s->chans[n++] = s->chans[i];
    s->nchans = n;
}

void xch_slots_replay(struct xch_slots *s)
{
    struct step steps[2 * XCH_MAX_CHANS] = {{0}};
    struct xch_chan *active[XCH_MAX_CHANS];
    size_t nsteps, nactive = 0, i, k;

    for (i = 0; i < s->nchans; i++)
        if (s->chans[i].applied)
            active[nactive++] = &s->chans[i];
    nsteps = collect_steps(s, steps);
    for (i = 0; i < nsteps; i++) {
        struct xch_chan *c = &s->chans[steps[i].chan];

        if (!steps[i].release) {
            place(c, active, nactive);
            c->applied = true;
            active[nactive++] = c;
            continue;
        }
        for (k = 0; k < nactive && active[k] != c; k++)
            ;
        if (k < nactive)
            active[k] = active[--nactive];
    }
    forget_released(s);
    s->booted = true;
}
