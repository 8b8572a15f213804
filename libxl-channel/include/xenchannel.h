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
 *   path=PATH        mandatory for socket, refused for pty; absolute, at
 *                    most XCH_CHANNEL_PATH_MAX bytes, no ".." component,
 *                    not ending in '/'
 *   backend=DOMAIN   domain name or id, kept as written (resolved when the
 *                    channel is attached); default: the toolstack domain
 *   devid=N          1..XCH_CHANNEL_DEVID_MAX; default: allocated on attach
 * A piece without '=', with a second '=', an empty key or value, an
 * unknown or repeated key, and a value with a control character or a '"'
 * are errors, as is a spec with no piece at all.
 *
 * Error messages say what is wrong and quote the offending piece or value
 * (with xch_channel_quote); the caller adds where the spec came from.
 */
#define XCH_CHANNEL_NAME_MAX  64
#define XCH_CHANNEL_PATH_MAX  107 /* sizeof(sun_path) - 1 */
#define XCH_CHANNEL_DEVID_MAX 9999

/*
 * Parses spec into *out, which must have been initialised
 * (xch_device_channel_init); its previous content is disposed. On success
 * *out holds what xl would build: devid -1 unless given, backend_domname
 * as written, backend_domid 0. On error returns XCH_ERROR_INVAL (or
 * XCH_ERROR_NOMEM), leaves *out initialised and empty, and sets *errmsg
 * (if errmsg is not NULL) to a message the caller frees; *errmsg is NULL
 * when no message could be allocated, and on success.
 */
int xch_channel_spec_parse(const char *spec, xch_device_channel *out,
                           char **errmsg);

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

#ifdef __cplusplus
}
#endif

#endif /* XENCHANNEL_H */
