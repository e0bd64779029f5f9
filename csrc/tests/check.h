/* A minimal unit-test harness for the C sources.
 *
 *   TEST(parses_key_with_hyphenated_name) {
 *       CHECK(x == 1);
 *       CHECK_INT_EQ(got, 42);
 *       CHECK_STR_EQ(token, "abc");
 *   }
 *
 * Tests register themselves at load time; tests/check_main.c runs them all
 * and ends with a line "N passed, N failed". A test passes when none of its
 * checks fail. Optional argument: a substring to select tests by name.
 */
#ifndef NGO_CHECK_H
#define NGO_CHECK_H

#include <stddef.h>
#include <stdint.h>

typedef void (*ck_test_fn)(void);

void ck_register(const char *name, ck_test_fn fn, const char *file);
void ck_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TEST(name)                                                                                 \
    static void name(void);                                                                        \
    __attribute__((constructor)) static void name##__register(void)                                \
    {                                                                                              \
        ck_register(#name, name, __FILE__);                                                        \
    }                                                                                              \
    static void name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                       \
    } while (0)

#define CHECK_INT_EQ(a, b)                                                                         \
    do {                                                                                           \
        long long ck_a_ = (long long)(a), ck_b_ = (long long)(b);                                  \
        if (ck_a_ != ck_b_)                                                                        \
            ck_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, ck_a_, ck_b_);           \
    } while (0)

#define CHECK_DBL_NEAR(a, b, eps)                                                                  \
    do {                                                                                           \
        double ck_a_ = (double)(a), ck_b_ = (double)(b);                                           \
        double ck_d_ = ck_a_ - ck_b_;                                                              \
        if (ck_d_ < 0)                                                                             \
            ck_d_ = -ck_d_;                                                                        \
        if (ck_d_ > (eps))                                                                         \
            ck_fail(__FILE__, __LINE__, "%s ~= %s: %g vs %g", #a, #b, ck_a_, ck_b_);               \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                                         \
    do {                                                                                           \
        const char *ck_a_ = (a), *ck_b_ = (b);                                                     \
        if (!ck_a_ || !ck_b_ || ck_strcmp(ck_a_, ck_b_) != 0)                                      \
            ck_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,                      \
                    ck_a_ ? ck_a_ : "(null)", ck_b_ ? ck_b_ : "(null)");                           \
    } while (0)

int ck_strcmp(const char *a, const char *b);

#endif
