/* Which channels get a link, and the links (outcome.h). */
#include <stdio.h>
#include <string.h>

#include "links.h"
#include "log.h"
#include "outcome.h"
#include "record.h"

/* What became of a binding, as last logged (xch_chan.reported). */
enum outcome {
    OUT_NONE,      /* nothing logged yet */
    OUT_LINKED,    /* linked to hvc slot */
    OUT_WAITING,   /* an event the replay needs has not arrived yet */
    OUT_CLOSED,    /* its hvc is gone: closed, unbound or removed */
    OUT_UNSURE,    /* more than one slot is possible */
    OUT_SHARED,    /* may share a slot with a same-digit console */
    OUT_NO_TTY,    /* its slot has no /dev/hvcN */
    OUT_NO_NAME,   /* its name was not read */
    OUT_SAME_NAME, /* another channel present has the same name */
    OUT_TAINTED,   /* events were missed */
};

static enum outcome outcome_of(const struct xch_slots *s,
                               const struct xch_chan *c,
                               const struct xch_obs *obs)
{
    const struct xch_dev *d = xch_dev_of(c, obs);

    if (s->tainted)
        return OUT_TAINTED;
    if (!c->applied)
        return OUT_WAITING;
    if (!d || !d->alive || c->closed)
        return OUT_CLOSED;
    if (c->shared)
        return OUT_SHARED;
    if (!xch_slots_single(c->slots))
        return OUT_UNSURE;
    if (xch_slots_first(c->slots) >= XCH_HVC_TTYS)
        return OUT_NO_TTY;
    if (!c->name[0])
        return OUT_NO_NAME;
    return OUT_LINKED;
}

/* "hvc1, hvc3 or no slot in its table" */
static void describe_slots(uint32_t mask, char *buf, size_t size)
{
    char item[XCH_HVC_SLOTS + 1][24];
    size_t n = 0, i, len = 0;
    int slot;

    for (slot = 0; slot < XCH_HVC_SLOTS; slot++)
        if (mask & (1U << slot))
            snprintf(item[n++], sizeof(item[0]), "hvc%d", slot);
    if (mask & XCH_SLOT_BEYOND)
        snprintf(item[n++], sizeof(item[0]), "no slot in its table");
    buf[0] = '\0';
    for (i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s",
                                i == 0       ? ""
                                : i + 1 == n ? " or "
                                             : ", ",
                                item[i]);
}

static void report(const struct xch_chan *c, enum outcome out, const char *why)
{
    char slots[512];
    int slot = xch_slots_first(c->slots);
    const char *name = c->name[0] ? c->name : "name unknown";

    switch (out) {
    case OUT_LINKED:
        xch_log(LOG_INFO, "console-%d: /dev/xen-channels/%s -> hvc%d", c->devid,
                c->name, slot);
        break;
    case OUT_WAITING:
        xch_log(LOG_INFO, "console-%d (%s): no link yet: %s", c->devid, name,
                why);
        break;
    case OUT_CLOSED:
        xch_log(LOG_INFO, "console-%d (%s): closed: no link", c->devid, name);
        break;
    case OUT_UNSURE:
        describe_slots(c->slots, slots, sizeof(slots));
        xch_log(LOG_WARNING,
                "console-%d (%s): no link: it was probed while another "
                "channel was closing, so Linux gave it %s, and nothing in "
                "sysfs says which",
                c->devid, name, slots);
        break;
    case OUT_SHARED:
        xch_log(LOG_WARNING,
                "console-%d (%s): no link: a channel whose devid ends in the "
                "same digit was bound when it was probed; Linux numbers "
                "consoles by that digit and gives both one hvc slot",
                c->devid, name);
        break;
    case OUT_NO_TTY:
        if (slot < XCH_HVC_SLOTS)
            xch_log(LOG_WARNING,
                    "console-%d (%s): no link: Linux gave it hvc slot %d, and "
                    "only hvc0 to hvc%d are ttys",
                    c->devid, name, slot, XCH_HVC_TTYS - 1);
        else
            xch_log(LOG_WARNING,
                    "console-%d (%s): no link: Linux's table of %d hvc slots "
                    "was full when it was probed, so it has no tty",
                    c->devid, name, XCH_HVC_SLOTS);
        break;
    case OUT_NO_NAME:
        xch_log(LOG_WARNING,
                "console-%d: no link: its name was not read from xenstore "
                "when the device appeared",
                c->devid);
        break;
    case OUT_SAME_NAME:
        xch_log(LOG_WARNING,
                "console-%d (%s): no link: another channel present has the "
                "same name",
                c->devid, name);
        break;
    case OUT_TAINTED:
        xch_log(LOG_WARNING,
                "console-%d (%s): no link: the helper missed events (logged "
                "above)",
                c->devid, name);
        break;
    case OUT_NONE:
        break;
    }
}

