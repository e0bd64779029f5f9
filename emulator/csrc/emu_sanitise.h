/* sanitise_content_for (notify-api.md §2.5): URLs in the listed
 * personalisation values are removed (a bare domain is broken up instead)
 * and Markdown characters are escaped. Pure functions; no I/O. */
#ifndef EMU_SANITISE_H
#define EMU_SANITISE_H

#include <jansson.h>
#include <stddef.h>

/* Sanitises len bytes of UTF-8 text s (need not be NUL-terminated; invalid
 * bytes are kept as they are). URLs are found as notifications-utils'
 * formatters.url finds them (optional http:// or https://, one or more
 * "label." parts, a 2-63 letter top-level domain not followed by '@' or a
 * word character, an optional path from '/', '?' or '#' up to '<' or
 * whitespace; not preceded by '@' or '.'; case-insensitive). A URL made
 * only of [a-zA-Z0-9.-] becomes the same text with each '.' followed by a
 * space; any other URL is removed. Then every character of
 * "`*_(){}[]<>#+-.!|\" gets a backslash before it. Returns a malloc'd
 * NUL-terminated string (caller frees) and its length in *out_len (when
 * out_len is non-NULL), or NULL on OOM. */
char *emu_sanitise_text(const char *s, size_t len, size_t *out_len);

/* Applies sanitise_content_for to personalisation: each string value whose
 * key matches one of keys' strings (compared as placeholders are: spaces,
 * '_' and '-' ignored, case-insensitive) is replaced in pers by its
 * sanitised form. keys may be NULL or any JSON value (only an array's
 * string items count); pers may be NULL. Values that are not strings are
 * left as they are. Returns a new object (caller owns) of the values that
 * changed, {"<key as sent>": {"sanitised": ..., "unsanitised": ...}}, which
 * is {} when nothing changed; NULL on OOM (pers may then be partly
 * sanitised). */
json_t *emu_sanitise_personalisation(json_t *pers, const json_t *keys);

#endif
