/*
 * The generator on tests/idl/testtypes.idl, which uses every kind of type
 * it knows: every builtin, init values, an enumeration with negative values
 * and one whose fresh value is not 0, a nested named struct, an anonymous
 * struct, arrays of structs, strings, integers, enumerations and bools, and
 * keyed unions with struct members.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <testtypes.h>

#define ITERATIONS 2000

/*
 * Allocation failures: the program is linked with --wrap for the
 * allocators the generated code calls, so that a test can make the n-th
 * allocation fail.
 */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
char *__wrap_strdup(const char *s);

/* Allocations that may still succeed; -1: no limit. */
static long alloc_budget = -1;

static int may_allocate(void)
{
    if (alloc_budget < 0)
        return 1;
    if (alloc_budget == 0)
        return 0;
    alloc_budget--;
    return 1;
}

void *__wrap_malloc(size_t size)
{
    return may_allocate() ? __real_malloc(size) : NULL;
}

void *__wrap_calloc(size_t n, size_t size)
{
    return may_allocate() ? __real_calloc(n, size) : NULL;
}

char *__wrap_strdup(const char *s)
{
    return may_allocate() ? __real_strdup(s) : NULL;
}

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

/* Random bits, and often one of the type's extremes or 0. */
static uint64_t random_bits(uint64_t min, uint64_t max)
{
    switch (prng_below(5)) {
    case 0:
        return min;
    case 1:
        return max;
    case 2:
        return 0;
    default:
        return prng_next();
    }
}

static char *random_string(void)
{
    static const char *const pieces[] = {
        "a", "/", "\\", "\"", "\x01", "\x1f", " ", "\xc3\xa9", "\xe2\x82\xac",
    };
    char buf[64];
    size_t len = 0;

    if (prng_below(4) == 0)
        return NULL;
    for (unsigned n = prng_below(12); n > 0; n--) {
        const char *p = pieces[prng_below(sizeof(pieces) / sizeof(*pieces))];
        size_t plen = strlen(p);

        if (len + plen >= sizeof(buf))
            break;
        memcpy(buf + len, p, plen);
        len += plen;
    }
    buf[len] = '\0';
    char *s = strdup(buf);
    assert_non_null(s);
    return s;
}

static xt_color random_color(void)
{
    static const xt_color colors[] = {XT_COLOR_RED, XT_COLOR_GREEN,
                                      XT_COLOR_BLUE, XT_COLOR_DEEP_BLUE};
    return colors[prng_below(4)];
}

static void random_point(xt_point *p)
{
    xt_point_init(p);
    if (prng_below(2))
        p->x = (int32_t)random_bits((uint64_t)INT32_MIN, INT32_MAX);
    if (prng_below(2))
        p->y = (int32_t)random_bits((uint64_t)INT32_MIN, INT32_MAX);
}

/* n random elements, or none. */
static int random_count(void)
{
    return (int)prng_below(5);
}

static void *alloc_array(int n, size_t size)
{
    void *a = calloc((size_t)n, size);

    assert_non_null(a);
    return a;
}

static void random_strings(char ***array, int *num)
{
    *num = random_count();
    if (!*num)
        return;
    *array = alloc_array(*num, sizeof(**array));
    for (int i = 0; i < *num; i++)
        (*array)[i] = random_string();
}

