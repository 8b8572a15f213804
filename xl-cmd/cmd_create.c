/*
 * cmd_create.c - `xl-channel create [-q] [-c] [-p] FILE [KEY=VALUE...]`:
 * a guest with the channels of its xl.cfg served by xenchanneld.
 *
 * The real `xl create -p FILE KEY=VALUE... channel=[]` builds the domain
 * (xl appends the extra lines to the file, and the last setting wins, so
 * libxl hands no channel to QEMU); then the file's channel= entries are
 * attached, all or nothing, and kept (keep.c), so that every rebuild of
 * the domain brings them back; then `xl unpause`. A step that fails
 * destroys the half-made domain (`xl destroy`).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxlutil.h>

#include "xl-channel.h"

const char cmd_create_usage[] =
    "Usage: xl-channel create [-h|--help] [-q] [-c] [-p] FILE [KEY=VALUE...]\n"
    "\n"
    "Creates a guest from the xl domain configuration FILE with its\n"
    "channel= entries served by xenchanneld instead of QEMU: runs\n"
    "'xl create -p FILE KEY=VALUE... channel=[]', attaches every channel\n"
    "of FILE (all checked first; all or none), keeps them so that the\n"
    "domain gets them back whenever it is built again (reboot, crash\n"
    "restart, save/restore, migration), then runs 'xl unpause'. If a step\n"
    "fails, the domain is destroyed and the error names the entry.\n"
    "KEY=VALUE lines are passed to xl, which applies them after FILE.\n"
    "The xl run is $XL when set, else xl from PATH. Of xl create's\n"
    "options, only these are supported:\n"
    "\n"
    "Options:\n"
    "  -q            quiet (passed to xl create)\n"
    "  -c            attach to the guest's console afterwards (xl console)\n"
    "  -p            leave the guest paused\n"
    "  -h, --help    show this help and exit\n"
    "\n"
    "Exit status: 0 created, 1 error (bad FILE or entry, xl failed, an\n"
    "attach failed: the domain was destroyed), 2 usage error.\n";

static const char *xl_program(void)
{
    const char *xl = getenv("XL");

    return xl && *xl ? xl : "xl";
}

/* Runs $XL with argv (argv[0] is replaced); its exit status, or -1 when
 * it could not run (said). Its output goes where ours goes. */
