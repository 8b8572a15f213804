/*
 * event_stream.c - the client side of xenchanneld's lifecycle events: one
 * request on the control socket, then one JSON line per event for as long
 * as the connection lasts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* A line longer than this is not one the daemon would send. */
#define EVENT_LINE_MAX 65536

struct xch_event_stream {
    FILE *in;
};

int xch_event_stream_open(long domid, xch_event_stream **out, char **errmsg)
{
    xch_event_stream *s = NULL;
    char *request = NULL;
    size_t len, done = 0;
    ssize_t r;
    int fd = -1, rc;

    *out = NULL;
    request =
        domid >= 0
            ? xch__sprintf("{\"request\":\"events\",\"domid\":%ld}\n", domid)
            : xch__sprintf("{\"request\":\"events\"}\n");
    s = calloc(1, sizeof(*s));
    if (!request || !s) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    rc = xch__control_connect(xch_control_path(), &fd, errmsg);
    if (rc)
        goto out;
    for (len = strlen(request); done < len; done += (size_t)r) {
        r = send(fd, request + done, len - done, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR) {
            r = 0;
            continue;
        }
        if (r < 0) {
            rc = xch__error(errmsg, XCH_ERROR_FAIL,
                            "sending to xenchanneld: %s", strerror(errno));
            goto out;
        }
    }
    s->in = fdopen(fd, "r");
    if (!s->in) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    fd = -1;
    *out = s;
    s = NULL;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    xch_event_stream_close(s);
    free(request);
    return rc;
}

/* An {"error": ...} line: the daemon refused the subscription. */
static int error_line(const char *line, char **errmsg)
{
    static const char *error_key[] = {"error", NULL};
    yajl_val root = yajl_tree_parse(line, NULL, 0), err;
    int rc = 0;

    err = root ? yajl_tree_get(root, error_key, yajl_t_string) : NULL;
    if (err)
        rc = xch__error(errmsg, XCH_ERROR_FAIL, "xenchanneld: %s",
                        YAJL_GET_STRING(err));
    if (root)
        yajl_tree_free(root);
    return rc;
}

int xch_event_stream_next(xch_event_stream *s, xch_channel_event *ev,
                          char **errmsg)
{
    char *line = NULL, *why = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc;

    xch_channel_event_dispose(ev);
    xch_channel_event_init(ev);
    n = getline(&line, &cap, s->in);
    if (n <= 0) {
        rc = xch__error(errmsg, XCH_ERROR_NOTFOUND,
                        "xenchanneld ended the event stream");
        goto out;
    }
    if (n > EVENT_LINE_MAX || line[n - 1] != '\n') {
        rc = xch__error(errmsg, XCH_ERROR_PROTOCOL,
                        "xenchanneld sent an incomplete or overlong line");
        goto out;
    }
    line[n - 1] = '\0';
    rc = error_line(line, errmsg);
    if (rc)
        goto out;
    rc = xch_channel_event_from_json(ev, line, &why);
    if (rc)
        rc = xch__error(errmsg, XCH_ERROR_PROTOCOL,
                        "xenchanneld sent an event that does not parse: %s",
                        why ? why : "invalid");
out:
    free(why);
    free(line);
    return rc;
}

void xch_event_stream_close(xch_event_stream *s)
{
    if (!s)
        return;
    if (s->in)
        fclose(s->in);
    free(s);
}
