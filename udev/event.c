/* One udev event of a console-N device (event.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenchannel.h>

#include "event.h"
#include "guest_xs.h"
#include "links.h"
#include "log.h"
#include "observe.h"
#include "slots.h"
#include "state.h"

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

struct event {
    const char *kernel;
    int devid;
    const char *action;
    uint64_t seqnum;
    bool synthetic; /* written to a uevent file (coldplug), not a change */
    char name[XCH_CHANNEL_NAME_MAX + 1];
};

static int parse_event(const char *kernel, struct event *ev)
{
    const char *seq = getenv("SEQNUM"), *name = getenv("XEN_CHANNEL_NAME");
    char *end;

    memset(ev, 0, sizeof(*ev));
    ev->kernel = kernel;
    ev->devid = xch_console_devid(kernel);
    ev->action = getenv("ACTION");
    ev->synthetic = getenv("SYNTH_UUID") != NULL;
    if (ev->devid < 0) {
        xch_log(LOG_ERR, "\"%s\" is not a channel device console-N", kernel);
        return -1;
    }
    if (!ev->action || !seq) {
        xch_log(LOG_ERR, "%s: ACTION or SEQNUM is not set: run me from udev",
                kernel);
        return -1;
    }
    errno = 0;
    ev->seqnum = strtoull(seq, &end, 10);
    if (errno || end == seq || *end || ev->seqnum == 0) {
        xch_log(LOG_ERR, "%s: SEQNUM \"%s\" is not a uevent number", kernel,
                seq);
        return -1;
    }
    if (name && *name) {
        if (xch_channel_name_check(name, NULL))
            xch_log(LOG_ERR, "%s: ignoring XEN_CHANNEL_NAME: not a name",
                    kernel);
        else
            xch_copy_name(ev->name, name);
    }
    return 0;
}

static void taint(struct xch_slots *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The helper lost track of the slots: no links until the table empties. */
static void taint(struct xch_slots *s, const char *fmt, ...)
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

static struct xch_chan *new_chan(struct xch_slots *s, const struct event *ev,
                                 uint64_t ino)
{
    struct xch_chan *c;

    if (s->nchans == XCH_MAX_CHANS) {
        taint(s, "%s: more than %d channel bindings to follow", ev->kernel,
              XCH_MAX_CHANS);
        return NULL;
    }
    c = &s->chans[s->nchans++];
    *c = (struct xch_chan){
        .ino = ino, .devid = ev->devid, .boot_pos = -1, .reported_slot = -1};
    xch_copy_name(c->name, ev->name);
    return c;
}

static void on_bind(struct xch_slots *s, const struct event *ev,
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
        taint(s, "%s: bound again, but the helper never saw it unbound",
              ev->kernel);
        return;
    }
    c = new_chan(s, ev, ino);
    if (c)
        c->bind = ev->seqnum;
}

static void on_release(struct xch_slots *s, const struct event *ev)
{
    struct xch_chan *c = find_bound(s, ev->devid);

    if (c)
        c->release = ev->seqnum;
    else if (!strcmp(ev->action, "unbind"))
        taint(s, "%s: unbound, but the helper never saw it bound", ev->kernel);
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
static int on_synthetic(struct xch_slots *s, const struct event *ev,
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
        taint(s, "%s: a new device, but the helper never saw the old one go",
              ev->kernel);
        return 0;
    }
    if (!d->alive && !d->closed)
        return 0; /* still in its probe: its bind event will follow */
    if (s->booted) {
        taint(s, "%s: bound, but the helper never saw its bind event",
              ev->kernel);
        return 0;
    }
    pos = boot_position(s, ev->devid);
    if (pos == -2)
        return -1;
    if (pos == -1) {
        taint(s, "%s: bound at boot, but device/console does not list it",
              ev->kernel);
        return 0;
    }
    c = new_chan(s, ev, d->ino);
    if (c)
        c->boot_pos = pos;
    return 0;
}

static int record(struct xch_slots *s, const struct event *ev,
                  const struct xch_obs *obs)
{
    const struct xch_dev *d = xch_obs_find(obs, ev->devid);

    if (obs->foreign[0])
        taint(s, "%s: a console device the helper cannot follow", obs->foreign);
    if (ev->synthetic)
        return on_synthetic(s, ev, d);
    if (!strcmp(ev->action, "bind"))
        on_bind(s, ev, d);
    else if (!strcmp(ev->action, "unbind") || !strcmp(ev->action, "remove"))
        on_release(s, ev);
    return 0;
}

