/*
 * keep.c - keeping a domain's channels across everything that builds it
 * again: its kept set in the domain configuration that libxl keeps, and
 * in xenstore.
 *
 * libxl (4.17) keeps each domain's configuration as JSON in
 * <XEN_LIB_DIR>/userdata-d.<domid>.<uuid>.libxl-json (XEN_LIB_DIR is
 * /var/lib/xen), and rewrites it under a lock of its own: flock on
 * userdata-l.<domid>.<uuid>.domain-userdata-lock, whose holder unlinks it
 * before closing it (libxl__lock_domain_userdata, libxl__lock_file,
 * libxl__userdata_store: a new file beside it, renamed over it). xl
 * rebuilds a rebooted or crashed domain from that configuration
 * (libxl_retrieve_domain_configuration), and `xl save` and `xl migrate`
 * carry it. Its c_info.xsdata entries are written by libxl under
 * /local/domain/D whenever it builds the domain: the kept set is there, as
 * "xenchannel/<devid>" = spec. Everything else in the file is left as it
 * was.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <xenstore.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "xl-channel.h"

#define KEEP_PREFIX XCH_KEEP_KEY "/"

/* asprintf, NULL on failure. */
static char *__attribute__((format(printf, 1, 2))) fmt(const char *f, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, f);
    n = vasprintf(&s, f, ap);
    va_end(ap);
    return n < 0 ? NULL : s;
}

const char *keep_libxl_dir(void)
{
    const char *dir = getenv(KEEP_LIBXL_DIR_ENV);

    return dir && *dir ? dir : KEEP_LIBXL_DIR_DEFAULT;
}

/* The domain's UUID from /local/domain/D/vm ("/vm/<uuid>", written by
 * libxl, read-only to the guest). 0, or -1 when it has none. */
static int domain_uuid(uint32_t domid, char uuid[37])
{
    struct xs_handle *xsh = xs_open(0);
    char path[64], *vm;
    unsigned int len;
    size_t n;
    int rc = -1;

    if (!xsh)
        return -1;
    snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
    vm = xs_read(xsh, XBT_NULL, path, &len);
    xs_close(xsh);
    if (!vm)
        return -1;
    if (!strncmp(vm, "/vm/", 4)) {
        n = strlen(vm + 4);
        if (n == 36 && strspn(vm + 4, "0123456789abcdef-") == 36) {
            memcpy(uuid, vm + 4, 37);
            rc = 0;
        }
    }
    free(vm);
    return rc;
}

/* ---- libxl's lock ---- */

/* As libxl__lock_file: the lock is the file at path while we hold it. */
static int lock_take(const char *path)
{
    struct stat st, fst;
    int fd;

    for (;;) {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0)
            return -1;
        while (flock(fd, LOCK_EX)) {
            if (errno != EINTR) {
                close(fd);
                return -1;
            }
        }
        if (fstat(fd, &fst) == 0 && stat(path, &st) == 0 &&
            st.st_dev == fst.st_dev && st.st_ino == fst.st_ino)
            return fd;
        /* Its holder unlinked it before we had it: take the new one. */
        close(fd);
    }
}

static void lock_drop(const char *path, int fd)
{
    unlink(path);
    close(fd);
}

/* ---- the JSON ---- */

static int gen_string(yajl_gen g, const char *s)
{
    return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) ==
                   yajl_gen_status_ok
               ? 0
               : -1;
}

static int gen_value(yajl_gen g, yajl_val v);

struct xsdata_change {
    const int *devids;
    const char *const *specs;
    int n;
};

/* Whether key is one of ours that the change sets or removes. */
static bool changed_key(const struct xsdata_change *ch, const char *key)
{
    char mine[32];
    int i;

    for (i = 0; i < ch->n; i++) {
        snprintf(mine, sizeof(mine), KEEP_PREFIX "%d", ch->devids[i]);
        if (!strcmp(key, mine))
            return true;
    }
    return false;
}

/* c_info.xsdata after the change: the entries that stay, then ours;
 * nothing at all when that leaves it empty. */
