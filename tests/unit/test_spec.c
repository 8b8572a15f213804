/*
 * test_spec.c - xch_channel_spec_parse and the name, path and devid
 * checks: every rule of SPEC §2, accepted forms and errors, and that each
 * error message quotes the input it is about.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xenchannel.h"

/* The parts an error message must contain, as a NULL-terminated array. */
#define PARTS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Parses spec, which must be valid, into *ch (initialised here). */
static void parse_ok(const char *spec, xch_device_channel *ch)
{
    char *msg = NULL;
    int rc;

    xch_device_channel_init(ch);
    rc = xch_channel_spec_parse(spec, ch, NULL, &msg);
    if (rc)
        fail_msg("spec \"%s\" refused (rc %d): %s", spec, rc,
                 msg ? msg : "(no message)");
    assert_null(msg);
}

/* Checks that msg contains every one of parts. */
static void assert_message_has(const char *msg, const char *const *parts)
{
    assert_non_null(msg);
    for (; *parts; parts++)
        if (!strstr(msg, *parts))
            fail_msg("message '%s' lacks '%s'", msg, *parts);
}

/*
 * Parses spec, which must be refused with XCH_ERROR_INVAL, leaving the
 * channel empty, with a message containing each of parts.
 */
static void parse_fails(const char *spec, const char *const *parts)
{
    xch_device_channel ch;
    char *msg = NULL;
    int rc;

    xch_device_channel_init(&ch);
    rc = xch_channel_spec_parse(spec, &ch, NULL, &msg);
    if (rc != XCH_ERROR_INVAL)
        fail_msg("spec \"%s\": rc %d, expected XCH_ERROR_INVAL", spec, rc);
    assert_null(ch.name);
    assert_null(ch.backend_domname);
    assert_int_equal(ch.devid, -1);
    assert_int_equal(ch.connection, XCH_CHANNEL_CONNECTION_UNKNOWN);
    assert_message_has(msg, parts);
    free(msg);
    xch_device_channel_dispose(&ch);
}

/* As parse_fails, for one of the checks taking a string. */
static void check_fails(int (*check)(const char *, char **), const char *s,
                        const char *const *parts)
{
    char *msg = NULL;

    assert_int_equal(check(s, &msg), XCH_ERROR_INVAL);
    assert_message_has(msg, parts);
    free(msg);
}

/* ---- accepted forms ---------------------------------------------------- */

static void test_spec_parses_socket_channel(void **state)
{
    xch_device_channel ch;

    (void)state;
    parse_ok("connection=socket,path=/run/xenchannel/a.sock,"
             "name=org.qemu.guest_agent.0",
             &ch);
    assert_string_equal(ch.name, "org.qemu.guest_agent.0");
    assert_int_equal(ch.connection, XCH_CHANNEL_CONNECTION_SOCKET);
    assert_string_equal(ch.u.socket.path, "/run/xenchannel/a.sock");
    assert_int_equal(ch.devid, -1);
    assert_null(ch.backend_domname);
    assert_int_equal(ch.backend_domid, 0);
    xch_device_channel_dispose(&ch);
}

static void test_spec_parses_pty_channel(void **state)
{
    xch_device_channel ch;

    (void)state;
    parse_ok("connection=pty,name=org.example.console", &ch);
    assert_string_equal(ch.name, "org.example.console");
    assert_int_equal(ch.connection, XCH_CHANNEL_CONNECTION_PTY);
    assert_int_equal(ch.devid, -1);
    assert_null(ch.backend_domname);
    xch_device_channel_dispose(&ch);
}

static void test_spec_trims_whitespace(void **state)
{
    xch_device_channel ch;

    (void)state;
    parse_ok("  name = a.b ,\tconnection=\tsocket\t, path =  /run/x.sock  ",
             &ch);
    assert_string_equal(ch.name, "a.b");
    assert_int_equal(ch.connection, XCH_CHANNEL_CONNECTION_SOCKET);
    assert_string_equal(ch.u.socket.path, "/run/x.sock");
    xch_device_channel_dispose(&ch);
}

