/*
 * xensim.so: the fake hypervisor, as an LD_PRELOAD library.
 *
 * Its unversioned definitions of the libxenctrl, libxenevtchn and
 * libxengnttab functions below take precedence over the versioned ones of
 * the real libraries, for xenstored, xl and our own programs alike. The
 * state directory is XENSIM_DIR and the calling domain XENSIM_DOMID
 * (default 0), read when a handle is opened; every handle keeps its own
 * state, so the library has no global variables. It also sends opens of
 * /proc/xen/xsd_port and /proc/xen/xsd_kva (what xenstored reads to find
 * dom0's xenstore channel) to the state directory.
 */
/*
 * xenctrl.h includes Xen's foreign-ABI headers, which declare their
 * aligned fields only for GNU C: let them see it despite -std=c11.
 */
#undef __STRICT_ANSI__

#include "xensim.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#define EXPORT __attribute__((visibility("default")))

/* Host figures the simulated hypervisor reports. */
#define SIM_NODES       1
#define SIM_TOTAL_PAGES (4UL << 18) /* 4 GiB */
#define SIM_CPU_KHZ     2000000U

struct xc_interface_core {
    char *dir;
};

struct xenevtchn_handle {
    struct xensim_evtchn *sim;
};

struct share {
    void *addr;
    uint32_t count;
    uint32_t peer;
    uint32_t *refs;
    struct share *next;
};

/* One struct serves libxengnttab's two handle types, as upstream. */
struct xengntdev_handle {
    char *dir;
    uint32_t domid;
    pthread_mutex_t lock; /* protects shares */
    struct share *shares; /* what this handle shared, to end on unshare */
};

/* ---- /proc/xen redirection ---- */

typedef int (*open_fn)(const char *, int, ...);

static int redirected_open(const char *name, const char *path, int flags,
                           mode_t mode)
{
    char buf[4096];
    const char *target = path, *dir;
    uint32_t domid;
    open_fn next;

    if (!strcmp(path, "/proc/xen/xsd_port") ||
        !strcmp(path, "/proc/xen/xsd_kva")) {
        if (xensim_env(&dir, &domid) ||
            xensim_path(buf, sizeof(buf), dir, "%s",
                        path + strlen("/proc/xen/")))
            return -1;
        target = buf;
    }
    /* Looked up per call: a cached pointer would be the one global. */
    next = (open_fn)dlsym(RTLD_NEXT, name);
    if (!next) {
        errno = ENOSYS;
        return -1;
    }
    return next(target, flags, mode);
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    return redirected_open("open", path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    return redirected_open("open64", path, flags, mode);
}

/* ---- libxenctrl ---- */

EXPORT xc_interface *xc_interface_open(xentoollog_logger *logger,
                                       xentoollog_logger *dombuild_logger,
                                       unsigned open_flags)
{
    struct xc_interface_core *xch;
    const char *dir;
    uint32_t domid;

    (void)logger;
    (void)dombuild_logger;
    (void)open_flags;
    if (xensim_env(&dir, &domid)) {
        fprintf(stderr, "xensim: XENSIM_DIR is not set\n");
        return NULL;
    }
    xch = calloc(1, sizeof(*xch));
    if (!xch)
        return NULL;
    xch->dir = strdup(dir);
    if (!xch->dir) {
        free(xch);
        return NULL;
    }
    return xch;
}

EXPORT int xc_interface_close(xc_interface *xch)
{
    if (xch) {
        free(xch->dir);
        free(xch);
    }
    return 0;
}

/* The table's domains from first on; -1 with errno on failure. */
static int list_domains(xc_interface *xch, uint32_t first, unsigned int max,
                        struct xensim_dom **out)
{
    int n;

    *out = calloc(max ? max : 1, sizeof(**out));
    if (!*out)
        return -1;
    n = xensim_domain_list(xch->dir, first, *out, (int)max);
    if (n < 0) {
        free(*out);
        *out = NULL;
    }
    return n;
}

EXPORT int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid,
                             unsigned int max_doms, xc_dominfo_t *info)
{
    struct xensim_dom *doms;
    int n, i;

    n = list_domains(xch, first_domid, max_doms, &doms);
    for (i = 0; i < n; i++) {
        xc_dominfo_t *d = &info[i];

        memset(d, 0, sizeof(*d));
        d->domid = doms[i].domid;
        d->dying = doms[i].state == XENSIM_DOM_DYING;
        d->shutdown = doms[i].state == XENSIM_DOM_SHUTDOWN;
        d->running = doms[i].state == XENSIM_DOM_RUNNING;
        d->nr_pages = 65536;
        d->max_memkb = 262144;
        d->nr_online_vcpus = 1;
        d->max_vcpu_id = 0;
    }
    if (n >= 0)
        free(doms);
    return n;
}

