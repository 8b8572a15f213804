/*
 * main.c - xenchanneld: options, start-up, signals, shutdown.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "activation.h"
#include "control.h"
#include "daemon.h"
#include "log.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fprintf(f, "usage: xenchanneld [OPTION]...\n"
               "Backend of Xen PV channels: relays each channel of this "
               "domain's guests\nto a unix socket or a pty.\n\n"
               "  -f, --foreground        log to stderr, not syslog\n"
               "  -c, --control PATH      control socket (default: "
               "$" XCH_CONTROL_PATH_ENV " or\n"
               "                          " XCH_CONTROL_PATH_DEFAULT ")\n"
               "  -m, --socket-mode MODE  octal mode of channel sockets "
               "(default 0600)\n"
               "  -g, --socket-group GRP  group (name or id) of channel "
               "sockets\n"
               "  -s, --socket-dir DIR    where the toolstack puts sockets "
               "of channels\n"
               "                          without a path: a missing "
               "directory right\n"
               "                          under it is made "
               "(default " XCH_SOCKET_DIR_DEFAULT ")\n"
               "  -b, --buffer-limit SIZE guest output kept per channel for "
               "a client that\n"
               "                          lags, unless the channel sets "
               "its own limit=\n"
               "                          (default 16M; K, M suffixes)\n"
               "  -t, --buffer-total SIZE bound of that memory for all "
               "channels together\n"
               "                          (default 256M)\n"
               "  -v, --verbose           debug messages too\n"
               "  -h, --help              this help\n");
}

static int parse_mode(const char *s, mode_t *mode)
{
    unsigned long v;
    char *end;

    errno = 0;
    v = strtoul(s, &end, 8);
    if (errno || !*s || *end || v > 0777 || s[0] == '-' || s[0] == '+')
        return XCH_ERROR_INVAL;
    *mode = (mode_t)v;
    return 0;
}

/* A SIZE option: bytes, K or M, in the range of a channel's limit=
 * (for --buffer-total, up to 1024 times that). */
static int parse_size_option(const char *opt, const char *s, unsigned long max,
                             size_t *out)
{
    unsigned long v;

    if (xch__parse_size(s, max, &v) || v < XCH_CHANNEL_LIMIT_MIN) {
        fprintf(stderr,
                "xenchanneld: %s %s: not a size in bytes (a number, "
                "optionally followed by K or M) from 4K to %luM\n",
                opt, s, max >> 20);
        return XCH_ERROR_INVAL;
    }
    *out = v;
    return 0;
}

static int parse_group(const char *s, gid_t *gid)
{
    struct group *gr = getgrnam(s);
    unsigned long v;

    if (gr) {
        *gid = gr->gr_gid;
        return 0;
    }
    if (xch__parse_ulong(s, 0x7fffffffUL, &v))
        return XCH_ERROR_INVAL;
    *gid = (gid_t)v;
    return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct event_base *base = arg;

    (void)what;
    xcd_log(LOG_INFO, "signal %d: shutting down", (int)sig);
    event_base_loopbreak(base);
}

/* Each channel holds a few descriptors (its event channel, its listening
 * socket or pty, a client): the usual soft limit of 1024 would stop a
 * daemon short of 1,000 channels. The soft limit goes up to the hard one,
 * which the administrator (or LimitNOFILE=) sets. */
static void raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl))
        xcd_log(LOG_WARNING, "cannot raise the descriptor limit to %llu: %s",
                (unsigned long long)rl.rlim_max, strerror(errno));
}

/* An event base on epoll: the only backend whose cost does not grow with
 * the number of descriptors, and one that reports a peer's hangup
 * (EV_CLOSED) while the daemon does not read it. */
static struct event_base *epoll_base(void)
{
    struct event_config *cfg = event_config_new();
    struct event_base *base = NULL;

