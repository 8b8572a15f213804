/*
 * The generated channel types against libxenlight (SPEC §1): the same
 * value printed by libxl_*_to_json and by our xch_*_to_json must give the
 * same text, byte for byte; our JSON parses back to the same value; bad
 * JSON is refused with a message, never a crash.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxl.h>

#include <xenchannel_types.h>

#define ITERATIONS 3000

/* ---- deterministic values ------------------------------------------- */

static uint64_t prng_state;

static void prng_seed(uint64_t seed)
{
    prng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
}

static uint64_t prng_next(void)
{
    /* xorshift64* */
    prng_state ^= prng_state >> 12;
    prng_state ^= prng_state << 25;
    prng_state ^= prng_state >> 27;
    return prng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned prng_below(unsigned n)
{
    return (unsigned)(prng_next() % n);
}

/* Strings that JSON printers get wrong. */
static const char *const special_strings[] = {
    "",
    "a",
    "org.qemu.guest_agent.0",
    "/var/run/xen/channel.sock",
    "quote\"inside",
    "back\\slash\\",
    "slash/and/\\/",
    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
    "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
    "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f",
    "del\x7f",
    "tab\there\nnewline\r",
    "{\"json\": [1, 2]}",
    "   ",
};

/* Bytes a random string is made of; multi-byte entries stay whole. */
static const char *const pieces[] = {
    "a",
    "Z",
    "0",
    "9",
    ".",
    "_",
    "-",
    ":",
    "/",
    "\\",
    "\"",
    " ",
    "'",
    "\x01",
    "\x08",
    "\x09",
    "\x0a",
    "\x0c",
    "\x0d",
    "\x1b",
    "\x1f",
    "\x7f",
    "\xc3\xa9",
    "\xe2\x82\xac",
    "\xf0\x9f\x98\x80",
    "\xc2\x80",
    "\xef\xbf\xbf",
};

/* An invalid UTF-8 byte: yajl prints it as is (libxl does not validate),
 * but no JSON parser will read it back. */
#define INVALID_UTF8 "\xff"

/* A malloc'd string, or NULL; invalid UTF-8 only when allowed. */
static char *random_string(int allow_invalid)
{
    unsigned kind = prng_below(10);
    char buf[512];
    size_t len = 0;

    if (kind == 0)
        return NULL;
    if (kind <= 3) {
        size_t n = sizeof(special_strings) / sizeof(special_strings[0]);
        char *s = strdup(special_strings[prng_below((unsigned)n)]);
        assert_non_null(s);
        return s;
    }
    unsigned count = prng_below(kind == 4 ? 120 : 24);
    for (unsigned i = 0; i < count; i++) {
        const char *piece =
            pieces[prng_below(sizeof(pieces) / sizeof(pieces[0]))];
        if (allow_invalid && prng_below(50) == 0)
            piece = INVALID_UTF8;
        size_t plen = strlen(piece);
        if (len + plen >= sizeof(buf))
            break;
        memcpy(buf + len, piece, plen);
        len += plen;
    }
    buf[len] = '\0';
    char *s = strdup(buf);
    assert_non_null(s);
    return s;
}

/* Two independent copies of one random string (either may be NULL). */
static void random_string_pair(char **a, char **b, int allow_invalid)
{
    *a = random_string(allow_invalid);
    *b = NULL;
    if (*a) {
        *b = strdup(*a);
        assert_non_null(*b);
    }
}

static int random_int(void)
{
    static const int interesting[] = {0,    1,  -1,      2,       7,          8,
                                      9999, -2, INT_MAX, INT_MIN, INT_MAX - 1};
    if (prng_below(3) == 0)
        return (int)(uint32_t)prng_next();
    return interesting[prng_below(sizeof(interesting) /
                                  sizeof(interesting[0]))];
}

static uint32_t random_u32(void)
{
    static const uint32_t interesting[] = {
        0,     1,         2,           0x7fef,      0x7ff0,
        65535, INT32_MAX, 2147483648U, 4000000000U, UINT32_MAX};
    if (prng_below(3) == 0)
        return (uint32_t)prng_next();
    return interesting[prng_below(sizeof(interesting) /
                                  sizeof(interesting[0]))];
}

static uint64_t random_u64(void)
{
    static const uint64_t interesting[] = {
        0, 1, 4096, INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX};
    if (prng_below(3) == 0)
        return prng_next();
    return interesting[prng_below(sizeof(interesting) /
                                  sizeof(interesting[0]))];
}

/* Every member of the union, and now and then a value outside it. */
static int random_connection(int allow_unknown_value)
{
    if (allow_unknown_value && prng_below(20) == 0)
        return 7;
    return (int)prng_below(3);
}

static int streq_null(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/* ---- filling both libraries' structs with the same value -------------- */

static void fill_device_channel(libxl_device_channel *l, xch_device_channel *x,
                                int allow_invalid)
{
    int conn = random_connection(allow_invalid);

    libxl_device_channel_init(l);
    xch_device_channel_init(x);
    if (prng_below(4)) {
        l->backend_domid = random_u32();
        x->backend_domid = l->backend_domid;
    }
    random_string_pair(&l->backend_domname, &x->backend_domname, allow_invalid);
    if (prng_below(4)) {
        l->devid = random_int();
        x->devid = l->devid;
    }
    random_string_pair(&l->name, &x->name, allow_invalid);
    if (conn > 2) {
        l->connection = (libxl_channel_connection)conn;
        x->connection = (xch_channel_connection)conn;
        return;
    }
    libxl_device_channel_init_connection(l, (libxl_channel_connection)conn);
    xch_device_channel_init_connection(x, (xch_channel_connection)conn);
    if (conn == XCH_CHANNEL_CONNECTION_SOCKET)
        random_string_pair(&l->u.socket.path, &x->u.socket.path, allow_invalid);
}

static void fill_channelinfo(libxl_channelinfo *l, xch_channelinfo *x,
                             int allow_invalid)
{
    int conn = random_connection(allow_invalid);

    libxl_channelinfo_init(l);
    xch_channelinfo_init(x);
    random_string_pair(&l->backend, &x->backend, allow_invalid);
    if (prng_below(4)) {
        l->backend_id = random_u32();
        x->backend_id = l->backend_id;
    }
    random_string_pair(&l->frontend, &x->frontend, allow_invalid);
    if (prng_below(4)) {
        l->frontend_id = random_u32();
        x->frontend_id = l->frontend_id;
    }
    if (prng_below(4)) {
        l->devid = random_int();
        x->devid = l->devid;
    }
    if (prng_below(2)) {
        l->state = random_int();
        x->state = l->state;
    }
    if (prng_below(2)) {
        l->evtch = random_int();
        x->evtch = l->evtch;
    }
    if (prng_below(2)) {
        l->rref = random_int();
        x->rref = l->rref;
    }
    if (conn > 2) {
        l->connection = (libxl_channel_connection)conn;
        x->connection = (xch_channel_connection)conn;
        return;
    }
    libxl_channelinfo_init_connection(l, (libxl_channel_connection)conn);
    xch_channelinfo_init_connection(x, (xch_channel_connection)conn);
    if (conn == XCH_CHANNEL_CONNECTION_PTY)
        random_string_pair(&l->u.pty.path, &x->u.pty.path, allow_invalid);
}

static void fill_channel_status(xch_channel_status *x)
{
    int conn = random_connection(0);
    char *unused;

    xch_channel_status_init(x);
    random_string_pair(&x->backend, &unused, 0);
    free(unused);
    x->backend_id = random_u32();
    random_string_pair(&x->frontend, &unused, 0);
    free(unused);
    x->frontend_id = random_u32();
    x->devid = random_int();
    x->state = random_int();
    x->evtch = random_int();
    x->rref = random_int();
    xch_channel_status_init_connection(x, (xch_channel_connection)conn);
    if (conn == XCH_CHANNEL_CONNECTION_PTY) {
        random_string_pair(&x->u.pty.path, &unused, 0);
        free(unused);
    } else if (conn == XCH_CHANNEL_CONNECTION_SOCKET) {
        random_string_pair(&x->u.socket.path, &unused, 0);
        free(unused);
    }
    random_string_pair(&x->name, &unused, 0);
    free(unused);
    x->backend_state = (xch_xenbus_state)prng_below(9);
    x->frontend_state = (xch_xenbus_state)prng_below(9);
    x->client_connected = prng_below(2);
    x->bytes_to_guest = random_u64();
    x->bytes_from_guest = random_u64();
    x->bytes_dropped = random_u64();
    x->ring_errors = random_u64();
    random_string_pair(&x->error, &unused, 0);
    free(unused);
}

/* ---- equality, field by field ----------------------------------------- */

static void assert_device_channel_equal(const xch_device_channel *a,
                                        const xch_device_channel *b)
{
    assert_int_equal(a->backend_domid, b->backend_domid);
    assert_true(streq_null(a->backend_domname, b->backend_domname));
    assert_int_equal(a->devid, b->devid);
    assert_true(streq_null(a->name, b->name));
    assert_int_equal(a->connection, b->connection);
    if (a->connection == XCH_CHANNEL_CONNECTION_SOCKET)
        assert_true(streq_null(a->u.socket.path, b->u.socket.path));
}

static void assert_channelinfo_equal(const xch_channelinfo *a,
                                     const xch_channelinfo *b)
{
    assert_true(streq_null(a->backend, b->backend));
    assert_int_equal(a->backend_id, b->backend_id);
    assert_true(streq_null(a->frontend, b->frontend));
    assert_int_equal(a->frontend_id, b->frontend_id);
    assert_int_equal(a->devid, b->devid);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->evtch, b->evtch);
    assert_int_equal(a->rref, b->rref);
    assert_int_equal(a->connection, b->connection);
    if (a->connection == XCH_CHANNEL_CONNECTION_PTY)
        assert_true(streq_null(a->u.pty.path, b->u.pty.path));
}

static void assert_channel_status_equal(const xch_channel_status *a,
                                        const xch_channel_status *b)
{
    assert_true(streq_null(a->backend, b->backend));
    assert_int_equal(a->backend_id, b->backend_id);
    assert_true(streq_null(a->frontend, b->frontend));
    assert_int_equal(a->frontend_id, b->frontend_id);
    assert_int_equal(a->devid, b->devid);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->evtch, b->evtch);
    assert_int_equal(a->rref, b->rref);
    assert_int_equal(a->connection, b->connection);
    if (a->connection == XCH_CHANNEL_CONNECTION_PTY)
        assert_true(streq_null(a->u.pty.path, b->u.pty.path));
    if (a->connection == XCH_CHANNEL_CONNECTION_SOCKET)
        assert_true(streq_null(a->u.socket.path, b->u.socket.path));
    assert_true(streq_null(a->name, b->name));
    assert_int_equal(a->backend_state, b->backend_state);
    assert_int_equal(a->frontend_state, b->frontend_state);
    assert_int_equal(a->client_connected, b->client_connected);
    assert_true(a->bytes_to_guest == b->bytes_to_guest);
    assert_true(a->bytes_from_guest == b->bytes_from_guest);
    assert_true(a->bytes_dropped == b->bytes_dropped);
    assert_true(a->ring_errors == b->ring_errors);
    assert_true(streq_null(a->error, b->error));
}

