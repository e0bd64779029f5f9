/* A list of v2 API errors: {"error": <class>, "message": <text>} pairs, in
 * the order they were found, duplicates dropped (Notify de-duplicates schema
 * errors). Owned by the caller; emu_errors_free() releases the messages. */
#ifndef EMU_ERRORS_H
#define EMU_ERRORS_H

#include <stddef.h>

#define EMU_ERRORS_MAX 32

typedef struct emu_error {
    const char *error; /* static string: "ValidationError", "BadRequestError", ... */
    char *message;     /* malloc'd UTF-8 text */
} emu_error;

typedef struct emu_errors {
    size_t n;
    emu_error items[EMU_ERRORS_MAX];
} emu_errors;

void emu_errors_init(emu_errors *e);
/* Appends a formatted message unless an identical (error, message) pair is
 * already present. Returns 0, or -1 when out of memory or full. */
int emu_errors_add(emu_errors *e, const char *error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void emu_errors_free(emu_errors *e);

#endif
