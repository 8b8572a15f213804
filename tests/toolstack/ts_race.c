/*
 * ts_race.c - concurrent attaches and the EAGAIN path, against a running
 * testbed (XENSTORED_PATH set by the caller). TAP on stdout.
 *
 *   ts_race DOMID
 *
 * 1. The transaction runner restarts a body whose commit conflicts: a
 *    second connection changes a node the body read, between the read and
 *    the commit; the body runs twice, the retry is counted and the
 *    transaction's write wins.
 * 2. Rounds of eight processes, released together through a pipe, each
 *    attaching one channel without a devid to DOMID: exactly seven succeed
 *    with devids 1-7, all distinct, the eighth gets XCH_ERROR_NO_FREE_DEVID,
 *    and the channels in xenstore are exactly those seven, each under the
 *    name its attacher gave. Rounds repeat (each cleaned up) until some
 *    attacher's transaction was restarted after EAGAIN (counted by the
 *    library), so the restart path of xch_channel_add itself is proven to
 *    have run and to lose nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define ATTACHERS  8
#define MAX_ROUNDS 200
#define SCRATCH    "/tool/xch-ts-race"

static int test_num;

static void tap(bool pass, const char *what)
{
    printf("%s %d - %s\n", pass ? "ok" : "not ok", ++test_num, what);
    fflush(stdout);
}

/* ---- 1. a conflicting commit is restarted ------------------------------- */

struct conflict {
    struct xs_handle *other; /* a second connection: the "other toolstack" */
    int runs;
};

static int conflict_body(xch_ctx *ctx, xs_transaction_t t, void *arg)
{
    struct conflict *c = arg;
    char *val = NULL;
    int rc;

    c->runs++;
    rc = xch__xs_read(ctx, t, SCRATCH, &val);
    free(val);
    if (rc)
        return rc;
    /* Only the first time: someone else changes what we read. */
    if (c->runs == 1 && !xs_write(c->other, XBT_NULL, SCRATCH, "other", 5))
        return XCH_ERROR_XENSTORE;
    return xch__xs_write(ctx, t, SCRATCH, "ours");
}

static void test_conflict(void)
{
    struct conflict c = {.other = NULL, .runs = 0};
    xch_ctx *ctx = NULL;
    char *val = NULL;
    unsigned len;
    int rc;

    c.other = xs_open(0);
    if (!c.other || xch_ctx_open(&ctx) ||
        !xs_write(c.other, XBT_NULL, SCRATCH, "initial", 7)) {
        tap(false, "transaction runner: set up");
        goto out;
    }
    rc = xch__txn_run(ctx, conflict_body, &c);
    val = xs_read(c.other, XBT_NULL, SCRATCH, &len);
    printf("# rc %d, body ran %d times, %lu retries, value %s\n", rc, c.runs,
           xch_ctx_txn_retries(ctx), val ? val : "(none)");
    tap(rc == 0 && c.runs == 2 && xch_ctx_txn_retries(ctx) == 1 && val &&
            !strcmp(val, "ours"),
        "a commit that conflicts is restarted once and then wins");
    xs_rm(c.other, XBT_NULL, SCRATCH);

out:
    free(val);
    xch_ctx_free(ctx);
    if (c.other)
        xs_close(c.other);
}

/* ---- 2. concurrent attachers ------------------------------------------- */

struct result {
    int idx; /* the attacher's number: its channel is race.ROUND.IDX */
    int rc;
    int devid;
    unsigned long retries;
};

/* Child: ready, wait for the start signal, attach, report. */
static void attacher(uint32_t domid, int round, int idx, int ready_fd,
                     int start_fd, int result_fd)
{
    struct result res = {
        .idx = idx, .rc = XCH_ERROR_FAIL, .devid = -1, .retries = 0};
    xch_device_channel chan;
    xch_ctx *ctx = NULL;
    char *errmsg = NULL, c;

    xch_device_channel_init(&chan);
    xch_device_channel_init_connection(&chan, XCH_CHANNEL_CONNECTION_PTY);
    chan.name = xch__sprintf("race.%d.%d", round, idx);
    if (chan.name && !xch_ctx_open(&ctx)) {
        if (write(ready_fd, "r", 1) == 1 && read(start_fd, &c, 1) == 0) {
            res.rc = xch_channel_add(ctx, domid, &chan, NULL, &errmsg);
            res.devid = chan.devid;
            res.retries = xch_ctx_txn_retries(ctx);
        }
    }
    if (write(result_fd, &res, sizeof(res)) != (ssize_t)sizeof(res))
        res.rc = XCH_ERROR_FAIL;
    free(errmsg);
    xch_ctx_free(ctx);
    xch_device_channel_dispose(&chan);
    _exit(res.rc == 0 || res.rc == XCH_ERROR_NO_FREE_DEVID ? 0 : 1);
}

