/* Template rendering and Python-compatible text helpers. See emu_template.h. */
#include "emu_template.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

/* ---- a growable byte buffer ------------------------------------------ */

typedef struct emu__buf {
    char *p;
    size_t n, cap;
    int oom;
} emu__buf;

/* Appends len bytes, keeping a NUL after them; sets oom on failure. */
static void emu__buf_add(emu__buf *b, const char *s, size_t len)
{
    if (b->oom)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

/* Appends a C string. */
static void emu__buf_puts(emu__buf *b, const char *s)
{
    emu__buf_add(b, s, strlen(s));
}

/* Returns the NUL-terminated contents (caller frees), or NULL after OOM. */
static char *emu__buf_finish(emu__buf *b)
{
    if (!b->oom && !b->p)
        emu__buf_add(b, "", 0);
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Decodes the code point at s[*i] (len bytes in all) and advances *i.
 * Returns the code point, or -1 for an invalid byte (then *i moves by 1). */
static long emu__utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    size_t need;
    long cp;
    if (c < 0x80) {
        (*i)++;
        return c;
    } else if ((c & 0xe0) == 0xc0) {
        need = 1;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        need = 2;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        need = 3;
        cp = c & 0x07;
    } else {
        (*i)++;
        return -1;
    }
    if (*i + need >= len) {
        (*i)++;
        return -1;
    }
    for (size_t k = 1; k <= need; k++) {
        if ((s[*i + k] & 0xc0) != 0x80) {
            (*i)++;
            return -1;
        }
        cp = (cp << 6) | (s[*i + k] & 0x3f);
    }
    *i += need + 1;
    return cp;
}

/* Appends the UTF-8 encoding of cp. */
static void emu__buf_cp(emu__buf *b, long cp)
{
    char t[4];
    if (cp < 0x80) {
        t[0] = (char)cp;
        emu__buf_add(b, t, 1);
    } else if (cp < 0x800) {
        t[0] = (char)(0xc0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3f));
        emu__buf_add(b, t, 2);
    } else if (cp < 0x10000) {
        t[0] = (char)(0xe0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        t[2] = (char)(0x80 | (cp & 0x3f));
        emu__buf_add(b, t, 3);
    } else {
        t[0] = (char)(0xf0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        t[3] = (char)(0x80 | (cp & 0x3f));
        emu__buf_add(b, t, 4);
    }
}

/* Counts the bytes that start a UTF-8 sequence (no allocation). */
size_t emu_utf8_len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xc0) != 0x80)
            n++;
    return n;
}

/* 1 when Python's str.isspace() is true for cp. */
static int emu__py_isspace(long cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 ||
           cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* The zero-width characters notifications-utils removes. */
static int emu__obscure_zero_width(long cp)
{
    return cp == 0x180e || cp == 0x200b || cp == 0x200c || cp == 0x200d || cp == 0x2060 ||
           cp == 0xfeff || cp == 0x2028 || cp == 0x2029;
}

/* The full-width obscure whitespace (no-break spaces). */
static int emu__obscure_full_width(long cp)
{
    return cp == 0xa0 || cp == 0x202f;
}

/* strip_and_remove_obscure_whitespace; malloc'd result for the caller. */
char *emu_strip_obscure_whitespace(const char *s)
{
    emu__buf b = {0};
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s), i = 0;
    while (i < len) {
        size_t start = i;
        long cp = emu__utf8_next(u, len, &i);
        if (cp >= 0 && (emu__obscure_zero_width(cp) || emu__obscure_full_width(cp)))
            continue;
        emu__buf_add(&b, s + start, i - start);
    }
    char *out = emu__buf_finish(&b);
    if (!out)
        return NULL;
    /* str.strip(string.whitespace) */
    size_t n = strlen(out), a = 0;
    while (n > 0 && strchr(" \t\n\r\v\f", out[n - 1]))
        out[--n] = '\0';
    while (a < n && strchr(" \t\n\r\v\f", out[a]))
        a++;
    memmove(out, out + a, n - a + 1);
    return out;
}

/* str.lower(): ASCII directly, other code points via the C.UTF-8 locale
 * (U+0130 gets its full mapping). Malloc'd result for the caller. */
char *emu_py_lower(const char *s)
{
    size_t len = strlen(s);
    int ascii = 1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            ascii = 0;
    if (ascii) {
        char *out = malloc(len + 1);
        if (!out)
            return NULL;
        for (size_t i = 0; i <= len; i++)
            out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
        return out;
    }
    locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    emu__buf b = {0};
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        long cp = emu__utf8_next(u, len, &i);
        if (cp < 0) {
            emu__buf_add(&b, s + start, i - start);
        } else if (cp == 0x130) { /* full case mapping: İ -> i + combining dot */
            emu__buf_cp(&b, 'i');
            emu__buf_cp(&b, 0x307);
        } else if (cp < 0x80) {
            emu__buf_cp(&b, (cp >= 'A' && cp <= 'Z') ? cp - 'A' + 'a' : cp);
        } else {
            emu__buf_cp(&b, loc ? (long)towlower_l((wint_t)cp, loc) : cp);
        }
    }
    if (loc)
        freelocale(loc);
    return emu__buf_finish(&b);
}

/* InsensitiveDict.make_key; malloc'd result for the caller. */
char *emu_insensitive_key(const char *s)
{
    size_t len = strlen(s);
    char *t = malloc(len + 1);
    if (!t)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '_' && s[i] != '-')
            t[o++] = s[i];
    t[o] = '\0';
    char *out = emu_py_lower(t);
    free(t);
    return out;
}

/* ---- Python str() and repr() ------------------------------------------ */

