/*
 * test_ts_values.c - the toolstack's checks that need no xenstore: strict
 * parsing of numbers a guest may have written, backend paths, the control
 * socket path, and the arguments attach and detach refuse before they
 * touch xenstore (the context below has no connection: reaching xenstore
 * would crash the test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void test_parse_ulong_accepts_plain_decimal(void **state)
{
    unsigned long v = 99;

    (void)state;
    assert_int_equal(xch__parse_ulong("0", 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(xch__parse_ulong("8", 8, &v), 0);
    assert_int_equal(v, 8);
    assert_int_equal(
        xch__parse_ulong("18446744073709551615", (unsigned long)-1, &v), 0);
    assert_true(v == (unsigned long)-1);
}

static void test_parse_ulong_rejects_anything_else(void **state)
{
    static const char *const bad[] = {
        "", "00", "007", "-1", "+1", " 1", "1 ", "1x", "0x10", "4\n", "１",
    };
    unsigned long v = 99;
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_SIZE(bad); i++)
        assert_int_equal(xch__parse_ulong(bad[i], 1000, &v), XCH_ERROR_INVAL);
    assert_int_equal(xch__parse_ulong(NULL, 1000, &v), XCH_ERROR_INVAL);
    assert_int_equal(xch__parse_ulong("9", 8, &v), XCH_ERROR_INVAL);
    assert_int_equal(xch__parse_ulong("5", 0, &v), XCH_ERROR_INVAL);
    assert_int_equal(
        xch__parse_ulong("18446744073709551616", (unsigned long)-1, &v),
        XCH_ERROR_INVAL);
    assert_int_equal(v, 99); /* untouched on error */
}

static void test_backend_path_domid(void **state)
{
    static const char *const bad[] = {
        "/local/domain/03/backend/console/1/1",
        "/local/domain/x/backend",
        "/local/domain/3",
        "/local/domain//backend",
        "/local/domains/3/backend",
        "/other/3/backend",
        "/local/domain/32752/backend",
        "",
    };
    uint32_t domid = 77;
    size_t i;

    (void)state;
    assert_int_equal(
        xch__backend_path_domid("/local/domain/3/backend/console/1/1", &domid),
        0);
    assert_int_equal(domid, 3);
    assert_int_equal(xch__backend_path_domid("/local/domain/0/x", &domid), 0);
    assert_int_equal(domid, 0);
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        domid = 77;
        assert_int_equal(xch__backend_path_domid(bad[i], &domid),
                         XCH_ERROR_INVAL);
        assert_int_equal(domid, 77);
    }
}

static void test_device_paths(void **state)
{
    char *fe = xch__fe_path(5, 2), *be = xch__be_path(3, 5, 2);
    char *lx = xch__lx_path(5, 2);

    (void)state;
    assert_string_equal(fe, "/local/domain/5/device/console/2");
    assert_string_equal(be, "/local/domain/3/backend/console/5/2");
    assert_string_equal(lx, "/libxl/5/device/console/2");
    free(fe);
    free(be);
    free(lx);
}

static void test_control_path(void **state)
{
    (void)state;
    assert_int_equal(unsetenv(XCH_CONTROL_PATH_ENV), 0);
    assert_string_equal(xch_control_path(), "/run/xenchannel/control.sock");
    assert_int_equal(setenv(XCH_CONTROL_PATH_ENV, "", 1), 0);
    assert_string_equal(xch_control_path(), XCH_CONTROL_PATH_DEFAULT);
    assert_int_equal(setenv(XCH_CONTROL_PATH_ENV, "/tmp/c.sock", 1), 0);
    assert_string_equal(xch_control_path(), "/tmp/c.sock");
    assert_int_equal(unsetenv(XCH_CONTROL_PATH_ENV), 0);
}

/* Calls xch_channel_add with chan on a context without a connection and
 * checks it refuses with XCH_ERROR_INVAL and a message containing what. */
static void add_refused(xch_device_channel *chan, const char *what)
{
    xch_ctx *ctx = NULL;
    char *errmsg = NULL;
    int devid = chan->devid;

    assert_int_equal(xch_ctx_open_xs(&ctx, NULL), 0);
    assert_int_equal(xch_channel_add(ctx, 1, chan, NULL, &errmsg),
                     XCH_ERROR_INVAL);
    assert_non_null(errmsg);
    if (!strstr(errmsg, what))
        fail_msg("message \"%s\" does not mention \"%s\"", errmsg, what);
    assert_int_equal(chan->devid, devid);
    free(errmsg);
    xch_ctx_free(ctx);
}

/* The same for a socket channel without a path under socket_dir. */
static void add_refused_opts(xch_device_channel *chan, const char *socket_dir,
                             const char *what)
{
    xch_channel_options opts;
    xch_ctx *ctx = NULL;
    char *errmsg = NULL;

    xch_channel_options_init(&opts);
    opts.socket_dir = strdup(socket_dir);
    assert_non_null(opts.socket_dir);
    assert_int_equal(xch_ctx_open_xs(&ctx, NULL), 0);
    assert_int_equal(xch_channel_add(ctx, 1, chan, &opts, &errmsg),
                     XCH_ERROR_INVAL);
    assert_non_null(errmsg);
    if (!strstr(errmsg, what))
        fail_msg("message \"%s\" does not mention \"%s\"", errmsg, what);
    free(errmsg);
    xch_ctx_free(ctx);
    xch_channel_options_dispose(&opts);
}

static void test_add_refuses_bad_channels(void **state)
{
    xch_device_channel chan;

    (void)state;
    xch_device_channel_init(&chan);
    xch_device_channel_init_connection(&chan, XCH_CHANNEL_CONNECTION_PTY);
    add_refused(&chan, "no name");

    chan.name = strdup("a/b");
    add_refused(&chan, "a/b");
    free(chan.name);
    chan.name = strdup("org.test");

    chan.devid = 0;
    add_refused(&chan, "devid 0");
    chan.devid = 10000;
    add_refused(&chan, "devid 10000");
    chan.devid = -1;

    xch_device_channel_dispose(&chan);
    xch_device_channel_init(&chan);
    chan.name = strdup("org.test");
    add_refused(&chan, "no connection");

    xch_device_channel_dispose(&chan);
    xch_device_channel_init(&chan);
    xch_device_channel_init_connection(&chan, XCH_CHANNEL_CONNECTION_SOCKET);
    chan.name = strdup("org.test");
    add_refused_opts(&chan, "relative-dir", "relative-dir");
    chan.u.socket.path = strdup("relative/path");
    add_refused(&chan, "relative/path");
    xch_device_channel_dispose(&chan);
}

static void test_remove_refuses_bad_devids(void **state)
{
    static const int bad[] = {0, -1, 10000};
    xch_ctx *ctx = NULL;
    char *errmsg = NULL;
    size_t i;

    (void)state;
    assert_int_equal(xch_ctx_open_xs(&ctx, NULL), 0);
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(
            xch_channel_remove(ctx, 1, bad[i], false, 1000, &errmsg),
            XCH_ERROR_NOTFOUND);
        assert_non_null(errmsg);
        free(errmsg);
        errmsg = NULL;
    }
    xch_ctx_free(ctx);
    xch_ctx_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ulong_accepts_plain_decimal),
        cmocka_unit_test(test_parse_ulong_rejects_anything_else),
        cmocka_unit_test(test_backend_path_domid),
        cmocka_unit_test(test_device_paths),
        cmocka_unit_test(test_control_path),
        cmocka_unit_test(test_add_refuses_bad_channels),
        cmocka_unit_test(test_remove_refuses_bad_devids),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