/* ---- JSON text identical to libxenlight's ------------------------------ */

static void test_idl_device_channel_json_matches_libxl(void **state)
{
    (void)state;
    prng_seed(1);
    for (int i = 0; i < ITERATIONS; i++) {
        libxl_device_channel l;
        xch_device_channel x;

        fill_device_channel(&l, &x, 1);
        char *expected = libxl_device_channel_to_json(NULL, &l);
        char *got = xch_device_channel_to_json(&x);
        assert_non_null(expected);
        assert_non_null(got);
        if (strcmp(expected, got) != 0)
            fail_msg("iteration %d:\nlibxl:\n%s\nours:\n%s", i, expected, got);
        free(expected);
        free(got);
        libxl_device_channel_dispose(&l);
        xch_device_channel_dispose(&x);
    }
}

static void test_idl_channelinfo_json_matches_libxl(void **state)
{
    (void)state;
    prng_seed(2);
    for (int i = 0; i < ITERATIONS; i++) {
        libxl_channelinfo l;
        xch_channelinfo x;

        fill_channelinfo(&l, &x, 1);
        char *expected = libxl_channelinfo_to_json(NULL, &l);
        char *got = xch_channelinfo_to_json(&x);
        assert_non_null(expected);
        assert_non_null(got);
        if (strcmp(expected, got) != 0)
            fail_msg("iteration %d:\nlibxl:\n%s\nours:\n%s", i, expected, got);
        free(expected);
        free(got);
        libxl_channelinfo_dispose(&l);
        xch_channelinfo_dispose(&x);
    }
}

