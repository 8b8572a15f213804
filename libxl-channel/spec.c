/*
 * spec.c - parsing of one xl.cfg `channel=` spec string (SPEC §2), and the
 * checks of channel names, socket paths and devids that the toolstack and
 * the guest's udev helper repeat on values they did not parse themselves.
 *
 * A spec is "key=value,key=value,...". Parsing is strict where xl is lax:
 * xl ignores unknown keys, truncates "path=/a=b" at the second '=', ignores
 * path= for a pty and crashes on an empty spec; each of these is an error
 * here, with a message that quotes the offending piece or value.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum spec_key {
    KEY_BACKEND,
    KEY_CONNECTION,
    KEY_DEVID,
    KEY_LIMIT,
    KEY_NAME,
    KEY_PATH,
    KEY_COUNT
};

static const char *const spec_key_names[KEY_COUNT] = {
    [KEY_BACKEND] = "backend", [KEY_CONNECTION] = "connection",
    [KEY_DEVID] = "devid",     [KEY_LIMIT] = "limit",
    [KEY_NAME] = "name",       [KEY_PATH] = "path",
};

#define VALID_KEYS "backend, connection, devid, limit, name, path"
#define NAME_CHARS "A-Z a-z 0-9 . _ - : + @"

/* Writes s to f in double quotes, escaping '"', '\\' and every byte that
 * is not printable ASCII as \xHH, so that a message never carries control
 * characters (terminal escapes) from its input. */
static void put_quoted(FILE *f, const char *s)
{
    const unsigned char *p;

    fputc('"', f);
    for (p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

char *xch_channel_quote(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    put_quoted(f, s);
    if (fclose(f)) {
        free(buf);
        return NULL;
    }
    return buf;
}

/*
 * Stores a message in *errmsg (when errmsg is not NULL) and returns
 * XCH_ERROR_INVAL, or XCH_ERROR_NOMEM when the message cannot be built.
 * fmt knows three conversions: %s (a string as is), %q (a string quoted
 * with put_quoted) and %d (an int).
 */
static int spec_error(char **errmsg, const char *fmt, ...)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    va_list ap;
    const char *p;

    if (!errmsg)
        return XCH_ERROR_INVAL;
    *errmsg = NULL;
    f = open_memstream(&buf, &len);
    if (!f)
        return XCH_ERROR_NOMEM;
    va_start(ap, fmt);
    for (p = fmt; *p; p++) {
        if (*p != '%' || !p[1]) {
            fputc(*p, f);
            continue;
        }
        p++;
        switch (*p) {
        case 's':
            fputs(va_arg(ap, const char *), f);
            break;
        case 'q':
            put_quoted(f, va_arg(ap, const char *));
            break;
        case 'd':
            fprintf(f, "%d", va_arg(ap, int));
            break;
        default:
            fputc(*p, f);
            break;
        }
    }
    va_end(ap);
    if (fclose(f)) {
        free(buf);
        return XCH_ERROR_NOMEM;
    }
    *errmsg = buf;
    return XCH_ERROR_INVAL;
}

static bool is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if (is_control((unsigned char)*s))
            return true;
    return false;
}

/* Whether s is well-formed UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF): JSON carries only that, and other tools read the
 * values back from xenstore. */
static bool is_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned int cp, min;
    int n, i;

    while (*p) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        if ((*p & 0xe0) == 0xc0) {
            n = 1, cp = *p & 0x1f, min = 0x80;
        } else if ((*p & 0xf0) == 0xe0) {
            n = 2, cp = *p & 0x0f, min = 0x800;
        } else if ((*p & 0xf8) == 0xf0) {
            n = 3, cp = *p & 0x07, min = 0x10000;
        } else {
            return false;
        }
        for (i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += n + 1;
    }
    return true;
}

static bool is_name_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || strchr("._-:+@", c) != NULL;
}

int xch_channel_name_check(const char *name, char **errmsg)
{
    size_t len;
    const char *p;
    char bad[2] = {0, 0};

    if (errmsg)
        *errmsg = NULL;
    if (!name || !*name)
        return spec_error(errmsg, "channel name is empty");
    len = strlen(name);
    if (len > XCH_CHANNEL_NAME_MAX)
        return spec_error(errmsg,
                          "channel name %q is too long (%d bytes, at most %d)",
                          name, (int)len, XCH_CHANNEL_NAME_MAX);
    for (p = name; *p; p++) {
        if (!is_name_char((unsigned char)*p)) {
            bad[0] = *p;
            return spec_error(errmsg,
                              "channel name %q contains %q (allowed: %s)", name,
                              bad, NAME_CHARS);
        }
    }
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return spec_error(errmsg, "channel name %q is not allowed", name);
    return 0;
}

