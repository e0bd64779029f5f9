/* The ordered, de-duplicated list of v2 API errors. See emu_errors.h. */
#include "emu_errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Empties the list (no allocation). */
void emu_errors_init(emu_errors *e)
{
    memset(e, 0, sizeof(*e));
}

/* Formats into a fresh malloc'd string. Returns it (caller frees) or NULL. */
static char *emu__vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

/* Formats the message and appends it unless the same pair is present; 0 or -1. */
int emu_errors_add(emu_errors *e, const char *error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = emu__vformat(fmt, ap);
    va_end(ap);
    if (!msg)
        return -1;
    for (size_t i = 0; i < e->n; i++) {
        if (strcmp(e->items[i].error, error) == 0 && strcmp(e->items[i].message, msg) == 0) {
            free(msg);
            return 0;
        }
    }
    if (e->n == EMU_ERRORS_MAX) {
        free(msg);
        return -1;
    }
    e->items[e->n].error = error;
    e->items[e->n].message = msg;
    e->n++;
    return 0;
}

/* Frees every message and empties the list; the struct itself is the caller's. */
void emu_errors_free(emu_errors *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->items[i].message);
    e->n = 0;
}