static int gen_xsdata(yajl_gen g, yajl_val old, const struct xsdata_change *ch)
{
    char key[32];
    size_t i, kept = 0;
    int j, added = 0, rc = 0;

    for (i = 0; old && YAJL_IS_OBJECT(old) && i < old->u.object.len; i++)
        kept += !changed_key(ch, old->u.object.keys[i]);
    for (j = 0; j < ch->n; j++)
        added += ch->specs[j] != NULL;
    if (!kept && !added)
        return 0;
    rc |= gen_string(g, "xsdata");
    rc |= yajl_gen_map_open(g) != yajl_gen_status_ok;
    for (i = 0; old && YAJL_IS_OBJECT(old) && i < old->u.object.len; i++) {
        if (changed_key(ch, old->u.object.keys[i]))
            continue;
        rc |= gen_string(g, old->u.object.keys[i]);
        rc |= gen_value(g, old->u.object.values[i]);
    }
    for (j = 0; j < ch->n; j++) {
        if (!ch->specs[j])
            continue;
        snprintf(key, sizeof(key), KEEP_PREFIX "%d", ch->devids[j]);
        rc |= gen_string(g, key);
        rc |= gen_string(g, ch->specs[j]);
    }
    rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
    return rc ? -1 : 0;
}

static int gen_value(yajl_gen g, yajl_val v)
{
    size_t i;
    int rc = 0;

    if (YAJL_IS_STRING(v))
        return gen_string(g, v->u.string);
    if (YAJL_IS_NUMBER(v))
        return yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r)) ==
                       yajl_gen_status_ok
                   ? 0
                   : -1;
    if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
        return yajl_gen_bool(g, YAJL_IS_TRUE(v)) == yajl_gen_status_ok ? 0 : -1;
    if (YAJL_IS_NULL(v))
        return yajl_gen_null(g) == yajl_gen_status_ok ? 0 : -1;
    if (YAJL_IS_ARRAY(v)) {
        rc |= yajl_gen_array_open(g) != yajl_gen_status_ok;
        for (i = 0; i < v->u.array.len; i++)
            rc |= gen_value(g, v->u.array.values[i]);
        rc |= yajl_gen_array_close(g) != yajl_gen_status_ok;
        return rc ? -1 : 0;
    }
    if (YAJL_IS_OBJECT(v)) {
        rc |= yajl_gen_map_open(g) != yajl_gen_status_ok;
        for (i = 0; i < v->u.object.len; i++) {
            rc |= gen_string(g, v->u.object.keys[i]);
            rc |= gen_value(g, v->u.object.values[i]);
        }
        rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
        return rc ? -1 : 0;
    }
    return -1;
}

