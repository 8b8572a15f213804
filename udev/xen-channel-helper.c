/*
 * xen-channel-helper - names a guest's Xen PV channels for udev.
 *
 *   xen-channel-helper [OPTIONS] name console-N
 *       reads the xenbus device's nodename from sysfs, then <nodename>/name
 *       from xenstore (as this guest), checks it and prints
 *       XEN_CHANNEL_NAME=NAME for IMPORT{program}.
 *   xen-channel-helper [OPTIONS] event console-N
 *       run by the rule for every event of console-N (udev's environment
 *       describes it): keeps /dev/xen-channels/NAME and /dev/xen-channel/NAME
 *       pointing at the channel's own hvc tty, or absent when the helper
 *       cannot know which tty Linux gave it (event.h, slots.h).
 *
 * Options: --sysfs DIR (/sys), --dev DIR (/dev), --run DIR
 * (/run/xen-channel: the helper's state, on tmpfs), --stderr (log there
 * instead of syslog).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "guest_xs.h"
#include "log.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: " XCH_UDEV_PROG " [OPTIONS] name|event console-N\n"
               "Options: --sysfs DIR  --dev DIR  --run DIR  --stderr\n");
}

static int cmd_name(const char *sysfs, const char *kernel)
{
    char *name = xch_guest_channel_name(sysfs, kernel);

    if (!name)
        return 1;
    printf("XEN_CHANNEL_NAME=%s\n", name);
    free(name);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"sysfs", required_argument, NULL, 's'},
        {"dev", required_argument, NULL, 'd'},
        {"run", required_argument, NULL, 'r'},
        {"stderr", no_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct xch_paths paths = {
        .sysfs = "/sys", .devdir = "/dev", .rundir = "/run/xen-channel"};
    const char *cmd;
    int opt;

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 's':
            paths.sysfs = optarg;
            break;
        case 'd':
            paths.devdir = optarg;
            break;
        case 'r':
            paths.rundir = optarg;
            break;
        case 'e':
            xch_log_to_stderr();
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
        return cmd_name(paths.sysfs, argv[1]);
    if (!strcmp(cmd, "event") && argc == 2)
        return xch_event(&paths, argv[1]);
    usage(stderr);
    return 2;
}
