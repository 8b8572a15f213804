/*
 * events.c - the lifecycle event stream (events.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <yajl/yajl_gen.h>

#include "internal.h"

#include "buffer.h"
#include "events.h"
#include "log.h"

struct xcd_subscriber {
    xcd_events *hub;
    xcd_subscriber *next;
    int fd;
    long domid;       /* -1: every guest */
    xcd_buffer queue; /* lines not written yet */
    struct event *ev; /* readable (hangup) or writable (queue) */
    bool writing;
};

struct xcd_events {
    struct event_base *base;
    xcd_subscriber *subs;
    int count;
};

int xcd_events_new(struct event_base *base, xcd_events **out)
{
    xcd_events *hub = calloc(1, sizeof(*hub));

    *out = hub;
    if (!hub)
        return XCH_ERROR_NOMEM;
    hub->base = base;
    return 0;
}

static void sub_free(xcd_subscriber *s)
{
    xcd_subscriber **pp;

    for (pp = &s->hub->subs; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    s->hub->count--;
    if (s->ev)
        event_free(s->ev);
    close(s->fd);
    xcd_buffer_dispose(&s->queue);
    free(s);
}

void xcd_events_free(xcd_events *hub)
{
    if (!hub)
        return;
    while (hub->subs)
        sub_free(hub->subs);
    free(hub);
}

static void sub_event(evutil_socket_t fd, short what, void *arg);

/* Watches for the subscriber's hangup, and for room while lines wait. */
static void sub_rearm(xcd_subscriber *s)
{
    bool writing = s->queue.len > 0;

    if (writing == s->writing && s->ev)
        return;
    if (s->ev)
        event_free(s->ev);
    s->ev = event_new(s->hub->base, s->fd,
                      EV_READ | EV_PERSIST | (writing ? EV_WRITE : 0),
                      sub_event, s);
    s->writing = writing;
    if (!s->ev || event_add(s->ev, NULL)) {
        xcd_log(LOG_ERR, "events: cannot watch a subscriber; dropped");
        sub_free(s);
    }
}

static void sub_event(evutil_socket_t fd, short what, void *arg)
{
    xcd_subscriber *s = arg;
    struct iovec iov[2];
    char buf[256];
    ssize_t r;
    int niov;

    (void)fd;
    if (what & EV_READ) {
        /* Subscribers have nothing to say: anything is read and ignored,
         * the end of the connection ends the subscription. */
        r = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
            sub_free(s);
            return;
        }
    }
    if ((what & EV_WRITE) && s->queue.len) {
        xcd_buffer_peek(&s->queue, iov, &niov);
        r = writev(s->fd, iov, niov);
        if (r < 0 && errno != EAGAIN && errno != EINTR) {
            sub_free(s);
            return;
        }
        if (r > 0)
            xcd_buffer_consume(&s->queue, (size_t)r);
    }
    sub_rearm(s);
}

xcd_subscriber *xcd_events_subscribe(xcd_events *hub, int fd, long domid)
{
    xcd_subscriber *s;

    if (hub->count >= XCD_SUBSCRIBERS_MAX)
        return NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->hub = hub;
    s->fd = fd;
    s->domid = domid;
    xcd_buffer_init(&s->queue, XCD_SUBSCRIBER_QUEUE, NULL);
    s->next = hub->subs;
    hub->subs = s;
    hub->count++;
    sub_rearm(s);
    return s;
}

/* ev as one line of JSON, with its newline (malloc'd, *len set). */
static char *event_line(const xch_channel_event *ev, size_t *len)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    char *line = NULL;
    size_t n;

    if (g && xch_channel_event_gen_json(g, ev) == yajl_gen_status_ok &&
        yajl_gen_get_buf(g, &buf, &n) == yajl_gen_status_ok) {
        line = malloc(n + 1);
        if (line) {
            memcpy(line, buf, n);
            line[n] = '\n';
            *len = n + 1;
        }
    }
    if (g)
        yajl_gen_free(g);
    return line;
}

/* Queues a line; a subscriber that cannot take it is cut off. */
static void queue_line(xcd_subscriber *s, const char *line, size_t len)
{
    if (s->queue.len + len > s->queue.cap ||
        xcd_buffer_push(&s->queue, line, len)) {
        xcd_log(LOG_WARNING, "events: a subscriber does not read; cut off");
        sub_free(s);
        return;
    }
    sub_rearm(s);
}

void xcd_events_send(xcd_events *hub, xcd_subscriber *s,
                     const xch_channel_event *ev)
{
    size_t len = 0;
    char *line = event_line(ev, &len);

    (void)hub;
    if (line)
        queue_line(s, line, len);
    free(line);
}

char *xcd_events_time(void)
{
    struct timespec ts;
    struct tm tm;
    char buf[32];

    if (clock_gettime(CLOCK_REALTIME, &ts) || !gmtime_r(&ts.tv_sec, &tm) ||
        !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm))
        return NULL;
    return xch__sprintf("%s.%03ldZ", buf, ts.tv_nsec / 1000000);
}

void xcd_events_emit(xcd_events *hub, xch_channel_event *ev)
{
    xcd_subscriber *s, *next;
    size_t len = 0;
    char *line;

    if (!hub || !hub->subs)
        return;
    free(ev->time);
    ev->time = xcd_events_time();
    line = event_line(ev, &len);
    if (!line)
        return;
    for (s = hub->subs; s; s = next) {
        next = s->next;
        if (s->domid < 0 || (unsigned long)s->domid == ev->frontend_id)
            queue_line(s, line, len);
    }
    free(line);
}
