/* One udev event of a console-N device (event.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenchannel.h>

#include "event.h"
#include "links.h"
#include "log.h"
#include "observe.h"
#include "outcome.h"
#include "record.h"
#include "slots.h"
#include "state.h"

static int parse_event(const char *kernel, struct xch_uevent *ev)
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

static bool any_bound(const struct xch_obs *obs)
{
    size_t i;

    for (i = 0; i < obs->ndevs; i++)
        if (obs->devs[i].bound)
            return true;
    return false;
}

/* Brings the slots and the links up to date with ev and sysfs. */
static int update(struct xch_slots *s, const struct xch_paths *paths,
                  const struct xch_uevent *ev)
{
    static struct xch_obs obs;
    char why[160] = "";

    if (xch_observe(paths->sysfs, &obs) || xch_record(s, ev, &obs))
        return -1;
    xch_note_sightings(s, &obs);
    if (xch_complete(s, &obs, why, sizeof(why))) {
        xch_slots_replay(s);
        if (s->tainted && !s->nchans && !any_bound(&obs) && !obs.foreign[0]) {
            s->tainted = false;
            xch_log(LOG_NOTICE, "no channel holds an hvc slot: channel links "
                                "are made again from now on");
        }
    }
    return xch_outcomes(s, &obs, why, paths->devdir);
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
    xch_taint(s, "%s: the helper's record of the hvc slots is lost", path);
    xch_links_purge(devdir);
    return xch_state_save(path, s);
}

int xch_event(const struct xch_paths *paths, const char *kernel)
{
    static struct xch_slots s;
    char path[PATH_MAX];
    struct xch_uevent ev;
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
