/*
 * transport_socket.c - a channel served on a listening unix socket.
 *
 * The socket is created at the channel's path (a stale socket there is
 * removed; anything else, or a socket somebody still listens on, is left
 * alone and the channel fails), with the configured mode and group, or
 * passed to us already listening (socket activation). One client at a
 * time: the listening socket is only watched while there is none, so the
 * others wait in the backlog. The file is removed at close if we made it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xenchannel.h"

#include "transport.h"
#include "xenchanneld.h"

#define SOCKET_BACKLOG 16

void xcd_transport_init(xcd_transport *t, const xcd_transport_ops *ops)
{
    memset(t, 0, sizeof(*t));
    t->ops = ops;
    t->wait_fd = -1;
    t->client_fd = -1;
    t->fd = -1;
}

/* The path holds a socket: is anybody listening on it? */
static int socket_in_use(const struct sockaddr_un *sa, bool *in_use)
{
    int fd, r, rc;

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return XCH_ERROR_FAIL;
    r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
    if (!r || errno == EAGAIN || errno == EINPROGRESS) {
        *in_use = true;
        rc = 0;
    } else if (errno == ECONNREFUSED) {
        *in_use = false;
        rc = 0;
    } else {
        rc = XCH_ERROR_FAIL;
    }
    close(fd);
    return rc;
}

/* Checks that a passed descriptor is a listening unix stream socket. */
static int socket_adopt(xcd_transport *t, int fd, char **errmsg)
{
    int type = 0, listening = 0, domain = 0;
    socklen_t len = sizeof(type);

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
        type != SOCK_STREAM ||
        getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain,
                   &(socklen_t){sizeof(domain)}) ||
        domain != AF_UNIX ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
                   &(socklen_t){sizeof(listening)}) ||
        !listening) {
        *errmsg = xcd_sprintf("passed descriptor %d is not a listening unix "
                              "stream socket",
                              fd);
        return XCH_ERROR_INVAL;
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) ||
        fcntl(fd, F_SETFD, FD_CLOEXEC)) {
        *errmsg = xcd_sprintf("passed descriptor %d: %s", fd, strerror(errno));
        return XCH_ERROR_FAIL;
    }
    t->fd = fd;
    t->unlink_path = false;
    return 0;
}

static int socket_bind(xcd_transport *t, const xcd_transport_config *cfg,
                       char **errmsg)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(cfg->path);
    struct stat st;
    bool in_use = false;
    mode_t old_mask;
    int fd = -1, r, rc;

    if (cfg->path[0] != '/' || len >= sizeof(sa.sun_path)) {
        *errmsg = xcd_sprintf("socket path %s: not an absolute path of at "
                              "most %zu bytes",
                              cfg->path, sizeof(sa.sun_path) - 1);
        rc = XCH_ERROR_INVAL;
        goto out;
    }
    memcpy(sa.sun_path, cfg->path, len + 1);
    if (!lstat(cfg->path, &st)) {
        if (!S_ISSOCK(st.st_mode)) {
            *errmsg = xcd_sprintf("%s exists and is not a socket; not "
                                  "removing it",
                                  cfg->path);
            rc = XCH_ERROR_DEVICE_EXISTS;
            goto out;
        }
        rc = socket_in_use(&sa, &in_use);
        if (rc || in_use) {
            *errmsg = xcd_sprintf("%s: %s", cfg->path,
                                  in_use ? "another process listens on it"
                                         : "cannot probe the existing socket");
            rc = rc ? rc : XCH_ERROR_DEVICE_EXISTS;
            goto out;
        }
        if (unlink(cfg->path) && errno != ENOENT) {
            *errmsg = xcd_sprintf("removing the stale socket %s: %s", cfg->path,
                                  strerror(errno));
            rc = XCH_ERROR_FAIL;
            goto out;
        }
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *errmsg = xcd_sprintf("socket: %s", strerror(errno));
        rc = XCH_ERROR_FAIL;
        goto out;
    }
    /* The file gets its final mode at once: nobody else can connect in
     * between. The daemon runs single-threaded here. */
    old_mask = umask(~cfg->mode & 0777);
    r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old_mask);
    if (r) {
        *errmsg = xcd_sprintf("binding %s: %s", cfg->path, strerror(errno));
        rc = XCH_ERROR_FAIL;
        goto out;
    }
    t->fd = fd;
    fd = -1;
    if (!lstat(cfg->path, &st)) {
        t->unlink_path = true;
        t->file_dev = st.st_dev;
        t->file_ino = st.st_ino;
    }
    if ((cfg->set_group && chown(cfg->path, (uid_t)-1, cfg->group)) ||
        chmod(cfg->path, cfg->mode)) {
        *errmsg = xcd_sprintf("setting the owner group and mode of %s: %s",
                              cfg->path, strerror(errno));
        rc = XCH_ERROR_FAIL;
        goto out;
    }
    if (listen(t->fd, SOCKET_BACKLOG)) {
        *errmsg =
            xcd_sprintf("listening on %s: %s", cfg->path, strerror(errno));
        rc = XCH_ERROR_FAIL;
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

static void socket_close(xcd_transport *t);

static int socket_open(xcd_transport *t, const xcd_transport_config *cfg,
                       char **errmsg)
{
    int rc;

    t->endpoint = strdup(cfg->path);
    if (!t->endpoint) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    if (cfg->passed_fd >= 0)
        rc = socket_adopt(t, cfg->passed_fd, errmsg);
    else
        rc = socket_bind(t, cfg, errmsg);
    if (rc)
        goto out;
    t->wait_fd = t->fd;
    rc = 0;
out:
    if (rc)
        socket_close(t);
    return rc;
}

static int socket_accept(xcd_transport *t, char **errmsg)
{
    int fd;

    if (t->client_fd >= 0)
        return 1;
    fd = accept4(t->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
            return 0;
        *errmsg = xcd_sprintf("accepting a client on %s: %s", t->endpoint,
                              strerror(errno));
        return XCH_ERROR_FAIL;
    }
    t->client_fd = fd;
    return 1;
}

static bool socket_hung_up(const xcd_transport *t)
{
    (void)t;
    return false;
}

static void socket_drop_client(xcd_transport *t)
{
    if (t->client_fd >= 0)
        close(t->client_fd);
    t->client_fd = -1;
}

static void socket_close(xcd_transport *t)
{
    struct stat st;

    socket_drop_client(t);
    if (t->fd >= 0) {
        /* Remove the file only if it is still the socket we bound. */
        if (t->unlink_path && t->endpoint && !lstat(t->endpoint, &st) &&
            st.st_dev == t->file_dev && st.st_ino == t->file_ino)
            unlink(t->endpoint);
        close(t->fd);
    }
    t->fd = t->wait_fd = -1;
    t->unlink_path = false;
    free(t->endpoint);
    t->endpoint = NULL;
}

const xcd_transport_ops xcd_transport_socket_ops = {
    .kind = "socket",
    .open = socket_open,
    .accept = socket_accept,
    .hung_up = socket_hung_up,
    .drop_client = socket_drop_client,
    .close = socket_close,
};