/* 1 when Python's str.isprintable() is false for a non-ASCII cp (an
 * approximation of the Unicode categories Cc, Cf, Cs, Co, Zl, Zp, Zs). */
static int emu__py_unprintable(long cp)
{
    return (cp >= 0x80 && cp <= 0xa0) || cp == 0xad || (cp >= 0x600 && cp <= 0x605) ||
           cp == 0x61c || cp == 0x6dd || cp == 0x70f || cp == 0x180e || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
           (cp >= 0x205f && cp <= 0x206f) || cp == 0x3000 || (cp >= 0xd800 && cp <= 0xf8ff) ||
           cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || cp == 0xfffe || cp == 0xffff ||
           (cp >= 0xe0000 && cp <= 0xe0fff) || cp >= 0xf0000;
}

/* Appends Python repr() of a str: quote choice and escapes as CPython does. */
static void emu__repr_string(emu__buf *b, const char *s, size_t len)
{
    int has_sq = memchr(s, '\'', len) != NULL, has_dq = memchr(s, '"', len) != NULL;
    char q = (has_sq && !has_dq) ? '"' : '\'';
    char t[24];
    emu__buf_add(b, &q, 1);
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        long cp = emu__utf8_next(u, len, &i);
        if (cp < 0) {
            snprintf(t, sizeof(t), "\\x%02x", u[start]);
            emu__buf_puts(b, t);
        } else if (cp == q || cp == '\\') {
            t[0] = '\\';
            t[1] = (char)cp;
            emu__buf_add(b, t, 2);
        } else if (cp == '\t') {
            emu__buf_puts(b, "\\t");
        } else if (cp == '\n') {
            emu__buf_puts(b, "\\n");
        } else if (cp == '\r') {
            emu__buf_puts(b, "\\r");
        } else if (cp < 0x20 || cp == 0x7f) {
            snprintf(t, sizeof(t), "\\x%02lx", (unsigned long)cp);
            emu__buf_puts(b, t);
        } else if (cp < 0x80 || !emu__py_unprintable(cp)) {
            emu__buf_add(b, s + start, i - start);
        } else {
            if (cp <= 0xff)
                snprintf(t, sizeof(t), "\\x%02lx", (unsigned long)cp);
            else if (cp <= 0xffff)
                snprintf(t, sizeof(t), "\\u%04lx", (unsigned long)cp);
            else
                snprintf(t, sizeof(t), "\\U%08lx", (unsigned long)cp);
            emu__buf_puts(b, t);
        }
    }
    emu__buf_add(b, &q, 1);
}

/* Python's repr() of a float: the shortest digits that round-trip, fixed
 * notation for exponents -4..15, else d.ddde+XX. */
static void emu__repr_float(emu__buf *b, double d)
{
    if (isnan(d)) {
        emu__buf_puts(b, "nan");
        return;
    }
    if (isinf(d)) {
        emu__buf_puts(b, d < 0 ? "-inf" : "inf");
        return;
    }
    char tmp[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    char digits[32];
    size_t nd = 0;
    const char *p = tmp;
    if (*p == '-')
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && nd < sizeof(digits) - 1)
            digits[nd++] = *p;
    digits[nd] = '\0';
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';
    int exp10 = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
    if (signbit(d))
        emu__buf_puts(b, "-");
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 >= 0) {
            for (int k = 0; k <= exp10; k++)
                emu__buf_add(b, (size_t)k < nd ? &digits[k] : "0", 1);
            emu__buf_puts(b, ".");
            if ((size_t)exp10 + 1 < nd)
                emu__buf_puts(b, digits + exp10 + 1);
            else
                emu__buf_puts(b, "0");
        } else {
            emu__buf_puts(b, "0.");
            for (int k = 0; k < -exp10 - 1; k++)
                emu__buf_puts(b, "0");
            emu__buf_puts(b, digits);
        }
    } else {
        emu__buf_add(b, digits, 1);
        if (nd > 1) {
            emu__buf_puts(b, ".");
            emu__buf_puts(b, digits + 1);
        }
        snprintf(tmp, sizeof(tmp), "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
        emu__buf_puts(b, tmp);
    }
}

/* Appends Python repr() of any JSON value (bounded depth). */
static void emu__repr(emu__buf *b, const json_t *v, int depth)
{
    char t[32];
    if (depth > 64) { /* Python would recurse; keep the stack bounded */
        emu__buf_puts(b, "...");
        return;
    }
    switch (json_typeof(v)) {
    case JSON_NULL:
        emu__buf_puts(b, "None");
        break;
    case JSON_TRUE:
        emu__buf_puts(b, "True");
        break;
    case JSON_FALSE:
        emu__buf_puts(b, "False");
        break;
    case JSON_INTEGER:
        snprintf(t, sizeof(t), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        emu__buf_puts(b, t);
        break;
    case JSON_REAL:
        emu__repr_float(b, json_real_value(v));
        break;
    case JSON_STRING:
        emu__repr_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_ARRAY: {
        emu__buf_puts(b, "[");
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                emu__buf_puts(b, ", ");
            emu__repr(b, json_array_get(v, i), depth + 1);
        }
        emu__buf_puts(b, "]");
        break;
    }
    case JSON_OBJECT: {
        const char *key;
        json_t *val;
        int first = 1;
        emu__buf_puts(b, "{");
        json_object_foreach((json_t *)v, key, val) {
            if (!first)
                emu__buf_puts(b, ", ");
            first = 0;
            emu__repr_string(b, key, strlen(key));
            emu__buf_puts(b, ": ");
            emu__repr(b, val, depth + 1);
        }
        emu__buf_puts(b, "}");
        break;
    }
    }
}

