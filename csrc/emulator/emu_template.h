/* Notify template rendering for emails: ((placeholder)), ((name??text))
 * conditionals, list values as bulleted lists, case/space/_/- insensitive
 * keys. Pure functions; no I/O. Specification: notify-api.md §2.1, §2.2 and
 * notifications-utils (field.py, insensitive_dict.py, template.py). */
#ifndef EMU_TEMPLATE_H
#define EMU_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

/* A growable list of malloc'd strings. */
typedef struct emu_strlist {
    size_t n, cap;
    char **items;
} emu_strlist;

void emu_strlist_init(emu_strlist *l);
/* Appends a copy of s unless an equal string is already present (compared
 * the way Notify compares placeholder names). Returns 0 or -1 (OOM). */
int emu_strlist_add_unique(emu_strlist *l, const char *s);
void emu_strlist_free(emu_strlist *l);

/* Appends the placeholder names of text, in order of first appearance and
 * de-duplicated, as written (for "Missing personalisation: a, b" and for
 * the template endpoint's personalisation object). Returns 0 or -1. */
int emu_template_placeholders(const char *text, emu_strlist *out);

/* Renders text with personalisation (a JSON object, may be NULL). Names
 * with no value, or a null value, are appended to missing (unless the
 * placeholder is a conditional, which renders empty when the value is
 * missing or falsy). Returns a malloc'd string (caller frees) or NULL on
 * OOM. */
char *emu_template_render(const char *text, json_t *personalisation, emu_strlist *missing);

#endif
