/*
 * xl-channel.h - internal interface of the xl-channel command: the command
 * table's entry type, the helpers every command uses to report usage and
 * errors, and the xl.cfg reader.
 *
 * Adding a command: write its handler and usage text in cmd_NAME.c,
 * declare both below, and add one line to the table in main.c.
 */
#ifndef XL_CHANNEL_H
#define XL_CHANNEL_H

#include <xenchannel.h>

/* Exit statuses: 0 success, 1 runtime failure, 2 usage error. */
#define XLCH_EXIT_OK      0
#define XLCH_EXIT_FAILURE 1
#define XLCH_EXIT_USAGE   2

struct xlch_command {
    const char *name;
    const char *alias; /* xl's spelling (channel-list, ...) or NULL */
    /* argv[0] is "xl-channel NAME"; getopt is reset before the call. The
     * return value is the exit status. */
    int (*run)(const struct xlch_command *cmd, int argc, char **argv);
    const char *summary; /* one line for `xl-channel --help` */
    const char *usage;   /* `xl-channel NAME --help`, starts "Usage: " */
};

/* ---- commands --------------------------------------------------------- */
int cmd_parse(const struct xlch_command *cmd, int argc, char **argv);
extern const char cmd_parse_usage[];
int cmd_list(const struct xlch_command *cmd, int argc, char **argv);
extern const char cmd_list_usage[];
int cmd_attach(const struct xlch_command *cmd, int argc, char **argv);
extern const char cmd_attach_usage[];
int cmd_detach(const struct xlch_command *cmd, int argc, char **argv);
extern const char cmd_detach_usage[];
int cmd_apply(const struct xlch_command *cmd, int argc, char **argv);
extern const char cmd_apply_usage[];
int cmd_events(const struct xlch_command *cmd, int argc, char **argv);
extern const char cmd_events_usage[];
int cmd_create(const struct xlch_command *cmd, int argc, char **argv);
extern const char cmd_create_usage[];

/* Shared by list, attach, detach and apply (cmd_attach.c). They print
 * their errors. toolstack_open opens a context and, unless domain is
 * NULL, resolves domain; toolstack_resolve resolves a domain name or id;
 * toolstack_debug_retries prints the context's transaction retries when
 * XENCHANNEL_DEBUG is set (and not "0"). */
int toolstack_open(const char *domain, xch_ctx **ctx_r, uint32_t *domid_r);
int toolstack_resolve(xch_ctx *ctx, const char *domain, uint32_t *domid_r);
void toolstack_debug_retries(const xch_ctx *ctx, const char *what);
/* Warns on stderr when chan asks for a devid above 7 (SPEC §3). */
void toolstack_warn_devid(const xch_device_channel *chan);
/* Checks the argument of --socket-dir: XLCH_EXIT_OK, or the usage error
 * (printed). */
int toolstack_socket_dir(const struct xlch_command *cmd, const char *dir);

/* ---- helpers (main.c) ------------------------------------------------- */

/* Prints cmd's usage text to stdout; returns XLCH_EXIT_OK (for --help). */
int command_help(const struct xlch_command *cmd);

/* For bad usage: prints "xl-channel NAME: " and the message (if fmt is
 * not NULL), then the usage line and a pointer to --help, to stderr;
 * returns XLCH_EXIT_USAGE. */
int command_usage_error(const struct xlch_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "xl-channel: " and the message, and a newline, to stderr. */
void error_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- xl.cfg (config.c) ------------------------------------------------ */

/* One entry of channel=: what xl builds from it, and what our extensions
 * of xl's syntax add. */
typedef struct xlch_spec {
    xch_device_channel chan;
    xch_channel_options opts;
} xlch_spec;

/*
 * Reads every entry of the channel= list of the xl domain configuration
 * file `filename` with libxlutil and parses it (xch_channel_spec_parse).
 * A config without channel= has no channels (*num_r 0, *specs_r NULL).
 * Every entry is checked, and names and explicit devids must be unique in
 * the file, before anything is returned: on success the caller owns the
 * *num_r entries (specs_free). On error returns a negative
 * XCH_ERROR_* code and sets *errmsg (caller frees; NULL when out of
 * memory) to a message naming the file, the entry by its 0-based position
 * (channel[0] is the first), the spec and the problem; libxlutil's syntax
 * errors are passed on as it words them (FILE:LINE: ...).
 */
int config_read_channels(const char *filename, xlch_spec **specs_r, int *num_r,
                         char **errmsg);

/* Disposes num entries and frees the array (NULL-safe). */
void specs_free(xlch_spec *specs, int num);

/* ---- the kept set (keep.c) -------------------------------------------- */

/* Where libxl keeps domain configurations (its XEN_LIB_DIR), unless the
 * environment variable says otherwise. */
#define KEEP_LIBXL_DIR_DEFAULT "/var/lib/xen"
#define KEEP_LIBXL_DIR_ENV     "XENCHANNEL_LIBXL_DIR"
const char *keep_libxl_dir(void);

/*
 * Changes the kept set of domid (the channels it gets back when it is
 * built again): entry devids[i] becomes specs[i], or goes when that is
 * NULL; in the configuration libxl keeps for the domain (c_info.xsdata,
 * under libxl's own lock; a domain without one keeps only the xenstore
 * copy) and in xenstore (xch_keep_update). Prints its errors; 0 or -1.
 */
int keep_update(xch_ctx *ctx, uint32_t domid, const int *devids,
                const char *const *specs, int n);
/* Keeps the num channels of specs, attached (their devid is known). */
int keep_add(xch_ctx *ctx, uint32_t domid, const xlch_spec *specs, int num);
/* The channel with that devid is no longer kept. */
int keep_remove(xch_ctx *ctx, uint32_t domid, int devid);

#endif /* XL_CHANNEL_H */
