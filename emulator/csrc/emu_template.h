/* Notify template rendering for emails: ((placeholder)), ((name??text))
 * conditionals, list values as bulleted lists, case/space/_/- insensitive
 * keys. Pure functions; no I/O. Specification: notify-api.md §2.1, §2.2 and
 * notifications-utils (field.py, insensitive_dict.py, template.py,
 * formatters.py). Also the small Python-compatible text helpers the request
 * rules share (str(), repr(), str.lower(), whitespace stripping). */
#ifndef EMU_TEMPLATE_H
#define EMU_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

/* A growable list of malloc'd strings. */
typedef struct emu_strlist {
    size_t n, cap;
    char **items;
    char **keys; /* internal: the normalised form of each item */
} emu_strlist;

void emu_strlist_init(emu_strlist *l);
/* Appends a copy of s unless an equal string is already present (compared
 * the way Notify compares placeholder names: InsensitiveDict.make_key, i.e.
 * spaces, '_' and '-' removed, then lower-cased). Returns 0 or -1 (OOM). */
int emu_strlist_add_unique(emu_strlist *l, const char *s);
void emu_strlist_free(emu_strlist *l);

/* Appends the placeholder names of text, in order of first appearance and
 * de-duplicated, as written (for "Missing personalisation: a, b" and for
 * the template endpoint's personalisation object). A placeholder is "((",
 * one or more characters other than '(' and ')', then "))"; its name is the
 * part before the first "??". Returns 0 or -1. */
int emu_template_placeholders(const char *text, emu_strlist *out);

/* Renders text with personalisation (a JSON object, may be NULL), as
 * notifications-utils Field(html="passthrough", markdown_lists=True) does:
 * values are inserted raw (no escaping), lists become "\n\n* a\n* b",
 * numbers/booleans/objects become Python str(). A conditional
 * ((name??text)) shows text when str(value).lower() is one of yes, y, true,
 * t, 1, include, show, and is empty otherwise. Names with no value, or a
 * null value, are appended to missing (conditionals too: Notify's
 * Template.missing_data lists every placeholder name) and stay in the text
 * as "((name))". Returns a malloc'd string (caller frees) or NULL on OOM. */
char *emu_template_render(const char *text, json_t *personalisation, emu_strlist *missing);

/* The API's content.body: emu_template_render() then Python str.strip()
 * (Template.content_with_placeholders_filled_in). Caller frees. */
char *emu_template_render_body(const char *text, json_t *personalisation, emu_strlist *missing);

/* The API's content.subject for an email (PlainTextEmailTemplate.subject):
 * rendered (list values as "a, b and c": subjects use no Markdown lists),
 * then do_nice_typography (whitespace before ',' and '.'
 * removed, smartypants quotes as Unicode characters except inside email
 * addresses, " - " between words made an en dash), then whitespace
 * normalised (zero-width characters removed, runs of whitespace made one
 * space, trimmed). Caller frees; NULL on OOM. */
char *emu_template_render_subject(const char *text, json_t *personalisation, emu_strlist *missing);

/* The subject as GET /v2/notifications/{id} returns it: Notify builds that
 * from HTMLEmailTemplate, whose subject Field escapes HTML (formatters.
 * escape_html: character references decoded, then &, < and > escaped, with
 * &amp; and &nbsp; kept) before the same typography. "Tom & Jerry" becomes
 * "Tom &amp; Jerry". Named references outside the legacy HTML set and a
 * few common ones are left undecoded. Caller frees; NULL on OOM. */
char *emu_template_render_subject_html(const char *text, json_t *personalisation,
                                       emu_strlist *missing);

/* Notify's Template.is_message_empty(): 1 when the template content is
 * empty, or when it starts with "((" and ends with "))" and the rendered
 * body (emu_template_render_body's result) is empty; else 0. A template
 * like "Hi ((name))" is never empty, whatever the values. */
int emu_template_is_empty(const char *content, const char *body);

/* Numbers Python's json reads but jansson cannot hold (NaN, Infinity,
 * -Infinity, integers beyond 64 bits, reals that overflow to infinity) are
 * carried as a placeholder: an object whose one key is not valid UTF-8, so
 * no parsed JSON can forge it. emu_py_number() makes one for text (Python's
 * str() of the number: "nan", "inf", "-inf" or the digits); returns a new
 * reference or NULL on OOM. emu_py_number_text() returns that text when v
 * is a placeholder (valid while v lives), else NULL. emu_py_str() and
 * emu_py_repr() print the text. */
json_t *emu_py_number(const char *text);
const char *emu_py_number_text(const json_t *v);
/* 1 when v is a JSON object and not a number placeholder. */
int emu_is_object(const json_t *v);

/* Python str(value) of a JSON value (strings as they are, True/False/None,
 * Python float repr, lists/dicts as Python repr). Caller frees; NULL on OOM. */
char *emu_py_str(const json_t *v);
/* Python repr(value) of a JSON value ('abc', 12, [1, 'a'], {'k': None}).
 * Caller frees; NULL on OOM. */
char *emu_py_repr(const json_t *v);
/* Python str.lower() of UTF-8 text (invalid bytes kept). Caller frees. */
char *emu_py_lower(const char *s);
/* notifications-utils strip_and_remove_obscure_whitespace: removes
 * U+180E, U+200B-U+200D, U+2060, U+FEFF, U+2028, U+2029, U+00A0 and
 * U+202F anywhere, then strips " \t\n\r\v\f" from both ends. Caller frees. */
char *emu_strip_obscure_whitespace(const char *s);
/* InsensitiveDict.make_key: removes ' ', '_' and '-', then lower-cases.
 * Caller frees. */
char *emu_insensitive_key(const char *s);
/* Number of Unicode code points in UTF-8 text (Python len()). */
size_t emu_utf8_len(const char *s);

/* Decodes the UTF-8 code point at s[*i] (len bytes in all) and advances *i.
 * Returns the code point, or -1 for an invalid byte (then *i moves by 1). */
long emu_utf8_next(const unsigned char *s, size_t len, size_t *i);

#endif
