/*
 * xenchannel.h - libxenchannel, Xen PV channels without QEMU.
 *
 * A channel is an extra PV console with a name. This library parses the
 * `channel=` specs of xl.cfg, writes and reads the xenstore layout that
 * libxl uses for channels, and gives access to the console ring shared by
 * the backend daemon and test frontends.
 *
 * Conventions (as libxl's):
 *  - functions return 0 or a negative XCH_ERROR_* code (the xch_error
 *    enumeration of the generated types header) and never print or exit;
 *    where a message helps the user, it is returned through a `char **`
 *    argument that the caller frees;
 *  - every type has an idempotent _init/_dispose pair; whatever a function
 *    returns to its caller is the caller's to dispose.
 */
#ifndef XENCHANNEL_H
#define XENCHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include <xenchannel_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- channel= specs (spec.c) ---------------------------------------- */

/*
 * A spec is one entry of xl.cfg's `channel = [ ... ]` list, for example
 * "connection=socket,path=/run/agent.sock,name=org.qemu.guest_agent.0":
 * comma-separated key=value pieces (empty pieces skipped, white space
 * around keys and values trimmed, keys exact lower case):
 *   name=NAME        mandatory; 1..XCH_CHANNEL_NAME_MAX bytes of
 *                    A-Z a-z 0-9 . _ - : + @, not "." or ".."
 *   connection=pty|socket   mandatory, case-insensitive
 *   path=PATH        for socket, refused for pty; absolute, at most
 *                    XCH_CHANNEL_PATH_MAX bytes, no ".." component, not
 *                    ending in '/'; when a socket channel has none
 *                    (an extension of xl's syntax), attaching makes
 *                    <socket_dir>/<domain name>/<channel name>
 *   backend=DOMAIN   domain name or id, kept as written (resolved when the
 *                    channel is attached); default: the toolstack domain
 *   devid=N          1..XCH_CHANNEL_DEVID_MAX; default: allocated on attach
 *   limit=SIZE       (an extension of xl's syntax) the bound, in bytes, of
 *                    what the backend buffers of the guest's output for a
 *                    client that lags: a number, optionally followed by K
 *                    or M (1024, 1048576), XCH_CHANNEL_LIMIT_MIN..MAX;
 *                    default: the backend daemon's (see xenchanneld(8))
 * A piece without '=', with a second '=', an empty key or value, an
 * unknown or repeated key, and a value with a control character or a '"'
 * or that is not well-formed UTF-8 are errors, as is a spec with no piece
 * at all.
 *
 * Error messages say what is wrong and quote the offending piece or value
 * (with xch_channel_quote); the caller adds where the spec came from.
 */
#define XCH_CHANNEL_NAME_MAX  64
#define XCH_CHANNEL_PATH_MAX  107 /* sizeof(sun_path) - 1 */
#define XCH_CHANNEL_DEVID_MAX 9999
#define XCH_CHANNEL_LIMIT_MIN (4UL << 10)
#define XCH_CHANNEL_LIMIT_MAX (1UL << 30)

/* xch_channel_spec_parse and xch_channel_add take xch_channel_options. */
#define XCH_HAVE_CHANNEL_OPTIONS 1

/*
 * Parses spec into *out, which must have been initialised
 * (xch_device_channel_init); its previous content is disposed. On success
 * *out holds what xl would build: devid -1 unless given, backend_domname
 * as written, backend_domid 0; and *opts (initialised likewise, may be
 * NULL: then keys beyond xl's are refused) what the spec says beyond
 * that. On error returns XCH_ERROR_INVAL (or XCH_ERROR_NOMEM), leaves *out
 * and *opts initialised and empty, and sets *errmsg (if errmsg is not
 * NULL) to a message the caller frees; *errmsg is NULL when no message
 * could be allocated, and on success.
 */
int xch_channel_spec_parse(const char *spec, xch_device_channel *out,
                           xch_channel_options *opts, char **errmsg);

/* Parses a limit= value (rules above); 0 or XCH_ERROR_INVAL with
 * *errmsg. Sets *limit_r only on success. */
int xch_channel_limit_parse(const char *s, uint64_t *limit_r, char **errmsg);

/* Checks a channel name (rules above); 0 or XCH_ERROR_INVAL with
 * *errmsg as for xch_channel_spec_parse. */
int xch_channel_name_check(const char *name, char **errmsg);

/* Checks a socket path (rules above); 0 or XCH_ERROR_INVAL as above. */
int xch_channel_path_check(const char *path, char **errmsg);