static void test_spec_skips_empty_pieces(void **state)
{
    xch_device_channel ch;

    (void)state;
    parse_ok(",,name=x,, ,connection=pty,", &ch);
    assert_string_equal(ch.name, "x");
    assert_int_equal(ch.connection, XCH_CHANNEL_CONNECTION_PTY);
    xch_device_channel_dispose(&ch);
}

static void test_spec_accepts_keys_in_any_order(void **state)
{
    xch_device_channel a, b;

    (void)state;
    parse_ok("name=n,connection=socket,path=/p,devid=2,backend=1", &a);
    parse_ok("backend=1,devid=2,path=/p,connection=socket,name=n", &b);
    assert_string_equal(a.name, b.name);
    assert_int_equal(a.connection, b.connection);
    assert_string_equal(a.u.socket.path, b.u.socket.path);
    assert_int_equal(a.devid, b.devid);
    assert_string_equal(a.backend_domname, b.backend_domname);
    xch_device_channel_dispose(&a);
    xch_device_channel_dispose(&b);
}

static void test_spec_connection_is_case_insensitive(void **state)
{
    xch_device_channel ch;

    (void)state;
    parse_ok("connection=PTY,name=x", &ch);
    assert_int_equal(ch.connection, XCH_CHANNEL_CONNECTION_PTY);
    xch_device_channel_dispose(&ch);
    parse_ok("connection=SoCkEt,name=x,path=/s", &ch);
    assert_int_equal(ch.connection, XCH_CHANNEL_CONNECTION_SOCKET);
    xch_device_channel_dispose(&ch);
}

static void test_spec_accepts_devid(void **state)
{
    xch_device_channel ch;

    (void)state;
    parse_ok("connection=pty,name=x,devid=3", &ch);
    assert_int_equal(ch.devid, 3);
    xch_device_channel_dispose(&ch);
    parse_ok("connection=pty,name=x,devid=9999", &ch);
    assert_int_equal(ch.devid, 9999);
    xch_device_channel_dispose(&ch);
    parse_ok("connection=pty,name=x,devid=1", &ch);
    assert_int_equal(ch.devid, 1);
    xch_device_channel_dispose(&ch);
}

static void test_spec_keeps_backend_name_verbatim(void **state)
{
    xch_device_channel ch;

    (void)state;
    parse_ok("backend=Driver-Dom,connection=pty,name=x", &ch);
    assert_string_equal(ch.backend_domname, "Driver-Dom");
    assert_int_equal(ch.backend_domid, 0);
    xch_device_channel_dispose(&ch);
}

static void test_spec_keeps_backend_id_verbatim(void **state)
{
    xch_device_channel ch;

    (void)state;
    parse_ok("backend=7,connection=pty,name=x", &ch);
    assert_string_equal(ch.backend_domname, "7");
    assert_int_equal(ch.backend_domid, 0);
    xch_device_channel_dispose(&ch);
}

static void test_spec_accepts_every_name_character(void **state)
{
    xch_device_channel ch;

    (void)state;
    parse_ok("connection=pty,name=ABCXYZabcxyz0189._-:+@", &ch);
    assert_string_equal(ch.name, "ABCXYZabcxyz0189._-:+@");
    xch_device_channel_dispose(&ch);
    parse_ok("connection=pty,name=...", &ch);
    assert_string_equal(ch.name, "...");
    xch_device_channel_dispose(&ch);
}

static void test_spec_accepts_name_of_64_bytes(void **state)
{
    char spec[128];
    char name[XCH_CHANNEL_NAME_MAX + 1];
    xch_device_channel ch;

    (void)state;
    memset(name, 'n', XCH_CHANNEL_NAME_MAX);
    name[XCH_CHANNEL_NAME_MAX] = '\0';
    snprintf(spec, sizeof(spec), "connection=pty,name=%s", name);
    parse_ok(spec, &ch);
    assert_string_equal(ch.name, name);
    xch_device_channel_dispose(&ch);
}