/* repr() of v (None for NULL); malloc'd result for the caller. */
char *emu_py_repr(const json_t *v)
{
    emu__buf b = {0};
    if (v)
        emu__repr(&b, v, 0);
    else
        emu__buf_puts(&b, "None");
    return emu__buf_finish(&b);
}

/* str() of v; malloc'd result for the caller. */
char *emu_py_str(const json_t *v)
{
    if (json_is_string(v)) {
        emu__buf b = {0};
        emu__buf_add(&b, json_string_value(v), json_string_length(v));
        return emu__buf_finish(&b);
    }
    return emu_py_repr(v);
}

/* ---- string lists ------------------------------------------------------ */

void emu_strlist_init(emu_strlist *l)
{
    memset(l, 0, sizeof(*l));
}

/* Appends a copy of s unless an insensitively equal name is there; 0 or -1. */
int emu_strlist_add_unique(emu_strlist *l, const char *s)
{
    char *key = emu_insensitive_key(s);
    if (!key)
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        char *other = emu_insensitive_key(l->items[i]);
        if (!other) {
            free(key);
            return -1;
        }
        int same = strcmp(key, other) == 0;
        free(other);
        if (same) {
            free(key);
            return 0;
        }
    }
    free(key);
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **items = realloc(l->items, cap * sizeof(*items));
        if (!items)
            return -1;
        l->items = items;
        l->cap = cap;
    }
    char *copy = strdup(s);
    if (!copy)
        return -1;
    l->items[l->n++] = copy;
    return 0;
}

/* Frees every string and the array; the list is left empty. */
void emu_strlist_free(emu_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

/* ---- placeholders ------------------------------------------------------ */

/* Finds the next placeholder at or after s[*pos]: Field.placeholder_pattern
 * \(\(([^()]+)\)\). Returns 1 and sets *start (the first '(') and *body,
 * *body_len, or 0 when there is none. */
static int emu__next_placeholder(const char *s, size_t *pos, size_t *start, size_t *body,
                                 size_t *body_len)
{
    for (size_t i = *pos; s[i]; i++) {
        if (s[i] != '(' || s[i + 1] != '(')
            continue;
        size_t j = i + 2;
        while (s[j] && s[j] != '(' && s[j] != ')')
            j++;
        if (j > i + 2 && s[j] == ')' && s[j + 1] == ')') {
            *start = i;
            *body = i + 2;
            *body_len = j - (i + 2);
            *pos = j + 2;
            return 1;
        }
    }
    return 0;
}

/* The length of a placeholder's name: the body up to the first "??". */
static size_t emu__name_len(const char *body, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (body[i] == '?' && body[i + 1] == '?')
            return i;
    return len;
}

/* Appends each placeholder name of text once, in order; 0 or -1 (OOM). */
int emu_template_placeholders(const char *text, emu_strlist *out)
{
    size_t pos = 0, start, body, len;
    if (!text)
        return 0;
    while (emu__next_placeholder(text, &pos, &start, &body, &len)) {
        size_t nl = emu__name_len(text + body, len);
        char *name = strndup(text + body, nl);
        if (!name)
            return -1;
        int rc = emu_strlist_add_unique(out, name);
        free(name);
        if (rc)
            return -1;
    }
    return 0;
}

/* ---- rendering --------------------------------------------------------- */

/* The personalisation keys, normalised once per render. */
typedef struct emu__values {
    size_t n;
    char **keys;
    json_t **vals;
} emu__values;

/* Frees the normalised keys (the JSON values are borrowed). */
static void emu__values_free(emu__values *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->keys[i]);
    free(v->keys);
    free(v->vals);
}

/* Returns 0, or -1 on OOM (then *v holds nothing to free). */
static int emu__values_init(emu__values *v, json_t *pers)
{
    memset(v, 0, sizeof(*v));
    if (!json_is_object(pers) || json_object_size(pers) == 0)
        return 0;
    size_t n = json_object_size(pers);
    v->keys = calloc(n, sizeof(*v->keys));
    v->vals = calloc(n, sizeof(*v->vals));
    if (!v->keys || !v->vals) {
        emu__values_free(v);
        return -1;
    }
    const char *key;
    json_t *val;
    json_object_foreach(pers, key, val) {
        v->keys[v->n] = emu_insensitive_key(key);
        if (!v->keys[v->n]) {
            emu__values_free(v);
            memset(v, 0, sizeof(*v));
            return -1;
        }
        v->vals[v->n++] = val;
    }
    return 0;
}

/* The value for a placeholder name (the last key that matches, as a Python
 * dict built from the JSON keeps the last), or NULL. *oom set on OOM. */
static json_t *emu__values_get(const emu__values *v, const char *name, int *oom)
{
    char *key = emu_insensitive_key(name);
    if (!key) {
        *oom = 1;
        return NULL;
    }
    json_t *found = NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0)
            found = v->vals[i];
    free(key);
    return found;
}

/* Field.get_replacement for a non-null value: a list becomes a Markdown
 * list of its non-empty items, anything else Python str(). Caller frees. */
static char *emu__replacement(const json_t *val)
{
    if (!json_is_array(val))
        return emu_py_str(val);
    emu__buf b = {0};
    for (size_t i = 0; i < json_array_size(val); i++) {
        json_t *item = json_array_get(val, i);
        if (json_is_null(item))
            continue;
        char *s = emu_py_str(item);
        char *t = s ? emu_strip_obscure_whitespace(s) : NULL;
        free(s);
        if (!t) {
            b.oom = 1;
            break;
        }
        if (*t) {
            emu__buf_puts(&b, b.n ? "\n* " : "\n\n* ");
            emu__buf_puts(&b, t);
        }
        free(t);
    }
    return emu__buf_finish(&b);
}