/* The whole configuration, with c_info.xsdata changed. */
static int gen_config(yajl_gen g, yajl_val root, const struct xsdata_change *ch)
{
    yajl_val c_info = NULL;
    size_t i, j;
    bool seen_xsdata = false;
    int rc = 0;

    if (!YAJL_IS_OBJECT(root))
        return -1;
    for (i = 0; i < root->u.object.len; i++)
        if (!strcmp(root->u.object.keys[i], "c_info"))
            c_info = root->u.object.values[i];
    if (!c_info || !YAJL_IS_OBJECT(c_info))
        return -1;
    rc |= yajl_gen_map_open(g) != yajl_gen_status_ok;
    for (i = 0; i < root->u.object.len; i++) {
        yajl_val v = root->u.object.values[i];

        rc |= gen_string(g, root->u.object.keys[i]);
        if (v != c_info) {
            rc |= gen_value(g, v);
            continue;
        }
        rc |= yajl_gen_map_open(g) != yajl_gen_status_ok;
        for (j = 0; j < v->u.object.len; j++) {
            if (!strcmp(v->u.object.keys[j], "xsdata")) {
                rc |= gen_xsdata(g, v->u.object.values[j], ch);
                seen_xsdata = true;
                continue;
            }
            rc |= gen_string(g, v->u.object.keys[j]);
            rc |= gen_value(g, v->u.object.values[j]);
        }
        if (!seen_xsdata)
            rc |= gen_xsdata(g, NULL, ch);
        rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
    }
    rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
    return rc ? -1 : 0;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (!f)
        return NULL;
    for (;;) {
        if (cap - len < 4096) {
            char *bigger = realloc(buf, cap + 65536);

            if (!bigger) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = bigger;
            cap += 65536;
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        errno = EIO;
        return NULL;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static int write_file(const char *path, const unsigned char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t done = 0;
    ssize_t n;

    if (fd < 0)
        return -1;
    while (done < len) {
        n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    return close(fd);
}

/* Rewrites libxl's configuration file with the change. 0, 1 when there is
 * no such file, -1 (with *why) on error. */
static int update_libxl_config(const char *data_path, const char *new_path,
                               const struct xsdata_change *ch, char **why)
{
    char errbuf[256] = "";
    const unsigned char *out;
    yajl_val root = NULL;
    yajl_gen g = NULL;
    char *text;
    size_t len;
    int rc = -1;

    text = read_all(data_path);
    if (!text) {
        if (errno == ENOENT)
            return 1;
        *why = fmt("cannot read %s: %s", data_path, strerror(errno));
        return -1;
    }
    root = yajl_tree_parse(text, errbuf, sizeof(errbuf));
    g = yajl_gen_alloc(NULL);
    if (!root || !g) {
        *why = fmt("%s: not JSON: %s", data_path, errbuf);
        goto out;
    }
    yajl_gen_config(g, yajl_gen_beautify, 1);
    if (gen_config(g, root, ch) ||
        yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok) {
        *why = fmt("%s: not a libxl domain configuration", data_path);
        goto out;
    }
    if (write_file(new_path, out, len) || rename(new_path, data_path)) {
        *why = fmt("cannot write %s: %s", data_path, strerror(errno));
        unlink(new_path);
        goto out;
    }
    rc = 0;
out:
    if (g)
        yajl_gen_free(g);
    yajl_tree_free(root);
    free(text);
    return rc;
}

int keep_update(xch_ctx *ctx, uint32_t domid, const int *devids,
                const char *const *specs, int n)
{
    struct xsdata_change ch = {devids, specs, n};
    char uuid[37], *lock_path = NULL, *data_path = NULL, *new_path = NULL;
    char *why = NULL;
    const char *dir = keep_libxl_dir();
    int lock_fd = -1, rc, r;

    if (n == 0)
        return 0;
    /* A domain libxl did not make (no /vm) has only the xenstore copy. */
    if (!domain_uuid(domid, uuid)) {
        lock_path =
            fmt("%s/userdata-l.%u.%s.domain-userdata-lock", dir, domid, uuid);
        data_path = fmt("%s/userdata-d.%u.%s.libxl-json", dir, domid, uuid);
        new_path = fmt("%s/userdata-n.%u.%s.libxl-json", dir, domid, uuid);
        if (!lock_path || !data_path || !new_path) {
            error_msg("out of memory");
            rc = -1;
            goto out;
        }
        /* Without libxl's directory there is no configuration either. */
        if (access(dir, F_OK) == 0) {
            lock_fd = lock_take(lock_path);
            if (lock_fd < 0) {
                error_msg("cannot lock %s: %s", lock_path, strerror(errno));
                rc = -1;
                goto out;
            }
        }
    }
    r = xch_keep_update(ctx, domid, devids, specs, n);
    if (r) {
        error_msg("cannot keep the channels of domain %u in xenstore: %s",
                  domid, xch_error_to_string(r));
        rc = -1;
        goto out;
    }
    rc = 0;
    if (lock_fd >= 0 &&
        update_libxl_config(data_path, new_path, &ch, &why) < 0) {
        error_msg("%s", why ? why : "out of memory");
        rc = -1;
    }
out:
    if (lock_fd >= 0)
        lock_drop(lock_path, lock_fd);
    free(why);
    free(lock_path);
    free(data_path);
    free(new_path);
    return rc;
}

int keep_add(xch_ctx *ctx, uint32_t domid, const xlch_spec *specs, int num)
{
    const char **list = NULL;
    int *devids = NULL, i, rc = -1;

    if (num == 0)
        return 0;
    list = calloc((size_t)num, sizeof(*list));
    devids = calloc((size_t)num, sizeof(*devids));
    if (!list || !devids)
        goto nomem;
    for (i = 0; i < num; i++) {
        devids[i] = specs[i].chan.devid;
        list[i] = xch_channel_spec_format(&specs[i].chan, &specs[i].opts);
        if (!list[i])
            goto nomem;
    }
    rc = keep_update(ctx, domid, devids, list, num);
    goto out;
nomem:
    error_msg("out of memory");
out:
    for (i = 0; list && i < num; i++)
        free((char *)list[i]);
    free(list);
    free(devids);
    return rc;
}

int keep_remove(xch_ctx *ctx, uint32_t domid, int devid)
{
    const char *spec = NULL;

    return keep_update(ctx, domid, &devid, &spec, 1);
}
