/*
 * parse.c - strict parsing of what the guest writes, and of watch paths.
 *
 * Whatever comes from the frontend directory is untrusted: a number is
 * accepted only in its one canonical decimal spelling and within range.
 */
#include <string.h>

#include "xenchanneld.h"

#define UINT_DIGITS_MAX 10

int xcd_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    size_t i, len;

    if (!s)
        return XCH_ERROR_INVAL;
    len = strlen(s);
    if (!len || len > UINT_DIGITS_MAX || (s[0] == '0' && len > 1))
        return XCH_ERROR_INVAL;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return XCH_ERROR_INVAL;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > max)
        return XCH_ERROR_INVAL;
    *out = v;
    return 0;
}

size_t xcd_parse_limit(const char *s, bool *clamped)
{
    unsigned long v;

    *clamped = false;
    /* 10 digits always fit an unsigned long on our 64-bit targets, and
     * anything longer is clamped as too large. */
    if (s && strlen(s) > UINT_DIGITS_MAX &&
        strspn(s, "0123456789") == strlen(s) && s[0] != '0') {
        *clamped = true;
        return XCD_LIMIT_MAX;
    }
    if (xcd_parse_uint(s, ~0UL, &v)) {
        *clamped = s != NULL;
        return XCD_LIMIT_DEFAULT;
    }
    if (v < XCD_LIMIT_MIN) {
        *clamped = true;
        return XCD_LIMIT_MIN;
    }
    if (v > XCD_LIMIT_MAX) {
        *clamped = true;
        return XCD_LIMIT_MAX;
    }
    return (size_t)v;
}

/* Parses one path component of at most 10 characters as a number. */
static int parse_component(const char **p, unsigned long max, long *out)
{
    char part[UINT_DIGITS_MAX + 1];
    size_t len = strcspn(*p, "/");
    unsigned long v;

    if (len > UINT_DIGITS_MAX)
        return XCH_ERROR_INVAL;
    memcpy(part, *p, len);
    part[len] = '\0';
    if (xcd_parse_uint(part, max, &v))
        return XCH_ERROR_INVAL;
    *out = (long)v;
    *p += len;
    return 0;
}

int xcd_parse_be_path(const char *base, const char *path, long *domid,
                      long *devid)
{
    size_t blen = strlen(base);
    const char *p;

    *domid = *devid = -1;
    if (strncmp(path, base, blen) != 0 || (path[blen] && path[blen] != '/'))
        return XCH_ERROR_INVAL;
    p = path + blen;
    if (!*p || !p[1])
        return 0;
    p++;
    if (parse_component(&p, XCD_DOMID_MAX, domid))
        return XCH_ERROR_INVAL;
    if (!*p || !p[1])
        return 0;
    p++;
    if (parse_component(&p, XCD_DEVID_MAX, devid))
        return XCH_ERROR_INVAL;
    return 0;
}