/* Parses a devid: decimal digits only, 1..XCH_CHANNEL_DEVID_MAX (0 is
 * the primary console). Sets *devid_r only on success. */
int xch_channel_devid_parse(const char *s, int *devid_r, char **errmsg);

/* s in double quotes, with '"', '\\' and every byte outside printable
 * ASCII escaped (\xHH), for messages; malloc'd, NULL on ENOMEM. */
char *xch_channel_quote(const char *s);

/* ---- toolstack: xenstore layout, attach, detach, list ---------------- */

/*
 * The toolstack writes and reads the xenstore layout libxl uses for
 * channels (SPEC §3), so that `xl channel-list` and libvirt keep working.
 * For channel N of guest D with backend domain B:
 *   FE = /local/domain/D/device/console/N      (guest-owned, n<D> r<B>)
 *   BE = /local/domain/B/backend/console/D/N   (backend-owned, n<B> r<D>)
 *   LX = /libxl/D/device/console/N             (dom0 only, n0)
 * FE also holds name, limit, type, output and tty, read-only to the guest.
 * Trusted data (name, connection, path, backend) is read from LX only;
 * FE state, ring-ref, port and tty are the guest's (or the backend's) and
 * are parsed strictly, for display only.
 *
 * Every change is one xenstore transaction, restarted from its first read
 * when xenstored answers EAGAIN, so it is all-or-nothing and two
 * toolstacks working on one domain at once cannot both take a devid or a
 * name. Every write to an existing device first reads its directory in the
 * same transaction: xenstored re-creates missing parents on write, so an
 * unconditional late write would resurrect a removed device.
 *
 * Only libxenstore is used (no libxenctrl): a domain exists when
 * /local/domain/D does, and is named by /local/domain/D/name.
 */

struct xs_handle;

/* The toolstack context: one xenstore connection, no global state. Not
 * thread-safe; use one context per thread. */
typedef struct xch_ctx xch_ctx;

/* Opens a context with its own xenstore connection (xs_open(0): honours
 * XENSTORED_PATH). 0 or XCH_ERROR_XENSTORE / XCH_ERROR_NOMEM. */
int xch_ctx_open(xch_ctx **pctx);

/* Opens a context that borrows xsh; xch_ctx_free does not close it. */
int xch_ctx_open_xs(xch_ctx **pctx, struct xs_handle *xsh);

/* Frees ctx (NULL-safe) and closes the connection it owns. */
void xch_ctx_free(xch_ctx *ctx);

/* How many transactions of this context were restarted because xenstored
 * answered EAGAIN at commit (a concurrent change); for diagnostics. */
unsigned long xch_ctx_txn_retries(const xch_ctx *ctx);

/* Domain by decimal id or by exact /local/domain/D/name. 0, or
 * XCH_ERROR_DOMAIN_NOTFOUND, XCH_ERROR_INVAL (a name two domains share),
 * XCH_ERROR_XENSTORE, XCH_ERROR_NOMEM. */
int xch_domain_resolve(xch_ctx *ctx, const char *name_or_id, uint32_t *domid);

/* The domain this process runs in (xenstore's relative key `domid`). */
int xch_domain_self(xch_ctx *ctx, uint32_t *domid);

/* Automatic devids are the lowest free one in 1..XCH_DEVID_AUTO_MAX:
 * Linux guests keep only the last digit and have 8 hvc lines, hvc0 being
 * the primary console. Explicit devids may go up to
 * XCH_CHANNEL_DEVID_MAX. */
#define XCH_DEVID_AUTO_MAX 7
/* Where a socket channel without a path gets one, by default. */
#define XCH_SOCKET_DIR_DEFAULT "/run/xenchannel"

/* FE `limit` when the spec sets none: libxl's value. (xenchanneld takes
 * its bound from BE `limit`, written only when the spec sets one.) */
#define XCH_CHANNEL_LIMIT 1048576
/* FE `type`: the backend that serves the device (upstream: "ioemu"). */
#define XCH_CHANNEL_TYPE "xenchanneld"

