/*
 * transport_socket.c - a channel served on a listening unix socket.
 *
 * One client at a time: the listening socket is only watched while there
 * is none, so the others wait in the backlog; EV_CLOSED on the client's
 * descriptor reports its hangup also while the channel does not read it.
 *
 * The socket file is made so that root never acts on a path somebody else
 * could have changed, even in a directory others may write: the directory
 * is opened once and everything after happens relative to it. A stale
 * socket there (nobody listens) is removed; anything else at the path is
 * left alone and the open fails. A missing directory is made only right
 * under the daemon's socket directory (where the toolstack puts a
 * channel without a path), never elsewhere. The socket is bound inside a fresh
 * private directory (mode 0700) next to its place, with its final mode
 * through the umask and its group set there, then moved into place with a
 * rename that never replaces anything. The file is removed at close if it
 * is still the one we made. A listening socket may also be passed to us
 * (socket activation, the control socket's "listen").
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"
#include "transport.h"

#define SOCKET_BACKLOG 16
/* The name of the socket inside the private directory. */
#define PRIVATE_NAME "s"
/* Attempts at a private directory name nobody has taken. */
#define PRIVATE_DIR_TRIES 16

void xcd_transport_init(xcd_transport *t, const xcd_transport_ops *ops)
{
    memset(t, 0, sizeof(*t));
    t->ops = ops;
    t->wait_fd = -1;
    t->client_fd = -1;
    t->fd = -1;
}

/* Runs bind() or connect() on fd for `name`, relative to directory dirfd:
 * a unix socket address is a path, so we stand in the directory for the
 * call. The daemon is single-threaded where it uses paths. */
static int at_dir(int dirfd, int fd, const char *name, bool do_bind)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int cwd, r, err;

    if (strlen(name) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sa.sun_path, name, strlen(name) + 1);
    cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0)
        return -1;
    if (fchdir(dirfd)) {
        err = errno;
        close(cwd);
        errno = err;
        return -1;
    }
    r = do_bind ? bind(fd, (struct sockaddr *)&sa, sizeof(sa))
                : connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    err = errno;
    if (fchdir(cwd))
        r = -1; /* cannot happen for a directory we could open */
    close(cwd);
    errno = err;
    return r;
}

/* The socket `name` in dirfd: is anybody listening on it? */
static int socket_in_use(int dirfd, const char *name, bool *in_use)
{
    int fd, rc;

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return XCH_ERROR_FAIL;
    if (!at_dir(dirfd, fd, name, false) || errno == EAGAIN ||
        errno == EINPROGRESS) {
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
        !listening)
        return xch__error(errmsg, XCH_ERROR_INVAL,
                          "passed descriptor %d is not a listening unix "
                          "stream socket",
                          fd);
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) ||
        fcntl(fd, F_SETFD, FD_CLOEXEC))
        return xch__error(errmsg, XCH_ERROR_FAIL, "passed descriptor %d: %s",
                          fd, strerror(errno));
    t->fd = fd;
    t->unlink_path = false;
    return 0;
}

/* Removes what is at `base` in dirfd if it is a socket nobody listens on;
 * refuses anything else. 0 when the name is free. */
static int clear_stale(int dirfd, const char *base, const char *path,
                       char **errmsg)
{
    struct stat st;
    bool in_use = false;
    int rc;

    if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW)) {
        if (errno == ENOENT)
            return 0;
        return xch__error(errmsg, XCH_ERROR_FAIL, "%s: %s", path,
                          strerror(errno));
    }
    if (!S_ISSOCK(st.st_mode))
        return xch__error(errmsg, XCH_ERROR_DEVICE_EXISTS,
                          "%s exists and is not a socket (%s); not removing "
                          "it",
                          path,
                          S_ISLNK(st.st_mode) ? "a symbolic link"
                                              : "a file or directory");
    rc = socket_in_use(dirfd, base, &in_use);
    if (rc || in_use)
        return xch__error(errmsg, rc ? rc : XCH_ERROR_DEVICE_EXISTS, "%s: %s",
                          path,
                          in_use ? "another process listens on it"
                                 : "cannot probe the existing socket");
    if (unlinkat(dirfd, base, 0) && errno != ENOENT)
        return xch__error(errmsg, XCH_ERROR_FAIL,
                          "removing the stale socket %s: %s", path,
                          strerror(errno));
    return 0;
}