    if (!cfg)
        return NULL;
    if (!event_config_avoid_method(cfg, "select") &&
        !event_config_avoid_method(cfg, "poll") &&
        !event_config_require_features(cfg, EV_FEATURE_EARLY_CLOSE))
        base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    return base;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"foreground", no_argument, NULL, 'f'},
        {"control", required_argument, NULL, 'c'},
        {"socket-mode", required_argument, NULL, 'm'},
        {"socket-group", required_argument, NULL, 'g'},
        {"socket-dir", required_argument, NULL, 's'},
        {"buffer-limit", required_argument, NULL, 'b'},
        {"buffer-total", required_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    xcd_options o = {.socket_mode = 0600,
                     .socket_dir = XCH_SOCKET_DIR_DEFAULT,
                     .buffer_limit = XCD_BUFFER_LIMIT_DEFAULT,
                     .buffer_total = XCD_BUFFER_TOTAL_DEFAULT};
    xcd_daemon d = {0};
    struct event_base *base = NULL;
    struct event *sigterm = NULL, *sigint = NULL;
    const char *env;
    char *msg = NULL;
    int opt, rc = EXIT_FAILURE;

    env = getenv(XCH_CONTROL_PATH_ENV);
    o.control_path = env && *env ? env : XCH_CONTROL_PATH_DEFAULT;
    while ((opt = getopt_long(argc, argv, "fc:m:g:s:b:t:vh", opts, NULL)) !=
           -1) {
        switch (opt) {
        case 'f':
            o.foreground = true;
            break;
        case 'c':
            o.control_path = optarg;
            break;
        case 'm':
            if (parse_mode(optarg, &o.socket_mode)) {
                fprintf(stderr,
                        "xenchanneld: --socket-mode %s: not an "
                        "octal file mode (0 to 0777)\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'g':
            if (parse_group(optarg, &o.socket_group)) {
                fprintf(stderr,
                        "xenchanneld: --socket-group %s: no such "
                        "group\n",
                        optarg);
                return EXIT_USAGE;
            }
            o.set_group = true;
            break;
        case 's':
            if (xch_channel_path_check(optarg, NULL)) {
                fprintf(stderr,
                        "xenchanneld: --socket-dir %s: not an absolute path "
                        "that a socket path can start with\n",
                        optarg);
                return EXIT_USAGE;
            }
            o.socket_dir = optarg;
            break;
        case 'b':
            if (parse_size_option("--buffer-limit", optarg,
                                  XCH_CHANNEL_LIMIT_MAX, &o.buffer_limit))
                return EXIT_USAGE;
            break;
        case 't':
            if (parse_size_option("--buffer-total", optarg,
                                  XCH_CHANNEL_LIMIT_MAX * 1024UL,
                                  &o.buffer_total))
                return EXIT_USAGE;
            break;
        case 'v':
            o.verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "xenchanneld: unexpected argument %s\n", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    xcd_log_init(o.foreground, o.verbose);
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();

    if (xcd_activation_take(&d.activation, &msg)) {
        xcd_log(LOG_ERR, "socket activation: %s", msg ? msg : "failed");
        goto out;
    }
    base = epoll_base();
    if (!base) {
        xcd_log(LOG_ERR, "cannot create an epoll event loop");
        goto out;
    }
    sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    sigint = evsignal_new(base, SIGINT, on_signal, base);
    if (!sigterm || !sigint || event_add(sigterm, NULL) ||
        event_add(sigint, NULL)) {
        xcd_log(LOG_ERR, "cannot set up signal handling");
        goto out;
    }
    d.base = base;
    if (xcd_control_open(&d, o.control_path, &d.control))
        goto out;
    if (xcd_daemon_start(&d, base, &o))
        goto out;
    xcd_log(LOG_INFO, "serving %s (domain %u), control socket %s", d.be_base,
            d.self, o.control_path);
    if (xcd_notify("READY=1"))
        xcd_log(LOG_WARNING, "cannot notify $NOTIFY_SOCKET of readiness");
    if (event_base_dispatch(base) < 0) {
        xcd_log(LOG_ERR, "event loop failed");
        goto out;
    }
    rc = d.xenstore_lost ? EXIT_FAILURE : EXIT_SUCCESS;
    if (d.xenstore_lost)
        xcd_control_refuse_all(d.control, "xenchanneld lost its connection "
                                          "to xenstored and is stopping");
out:
    free(msg);
    xcd_daemon_stop(&d);
    xcd_control_close(d.control);
    xcd_activation_free(d.activation);
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    if (base)
        event_base_free(base);
    if (!o.foreground)
        closelog();
    return rc;
}
