/*
 * parse.c - watch paths under the daemon's backend directory (parse.h).
 * The domain and device numbers are accepted only in their one canonical
 * decimal spelling and within range.
 */
#include <string.h>

#include "internal.h"
#include "parse.h"

/* Longest number a component may hold. */
#define COMPONENT_MAX 10

/* Parses one path component as a number of at most max. */
static int parse_component(const char **p, unsigned long max, long *out)
{
    char part[COMPONENT_MAX + 1];
    size_t len = strcspn(*p, "/");
    unsigned long v;

    if (len > COMPONENT_MAX)
        return XCH_ERROR_INVAL;
    memcpy(part, *p, len);
    part[len] = '\0';
    if (xch__parse_ulong(part, max, &v))
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
    if (parse_component(&p, XCH__DOMID_MAX, domid))
        return XCH_ERROR_INVAL;
    if (!*p || !p[1])
        return 0;
    p++;
    if (parse_component(&p, XCH_CHANNEL_DEVID_MAX, devid))
        return XCH_ERROR_INVAL;
    return 0;
}

bool xcd_be_own_status_key(const char *path)
{
    static const char *const keys[] = {
        XCH_BE_STATUS_CLIENT_CONNECTED, XCH_BE_STATUS_ERROR,
        XCH_BE_STATUS_BYTES_DROPPED,    XCH_BE_STATUS_HOST_END,
        XCH_BE_STATUS_HOST_ERROR,       "hotplug-status",
    };
    const char *key = strrchr(path, '/');
    size_t i;

    for (i = 0; key && i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!strcmp(key + 1, keys[i]))
            return true;
    return false;
}
