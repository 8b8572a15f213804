/*
 * keeper.c - channels that come back when a domain is built again.
 *
 * xl rebuilds a domain (xl reboot, the guest's own reboot, a crash
 * restart, xl restore, an incoming xl migrate) from the configuration
 * libxl keeps for it, which has no channels (xl-channel create passes
 * channel=[]) but carries the kept set in its c_info.xsdata: libxl writes
 * it to /local/domain/D/xenchannel/<devid> in the transaction that makes
 * the domain's nodes, /vm/<uuid> included (libxl__domain_make;
 * libxl-channel/keep.c says more). The keeper of the toolstack domain's
 * daemon watches /vm: when a domain's nodes appear it attaches each kept
 * channel the domain lacks, as `xl-channel attach` would, while libxl is
 * still building the domain (loading its kernel, or the saved memory of
 * `xl restore` and of a migration). A resumed guest looks for the devices
 * it had the moment it runs again, and Linux gives up for good on one
 * whose directory is missing then: @introduceDomain, which comes just
 * before xl unpauses the domain, is too late for it. The guest sees them
 * as hot-plugged (or at boot, if it is still paused); the daemon serves
 * them once the domain is introduced (daemon.c).
 *
 * Only a daemon in domain 0 does this: only privileged connections may
 * read /local/domain/D of other domains. It writes the channel of a
 * driver domain backend too (the layout, as xl-channel does); that
 * domain's daemon serves it.
 *
 * Each build of a domain is looked at once: it is known by its domid, its
 * /local/domain/D/vm and the start_time libxl writes there just before it
 * introduces the domain (another at each build), so a build is looked at
 * when it is made and again, to no effect, when it is introduced. A domain
 * being destroyed is left alone: its devices go first (same mark, looked
 * at before), then its /vm/<uuid> (a mark without a /vm/<uuid> is not a
 * build), then the rest. A build with an attach that failed is looked at
 * again at the next change (a driver domain that starts later is one);
 * the failure is logged as a warning once per channel, then at debug
 * level. Watch events come in bursts (one per node of a transaction):
 * the scan runs once per burst (xcd_keeper_flush).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "keeper.h"
#include "log.h"

#define TOKEN_VM "keep/vm"

/* The (domid, devid) whose failure was logged as a warning. */
struct keeper_failed {
    unsigned int domid;
    int devid;
};

/* A build of a domain that was looked at. */
struct keeper_seen {
    unsigned int domid;
    char *mark; /* "<vm> <start_time>" */
    bool retry; /* an attach failed: look again at the next scan */
};

struct xcd_keeper {
    struct keeper_failed *failed;
    size_t nfailed, cap;
    struct keeper_seen *seen; /* the builds of the last scan */
    unsigned int nseen;
    bool scan_failed; /* an attach of this scan failed */
    bool scan_wanted; /* an event since the last scan */
};

static bool failed_known(xcd_keeper *k, unsigned int domid, int devid)
{
    size_t i;

    for (i = 0; i < k->nfailed; i++)
        if (k->failed[i].domid == domid && k->failed[i].devid == devid)
            return true;
    return false;
}

static void failed_add(xcd_keeper *k, unsigned int domid, int devid)
{
    if (k->nfailed == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 8;
        struct keeper_failed *bigger =
            realloc(k->failed, cap * sizeof(*bigger));

        if (!bigger)
            return;
        k->failed = bigger;
        k->cap = cap;
    }
    k->failed[k->nfailed].domid = domid;
    k->failed[k->nfailed].devid = devid;
    k->nfailed++;
}

static void failed_forget(xcd_keeper *k, unsigned int domid, int devid)
{
    size_t i;

    for (i = 0; i < k->nfailed; i++) {
        if (k->failed[i].domid == domid &&
            (devid < 0 || k->failed[i].devid == devid)) {
            k->failed[i] = k->failed[--k->nfailed];
            i--;
        }
    }
}

static void report(void *arg, uint32_t domid, int devid, const char *spec,
                   int rc, const char *errmsg)
{
    xcd_daemon *d = arg;
    xcd_keeper *k = d->keeper;
    bool again = failed_known(k, domid, devid);

    if (!rc) {
        xcd_log(LOG_INFO,
                "domain %u: channel %d attached again from its kept set (%s)",
                domid, devid, spec);
        failed_forget(k, domid, devid);
        return;
    }
    k->scan_failed = true;
    xcd_log(again ? LOG_DEBUG : LOG_WARNING,
            "domain %u: kept channel %d%s%s cannot be attached: %s", domid,
            devid, spec ? " " : "", spec ? spec : "",
            errmsg ? errmsg : xch_error_to_string(rc));
    if (!again)
        failed_add(k, domid, devid);
}

/* What tells this build of domid from another: "<vm> <start_time>"
 * (malloc'd), or NULL when out of memory or when the domain is being
 * destroyed (its /vm/<uuid> is gone). */
