/*
 * cmd_parse.c - `xl-channel parse FILE`: check the channel= entries of an
 * xl domain configuration file and print them as a JSON array of libxl
 * device_channel objects. Touches neither xenstore nor the hypervisor.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "xl-channel.h"

const char cmd_parse_usage[] =
    "Usage: xl-channel parse [-h|--help] FILE\n"
    "\n"
    "Reads the channel= list of the xl domain configuration FILE (with\n"
    "libxlutil, as xl does), checks every entry and prints the channels as\n"
    "a JSON array of libxl device_channel objects. Nothing is attached.\n"
    "\n"
    "Each entry is a spec \"key=value,...\" with the keys\n"
    "  name=NAME              mandatory: 1-64 of A-Z a-z 0-9 . _ - : + @\n"
    "  connection=pty|socket  mandatory\n"
    "  path=PATH              socket path: mandatory for socket, refused "
    "for pty\n"
    "  backend=DOMAIN         backend domain name or id (default: this "
    "domain)\n"
    "  devid=N                device id 1-9999 (default: the lowest free)\n"
    "\n"
    "Options:\n"
    "  -h, --help  show this help and exit\n"
    "\n"
    "Exit status: 0 valid, 1 invalid or unreadable FILE (the error, naming\n"
    "the entry as channel[N] counted from 0, goes to stderr and nothing\n"
    "to stdout), 2 usage error.\n";

/* Prints the channels as one beautified JSON array on stdout. */
static int print_channels_json(const xlch_spec *specs, int num)
{
    yajl_gen gen = NULL;
    const unsigned char *buf;
    size_t len;
    int i, rc;

    gen = yajl_gen_alloc(NULL);
    if (!gen) {
        error_msg("out of memory");
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    yajl_gen_config(gen, yajl_gen_beautify, 1);
    if (yajl_gen_array_open(gen) != yajl_gen_status_ok)
        goto json_error;
    for (i = 0; i < num; i++)
        if (xch_device_channel_gen_json(gen, &specs[i].chan) !=
            yajl_gen_status_ok)
            goto json_error;
    if (yajl_gen_array_close(gen) != yajl_gen_status_ok ||
        yajl_gen_get_buf(gen, &buf, &len) != yajl_gen_status_ok)
        goto json_error;

    if (fwrite(buf, 1, len, stdout) != len || fflush(stdout)) {
        error_msg("writing the output: %s", strerror(errno));
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    rc = XLCH_EXIT_OK;
    goto out;

json_error:
    error_msg("cannot generate JSON");
    rc = XLCH_EXIT_FAILURE;
out:
    if (gen)
        yajl_gen_free(gen);
    return rc;
}

int cmd_parse(const struct xlch_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    xlch_spec *specs = NULL;
    int num = 0;
    char *errmsg = NULL;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return command_help(cmd);
        default:
            return command_usage_error(cmd, NULL);
        }
    }
    if (argc - optind != 1)
        return command_usage_error(cmd, "expects exactly one FILE");

    if (config_read_channels(argv[optind], &specs, &num, &errmsg)) {
        error_msg("%s", errmsg ? errmsg : "out of memory");
        rc = XLCH_EXIT_FAILURE;
        goto out;
    }
    rc = print_channels_json(specs, num);

out:
    specs_free(specs, num);
    free(errmsg);
    return rc;
}