/* True when path has a ".." component. */
static bool has_dotdot(const char *path)
{
    const char *p = path;

    while (*p) {
        while (*p == '/')
            p++;
        if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2]))
            return true;
        while (*p && *p != '/')
            p++;
    }
    return false;
}

int xch_channel_path_check(const char *path, char **errmsg)
{
    size_t len;

    if (errmsg)
        *errmsg = NULL;
    if (!path || !*path)
        return spec_error(errmsg, "path is empty");
    if (path[0] != '/')
        return spec_error(errmsg, "path %q is not absolute", path);
    len = strlen(path);
    if (len > XCH_CHANNEL_PATH_MAX)
        return spec_error(errmsg,
                          "path %q is too long for a unix socket "
                          "(%d bytes, at most %d)",
                          path, (int)len, XCH_CHANNEL_PATH_MAX);
    if (has_control(path))
        return spec_error(errmsg, "path %q contains a control character", path);
    if (!is_utf8(path))
        return spec_error(errmsg, "path %q is not valid UTF-8", path);
    if (strchr(path, '"'))
        return spec_error(errmsg, "path %q contains a '\"'", path);
    if (has_dotdot(path))
        return spec_error(errmsg, "path %q has a \"..\" component", path);
    if (path[len - 1] == '/')
        return spec_error(errmsg, "path %q ends in '/' (a directory)", path);
    return 0;
}

int xch_channel_devid_parse(const char *s, int *devid_r, char **errmsg)
{
    const char *p;
    int devid = 0;

    if (errmsg)
        *errmsg = NULL;
    if (!s || !*s)
        return spec_error(errmsg, "devid is empty");
    for (p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return spec_error(errmsg, "devid %q is not a decimal number", s);
        /* Stop accumulating once out of range: no overflow, any length. */
        if (devid <= XCH_CHANNEL_DEVID_MAX)
            devid = devid * 10 + (*p - '0');
    }
    if (devid < 1 || devid > XCH_CHANNEL_DEVID_MAX)
        return spec_error(errmsg,
                          "devid %q is out of range (1 to %d; "
                          "0 is the primary console)",
                          s, XCH_CHANNEL_DEVID_MAX);
    *devid_r = devid;
    return 0;
}

/* Strips leading and trailing white space in place; returns the start. */
static char *trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return s;
}

/*
 * Parses one piece ("key=value", untrimmed, NUL-terminated, modified in
 * place) into values[], which point into the piece. A piece of nothing but
 * white space is skipped.
 */
static int spec_piece(char *piece, const char *values[KEY_COUNT], char **errmsg)
{
    char *eq, *key, *value;
    int k;

    piece = trim(piece);
    if (!*piece)
        return 0;
    eq = strchr(piece, '=');
    if (!eq)
        return spec_error(errmsg, "piece %q has no value (expected key=value)",
                          piece);
    if (strchr(eq + 1, '='))
        return spec_error(errmsg, "piece %q has a second '='", piece);
    /* The piece is trimmed: white space next to '=' is all that remains
     * to trim from the key and the value. */
    if (eq == piece)
        return spec_error(errmsg, "piece %q has no key", piece);
    if (!eq[1])
        return spec_error(errmsg, "piece %q has an empty value", piece);
    *eq = '\0';
    key = trim(piece);
    value = trim(eq + 1);

    for (k = 0; k < KEY_COUNT; k++)
        if (!strcmp(key, spec_key_names[k]))
            break;
    if (k == KEY_COUNT)
        return spec_error(errmsg, "unknown key %q (valid keys: %s)", key,
                          VALID_KEYS);
    if (values[k])
        return spec_error(errmsg, "key %q is given twice", key);
    if (has_control(value))
        return spec_error(errmsg, "value %q of %s contains a control character",
                          value, key);
    if (!is_utf8(value))
        return spec_error(errmsg, "value %q of %s is not valid UTF-8", value,
                          key);
    if (strchr(value, '"'))
        return spec_error(errmsg, "value %q of %s contains a '\"'", value, key);
    values[k] = value;
    return 0;
}