/* The facts the generator relies on, checked on fixed values. */
static void test_idl_json_layout_is_libxl_layout(void **state)
{
    xch_device_channel x;
    char *text;

    (void)state;
    xch_device_channel_init(&x);
    text = xch_device_channel_to_json(&x);
    assert_string_equal(text, "{\n    \"connection.unknown\": {\n\n    }\n}\n");
    free(text);

    xch_device_channel_init_connection(&x, XCH_CHANNEL_CONNECTION_SOCKET);
    x.devid = 0;
    x.name = strdup("q\"\\/\x01\x1f");
    assert_non_null(x.name);
    text = xch_device_channel_to_json(&x);
    assert_string_equal(text, "{\n"
                              "    \"devid\": 0,\n"
                              "    \"name\": \"q\\\"\\\\/\\u0001\\u001F\",\n"
                              "    \"connection.socket\": {\n\n    }\n"
                              "}\n");
    free(text);
    xch_device_channel_dispose(&x);
}

/* ---- enumerations ------------------------------------------------------- */

static void test_idl_connection_strings_match_libxl(void **state)
{
    static const char *const inputs[] = {
        "unknown", "pty",  "socket", "PTY", "Socket", "sOcKeT", "UNKNOWN", "",
        "sockets", "pty ", " pty",   "tty", "0",      "1",      "serial",
    };

    (void)state;
    for (int v = -3; v < 8; v++) {
        const char *l =
            libxl_channel_connection_to_string((libxl_channel_connection)v);
        const char *x =
            xch_channel_connection_to_string((xch_channel_connection)v);
        assert_true(streq_null(l, x));
    }
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        libxl_channel_connection l = (libxl_channel_connection)99;
        xch_channel_connection x = (xch_channel_connection)99;
        int lrc = libxl_channel_connection_from_string(inputs[i], &l);
        int xrc = xch_channel_connection_from_string(inputs[i], &x);

        assert_int_equal(lrc, xrc);
        assert_int_equal((int)l, (int)x);
    }
    assert_int_equal(xch_channel_connection_from_string(NULL, NULL),
                     XCH_ERROR_FAIL);

    /* The string tables hold the same entries, NULL-terminated. */
    for (int i = 0;; i++) {
        const libxl_enum_string_table *l =
            &libxl_channel_connection_string_table[i];
        const xch_enum_string_table *x =
            &xch_channel_connection_string_table[i];
        assert_true(streq_null(l->s, x->s));
        assert_int_equal(l->v, x->v);
        if (!x->s)
            break;
    }
}