/*
 * Attaches chan to guest domid: resolves the backend (chan->backend_domname
 * if set, else chan->backend_domid if not 0, else this domain), checks
 * that both domains exist, that the name is not used by another channel
 * of the guest and that the devid (chan->devid, or the lowest free in
 * 1..7 when it is -1) is free, and writes FE, BE and LX with their
 * permissions, all in one transaction. opts (NULL: defaults) adds what a
 * spec may say beyond xl: a limit goes to FE `limit` and BE `limit`; a
 * socket channel without a path gets
 * <opts->socket_dir or XCH_SOCKET_DIR_DEFAULT>/<domain name>/<name>
 * (refused when that is no valid socket path), written as a given path.
 * On success chan->devid, chan->backend_domid and a socket's path hold
 * what was used. Errors:
 * XCH_ERROR_INVAL (bad channel), XCH_ERROR_DOMAIN_NOTFOUND,
 * XCH_ERROR_DEVICE_EXISTS (name or devid taken), XCH_ERROR_NO_FREE_DEVID,
 * XCH_ERROR_XENSTORE, XCH_ERROR_NOMEM; *errmsg (if errmsg) says which, caller
 * frees. Nothing is written on error.
 */
int xch_channel_add(xch_ctx *ctx, uint32_t domid, xch_device_channel *chan,
                    const xch_channel_options *opts, char **errmsg);

/* Default of xch_channel_remove's timeout. */
#define XCH_DETACH_TIMEOUT_MS 10000

/*
 * Detaches channel devid of guest domid. Unless force, first the closing
 * handshake: BE online=0 and state=5 (Closing), then a wait (an xenstore
 * watch on BE state, on a connection of its own opened with xs_open(0), no
 * polling) until the backend reports 6 (Closed),
 * removes BE, or timeout_ms pass. Then FE, BE and LX are removed in one
 * transaction, with the directories above them that become empty (up to
 * /local/domain/D/device, /local/domain/B and /libxl/D). Returns 0 once
 * removed; when the backend did not confirm in time, the device is removed
 * all the same and *errmsg holds a warning saying so. Errors:
 * XCH_ERROR_NOTFOUND (no such channel; devid 0 is the primary console),
 * XCH_ERROR_XENSTORE, XCH_ERROR_NOMEM, with *errmsg.
 */
int xch_channel_remove(xch_ctx *ctx, uint32_t domid, int devid, bool force,
                       unsigned timeout_ms, char **errmsg);

/* The devid of guest domid's channel called name: 0 or
 * XCH_ERROR_NOTFOUND (or XCH_ERROR_XENSTORE / XCH_ERROR_NOMEM). */
int xch_channel_find_by_name(xch_ctx *ctx, uint32_t domid, const char *name,
                             int *devid);

/*
 * The channels of guest domid (consoles with a name in LX), by ascending
 * devid, as libxl_device_channel_getinfo reports them but each from its
 * own device: devid is the real devid; state, evtch and rref come from FE
 * and are -1 when missing or not a plain decimal number; a pty's path is
 * FE tty, "/NO-SUCH-PATH" when missing or not printable. *infos (NULL when
 * there is none) is the caller's: dispose each, then free.
 */
int xch_channel_list(xch_ctx *ctx, uint32_t domid, xch_channelinfo **infos,
                     int *num);

/*
 * As xch_channel_list, plus the name, the socket path, the backend's and
 * the frontend's state by name, and what the backend daemon reports in BE
 * (XCH_BE_STATUS_*). Byte counters stay 0: see xch_control_query_status.
 */
int xch_channel_status_list(xch_ctx *ctx, uint32_t domid,
                            xch_channel_status **list, int *num);

/* Status keys that xenchanneld writes in BE when they change: "1"/"0",
 * a one-line message (absent when none), a decimal count. */
#define XCH_BE_STATUS_CLIENT_CONNECTED "client-connected"
#define XCH_BE_STATUS_ERROR            "error"
#define XCH_BE_STATUS_BYTES_DROPPED    "bytes-dropped"
/* The host end's state (closed, listening, client, failed) and why it
 * failed (absent while it works). */
#define XCH_BE_STATUS_HOST_END   "host-end"
#define XCH_BE_STATUS_HOST_ERROR "host-error"

/*
 * The daemon's control socket (docs/control-protocol.md): a unix stream
 * socket; a request is one JSON object on one line, the reply too.
 */
#define XCH_CONTROL_PATH_DEFAULT "/run/xenchannel/control.sock"
#define XCH_CONTROL_PATH_ENV     "XENCHANNELD_CONTROL"
/* How long a client waits for the daemon's reply. */
#define XCH_CONTROL_TIMEOUT_MS 2000

/* $XENCHANNELD_CONTROL if set and not empty, else the default. */
const char *xch_control_path(void);

/*
 * Asks the daemon for the counters of guest domid's channels and copies
 * them (bytes each way, dropped, ring errors, client connected, error)
 * into the entries of list with the same devid; counted[i] (num entries)
 * tells which entries the daemon reported. 0, or XCH_ERROR_NOTFOUND when
 * no daemon answers at xch_control_path(), XCH_ERROR_PROTOCOL for a bad
 * reply, XCH_ERROR_TIMEDOUT, XCH_ERROR_FAIL for an error reply; *errmsg
 * (if errmsg) says which.
 */
