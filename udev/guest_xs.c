/* xenstore reads of the guest's udev helper, as the guest (guest_xs.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include <xenchannel.h>

#include "guest_xs.h"
#include "log.h"
#include "observe.h"

/* Reads the sysfs attribute `nodename` of the xenbus device. */
static char *read_nodename(const char *sysfs, const char *kernel)
{
    char path[PATH_MAX];
    char buf[256];
    FILE *f = NULL;
    char *nodename = NULL;
    int r;

    r = snprintf(path, sizeof(path), "%s/bus/xen/devices/%s/nodename", sysfs,
                 kernel);
    if (r < 0 || (size_t)r >= sizeof(path)) {
        xch_log(LOG_ERR, "%s: sysfs path too long", kernel);
        goto out;
    }
    f = fopen(path, "re");
    if (!f) {
        xch_log(LOG_ERR, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!fgets(buf, sizeof(buf), f)) {
        xch_log(LOG_ERR, "%s: empty", path);
        goto out;
    }
    buf[strcspn(buf, "\n")] = '\0';
    nodename = strdup(buf);
    if (!nodename)
        xch_log(LOG_ERR, "out of memory");

out:
    if (f)
        fclose(f);
    return nodename;
}

static struct xs_handle *open_xenstore(void)
{
    struct xs_handle *xsh = xs_open(0);

    if (!xsh)
        xch_log(LOG_ERR, "cannot connect to xenstore: %s", strerror(errno));
    return xsh;
}

char *xch_guest_channel_name(const char *sysfs, const char *kernel)
{
    struct xs_handle *xsh = NULL;
    char *nodename = NULL, *key = NULL, *name = NULL, *err = NULL;
    unsigned int len;

    nodename = read_nodename(sysfs, kernel);
    if (!nodename)
        goto out;
    if (asprintf(&key, "%s/name", nodename) < 0) {
        key = NULL;
        xch_log(LOG_ERR, "out of memory");
        goto out;
    }
    xsh = open_xenstore();
    if (!xsh)
        goto out;
    name = xs_read(xsh, XBT_NULL, key, &len);
    if (!name) {
        xch_log(LOG_ERR, "%s: cannot read %s: %s", kernel, key,
                strerror(errno));
        goto out;
    }
    if (strlen(name) != len || xch_channel_name_check(name, &err)) {
        xch_log(LOG_ERR, "%s: %s: %s", kernel, key,
                err ? err : "invalid channel name");
        free(name);
        name = NULL;
    }

out:
    free(err);
    if (xsh)
        xs_close(xsh);
    free(key);
    free(nodename);
    return name;
}

int xch_guest_console_listing(int *devids, size_t max, size_t *n)
{
    struct xs_handle *xsh;
    unsigned int i, num;
    char **list;
    char kernel[32];

    xsh = open_xenstore();
    if (!xsh)
        return -1;
    list = xs_directory(xsh, XBT_NULL, "device/console", &num);
    if (!list && errno != ENOENT) {
        xch_log(LOG_ERR, "cannot list device/console: %s", strerror(errno));
        xs_close(xsh);
        return -1;
    }
    *n = 0;
    for (i = 0; list && i < num && *n < max; i++) {
        int devid;

        snprintf(kernel, sizeof(kernel), "console-%.20s", list[i]);
        devid = xch_console_devid(kernel);
        if (devid >= 0)
            devids[(*n)++] = devid;
    }
    free(list);
    xs_close(xsh);
    return 0;
}
