/*
 * main.c - xl-channel: the command table and the dispatcher.
 *
 *   xl-channel [-h|--help] [--version] COMMAND [ARGS...]
 *
 * Each command parses its own options (getopt_long) and returns its exit
 * status: 0 success, 1 runtime failure, 2 usage error.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl-channel-version.h"
#include "xl-channel.h"

#define PROGRAM "xl-channel"

static int cmd_help(const struct xlch_command *cmd, int argc, char **argv);
static int cmd_version(const struct xlch_command *cmd, int argc, char **argv);

static const char cmd_help_usage[] =
    "Usage: " PROGRAM " help [-h|--help] [COMMAND]\n"
    "\n"
    "Shows the list of commands, or the help of COMMAND (the same as\n"
    "'" PROGRAM " COMMAND --help').\n";

static const char cmd_version_usage[] =
    "Usage: " PROGRAM " version [-h|--help]\n"
    "\n"
    "Prints the version of " PROGRAM " and of the libxenchannel it was\n"
    "built with (the same as '" PROGRAM " --version').\n";

/* One line per command; aliases are the spellings xl uses. */
static const struct xlch_command commands[] = {
    {"parse", NULL, cmd_parse,
     "check the channel= entries of an xl.cfg, print them as JSON",
     cmd_parse_usage},
    {"list", "channel-list", cmd_list, "list the channels of domains",
     cmd_list_usage},
    {"attach", "channel-attach", cmd_attach,
     "attach a channel to a running domain", cmd_attach_usage},
    {"detach", "channel-detach", cmd_detach, "detach a channel from a domain",
     cmd_detach_usage},
    {"apply", NULL, cmd_apply,
     "attach every channel of an xl.cfg to a running domain", cmd_apply_usage},
    {"create", NULL, cmd_create,
     "create a guest with xl, its channels served by xenchanneld",
     cmd_create_usage},
    {"events", NULL, cmd_events, "follow what happens to channels",
     cmd_events_usage},
    {"help", NULL, cmd_help, "show the help of a command", cmd_help_usage},
    {"version", NULL, cmd_version, "show the version", cmd_version_usage},
};

#define NUM_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct xlch_command *command_find(const char *name)
{
    size_t i;

    for (i = 0; i < NUM_COMMANDS; i++)
        if (!strcmp(name, commands[i].name) ||
            (commands[i].alias && !strcmp(name, commands[i].alias)))
            return &commands[i];
    return NULL;
}

static void main_usage(FILE *f)
{
    size_t i;

    fprintf(f, "Usage: " PROGRAM " [-h|--help] [--version] COMMAND [ARGS...]\n"
               "\n"
               "Xen PV channels (named PV consoles) without QEMU.\n"
               "\n"
               "Commands:\n");
    for (i = 0; i < NUM_COMMANDS; i++) {
        char names[64];

        snprintf(names, sizeof(names), "%s%s%s", commands[i].name,
                 commands[i].alias ? ", " : "",
                 commands[i].alias ? commands[i].alias : "");
        fprintf(f, "  %-24s %s\n", names, commands[i].summary);
    }
    fprintf(f, "\nRun '" PROGRAM " COMMAND --help' for the usage of a "
               "command.\n");
}

void error_msg(const char *fmt, ...)
{
    va_list ap;

    fputs(PROGRAM ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int command_help(const struct xlch_command *cmd)
{
    fputs(cmd->usage, stdout);
    return XLCH_EXIT_OK;
}

int command_usage_error(const struct xlch_command *cmd, const char *fmt, ...)
{
    const char *end = strchr(cmd->usage, '\n');
    va_list ap;

    if (fmt) {
        fprintf(stderr, PROGRAM " %s: ", cmd->name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    /* The first line of the usage text is the synopsis. */
    fprintf(stderr, "%.*s\n",
            end ? (int)(end - cmd->usage) : (int)strlen(cmd->usage),
            cmd->usage);
    fprintf(stderr, "Try '" PROGRAM " %s --help' for more information.\n",
            cmd->name);
    return XLCH_EXIT_USAGE;
}

/* One line, as GNU tools print it: the program, then what it is made of.
 * libxenchannel is linked in statically: its version is the build's. */
static int print_version(void)
{
    printf(PROGRAM " %s (libxenchannel %s)\n", XLCH_VERSION, XLCH_VERSION);
    return XLCH_EXIT_OK;
}

static int cmd_version(const struct xlch_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int opt;

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return command_help(cmd);
        default:
            return command_usage_error(cmd, NULL);
        }
    }
    if (optind < argc)
        return command_usage_error(cmd, "expects no argument");
    return print_version();
}

static int cmd_help(const struct xlch_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct xlch_command *topic;
    int opt;

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return command_help(cmd);
        default:
            return command_usage_error(cmd, NULL);
        }
    }
    if (argc - optind > 1)
        return command_usage_error(cmd, "expects at most one COMMAND");
    if (argc - optind == 0) {
        main_usage(stdout);
        return XLCH_EXIT_OK;
    }
    topic = command_find(argv[optind]);
    if (!topic)
        return command_usage_error(cmd, "unknown command '%s'", argv[optind]);
    return command_help(topic);
}

int main(int argc, char **argv)
{
    enum { OPT_VERSION = 256 };
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0}};
    /* The command's argv[0], so that getopt's messages name it. */
    static char cmd_argv0[64];
    const struct xlch_command *cmd;
    int opt;

    /* '+': options stop at the command name; the rest is the command's. */
    while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            main_usage(stdout);
            return XLCH_EXIT_OK;
        case OPT_VERSION:
            return print_version();
        default:
            main_usage(stderr);
            return XLCH_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        error_msg("no command given");
        main_usage(stderr);
        return XLCH_EXIT_USAGE;
    }
    cmd = command_find(argv[optind]);
    if (!cmd) {
        error_msg("unknown command '%s'", argv[optind]);
        fprintf(stderr, "Try '" PROGRAM " --help' for the list of "
                        "commands.\n");
        return XLCH_EXIT_USAGE;
    }
    argc -= optind;
    argv += optind;
    snprintf(cmd_argv0, sizeof(cmd_argv0), PROGRAM " %s", cmd->name);
    argv[0] = cmd_argv0;
    optind = 0; /* GNU getopt: start again, resetting its state */
    return cmd->run(cmd, argc, argv);
}
