/*
 * fuzz_spec.c - libFuzzer target for the channel spec parser (spec.c).
 *
 * The input is a spec string. What the parser accepts must be a channel
 * the toolstack can write: a valid name, pty or socket, a valid path or
 * none for a socket and none for a pty, a devid of -1 or 1..9999, a limit of 0
 * or in range; and it survives a round trip through libxl's JSON. What it
 * refuses leaves the channel and the options empty, with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xenchannel.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const xch_device_channel *ch,
                           const xch_channel_options *opts)
{
    xch_device_channel back;
    char *json, *again, *msg = NULL;

    CHECK(ch->name && !xch_channel_name_check(ch->name, NULL));
    CHECK(ch->devid == -1 ||
          (ch->devid >= 1 && ch->devid <= XCH_CHANNEL_DEVID_MAX));
    CHECK(opts->limit == 0 || (opts->limit >= XCH_CHANNEL_LIMIT_MIN &&
                               opts->limit <= XCH_CHANNEL_LIMIT_MAX));
    if (ch->connection == XCH_CHANNEL_CONNECTION_SOCKET)
        CHECK(!ch->u.socket.path || /* attaching makes one */
              !xch_channel_path_check(ch->u.socket.path, NULL));
    else
        CHECK(ch->connection == XCH_CHANNEL_CONNECTION_PTY);
    json = xch_device_channel_to_json(ch);
    CHECK(json);
    CHECK(!xch_device_channel_from_json(&back, json, &msg));
    again = xch_device_channel_to_json(&back);
    CHECK(again && !strcmp(json, again));
    xch_device_channel_dispose(&back);
    free(again);
    free(json);
    free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xch_device_channel ch;
    xch_channel_options opts;
    char *spec = malloc(size + 1), *msg = NULL;
    int rc;

    CHECK(spec);
    memcpy(spec, data, size);
    spec[size] = '\0';
    xch_device_channel_init(&ch);
    xch_channel_options_init(&opts);
    rc = xch_channel_spec_parse(spec, &ch, &opts, &msg);
    if (rc == 0) {
        CHECK(!msg);
        check_accepted(&ch, &opts);
    } else {
        CHECK(rc == XCH_ERROR_INVAL && msg && *msg);
        CHECK(!ch.name && !ch.backend_domname && ch.devid == -1);
        CHECK(ch.connection == XCH_CHANNEL_CONNECTION_UNKNOWN);
        CHECK(opts.limit == 0);
    }
    xch_device_channel_dispose(&ch);
    xch_channel_options_dispose(&opts);
    free(msg);
    free(spec);
    return 0;
}
