/*
 * fuzz_control.c - libFuzzer target for xenchanneld's control requests
 * (backend/control.c, xcd_control_handle).
 *
 * The first byte says whether a descriptor comes with the request (as
 * SCM_RIGHTS would bring it); the rest is the request line. Whatever it
 * is, the reply is one line of JSON, an object holding either a "status"
 * array or an "error" string, and the descriptor is either taken by the
 * request or left for the caller to close: nothing leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "../../backend/control.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reply(const char *reply)
{
    static const char *status_key[] = {"status", NULL};
    static const char *error_key[] = {"error", NULL};
    size_t len = strlen(reply);
    yajl_val root, status, error;

    CHECK(len >= 2 && reply[len - 1] == '\n');
    CHECK(!memchr(reply, '\n', len - 1));
    root = yajl_tree_parse(reply, NULL, 0);
    CHECK(root && YAJL_IS_OBJECT(root));
    status = yajl_tree_get(root, status_key, yajl_t_array);
    error = yajl_tree_get(root, error_key, yajl_t_string);
    CHECK((status != NULL) != (error != NULL));
    CHECK(root->u.object.len == 1);
    yajl_tree_free(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xcd_daemon d;
    char *request, *reply;
    int sv[2] = {-1, -1}, fd = -1;

    if (!size)
        return 0;
    memset(&d, 0, sizeof(d));
    CHECK(!xcd_registry_init(&d.reg));
    if (data[0] & 1) {
        CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
        fd = sv[0];
    }
    request = malloc(size);
    CHECK(request);
    memcpy(request, data + 1, size - 1);
    request[size - 1] = '\0';
    reply = xcd_control_handle(&d, request, &fd);
    CHECK(reply);
    check_reply(reply);
    /* Not taken (no channel could use it): the caller closes it. */
    CHECK(sv[0] < 0 || fd == sv[0]);
    if (sv[0] >= 0) {
        close(sv[0]);
        close(sv[1]);
    }
    free(reply);
    free(request);
    xcd_registry_dispose(&d.reg);
    return 0;
}