static void fill(xt_everything *e)
{
    xt_everything_init(e);
    e->b = prng_below(2);
    e->t = prng_below(2);
    e->i = (int)random_bits((uint64_t)INT32_MIN, INT32_MAX);
    e->i_init = prng_below(2) ? 42 : (int)prng_next();
    e->i8 = (int8_t)random_bits((uint64_t)INT8_MIN, INT8_MAX);
    e->i16 = (int16_t)random_bits((uint64_t)INT16_MIN, INT16_MAX);
    e->i32 = (int32_t)random_bits((uint64_t)INT32_MIN, INT32_MAX);
    e->i64 = (int64_t)random_bits((uint64_t)INT64_MIN, INT64_MAX);
    e->u8 = (uint8_t)random_bits(0, UINT8_MAX);
    e->u16 = (uint16_t)random_bits(0, UINT16_MAX);
    e->u32 = (uint32_t)random_bits(0, UINT32_MAX);
    e->u64 = random_bits(0, UINT64_MAX);
    e->s = random_string();
    e->shade = random_color();
    e->mood = (xt_mode)((int)prng_below(4) - 1);
    if (e->mood == 0)
        e->mood = XT_MODE_INVALID;
    random_point(&e->origin);
    e->inner.label = random_string();
    e->inner.depth = (uint16_t)random_bits(0, UINT16_MAX);

    e->num_points = random_count();
    if (e->num_points) {
        e->points = alloc_array(e->num_points, sizeof(*e->points));
        for (int i = 0; i < e->num_points; i++)
            random_point(&e->points[i]);
    }
    random_strings(&e->names, &e->num_names);
    e->num_numbers = random_count();
    if (e->num_numbers) {
        e->numbers = alloc_array(e->num_numbers, sizeof(*e->numbers));
        for (int i = 0; i < e->num_numbers; i++)
            e->numbers[i] = (int64_t)prng_next();
    }
    e->num_shades = random_count();
    if (e->num_shades) {
        e->shades = alloc_array(e->num_shades, sizeof(*e->shades));
        for (int i = 0; i < e->num_shades; i++)
            e->shades[i] = random_color();
    }
    e->num_flags = random_count();
    if (e->num_flags) {
        e->flags = alloc_array(e->num_flags, sizeof(*e->flags));
        for (int i = 0; i < e->num_flags; i++)
            e->flags[i] = prng_below(2);
    }

    switch (prng_below(3)) {
    case 0:
        e->u.invalid.why = random_string();
        if (prng_below(2))
            e->u.invalid.code = (int)prng_next();
        break;
    case 1:
        xt_everything_init_kind(e, XT_MODE_A);
        break;
    default:
        xt_everything_init_kind(e, XT_MODE_B);
        random_point(&e->u.b.where);
        random_strings(&e->u.b.tags, &e->u.b.num_tags);
        break;
    }
    switch (prng_below(3)) {
    case 0:
        break;
    case 1:
        xt_everything_init_hue(e, XT_COLOR_RED);
        e->v.red.r = (uint8_t)prng_next();
        break;
    default:
        xt_everything_init_hue(e, XT_COLOR_BLUE);
        break;
    }
}