int xch_control_query_status(uint32_t domid, xch_channel_status *list, int num,
                             bool *counted, char **errmsg);

/*
 * The daemon's lifecycle events (docs/control-protocol.md): a stream that
 * starts with one XCH_CHANNEL_EVENT_KIND_STATE event per channel (its
 * state now), then gives every event as it happens: attached, guest
 * connected and closed, client connected and disconnected, host end
 * failed and listening again, dropping and drained, error, detached.
 * Only the daemon of this domain is reachable (xch_control_path()).
 */
typedef struct xch_event_stream xch_event_stream;

/* Subscribes to the events of guest domid's channels (-1: every guest).
 * 0, or XCH_ERROR_NOTFOUND (no daemon), XCH_ERROR_FAIL (refused: too many
 * subscribers), ... with *errmsg. */
int xch_event_stream_open(long domid, xch_event_stream **out, char **errmsg);

/* Waits for the next event (blocking) into *ev (initialised; its
 * previous content is disposed). 0, XCH_ERROR_NOTFOUND when the daemon
 * ended the stream, XCH_ERROR_PROTOCOL for a line that is not an event,
 * with *errmsg. */
int xch_event_stream_next(xch_event_stream *s, xch_channel_event *ev,
                          char **errmsg);

/* Ends the subscription; NULL is fine. */
void xch_event_stream_close(xch_event_stream *s);

/* ---- the kept set (keep.c) -------------------------------------------- */

/*
 * The channels a domain gets back whenever it is built again (reboot,
 * crash restart, save/restore, migration): entries of the c_info.xsdata
 * of the configuration libxl keeps, "xenchannel/<devid>" = the channel's
 * spec (xch_channel_spec_format), which libxl writes under /local/domain/D
 * each time it builds the domain and carries in save images and migration
 * streams. /local/domain/D is dom0's (n0 r<D>): the guest can read the
 * set, not change it. xl-channel keeps the set (and libxl's copy) in step
 * with attach and detach; xenchanneld attaches what a new domain's set
 * names.
 */
#define XCH_KEEP_KEY "xenchannel"

/* The spec of an attached channel, as kept: name, connection, path (of a
 * socket), backend (as written, if given), limit (if given). Malloc'd;
 * NULL when out of memory or chan has no name or connection. */
char *xch_channel_spec_format(const xch_device_channel *chan,
                              const xch_channel_options *opts);

/* /local/domain/<domid>/xenchannel, malloc'd (NULL: out of memory). */
char *xch_keep_dir(uint32_t domid);

typedef struct xch_kept_channel {
    int devid;
    char *spec; /* without devid= */
} xch_kept_channel;

/* The kept set of domid from xenstore, by ascending devid (*list_r NULL
 * and *num_r 0 when there is none). A set whose directory domain 0 does
 * not own is refused (XCH_ERROR_INVAL, *errmsg says so). */
int xch_keep_read(xch_ctx *ctx, uint32_t domid, xch_kept_channel **list_r,
                  int *num_r, char **errmsg);
void xch_kept_free(xch_kept_channel *list, int num);

/* Sets (specs[i] not NULL) or removes (NULL) the entries devids[i] of
 * domid's set in xenstore, in one transaction that checks that the domain
 * exists (XCH_ERROR_DOMAIN_NOTFOUND); an emptied set leaves no
 * directory. */
int xch_keep_update(xch_ctx *ctx, uint32_t domid, const int *devids,
                    const char *const *specs, int n);

/* Called by xch_keep_restore for each entry it tried to attach (devid -1,
 * spec NULL: the set itself was refused); rc 0 when attached. */
typedef void xch_keep_report(void *arg, uint32_t domid, int devid,
                             const char *spec, int rc, const char *errmsg);

/* Attaches each channel of domid's kept set whose devid the domain does
 * not have (xch_channel_add). Returns how many were attached, or an error
 * code when the set cannot be read or xenstore fails. */
int xch_keep_restore(xch_ctx *ctx, uint32_t domid, xch_keep_report *report,
                     void *arg);

/* ---- console ring (ring.c) -------------------------------------------- */

/* The console ring API (xch_ring_*) shared by the backend daemon and the
 * test frontend lives in its own header, <xenchannel_ring.h>, so that
 * users of this one need not pull in <xen/io/console.h>. */

#ifdef __cplusplus
}
#endif

#endif /* XENCHANNEL_H */
