/*
 * xen-channel-helper - names a guest's Xen PV channels for udev.
 *
 *   xen-channel-helper [--sysfs DIR] name console-N
 *       reads the xenbus device's nodename from sysfs, then <nodename>/name
 *       from xenstore (as this guest), checks it and prints
 *       XEN_CHANNEL_NAME=NAME for IMPORT{program}.
 *   xen-channel-helper [--dev DIR] link console-N NAME
 *   xen-channel-helper [--dev DIR] unlink console-N NAME
 *       create or delete /dev/xen-channels/NAME and /dev/xen-channel/NAME,
 *       pointing at hvcN. Linux takes the hvc line from the last digit of
 *       the devid, and lowest-free devids keep console-N on hvcN.
 *
 * The name is re-checked at every step: it comes from xenstore, and the
 * udev database keeps it between add and remove.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenstore.h>

#include <xenchannel.h>

#define PROG "xen-channel-helper"

/* Both spellings: the design's and upstream's xen-pv-channel(7). */
static const char *const link_dirs[] = {"xen-channels", "xen-channel"};

static void usage(FILE *f)
{
    fprintf(f, "Usage: " PROG " [--sysfs DIR] name console-N\n"
               "       " PROG " [--dev DIR] link|unlink console-N NAME\n");
}

/* "console-N" with N in 1..9: returns N, or -1. */
static int console_index(const char *kernel)
{
    static const char prefix[] = "console-";
    size_t plen = sizeof(prefix) - 1;

    if (strncmp(kernel, prefix, plen) != 0 || kernel[plen] < '1' ||
        kernel[plen] > '9' || kernel[plen + 1] != '\0')
        return -1;
    return kernel[plen] - '0';
}

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
        fprintf(stderr, PROG ": %s: sysfs path too long\n", kernel);
        goto out;
    }
    f = fopen(path, "re");
    if (!f) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        goto out;
    }
    if (!fgets(buf, sizeof(buf), f)) {
        fprintf(stderr, PROG ": %s: empty\n", path);
        goto out;
    }
    buf[strcspn(buf, "\n")] = '\0';
    nodename = strdup(buf);
    if (!nodename)
        fprintf(stderr, PROG ": out of memory\n");

out:
    if (f)
        fclose(f);
    return nodename;
}

static int cmd_name(const char *sysfs, const char *kernel)
{
    struct xs_handle *xsh = NULL;
    char *nodename = NULL, *key = NULL, *name = NULL, *err = NULL;
    unsigned int len;
    int rc = 1;

    nodename = read_nodename(sysfs, kernel);
    if (!nodename)
        goto out;
    if (asprintf(&key, "%s/name", nodename) < 0) {
        key = NULL;
        fprintf(stderr, PROG ": out of memory\n");
        goto out;
    }
    xsh = xs_open(0);
    if (!xsh) {
        fprintf(stderr, PROG ": cannot connect to xenstore: %s\n",
                strerror(errno));
        goto out;
    }
    name = xs_read(xsh, XBT_NULL, key, &len);
    if (!name) {
        fprintf(stderr, PROG ": %s: cannot read %s: %s\n", kernel, key,
                strerror(errno));
        goto out;
    }
    if (strlen(name) != len || xch_channel_name_check(name, &err)) {
        fprintf(stderr, PROG ": %s: %s: %s\n", kernel, key,
                err ? err : "invalid channel name");
        goto out;
    }
    printf("XEN_CHANNEL_NAME=%s\n", name);
    rc = 0;

out:
    free(err);
    free(name);
    if (xsh)
        xs_close(xsh);
    free(key);
    free(nodename);
    return rc;
}

/* Points dir/name at target, replacing what is there atomically. */
static int make_link(const char *dir, const char *name, const char *target)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    int r;

    if (mkdir(dir, 0755) && errno != EEXIST) {
        fprintf(stderr, PROG ": %s: %s\n", dir, strerror(errno));
        return 1;
    }
    r = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (r < 0 || (size_t)r >= sizeof(path))
        return 1;
    r = snprintf(tmp, sizeof(tmp), "%s/.%s.%ld", dir, name, (long)getpid());
    if (r < 0 || (size_t)r >= sizeof(tmp))
        return 1;
    (void)unlink(tmp);
    if (symlink(target, tmp)) {
        fprintf(stderr, PROG ": %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    if (rename(tmp, path)) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        (void)unlink(tmp);
        return 1;
    }
    return 0;
}

/* Removes dir/name only while it still points at target: by the time a
 * remove event runs, a new channel may have taken over the name. */
static int remove_link(const char *dir, const char *name, const char *target)
{
    char path[PATH_MAX], cur[PATH_MAX];
    ssize_t n;
    int r;

    r = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (r < 0 || (size_t)r >= sizeof(path))
        return 1;
    n = readlink(path, cur, sizeof(cur) - 1);
    if (n < 0)
        return errno == ENOENT ? 0 : 1;
    cur[n] = '\0';
    if (strcmp(cur, target) != 0)
        return 0;
    if (unlink(path) && errno != ENOENT) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return 1;
    }
    (void)rmdir(dir); /* only succeeds once the directory is empty */
    return 0;
}

static int cmd_links(const char *devdir, const char *kernel, const char *name,
                     int add)
{
    char target[32], dir[PATH_MAX];
    char *err = NULL;
    int idx = console_index(kernel);
    int rc = 0;
    size_t i;

    if (idx < 0) {
        fprintf(stderr, PROG ": \"%s\" is not a channel device console-N\n",
                kernel);
        return 1;
    }
    if (xch_channel_name_check(name, &err)) {
        fprintf(stderr, PROG ": %s: %s\n", kernel,
                err ? err : "invalid channel name");
        free(err);
        return 1;
    }
    snprintf(target, sizeof(target), "../hvc%d", idx);
    for (i = 0; i < sizeof(link_dirs) / sizeof(link_dirs[0]); i++) {
        int r = snprintf(dir, sizeof(dir), "%s/%s", devdir, link_dirs[i]);

        if (r < 0 || (size_t)r >= sizeof(dir))
            return 1;
        rc |=
            add ? make_link(dir, name, target) : remove_link(dir, name, target);
    }
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"sysfs", required_argument, NULL, 's'},
        {"dev", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sysfs = "/sys", *devdir = "/dev";
    const char *cmd;
    int opt;

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 's':
            sysfs = optarg;
            break;
        case 'd':
            devdir = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    argc -= optind;
    argv += optind;
    cmd = argc > 0 ? argv[0] : "";
    if (!strcmp(cmd, "name") && argc == 2)
        return cmd_name(sysfs, argv[1]);
    if (!strcmp(cmd, "link") && argc == 3)
        return cmd_links(devdir, argv[1], argv[2], 1);
    if (!strcmp(cmd, "unlink") && argc == 3)
        return cmd_links(devdir, argv[1], argv[2], 0);
    usage(stderr);
    return 2;
}
