/*
 * xensim-ctl: the C half of the `xenhost` launcher (see docs/testbed.md).
 * The hypervisor side works on XENSIM_DIR; the xenstore side connects to
 * the xenstored named by XENSTORED_PATH, as dom0.
 *
 *   init                      state directory, dom0 in the domain table,
 *                             dom0's xenstore port and page
 *   dom0-setup                dom0's nodes, once xenstored runs
 *   domain-state D STATE      running | shutdown | dying | gone
 *   make D NAME [UUID [KEY=VALUE...]]
 *                             a guest's nodes as libxl__domain_make writes
 *                             them in one transaction (its /vm/UUID, and
 *                             each KEY=VALUE of c_info.xsdata under
 *                             /local/domain/D)
 *   introduce D PORT          as libxl__build_post: /vm/UUID/start_time, then
 *                             INTRODUCE with the guest's xenstore event
 *                             channel
 *   destroy D                 as `xl destroy`: devices, table, RELEASE,
 *                             the domain's nodes
 *   virq [VIRQ [D]]           raise a VIRQ (default VIRQ_DOM_EXC of dom0)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <stdint.h>

#include <xen/xen.h>
#include <xenstore.h>

#include "xensim.h"

#define PATH_LEN 256

/* Formats a xenstore path; paths here are short, so too long is a bug. */
static void __attribute__((format(printf, 2, 3)))
fmt_path(char buf[PATH_LEN], const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, PATH_LEN, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= PATH_LEN) {
        fprintf(stderr, "xensim-ctl: xenstore path too long\n");
        exit(1);
    }
}

static const char *sim_dir(void)
{
    const char *dir;
    uint32_t domid;

    if (xensim_env(&dir, &domid)) {
        fprintf(stderr, "xensim-ctl: XENSIM_DIR is not set\n");
        exit(1);
    }
    return dir;
}

static int parse_domid(const char *s, uint32_t *domid)
{
    char *end = NULL;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v >= DOMID_FIRST_RESERVED) {
        fprintf(stderr, "xensim-ctl: '%s' is not a domain id\n", s);
        return -1;
    }
    *domid = (uint32_t)v;
    return 0;
}

/* A guest's domid: any but 0 (dom0 cannot be what is done here). */
static int parse_guest_domid(const char *s, const char *what, uint32_t *domid)
{
    if (parse_domid(s, domid))
        return -1;
    if (*domid == 0) {
        fprintf(stderr, "xensim-ctl: domain 0 cannot be %s\n", what);
        return -1;
    }
    return 0;
}

static int write_file(const char *dir, const char *name, const void *data,
                      size_t len, size_t size)
{
    char path[4096];
    int fd, rc = -1;

    if (xensim_path(path, sizeof(path), dir, "%s", name))
        return -1;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (write(fd, data, len) == (ssize_t)len && !ftruncate(fd, (off_t)size))
        rc = 0;
    close(fd);
    return rc;
}

static int cmd_init(void)
{
    const char *dir = sim_dir();
    char port[16];
    int p;

    if (xensim_init_dir(dir) || xensim_domain_set(dir, 0, "running"))
        goto fail;
    /* dom0's kernel end of its xenstore channel, and its ring page. */
    p = xensim_evtchn_alloc_kernel_port(dir, 0, 0);
    if (p < 0)
        goto fail;
    snprintf(port, sizeof(port), "%d", p);
    if (write_file(dir, "xsd_port", port, strlen(port), strlen(port)) ||
        write_file(dir, "xsd_kva", "", 0, XENSIM_PAGE_SIZE))
        goto fail;
    return 0;
fail:
    fprintf(stderr, "xensim-ctl: init %s: %s\n", dir, strerror(errno));
    return 1;
}

static struct xs_handle *xs_connect(void)
{
    struct xs_handle *xsh = xs_open(0);

    if (!xsh)
        fprintf(stderr, "xensim-ctl: cannot connect to xenstored: %s\n",
                strerror(errno));
    return xsh;
}

/* One node with a value and, if perms is not NULL, permissions. */
static bool put(struct xs_handle *xsh, xs_transaction_t t, const char *path,
                const char *value, const char *perms)
{
    struct xs_permissions p[2];
    unsigned int n = 0;
    char buf[64];

    if (!xs_write(xsh, t, path, value, strlen(value)))
        return false;
    if (!perms)
        return true;
    snprintf(buf, sizeof(buf), "%s", perms);
    for (char *tok = strtok(buf, " "); tok && n < 2; tok = strtok(NULL, " ")) {
        if (!xs_strings_to_perms(&p[n], 1, tok))
            return false;
        n++;
    }
    return xs_set_permissions(xsh, t, path, p, n);
}