int xch_channel_limit_parse(const char *s, uint64_t *limit_r, char **errmsg)
{
    unsigned long v;

    if (errmsg)
        *errmsg = NULL;
    if (xch__parse_size(s, XCH_CHANNEL_LIMIT_MAX, &v))
        return spec_error(errmsg,
                          "limit %q is not a size in bytes (a number, "
                          "optionally followed by K or M) of at most 1024M",
                          s ? s : "");
    if (v < XCH_CHANNEL_LIMIT_MIN)
        return spec_error(errmsg, "limit %q is below the smallest, 4K", s);
    *limit_r = v;
    return 0;
}

/* Checks the combination of keys and fills ch (initialised) and opts
 * (initialised, or NULL: then extension keys are refused) from values. */
static int spec_build(const char *spec, const char *const values[KEY_COUNT],
                      xch_device_channel *ch, xch_channel_options *opts,
                      char **errmsg)
{
    uint64_t limit = 0;
    xch_channel_connection connection = XCH_CHANNEL_CONNECTION_UNKNOWN;
    int devid = -1;
    int k, rc;

    for (k = 0; k < KEY_COUNT && !values[k]; k++)
        ;
    if (k == KEY_COUNT)
        return spec_error(errmsg, "channel spec %q is empty", spec);

    if (!values[KEY_NAME])
        return spec_error(errmsg, "no name= given (every channel needs one)");
    rc = xch_channel_name_check(values[KEY_NAME], errmsg);
    if (rc)
        return rc;

    if (!values[KEY_CONNECTION])
        return spec_error(errmsg, "no connection= given (pty or socket)");
    if (xch_channel_connection_from_string(values[KEY_CONNECTION],
                                           &connection) ||
        connection == XCH_CHANNEL_CONNECTION_UNKNOWN)
        return spec_error(errmsg, "unknown connection %q (valid: pty, socket)",
                          values[KEY_CONNECTION]);

    if (connection == XCH_CHANNEL_CONNECTION_SOCKET) {
        /* Without a path, attaching makes one (an extension of xl's
         * syntax: xl wants one). */
        rc = values[KEY_PATH] ? xch_channel_path_check(values[KEY_PATH], errmsg)
                              : 0;
        if (rc)
            return rc;
    } else if (values[KEY_PATH]) {
        return spec_error(errmsg, "path %q is not allowed with a pty channel",
                          values[KEY_PATH]);
    }

    if (values[KEY_DEVID]) {
        rc = xch_channel_devid_parse(values[KEY_DEVID], &devid, errmsg);
        if (rc)
            return rc;
    }

    if (values[KEY_LIMIT]) {
        if (!opts)
            return spec_error(errmsg, "limit= is not supported here");
        rc = xch_channel_limit_parse(values[KEY_LIMIT], &limit, errmsg);
        if (rc)
            return rc;
        opts->limit = limit;
    }

    ch->devid = devid;
    ch->name = strdup(values[KEY_NAME]);
    if (!ch->name)
        return XCH_ERROR_NOMEM;
    if (values[KEY_BACKEND]) {
        ch->backend_domname = strdup(values[KEY_BACKEND]);
        if (!ch->backend_domname)
            return XCH_ERROR_NOMEM;
    }
    xch_device_channel_init_connection(ch, connection);
    if (connection == XCH_CHANNEL_CONNECTION_SOCKET && values[KEY_PATH]) {
        ch->u.socket.path = strdup(values[KEY_PATH]);
        if (!ch->u.socket.path)
            return XCH_ERROR_NOMEM;
    }
    return 0;
}

int xch_channel_spec_parse(const char *spec, xch_device_channel *out,
                           xch_channel_options *opts, char **errmsg)
{
    const char *values[KEY_COUNT] = {NULL};
    char *copy = NULL;
    char *piece, *next;
    int rc;

    if (errmsg)
        *errmsg = NULL;
    xch_device_channel_dispose(out);
    xch_device_channel_init(out);
    if (opts) {
        xch_channel_options_dispose(opts);
        xch_channel_options_init(opts);
    }

    if (!spec) {
        rc = spec_error(errmsg, "no channel spec given");
        goto out;
    }
    copy = strdup(spec);
    if (!copy) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    for (piece = copy; piece; piece = next) {
        next = strchr(piece, ',');
        if (next)
            *next++ = '\0';
        rc = spec_piece(piece, values, errmsg);
        if (rc)
            goto out;
    }
    rc = spec_build(spec, values, out, opts, errmsg);

out:
    if (rc) {
        xch_device_channel_dispose(out);
        xch_device_channel_init(out);
        if (opts) {
            xch_channel_options_dispose(opts);
            xch_channel_options_init(opts);
        }
    }
    free(copy);
    return rc;
}
