/*
 * activation.c - socket activation and readiness notification, the
 * systemd way, without libsystemd (the protocol is a few lines).
 *
 * Activation: if LISTEN_PID is our pid, LISTEN_FDS=N descriptors start at
 * 3, and LISTEN_FDNAMES (optional) names them, separated by ':'. A channel
 * claims the descriptor named after its `name` or its `path`; what no
 * channel claims stays open for channels attached later, and is closed at
 * shutdown.
 *
 * Readiness: "READY=1" as a datagram to $NOTIFY_SOCKET (a path, or an
 * abstract name when it starts with '@').
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"
#include "activation.h"

#define LISTEN_FDS_START 3
/* Far more than any host has channels. */
#define LISTEN_FDS_MAX 4096

struct xcd_activation {
    int count;
    int *fds;     /* -1 once claimed */
    char **names; /* NULL when unnamed */
};

void xcd_activation_free(xcd_activation *a)
{
    int i;

    if (!a)
        return;
    for (i = 0; i < a->count; i++) {
        if (a->fds[i] >= 0)
            close(a->fds[i]);
        free(a->names[i]);
    }
    free(a->fds);
    free(a->names);
    free(a);
}

int xcd_activation_take(xcd_activation **out, char **errmsg)
{
    const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
    const char *names_s = getenv("LISTEN_FDNAMES");
    xcd_activation *a = NULL;
    unsigned long pid, n;
    const char *p;
    int i, rc;

    *out = NULL;
    if (!pid_s || !fds_s) {
        rc = 0;
        goto out;
    }
    if (xch__parse_ulong(pid_s, ~0UL, &pid) || pid != (unsigned long)getpid()) {
        rc = 0; /* meant for another process */
        goto out;
    }
    if (xch__parse_ulong(fds_s, LISTEN_FDS_MAX, &n)) {
        rc = xch__error(errmsg, XCH_ERROR_INVAL,
                        "LISTEN_FDS=%.32s is not a number of descriptors",
                        fds_s);
        goto out;
    }
    a = calloc(1, sizeof(*a));
    if (!a || !(a->fds = calloc(n ? n : 1, sizeof(*a->fds))) ||
        !(a->names = calloc(n ? n : 1, sizeof(*a->names)))) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    a->count = (int)n;
    for (i = 0; i < a->count; i++) {
        a->fds[i] = LISTEN_FDS_START + i;
        if (fcntl(a->fds[i], F_SETFD, FD_CLOEXEC)) {
            rc = xch__error(errmsg, XCH_ERROR_INVAL,
                            "LISTEN_FDS: descriptor %d: %s", a->fds[i],
                            strerror(errno));
            a->count = i; /* do not close what is not ours */
            goto out;
        }
    }
    for (i = 0, p = names_s; p && *p && i < a->count; i++) {
        size_t len = strcspn(p, ":");

        if (len) {
            a->names[i] = strndup(p, len);
            if (!a->names[i]) {
                rc = XCH_ERROR_NOMEM;
                goto out;
            }
        }
        p += len;
        if (*p == ':')
            p++;
    }
    *out = a;
    a = NULL;
    rc = 0;
out:
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    xcd_activation_free(a);
    return rc;
}

int xcd_activation_claim(xcd_activation *a, const char *name, const char *path)
{
    int i, fd;

    if (!a)
        return -1;
    for (i = 0; i < a->count; i++) {
        if (a->fds[i] < 0 || !a->names[i])
            continue;
        if ((name && !strcmp(a->names[i], name)) ||
            (path && !strcmp(a->names[i], path))) {
            fd = a->fds[i];
            a->fds[i] = -1;
            return fd;
        }
    }
    return -1;
}

int xcd_notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len;
    socklen_t salen;
    ssize_t r;
    int fd;

    if (!path || !*path)
        return 0;
    len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
        return XCH_ERROR_INVAL;
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
                        (path[0] == '/' ? 1 : 0));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return XCH_ERROR_FAIL;
    r = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
               salen);
    close(fd);
    return r == (ssize_t)strlen(state) ? 0 : XCH_ERROR_FAIL;
}