/* notifications-utils str2bool. */
static int emu__str2bool(const char *s)
{
    static const char *const yes[] = {"yes", "y", "true", "t", "1", "include", "show"};
    if (!*s)
        return 0;
    char *low = emu_py_lower(s);
    int r = 0;
    for (size_t i = 0; low && i < sizeof(yes) / sizeof(yes[0]); i++)
        if (strcmp(low, yes[i]) == 0)
            r = 1;
    free(low);
    return r;
}

/* Field(html="passthrough", markdown_lists=True).replaced; malloc'd result. */
char *emu_template_render(const char *text, json_t *personalisation, emu_strlist *missing)
{
    emu__values vals;
    if (emu__values_init(&vals, personalisation))
        return NULL;
    emu__buf b = {0};
    size_t pos = 0, prev = 0, start, body, len;
    if (!text)
        text = "";
    while (!b.oom && emu__next_placeholder(text, &pos, &start, &body, &len)) {
        emu__buf_add(&b, text + prev, start - prev);
        prev = pos;
        size_t nl = emu__name_len(text + body, len);
        char *name = strndup(text + body, nl);
        if (!name) {
            b.oom = 1;
            break;
        }
        int oom = 0;
        json_t *val = emu__values_get(&vals, name, &oom);
        if (oom) {
            free(name);
            b.oom = 1;
            break;
        }
        if (!val || json_is_null(val)) {
            if (missing && emu_strlist_add_unique(missing, name))
                b.oom = 1;
            emu__buf_add(&b, text + start, pos - start);
        } else {
            char *rep = emu__replacement(val);
            if (!rep) {
                b.oom = 1;
            } else if (nl < len) { /* conditional: ((name??text)) */
                if (emu__str2bool(rep))
                    emu__buf_add(&b, text + body + nl + 2, len - nl - 2);
            } else {
                emu__buf_puts(&b, rep);
            }
            free(rep);
        }
        free(name);
    }
    emu__buf_puts(&b, text + prev);
    emu__values_free(&vals);
    return emu__buf_finish(&b);
}

/* Python str.strip() of UTF-8 text, in place. */
static void emu__py_strip(char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s), i = 0, first = len, last = 0;
    while (i < len) {
        size_t at = i;
        long cp = emu__utf8_next(u, len, &i);
        if (cp < 0 || !emu__py_isspace(cp)) {
            if (first == len)
                first = at;
            last = i;
        }
    }
    if (first == len) {
        s[0] = '\0';
        return;
    }
    memmove(s, s + first, last - first);
    s[last - first] = '\0';
}

/* content_with_placeholders_filled_in; malloc'd result for the caller. */
char *emu_template_render_body(const char *text, json_t *personalisation, emu_strlist *missing)
{
    char *out = emu_template_render(text, personalisation, missing);
    if (out)
        emu__py_strip(out);
    return out;
}

/* Template.is_message_empty over the raw content and the rendered body. */
int emu_template_is_empty(const char *content, const char *body)
{
    if (!content || !*content)
        return 1;
    size_t n = strlen(content);
    if (n < 2 || strncmp(content, "((", 2) != 0 || strcmp(content + n - 2, "))") != 0)
        return 0;
    return !body || !*body;
}

/* One code point of s at *i as (cp, byte length); cp -1 for invalid. */
static long emu__peek(const char *s, size_t len, size_t i, size_t *n)
{
    size_t j = i;
    long cp = emu__utf8_next((const unsigned char *)s, len, &j);
    *n = j - i;
    return cp;
}

/* formatters.remove_whitespace_before_punctuation: (?<![ \t])[ \t]+([,.]). */
static char *emu__remove_ws_before_punct(const char *s)
{
    emu__buf b = {0};
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        if (s[i] == ' ' || s[i] == '\t') {
            size_t j = i;
            while (j < len && (s[j] == ' ' || s[j] == '\t'))
                j++;
            if (j < len && (s[j] == ',' || s[j] == '.')) {
                i = j;
                continue;
            }
            emu__buf_add(&b, s + i, j - i);
            i = j;
            continue;
        }
        emu__buf_add(&b, s + i, 1);
        i++;
    }
    return emu__buf_finish(&b);
}

/* 1 for '-', U+2013 or U+2014. */
static int emu__is_dash(long cp)
{
    return cp == '-' || cp == 0x2013 || cp == 0x2014;
}

/* formatters.replace_hyphens_with_en_dashes: (?<!\s)\s+[-–—]{1,3}\s+ -> " – ". */
static char *emu__en_dashes(const char *s)
{
    emu__buf b = {0};
    size_t len = strlen(s), n;
    int prev_space = 0;
    for (size_t i = 0; i < len;) {
        long cp = emu__peek(s, len, i, &n);
        if (cp >= 0 && emu__py_isspace(cp) && !prev_space) {
            size_t j = i, m;
            long c;
            while (j < len && (c = emu__peek(s, len, j, &m)) >= 0 && emu__py_isspace(c))
                j += m;
            size_t k = j;
            int dashes = 0;
            while (k < len && dashes < 3 && (c = emu__peek(s, len, k, &m)) >= 0 && emu__is_dash(c)) {
                k += m;
                dashes++;
            }
            size_t e = k;
            while (e < len && (c = emu__peek(s, len, e, &m)) >= 0 && emu__py_isspace(c))
                e += m;
            if (dashes > 0 && e > k) {
                emu__buf_puts(&b, " \xe2\x80\x93 ");
                i = e;
                prev_space = 1;
                continue;
            }
        }
        prev_space = cp >= 0 && emu__py_isspace(cp);
        emu__buf_add(&b, s + i, n);
        i += n;
    }
    return emu__buf_finish(&b);
}