/* Runs one round; returns the retries seen, or -1 if the round is wrong. */
static long race_round(uint32_t domid, int round)
{
    int ready[2] = {-1, -1}, start[2] = {-1, -1}, results[2] = {-1, -1};
    struct result res[ATTACHERS];
    xch_channelinfo *infos = NULL;
    xch_ctx *ctx = NULL;
    pid_t pids[ATTACHERS];
    int i, num = 0, ok_count = 0, nofree = 0, seen = 0, children = 0;
    long retries = 0;
    bool good = true;
    char c;

    if (pipe(ready) || pipe(start) || pipe(results) || xch_ctx_open(&ctx)) {
        good = false;
        goto out;
    }
    for (i = 0; i < ATTACHERS; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            close(start[1]);
            attacher(domid, round, i, ready[1], start[0], results[1]);
        }
        if (pids[i] < 0) {
            good = false;
            break;
        }
        children++;
    }
    /* Everyone connected and waiting: release them together. */
    for (i = 0; i < children; i++)
        if (read(ready[0], &c, 1) != 1)
            good = false;
    close(start[1]);
    start[1] = -1;
    for (i = 0; i < children; i++)
        if (read(results[0], &res[i], sizeof(res[i])) !=
            (ssize_t)sizeof(res[i]))
            good = false;
    for (i = 0; i < children; i++) {
        int status;

        if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
            WEXITSTATUS(status))
            good = false;
    }
    if (!good || children != ATTACHERS)
        goto out;

    for (i = 0; i < ATTACHERS; i++) {
        retries += (long)res[i].retries;
        if (res[i].rc == XCH_ERROR_NO_FREE_DEVID) {
            nofree++;
            continue;
        }
        if (res[i].rc || res[i].devid < 1 || res[i].devid > 7 ||
            (seen & (1 << res[i].devid)))
            good = false;
        else
            seen |= 1 << res[i].devid;
        ok_count++;
    }
    if (ok_count != 7 || nofree != 1)
        good = false;

    /* xenstore holds exactly the seven, each under its attacher's name. */
    if (xch_channel_list(ctx, domid, &infos, &num) || num != 7)
        good = false;
    for (i = 0; good && i < num; i++) {
        char *path = xch__sprintf("/libxl/%u/device/console/%d/name", domid,
                                  infos[i].devid);
        char *name = NULL;
        unsigned len;
        int j;
        bool matched = false;

        name = path ? xs_read(ctx->xsh, XBT_NULL, path, &len) : NULL;
        for (j = 0; name && j < ATTACHERS; j++) {
            char expect[32];

            snprintf(expect, sizeof(expect), "race.%d.%d", round, res[j].idx);
            if (res[j].rc == 0 && res[j].devid == infos[i].devid &&
                !strcmp(name, expect))
                matched = true;
        }
        if (!matched)
            good = false;
        free(name);
        free(path);
    }
    for (i = 0; i < num; i++) {
        char *errmsg = NULL;

        if (xch_channel_remove(ctx, domid, infos[i].devid, true, 0, &errmsg))
            good = false;
        free(errmsg);
        xch_channelinfo_dispose(&infos[i]);
    }
    free(infos);

out:
    for (i = 0; i < 2; i++) {
        if (ready[i] >= 0)
            close(ready[i]);
        if (start[i] >= 0)
            close(start[i]);
        if (results[i] >= 0)
            close(results[i]);
    }
    xch_ctx_free(ctx);
    if (!good)
        printf("# round %d: ok %d, no free devid %d, devids 0x%x, listed %d\n",
               round, ok_count, nofree, (unsigned)seen, num);
    return good ? retries : -1;
}

static void test_race(uint32_t domid)
{
    long total = 0, r;
    int round;
    bool all_good = true;

    for (round = 1; round <= MAX_ROUNDS; round++) {
        r = race_round(domid, round);
        if (r < 0) {
            all_good = false;
            break;
        }
        total += r;
        if (total > 0 && round >= 3)
            break;
    }
    printf("# %d rounds of %d concurrent attachers, %ld transaction "
           "restarts after EAGAIN\n",
           round > MAX_ROUNDS ? MAX_ROUNDS : round, ATTACHERS, total);
    tap(all_good, "concurrent attachers get distinct devids 1-7, the eighth "
                  "is refused, nothing lost or mixed up");
    tap(all_good && total > 0,
        "the EAGAIN restart of xch_channel_add ran (and lost nothing)");
}

int main(int argc, char **argv)
{
    unsigned long domid;

    if (argc != 2 || xch__parse_ulong(argv[1], XCH__DOMID_MAX, &domid)) {
        fprintf(stderr, "usage: ts_race DOMID\n");
        return 2;
    }
    test_conflict();
    test_race((uint32_t)domid);
    printf("1..%d\n", test_num);
    return 0;
}
