/*
 * test_backend_activation.c - socket activation (LISTEN_PID, LISTEN_FDS,
 * LISTEN_FDNAMES), readiness on $NOTIFY_SOCKET, and the control socket's
 * request handling.
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
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../backend/activation.h"
#include "../../backend/control.h"

/* Puts two fresh sockets on descriptors 3 and 4. */
static void make_fds_3_and_4(void)
{
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(dup2(sv[0], 3), 3);
    assert_int_equal(dup2(sv[1], 4), 4);
    if (sv[0] != 3 && sv[0] != 4)
        close(sv[0]);
    if (sv[1] != 3 && sv[1] != 4)
        close(sv[1]);
}

static void set_listen_env(const char *pid, const char *fds, const char *names)
{
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", fds, 1);
    if (names)
        setenv("LISTEN_FDNAMES", names, 1);
    else
        unsetenv("LISTEN_FDNAMES");
}

static void test_activation_claims_by_name_or_path(void **state)
{
    xcd_activation *a = NULL;
    char pid[16], *msg = NULL;

    (void)state;
    make_fds_3_and_4();
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    set_listen_env(pid, "2", "org.test.agent:/run/x.sock");
    assert_int_equal(xcd_activation_take(&a, &msg), 0);
    assert_non_null(a);
    assert_null(getenv("LISTEN_PID"));
    assert_null(getenv("LISTEN_FDS"));
    assert_null(getenv("LISTEN_FDNAMES"));
    assert_true(fcntl(3, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(xcd_activation_claim(a, "other", "/nowhere"), -1);
    assert_int_equal(xcd_activation_claim(a, "x", "/run/x.sock"), 4);
    assert_int_equal(xcd_activation_claim(a, "org.test.agent", NULL), 3);
    assert_int_equal(xcd_activation_claim(a, "org.test.agent", NULL), -1);
    xcd_activation_free(a);
    /* Claimed descriptors are the claimers' to close. */
    assert_int_not_equal(fcntl(3, F_GETFD), -1);
    close(3);
    close(4);
}

static void test_activation_closes_what_nobody_claimed(void **state)
{
    xcd_activation *a = NULL;
    char pid[16], *msg = NULL;

    (void)state;
    make_fds_3_and_4();
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    set_listen_env(pid, "2", NULL);
    assert_int_equal(xcd_activation_take(&a, &msg), 0);
    /* Unnamed descriptors match nothing. */
    assert_int_equal(xcd_activation_claim(a, "a", "/a"), -1);
    xcd_activation_free(a);
    assert_int_equal(fcntl(3, F_GETFD), -1);
    assert_int_equal(fcntl(4, F_GETFD), -1);
}

static void test_activation_ignores_other_pids_and_rejects_garbage(void **state)
{
    xcd_activation *a = NULL;
    char pid[16], *msg = NULL;

    (void)state;
    set_listen_env("1", "2", "a:b");
    assert_int_equal(xcd_activation_take(&a, &msg), 0);
    assert_null(a);
    assert_null(getenv("LISTEN_FDS"));
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    set_listen_env(pid, "two", NULL);
    assert_int_equal(xcd_activation_take(&a, &msg), XCH_ERROR_INVAL);
    assert_null(a);
    assert_non_null(strstr(msg, "LISTEN_FDS"));
    free(msg);
    unsetenv("LISTEN_PID");
    assert_int_equal(xcd_activation_take(&a, &msg), 0);
    assert_null(a);
}

static void test_notify_sends_ready(void **state)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char dir[] = "/tmp/xcd-notify-XXXXXX", buf[64];
    int fd;
    ssize_t r;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/n.sock", dir);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setenv("NOTIFY_SOCKET", sa.sun_path, 1);
    assert_int_equal(xcd_notify("READY=1"), 0);
    r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    assert_int_equal(r, 7);
    assert_memory_equal(buf, "READY=1", 7);
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(xcd_notify("READY=1"), 0); /* nobody to tell */
    setenv("NOTIFY_SOCKET", "relative", 1);
    assert_int_equal(xcd_notify("READY=1"), XCH_ERROR_INVAL);
    unsetenv("NOTIFY_SOCKET");
    close(fd);
    unlink(sa.sun_path);
    rmdir(dir);
}

static void test_control_requests(void **state)
{
    xcd_daemon d = {0};
    int fd = -1, sv[2];
    char *r;

    (void)state;
    assert_int_equal(xcd_registry_init(&d.reg), 0);
    r = xcd_control_handle(&d, "{\"request\":\"status\"}", &fd);
    assert_string_equal(r, "{\"status\":[]}\n");
    free(r);
    r = xcd_control_handle(&d, "{\"request\":\"status\",\"domid\":3}", &fd);
    assert_string_equal(r, "{\"status\":[]}\n");
    free(r);
    r = xcd_control_handle(&d, "{\"request\":\"status\",\"domid\":-3}", &fd);
    assert_non_null(strstr(r, "\"error\":\"\\\"domid\\\" is not"));
    free(r);
    r = xcd_control_handle(&d, "{\"request\":\"reboot\"}", &fd);
    assert_non_null(strstr(r, "unknown request"));
    free(r);
    r = xcd_control_handle(&d, "[1,2", &fd);
    assert_non_null(strstr(r, "not a JSON object"));
    free(r);
    r = xcd_control_handle(&d, "{\"op\":\"status\"}", &fd);
    assert_non_null(strstr(r, "no \\\"request\\\""));
    assert_int_equal(r[strlen(r) - 1], '\n');
    free(r);
    r = xcd_control_handle(&d, "{\"request\":\"listen\",\"domid\":1}", &fd);
    assert_non_null(strstr(r, "needs \\\"domid\\\" and \\\"devid\\\""));
    free(r);
    r = xcd_control_handle(
        &d, "{\"request\":\"listen\",\"domid\":1,\"devid\":1}", &fd);
    assert_non_null(strstr(r, "needs a listening socket"));
    free(r);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fd = sv[0];
    r = xcd_control_handle(
        &d, "{\"request\":\"listen\",\"domid\":1,\"devid\":1}", &fd);
    assert_non_null(strstr(r, "no channel 1 of domain 1"));
    assert_int_equal(fd, sv[0]); /* not taken: the caller closes it */
    free(r);
    close(sv[0]);
    close(sv[1]);
    xcd_registry_dispose(&d.reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activation_claims_by_name_or_path),
        cmocka_unit_test(test_activation_closes_what_nobody_claimed),
        cmocka_unit_test(
            test_activation_ignores_other_pids_and_rejects_garbage),
        cmocka_unit_test(test_notify_sends_ready),
        cmocka_unit_test(test_control_requests),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