/* An enumeration alone as JSON: its string, or null for other values. */
static void test_idl_connection_json_matches_libxl(void **state)
{
    (void)state;
    for (int v = -2; v < 8; v++) {
        const unsigned char *buf;
        size_t len;
        yajl_gen hand = yajl_gen_alloc(NULL);

        assert_non_null(hand);
        assert_true(yajl_gen_config(hand, yajl_gen_beautify, 1));
        assert_int_equal(
            xch_channel_connection_gen_json(hand, (xch_channel_connection)v),
            yajl_gen_status_ok);
        assert_int_equal(yajl_gen_get_buf(hand, &buf, &len),
                         yajl_gen_status_ok);
        char *expected =
            libxl_channel_connection_to_json(NULL, (libxl_channel_connection)v);
        assert_non_null(expected);
        assert_int_equal(len, strlen(expected));
        assert_memory_equal(buf, expected, len);
        free(expected);
        yajl_gen_free(hand);
    }
}

static void test_idl_error_values_match_libxl(void **state)
{
    (void)state;
    assert_int_equal(XCH_ERROR_NONSPECIFIC, ERROR_NONSPECIFIC);
    assert_int_equal(XCH_ERROR_FAIL, ERROR_FAIL);
    assert_int_equal(XCH_ERROR_NI, ERROR_NI);
    assert_int_equal(XCH_ERROR_NOMEM, ERROR_NOMEM);
    assert_int_equal(XCH_ERROR_INVAL, ERROR_INVAL);
    assert_int_equal(XCH_ERROR_TIMEDOUT, ERROR_TIMEDOUT);
    assert_int_equal(XCH_ERROR_BUFFERFULL, ERROR_BUFFERFULL);
    assert_int_equal(XCH_ERROR_DEVICE_EXISTS, ERROR_DEVICE_EXISTS);
    assert_string_equal(xch_error_to_string(XCH_ERROR_NOMEM),
                        libxl_error_to_string(ERROR_NOMEM));
    assert_string_equal(xch_error_to_string(XCH_ERROR_NO_FREE_DEVID),
                        "no_free_devid");
    assert_null(xch_error_to_string((xch_error)-2));

    xch_error e = XCH_ERROR_NONE;
    assert_int_equal(xch_error_from_string("Ring_Corrupt", &e), 0);
    assert_int_equal(e, XCH_ERROR_RING_CORRUPT);

    xch_xenbus_state s = XCH_XENBUS_STATE_UNKNOWN;
    assert_string_equal(xch_xenbus_state_to_string(XCH_XENBUS_STATE_CLOSING),
                        "closing");
    assert_int_equal(xch_xenbus_state_from_string("Connected", &s), 0);
    assert_int_equal(s, XCH_XENBUS_STATE_CONNECTED);
    assert_int_equal(xch_xenbus_state_from_string("connect", &s),
                     XCH_ERROR_FAIL);
    assert_int_equal(s, XCH_XENBUS_STATE_CONNECTED);
}

/* ---- round trips ----------------------------------------------------------
 */

static void test_idl_device_channel_round_trip(void **state)
{
    (void)state;
    prng_seed(3);
    for (int i = 0; i < ITERATIONS; i++) {
        libxl_device_channel l;
        xch_device_channel x, y;
        char *errmsg = NULL;

        fill_device_channel(&l, &x, 0);
        libxl_device_channel_dispose(&l);
        char *text = xch_device_channel_to_json(&x);
        assert_non_null(text);
        int rc = xch_device_channel_from_json(&y, text, &errmsg);
        if (rc)
            fail_msg("iteration %d: %s\n%s", i, errmsg, text);
        assert_null(errmsg);
        assert_device_channel_equal(&x, &y);
        char *again = xch_device_channel_to_json(&y);
        assert_string_equal(text, again);
        free(again);
        free(text);
        xch_device_channel_dispose(&x);
        xch_device_channel_dispose(&y);
    }
}