static void test_spec_accepts_path_of_107_bytes(void **state)
{
    char spec[256];
    char path[XCH_CHANNEL_PATH_MAX + 1];
    xch_device_channel ch;

    (void)state;
    memset(path, 'p', XCH_CHANNEL_PATH_MAX);
    path[0] = '/';
    path[XCH_CHANNEL_PATH_MAX] = '\0';
    snprintf(spec, sizeof(spec), "connection=socket,name=x,path=%s", path);
    parse_ok(spec, &ch);
    assert_string_equal(ch.u.socket.path, path);
    xch_device_channel_dispose(&ch);
}

static void test_spec_accepts_dots_in_path_names(void **state)
{
    xch_device_channel ch;

    (void)state;
    parse_ok("connection=socket,name=x,path=/run/..x/x../.a/./b", &ch);
    assert_string_equal(ch.u.socket.path, "/run/..x/x../.a/./b");
    xch_device_channel_dispose(&ch);
}

static void test_spec_parse_disposes_previous_content(void **state)
{
    xch_device_channel ch;
    char *msg = NULL;

    (void)state;
    parse_ok("connection=socket,name=first,path=/a,backend=b,devid=4", &ch);
    /* Parsing again into the same struct frees what it held (ASan checks
     * that nothing leaks) and leaves nothing of it behind. */
    assert_int_equal(
        xch_channel_spec_parse("connection=pty,name=second", &ch, NULL, &msg),
        0);
    assert_null(msg);
    assert_string_equal(ch.name, "second");
    assert_int_equal(ch.connection, XCH_CHANNEL_CONNECTION_PTY);
    assert_null(ch.backend_domname);
    assert_int_equal(ch.devid, -1);
    xch_device_channel_dispose(&ch);
}

static void test_spec_error_empties_previous_content(void **state)
{
    xch_device_channel ch;
    char *msg = NULL;

    (void)state;
    parse_ok("connection=socket,name=first,path=/a,backend=b,devid=4", &ch);
    assert_int_equal(xch_channel_spec_parse("connection=pty", &ch, NULL, &msg),
                     XCH_ERROR_INVAL);
    assert_non_null(msg);
    assert_null(ch.name);
    assert_null(ch.backend_domname);
    assert_int_equal(ch.devid, -1);
    assert_int_equal(ch.connection, XCH_CHANNEL_CONNECTION_UNKNOWN);
    free(msg);
    xch_device_channel_dispose(&ch);
}

static void test_spec_errmsg_may_be_null(void **state)
{
    xch_device_channel ch;

    (void)state;
    xch_device_channel_init(&ch);
    assert_int_equal(xch_channel_spec_parse("name=x", &ch, NULL, NULL),
                     XCH_ERROR_INVAL);
    assert_int_equal(
        xch_channel_spec_parse("name=x,connection=pty", &ch, NULL, NULL), 0);
    assert_string_equal(ch.name, "x");
    xch_device_channel_dispose(&ch);
}

/* ---- errors ------------------------------------------------------------ */

static void test_spec_rejects_null_spec(void **state)
{
    (void)state;
    parse_fails(NULL, PARTS("no channel spec"));
}

static void test_spec_rejects_empty_spec(void **state)
{
    (void)state;
    parse_fails("", PARTS("channel spec \"\" is empty"));
}

static void test_spec_rejects_only_commas_and_spaces(void **state)
{
    (void)state;
    parse_fails(" , ,,\t", PARTS("channel spec \" , ,,\\x09\" is empty"));
}

static void test_spec_rejects_piece_without_equals(void **state)
{
    (void)state;
    parse_fails("connection=socket,name=x,path",
                PARTS("piece \"path\"", "has no value"));
}

static void test_spec_rejects_empty_value(void **state)
{
    (void)state;
    parse_fails("connection=pty,name=",
                PARTS("piece \"name=\"", "empty value"));
    parse_fails("connection=pty,name =  ,x=y",
                PARTS("piece \"name =\"", "empty value"));
}