/* The device a binding is on, if it still is. */
static const struct xch_dev *dev_of(const struct xch_chan *c,
                                    const struct xch_obs *obs)
{
    const struct xch_dev *d = xch_obs_find(obs, c->devid);

    return d && c->ino && d->ino == c->ino && d->bound ? d : NULL;
}

/* What sysfs shows now bounds when each binding held its slot. */
static void note_sightings(struct xch_slots *s, const struct xch_obs *obs)
{
    size_t i;

    for (i = 0; i < s->nchans; i++) {
        struct xch_chan *c = &s->chans[i];
        const struct xch_dev *d = dev_of(c, obs);

        if (c->release || !d)
            continue;
        if (d->closed && !c->closed)
            c->closed = obs->seq_after;
        if (d->alive && !c->closed && obs->seq_before > c->alive)
            c->alive = obs->seq_before;
    }
}

/*
 * Whether the helper has every event the kernel sent so far: each bound
 * device has its binding recorded, and each recorded binding is still
 * bound. If not, says in why which device an event is missing for.
 */
static bool complete(struct xch_slots *s, const struct xch_obs *obs, char *why,
                     size_t size)
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
        if (!s->chans[k].release && !dev_of(&s->chans[k], obs)) {
            snprintf(why, size,
                     "console-%d is no longer bound and its unbind event has "
                     "not reached the helper yet",
                     s->chans[k].devid);
            return false;
        }
    }
    return true;
}

static bool any_bound(const struct xch_obs *obs)
{
    size_t i;

    for (i = 0; i < obs->ndevs; i++)
        if (obs->devs[i].bound)
            return true;
    return false;
}

static enum outcome outcome_of(const struct xch_slots *s,
                               const struct xch_chan *c,
                               const struct xch_obs *obs)
{
    const struct xch_dev *d = dev_of(c, obs);

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

/* Makes the links of linked bindings and removes every other. */
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
        if (xch_links_make(devdir, c->name, slot) ||
            s->nlinks == XCH_MAX_CHANS) {
            rc = -1;
            continue;
        }
        s->links[s->nlinks].slot = slot;
        xch_copy_name(s->links[s->nlinks++].name, c->name);
    }
    return rc;
}

/* Brings the slots and the links up to date with ev and sysfs. */
static int update(struct xch_slots *s, const struct xch_paths *paths,
                  const struct event *ev)
{
    static struct xch_obs obs;
    enum outcome out[XCH_MAX_CHANS] = {OUT_NONE};
    char why[160] = "";

    if (xch_observe(paths->sysfs, &obs) || record(s, ev, &obs))
        return -1;
    note_sightings(s, &obs);
    if (complete(s, &obs, why, sizeof(why))) {
        xch_slots_replay(s);
        if (s->tainted && !s->nchans && !any_bound(&obs) && !obs.foreign[0]) {
            s->tainted = false;
            xch_log(LOG_NOTICE, "no channel holds an hvc slot: channel links "
                                "are made again from now on");
        }
    }
    decide(s, &obs, why, out);
    return sync_links(s, paths->devdir, out);
}

static int lock_rundir(const char *rundir)
{
    char path[PATH_MAX];
    int fd, r;

    if (mkdir(rundir, 0700) && errno != EEXIST) {
        xch_log(LOG_ERR, "%s: %s", rundir, strerror(errno));
        return -1;
    }
    r = snprintf(path, sizeof(path), "%s/lock", rundir);
    if (r < 0 || (size_t)r >= sizeof(path))
        return -1;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX)) {
        xch_log(LOG_ERR, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int load_or_restart(const char *path, struct xch_slots *s,
                           const char *devdir)
{
    if (!xch_state_load(path, s))
        return 0;
    memset(s, 0, sizeof(*s));
    s->booted = true;
    taint(s, "%s: the helper's record of the hvc slots is lost", path);
    xch_links_purge(devdir);
    return xch_state_save(path, s);
}

int xch_event(const struct xch_paths *paths, const char *kernel)
{
    static struct xch_slots s;
    char path[PATH_MAX];
    struct event ev;
    int lock, r, rc = 1;

    if (parse_event(kernel, &ev))
        return 1;
    r = snprintf(path, sizeof(path), "%s/state", paths->rundir);
    if (r < 0 || (size_t)r >= sizeof(path)) {
        xch_log(LOG_ERR, "%s: path too long", paths->rundir);
        return 1;
    }
    lock = lock_rundir(paths->rundir);
    if (lock < 0)
        return 1;
    if (load_or_restart(path, &s, paths->devdir))
        goto out;
    r = update(&s, paths, &ev);
    if (xch_state_save(path, &s) == 0 && r == 0)
        rc = 0;

out:
    close(lock);
    return rc;
}
