/*
 * fuzz_json.c - libFuzzer target for the JSON input of every generated
 * type (idl/gentypes.py's _from_json).
 *
 * The first byte picks the type, the rest is JSON text. Whatever the text,
 * parsing returns 0 or an error with a message and never crashes or leaks;
 * what it accepts prints as JSON that parses back to the same value
 * (to_json, from_json and to_json again give the same text), and a deep
 * copy prints the same too.
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

/* One type's functions, for a generic round trip. */
#define ROUND_TRIP(T, text)                                                    \
    do {                                                                       \
        xch_##T a, b, c;                                                       \
        char *msg = NULL, *ja = NULL, *jb = NULL, *jc = NULL;                  \
        int rc = xch_##T##_from_json(&a, text, &msg);                          \
                                                                               \
        if (rc) {                                                              \
            CHECK(rc == XCH_ERROR_INVAL && msg);                               \
            free(msg);                                                         \
            xch_##T##_dispose(&a);                                             \
            break;                                                             \
        }                                                                      \
        ja = xch_##T##_to_json(&a);                                            \
        CHECK(ja);                                                             \
        CHECK(!xch_##T##_from_json(&b, ja, &msg));                             \
        jb = xch_##T##_to_json(&b);                                            \
        CHECK(jb && !strcmp(ja, jb));                                          \
        CHECK(!xch_##T##_copy(&c, &a));                                        \
        jc = xch_##T##_to_json(&c);                                            \
        CHECK(jc && !strcmp(ja, jc));                                          \
        xch_##T##_dispose(&a);                                                 \
        xch_##T##_dispose(&b);                                                 \
        xch_##T##_dispose(&c);                                                 \
        free(ja);                                                              \
        free(jb);                                                              \
        free(jc);                                                              \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;

    if (!size)
        return 0;
    text = malloc(size);
    CHECK(text);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    switch (data[0] % 4) {
    case 0:
        ROUND_TRIP(device_channel, text);
        break;
    case 1:
        ROUND_TRIP(channelinfo, text);
        break;
    case 2:
        ROUND_TRIP(channel_options, text);
        break;
    default:
        ROUND_TRIP(channel_status, text);
        break;
    }
    free(text);
    return 0;
}