/* formatters.normalise_whitespace: no-break spaces become spaces, zero-width
 * characters go, then " ".join(value.split()). */
static char *emu__normalise_whitespace(const char *s)
{
    emu__buf b = {0};
    size_t len = strlen(s), n;
    int pending = 0;
    for (size_t i = 0; i < len; i += n) {
        long cp = emu__peek(s, len, i, &n);
        if (cp >= 0 && emu__obscure_zero_width(cp))
            continue;
        if (cp >= 0 && (emu__obscure_full_width(cp) || emu__py_isspace(cp))) {
            pending = 1;
            continue;
        }
        if (pending && b.n)
            emu__buf_puts(&b, " ");
        pending = 0;
        emu__buf_add(&b, s + i, n);
    }
    return emu__buf_finish(&b);
}

/* ---- smartypants (quotes only, Unicode output) -------------------------- */

/* Text as code points, for the regex-like passes below. */
typedef struct emu__cps {
    uint32_t *v;
    size_t n, cap;
    int oom;
} emu__cps;

/* Appends one code point; sets oom on failure. */
static void emu__cps_push(emu__cps *c, uint32_t cp)
{
    if (c->oom)
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        uint32_t *v = realloc(c->v, cap * sizeof(*v));
        if (!v) {
            c->oom = 1;
            return;
        }
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = cp;
}

/* Appends the code points of an ASCII string. */
static void emu__cps_puts(emu__cps *c, const char *ascii)
{
    for (; *ascii; ascii++)
        emu__cps_push(c, (unsigned char)*ascii);
}

/* The code point at i, or 0 past the end (0 never occurs in the text). */
static uint32_t emu__cp_at(const emu__cps *c, size_t i)
{
    return i < c->n ? c->v[i] : 0;
}

/* 1 when the ASCII string occurs at i. */
static int emu__cps_has(const emu__cps *c, size_t i, const char *ascii)
{
    for (size_t k = 0; ascii[k]; k++)
        if (emu__cp_at(c, i + k) != (unsigned char)ascii[k])
            return 0;
    return 1;
}

/* Python's \w for a code point (0 = end of text: not a word character). */
static int emu__is_word(uint32_t cp, locale_t loc)
{
    if (cp == 0)
        return 0;
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
               cp == '_';
    return loc ? iswalnum_l((wint_t)cp, loc) != 0 : 1;
}

/* 1 for an ASCII digit (Python \d, ASCII part). */
static int emu__is_digit(uint32_t cp)
{
    return cp >= '0' && cp <= '9';
}

/* smartypants' punct_class: ASCII punctuation except '&'. */
static int emu__is_punct(uint32_t cp)
{
    return cp && cp < 0x80 && strchr("!\"#$%'()*+,-./:;<=>?@[\\]^_`{|}~", (int)cp);
}

/* close_class [^ \t\r\n[{(-] (0 = end: no character). */
static int emu__is_close(uint32_t cp)
{
    return cp && !(cp < 0x80 && strchr(" \t\r\n[{(-", (int)cp));
}

/* Python \s for a code point (0 = end of text: no). */
static int emu__space(uint32_t cp)
{
    return cp && emu__py_isspace((long)cp);
}

/* One pass of smartypants.convert_quotes, from a into a fresh *b. */
typedef void (*emu__pass_fn)(const emu__cps *a, emu__cps *b, locale_t loc, uint32_t q);

/* ^'(?=punct\\B) and ^"(?=punct\\B): the raw string makes "\\B" a literal
 * backslash and B. */
static void emu__pass_start(const emu__cps *a, emu__cps *b, locale_t loc, uint32_t q)
{
    (void)loc;
    size_t i = 0;
    if (emu__cp_at(a, 0) == q && emu__is_punct(emu__cp_at(a, 1)) && emu__cp_at(a, 2) == '\\' &&
        emu__cp_at(a, 3) == 'B') {
        emu__cps_puts(b, q == '\'' ? "&#8217;" : "&#8221;");
        i = 1;
    }
    for (; i < a->n; i++)
        emu__cps_push(b, a->v[i]);
}

/* "'(?=\w) and '"(?=\w) (q is the first quote). */
static void emu__pass_double_set(const emu__cps *a, emu__cps *b, locale_t loc, uint32_t q)
{
    uint32_t other = q == '"' ? '\'' : '"';
    for (size_t i = 0; i < a->n;) {
        if (a->v[i] == q && emu__cp_at(a, i + 1) == other && emu__is_word(emu__cp_at(a, i + 2), loc)) {
            emu__cps_puts(b, q == '"' ? "&#8220;&#8216;" : "&#8216;&#8220;");
            i += 2;
        } else {
            emu__cps_push(b, a->v[i++]);
        }
    }
}

/* \b'(?=\d{2}s): decade abbreviations. */
static void emu__pass_decade(const emu__cps *a, emu__cps *b, locale_t loc, uint32_t q)
{
    (void)q;
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i] == '\'' && i > 0 && emu__is_word(a->v[i - 1], loc) &&
            emu__is_digit(emu__cp_at(a, i + 1)) && emu__is_digit(emu__cp_at(a, i + 2)) &&
            emu__cp_at(a, i + 3) == 's')
            emu__cps_puts(b, "&#8217;");
        else
            emu__cps_push(b, a->v[i]);
    }
}