/* Decides each binding's outcome and logs those that changed. */
static void decide(struct xch_slots *s, const struct xch_obs *obs,
                   const char *why, enum outcome *out)
{
    size_t i, k;

    for (i = 0; i < s->nchans; i++)
        out[i] =
            s->chans[i].release ? OUT_CLOSED : outcome_of(s, &s->chans[i], obs);
    for (i = 0; i < s->nchans; i++)
        for (k = 0; k < s->nchans; k++)
            if (i != k && out[i] == OUT_LINKED && out[k] == OUT_LINKED &&
                !strcmp(s->chans[i].name, s->chans[k].name))
                out[i] = out[k] = OUT_SAME_NAME;
    for (i = 0; i < s->nchans; i++) {
        struct xch_chan *c = &s->chans[i];
        int slot = out[i] == OUT_LINKED ? xch_slots_first(c->slots) : -1;

        if (c->reported == (int)out[i] && c->reported_slot == slot)
            continue;
        if (!c->release)
            report(c, out[i], why);
        c->reported = (int)out[i];
        c->reported_slot = slot;
    }
}

static bool wanted(const struct xch_slots *s, const enum outcome *out,
                   const struct xch_link *l)
{
    size_t i;

    for (i = 0; i < s->nchans; i++)
        if (out[i] == OUT_LINKED && !strcmp(s->chans[i].name, l->name) &&
            xch_slots_first(s->chans[i].slots) == l->slot)
            return true;
    return false;
}

static bool made(const struct xch_slots *s, const char *name, int slot)
{
    size_t i;

    for (i = 0; i < s->nlinks; i++)
        if (!strcmp(s->links[i].name, name) && s->links[i].slot == slot)
            return true;
    return false;
}

/* Makes the links of linked bindings and removes every other. Names of
 * linked bindings are unique, so there is at most one link per binding. */
static int sync_links(struct xch_slots *s, const char *devdir,
                      const enum outcome *out)
{
    size_t i, n = 0;
    int rc = 0;

    for (i = 0; i < s->nlinks; i++) {
        const struct xch_link *l = &s->links[i];

        if (wanted(s, out, l) || xch_links_remove(devdir, l->name, l->slot))
            s->links[n++] = *l; /* kept, or left to retry */
        else
            xch_log(LOG_INFO, "/dev/xen-channels/%s (hvc%d): removed", l->name,
                    l->slot);
    }
    s->nlinks = n;
    for (i = 0; i < s->nchans; i++) {
        const struct xch_chan *c = &s->chans[i];
        int slot = xch_slots_first(c->slots);

        if (out[i] != OUT_LINKED || made(s, c->name, slot))
            continue;
        if (xch_links_make(devdir, c->name, slot)) {
            rc = -1;
            continue;
        }
        s->links[s->nlinks].slot = slot;
        xch_copy_name(s->links[s->nlinks++].name, c->name);
    }
    return rc;
}

int xch_outcomes(struct xch_slots *s, const struct xch_obs *obs,
                 const char *why, const char *devdir)
{
    enum outcome out[XCH_MAX_CHANS] = {OUT_NONE};

    decide(s, obs, why, out);
    return sync_links(s, devdir, out);
}
