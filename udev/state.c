/*
 * The helper's state file (state.h). One record per line, fields separated
 * by one space, "-" for an empty field:
 *   xen-channel-helper 1
 *   tainted 0|1
 *   booted 0|1
 *   listing DEVID...
 *   chan INO DEVID BOOTPOS BIND RELEASE ALIVE CLOSED APPLIED SHARED TWINNED
 *        SLOTS REPORTED REPORTED_SLOT NAME
 *   link NAME SLOT
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "state.h"

#define HEADER     "xen-channel-helper 1"
#define MAX_FIELDS 16 /* a chan line has 15 */
#define MAX_LINE   4096

/* A decimal number up to max, or "-" (-1) when dash_ok. */
static bool parse_num(const char *s, uint64_t max, bool dash_ok, int64_t *out)
{
    unsigned long long v;
    char *end;

    if (dash_ok && !strcmp(s, "-")) {
        *out = -1;
        return true;
    }
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = (int64_t)v;
    return true;
}

/* Fields of line, split on single spaces; returns their number. */
static size_t split(char *line, char **field)
{
    size_t n = 0;
    char *save = NULL, *tok;

    for (tok = strtok_r(line, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        if (n == MAX_FIELDS)
            return MAX_FIELDS + 1;
        field[n++] = tok;
    }
    return n;
}

static bool parse_name(const char *s, char *name)
{
    if (!strcmp(s, "-")) {
        name[0] = '\0';
        return true;
    }
    if (xch_channel_name_check(s, NULL))
        return false;
    xch_copy_name(name, s);
    return true;
}

static bool parse_chan(char **f, size_t n, struct xch_slots *s)
{
    struct xch_chan *c;
    enum { NUMS = 13 };
    int64_t v[NUMS];
    static const uint64_t max[NUMS] = {UINT64_MAX / 2,
                                       XCH_MAX_DEVID,
                                       XCH_MAX_LISTING,
                                       UINT64_MAX / 2,
                                       UINT64_MAX / 2,
                                       UINT64_MAX / 2,
                                       UINT64_MAX / 2,
                                       1,
                                       1,
                                       1,
                                       (XCH_SLOT_BEYOND << 1) - 1,
                                       100,
                                       XCH_HVC_SLOTS};
    size_t i;

    if (n != NUMS + 2 || s->nchans == XCH_MAX_CHANS)
        return false;
    for (i = 0; i < NUMS; i++)
        if (!parse_num(f[i + 1], max[i], i == 2 || i == 12, &v[i]))
            return false;
    c = &s->chans[s->nchans];
    *c = (struct xch_chan){
        .ino = (uint64_t)v[0],
        .devid = (int)v[1],
        .boot_pos = (int)v[2],
        .bind = (uint64_t)v[3],
        .release = (uint64_t)v[4],
        .alive = (uint64_t)v[5],
        .closed = (uint64_t)v[6],
        .applied = v[7],
        .shared = v[8],
        .twinned = v[9],
        .slots = (uint32_t)v[10],
        .reported = (int)v[11],
        .reported_slot = (int)v[12],
    };
    if (!parse_name(f[14], c->name))
        return false;
    s->nchans++;
    return true;
}

static bool parse_link(char **f, size_t n, struct xch_slots *s)
{
    struct xch_link *l;
    int64_t slot;

    if (n != 3 || s->nlinks == XCH_MAX_CHANS)
        return false;
    l = &s->links[s->nlinks];
    if (!parse_name(f[1], l->name) || !l->name[0] ||
        !parse_num(f[2], XCH_HVC_TTYS - 1, false, &slot))
        return false;
    l->slot = (int)slot;
    s->nlinks++;
    return true;
}

static bool parse_listing(char **f, size_t n, struct xch_slots *s)
{
    int64_t devid;
    size_t i;

    for (i = 1; i < n; i++) {
        if (s->nlisting == XCH_MAX_LISTING ||
            !parse_num(f[i], XCH_MAX_DEVID, false, &devid))
            return false;
        s->listing[s->nlisting++] = (int)devid;
    }
    return true;
}

static bool parse_flag(char **f, size_t n, bool *flag)
{
    int64_t v;

    if (n != 2 || !parse_num(f[1], 1, false, &v))
        return false;
    *flag = v;
    return true;
}

static bool parse_line(char *line, struct xch_slots *s)
{
    char *f[MAX_FIELDS];
    size_t n = split(line, f);

    if (n == 0 || n > MAX_FIELDS)
        return false;
    if (!strcmp(f[0], "tainted"))
        return parse_flag(f, n, &s->tainted);
    if (!strcmp(f[0], "booted"))
        return parse_flag(f, n, &s->booted);
    if (!strcmp(f[0], "listing"))
        return parse_listing(f, n, s);
    if (!strcmp(f[0], "chan"))
        return parse_chan(f, n, s);
    if (!strcmp(f[0], "link"))
        return parse_link(f, n, s);
    return false;
}

int xch_state_load(const char *path, struct xch_slots *s)
{
    char line[MAX_LINE];
    unsigned lineno = 0;
    FILE *f;
    int rc = 0;

    memset(s, 0, sizeof(*s));
    f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        xch_log(LOG_ERR, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);

        lineno++;
        if (len == 0 || line[len - 1] != '\n') {
            rc = -1;
            break;
        }
        line[len - 1] = '\0';
        if (lineno == 1 ? strcmp(line, HEADER) != 0 : !parse_line(line, s)) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && (ferror(f) || lineno == 0))
        rc = -1;
    fclose(f);
    if (rc)
        xch_log(LOG_ERR, "%s:%u: not a state file this helper wrote", path,
                lineno);
    return rc;
}