EXPORT int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain,
                                 unsigned int max_domains,
                                 xc_domaininfo_t *info)
{
    struct xensim_dom *doms;
    int n, i;

    n = list_domains(xch, first_domain, max_domains, &doms);
    for (i = 0; i < n; i++) {
        xc_domaininfo_t *d = &info[i];

        memset(d, 0, sizeof(*d));
        d->domain = (domid_t)doms[i].domid;
        if (doms[i].state == XENSIM_DOM_DYING)
            d->flags |= XEN_DOMINF_dying;
        if (doms[i].state == XENSIM_DOM_SHUTDOWN)
            d->flags |= XEN_DOMINF_shutdown;
        if (doms[i].state == XENSIM_DOM_RUNNING)
            d->flags |= XEN_DOMINF_running;
        d->tot_pages = 65536;
        d->max_pages = 65536;
        d->nr_online_vcpus = 1;
        d->max_vcpu_id = 0;
    }
    if (n >= 0)
        free(doms);
    return n;
}

static void copy_str(void *dst, size_t size, const char *s)
{
    snprintf(dst, size, "%s", s);
}

EXPORT int xc_version(xc_interface *xch, int cmd, void *arg)
{
    (void)xch;
    switch (cmd) {
    case XENVER_version:
        return (4 << 16) | 17;
    case XENVER_extraversion:
        copy_str(arg, sizeof(xen_extraversion_t), ".0-xensim");
        return 0;
    case XENVER_compile_info: {
        xen_compile_info_t *ci = arg;

        memset(ci, 0, sizeof(*ci));
        copy_str(ci->compiler, sizeof(ci->compiler), "xensim");
        copy_str(ci->compile_by, sizeof(ci->compile_by), "xensim");
        copy_str(ci->compile_domain, sizeof(ci->compile_domain), "testbed");
        copy_str(ci->compile_date, sizeof(ci->compile_date), "testbed");
        return 0;
    }
    case XENVER_capabilities:
        copy_str(arg, sizeof(xen_capabilities_info_t),
                 "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_64");
        return 0;
    case XENVER_changeset:
        copy_str(arg, sizeof(xen_changeset_info_t), "xensim");
        return 0;
    case XENVER_platform_parameters: {
        xen_platform_parameters_t *pp = arg;

        pp->virt_start = 0xffff800000000000UL;
        return 0;
    }
    case XENVER_pagesize:
        return XENSIM_PAGE_SIZE;
    case XENVER_commandline:
        copy_str(arg, sizeof(xen_commandline_t), "");
        return 0;
    case XENVER_guest_handle:
        memset(arg, 0, sizeof(xen_domain_handle_t));
        return 0;
    default:
        errno = ENOSYS;
        return -1;
    }
}

static int host_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_CONF);

    return n > 0 ? (int)n : 1;
}

EXPORT int xc_physinfo(xc_interface *xch, xc_physinfo_t *info)
{
    (void)xch;
    memset(info, 0, sizeof(*info));
    info->threads_per_core = 1;
    info->cores_per_socket = (uint32_t)host_cpus();
    info->nr_cpus = (uint32_t)host_cpus();
    info->max_cpu_id = (uint32_t)host_cpus() - 1;
    info->nr_nodes = SIM_NODES;
    info->max_node_id = SIM_NODES - 1;
    info->cpu_khz = SIM_CPU_KHZ;
    info->capabilities = XEN_SYSCTL_PHYSCAP_pv | XEN_SYSCTL_PHYSCAP_hvm;
    info->total_pages = SIM_TOTAL_PAGES;
    info->free_pages = SIM_TOTAL_PAGES / 2;
    info->max_mfn = SIM_TOTAL_PAGES - 1;
    return 0;
}

