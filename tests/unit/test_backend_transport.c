/*
 * test_backend_transport.c - the daemon's host endpoints: the unix socket
 * transport (mode, stale sockets, refusals, one client at a time, passed
 * sockets, removal) and the pty transport (raw, no client until the slave
 * is opened, hangup when it is closed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

#include "../../backend/transport.h"

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/xcd-tp-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/chan.sock", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        close(fd);
        return -1;
    }
    return fd;
}

static int listen_at(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 4), 0);
    return fd;
}

static void test_socket_listens_with_mode_and_one_client(void **state)
{
    fixture *f = *state;
    xcd_transport_config cfg = {.path = f->path, .mode = 0640, .passed_fd = -1};
    xcd_transport t;
    struct stat st;
    char *msg = NULL;
    int c1, c2;

    xcd_transport_init(&t, &xcd_transport_socket_ops);
    assert_int_equal(t.ops->open(&t, &cfg, &msg), 0);
    assert_int_equal(stat(f->path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_int_equal(t.client_fd, -1);
    assert_int_equal(t.ops->accept(&t, &msg), 0);
    c1 = connect_to(f->path);
    c2 = connect_to(f->path); /* waits in the backlog */
    assert_true(c1 >= 0 && c2 >= 0);
    assert_int_equal(t.ops->accept(&t, &msg), 1);
    assert_true(t.client_fd >= 0);
    /* While there is a client, accept takes nobody else. */
    assert_int_equal(t.ops->accept(&t, &msg), 1);
    assert_int_equal(write(c1, "x", 1), 1);
    {
        char b;

        assert_int_equal(read(t.client_fd, &b, 1), 1);
        assert_int_equal(b, 'x');
    }
    t.ops->drop_client(&t);
    assert_int_equal(t.client_fd, -1);
    assert_int_equal(t.ops->accept(&t, &msg), 1); /* the waiting one */
    assert_false(t.ops->hung_up(&t));
    t.ops->close(&t);
    assert_int_equal(access(f->path, F_OK), -1);
    close(c1);
    close(c2);
    assert_null(msg);
}

static void test_socket_replaces_a_stale_socket(void **state)
{
    fixture *f = *state;
    xcd_transport_config cfg = {.path = f->path, .mode = 0600, .passed_fd = -1};
    xcd_transport t;
    char *msg = NULL;

    close(listen_at(f->path)); /* the file stays, nobody listens */
    xcd_transport_init(&t, &xcd_transport_socket_ops);
    assert_int_equal(t.ops->open(&t, &cfg, &msg), 0);
    t.ops->close(&t);
    assert_int_equal(access(f->path, F_OK), -1);
}

static void test_socket_refuses_a_live_socket(void **state)
{
    fixture *f = *state;
    xcd_transport_config cfg = {.path = f->path, .mode = 0600, .passed_fd = -1};
    xcd_transport t;
    char *msg = NULL;
    int other = listen_at(f->path);

    xcd_transport_init(&t, &xcd_transport_socket_ops);
    assert_int_equal(t.ops->open(&t, &cfg, &msg), XCH_ERROR_DEVICE_EXISTS);
    assert_non_null(strstr(msg, "another process"));
    free(msg);
    assert_int_equal(access(f->path, F_OK), 0); /* left alone */
    close(other);
}

static void test_socket_refuses_to_remove_a_file(void **state)
{
    fixture *f = *state;
    xcd_transport_config cfg = {.path = f->path, .mode = 0600, .passed_fd = -1};
    xcd_transport t;
    char *msg = NULL;
    int fd = open(f->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

    assert_true(fd >= 0);
    close(fd);
    xcd_transport_init(&t, &xcd_transport_socket_ops);
    assert_int_equal(t.ops->open(&t, &cfg, &msg), XCH_ERROR_DEVICE_EXISTS);
    assert_non_null(strstr(msg, "not a socket"));
    free(msg);
    assert_int_equal(access(f->path, F_OK), 0);
}

static void test_socket_uses_a_passed_listener(void **state)
{
    fixture *f = *state;
    xcd_transport_config cfg = {.path = f->path, .mode = 0600};
    xcd_transport t;
    char *msg = NULL;
    int c;

    cfg.passed_fd = listen_at(f->path);
    xcd_transport_init(&t, &xcd_transport_socket_ops);
    assert_int_equal(t.ops->open(&t, &cfg, &msg), 0);
    assert_int_equal(t.wait_fd, cfg.passed_fd);
    c = connect_to(f->path);
    assert_int_equal(t.ops->accept(&t, &msg), 1);
    t.ops->close(&t);
    /* Not ours: the file stays for whoever made it. */
    assert_int_equal(access(f->path, F_OK), 0);
    close(c);
}

static void test_socket_rejects_a_passed_non_listener(void **state)
{
    fixture *f = *state;
    xcd_transport_config cfg = {.path = f->path, .mode = 0600};
    xcd_transport t;
    char *msg = NULL;
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cfg.passed_fd = sv[0];
    xcd_transport_init(&t, &xcd_transport_socket_ops);
    assert_int_equal(t.ops->open(&t, &cfg, &msg), XCH_ERROR_INVAL);
    assert_non_null(strstr(msg, "not a listening"));
    free(msg);
    close(sv[0]);
    close(sv[1]);
}

static void test_pty_client_is_whoever_opens_the_slave(void **state)
{
    xcd_transport_config cfg = {.passed_fd = -1};
    xcd_transport t;
    struct termios tio;
    char *msg = NULL, b = 0;
    int slave;

    (void)state;
    xcd_transport_init(&t, &xcd_transport_pty_ops);
    assert_int_equal(t.ops->open(&t, &cfg, &msg), 0);
    assert_non_null(t.endpoint);
    assert_int_equal(strncmp(t.endpoint, "/dev/pts/", 9), 0);
    assert_int_equal(t.ops->accept(&t, &msg), 0); /* nobody yet */
    slave = open(t.endpoint, O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(slave >= 0);
    assert_int_equal(tcgetattr(slave, &tio), 0);
    assert_int_equal(tio.c_lflag & (ICANON | ECHO), 0); /* raw */
    assert_int_equal(t.ops->accept(&t, &msg), 1);
    assert_false(t.ops->hung_up(&t));
    assert_int_equal(write(t.client_fd, "\n", 1), 1);
    assert_int_equal(read(slave, &b, 1), 1);
    assert_int_equal(b, '\n'); /* no CR/LF translation */
    close(slave);
    assert_true(t.ops->hung_up(&t));
    t.ops->drop_client(&t);
    assert_int_equal(t.client_fd, -1);
    assert_int_equal(t.ops->accept(&t, &msg), 0);
    slave = open(t.endpoint, O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(slave >= 0);
    assert_int_equal(t.ops->accept(&t, &msg), 1);
    close(slave);
    t.ops->close(&t);
    assert_null(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_socket_listens_with_mode_and_one_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_replaces_a_stale_socket,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_refuses_a_live_socket,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_refuses_to_remove_a_file,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_uses_a_passed_listener,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_socket_rejects_a_passed_non_listener, setup, teardown),
        cmocka_unit_test(test_pty_client_is_whoever_opens_the_slave),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