typedef bool (*txn_body)(struct xs_handle *xsh, xs_transaction_t t,
                         uint32_t domid, const char *arg);

/* Runs body in a transaction, again while the commit says EAGAIN. */
static bool in_txn(struct xs_handle *xsh, txn_body body, uint32_t domid,
                   const char *arg)
{
    for (;;) {
        xs_transaction_t t = xs_transaction_start(xsh);

        if (t == XBT_NULL)
            return false;
        if (!body(xsh, t, domid, arg)) {
            int saved = errno;

            xs_transaction_end(xsh, t, true);
            errno = saved;
            return false;
        }
        if (xs_transaction_end(xsh, t, false))
            return true;
        if (errno != EAGAIN)
            return false;
    }
}

static bool dom0_nodes(struct xs_handle *xsh, xs_transaction_t t,
                       uint32_t domid, const char *arg)
{
    (void)domid;
    (void)arg;
    return put(xsh, t, "/local/domain/0", "", "n0") &&
           put(xsh, t, "/local/domain/0/name", "Domain-0", NULL) &&
           put(xsh, t, "/local/domain/0/domid", "0", NULL);
}

static int cmd_dom0_setup(void)
{
    struct xs_handle *xsh = xs_connect();
    int rc = 1;

    if (!xsh)
        return 1;
    if (in_txn(xsh, dom0_nodes, 0, NULL))
        rc = 0;
    else
        fprintf(stderr, "xensim-ctl: writing dom0's nodes: %s\n",
                strerror(errno));
    xs_close(xsh);
    return rc;
}

/* Whether another domain already has this name (libxl refuses that). */
static bool name_taken(struct xs_handle *xsh, xs_transaction_t t,
                       const char *name)
{
    char path[PATH_LEN];
    unsigned int n = 0, i, len;
    char **doms = xs_directory(xsh, t, "/local/domain", &n);
    bool taken = false;

    for (i = 0; doms && i < n && !taken; i++) {
        char *other;

        fmt_path(path, "/local/domain/%s/name", doms[i]);
        other = xs_read(xsh, t, path, &len);
        taken = other && !strcmp(other, name);
        free(other);
    }
    free(doms);
    return taken;
}

/* What make writes beyond the name: the UUID (NULL: none) and xsdata's
 * KEY=VALUE strings. */
static const char *guest_uuid;
static char **guest_xsdata;
static int guest_nxsdata;

/* As libxl__domain_make: /vm/<uuid> (n0 r<D>) with uuid and name,
 * /local/domain/D/vm, and xsdata under /local/domain/D (written by dom0,
 * so dom0's and read-only to the guest). */
static bool guest_vm_nodes(struct xs_handle *xsh, xs_transaction_t t,
                           uint32_t domid, const char *dom, const char *name,
                           const char *perms)
{
    char vm[PATH_LEN], path[PATH_LEN];
    int i;

    if (guest_uuid) {
        fmt_path(vm, "/vm/%s", guest_uuid);
        if (!put(xsh, t, vm, "", perms))
            return false;
        fmt_path(path, "%s/uuid", vm);
        if (!put(xsh, t, path, guest_uuid, NULL))
            return false;
        fmt_path(path, "%s/name", vm);
        if (!put(xsh, t, path, name, NULL))
            return false;
        fmt_path(path, "%s/vm", dom);
        if (!put(xsh, t, path, vm, NULL))
            return false;
    }
    (void)domid;
    for (i = 0; i < guest_nxsdata; i++) {
        const char *eq = strchr(guest_xsdata[i], '=');

        if (!eq) {
            errno = EINVAL;
            return false;
        }
        fmt_path(path, "%s/%.*s", dom, (int)(eq - guest_xsdata[i]),
                 guest_xsdata[i]);
        if (!put(xsh, t, path, eq + 1, NULL))
            return false;
    }
    return true;
}

