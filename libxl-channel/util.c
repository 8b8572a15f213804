/*
 * util.c - the small helpers that the library's files and xenchanneld
 * share (internal.h): strict numbers, formatted strings, the clock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "internal.h"

int xch__parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    const char *p;

    if (!s || !*s || (s[0] == '0' && s[1]))
        return XCH_ERROR_INVAL;
    for (p = s; *p; p++) {
        unsigned digit;

        if (*p < '0' || *p > '9')
            return XCH_ERROR_INVAL;
        digit = (unsigned)(*p - '0');
        if (digit > max || v > (max - digit) / 10)
            return XCH_ERROR_INVAL;
        v = v * 10 + digit;
    }
    *out = v;
    return 0;
}

int xch__parse_size(const char *s, unsigned long max, unsigned long *out)
{
    static const struct {
        char suffix;
        unsigned long unit;
    } units[] = {{'K', 1UL << 10}, {'M', 1UL << 20}};
    unsigned long unit = 1, v;
    char digits[24];
    size_t len, i;

    if (!s)
        return XCH_ERROR_INVAL;
    len = strlen(s);
    for (i = 0; len && i < ARRAY_SIZE(units); i++) {
        if (s[len - 1] == units[i].suffix ||
            s[len - 1] == units[i].suffix + ('a' - 'A')) {
            unit = units[i].unit;
            len--;
            break;
        }
    }
    if (!len || len >= sizeof(digits))
        return XCH_ERROR_INVAL;
    memcpy(digits, s, len);
    digits[len] = '\0';
    if (xch__parse_ulong(digits, max / unit, &v))
        return XCH_ERROR_INVAL;
    *out = v * unit;
    return 0;
}

char *xch__sprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    return r < 0 ? NULL : s;
}

int xch__error(char **errmsg, int rc, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int r;

    if (!errmsg)
        return rc;
    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    free(*errmsg);
    *errmsg = r < 0 ? NULL : s;
    return rc;
}

struct timeval xch__timeval_ms(uint64_t ms)
{
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
                         .tv_usec = (suseconds_t)(ms % 1000) * 1000};

    return tv;
}

uint64_t xch__now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
