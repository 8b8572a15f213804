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

/* ---- toolstack: xenstore layout, attach, detach, list ---------------- */

#ifdef __cplusplus
}
#endif

#endif /* XENCHANNEL_H */
