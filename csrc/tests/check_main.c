/* Runs every TEST registered by the linked test files. See check.h. */
#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK_MAX_TESTS 1024

struct ck_test {
    const char *name;
    const char *file;
    ck_test_fn fn;
};

static struct ck_test ck_tests[CK_MAX_TESTS];
static size_t ck_count;
static int ck_current_failed;

void ck_register(const char *name, ck_test_fn fn, const char *file)
{
    if (ck_count == CK_MAX_TESTS) {
        fprintf(stderr, "check: more than %d tests\n", CK_MAX_TESTS);
        abort();
    }
    ck_tests[ck_count].name = name;
    ck_tests[ck_count].file = file;
    ck_tests[ck_count].fn = fn;
    ck_count++;
}

void ck_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    ck_current_failed = 1;
}

int ck_strcmp(const char *a, const char *b)
{
    return strcmp(a, b);
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    size_t passed = 0, failed = 0;

    for (size_t i = 0; i < ck_count; i++) {
        if (filter && !strstr(ck_tests[i].name, filter))
            continue;
        ck_current_failed = 0;
        ck_tests[i].fn();
        if (ck_current_failed) {
            failed++;
            fprintf(stderr, "FAIL %s (%s)\n", ck_tests[i].name, ck_tests[i].file);
        } else {
            passed++;
        }
    }
    printf("%zu passed, %zu failed\n", passed, failed);
    return failed ? 1 : 0;
}
