/*
 * xensim: the fake hypervisor of the testbed (see docs/testbed.md).
 *
 * The state of one simulated host lives in one directory (XENSIM_DIR):
 *   domains/<D>        the domain table: "running", "shutdown" or "dying";
 *                      a domain without a file is gone
 *   evtchn/lock        flock'ed while ports are allocated, paired or freed
 *   evtchn/d<D>        the port records of domain D (shared memory)
 *   evtchn/h<pid>.<fd> the datagram socket of one event channel handle
 *   grant/<D>-<ref>    a page granted by domain D (4096 bytes), reserved
 *                      with O_EXCL; grant/<D>-<ref>.to<G> links it for the
 *                      one domain G that may map it
 *   xsd_port, xsd_kva  what dom0's /proc/xen/xsd_port and xsd_kva hold
 *
 * Both the preload (xensim_preload.c, interposing libxenctrl, libxenevtchn
 * and libxengnttab) and the testbed's own tools (launcher helper, xenbus
 * bridge) use this API; it never reads the environment itself.
 */
#ifndef XENSIM_H
#define XENSIM_H

#include <stddef.h>
#include <stdint.h>

#define XENSIM_PAGE_SIZE 4096
/* Ports of one domain are 1 .. XENSIM_MAX_PORTS - 1 (0 is invalid): Xen's
 * 2-level event channel ABI on 64-bit, enough for a dom0 serving 1,000
 * channels beside xenstored's port per guest. */
#define XENSIM_MAX_PORTS 4096
/* Grant refs below this are reserved (Xen's GNTTAB_NR_RESERVED_ENTRIES). */
#define XENSIM_FIRST_FREE_REF 8

/* Environment variables the launcher sets for preloaded programs. */
#define XENSIM_ENV_DIR   "XENSIM_DIR"
#define XENSIM_ENV_DOMID "XENSIM_DOMID"

/*
 * Reads XENSIM_DIR and XENSIM_DOMID (default 0). Returns 0, or -1 with
 * errno EINVAL when XENSIM_DIR is unset or XENSIM_DOMID is not a domid.
 */
int xensim_env(const char **dir, uint32_t *domid);

/* Builds "<dir>/<fmt...>" into buf; -1 with ENAMETOOLONG if it won't fit. */
int xensim_path(char *buf, size_t size, const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Creates the state directory's layout (idempotent). */
int xensim_init_dir(const char *dir);

/* ---- domain table ---- */
enum xensim_dom_state {
    XENSIM_DOM_RUNNING,
    XENSIM_DOM_SHUTDOWN,
    XENSIM_DOM_DYING,
};

struct xensim_dom {
    uint32_t domid;
    enum xensim_dom_state state;
};

/* Sets a domain's state; "gone" removes it from the table. */
int xensim_domain_set(const char *dir, uint32_t domid, const char *state);

/*
 * Fills out[] with up to max domains whose domid >= first, in ascending
 * order; returns how many, or -1 with errno.
 */
int xensim_domain_list(const char *dir, uint32_t first, struct xensim_dom *out,
                       int max);

/* ---- event channels ---- */
struct xensim_evtchn;

/* A handle of domain domid; fd >= 0 adopts a handle socket (fdopen). */
struct xensim_evtchn *xensim_evtchn_open(const char *dir, uint32_t domid,
                                         int fd);
/* Unbinds every port of the handle and frees it (NULL is fine). */
void xensim_evtchn_close(struct xensim_evtchn *h);
int xensim_evtchn_fd(const struct xensim_evtchn *h);
/* These return a local port, or -1 with errno. */
int xensim_evtchn_bind_unbound(struct xensim_evtchn *h, uint32_t remote_dom);
int xensim_evtchn_bind_interdomain(struct xensim_evtchn *h, uint32_t remote_dom,
                                   uint32_t remote_port);
int xensim_evtchn_bind_virq(struct xensim_evtchn *h, uint32_t virq);
int xensim_evtchn_notify(struct xensim_evtchn *h, uint32_t port);
/* Blocks (unless the fd was made non-blocking) for the next event. */
int xensim_evtchn_pending(struct xensim_evtchn *h);
int xensim_evtchn_unmask(struct xensim_evtchn *h, uint32_t port);
int xensim_evtchn_unbind(struct xensim_evtchn *h, uint32_t port);

/*
 * For the launcher: an unbound port of domid for remote_dom that no handle
 * owns (the kernel's end of dom0's xenstore channel); returns the port.
 */
int xensim_evtchn_alloc_kernel_port(const char *dir, uint32_t domid,
                                    uint32_t remote_dom);
/* Raises virq on whichever port of domid it is bound to (0: none bound). */
int xensim_evtchn_raise_virq(const char *dir, uint32_t domid, uint32_t virq);

/* ---- grants ---- */

/*
 * Maps count granted pages contiguously: page i is ref refs[i] of domain
 * domids[i], granted to domain self. NULL with errno on failure.
 */
void *xensim_grant_map(const char *dir, uint32_t self, uint32_t count,
                       const uint32_t *domids, const uint32_t *refs, int prot);

/*
 * Grants count new zeroed pages of domain self to domain peer; stores the
 * refs in refs[] and returns the pages' contiguous mapping. ref != 0 asks
 * for exactly that ref (count must be 1), e.g. the xenstore ring's ref 1.
 */
void *xensim_grant_share(const char *dir, uint32_t self, uint32_t peer,
                         uint32_t count, uint32_t ref, uint32_t *refs);

/* Ends the grants refs[0..count) of domain self to peer. */
void xensim_grant_end(const char *dir, uint32_t self, uint32_t peer,
                      uint32_t count, const uint32_t *refs);

#endif
