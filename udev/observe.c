/* A look at the guest's console-N devices in sysfs (observe.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "observe.h"
#include "slots.h"

int xch_console_devid(const char *kernel)
{
    static const char prefix[] = "console-";
    const char *p = kernel + sizeof(prefix) - 1;
    long devid = 0;

    if (strncmp(kernel, prefix, sizeof(prefix) - 1) != 0 || *p < '1' ||
        *p > '9')
        return -1;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || devid > XCH_MAX_DEVID / 10)
            return -1;
        devid = devid * 10 + (*p - '0');
    }
    return devid <= XCH_MAX_DEVID ? (int)devid : -1;
}

/* Reads a one-line sysfs attribute into buf without its newline. */
static int read_attr(int dirfd, const char *name, char *buf, size_t size)
{
    ssize_t n;
    int fd;

    fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

static int read_seqnum(const char *sysfs, uint64_t *seq)
{
    char path[PATH_MAX], buf[32], *end;
    unsigned long long v;
    int r;

    r = snprintf(path, sizeof(path), "%s/kernel/uevent_seqnum", sysfs);
    if (r < 0 || (size_t)r >= sizeof(path) ||
        read_attr(AT_FDCWD, path, buf, sizeof(buf))) {
        xch_log(LOG_ERR, "%s/kernel/uevent_seqnum: cannot read it", sysfs);
        return -1;
    }
    errno = 0;
    v = strtoull(buf, &end, 10);
    if (errno || end == buf || *end) {
        xch_log(LOG_ERR, "%s/kernel/uevent_seqnum: \"%s\" is not a number",
                sysfs, buf);
        return -1;
    }
    *seq = v;
    return 0;
}

/* Fills *d from the device directory; 1 if the device is gone meanwhile. */
static int look_at(int busfd, const char *entry, struct xch_dev *d)
{
    char state[32];
    struct stat st;
    int fd;

    fd = openat(busfd, entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 1 : -1;
    if (fstat(fd, &st)) {
        close(fd);
        return -1;
    }
    d->ino = st.st_ino;
    d->bound = faccessat(fd, "driver", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
    if (read_attr(fd, "state", state, sizeof(state)))
        state[0] = '\0';
    close(fd);
    d->alive = d->bound &&
               (!strcmp(state, "Initialised") || !strcmp(state, "Connected"));
    d->closed = d->bound && !strcmp(state, "Closed");
    return 0;
}

static int scan_devices(const char *sysfs, struct xch_obs *obs)
{
    char path[PATH_MAX];
    struct dirent *e;
    DIR *dir;
    int r, rc = 0;

    r = snprintf(path, sizeof(path), "%s/bus/xen/devices", sysfs);
    if (r < 0 || (size_t)r >= sizeof(path))
        return -1;
    dir = opendir(path);
    if (!dir)
        return errno == ENOENT ? 0 : -1; /* no xenbus device at all */
    while (rc == 0 && (e = readdir(dir))) {
        int devid;

        if (strncmp(e->d_name, "console-", 8) != 0)
            continue;
        devid = xch_console_devid(e->d_name);
        if (devid < 0 || obs->ndevs == XCH_MAX_DEVS) {
            snprintf(obs->foreign, sizeof(obs->foreign), "%.40s", e->d_name);
            continue;
        }
        obs->devs[obs->ndevs].devid = devid;
        r = look_at(dirfd(dir), e->d_name, &obs->devs[obs->ndevs]);
        if (r < 0) {
            xch_log(LOG_ERR, "%s/%s: %s", path, e->d_name, strerror(errno));
            rc = -1;
        }
        obs->ndevs += r == 0;
    }
    closedir(dir);
    return rc;
}

int xch_observe(const char *sysfs, struct xch_obs *obs)
{
    obs->ndevs = 0;
    obs->foreign[0] = '\0';
    if (read_seqnum(sysfs, &obs->seq_before) || scan_devices(sysfs, obs) ||
        read_seqnum(sysfs, &obs->seq_after))
        return -1;
    return 0;
}

const struct xch_dev *xch_obs_find(const struct xch_obs *obs, int devid)
{
    size_t i;

    for (i = 0; i < obs->ndevs; i++)
        if (obs->devs[i].devid == devid)
            return &obs->devs[i];
    return NULL;
}
