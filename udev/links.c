/* The guest's /dev/xen-channels/NAME and /dev/xen-channel/NAME (links.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "links.h"
#include "log.h"

static const char *const link_dirs[] = {"xen-channels", "xen-channel"};
#define NDIRS (sizeof(link_dirs) / sizeof(link_dirs[0]))

static int path_of(char *buf, size_t size, const char *a, const char *b)
{
    int r = snprintf(buf, size, "%s/%s", a, b);

    if (r < 0 || (size_t)r >= size) {
        xch_log(LOG_ERR, "%s/%s: path too long", a, b);
        return -1;
    }
    return 0;
}

/* Points dir/name at target, replacing what is there atomically. */
static int make_link(const char *dir, const char *name, const char *target)
{
    char path[PATH_MAX], tmp[PATH_MAX], tmpname[NAME_MAX + 1];

    if (mkdir(dir, 0755) && errno != EEXIST) {
        xch_log(LOG_ERR, "%s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(tmpname, sizeof(tmpname), ".%.200s.%ld", name, (long)getpid());
    if (path_of(path, sizeof(path), dir, name) ||
        path_of(tmp, sizeof(tmp), dir, tmpname))
        return -1;
    (void)unlink(tmp);
    if (symlink(target, tmp)) {
        xch_log(LOG_ERR, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    if (rename(tmp, path)) {
        xch_log(LOG_ERR, "%s: %s", path, strerror(errno));
        (void)unlink(tmp);
        return -1;
    }
    return 0;
}

/* Removes dir/name if it points at target (nobody else's link), and dir
 * once it is empty. */
static int remove_link(const char *dir, const char *name, const char *target)
{
    char path[PATH_MAX], cur[PATH_MAX];
    ssize_t n;

    if (path_of(path, sizeof(path), dir, name))
        return -1;
    n = readlink(path, cur, sizeof(cur) - 1);
    if (n < 0)
        return errno == ENOENT ? 0 : -1;
    cur[n] = '\0';
    if (strcmp(cur, target) != 0)
        return 0;
    if (unlink(path) && errno != ENOENT) {
        xch_log(LOG_ERR, "%s: %s", path, strerror(errno));
        return -1;
    }
    (void)rmdir(dir); /* only succeeds once the directory is empty */
    return 0;
}

static int for_both(const char *devdir, const char *name, int slot,
                    int (*fn)(const char *, const char *, const char *))
{
    char dir[PATH_MAX], target[32];
    size_t i;
    int rc = 0;

    snprintf(target, sizeof(target), "../hvc%d", slot);
    for (i = 0; i < NDIRS; i++)
        rc |= path_of(dir, sizeof(dir), devdir, link_dirs[i]) ||
              fn(dir, name, target);
    return rc ? -1 : 0;
}

int xch_links_make(const char *devdir, const char *name, int slot)
{
    return for_both(devdir, name, slot, make_link);
}

int xch_links_remove(const char *devdir, const char *name, int slot)
{
    return for_both(devdir, name, slot, remove_link);
}

static bool is_hvc_target(const char *target)
{
    return !strncmp(target, "../hvc", 6) && target[6] >= '0' &&
           target[6] <= '9' && target[7] == '\0';
}

void xch_links_purge(const char *devdir)
{
    char dir[PATH_MAX], path[PATH_MAX], target[PATH_MAX];
    struct dirent *e;
    size_t i;

    for (i = 0; i < NDIRS; i++) {
        DIR *d;

        if (path_of(dir, sizeof(dir), devdir, link_dirs[i]))
            continue;
        d = opendir(dir);
        if (!d)
            continue;
        while ((e = readdir(d))) {
            ssize_t n;

            if (path_of(path, sizeof(path), dir, e->d_name))
                continue;
            n = readlink(path, target, sizeof(target) - 1);
            if (n < 0)
                continue;
            target[n] = '\0';
            if (is_hvc_target(target) && unlink(path) == 0)
                xch_log(LOG_NOTICE, "%s: removed", path);
        }
        closedir(d);
        (void)rmdir(dir);
    }
}