static char *build_mark(xcd_daemon *d, unsigned long domid)
{
    char *path = xch__sprintf("/local/domain/%lu/vm", domid);
    char *vm = NULL, *uuid = NULL, *start = NULL, *mark = NULL;

    if (path)
        xch__xs_read(d->xctx, XBT_NULL, path, &vm);
    free(path);
    path = vm ? xch__sprintf("%s/uuid", vm) : NULL;
    if (vm && (!path || xch__xs_read(d->xctx, XBT_NULL, path, &uuid) || !uuid))
        goto out;
    free(path);
    path = vm ? xch__sprintf("%s/start_time", vm) : NULL;
    if (path)
        xch__xs_read(d->xctx, XBT_NULL, path, &start);
    mark = xch__sprintf("%s %s", vm ? vm : "", start ? start : "");
out:
    free(path);
    free(vm);
    free(uuid);
    free(start);
    return mark;
}

static void seen_free(struct keeper_seen *seen, unsigned int n)
{
    unsigned int i;

    for (i = 0; seen && i < n; i++)
        free(seen[i].mark);
    free(seen);
}

/* Looks at each build of a domain that the last scan did not see (or saw
 * with a failed attach): what its kept set names and it lacks is
 * attached. Failures of domains that are gone are forgotten. */
static void keeper_scan(xcd_daemon *d)
{
    xcd_keeper *k = d->keeper;
    struct keeper_seen *seen = NULL;
    unsigned int nseen = 0, i, j;
    unsigned long domid;
    char **doms = NULL;
    unsigned int n = 0;

    if (xch__xs_directory(d->xctx, XBT_NULL, "/local/domain", &doms, &n))
        return;
    seen = calloc(n ? n : 1, sizeof(*seen));
    if (!seen) {
        free(doms);
        return;
    }
    for (i = 0; i < n; i++) {
        char *mark;

        if (xch__parse_ulong(doms[i], XCH__DOMID_MAX, &domid) ||
            domid == d->self)
            continue;
        mark = build_mark(d, domid);
        if (!mark)
            continue;
        for (j = 0; j < k->nseen && k->seen[j].domid != domid; j++)
            ;
        seen[nseen].domid = (unsigned int)domid;
        seen[nseen].mark = mark;
        if (j < k->nseen && !strcmp(k->seen[j].mark, mark) &&
            !k->seen[j].retry) {
            nseen++;
            continue; /* this build was looked at */
        }
        /* A domain new to us; one made earlier and now introduced keeps
         * its failures known (logged once). */
        if (j == k->nseen)
            failed_forget(k, (unsigned int)domid, -1);
        k->scan_failed = false;
        xch_keep_restore(d->xctx, (uint32_t)domid, report, d);
        seen[nseen].retry = k->scan_failed;
        nseen++;
    }
    /* Failures of domains that are gone go too. */
    for (i = 0; i < k->nseen; i++) {
        for (j = 0; j < nseen && seen[j].domid != k->seen[i].domid; j++)
            ;
        if (j == nseen)
            failed_forget(k, k->seen[i].domid, -1);
    }
    seen_free(k->seen, k->nseen);
    k->seen = seen;
    k->nseen = nseen;
    free(doms);
}

int xcd_keeper_start(xcd_daemon *d)
{
    if (d->self != 0)
        return 0;
    d->keeper = calloc(1, sizeof(*d->keeper));
    if (!d->keeper)
        return XCH_ERROR_NOMEM;
    /* The watch fires once when set: that first event scans every
     * domain, which covers a daemon (re)started after a rebuild. */
    if (!xs_watch(d->xs, "/vm", TOKEN_VM)) {
        xcd_log(LOG_WARNING,
                "cannot watch /vm: kept channels are not attached again "
                "when a domain is rebuilt");
        free(d->keeper);
        d->keeper = NULL;
    }
    return 0;
}

bool xcd_keeper_event(xcd_daemon *d, const char *token)
{
    if (strcmp(token, TOKEN_VM) != 0)
        return false;
    if (d->keeper)
        d->keeper->scan_wanted = true;
    return true;
}

void xcd_keeper_domain_introduced(xcd_daemon *d)
{
    if (d->keeper)
        d->keeper->scan_wanted = true;
}

void xcd_keeper_flush(xcd_daemon *d)
{
    if (!d->keeper || !d->keeper->scan_wanted)
        return;
    d->keeper->scan_wanted = false;
    keeper_scan(d);
}

void xcd_keeper_stop(xcd_daemon *d)
{
    if (!d->keeper)
        return;
    if (d->xs)
        xs_unwatch(d->xs, "/vm", TOKEN_VM);
    free(d->keeper->failed);
    seen_free(d->keeper->seen, d->keeper->nseen);
    free(d->keeper);
    d->keeper = NULL;
}
