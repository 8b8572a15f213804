/*
 * control_client.c - the client side of xenchanneld's control socket
 * (docs/control-protocol.md): one JSON request line, one JSON reply line.
 * Used for what is not worth a xenstore write per byte: the counters.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "internal.h"

/* A reply longer than this is not one the daemon would send. */
#define REPLY_MAX (4U << 20)

const char *xch_control_path(void)
{
    const char *env = getenv(XCH_CONTROL_PATH_ENV);

    return env && *env ? env : XCH_CONTROL_PATH_DEFAULT;
}

int xch__control_connect(const char *path, int *fd_r, char **errmsg)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd;

    *fd_r = -1;
    if (strlen(path) >= sizeof(addr.sun_path))
        return xch__error(errmsg, XCH_ERROR_INVAL,
                          "control socket path %s is too long", path);
    memcpy(addr.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return xch__error(errmsg, XCH_ERROR_FAIL, "socket: %s",
                          strerror(errno));
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
        int err = errno;

        close(fd);
        return xch__error(errmsg, XCH_ERROR_NOTFOUND,
                          "no xenchanneld at %s: %s", path, strerror(err));
    }
    *fd_r = fd;
    return 0;
}

/* Sends the request and reads one line of reply (NUL-terminated, the
 * newline removed) before the deadline. */
static int control_exchange(int fd, const char *request, char **reply_r,
                            char **errmsg)
{
    long long deadline = (long long)xch__now_ms() + XCH_CONTROL_TIMEOUT_MS;
    size_t len = strlen(request), done = 0, cap = 0, used = 0;
    char *buf = NULL, *nl = NULL;
    struct pollfd pfd = {.fd = fd};
    ssize_t r;
    int rc;

    *reply_r = NULL;
    while (!nl) {
        long long left = deadline - (long long)xch__now_ms();

        if (left <= 0) {
            rc = xch__error(errmsg, XCH_ERROR_TIMEDOUT,
                            "xenchanneld did not answer within %d ms",
                            XCH_CONTROL_TIMEOUT_MS);
            goto out;
        }
        pfd.events = done < len ? POLLOUT : POLLIN;
        r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno != EINTR) {
            rc =
                xch__error(errmsg, XCH_ERROR_FAIL, "poll: %s", strerror(errno));
            goto out;
        }
        if (r <= 0)
            continue;
        if (done < len) {
            r = send(fd, request + done, len - done,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
            if (r < 0 && errno != EAGAIN && errno != EINTR) {
                rc = xch__error(errmsg, XCH_ERROR_FAIL,
                                "sending to xenchanneld: %s", strerror(errno));
                goto out;
            }
            if (r > 0)
                done += (size_t)r;
            continue;
        }
        if (cap - used < 4096) {
            char *bigger;

            if (cap >= REPLY_MAX) {
                rc = xch__error(errmsg, XCH_ERROR_PROTOCOL,
                                "xenchanneld's reply is too long");
                goto out;
            }
            cap = cap ? cap * 2 : 8192;
            bigger = realloc(buf, cap);
            if (!bigger) {
                rc = XCH_ERROR_NOMEM;
                goto out;
            }
            buf = bigger;
        }
        r = recv(fd, buf + used, cap - used - 1, MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0) {
            rc = xch__error(errmsg, XCH_ERROR_PROTOCOL,
                            "xenchanneld closed the connection without "
                            "a reply");
            goto out;
        }
        used += (size_t)r;
        buf[used] = '\0';
        nl = strchr(buf, '\n');
    }
    *nl = '\0';
    *reply_r = buf;
    buf = NULL;
    rc = 0;

out:
    free(buf);
    return rc;
}

/* *dst takes a copy of src (the daemon's word is newer than xenstore's);
 * without memory, *dst stays. */
static void replace_string(char **dst, const char *src)
{
    char *copy = src ? strdup(src) : NULL;

    if (src && !copy)
        return;
    free(*dst);
    *dst = copy;
}

/* Copies what the daemon reports about one channel into the matching
 * entry of list. */
static void merge_one(uint32_t domid, const xch_channel_status *from,
                      xch_channel_status *list, int num, bool *counted)
{
    int i;

    if (from->frontend_id != domid)
        return;
    for (i = 0; i < num; i++) {
        xch_channel_status *st = &list[i];

        if (st->devid != from->devid)
            continue;
        st->bytes_to_guest = from->bytes_to_guest;
        st->bytes_from_guest = from->bytes_from_guest;
        st->bytes_dropped = from->bytes_dropped;
        st->bytes_dropped_to_guest = from->bytes_dropped_to_guest;
        st->ring_errors = from->ring_errors;
        st->storms = from->storms;
        st->client_connected = from->client_connected;
        st->guest_side = from->guest_side;
        st->host_end = from->host_end;
        st->buffered = from->buffered;
        st->limit = from->limit;
        replace_string(&st->error, from->error);
        replace_string(&st->host_error, from->host_error);
        counted[i] = true;
        return;
    }
}

static int parse_reply(const char *reply, uint32_t domid,
                       xch_channel_status *list, int num, bool *counted,
                       char **errmsg)
{
    static const char *status_key[] = {"status", NULL};
    static const char *error_key[] = {"error", NULL};
    char parse_err[256];
    yajl_val root = NULL, array, err;
    xch_channel_status one;
    char *why = NULL;
    size_t i;
    int rc;

    xch_channel_status_init(&one);
    root = yajl_tree_parse(reply, parse_err, sizeof(parse_err));
    if (!root) {
        rc = xch__error(errmsg, XCH_ERROR_PROTOCOL,
                        "xenchanneld's reply is not JSON: %s", parse_err);
        goto out;
    }
    err = yajl_tree_get(root, error_key, yajl_t_string);
    if (err) {
        rc = xch__error(errmsg, XCH_ERROR_FAIL, "xenchanneld: %s",
                        YAJL_GET_STRING(err));
        goto out;
    }
    array = yajl_tree_get(root, status_key, yajl_t_array);
    if (!array || !YAJL_IS_ARRAY(array)) {
        rc = xch__error(errmsg, XCH_ERROR_PROTOCOL,
                        "xenchanneld's reply has no \"status\" array");
        goto out;
    }
    for (i = 0; i < array->u.array.len; i++) {
        xch_channel_status_dispose(&one);
        rc =
            xch_channel_status_parse_json(&one, array->u.array.values[i], &why);
        if (rc) {
            rc = xch__error(errmsg, XCH_ERROR_PROTOCOL,
                            "xenchanneld's reply, status[%zu]: %s", i,
                            why ? why : "invalid");
            goto out;
        }
        merge_one(domid, &one, list, num, counted);
    }
    rc = 0;

out:
    free(why);
    xch_channel_status_dispose(&one);
    if (root)
        yajl_tree_free(root);
    return rc;
}

int xch_control_query_status(uint32_t domid, xch_channel_status *list, int num,
                             bool *counted, char **errmsg)
{
    char *request = NULL, *reply = NULL;
    int fd = -1, i, rc;

    if (errmsg)
        *errmsg = NULL;
    for (i = 0; i < num; i++)
        counted[i] = false;
    request = xch__sprintf("{\"request\":\"status\",\"domid\":%u}\n", domid);
    if (!request) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    rc = xch__control_connect(xch_control_path(), &fd, errmsg);
    if (rc)
        goto out;
    rc = control_exchange(fd, request, &reply, errmsg);
    if (rc)
        goto out;
    rc = parse_reply(reply, domid, list, num, counted, errmsg);

out:
    if (fd >= 0)
        close(fd);
    free(reply);
    free(request);
    return rc;
}