static void test_idl_channelinfo_round_trip(void **state)
{
    (void)state;
    prng_seed(4);
    for (int i = 0; i < ITERATIONS; i++) {
        libxl_channelinfo l;
        xch_channelinfo x, y;
        char *errmsg = NULL;

        fill_channelinfo(&l, &x, 0);
        libxl_channelinfo_dispose(&l);
        char *text = xch_channelinfo_to_json(&x);
        assert_non_null(text);
        int rc = xch_channelinfo_from_json(&y, text, &errmsg);
        if (rc)
            fail_msg("iteration %d: %s\n%s", i, errmsg, text);
        assert_channelinfo_equal(&x, &y);
        char *again = xch_channelinfo_to_json(&y);
        assert_string_equal(text, again);
        free(again);
        free(text);
        xch_channelinfo_dispose(&x);
        xch_channelinfo_dispose(&y);
    }
}

static void test_idl_channel_status_round_trip(void **state)
{
    (void)state;
    prng_seed(5);
    for (int i = 0; i < ITERATIONS; i++) {
        xch_channel_status x, y;
        char *errmsg = NULL;

        fill_channel_status(&x);
        char *text = xch_channel_status_to_json(&x);
        assert_non_null(text);
        int rc = xch_channel_status_from_json(&y, text, &errmsg);
        if (rc)
            fail_msg("iteration %d: %s\n%s", i, errmsg, text);
        assert_channel_status_equal(&x, &y);
        free(text);
        xch_channel_status_dispose(&x);
        xch_channel_status_dispose(&y);
    }
}

/* What libxl prints, we read back into the same value. */
static void test_idl_parses_libxl_output(void **state)
{
    (void)state;
    prng_seed(6);
    for (int i = 0; i < ITERATIONS; i++) {
        libxl_device_channel l;
        xch_device_channel x, y;

        fill_device_channel(&l, &x, 0);
        char *text = libxl_device_channel_to_json(NULL, &l);
        assert_non_null(text);
        assert_int_equal(xch_device_channel_from_json(&y, text, NULL), 0);
        assert_device_channel_equal(&x, &y);
        free(text);
        libxl_device_channel_dispose(&l);
        xch_device_channel_dispose(&x);
        xch_device_channel_dispose(&y);
    }
}

/* An array composed with _gen_json, read back with _parse_json. */
static void test_idl_status_array_gen_and_parse(void **state)
{
    enum { N = 5 };
    xch_channel_status in[N], out;
    const unsigned char *buf;
    size_t len;
    char err[128];

    (void)state;
    prng_seed(7);
    yajl_gen hand = yajl_gen_alloc(NULL);
    assert_non_null(hand);
    yajl_gen_config(hand, yajl_gen_beautify, 1);
    assert_int_equal(yajl_gen_array_open(hand), yajl_gen_status_ok);
    for (int i = 0; i < N; i++) {
        fill_channel_status(&in[i]);
        assert_int_equal(xch_channel_status_gen_json(hand, &in[i]),
                         yajl_gen_status_ok);
    }
    assert_int_equal(yajl_gen_array_close(hand), yajl_gen_status_ok);
    assert_int_equal(yajl_gen_get_buf(hand, &buf, &len), yajl_gen_status_ok);
    char *text = strndup((const char *)buf, len);
    assert_non_null(text);
    yajl_gen_free(hand);

    yajl_val tree = yajl_tree_parse(text, err, sizeof(err));
    assert_non_null(tree);
    assert_true(YAJL_IS_ARRAY(tree));
    assert_int_equal(tree->u.array.len, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(
            xch_channel_status_parse_json(&out, tree->u.array.values[i], NULL),
            0);
        assert_channel_status_equal(&in[i], &out);
        xch_channel_status_dispose(&out);
        xch_channel_status_dispose(&in[i]);
    }
    yajl_tree_free(tree);
    free(text);
}

/* ---- what the parser accepts -------------------------------------------- */