static void test_spec_rejects_empty_key(void **state)
{
    (void)state;
    parse_fails("connection=pty,name=x, = y", PARTS("piece \"= y\"", "no key"));
}

static void test_spec_rejects_second_equals(void **state)
{
    (void)state;
    parse_fails("connection=socket,name=x,path=/a=b",
                PARTS("piece \"path=/a=b\"", "second '='"));
}

static void test_spec_rejects_unknown_key(void **state)
{
    (void)state;
    parse_fails(
        "conection=pty,name=x",
        PARTS("unknown key \"conection\" (valid keys: backend, connection, "
              "devid, limit, name, path)"));
}

/* limit= (our extension): bytes, K or M, 4K..1024M, into the options. */
static void test_spec_limit_takes_bytes_k_and_m(void **state)
{
    static const struct {
        const char *value;
        uint64_t bytes;
    } ok[] = {{"4096", 4096},      {"4K", 4096},         {"64k", 65536},
              {"16M", 16UL << 20}, {"1024M", 1UL << 30}, {" 2M ", 2UL << 20}};
    xch_device_channel ch;
    xch_channel_options opts;
    char spec[64], *msg = NULL;
    size_t i;

    (void)state;
    xch_device_channel_init(&ch);
    xch_channel_options_init(&opts);
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(spec, sizeof(spec), "name=x,connection=pty,limit=%s",
                 ok[i].value);
        assert_int_equal(xch_channel_spec_parse(spec, &ch, &opts, &msg), 0);
        assert_null(msg);
        assert_int_equal(opts.limit, ok[i].bytes);
    }
    /* Without limit=, the backend's default. */
    assert_int_equal(
        xch_channel_spec_parse("name=x,connection=pty", &ch, &opts, &msg), 0);
    assert_int_equal(opts.limit, 0);
    xch_device_channel_dispose(&ch);
    xch_channel_options_dispose(&opts);
}

static void test_spec_limit_rejects_bad_sizes(void **state)
{
    static const char *const bad[] = {
        "0",  "4095", "3K", "1025M",  "2G",   "1.5M",
        "-1", "10X",  "K",  "0x1000", "016M", "99999999999999999999"};
    xch_device_channel ch;
    xch_channel_options opts;
    char spec[64], *msg = NULL;
    size_t i;

    (void)state;
    xch_device_channel_init(&ch);
    xch_channel_options_init(&opts);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(spec, sizeof(spec), "name=x,connection=pty,limit=%s", bad[i]);
        assert_int_equal(xch_channel_spec_parse(spec, &ch, &opts, &msg),
                         XCH_ERROR_INVAL);
        assert_non_null(msg);
        if (!strstr(msg, "limit") || !strstr(msg, bad[i]))
            fail_msg("message '%s' does not name limit %s", msg, bad[i]);
        assert_int_equal(opts.limit, 0);
        assert_null(ch.name);
        free(msg);
        msg = NULL;
    }
}

/* A caller that takes no options gets limit= refused, not ignored. */
static void test_spec_limit_needs_options(void **state)
{
    (void)state;
    parse_fails("name=x,connection=pty,limit=64K",
                PARTS("limit= is not supported here"));
}

static void test_spec_rejects_upper_case_key(void **state)
{
    (void)state;
    parse_fails("connection=pty,Name=x", PARTS("unknown key \"Name\""));
}

static void test_spec_rejects_repeated_key(void **state)
{
    (void)state;
    parse_fails("connection=pty,name=a,name=b",
                PARTS("key \"name\"", "given twice"));
    /* Even when both values are the same. */
    parse_fails("connection=pty,connection=pty,name=a",
                PARTS("key \"connection\"", "given twice"));
}

static void test_spec_rejects_control_character_in_value(void **state)
{
    (void)state;
    parse_fails("connection=pty,name=x,backend=dom\x01u",
                PARTS("value \"dom\\x01u\" of backend", "control character"));
    parse_fails("connection=socket,name=x,path=/a\tb",
                PARTS("value \"/a\\x09b\" of path", "control character"));
    parse_fails("connection=socket,name=x,path=/a\x7f",
                PARTS("value \"/a\\x7f\" of path", "control character"));
}

