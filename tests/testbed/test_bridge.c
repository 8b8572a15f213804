/*
 * A guest's xenbus bridge serves several libxenstore clients at once.
 * Run as the guest (XENSTORED_PATH = its bridge socket), with its
 * writable "data" directory: tests/integration/test_testbed_bridge.sh.
 * Every wait blocks on a real reply or watch event. Prints TAP.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#define READS       500
#define WATCH_QUOTA 128 /* xenstored's default per unprivileged domain */
#define TXN_QUOTA   10

static int test_no;
static int failures;

static void check(bool ok, const char *name)
{
    printf("%sok %d - %s\n", ok ? "" : "not ", ++test_no, name);
    fflush(stdout);
    if (!ok)
        failures++;
}

static struct xs_handle *client(void)
{
    struct xs_handle *h = xs_open(0);

    if (!h) {
        printf("Bail out! cannot connect to the bridge: %s\n", strerror(errno));
        exit(1);
    }
    return h;
}

/* Blocks for the next watch event; true if it is (path, token). */
static bool next_event(struct xs_handle *h, const char *path, const char *token)
{
    unsigned int n;
    char **ev = xs_read_watch(h, &n);
    bool ok = ev && !strcmp(ev[XS_WATCH_PATH], path) &&
              !strcmp(ev[XS_WATCH_TOKEN], token);

    free(ev);
    return ok;
}

/*
 * Whether h has an event queued. A read on h first: events sent to h
 * before that reply are queued by the time it returns.
 */
static bool has_event(struct xs_handle *h)
{
    unsigned int len;
    char **ev;

    free(xs_read(h, XBT_NULL, "domid", &len));
    ev = xs_check_watch(h);
    free(ev);
    return ev != NULL;
}

static bool write_node(struct xs_handle *h, xs_transaction_t t,
                       const char *path, const char *value)
{
    return xs_write(h, t, path, value, strlen(value));
}

struct reader {
    struct xs_handle *h;
    const char *path, *want;
    bool ok;
};

static void *read_many(void *arg)
{
    struct reader *r = arg;
    unsigned int len;
    int i;

    r->ok = true;
    for (i = 0; i < READS && r->ok; i++) {
        char *v = xs_read(r->h, XBT_NULL, r->path, &len);

        r->ok = v && !strcmp(v, r->want);
        free(v);
    }
    return NULL;
}

static bool concurrent_reads(struct xs_handle *a, struct xs_handle *b)
{
    struct reader ra = {a, "data/ra", "from-a", false};
    struct reader rb = {b, "data/rb", "from-b", false};
    pthread_t ta, tb;

    if (!write_node(a, XBT_NULL, "data/ra", "from-a") ||
        !write_node(b, XBT_NULL, "data/rb", "from-b"))
        return false;
    if (pthread_create(&ta, NULL, read_many, &ra))
        return false;
    if (pthread_create(&tb, NULL, read_many, &rb)) {
        pthread_join(ta, NULL);
        return false;
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    return ra.ok && rb.ok;
}

/* Clients that leave with a watch set: the bridge must remove each. */
static bool leaving_removes_watches(void)
{
    int i;

    for (i = 0; i < WATCH_QUOTA + 22; i++) {
        struct xs_handle *h = xs_open(0);
        bool ok = h && xs_watch(h, "data/w", "leaver");

        if (h)
            xs_close(h);
        if (!ok)
            return false;
    }
    return true;
}

/* Clients that leave inside a transaction: the bridge must end each. */
static bool leaving_ends_transactions(struct xs_handle *stayer)
{
    xs_transaction_t t;
    int i;

    for (i = 0; i < TXN_QUOTA + 5; i++) {
        struct xs_handle *h = xs_open(0);

        if (!h)
            return false;
        t = xs_transaction_start(h);
        xs_close(h);
        if (t == XBT_NULL)
            return false;
    }
    t = xs_transaction_start(stayer);
    return t != XBT_NULL && xs_transaction_end(stayer, t, true);
}

int main(void)
{
    struct xs_handle *a = client(), *b = client(), *c = client();
    struct xs_handle *d = NULL;
    xs_transaction_t t;
    unsigned int len;
    char *v;

    printf("1..10\n");
    xs_rm(c, XBT_NULL, "data/w");

    /* Two clients, one path, the same token: each has its own watch. */
    check(xs_watch(a, "data/w", "tok") && xs_watch(b, "data/w", "tok") &&
              next_event(a, "data/w", "tok") && next_event(b, "data/w", "tok"),
          "two clients watch one path with one token; each fires once");

    t = xs_transaction_start(c);
    check(t != XBT_NULL && write_node(c, t, "data/w", "1") &&
              !xs_read(b, XBT_NULL, "data/w", &len) && errno == ENOENT &&
              !has_event(a) && !has_event(b),
          "a transaction's write is invisible and fires nothing before "
          "commit");
    check(xs_transaction_end(c, t, false) && next_event(a, "data/w", "tok") &&
              next_event(b, "data/w", "tok"),
          "the commit fires both clients' watches");

    v = xs_read(b, XBT_NULL, "data/w", &len);
    check(v && !strcmp(v, "1"), "another client reads the committed value");
    free(v);

    check(concurrent_reads(a, b),
          "two clients reading at once each get their own replies");

    /* A leaves: B keeps its watch, C keeps working. */
    xs_close(a);
    a = NULL;
    check(write_node(c, XBT_NULL, "data/w", "2") &&
              next_event(b, "data/w", "tok"),
          "a client leaving does not disturb the others' watches");

    /* Same token, different paths, different clients: routed by path. */
    d = client();
    check(xs_watch(d, "data/v", "tok") && next_event(d, "data/v", "tok") &&
              write_node(c, XBT_NULL, "data/v", "x") &&
              next_event(d, "data/v", "tok") && !has_event(b),
          "events go only to the client whose watch fired");

    check(xs_unwatch(d, "data/v", "tok") &&
              write_node(c, XBT_NULL, "data/v", "y") && !has_event(d),
          "unwatch stops that client's events");

    check(leaving_removes_watches(),
          "150 clients leaving with a watch each stay under the watch "
          "quota");
    check(leaving_ends_transactions(c),
          "15 clients leaving inside a transaction stay under the "
          "transaction quota");

    xs_close(b);
    xs_close(c);
    xs_close(d);
    return failures ? 1 : 0;
}