static void test_idl_from_json_ignores_unknown_keys_and_null(void **state)
{
    xch_device_channel x;
    char *errmsg = (char *)"untouched";

    (void)state;
    assert_int_equal(
        xch_device_channel_from_json(
            &x,
            "{\"future\": [1, {\"a\": null}], \"name\": null, \"devid\": 3,"
            " \"backend_domname\": \"\", \"connection.socket\":"
            " {\"path\": \"/p\", \"extra\": true}, \"devid\": 4}",
            &errmsg),
        0);
    assert_null(errmsg);
    assert_null(x.name);
    assert_int_equal(x.devid, 3); /* the first of repeated keys, as libxl */
    assert_string_equal(x.backend_domname, "");
    assert_int_equal(x.connection, XCH_CHANNEL_CONNECTION_SOCKET);
    assert_string_equal(x.u.socket.path, "/p");
    xch_device_channel_dispose(&x);

    assert_int_equal(xch_device_channel_from_json(&x, "{}", NULL), 0);
    assert_int_equal(x.devid, -1);
    assert_int_equal(x.connection, XCH_CHANNEL_CONNECTION_UNKNOWN);
    xch_device_channel_dispose(&x);

    /* Extremes of each integer type are accepted. */
    xch_channel_status st;
    assert_int_equal(
        xch_channel_status_from_json(
            &st,
            "{\"devid\": -2147483648, \"state\": 2147483647,"
            " \"backend_id\": 4294967295,"
            " \"bytes_dropped\": 18446744073709551615,"
            " \"backend_state\": \"CONNECTED\", \"client_connected\": true,"
            " \"connection.pty\": {\"path\": \"/dev/pts/3\"}}",
            NULL),
        0);
    assert_int_equal(st.devid, INT_MIN);
    assert_int_equal(st.state, INT_MAX);
    assert_int_equal(st.backend_id, UINT32_MAX);
    assert_true(st.bytes_dropped == UINT64_MAX);
    assert_int_equal(st.backend_state, XCH_XENBUS_STATE_CONNECTED);
    assert_true(st.client_connected);
    assert_string_equal(st.u.pty.path, "/dev/pts/3");
    xch_channel_status_dispose(&st);
}

/* ---- what it refuses ---------------------------------------------------- */

struct bad_json {
    const char *json;
    const char *in_message; /* a piece the message must contain */
};

static const struct bad_json bad_device_channel[] = {
    {"{\"connection.pty\": {}, \"connection.socket\": {\"path\": \"/x\"}}",
     "two members"},
    {"{\"connection.socket\": {}, \"connection.socket\": {}}", "two members"},
    {"{\"connection.serial\": {}}", "unknown member"},
    {"{\"connection.\": {}}", "unknown member"},
    {"{\"connection.pty\": 1}", "expected an object"},
    {"{\"connection.socket\": null}", "expected an object"},
    {"{\"connection.socket\": {\"path\": []}}", "connection.socket.path"},
    {"{\"connection.socket\": {\"path\": 5}}", "expected a string"},
    {"{\"devid\": \"1\"}", "devid"},
    {"{\"devid\": null}", "devid"},
    {"{\"devid\": true}", "devid"},
    {"{\"devid\": 1.5}", "devid"},
    {"{\"devid\": 1e3}", "devid"},
    {"{\"devid\": 2147483648}", "devid"},
    {"{\"devid\": -2147483649}", "devid"},
    {"{\"devid\": -99999999999999999999999999}", "devid"},
    {"{\"backend_domid\": -1}", "backend_domid"},
    {"{\"backend_domid\": -0}", "backend_domid"},
    {"{\"backend_domid\": 4294967296}", "backend_domid"},
    {"{\"backend_domid\": 99999999999999999999999}", "backend_domid"},
    {"{\"backend_domid\": {}}", "backend_domid"},
    {"{\"name\": 5}", "name"},
    {"{\"name\": {}}", "name"},
    {"{\"name\": [\"a\"]}", "name"},
    {"{\"name\": \"a\\u0000b\"}", "u0000"},
    {"{\"name\": \"\xff\"}", "invalid JSON"},
    {"{\"devid\": 1", "invalid JSON"},
    {"{\"name\": \"abc", "invalid JSON"},
    {"{\"name\" \"abc\"}", "invalid JSON"},
    {"", "invalid JSON"},
    {"   ", "invalid JSON"},
    {"{} {}", "invalid JSON"},
    {"{}x", "invalid JSON"},
    {"[]", "expected a JSON object"},
    {"[{}]", "expected a JSON object"},
    {"\"device\"", "expected a JSON object"},
    {"null", "expected a JSON object"},
    {"42", "expected a JSON object"},
};

static const struct bad_json bad_channel_status[] = {
    {"{\"backend_state\": \"bogus\"}", "unknown value \"bogus\""},
    {"{\"backend_state\": 4}", "backend_state"},
    {"{\"frontend_state\": null}", "frontend_state"},
    {"{\"client_connected\": 1}", "client_connected"},
    {"{\"client_connected\": \"true\"}", "client_connected"},
    {"{\"bytes_dropped\": 18446744073709551616}", "bytes_dropped"},
    {"{\"bytes_dropped\": -1}", "bytes_dropped"},
    {"{\"ring_errors\": 1.0}", "ring_errors"},
    {"{\"connection.pty\": {}, \"connection.unknown\": {}}", "two members"},
    {"{\"error\": false}", "error"},
};