EXPORT int xc_get_max_cpus(xc_interface *xch)
{
    (void)xch;
    return host_cpus();
}

EXPORT int xc_get_max_nodes(xc_interface *xch)
{
    (void)xch;
    return SIM_NODES;
}

EXPORT int xc_get_cpumap_size(xc_interface *xch)
{
    return (xc_get_max_cpus(xch) + 7) / 8;
}

EXPORT int xc_get_nodemap_size(xc_interface *xch)
{
    return (xc_get_max_nodes(xch) + 7) / 8;
}

/* No XSM/FLASK in the simulated hypervisor: Xen says ENOSYS then. */
EXPORT int xc_flask_sid_to_context(xc_interface *xch, int sid, char *buf,
                                   uint32_t size)
{
    (void)xch;
    (void)sid;
    (void)buf;
    (void)size;
    errno = ENOSYS;
    return -1;
}

/* ---- libxenevtchn ---- */

static xenevtchn_handle *evtchn_open(int fd)
{
    xenevtchn_handle *xce;
    const char *dir;
    uint32_t domid;

    if (xensim_env(&dir, &domid))
        return NULL;
    xce = calloc(1, sizeof(*xce));
    if (!xce)
        return NULL;
    xce->sim = xensim_evtchn_open(dir, domid, fd);
    if (!xce->sim) {
        free(xce);
        return NULL;
    }
    return xce;
}

EXPORT xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger,
                                        unsigned int flags)
{
    xenevtchn_handle *xce;
    int fd, fl;

    (void)logger;
    xce = evtchn_open(-1);
    if (xce && (flags & XENEVTCHN_NO_CLOEXEC)) {
        fd = xensim_evtchn_fd(xce->sim);
        fl = fcntl(fd, F_GETFD);
        if (fl >= 0)
            fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    }
    return xce;
}

EXPORT xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger,
                                          int fd, unsigned int flags)
{
    (void)logger;
    (void)flags;
    return evtchn_open(fd);
}

EXPORT int xenevtchn_close(xenevtchn_handle *xce)
{
    if (xce) {
        xensim_evtchn_close(xce->sim);
        free(xce);
    }
    return 0;
}

EXPORT int xenevtchn_fd(xenevtchn_handle *xce)
{
    return xensim_evtchn_fd(xce->sim);
}

EXPORT int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    return xensim_evtchn_notify(xce->sim, port);
}

EXPORT xenevtchn_port_or_error_t
xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid)
{
    return xensim_evtchn_bind_unbound(xce->sim, domid);
}

EXPORT xenevtchn_port_or_error_t xenevtchn_bind_interdomain(
    xenevtchn_handle *xce, uint32_t domid, evtchn_port_t remote_port)
{
    return xensim_evtchn_bind_interdomain(xce->sim, domid, remote_port);
}

EXPORT xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce,
                                                     unsigned int virq)
{
    return xensim_evtchn_bind_virq(xce->sim, virq);
}

EXPORT int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    return xensim_evtchn_unbind(xce->sim, port);
}

EXPORT xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    return xensim_evtchn_pending(xce->sim);
}

EXPORT int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    return xensim_evtchn_unmask(xce->sim, port);
}

/* ---- libxengnttab: xengnttab (mapping) and xengntshr (sharing) ---- */

static struct xengntdev_handle *gntdev_open(void)
{
    struct xengntdev_handle *h;
    const char *dir;
    uint32_t domid;

    if (xensim_env(&dir, &domid))
        return NULL;
    h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->dir = strdup(dir);
    if (!h->dir) {
        free(h);
        return NULL;
    }
    h->domid = domid;
    pthread_mutex_init(&h->lock, NULL);
    return h;
}

static void end_share(struct xengntdev_handle *h, struct share *s)
{
    xensim_grant_end(h->dir, h->domid, s->peer, s->count, s->refs);
    munmap(s->addr, (size_t)s->count * XENSIM_PAGE_SIZE);
    free(s->refs);
    free(s);
}

static int gntdev_close(struct xengntdev_handle *h)
{
    struct share *s;

    if (!h)
        return 0;
    while ((s = h->shares)) {
        h->shares = s->next;
        end_share(h, s);
    }
    pthread_mutex_destroy(&h->lock);
    free(h->dir);
    free(h);
    return 0;
}