/* (\s|&nbsp;|--|&[mn]dash;|&&\#x201[34];)q(?=\w) -> \1 + opening entity. The
 * "&&#x201[34];" alternative is what the verbose pattern compiles to: its
 * "&#8211;|&#8212;" starts a comment after the "&". */
static void emu__pass_opening(const emu__cps *a, emu__cps *b, locale_t loc, uint32_t q)
{
    for (size_t i = 0; i < a->n;) {
        size_t len = 0;
        size_t cands[5];
        size_t nc = 0;
        if (emu__space(a->v[i]))
            cands[nc++] = 1;
        if (emu__cps_has(a, i, "&nbsp;"))
            cands[nc++] = 6;
        if (emu__cps_has(a, i, "--"))
            cands[nc++] = 2;
        if (emu__cps_has(a, i, "&mdash;") || emu__cps_has(a, i, "&ndash;"))
            cands[nc++] = 7;
        if (emu__cps_has(a, i, "&&#x2013;") || emu__cps_has(a, i, "&&#x2014;"))
            cands[nc++] = 9;
        for (size_t k = 0; k < nc && !len; k++)
            if (emu__cp_at(a, i + cands[k]) == q && emu__is_word(emu__cp_at(a, i + cands[k] + 1), loc))
                len = cands[k];
        if (len) {
            for (size_t k = 0; k < len; k++)
                emu__cps_push(b, a->v[i + k]);
            emu__cps_puts(b, q == '\'' ? "&#8216;" : "&#8220;");
            i += len + 1;
        } else {
            emu__cps_push(b, a->v[i++]);
        }
    }
}

/* (close)'(?!\s|s\b|\d) -> \1&#8217; */
static void emu__pass_close1(const emu__cps *a, emu__cps *b, locale_t loc, uint32_t q)
{
    (void)q;
    for (size_t i = 0; i < a->n;) {
        uint32_t n2 = emu__cp_at(a, i + 2);
        int blocked = emu__space(n2) || (n2 == 's' && !emu__is_word(emu__cp_at(a, i + 3), loc)) ||
                      emu__is_digit(n2);
        if (emu__is_close(a->v[i]) && emu__cp_at(a, i + 1) == '\'' && !blocked) {
            emu__cps_push(b, a->v[i]);
            emu__cps_puts(b, "&#8217;");
            i += 2;
        } else {
            emu__cps_push(b, a->v[i++]);
        }
    }
}

/* (close)'(\s|s\b) -> \1&#8217;\2 */
static void emu__pass_close2(const emu__cps *a, emu__cps *b, locale_t loc, uint32_t q)
{
    (void)q;
    for (size_t i = 0; i < a->n;) {
        uint32_t n2 = emu__cp_at(a, i + 2);
        int follows = emu__space(n2) || (n2 == 's' && !emu__is_word(emu__cp_at(a, i + 3), loc));
        if (emu__is_close(a->v[i]) && emu__cp_at(a, i + 1) == '\'' && follows) {
            emu__cps_push(b, a->v[i]);
            emu__cps_puts(b, "&#8217;");
            emu__cps_push(b, n2);
            i += 3;
        } else {
            emu__cps_push(b, a->v[i++]);
        }
    }
}

/* Every remaining q becomes the opening entity. */
static void emu__pass_rest(const emu__cps *a, emu__cps *b, locale_t loc, uint32_t q)
{
    (void)loc;
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i] == q)
            emu__cps_puts(b, q == '\'' ? "&#8216;" : "&#8220;");
        else
            emu__cps_push(b, a->v[i]);
    }
}

/* "(?=\s) -> &#8221; */
static void emu__pass_dq_close_space(const emu__cps *a, emu__cps *b, locale_t loc, uint32_t q)
{
    (void)loc;
    (void)q;
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i] == '"' && emu__space(emu__cp_at(a, i + 1)))
            emu__cps_puts(b, "&#8221;");
        else
            emu__cps_push(b, a->v[i]);
    }
}

/* ^"(?=punct) -> &#8221; */
static void emu__pass_dq_close_start(const emu__cps *a, emu__cps *b, locale_t loc, uint32_t q)
{
    (void)loc;
    (void)q;
    for (size_t i = 0; i < a->n; i++) {
        if (i == 0 && a->v[i] == '"' && emu__is_punct(emu__cp_at(a, 1)))
            emu__cps_puts(b, "&#8221;");
        else
            emu__cps_push(b, a->v[i]);
    }
}

/* (close)" -> \1&#8221; */
static void emu__pass_dq_close(const emu__cps *a, emu__cps *b, locale_t loc, uint32_t q)
{
    (void)loc;
    (void)q;
    for (size_t i = 0; i < a->n;) {
        if (emu__is_close(a->v[i]) && emu__cp_at(a, i + 1) == '"') {
            emu__cps_push(b, a->v[i]);
            emu__cps_puts(b, "&#8221;");
            i += 2;
        } else {
            emu__cps_push(b, a->v[i++]);
        }
    }
}

/* Runs one pass, replacing *a. Returns 0 or -1 on OOM. */
static int emu__run_pass(emu__cps *a, emu__pass_fn fn, locale_t loc, uint32_t q)
{
    emu__cps b = {0};
    fn(a, &b, loc, q);
    free(a->v);
    *a = b;
    return b.oom ? -1 : 0;
}

