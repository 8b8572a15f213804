/* What one udev event proves (record.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "guest_xs.h"
#include "log.h"
#include "record.h"

void xch_taint(struct xch_slots *s, const char *fmt, ...)
{
    char why[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    xch_log(LOG_ERR,
            "%s; the hvc slots of the channels cannot be known now: no "
            "channel links until no channel holds a slot",
            why);
    s->tainted = true;
}

/* The binding of devid not released yet, or NULL. */
static struct xch_chan *find_bound(struct xch_slots *s, int devid)
{
    size_t i;

    for (i = 0; i < s->nchans; i++)
        if (s->chans[i].devid == devid && !s->chans[i].release)
            return &s->chans[i];
    return NULL;
}

static struct xch_chan *new_chan(struct xch_slots *s,
                                 const struct xch_uevent *ev, uint64_t ino)
{
    struct xch_chan *c;

    if (s->nchans == XCH_MAX_CHANS) {
        xch_taint(s, "%s: more than %d channel bindings to follow", ev->kernel,
                  XCH_MAX_CHANS);
        return NULL;
    }
    c = &s->chans[s->nchans++];
    *c = (struct xch_chan){
        .ino = ino, .devid = ev->devid, .boot_pos = -1, .reported_slot = -1};
    xch_copy_name(c->name, ev->name);
    return c;
}

static void on_bind(struct xch_slots *s, const struct xch_uevent *ev,
                    const struct xch_dev *d)
{
    struct xch_chan *c = find_bound(s, ev->devid);
    uint64_t ino = d ? d->ino : 0;

    /* Taken for a boot-time probe before its bind came: it is not one. */
    if (c && c->boot_pos >= 0 && !c->applied && c->ino == ino) {
        c->boot_pos = -1;
        c->bind = ev->seqnum;
        return;
    }
    if (c) {
        xch_taint(s, "%s: bound again, but the helper never saw it unbound",
                  ev->kernel);
        return;
    }
    c = new_chan(s, ev, ino);
    if (c)
        c->bind = ev->seqnum;
}

static void on_release(struct xch_slots *s, const struct xch_uevent *ev)
{
    struct xch_chan *c = find_bound(s, ev->devid);

    if (c)
        c->release = ev->seqnum;
    else if (!strcmp(ev->action, "unbind"))
        xch_taint(s, "%s: unbound, but the helper never saw it bound",
                  ev->kernel);
}

static int boot_position(struct xch_slots *s, int devid)
{
    size_t i;

    if (!s->nlisting &&
        xch_guest_console_listing(s->listing, XCH_MAX_LISTING, &s->nlisting))
        return -2;
    for (i = 0; i < s->nlisting; i++)
        if (s->listing[i] == devid)
            return (int)i;
    return -1;
}

/*
 * A synthetic event (coldplug: `udevadm trigger`) says only that the device
 * exists. Udev runs a device's events in order, so none of this device's
 * is pending: if it is bound and its binding unknown, the kernel bound it
 * before the helper's first event, at boot, in xenstore's listing order.
 */
static int on_synthetic(struct xch_slots *s, const struct xch_uevent *ev,
                        const struct xch_dev *d)
{
    struct xch_chan *c = find_bound(s, ev->devid);
    int pos;

    if (!d || !d->bound)
        return 0;
    if (c && c->ino == d->ino) {
        if (ev->name[0])
            xch_copy_name(c->name, ev->name);
        return 0;
    }
    if (c) {
        xch_taint(s,
                  "%s: a new device, but the helper never saw the old one go",
                  ev->kernel);
        return 0;
    }
    if (!d->alive && !d->closed)
        return 0; /* still in its probe: its bind event will follow */
    if (s->booted) {
        xch_taint(s, "%s: bound, but the helper never saw its bind event",
                  ev->kernel);
        return 0;
    }
    pos = boot_position(s, ev->devid);
    if (pos == -2)
        return -1;
    if (pos == -1) {
        xch_taint(s, "%s: bound at boot, but device/console does not list it",
                  ev->kernel);
        return 0;
    }
    c = new_chan(s, ev, d->ino);
    if (c)
        c->boot_pos = pos;
    return 0;
}

int xch_record(struct xch_slots *s, const struct xch_uevent *ev,
               const struct xch_obs *obs)
{
    const struct xch_dev *d = xch_obs_find(obs, ev->devid);

    if (obs->foreign[0] && !s->tainted)
        xch_taint(s, "%s: a console device the helper cannot follow",
                  obs->foreign);
    if (ev->synthetic)
        return on_synthetic(s, ev, d);
    if (!strcmp(ev->action, "bind"))
        on_bind(s, ev, d);
    else if (!strcmp(ev->action, "unbind") || !strcmp(ev->action, "remove"))
        on_release(s, ev);
    return 0;
}

const struct xch_dev *xch_dev_of(const struct xch_chan *c,
                                 const struct xch_obs *obs)
{
    const struct xch_dev *d = xch_obs_find(obs, c->devid);

    return d && c->ino && d->ino == c->ino && d->bound ? d : NULL;
}

void xch_note_sightings(struct xch_slots *s, const struct xch_obs *obs)
{
    size_t i;

    for (i = 0; i < s->nchans; i++) {
        struct xch_chan *c = &s->chans[i];
        const struct xch_dev *d = xch_dev_of(c, obs);

        if (c->release || !d)
            continue;
        if (d->closed && !c->closed)
            c->closed = obs->seq_after;
        if (d->alive && !c->closed && obs->seq_before > c->alive)
            c->alive = obs->seq_before;
    }
}

bool xch_complete(const struct xch_slots *s, const struct xch_obs *obs,
                  char *why, size_t size)
{
    size_t i, k;

    for (i = 0; i < obs->ndevs; i++) {
        const struct xch_dev *d = &obs->devs[i];

        for (k = 0; k < s->nchans; k++)
            if (!s->chans[k].release && s->chans[k].ino == d->ino)
                break;
        if (d->bound && k == s->nchans) {
            snprintf(why, size,
                     "console-%d is bound and its bind or coldplug event has "
                     "not reached the helper yet",
                     d->devid);
            return false;
        }
    }
    for (k = 0; k < s->nchans; k++) {
        if (!s->chans[k].release && !xch_dev_of(&s->chans[k], obs)) {
            snprintf(why, size,
                     "console-%d is no longer bound and its unbind event has "
                     "not reached the helper yet",
                     s->chans[k].devid);
            return false;
        }
    }
    return true;
}