static void check_device_channel_rejects(const struct bad_json *b)
{
    xch_device_channel x;
    char *errmsg = NULL;

    if (xch_device_channel_from_json(&x, b->json, &errmsg) != XCH_ERROR_INVAL)
        fail_msg("accepted: %s", b->json);
    assert_non_null(errmsg);
    if (!strstr(errmsg, b->in_message) || !strstr(errmsg, "device_channel"))
        fail_msg("input %s: message \"%s\" lacks \"%s\"", b->json, errmsg,
                 b->in_message);
    /* Left as _init leaves it. */
    assert_int_equal(x.devid, -1);
    assert_null(x.name);
    assert_null(x.backend_domname);
    assert_int_equal(x.backend_domid, 0);
    assert_int_equal(x.connection, XCH_CHANNEL_CONNECTION_UNKNOWN);
    xch_device_channel_dispose(&x);
    free(errmsg);

    /* Without a message wanted, the same answer. */
    assert_int_equal(xch_device_channel_from_json(&x, b->json, NULL),
                     XCH_ERROR_INVAL);
    xch_device_channel_dispose(&x);
}

static void test_idl_from_json_rejects_bad_input(void **state)
{
    (void)state;
    for (size_t i = 0;
         i < sizeof(bad_device_channel) / sizeof(bad_device_channel[0]); i++)
        check_device_channel_rejects(&bad_device_channel[i]);

    for (size_t i = 0;
         i < sizeof(bad_channel_status) / sizeof(bad_channel_status[0]); i++) {
        const struct bad_json *b = &bad_channel_status[i];
        xch_channel_status st;
        char *errmsg = NULL;

        if (xch_channel_status_from_json(&st, b->json, &errmsg) !=
            XCH_ERROR_INVAL)
            fail_msg("accepted: %s", b->json);
        assert_non_null(errmsg);
        if (!strstr(errmsg, b->in_message))
            fail_msg("input %s: message \"%s\" lacks \"%s\"", b->json, errmsg,
                     b->in_message);
        assert_int_equal(st.devid, -1);
        assert_int_equal(st.backend_state, XCH_XENBUS_STATE_UNKNOWN);
        free(errmsg);
        xch_channel_status_dispose(&st);
    }
}

/* A value half-parsed when the error comes is freed (ASan would see it). */
static void test_idl_from_json_failure_frees_partial_value(void **state)
{
    xch_channelinfo x;
    char *errmsg = NULL;

    (void)state;
    assert_int_equal(
        xch_channelinfo_from_json(&x,
                                  "{\"backend\": \"/b\", \"frontend\": "
                                  "\"/f\", \"connection.pty\": {\"path\": "
                                  "\"/dev/pts/1\"}, \"rref\": \"x\"}",
                                  &errmsg),
        XCH_ERROR_INVAL);
    assert_non_null(strstr(errmsg, "rref"));
    assert_null(x.backend);
    assert_null(x.frontend);
    assert_int_equal(x.connection, XCH_CHANNEL_CONNECTION_UNKNOWN);
    free(errmsg);
}

static void test_idl_from_json_refuses_deep_nesting_and_null(void **state)
{
    char text[4096];
    xch_device_channel x;
    char *errmsg = NULL;
    size_t n = 0;

    (void)state;
    n += (size_t)snprintf(text, sizeof(text), "{\"future\": ");
    while (n < 2000)
        text[n++] = '[';
    while (n < 3998)
        text[n++] = ']';
    text[n++] = '}';
    text[n] = '\0';
    assert_int_equal(xch_device_channel_from_json(&x, text, &errmsg),
                     XCH_ERROR_INVAL);
    assert_non_null(strstr(errmsg, "nested"));
    free(errmsg);
    xch_device_channel_dispose(&x);

    assert_int_equal(xch_device_channel_from_json(&x, NULL, &errmsg),
                     XCH_ERROR_INVAL);
    assert_non_null(errmsg);
    free(errmsg);
    xch_device_channel_dispose(&x);

    assert_int_equal(xch_device_channel_parse_json(&x, NULL, &errmsg),
                     XCH_ERROR_INVAL);
    assert_non_null(errmsg);
    free(errmsg);
    xch_device_channel_dispose(&x);
}

/* ---- copy and dispose ------------------------------------------------- */