static bool guest_nodes(struct xs_handle *xsh, xs_transaction_t t,
                        uint32_t domid, const char *name)
{
    char dom[PATH_LEN], path[PATH_LEN], perms[32], id[16];

    if (name_taken(xsh, t, name)) {
        fprintf(stderr, "xensim-ctl: a domain named '%s' already exists\n",
                name);
        errno = EEXIST;
        return false;
    }

    fmt_path(dom, "/local/domain/%u", domid);
    snprintf(perms, sizeof(perms), "n0 r%u", domid);
    snprintf(id, sizeof(id), "%u", domid);
    if (!put(xsh, t, dom, "", perms))
        return false;
    fmt_path(path, "%s/name", dom);
    if (!put(xsh, t, path, name, NULL))
        return false;
    fmt_path(path, "%s/domid", dom);
    if (!put(xsh, t, path, id, NULL))
        return false;
    fmt_path(path, "%s/device", dom);
    if (!put(xsh, t, path, "", perms))
        return false;
    if (!guest_vm_nodes(xsh, t, domid, dom, name, perms))
        return false;
    /* libxl gives the guest a directory of its own to write in. */
    snprintf(perms, sizeof(perms), "n%u", domid);
    fmt_path(path, "%s/data", dom);
    if (!put(xsh, t, path, "", perms))
        return false;
    fmt_path(path, "/libxl/%u", domid);
    return put(xsh, t, path, "", "n0");
}

static int cmd_make(const char *d, const char *name)
{
    struct xs_handle *xsh;
    uint32_t domid;
    int rc = 0;

    if (parse_guest_domid(d, "made", &domid))
        return 1;
    xsh = xs_connect();
    if (!xsh)
        return 1;
    if (!in_txn(xsh, guest_nodes, domid, name)) {
        fprintf(stderr, "xensim-ctl: writing domain %u's nodes: %s\n", domid,
                strerror(errno));
        rc = 1;
    }
    xs_close(xsh);
    return rc;
}

/* libxl__build_post writes start_time just before INTRODUCE, anew at each
 * build of the domain. */
static bool write_start_time(struct xs_handle *xsh, uint32_t domid)
{
    char path[PATH_LEN], start[48], *vm;
    struct timeval now;
    unsigned int len;
    bool ok;

    fmt_path(path, "/local/domain/%u/vm", domid);
    vm = xs_read(xsh, XBT_NULL, path, &len);
    if (!vm)
        return errno == ENOENT; /* a domain without /vm */
    gettimeofday(&now, NULL);
    snprintf(start, sizeof(start), "%lld.%02ld", (long long)now.tv_sec,
             (long)now.tv_usec / 10000);
    fmt_path(path, "%s/start_time", vm);
    ok = put(xsh, XBT_NULL, path, start, NULL);
    free(vm);
    return ok;
}

static int cmd_introduce(const char *d, const char *port)
{
    struct xs_handle *xsh = NULL;
    uint32_t domid, evtchn;
    int rc = 1;

    if (parse_guest_domid(d, "introduced", &domid) ||
        parse_domid(port, &evtchn))
        return 1;
    xsh = xs_connect();
    if (!xsh)
        return 1;
    if (!write_start_time(xsh, domid)) {
        fprintf(stderr, "xensim-ctl: start_time of domain %u: %s\n", domid,
                strerror(errno));
        goto out;
    }
    /* The frame number is ignored by xenstored: it maps grant ref 1. */
    if (!xs_introduce_domain(xsh, domid, 0, evtchn)) {
        fprintf(stderr, "xensim-ctl: INTRODUCE %u: %s\n", domid,
                strerror(errno));
        goto out;
    }
    rc = 0;
out:
    xs_close(xsh);
    return rc;
}

static char *read_key(struct xs_handle *xsh, xs_transaction_t t,
                      const char *dir, const char *key)
{
    char path[PATH_LEN];
    unsigned int len;

    fmt_path(path, "%s/%s", dir, key);
    return xs_read(xsh, t, path, &len);
}

/* Removes one device's frontend, backend and /libxl copy. */
static bool remove_device(struct xs_handle *xsh, xs_transaction_t t,
                          uint32_t domid, const char *lx)
{
    char *fe = read_key(xsh, t, lx, "frontend");
    char *be = read_key(xsh, t, lx, "backend");
    bool ok = true;

    (void)domid;
    if (fe && !xs_rm(xsh, t, fe) && errno != ENOENT)
        ok = false;
    if (be && !xs_rm(xsh, t, be) && errno != ENOENT)
        ok = false;
    if (ok && !xs_rm(xsh, t, lx) && errno != ENOENT)
        ok = false;
    free(fe);
    free(be);
    return ok;
}