/* smartypants.convert_quotes over one text token, in place. */
static int emu__convert_quotes(emu__cps *t, locale_t loc)
{
    struct {
        emu__pass_fn fn;
        uint32_t q;
    } passes[] = {
        {emu__pass_start, '\''},       {emu__pass_start, '"'},       {emu__pass_double_set, '"'},
        {emu__pass_double_set, '\''},  {emu__pass_decade, '\''},     {emu__pass_opening, '\''},
        {emu__pass_close1, '\''},      {emu__pass_close2, '\''},     {emu__pass_rest, '\''},
        {emu__pass_opening, '"'},      {emu__pass_dq_close_space, '"'},
        {emu__pass_dq_close_start, '"'}, {emu__pass_dq_close, '"'},
        {emu__pass_rest, '"'},
    };
    for (size_t k = 0; k < sizeof(passes) / sizeof(passes[0]); k++)
        if (emu__run_pass(t, passes[k].fn, loc, passes[k].q))
            return -1;
    return 0;
}

/* smartypants.process_escapes: \\ then \" \' \. \- \` become entities. */
static int emu__process_escapes(emu__cps *t)
{
    emu__cps b = {0};
    for (size_t i = 0; i < t->n;) {
        if (t->v[i] == '\\' && emu__cp_at(t, i + 1) == '\\') {
            emu__cps_puts(&b, "&#92;");
            i += 2;
        } else {
            emu__cps_push(&b, t->v[i++]);
        }
    }
    free(t->v);
    *t = b;
    if (b.oom)
        return -1;
    emu__cps c = {0};
    for (size_t i = 0; i < t->n;) {
        const char *e = NULL;
        if (t->v[i] == '\\') {
            switch (emu__cp_at(t, i + 1)) {
            case '"': e = "&#34;"; break;
            case '\'': e = "&#39;"; break;
            case '.': e = "&#46;"; break;
            case '-': e = "&#45;"; break;
            case '`': e = "&#96;"; break;
            default: break;
            }
        }
        if (e) {
            emu__cps_puts(&c, e);
            i += 2;
        } else {
            emu__cps_push(&c, t->v[i++]);
        }
    }
    free(t->v);
    *t = c;
    return c.oom ? -1 : 0;
}

/* smartypants.convert_entities(text, 0) for the entities convert_quotes
 * makes, appending UTF-8 to out. */
static void emu__emit_entities(const emu__cps *t, emu__buf *out)
{
    static const struct {
        const char *ent;
        long cp;
    } tbl[] = {{"&#8211;", 0x2013}, {"&#8212;", 0x2014}, {"&#8216;", 0x2018}, {"&#8217;", 0x2019},
               {"&#8220;", 0x201c}, {"&#8221;", 0x201d}, {"&#8230;", 0x2026}};
    for (size_t i = 0; i < t->n;) {
        int done = 0;
        for (size_t k = 0; k < sizeof(tbl) / sizeof(tbl[0]) && !done; k++) {
            if (emu__cps_has(t, i, tbl[k].ent)) {
                emu__buf_cp(out, tbl[k].cp);
                i += strlen(tbl[k].ent);
                done = 1;
            }
        }
        if (!done)
            emu__buf_cp(out, (long)t->v[i++]);
    }
}

/* 1 when the tag (from its '<') opens or closes a skipped element:
 * <(/)?(pre|samp|code|tt|kbd|script|style|math|a)[^>]*> case-insensitively
 * ('a' is added by notifications-utils). Sets *closing and *name. */
static int emu__skip_tag(const char *tag, size_t len, int *closing, const char **name)
{
    static const char *const names[] = {"pre", "samp", "code", "tt", "kbd", "script", "style",
                                        "math", "a"};
    size_t i = 1;
    *closing = 0;
    if (i < len && tag[i] == '/') {
        *closing = 1;
        i++;
    }
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        size_t nl = strlen(names[k]);
        if (i + nl <= len && strncasecmp(tag + i, names[k], nl) == 0) {
            *name = names[k];
            return 1;
        }
    }
    return 0;
}

/* Finds the next tag at or after p: a comment <!--.*?--\s*> or <[^>]*>.
 * Returns 1 with *start and *end (one past the '>') set. */
static int emu__next_tag(const char *s, size_t p, size_t *start, size_t *end, int *is_text)
{
    const char *lt = strchr(s + p, '<');
    if (!lt)
        return 0;
    size_t i = (size_t)(lt - s);
    *is_text = 0;
    if (strncmp(lt, "<!--", 4) == 0) {
        for (size_t j = i + 4; s[j]; j++) {
            if (s[j] == '-' && s[j + 1] == '-') {
                size_t k = j + 2;
                while (s[k] && emu__py_isspace((unsigned char)s[k]))
                    k++;
                if (s[k] == '>') {
                    *start = i;
                    *end = k + 1;
                    /* '--' inside the comment text makes it text */
                    size_t a = i + 4, e = k + 1;
                    while (e > a && s[e - 1] == '>')
                        e--;
                    while (e > a && emu__py_isspace((unsigned char)s[e - 1]))
                        e--;
                    while (e > a && s[e - 1] == '-')
                        e--;
                    for (size_t m = a; m + 1 < e; m++)
                        if (s[m] == '-' && s[m + 1] == '-')
                            *is_text = 1;
                    return 1;
                }
            }
        }
    }
    const char *gt = strchr(lt, '>');
    if (!gt)
        return 0;
    *start = i;
    *end = (size_t)(gt - s) + 1;
    return 1;
}

/* Decodes s[a..e) into code points. */
static void emu__cps_from(emu__cps *c, const char *s, size_t a, size_t e)
{
    size_t i = a;
    while (i < e) {
        size_t st = i;
        long cp = emu__utf8_next((const unsigned char *)s, e, &i);
        emu__cps_push(c, cp < 0 ? (uint32_t)(unsigned char)s[st] : (uint32_t)cp);
    }
}

/* Processes one text token; prev is the last character of the previous text
 * token (0 if none). Appends to out. Returns 0 or -1. */