static void test_spec_rejects_quote_in_value(void **state)
{
    (void)state;
    parse_fails("connection=pty,name=x,backend=a\"b",
                PARTS("value \"a\\\"b\" of backend", "'\"'"));
}

static void test_spec_rejects_missing_name(void **state)
{
    (void)state;
    parse_fails("connection=pty", PARTS("no name= given"));
}

static void test_spec_rejects_missing_connection(void **state)
{
    (void)state;
    parse_fails("name=x,path=/a", PARTS("no connection= given"));
}

static void test_spec_rejects_unknown_connection(void **state)
{
    (void)state;
    parse_fails("connection=serial,name=x",
                PARTS("unknown connection \"serial\"", "pty, socket"));
    /* The enum's default value is a valid string, not a valid choice. */
    parse_fails("connection=unknown,name=x",
                PARTS("unknown connection \"unknown\""));
}

/* An extension of xl's syntax: attaching makes the path. */
static void test_spec_socket_without_path_gets_one_later(void **state)
{
    xch_device_channel ch;

    (void)state;
    parse_ok("connection=socket,name=x", &ch);
    assert_int_equal(ch.connection, XCH_CHANNEL_CONNECTION_SOCKET);
    assert_null(ch.u.socket.path);
    xch_device_channel_dispose(&ch);
}

static void test_spec_rejects_pty_with_path(void **state)
{
    (void)state;
    parse_fails("connection=pty,name=x,path=/a",
                PARTS("path \"/a\"", "not allowed with a pty"));
}

static void test_spec_rejects_relative_path(void **state)
{
    (void)state;
    parse_fails("connection=socket,name=x,path=run/a.sock",
                PARTS("path \"run/a.sock\" is not absolute"));
}

static void test_spec_rejects_path_too_long(void **state)
{
    char spec[256];
    char path[XCH_CHANNEL_PATH_MAX + 2];

    (void)state;
    memset(path, 'p', XCH_CHANNEL_PATH_MAX + 1);
    path[0] = '/';
    path[XCH_CHANNEL_PATH_MAX + 1] = '\0';
    snprintf(spec, sizeof(spec), "connection=socket,name=x,path=%s", path);
    parse_fails(spec, PARTS(path, "too long", "108 bytes"));
}

static void test_spec_rejects_dotdot_in_path(void **state)
{
    (void)state;
    parse_fails("connection=socket,name=x,path=/run/../etc/a",
                PARTS("path \"/run/../etc/a\"", "\"..\" component"));
    parse_fails("connection=socket,name=x,path=/run/..",
                PARTS("path \"/run/..\"", "\"..\" component"));
    parse_fails("connection=socket,name=x,path=/../a",
                PARTS("path \"/../a\"", "\"..\" component"));
}

static void test_spec_rejects_path_ending_in_slash(void **state)
{
    (void)state;
    parse_fails("connection=socket,name=x,path=/run/",
                PARTS("path \"/run/\"", "ends in '/'"));
}

static void test_spec_rejects_name_too_long(void **state)
{
    char spec[128];
    char name[XCH_CHANNEL_NAME_MAX + 2];

    (void)state;
    memset(name, 'n', XCH_CHANNEL_NAME_MAX + 1);
    name[XCH_CHANNEL_NAME_MAX + 1] = '\0';
    snprintf(spec, sizeof(spec), "connection=pty,name=%s", name);
    parse_fails(spec, PARTS(name, "too long", "65 bytes"));
}

static void test_spec_rejects_bad_name_character(void **state)
{
    (void)state;
    parse_fails("connection=pty,name=a/b",
                PARTS("channel name \"a/b\"", "contains \"/\""));
    parse_fails("connection=pty,name=a b",
                PARTS("channel name \"a b\"", "contains \" \""));
    parse_fails("connection=pty,name=caf\xc3\xa9",
                PARTS("channel name \"caf\\xc3\\xa9\"", "contains \"\\xc3\""));
}