static void write_chan(FILE *f, const struct xch_chan *c)
{
    fprintf(f, "chan %" PRIu64 " %d ", c->ino, c->devid);
    if (c->boot_pos < 0)
        fputs("-", f);
    else
        fprintf(f, "%d", c->boot_pos);
    fprintf(f,
            " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %d %d %d %" PRIu32
            " %d ",
            c->bind, c->release, c->alive, c->closed, c->applied, c->shared,
            c->twinned, c->slots, c->reported);
    if (c->reported_slot < 0)
        fputs("-", f);
    else
        fprintf(f, "%d", c->reported_slot);
    fprintf(f, " %s\n", c->name[0] ? c->name : "-");
}

static void write_state(FILE *f, const struct xch_slots *s)
{
    size_t i;

    fprintf(f, HEADER "\ntainted %d\nbooted %d\n", s->tainted, s->booted);
    if (s->nlisting) {
        fputs("listing", f);
        for (i = 0; i < s->nlisting; i++)
            fprintf(f, " %d", s->listing[i]);
        fputc('\n', f);
    }
    for (i = 0; i < s->nchans; i++)
        write_chan(f, &s->chans[i]);
    for (i = 0; i < s->nlinks; i++)
        fprintf(f, "link %s %d\n", s->links[i].name, s->links[i].slot);
}

int xch_state_save(const char *path, const struct xch_slots *s)
{
    char tmp[4096];
    FILE *f;
    int r;

    r = snprintf(tmp, sizeof(tmp), "%s.new", path);
    if (r < 0 || (size_t)r >= sizeof(tmp)) {
        xch_log(LOG_ERR, "%s: path too long", path);
        return -1;
    }
    f = fopen(tmp, "we");
    if (!f) {
        xch_log(LOG_ERR, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    write_state(f, s);
    r = ferror(f);
    if (fclose(f) || r) {
        xch_log(LOG_ERR, "%s: write failed", tmp);
        (void)unlink(tmp);
        return -1;
    }
    if (rename(tmp, path)) {
        xch_log(LOG_ERR, "%s: %s", path, strerror(errno));
        (void)unlink(tmp);
        return -1;
    }
    return 0;
}