/* Creates a private directory (0700) in dirfd; its name into name. */
static int private_dir(int dirfd, char *name, size_t size)
{
    unsigned int i, salt = (unsigned int)getpid() ^ (unsigned int)xch__now_ms();

    for (i = 0; i < PRIVATE_DIR_TRIES; i++) {
        salt = salt * 1103515245U + 12345U;
        snprintf(name, size, ".xenchanneld-%08x", salt);
        if (!mkdirat(dirfd, name, 0700))
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

/* Moves PRIVATE_NAME of tmpfd to base in dirfd, never replacing anything
 * (a rename where the file system can, a hard link otherwise). */
static int move_into_place(int tmpfd, int dirfd, const char *base)
{
    if (!renameat2(tmpfd, PRIVATE_NAME, dirfd, base, RENAME_NOREPLACE))
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (linkat(tmpfd, PRIVATE_NAME, dirfd, base, 0))
        return -1;
    unlinkat(tmpfd, PRIVATE_NAME, 0);
    return 0;
}

/* Binds fd in a private directory of dirfd, sets the file's group there
 * and moves it to base. */
static int bind_private(xcd_transport *t, const xcd_transport_config *cfg,
                        int dirfd, const char *base, int fd, char **errmsg)
{
    char tmpname[32];
    struct stat st;
    mode_t old_mask;
    int tmpfd = -1, r, rc;
    bool made = false;

    if (private_dir(dirfd, tmpname, sizeof(tmpname))) {
        rc = xch__error(errmsg, XCH_ERROR_FAIL,
                        "creating a private directory next to %s: %s",
                        cfg->path, strerror(errno));
        goto out;
    }
    made = true;
    tmpfd =
        openat(dirfd, tmpname, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tmpfd < 0) {
        rc = xch__error(errmsg, XCH_ERROR_FAIL, "opening %s's directory: %s",
                        cfg->path, strerror(errno));
        goto out;
    }
    old_mask = umask(~cfg->mode & 0777);
    r = at_dir(tmpfd, fd, PRIVATE_NAME, true);
    umask(old_mask);
    if (r) {
        rc = xch__error(errmsg, XCH_ERROR_FAIL, "binding %s: %s", cfg->path,
                        strerror(errno));
        goto out;
    }
    if ((cfg->set_group && fchownat(tmpfd, PRIVATE_NAME, (uid_t)-1, cfg->group,
                                    AT_SYMLINK_NOFOLLOW)) ||
        fstatat(tmpfd, PRIVATE_NAME, &st, AT_SYMLINK_NOFOLLOW)) {
        rc = xch__error(errmsg, XCH_ERROR_FAIL, "setting the group of %s: %s",
                        cfg->path, strerror(errno));
        goto out;
    }
    if (move_into_place(tmpfd, dirfd, base)) {
        rc = xch__error(
            errmsg, errno == EEXIST ? XCH_ERROR_DEVICE_EXISTS : XCH_ERROR_FAIL,
            "%s: %s", cfg->path,
            errno == EEXIST ? "something appeared there while "
                              "the socket was made; not "
                              "replacing it"
                            : strerror(errno));
        goto out;
    }
    t->unlink_path = true;
    t->file_dev = st.st_dev;
    t->file_ino = st.st_ino;
    rc = 0;
out:
    if (tmpfd >= 0) {
        unlinkat(tmpfd, PRIVATE_NAME, 0); /* if it was not moved */
        close(tmpfd);
    }
    if (made)
        unlinkat(dirfd, tmpname, AT_REMOVEDIR);
    return rc;
}

/* Opens dir, which is made first (0755) if it is missing and lies right
 * under base (base itself made too): a directory per domain. A link put
 * in its place is not followed. */
static int open_dir(const char *dir, const char *base)
{
    size_t len = base ? strlen(base) : 0;
    const char *sub = dir + len + 1;
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), basefd, err;

    if (fd >= 0 || errno != ENOENT || !len || strncmp(dir, base, len) != 0 ||
        dir[len] != '/' || !*sub || strchr(sub, '/'))
        return fd;
    if (mkdir(base, 0755) && errno != EEXIST)
        return -1;
    basefd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (basefd < 0)
        return -1;
    if (mkdirat(basefd, sub, 0755) && errno != EEXIST)
        fd = -1;
    else
        fd = openat(basefd, sub, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    err = errno;
    close(basefd);
    errno = err;
    return fd;
}

static int socket_bind(xcd_transport *t, const xcd_transport_config *cfg,
                       char **errmsg)
{
    char *dir = NULL;
    const char *base;
    int dirfd = -1, fd = -1, rc;

    if (xch_channel_path_check(cfg->path, errmsg)) {
        rc = XCH_ERROR_INVAL;
        goto out;
    }
    base = strrchr(cfg->path, '/') + 1;
    dir = base - cfg->path > 1
              ? xch__sprintf("%.*s", (int)(base - cfg->path - 1), cfg->path)
              : xch__sprintf("/");
    if (!dir) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    dirfd = open_dir(dir, cfg->base_dir);
    if (dirfd < 0) {
        rc = xch__error(errmsg, XCH_ERROR_FAIL, "directory %s of %s: %s", dir,
                        cfg->path, strerror(errno));
        goto out;
    }
    rc = clear_stale(dirfd, base, cfg->path, errmsg);
    if (rc)
        goto out;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = xch__error(errmsg, XCH_ERROR_FAIL, "socket: %s", strerror(errno));
        goto out;
    }
    rc = bind_private(t, cfg, dirfd, base, fd, errmsg);
    if (rc)
        goto out;
    if (listen(fd, SOCKET_BACKLOG)) {
        rc = xch__error(errmsg, XCH_ERROR_FAIL, "listening on %s: %s",
                        cfg->path, strerror(errno));
        goto out;
    }
    t->fd = fd;
    fd = -1;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (dirfd >= 0)
        close(dirfd);
    free(dir);
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
        return xch__error(errmsg, XCH_ERROR_FAIL,
                          "accepting a client on %s: %s", t->endpoint,
                          strerror(errno));
    }
    t->client_fd = fd;
    return 1;
}

static bool socket_hung_up(const xcd_transport *t)
{
    (void)t;
    return false; /* a write to a closed socket fails: nothing to check */
}

/* Both directions shut: POLLHUP (a half-closed peer gives POLLRDHUP). */
static bool socket_gone(const xcd_transport *t)
{
    struct pollfd p = {.fd = t->client_fd, .events = POLLIN | POLLRDHUP};

    return t->client_fd < 0 ||
           (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)));
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
        /* Remove the file only if it is still the socket we made. */
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
    .closed_event = true,
    .wait_while_client = false,
    .open = socket_open,
    .accept = socket_accept,
    .hung_up = socket_hung_up,
    .gone = socket_gone,
    .drop_client = socket_drop_client,
    .close = socket_close,
};