static void test_spec_rejects_dot_names(void **state)
{
    (void)state;
    parse_fails("connection=pty,name=.",
                PARTS("channel name \".\" is not allowed"));
    parse_fails("connection=pty,name=..",
                PARTS("channel name \"..\" is not allowed"));
}

static void test_spec_rejects_devid_zero(void **state)
{
    (void)state;
    parse_fails("connection=pty,name=x,devid=0",
                PARTS("devid \"0\"", "out of range", "primary console"));
}

static void test_spec_rejects_devid_out_of_range(void **state)
{
    (void)state;
    parse_fails("connection=pty,name=x,devid=10000",
                PARTS("devid \"10000\"", "out of range"));
    parse_fails("connection=pty,name=x,devid=99999999999999999999999",
                PARTS("devid \"99999999999999999999999\"", "out of range"));
}

static void test_spec_rejects_devid_not_decimal(void **state)
{
    (void)state;
    parse_fails("connection=pty,name=x,devid=+1",
                PARTS("devid \"+1\"", "not a decimal number"));
    parse_fails("connection=pty,name=x,devid=-1",
                PARTS("devid \"-1\"", "not a decimal number"));
    parse_fails("connection=pty,name=x,devid=1x",
                PARTS("devid \"1x\"", "not a decimal number"));
    parse_fails("connection=pty,name=x,devid=0x1",
                PARTS("devid \"0x1\"", "not a decimal number"));
    parse_fails("connection=pty,name=x,devid=1 2",
                PARTS("devid \"1 2\"", "not a decimal number"));
}

/* ---- the checks on their own ------------------------------------------ */

static void test_name_check(void **state)
{
    char *msg = NULL;

    (void)state;
    assert_int_equal(xch_channel_name_check("org.qemu.guest_agent.0", &msg), 0);
    assert_null(msg);
    check_fails(xch_channel_name_check, "", PARTS("channel name is empty"));
    check_fails(xch_channel_name_check, "a\nb",
                PARTS("channel name \"a\\x0ab\"", "contains \"\\x0a\""));
    assert_int_equal(xch_channel_name_check(NULL, NULL), XCH_ERROR_INVAL);
}

static void test_path_check(void **state)
{
    char *msg = NULL;

    (void)state;
    assert_int_equal(xch_channel_path_check("/run/a.sock", &msg), 0);
    assert_null(msg);
    check_fails(xch_channel_path_check, "", PARTS("path is empty"));
    check_fails(xch_channel_path_check, "/a\nb",
                PARTS("path \"/a\\x0ab\"", "control character"));
    check_fails(xch_channel_path_check, "/a\"b", PARTS("path \"/a\\\"b\""));
    assert_int_equal(xch_channel_path_check("x", NULL), XCH_ERROR_INVAL);
}

static void test_devid_parse(void **state)
{
    char *msg = NULL;
    int devid = -1;

    (void)state;
    assert_int_equal(xch_channel_devid_parse("0042", &devid, &msg), 0);
    assert_int_equal(devid, 42);
    assert_null(msg);
    devid = -1;
    assert_int_equal(xch_channel_devid_parse("", &devid, &msg),
                     XCH_ERROR_INVAL);
    assert_non_null(strstr(msg, "devid is empty"));
    free(msg);
    /* A refused devid leaves the output alone. */
    assert_int_equal(devid, -1);
}

static void test_quote_escapes(void **state)
{
    char *q;

    (void)state;
    q = xch_channel_quote("a\"b\\c\x1b[0m\xff d");
    assert_string_equal(q, "\"a\\\"b\\\\c\\x1b[0m\\xff d\"");
    free(q);
    q = xch_channel_quote("");
    assert_string_equal(q, "\"\"");
    free(q);
}