EXPORT xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger,
                                        unsigned int open_flags)
{
    (void)logger;
    (void)open_flags;
    return gntdev_open();
}

EXPORT int xengnttab_close(xengnttab_handle *xgt)
{
    return gntdev_close(xgt);
}

EXPORT int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
    (void)xgt;
    (void)nr_grants;
    return 0;
}

EXPORT void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid,
                                     uint32_t ref, int prot)
{
    return xensim_grant_map(xgt->dir, xgt->domid, 1, &domid, &ref, prot);
}

EXPORT void *xengnttab_map_grant_refs(xengnttab_handle *xgt, uint32_t count,
                                      uint32_t *domids, uint32_t *refs,
                                      int prot)
{
    return xensim_grant_map(xgt->dir, xgt->domid, count, domids, refs, prot);
}

EXPORT void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt,
                                             uint32_t count, uint32_t domid,
                                             uint32_t *refs, int prot)
{
    uint32_t *domids = malloc(sizeof(*domids) * (count ? count : 1));
    void *p;
    uint32_t i;

    if (!domids)
        return NULL;
    for (i = 0; i < count; i++)
        domids[i] = domid;
    p = xensim_grant_map(xgt->dir, xgt->domid, count, domids, refs, prot);
    free(domids);
    return p;
}

EXPORT void *xengnttab_map_grant_ref_notify(xengnttab_handle *xgt,
                                            uint32_t domid, uint32_t ref,
                                            int prot, uint32_t notify_offset,
                                            evtchn_port_t notify_port)
{
    (void)notify_offset;
    (void)notify_port;
    return xengnttab_map_grant_ref(xgt, domid, ref, prot);
}

EXPORT int xengnttab_unmap(xengnttab_handle *xgt, void *start_address,
                           uint32_t count)
{
    (void)xgt;
    return munmap(start_address, (size_t)count * XENSIM_PAGE_SIZE);
}

EXPORT xengntshr_handle *xengntshr_open(struct xentoollog_logger *logger,
                                        unsigned int open_flags)
{
    (void)logger;
    (void)open_flags;
    return gntdev_open();
}

EXPORT int xengntshr_close(xengntshr_handle *xgs)
{
    return gntdev_close(xgs);
}

EXPORT void *xengntshr_share_pages(xengntshr_handle *xgs, uint32_t domid,
                                   int count, uint32_t *refs, int writable)
{
    struct share *s;

    (void)writable;
    if (count <= 0) {
        errno = EINVAL;
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->refs = calloc((size_t)count, sizeof(*s->refs));
    if (!s->refs) {
        free(s);
        return NULL;
    }
    s->addr = xensim_grant_share(xgs->dir, xgs->domid, domid, (uint32_t)count,
                                 0, s->refs);
    if (!s->addr) {
        free(s->refs);
        free(s);
        return NULL;
    }
    s->count = (uint32_t)count;
    s->peer = domid;
    memcpy(refs, s->refs, sizeof(*refs) * (size_t)count);
    pthread_mutex_lock(&xgs->lock);
    s->next = xgs->shares;
    xgs->shares = s;
    pthread_mutex_unlock(&xgs->lock);
    return s->addr;
}

EXPORT void *xengntshr_share_page_notify(xengntshr_handle *xgs, uint32_t domid,
                                         uint32_t *ref, int writable,
                                         uint32_t notify_offset,
                                         evtchn_port_t notify_port)
{
    (void)notify_offset;
    (void)notify_port;
    return xengntshr_share_pages(xgs, domid, 1, ref, writable);
}

EXPORT int xengntshr_unshare(xengntshr_handle *xgs, void *start_address,
                             uint32_t count)
{
    struct share **pp, *s = NULL;

    pthread_mutex_lock(&xgs->lock);
    for (pp = &xgs->shares; *pp; pp = &(*pp)->next) {
        if ((*pp)->addr == start_address && (*pp)->count == count) {
            s = *pp;
            *pp = s->next;
            break;
        }
    }
    pthread_mutex_unlock(&xgs->lock);
    if (!s)
        return munmap(start_address, (size_t)count * XENSIM_PAGE_SIZE);
    end_share(xgs, s);
    return 0;
}