static int emu__smarty_text(const char *s, size_t a, size_t e, uint32_t prev, locale_t loc,
                            emu__buf *out)
{
    emu__cps t = {0};
    emu__cps_from(&t, s, a, e);
    int rc = t.oom ? -1 : emu__process_escapes(&t);
    if (!rc && t.n == 1 && (t.v[0] == '\'' || t.v[0] == '"')) {
        int closing = prev && !emu__space(prev);
        const char *ent = t.v[0] == '\'' ? (closing ? "&#8217;" : "&#8216;")
                                         : (closing ? "&#8221;" : "&#8220;");
        t.n = 0;
        emu__cps_puts(&t, ent);
        rc = t.oom ? -1 : 0;
    } else if (!rc) {
        rc = emu__convert_quotes(&t, loc);
    }
    if (!rc)
        emu__emit_entities(&t, out);
    free(t.v);
    return rc;
}

/* smartypants.smartypants(text, Attr.q | Attr.u). Caller frees. */
static char *emu__smartypants(const char *s, locale_t loc)
{
    emu__buf out = {0};
    size_t p = 0, len = strlen(s), start, end;
    uint32_t prev = 0;
    int in_pre = 0, is_text;
    const char *stack[32];
    size_t depth = 0;
    for (;;) {
        int found = emu__next_tag(s, p, &start, &end, &is_text);
        size_t text_end = found ? start : len;
        if (text_end > p) {
            if (in_pre) {
                emu__buf_add(&out, s + p, text_end - p);
            } else if (emu__smarty_text(s, p, text_end, prev, loc, &out)) {
                out.oom = 1;
                break;
            }
            size_t i = text_end - 1;
            while (i > p && ((unsigned char)s[i] & 0xc0) == 0x80)
                i--;
            size_t j = i;
            long cp = emu__utf8_next((const unsigned char *)s, text_end, &j);
            prev = cp < 0 ? (unsigned char)s[i] : (uint32_t)cp;
        }
        if (!found)
            break;
        if (is_text) {
            if (!in_pre && emu__smarty_text(s, start, end, prev, loc, &out)) {
                out.oom = 1;
                break;
            }
            if (in_pre)
                emu__buf_add(&out, s + start, end - start);
            prev = '>';
        } else {
            emu__buf_add(&out, s + start, end - start);
            int closing;
            const char *name;
            if (emu__skip_tag(s + start, end - start, &closing, &name)) {
                if (!closing) {
                    if (depth < sizeof(stack) / sizeof(stack[0]))
                        stack[depth++] = name;
                    in_pre = 1;
                } else {
                    if (depth > 0 && strcmp(stack[depth - 1], name) == 0)
                        depth--;
                    if (depth == 0)
                        in_pre = 0;
                }
            }
        }
        p = end;
    }
    return emu__buf_finish(&out);
}

/* notifications-utils remove_smart_quotes_from_email_addresses: in every
 * match of (^|\s)\S+@\S+(\s|$) (multi-line; a match takes its trailing
 * whitespace), U+2018 and U+2019 become '. */
static char *emu__unsmart_emails(const char *s)
{
    size_t len = strlen(s), n, m;
    emu__buf b = {0};
    size_t i = 0;
    while (i < len) {
        long cp = emu__peek(s, len, i, &n);
        int space = cp >= 0 && emu__py_isspace(cp);
        size_t r = len + 1;
        if (space)
            r = i + n;
        else if (i == 0 || s[i - 1] == '\n')
            r = i;
        size_t e = r;
        int ok = 0;
        if (r < len) {
            long c;
            while (e < len && !((c = emu__peek(s, len, e, &m)) >= 0 && emu__py_isspace(c)))
                e += m;
            emu__peek(s, len, r, &m);
            for (size_t k = r + m; k < e; k += m) {
                emu__peek(s, len, k, &m);
                if (s[k] == '@' && k + m < e)
                    ok = 1;
            }
        }
        if (!ok) {
            emu__buf_add(&b, s + i, n);
            i += n;
            continue;
        }
        emu__buf_add(&b, s + i, r - i);
        for (size_t k = r; k < e; k += m) {
            long c = emu__peek(s, len, k, &m);
            if (c == 0x2018 || c == 0x2019)
                emu__buf_puts(&b, "'");
            else
                emu__buf_add(&b, s + k, m);
        }
        i = e;
        if (i < len) {
            emu__peek(s, len, i, &m);
            emu__buf_add(&b, s + i, m);
            i += m;
        }
    }
    return emu__buf_finish(&b);
}

/* PlainTextEmailTemplate.subject; malloc'd result for the caller. */
char *emu_template_render_subject(const char *text, json_t *personalisation, emu_strlist *missing)
{
    char *a = emu_template_render(text, personalisation, missing);
    if (!a)
        return NULL;
    char *c1 = emu__remove_ws_before_punct(a);
    free(a);
    if (!c1)
        return NULL;
    int ascii = 1;
    for (const char *q = c1; *q; q++)
        if ((unsigned char)*q >= 0x80)
            ascii = 0;
    /* the locale only classifies non-ASCII word characters */
    locale_t loc = ascii ? (locale_t)0 : newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    char *c2 = emu__smartypants(c1, loc);
    if (loc)
        freelocale(loc);
    free(c1);
    if (!c2)
        return NULL;
    char *c = emu__unsmart_emails(c2);
    free(c2);
    if (!c)
        return NULL;
    char *d = emu__en_dashes(c);
    free(c);
    if (!d)
        return NULL;
    char *e = emu__normalise_whitespace(d);
    free(d);
    return e;
}