/* Values go to xenstore and JSON: they must be well-formed UTF-8. */
static void test_spec_rejects_invalid_utf8(void **state)
{
    (void)state;
    parse_fails("name=x,connection=socket,path=/run/\xff.sock",
                PARTS("value \"/run/\\xff.sock\" of path is not valid "
                      "UTF-8"));
    parse_fails("name=x,connection=pty,backend=dom\xc0\xaf",
                PARTS("of backend is not valid UTF-8"));
    parse_fails("name=x,connection=socket,path=/run/\xed\xa0\x80",
                PARTS("not valid UTF-8")); /* a surrogate */
    assert_int_equal(xch_channel_path_check("/run/\xe2\x82", NULL),
                     XCH_ERROR_INVAL);
    assert_int_equal(
        xch_channel_path_check("/run/caf\xc3\xa9/\xf0\x9f\x90\xa7", NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_parses_socket_channel),
        cmocka_unit_test(test_spec_parses_pty_channel),
        cmocka_unit_test(test_spec_trims_whitespace),
        cmocka_unit_test(test_spec_skips_empty_pieces),
        cmocka_unit_test(test_spec_accepts_keys_in_any_order),
        cmocka_unit_test(test_spec_connection_is_case_insensitive),
        cmocka_unit_test(test_spec_accepts_devid),
        cmocka_unit_test(test_spec_keeps_backend_name_verbatim),
        cmocka_unit_test(test_spec_keeps_backend_id_verbatim),
        cmocka_unit_test(test_spec_accepts_every_name_character),
        cmocka_unit_test(test_spec_accepts_name_of_64_bytes),
        cmocka_unit_test(test_spec_accepts_path_of_107_bytes),
        cmocka_unit_test(test_spec_accepts_dots_in_path_names),
        cmocka_unit_test(test_spec_parse_disposes_previous_content),
        cmocka_unit_test(test_spec_error_empties_previous_content),
        cmocka_unit_test(test_spec_errmsg_may_be_null),
        cmocka_unit_test(test_spec_rejects_null_spec),
        cmocka_unit_test(test_spec_rejects_empty_spec),
        cmocka_unit_test(test_spec_rejects_only_commas_and_spaces),
        cmocka_unit_test(test_spec_rejects_piece_without_equals),
        cmocka_unit_test(test_spec_rejects_empty_value),
        cmocka_unit_test(test_spec_rejects_empty_key),
        cmocka_unit_test(test_spec_rejects_second_equals),
        cmocka_unit_test(test_spec_rejects_unknown_key),
        cmocka_unit_test(test_spec_limit_takes_bytes_k_and_m),
        cmocka_unit_test(test_spec_limit_rejects_bad_sizes),
        cmocka_unit_test(test_spec_limit_needs_options),
        cmocka_unit_test(test_spec_rejects_invalid_utf8),
        cmocka_unit_test(test_spec_rejects_upper_case_key),
        cmocka_unit_test(test_spec_rejects_repeated_key),
        cmocka_unit_test(test_spec_rejects_control_character_in_value),
        cmocka_unit_test(test_spec_rejects_quote_in_value),
        cmocka_unit_test(test_spec_rejects_missing_name),
        cmocka_unit_test(test_spec_rejects_missing_connection),
        cmocka_unit_test(test_spec_rejects_unknown_connection),
        cmocka_unit_test(test_spec_socket_without_path_gets_one_later),
        cmocka_unit_test(test_spec_rejects_pty_with_path),
        cmocka_unit_test(test_spec_rejects_relative_path),
        cmocka_unit_test(test_spec_rejects_path_too_long),
        cmocka_unit_test(test_spec_rejects_dotdot_in_path),
        cmocka_unit_test(test_spec_rejects_path_ending_in_slash),
        cmocka_unit_test(test_spec_rejects_name_too_long),
        cmocka_unit_test(test_spec_rejects_bad_name_character),
        cmocka_unit_test(test_spec_rejects_dot_names),
        cmocka_unit_test(test_spec_rejects_devid_zero),
        cmocka_unit_test(test_spec_rejects_devid_out_of_range),
        cmocka_unit_test(test_spec_rejects_devid_not_decimal),
        cmocka_unit_test(test_name_check),
        cmocka_unit_test(test_path_check),
        cmocka_unit_test(test_devid_parse),
        cmocka_unit_test(test_quote_escapes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