static int streq_null(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static void assert_point_equal(const xt_point *a, const xt_point *b)
{
    assert_int_equal(a->x, b->x);
    assert_int_equal(a->y, b->y);
}

static void assert_strings_equal(char **a, int na, char **b, int nb)
{
    assert_int_equal(na, nb);
    for (int i = 0; i < na; i++)
        assert_true(streq_null(a[i], b[i]));
}

static void assert_everything_equal(const xt_everything *a,
                                    const xt_everything *b)
{
    assert_int_equal(a->b, b->b);
    assert_int_equal(a->t, b->t);
    assert_int_equal(a->i, b->i);
    assert_int_equal(a->i_init, b->i_init);
    assert_int_equal(a->i8, b->i8);
    assert_int_equal(a->i16, b->i16);
    assert_int_equal(a->i32, b->i32);
    assert_true(a->i64 == b->i64);
    assert_int_equal(a->u8, b->u8);
    assert_int_equal(a->u16, b->u16);
    assert_int_equal(a->u32, b->u32);
    assert_true(a->u64 == b->u64);
    assert_true(streq_null(a->s, b->s));
    assert_int_equal(a->shade, b->shade);
    assert_int_equal(a->mood, b->mood);
    assert_point_equal(&a->origin, &b->origin);
    assert_true(streq_null(a->inner.label, b->inner.label));
    assert_int_equal(a->inner.depth, b->inner.depth);
    assert_int_equal(a->num_points, b->num_points);
    for (int i = 0; i < a->num_points; i++)
        assert_point_equal(&a->points[i], &b->points[i]);
    assert_strings_equal(a->names, a->num_names, b->names, b->num_names);
    assert_int_equal(a->num_numbers, b->num_numbers);
    for (int i = 0; i < a->num_numbers; i++)
        assert_true(a->numbers[i] == b->numbers[i]);
    assert_int_equal(a->num_shades, b->num_shades);
    for (int i = 0; i < a->num_shades; i++)
        assert_int_equal(a->shades[i], b->shades[i]);
    assert_int_equal(a->num_flags, b->num_flags);
    for (int i = 0; i < a->num_flags; i++)
        assert_int_equal(a->flags[i], b->flags[i]);
    assert_int_equal(a->kind, b->kind);
    if (a->kind == XT_MODE_INVALID) {
        assert_true(streq_null(a->u.invalid.why, b->u.invalid.why));
        assert_int_equal(a->u.invalid.code, b->u.invalid.code);
    } else if (a->kind == XT_MODE_B) {
        assert_point_equal(&a->u.b.where, &b->u.b.where);
        assert_strings_equal(a->u.b.tags, a->u.b.num_tags, b->u.b.tags,
                             b->u.b.num_tags);
    }
    assert_int_equal(a->hue, b->hue);
    if (a->hue == XT_COLOR_RED)
        assert_int_equal(a->v.red.r, b->v.red.r);
}

static void test_generic_init_values(void **state)
{
    xt_everything e;

    (void)state;
    xt_everything_init(&e);
    assert_true(e.t);
    assert_int_equal(e.i_init, 42);
    assert_int_equal(e.mood, XT_MODE_INVALID);
    assert_int_equal(e.origin.y, 7);
    assert_int_equal(e.inner.depth, 1);
    assert_int_equal(e.kind, XT_MODE_INVALID);
    assert_int_equal(e.u.invalid.code, 3);
    assert_int_equal(e.hue, XT_COLOR_GREEN);

    /* Choosing a member initialises it (its nested struct too). */
    xt_everything_init_kind(&e, XT_MODE_B);
    assert_int_equal(e.u.b.where.y, 7);
    assert_null(e.u.b.tags);
    xt_everything_dispose(&e);
}

/* Every value at its default: only aggregates are written. */
static void test_generic_default_value_json(void **state)
{
    xt_everything e;

    (void)state;
    xt_everything_init(&e);
    char *text = xt_everything_to_json(&e);
    assert_string_equal(text, "{\n"
                              "    \"origin\": {\n\n    },\n"
                              "    \"inner\": {\n\n    },\n"
                              "    \"kind.invalid\": {\n\n    }\n"
                              "}\n");
    free(text);

    e.t = false;
    e.i_init = 0;
    e.mood = XT_MODE_B;
    e.shade = XT_COLOR_DEEP_BLUE;
    e.u64 = UINT64_MAX;
    e.i64 = INT64_MIN;
    xt_everything_init_hue(&e, XT_COLOR_BLUE);
    text = xt_everything_to_json(&e);
    assert_string_equal(text, "{\n"
                              "    \"t\": false,\n"
                              "    \"i_init\": 0,\n"
                              "    \"i64\": -9223372036854775808,\n"
                              "    \"u64\": 18446744073709551615,\n"
                              "    \"shade\": \"deep_blue\",\n"
                              "    \"mood\": \"b\",\n"
                              "    \"origin\": {\n\n    },\n"
                              "    \"inner\": {\n\n    },\n"
                              "    \"kind.invalid\": {\n\n    },\n"
                              "    \"hue.blue\": {\n\n    }\n"
                              "}\n");
    free(text);
    xt_everything_dispose(&e);
}

static void test_generic_enum_negative_values(void **state)
{
    xt_color c = XT_COLOR_GREEN;
    xt_mode m = XT_MODE_A;

    (void)state;
    assert_int_equal(XT_COLOR_DEEP_BLUE, -100);
    assert_string_equal(xt_color_to_string(XT_COLOR_RED), "red");
    assert_string_equal(xt_color_to_string(XT_COLOR_DEEP_BLUE), "deep_blue");
    assert_null(xt_color_to_string((xt_color)-1));
    assert_int_equal(xt_color_from_string("Deep_Blue", &c), 0);
    assert_int_equal(c, XT_COLOR_DEEP_BLUE);
    assert_int_equal(xt_color_from_string("deep blue", &c), -3);
    assert_int_equal(c, XT_COLOR_DEEP_BLUE);
    assert_int_equal(xt_mode_from_string("invalid", &m), 0);
    assert_int_equal(m, XT_MODE_INVALID);
    assert_string_equal(xt_color_string_table[3].s, "deep_blue");
    assert_int_equal(xt_color_string_table[3].v, -100);
    assert_null(xt_color_string_table[4].s);
}

static void test_generic_round_trip(void **state)
{
    (void)state;
    prng_seed(11);
    for (int i = 0; i < ITERATIONS; i++) {
        xt_everything a, b;
        char *errmsg = NULL;

        fill(&a);
        char *text = xt_everything_to_json(&a);
        assert_non_null(text);
        if (xt_everything_from_json(&b, text, &errmsg))
            fail_msg("iteration %d: %s\n%s", i, errmsg, text);
        assert_everything_equal(&a, &b);
        char *again = xt_everything_to_json(&b);
        assert_string_equal(text, again);
        free(again);
        free(text);
        xt_everything_dispose(&a);
        xt_everything_dispose(&b);
    }
}

static void test_generic_copy_is_deep(void **state)
{
    (void)state;
    prng_seed(12);
    for (int i = 0; i < ITERATIONS; i++) {
        xt_everything a, b;

        fill(&a);
        assert_int_equal(xt_everything_copy(&b, &a), 0);
        assert_everything_equal(&a, &b);
        if (a.num_names) {
            assert_ptr_not_equal(a.names, b.names);
            if (a.names[0])
                assert_ptr_not_equal(a.names[0], b.names[0]);
        }
        if (a.num_points)
            assert_ptr_not_equal(a.points, b.points);
        if (a.kind == XT_MODE_B && a.u.b.num_tags)
            assert_ptr_not_equal(a.u.b.tags, b.u.b.tags);
        /* Each frees its own memory (ASan checks the rest). */
        xt_everything_dispose(&a);
        xt_everything_dispose(&b);
    }
}

static const struct {
    const char *json;
    const char *in_message;
} bad[] = {
    {"{\"i8\": 128}", "i8"},
    {"{\"i8\": -129}", "i8"},
    {"{\"u8\": 256}", "u8"},
    {"{\"u8\": -1}", "u8"},
    {"{\"u16\": 65536}", "u16"},
    {"{\"i64\": 9223372036854775808}", "i64"},
    {"{\"u64\": 18446744073709551616}", "u64"},
    {"{\"b\": 0}", "everything: b:"},
    {"{\"shade\": \"purple\"}", "purple"},
    {"{\"mood\": 1}", "mood"},
    {"{\"origin\": []}", "point"},
    {"{\"origin\": {\"y\": \"7\"}}", "everything: origin: point: y:"},
    {"{\"inner\": 1}", "inner"},
    {"{\"inner\": {\"depth\": -1}}", "inner.depth"},
    {"{\"names\": \"x\"}", "names"},
    {"{\"names\": [\"a\", 1]}", "names[]"},
    {"{\"points\": [{}, 3]}", "point"},
    {"{\"shades\": [\"red\", \"pink\"]}", "pink"},
    {"{\"flags\": [true, null]}", "flags[]"},
    {"{\"numbers\": [1, 2.5]}", "numbers[]"},
    {"{\"kind.b\": {\"tags\": [1]}}", "kind.b.tags[]"},
    {"{\"kind.b\": {\"where\": {\"x\": 2147483648}}}", "x"},
    {"{\"kind.a\": {}, \"kind.b\": {}}", "two members"},
    {"{\"hue.green\": {}}", "unknown member"},
    {"{\"hue.red\": {\"r\": 256}}", "hue.red.r"},
};

static void test_generic_rejects_bad_input(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        xt_everything e;
        char *errmsg = NULL;

        if (xt_everything_from_json(&e, bad[i].json, &errmsg) != -6)
            fail_msg("accepted: %s", bad[i].json);
        assert_non_null(errmsg);
        if (!strstr(errmsg, bad[i].in_message))
            fail_msg("input %s: message \"%s\" lacks \"%s\"", bad[i].json,
                     errmsg, bad[i].in_message);
        /* Left freshly initialised. */
        assert_int_equal(e.i_init, 42);
        assert_int_equal(e.kind, XT_MODE_INVALID);
        assert_null(e.points);
        assert_null(e.names);
        free(errmsg);
        xt_everything_dispose(&e);
    }
}