static int run_xl(char **argv)
{
    const char *xl = xl_program();
    int status;
    pid_t pid;

    argv[0] = (char *)xl;
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        error_msg("cannot run %s: %s", xl, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        execvp(xl, argv);
        error_msg("cannot run %s: %s", xl, strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            error_msg("waiting for %s: %s", xl, strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
    error_msg("%s %s was killed by signal %d", xl, argv[1], WTERMSIG(status));
    return -1;
}

static int xl_domain(const char *what, uint32_t domid)
{
    char id[16];
    char *argv[] = {NULL, (char *)what, id, NULL};

    snprintf(id, sizeof(id), "%u", domid);
    return run_xl(argv);
}

/* The half-made domain goes; says so. */
static void destroy_domain(const char *name, uint32_t domid)
{
    if (xl_domain("destroy", domid) == 0)
        error_msg("destroyed the domain '%s' (%u) it was creating", name,
                  domid);
    else
        error_msg("could not destroy the domain '%s' (%u): destroy it with "
                  "'%s destroy %u'",
                  name, domid, xl_program(), domid);
}

/* The domain's name as xl will see it: FILE, then the extra lines (the
 * last setting wins), read with libxlutil as xl reads them. Malloc'd, or
 * NULL (said). */
static char *config_name(const char *file, char **extra, int num_extra)
{
    XLU_Config *cfg = NULL;
    FILE *in = NULL, *errs = NULL, *mem = NULL;
    char *data = NULL, *name = NULL, *errtext = NULL;
    const char *value;
    size_t len = 0, errlen = 0;
    char chunk[4096];
    size_t n;
    int i;

    in = fopen(file, "re");
    mem = open_memstream(&data, &len);
    errs = open_memstream(&errtext, &errlen);
    if (!in || !mem || !errs) {
        error_msg("%s: %s", file, strerror(errno));
        goto out;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
        fwrite(chunk, 1, n, mem);
    /* As xl: the file, then each extra line. */
    fputc('\n', mem);
    for (i = 0; i < num_extra; i++)
        fprintf(mem, "%s\n", extra[i]);
    if (ferror(in) || fclose(mem)) {
        mem = NULL;
        error_msg("%s: cannot read it", file);
        goto out;
    }
    mem = NULL;
    cfg = xlu_cfg_init(errs, file);
    if (!cfg || xlu_cfg_readdata(cfg, data, (int)len)) {
        fflush(errs);
        error_msg("%s (with the KEY=VALUE lines): %s", file,
                  errtext && *errtext ? errtext : "cannot be read");
        goto out;
    }
    if (xlu_cfg_get_string(cfg, "name", &value, 0) || !*value) {
        error_msg("%s: the configuration has no name=", file);
        goto out;
    }
    name = strdup(value);
    if (!name)
        error_msg("out of memory");
out:
    if (cfg)
        xlu_cfg_destroy(cfg);
    if (in)
        fclose(in);
    if (mem)
        fclose(mem);
    if (errs)
        fclose(errs);
    free(errtext);
    free(data);
    return name;
}

/* A KEY=VALUE line for xl: a key, '=', anything. channel= is refused:
 * the channels come from FILE. */
static int check_extra(const struct xlch_command *cmd, const char *line)
{
    const char *eq = strchr(line, '=');
    const char *k = line, *end;

    if (line[0] == '-')
        return command_usage_error(cmd,
                                   "option '%s' after FILE: options go "
                                   "before FILE",
                                   line);
    if (!eq)
        return command_usage_error(cmd, "'%s' is not KEY=VALUE", line);
    while (*k == ' ' || *k == '\t')
        k++;
    end = eq;
    while (end > k && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (end == k)
        return command_usage_error(cmd, "'%s' has no KEY", line);
    if ((size_t)(end - k) == strlen("channel") && !strncmp(k, "channel", 7))
        return command_usage_error(cmd,
                                   "'%s': give the channels in FILE's "
                                   "channel= list",
                                   line);
    return XLCH_EXIT_OK;
}

int cmd_create(const struct xlch_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool quiet = false, console = false, paused = false;
    char **xl_argv = NULL, **extra;
    xlch_spec *specs = NULL;
    xch_ctx *ctx = NULL;
    char *errmsg = NULL, *name = NULL;
    const char *file;
    uint32_t domid = 0;
    bool created = false;
    int num = 0, num_extra, i, k, opt, r, rc = XLCH_EXIT_FAILURE;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+:hqcp", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return command_help(cmd);
        case 'q':
            quiet = true;
            break;
        case 'c':
            console = true;
            break;
        case 'p':
            paused = true;
            break;
        default:
            if (optopt)
                return command_usage_error(cmd,
                                           "option '-%c' of xl create is not "
                                           "supported (only -q, -c and -p)",
                                           optopt);
            return command_usage_error(cmd,
                                       "option '%s' is not supported (only "
                                       "-q, -c and -p of xl create)",
                                       argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return command_usage_error(cmd, "expects FILE");
    file = argv[optind];
    extra = argv + optind + 1;
    num_extra = argc - optind - 1;
    for (i = 0; i < num_extra; i++)
        if (check_extra(cmd, extra[i]))
            return XLCH_EXIT_USAGE;

    /* Everything is checked before anything is created. */
    if (config_read_channels(file, &specs, &num, &errmsg)) {
        error_msg("%s", errmsg ? errmsg : "out of memory");
        goto out;
    }
    name = config_name(file, extra, num_extra);
    if (!name)
        goto out;
    if (xch_ctx_open(&ctx)) {
        error_msg("cannot connect to xenstore (is xenstored running?)");
        goto out;
    }

    /* xl create -p [-q] FILE KEY=VALUE... channel=[] */
    xl_argv = calloc((size_t)num_extra + 7, sizeof(*xl_argv));
    if (!xl_argv) {
        error_msg("out of memory");
        goto out;
    }
    k = 1;
    xl_argv[k++] = "create";
    xl_argv[k++] = "-p";
    if (quiet)
        xl_argv[k++] = "-q";
    xl_argv[k++] = (char *)file;
    for (i = 0; i < num_extra; i++)
        xl_argv[k++] = extra[i];
    xl_argv[k++] = "channel=[]";
    xl_argv[k] = NULL;
    r = run_xl(xl_argv);
    if (r != 0) {
        if (r > 0)
            error_msg("%s create failed (exit status %d): no domain was "
                      "created",
                      xl_program(), r);
        goto out;
    }
    r = xch_domain_resolve(ctx, name, &domid);
    if (r) {
        error_msg("%s create succeeded but no domain is named '%s': %s",
                  xl_program(), name, xch_error_to_string(r));
        goto out;
    }
    created = true;

    for (i = 0; i < num; i++) {
        toolstack_warn_devid(&specs[i].chan);
        r = xch_channel_add(ctx, domid, &specs[i].chan, &specs[i].opts,
                            &errmsg);
        if (!r)
            continue;
        error_msg("%s: channel[%d] '%s': cannot attach to domain '%s': %s",
                  file, i, specs[i].chan.name, name,
                  errmsg ? errmsg : xch_error_to_string(r));
        goto out;
    }
    if (keep_add(ctx, domid, specs, num)) {
        error_msg("%s: cannot keep the channels of domain '%s' for its "
                  "next builds",
                  file, name);
        goto out;
    }
    if (!paused && xl_domain("unpause", domid) != 0) {
        error_msg("%s unpause %u failed", xl_program(), domid);
        goto out;
    }
    created = false; /* done: it stays */
    toolstack_debug_retries(ctx, "create");
    rc = XLCH_EXIT_OK;
    if (console) {
        xch_ctx_free(ctx);
        ctx = NULL;
        r = xl_domain("console", domid);
        rc = r == 0 ? XLCH_EXIT_OK : XLCH_EXIT_FAILURE;
    }

out:
    /* Destroying the domain removes whatever was attached to it. */
    if (created)
        destroy_domain(name, domid);
    xch_ctx_free(ctx);
    specs_free(specs, num);
    free(xl_argv);
    free(errmsg);
    free(name);
    return rc;
}