static int destroy_devices(struct xs_handle *xsh, uint32_t domid)
{
    char base[PATH_LEN], kdir[PATH_LEN], lx[PATH_LEN];
    char **kinds = NULL, **devs = NULL;
    unsigned int nk = 0, nd = 0, i, j;
    int rc = 0;

    fmt_path(base, "/libxl/%u/device", domid);
    kinds = xs_directory(xsh, XBT_NULL, base, &nk);
    for (i = 0; kinds && i < nk; i++) {
        fmt_path(kdir, "%s/%s", base, kinds[i]);
        devs = xs_directory(xsh, XBT_NULL, kdir, &nd);
        for (j = 0; devs && j < nd; j++) {
            fmt_path(lx, "%s/%s", kdir, devs[j]);
            if (!in_txn(xsh, remove_device, domid, lx)) {
                fprintf(stderr, "xensim-ctl: removing %s: %s\n", lx,
                        strerror(errno));
                rc = 1;
            }
        }
        free(devs);
        devs = NULL;
    }
    free(kinds);
    return rc;
}

static int cmd_destroy(const char *d)
{
    struct xs_handle *xsh = NULL;
    char path[PATH_LEN];
    uint32_t domid;
    int rc;

    if (parse_guest_domid(d, "destroyed", &domid))
        return 1;
    xsh = xs_connect();
    if (!xsh)
        return 1;
    rc = destroy_devices(xsh, domid);
    if (xensim_domain_set(sim_dir(), domid, "gone")) {
        fprintf(stderr, "xensim-ctl: domain table: %s\n", strerror(errno));
        rc = 1;
    }
    /* ENOENT: xenstored already released it after a VIRQ_DOM_EXC. */
    if (!xs_release_domain(xsh, domid) && errno != ENOENT) {
        fprintf(stderr, "xensim-ctl: RELEASE %u: %s\n", domid, strerror(errno));
        rc = 1;
    }
    /* libxl removes the domain's /vm/<uuid> with it. */
    fmt_path(path, "/local/domain/%u/vm", domid);
    {
        unsigned int len;
        char *vm = xs_read(xsh, XBT_NULL, path, &len);

        if (vm && !strncmp(vm, "/vm/", 4) && !xs_rm(xsh, XBT_NULL, vm) &&
            errno != ENOENT)
            rc = 1;
        free(vm);
    }
    fmt_path(path, "/local/domain/%u", domid);
    if (!xs_rm(xsh, XBT_NULL, path) && errno != ENOENT)
        rc = 1;
    fmt_path(path, "/libxl/%u", domid);
    if (!xs_rm(xsh, XBT_NULL, path) && errno != ENOENT)
        rc = 1;
    xs_close(xsh);
    return rc;
}

static int cmd_domain_state(const char *d, const char *state)
{
    uint32_t domid;

    if (parse_domid(d, &domid))
        return 1;
    if (xensim_domain_set(sim_dir(), domid, state)) {
        fprintf(stderr,
                "xensim-ctl: domain %u state '%s': %s (states: running, "
                "shutdown, dying, gone)\n",
                domid, state, strerror(errno));
        return 1;
    }
    return 0;
}

static int cmd_virq(const char *v, const char *d)
{
    uint32_t virq = VIRQ_DOM_EXC, domid = 0;
    int n;

    if ((v && parse_domid(v, &virq)) || (d && parse_domid(d, &domid)))
        return 1;
    n = xensim_evtchn_raise_virq(sim_dir(), domid, virq);
    if (n < 0) {
        fprintf(stderr, "xensim-ctl: raising VIRQ %u: %s\n", virq,
                strerror(errno));
        return 1;
    }
    if (n == 0) {
        fprintf(stderr, "xensim-ctl: VIRQ %u of domain %u is not bound\n", virq,
                domid);
        return 1;
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: xensim-ctl init | dom0-setup | domain-state D "
                    "STATE | make D NAME [UUID [KEY=VALUE...]] | "
                    "introduce D PORT | "
                    "destroy D | virq "
                    "[VIRQ [D]]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";

    if (!strcmp(cmd, "init") && argc == 2)
        return cmd_init();
    if (!strcmp(cmd, "dom0-setup") && argc == 2)
        return cmd_dom0_setup();
    if (!strcmp(cmd, "domain-state") && argc == 4)
        return cmd_domain_state(argv[2], argv[3]);
    if (!strcmp(cmd, "make") && argc >= 4) {
        if (argc >= 5 && *argv[4])
            guest_uuid = argv[4];
        guest_xsdata = argv + 5;
        guest_nxsdata = argc > 5 ? argc - 5 : 0;
        return cmd_make(argv[2], argv[3]);
    }
    if (!strcmp(cmd, "introduce") && argc == 4)
        return cmd_introduce(argv[2], argv[3]);
    if (!strcmp(cmd, "destroy") && argc == 3)
        return cmd_destroy(argv[2]);
    if (!strcmp(cmd, "virq") && argc <= 4)
        return cmd_virq(argc > 2 ? argv[2] : NULL, argc > 3 ? argv[3] : NULL);
    return usage();
}