static void test_idl_copy_is_deep(void **state)
{
    (void)state;
    prng_seed(8);
    for (int conn = 0; conn < 3; conn++) {
        xch_channel_status a, b;

        fill_channel_status(&a);
        xch_channel_status_dispose(&a);
        xch_channel_status_init(&a);
        a.backend = strdup("/local/domain/0/backend/console/1/1");
        a.name = strdup("org.example.agent");
        a.error = strdup("ring corrupt");
        xch_channel_status_init_connection(&a, (xch_channel_connection)conn);
        if (conn == XCH_CHANNEL_CONNECTION_PTY)
            a.u.pty.path = strdup("/dev/pts/7");
        if (conn == XCH_CHANNEL_CONNECTION_SOCKET)
            a.u.socket.path = strdup("/run/x.sock");
        a.bytes_to_guest = 12345;

        assert_int_equal(xch_channel_status_copy(&b, &a), 0);
        assert_channel_status_equal(&a, &b);
        assert_ptr_not_equal(a.backend, b.backend);
        assert_ptr_not_equal(a.name, b.name);
        b.name[0] = 'X';
        b.backend[0] = 'X';
        if (conn == XCH_CHANNEL_CONNECTION_PTY) {
            assert_ptr_not_equal(a.u.pty.path, b.u.pty.path);
            b.u.pty.path[0] = 'X';
            assert_string_equal(a.u.pty.path, "/dev/pts/7");
        }
        if (conn == XCH_CHANNEL_CONNECTION_SOCKET) {
            assert_ptr_not_equal(a.u.socket.path, b.u.socket.path);
            b.u.socket.path[0] = 'X';
            assert_string_equal(a.u.socket.path, "/run/x.sock");
        }
        assert_string_equal(a.name, "org.example.agent");
        assert_string_equal(a.backend, "/local/domain/0/backend/console/1/1");
        xch_channel_status_dispose(&a);
        xch_channel_status_dispose(&b);
    }

    prng_seed(9);
    for (int i = 0; i < 500; i++) {
        libxl_device_channel l;
        xch_device_channel x, y;
        xch_channelinfo ci, cj;
        libxl_channelinfo li;

        fill_device_channel(&l, &x, 0);
        assert_int_equal(xch_device_channel_copy(&y, &x), 0);
        xch_device_channel_dispose(&x); /* the copy owns its own memory */
        libxl_device_channel_dispose(&l);
        fill_device_channel(&l, &x, 0);
        xch_device_channel_dispose(&x);
        assert_int_equal(xch_device_channel_copy(&x, &y), 0);
        assert_device_channel_equal(&x, &y);
        xch_device_channel_dispose(&x);
        xch_device_channel_dispose(&y);
        libxl_device_channel_dispose(&l);

        fill_channelinfo(&li, &ci, 0);
        assert_int_equal(xch_channelinfo_copy(&cj, &ci), 0);
        assert_channelinfo_equal(&ci, &cj);
        xch_channelinfo_dispose(&ci);
        xch_channelinfo_dispose(&cj);
        libxl_channelinfo_dispose(&li);
    }
}

static void test_idl_dispose_every_member(void **state)
{
    (void)state;
    xch_device_channel_dispose(NULL);
    xch_channelinfo_dispose(NULL);
    xch_channel_status_dispose(NULL);

    for (int conn = 0; conn < 3; conn++) {
        xch_device_channel d;
        xch_channelinfo ci;
        xch_channel_status st;

        xch_device_channel_init(&d);
        xch_device_channel_init_connection(&d, (xch_channel_connection)conn);
        if (conn == XCH_CHANNEL_CONNECTION_SOCKET)
            d.u.socket.path = strdup("/s");
        d.name = strdup("n");
        xch_device_channel_dispose(&d);
        xch_device_channel_dispose(&d); /* twice is harmless */
        xch_device_channel_init(&d);    /* and it can be reused */
        assert_int_equal(d.devid, -1);
        xch_device_channel_dispose(&d);

        xch_channelinfo_init(&ci);
        xch_channelinfo_init_connection(&ci, (xch_channel_connection)conn);
        if (conn == XCH_CHANNEL_CONNECTION_PTY)
            ci.u.pty.path = strdup("/dev/pts/0");
        xch_channelinfo_dispose(&ci);

        xch_channel_status_init(&st);
        xch_channel_status_init_connection(&st, (xch_channel_connection)conn);
        if (conn == XCH_CHANNEL_CONNECTION_PTY)
            st.u.pty.path = strdup("/dev/pts/0");
        if (conn == XCH_CHANNEL_CONNECTION_SOCKET)
            st.u.socket.path = strdup("/s");
        st.error = strdup("e");
        xch_channel_status_dispose(&st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idl_device_channel_json_matches_libxl),
        cmocka_unit_test(test_idl_channelinfo_json_matches_libxl),
        cmocka_unit_test(test_idl_json_layout_is_libxl_layout),
        cmocka_unit_test(test_idl_connection_strings_match_libxl),
        cmocka_unit_test(test_idl_connection_json_matches_libxl),
        cmocka_unit_test(test_idl_error_values_match_libxl),
        cmocka_unit_test(test_idl_device_channel_round_trip),
        cmocka_unit_test(test_idl_channelinfo_round_trip),
        cmocka_unit_test(test_idl_channel_status_round_trip),
        cmocka_unit_test(test_idl_parses_libxl_output),
        cmocka_unit_test(test_idl_status_array_gen_and_parse),
        cmocka_unit_test(test_idl_from_json_ignores_unknown_keys_and_null),
        cmocka_unit_test(test_idl_from_json_rejects_bad_input),
        cmocka_unit_test(test_idl_from_json_failure_frees_partial_value),
        cmocka_unit_test(test_idl_from_json_refuses_deep_nesting_and_null),
        cmocka_unit_test(test_idl_copy_is_deep),
        cmocka_unit_test(test_idl_dispose_every_member),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