/* Elements parsed before an error are freed with the value. */
static void test_generic_failure_frees_arrays(void **state)
{
    xt_everything e;

    (void)state;
    assert_int_equal(
        xt_everything_from_json(
            &e,
            "{\"names\": [\"a\", \"b\"], \"kind.b\": {\"tags\": [\"x\","
            " \"y\"]}, \"points\": [{\"x\": 1}, {\"x\": \"bad\"}, {}]}",
            NULL),
        -6);
    assert_null(e.names);
    assert_int_equal(e.num_names, 0);
    assert_int_equal(e.kind, XT_MODE_INVALID);
    xt_everything_dispose(&e);
}

/* Whichever allocation fails: -5, nothing leaked (ASan), nothing half-made. */
static void test_generic_out_of_memory(void **state)
{
    (void)state;
    prng_seed(13);
    for (int i = 0; i < 300; i++) {
        xt_everything a, b;
        char *errmsg = NULL;
        int rc;

        fill(&a);
        char *text = xt_everything_to_json(&a);
        assert_non_null(text);
        for (long budget = 0;; budget++) {
            alloc_budget = budget;
            rc = xt_everything_copy(&b, &a);
            alloc_budget = -1;
            if (rc == 0)
                break;
            assert_int_equal(rc, -5);
            assert_int_equal(b.i_init, 42);
            assert_null(b.s);
            assert_null(b.names);
            assert_null(b.points);
            assert_int_equal(b.kind, XT_MODE_INVALID);
            xt_everything_dispose(&b);
        }
        assert_everything_equal(&a, &b);
        xt_everything_dispose(&b);

        for (long budget = 0;; budget++) {
            alloc_budget = budget;
            rc = xt_everything_from_json(&b, text, &errmsg);
            alloc_budget = -1;
            if (rc == 0)
                break;
            assert_int_equal(rc, -5);
            assert_null(errmsg);
            assert_int_equal(b.i_init, 42);
            assert_null(b.names);
            xt_everything_dispose(&b);
        }
        assert_everything_equal(&a, &b);
        xt_everything_dispose(&b);

        alloc_budget = 0;
        char *none = xt_everything_to_json(&a);
        alloc_budget = -1;
        assert_null(none);

        free(text);
        xt_everything_dispose(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generic_init_values),
        cmocka_unit_test(test_generic_default_value_json),
        cmocka_unit_test(test_generic_enum_negative_values),
        cmocka_unit_test(test_generic_round_trip),
        cmocka_unit_test(test_generic_copy_is_deep),
        cmocka_unit_test(test_generic_rejects_bad_input),
        cmocka_unit_test(test_generic_failure_frees_arrays),
        cmocka_unit_test(test_generic_out_of_memory),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
