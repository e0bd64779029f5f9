/* Notify's request rules: body parsing, the JSON-schema messages of
 * POST /v2/notifications/email and GET /v2/notifications, email syntax and
 * UUIDs. See emu_rules.h. */
#include "emu_rules.h"

#include <errno.h>
#include <idn2.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu_template.h"
#include "emu_util.h"

/* ---- small string helpers --------------------------------------------- */

/* Returns a malloc'd copy of s with every occurrence of pat removed. */
static char *emu__remove_all(const char *s, const char *pat)
{
    size_t plen = strlen(pat), len = strlen(s), o = 0;
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len;) {
        if (plen && strncmp(s + i, pat, plen) == 0) {
            i += plen;
            continue;
        }
        out[o++] = s[i++];
    }
    out[o] = '\0';
    return out;
}

/* ---- UUIDs ------------------------------------------------------------- */

/* Python's int(t, 16) over an ASCII string, as far as a UUID needs: leading
 * and trailing whitespace, one sign, an optional 0x prefix, and single '_'
 * between digits. Fills the 16 big-endian bytes of the value. Returns 0, or
 * -1 when Python would raise (or the value is negative and non-zero). */
static int emu__py_int16(const char *t, unsigned char out[16])
{
    size_t len = strlen(t), a = 0, e = len;
    while (a < e && strchr(" \t\n\r\v\f", t[a]))
        a++;
    while (e > a && strchr(" \t\n\r\v\f", t[e - 1]))
        e--;
    int neg = 0;
    if (a < e && (t[a] == '+' || t[a] == '-')) {
        neg = t[a] == '-';
        a++;
    }
    int prefixed = 0;
    if (e - a >= 2 && t[a] == '0' && (t[a + 1] == 'x' || t[a + 1] == 'X')) {
        a += 2;
        prefixed = 1;
    }
    memset(out, 0, 16);
    int ndigits = 0, prev_us = prefixed; /* "0x_f" is allowed */
    int any_nonzero = 0;
    for (size_t i = a; i < e; i++) {
        if (t[i] == '_') {
            if (prev_us == 2 || (ndigits == 0 && !prefixed))
                return -1;
            prev_us = 2;
            continue;
        }
        int v = emu_hex_value(t[i]);
        if (v < 0)
            return -1;
        prev_us = 0;
        if (v)
            any_nonzero = 1;
        /* shift the 128-bit value left by 4 and add v */
        if (out[0] >> 4)
            return -1; /* more than 128 bits: cannot happen at length 32 */
        for (int k = 0; k < 15; k++)
            out[k] = (unsigned char)((out[k] << 4) | (out[k + 1] >> 4));
        out[15] = (unsigned char)((out[15] << 4) | v);
        ndigits++;
    }
    if (ndigits == 0 || prev_us == 2)
        return -1;
    if (neg && any_nonzero)
        return -1;
    return 0;
}

/* Python uuid.UUID(s) as a canonical string in out; 0, or -1 when UUID() raises. */
int emu_uuid_normalise(const char *s, char out[37])
{
    if (!s)
        return -1;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p >= 0x80)
            return -1; /* Python would also read non-ASCII digits; we do not */
    char *a = emu__remove_all(s, "urn:");
    char *b = a ? emu__remove_all(a, "uuid:") : NULL;
    free(a);
    if (!b)
        return -1;
    size_t len = strlen(b), st = 0;
    while (st < len && (b[st] == '{' || b[st] == '}'))
        st++;
    while (len > st && (b[len - 1] == '{' || b[len - 1] == '}'))
        len--;
    b[len] = '\0';
    char *c = emu__remove_all(b + st, "-");
    free(b);
    if (!c)
        return -1;
    unsigned char v[16];
    int rc = strlen(c) == 32 ? emu__py_int16(c, v) : -1;
    free(c);
    if (rc)
        return -1;
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[v[i] >> 4];
        out[o++] = hex[v[i] & 15];
    }
    out[o] = '\0';
    return 0;
}

/* 1 when uuid.UUID(s) would accept s (no allocation kept). */
int emu_uuid_valid(const char *s)
{
    char tmp[37];
    return emu_uuid_normalise(s, tmp) == 0;
}

/* ---- email addresses --------------------------------------------------- */

/* Python's \s in a str pattern (str.isspace()). */
static int emu__isspace_cp(long cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* 1 for an ASCII letter or digit. */
static int emu__is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* hostname_part ^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$ (case-insensitive) over
 * p[0..n): alphanumeric runs joined by one or two hyphens. */
static int emu__hostname_part_ok(const char *p, size_t n)
{
    size_t i = 0;
    if (n == 0 || !emu__is_alnum(p[0]))
        return 0;
    while (i < n) {
        while (i < n && emu__is_alnum(p[i]))
            i++;
        if (i == n)
            return 1;
        size_t h = 0;
        while (i < n && p[i] == '-' && h < 3) {
            i++;
            h++;
        }
        if (h == 0 || h > 2 || i == n || !emu__is_alnum(p[i]))
            return 0;
    }
    return 1;
}

/* tld_part ^([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)$ (case-insensitive). */
static int emu__tld_ok(const char *p, size_t n)
{
    int letters = 1;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')))
            letters = 0;
    if (letters && n >= 2 && n <= 63)
        return 1;
    if (n < 5 || !((p[0] == 'x' || p[0] == 'X') && (p[1] == 'n' || p[1] == 'N')) || p[2] != '-' ||
        p[3] != '-')
        return 0;
    size_t i = 4;
    for (;;) {
        size_t st = i;
        while (i < n && emu__is_alnum(p[i]))
            i++;
        if (i == st)
            return 0;
        if (i == n)
            return 1;
        if (p[i] != '-')
            return 0;
        i++;
        if (i == n)
            return 0;
    }
}

/* Python's hostname.encode("idna") as far as the checks after it need:
 * an ASCII hostname is used as it is (Python's fast path); anything else
 * goes through libidn2 with transitional processing (IDNA 2003 maps ß to
 * ss as Python's codec does). Returns a malloc'd ASCII hostname or NULL. */
static char *emu__idna(const char *host)
{
    int ascii = 1;
    for (const char *p = host; *p; p++)
        if ((unsigned char)*p >= 0x80)
            ascii = 0;
    if (ascii)
        return strdup(host);
    char *out = NULL;
    if (idn2_to_ascii_8z(host, &out, IDN2_TRANSITIONAL) != IDN2_OK) {
        if (out)
            idn2_free(out);
        return NULL;
    }
    char *copy = strdup(out);
    idn2_free(out);
    return copy;
}

/* validate_email_address on the stripped address. Returns 1 when valid. */
static int emu__email_rules(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s), i = 0;
    /* ^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-]+@ */
    while (i < len && (emu__is_alnum(s[i]) || strchr(".!#$%&'*+/=?^_`{|}~-", s[i])))
        i++;
    if (i == 0 || i >= len || s[i] != '@')
        return 0;
    size_t host = ++i;
    /* ([^.@][^@\s]+)$ */
    size_t count = 0;
    while (i < len) {
        size_t at = i;
        long cp = emu_utf8_next(u, len, &i);
        if (cp < 0)
            return 0;
        if (at == host) {
            if (cp == '.' || cp == '@')
                return 0;
        } else if (cp == '@' || emu__isspace_cp(cp)) {
            return 0;
        }
        count++;
    }
    if (count < 2)
        return 0;
    if (emu_utf8_len(s) > 320 || strstr(s, ".."))
        return 0;
    char *h = emu__idna(s + host);
    if (!h)
        return 0;
    int ok = 1;
    size_t hlen = strlen(h), parts = 0;
    if (hlen > 253)
        ok = 0;
    const char *last = h;
    size_t last_len = 0;
    for (size_t a = 0; ok && a <= hlen;) {
        size_t e = a;
        while (e < hlen && h[e] != '.')
            e++;
        parts++;
        if (e - a == 0 || e - a > 63 || !emu__hostname_part_ok(h + a, e - a))
            ok = 0;
        last = h + a;
        last_len = e - a;
        a = e + 1;
    }
    if (ok && parts < 2)
        ok = 0;
    if (ok && !emu__tld_ok(last, last_len))
        ok = 0;
    free(h);
    return ok;
}

/* validate_and_format_email_address; *normalised is malloc'd for the caller. */
int emu_email_valid(const char *addr, char **normalised)
{
    if (normalised)
        *normalised = NULL;
    if (!addr)
        return 0;
    char *s = emu_strip_obscure_whitespace(addr);
    if (!s)
        return 0;
    int ok = emu__email_rules(s);
    if (ok && normalised) {
        *normalised = emu_py_lower(s);
        if (!*normalised)
            ok = 0;
    }
    free(s);
    return ok;
}

/* ---- request bodies ---------------------------------------------------- */

/* The encodings Python's json.detect_encoding tells apart. */
enum {
    ENC_UTF8,
    ENC_UTF8_SIG,
    ENC_UTF16,
    ENC_UTF16BE,
    ENC_UTF16LE,
    ENC_UTF32,
    ENC_UTF32BE,
    ENC_UTF32LE
};

/* json.detect_encoding(b): a byte-order mark, else the pattern of zero
 * bytes at the start. */
static int emu__detect_encoding(const unsigned char *b, size_t len)
{
    if (len >= 4 && (!memcmp(b, "\x00\x00\xfe\xff", 4) || !memcmp(b, "\xff\xfe\x00\x00", 4)))
        return ENC_UTF32;
    if (len >= 2 && (!memcmp(b, "\xfe\xff", 2) || !memcmp(b, "\xff\xfe", 2)))
        return ENC_UTF16;
    if (len >= 3 && !memcmp(b, "\xef\xbb\xbf", 3))
        return ENC_UTF8_SIG;
    if (len >= 4) {
        if (!b[0])
            return b[1] ? ENC_UTF16BE : ENC_UTF32BE;
        if (!b[1])
            return (b[2] || b[3]) ? ENC_UTF16LE : ENC_UTF32LE;
    } else if (len == 2) {
        if (!b[0])
            return ENC_UTF16BE;
        if (!b[1])
            return ENC_UTF16LE;
    }
    return ENC_UTF8;
}

/* Decodes a UTF-16 or UTF-32 body (enc from emu__detect_encoding; with a
 * byte-order mark, the mark picks the byte order and is dropped) to UTF-8.
 * Returns malloc'd text (caller frees) and its length in *out_len, or NULL
 * when the bytes do not decode (truncated units, unpaired surrogates, code
 * points beyond U+10FFFF) or on OOM. */
static char *emu__decode_wide(const unsigned char *b, size_t len, int enc, size_t *out_len)
{
    int wide32 = enc == ENC_UTF32 || enc == ENC_UTF32BE || enc == ENC_UTF32LE;
    size_t unit = wide32 ? 4 : 2;
    int big = enc == ENC_UTF16BE || enc == ENC_UTF32BE;
    if (enc == ENC_UTF16 || enc == ENC_UTF32) {
        big = b[0] == 0x00 || b[0] == 0xfe;
        b += unit;
        len -= unit;
    }
    if (len % unit)
        return NULL;
    char *out = malloc(len / unit * 4 + 1); /* at most 4 UTF-8 bytes per unit */
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += unit) {
        unsigned long cp;
        if (wide32)
            cp = big ? ((unsigned long)b[i] << 24 | (unsigned long)b[i + 1] << 16 |
                        (unsigned long)b[i + 2] << 8 | b[i + 3])
                     : ((unsigned long)b[i + 3] << 24 | (unsigned long)b[i + 2] << 16 |
                        (unsigned long)b[i + 1] << 8 | b[i]);
        else
            cp =
                big ? ((unsigned long)b[i] << 8 | b[i + 1]) : ((unsigned long)b[i + 1] << 8 | b[i]);
        if (!wide32 && cp >= 0xD800 && cp <= 0xDBFF && i + 3 < len) {
            unsigned long lo = big ? ((unsigned long)b[i + 2] << 8 | b[i + 3])
                                   : ((unsigned long)b[i + 3] << 8 | b[i + 2]);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            }
        }
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
            free(out);
            return NULL;
        }
        if (cp < 0x80) {
            out[o++] = (char)cp;
        } else if (cp < 0x800) {
            out[o++] = (char)(0xC0 | (cp >> 6));
            out[o++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out[o++] = (char)(0xE0 | (cp >> 12));
            out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (cp & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | (cp >> 18));
            out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
            out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* 1 when s[0..len) starts with the literal lit. */
static int emu__starts(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return len >= n && !memcmp(s, lit, n);
}

static int emu__digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Python's str() of the number token s[0..n) when jansson cannot hold it
 * (an integer beyond 64 bits, or a real that overflows to infinity), as a
 * malloc'd string; NULL when jansson can hold it (or on OOM, then the
 * token is left for jansson to judge). */
static char *emu__big_number(const char *s, size_t n, int is_real)
{
    char *t = malloc(n + 1);
    if (!t)
        return NULL;
    memcpy(t, s, n);
    t[n] = '\0';
    errno = 0;
    if (is_real) {
        double d = strtod(t, NULL);
        int overflow = errno == ERANGE && isinf(d);
        free(t);
        return overflow ? emu_strdup(d < 0 ? "-inf" : "inf") : NULL;
    }
    (void)strtoll(t, NULL, 10);
    if (errno == ERANGE)
        return t;
    free(t);
    return NULL;
}

/* Rewrites JSON text so that jansson reads what Python's json reads: NaN,
 * Infinity, -Infinity, integers beyond 64 bits and reals that overflow,
 * outside strings, become {"\u0001<tag>":"<str() of the number>"}. Returns
 * the malloc'd new text (caller frees) and its length, or NULL when there
 * was nothing to rewrite (or on OOM: jansson then judges the original). */
static char *emu__rewrite_numbers(const char *s, size_t len, const char *tag, size_t *out_len)
{
    emu_buf b;
    emu_buf_init(&b);
    size_t flushed = 0, i = 0;
    int changed = 0;
    while (i < len) {
        if (s[i] == '"') { /* a string: skip it, escapes included */
            i++;
            while (i < len && s[i] != '"')
                i += (s[i] == '\\' && i + 1 < len) ? 2 : 1;
            i++;
            continue;
        }
        char *text = NULL;
        size_t end = i + 1;
        if (emu__starts(s + i, len - i, "NaN")) {
            text = emu_strdup("nan");
            end = i + 3;
        } else if (emu__starts(s + i, len - i, "Infinity")) {
            text = emu_strdup("inf");
            end = i + 8;
        } else if (emu__starts(s + i, len - i, "-Infinity")) {
            text = emu_strdup("-inf");
            end = i + 9;
        } else if (emu__digit(s[i]) || (s[i] == '-' && i + 1 < len && emu__digit(s[i + 1]))) {
            /* json's NUMBER_RE: -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)? */
            size_t j = s[i] == '-' ? i + 1 : i;
            if (s[j] == '0')
                j++;
            else
                while (j < len && emu__digit(s[j]))
                    j++;
            int is_real = 0;
            if (j + 1 < len && s[j] == '.' && emu__digit(s[j + 1])) {
                is_real = 1;
                for (j++; j < len && emu__digit(s[j]); j++)
                    ;
            }
            if (j < len && (s[j] == 'e' || s[j] == 'E')) {
                size_t k = j + 1;
                if (k < len && (s[k] == '+' || s[k] == '-'))
                    k++;
                if (k < len && emu__digit(s[k])) {
                    is_real = 1;
                    while (k < len && emu__digit(s[k]))
                        k++;
                    j = k;
                }
            }
            end = j;
            text = emu__big_number(s + i, j - i, is_real);
        }
        if (text) {
            emu_buf_add(&b, s + flushed, i - flushed);
            emu_buf_addf(&b, "{\"\\u0001%s\":\"", tag);
            emu_buf_adds(&b, text);
            emu_buf_adds(&b, "\"}");
            free(text);
            flushed = end;
            changed = 1;
        }
        i = end;
    }
    if (!changed) {
        emu_buf_free(&b);
        return NULL;
    }
    emu_buf_add(&b, s + flushed, len - flushed);
    return emu_buf_take(&b, out_len);
}

/* The text of a rewritten number when v is {"\u0001<tag>": text}, else NULL. */
static const char *emu__rewritten(const json_t *v, const char *key)
{
    if (!json_is_object(v) || json_object_size(v) != 1)
        return NULL;
    return json_string_value(json_object_get(v, key));
}

/* Replaces every rewritten number under v (not v itself) with an
 * emu_py_number() placeholder. Returns 0 or -1 on OOM. */
static int emu__restore_numbers(json_t *v, const char *key)
{
    const char *text;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *c = json_array_get(v, i);
            if ((text = emu__rewritten(c, key))) {
                if (json_array_set_new(v, i, emu_py_number(text)))
                    return -1;
            } else if (emu__restore_numbers(c, key)) {
                return -1;
            }
        }
    } else if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c)
        {
            if ((text = emu__rewritten(c, key))) {
                /* replacing an existing key's value keeps the iteration valid */
                if (json_object_set_new(v, k, emu_py_number(text)))
                    return -1;
            } else if (emu__restore_numbers(c, key)) {
                return -1;
            }
        }
    }
    return 0;
}

/* json_loadb, reading NaN, Infinity, -Infinity and numbers beyond what
 * jansson holds as Python's json does (see emu_py_number). Returns a new
 * reference or NULL when the text is not JSON (or on OOM). */
static json_t *emu__load_python_json(const char *data, size_t len)
{
    char tag[37], key[40];
    if (emu_uuid4(tag))
        return NULL;
    size_t rlen = 0;
    char *rewritten = emu__rewrite_numbers(data, len, tag, &rlen);
    json_t *v =
        json_loadb(rewritten ? rewritten : data, rewritten ? rlen : len, JSON_DECODE_ANY, NULL);
    free(rewritten);
    if (!v || !rewritten)
        return v;
    snprintf(key, sizeof(key), "\x01%s", tag);
    const char *text = emu__rewritten(v, key);
    if (text) {
        json_t *top = emu_py_number(text);
        json_decref(v);
        return top;
    }
    if (emu__restore_numbers(v, key)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

json_t *emu_parse_body(const char *data, size_t len)
{
    if (!data)
        return NULL;
    /* Flask's get_json is json.loads(bytes): the encoding is detected as
     * json.detect_encoding does (UTF-8 with or without a byte-order mark,
     * UTF-16 and UTF-32). */
    char *wide = NULL;
    int enc = emu__detect_encoding((const unsigned char *)data, len);
    if (enc == ENC_UTF8_SIG) {
        data += 3;
        len -= 3;
    } else if (enc != ENC_UTF8) {
        wide = emu__decode_wide((const unsigned char *)data, len, enc, &len);
        if (!wide)
            return NULL;
        data = wide;
    }
    json_t *v = emu__load_python_json(data, len);
    free(wide);
    if (!v)
        return NULL;
    int falsy = 0;
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE:
        falsy = 1;
        break;
    case JSON_INTEGER:
        falsy = json_integer_value(v) == 0;
        break;
    case JSON_REAL:
        falsy = json_real_value(v) == 0.0;
        break;
    case JSON_STRING:
        falsy = json_string_length(v) == 0;
        break;
    case JSON_ARRAY:
        falsy = json_array_size(v) == 0;
        break;
    case JSON_OBJECT:
        falsy = json_object_size(v) == 0;
        break;
    case JSON_TRUE:
        break;
    }
    if (falsy) {
        json_decref(v);
        v = json_object();
    }
    return v;
}

/* ---- schema messages --------------------------------------------------- */

/* Python repr(value) with every "'" removed, as build_error_message shows
 * a jsonschema message. Returns a malloc'd string (caller frees) or NULL. */
static char *emu__repr_noquote(const json_t *value)
{
    char *r = emu_py_repr(value);
    char *q = r ? emu__remove_all(r, "'") : NULL;
    free(r);
    return q;
}

/* Appends "<field> <repr(value)> <rest>" ("<repr(value)> <rest>" when field
 * is NULL), the shape of a jsonschema type/maxLength error. */
static void emu__add_repr_error(emu_errors *errs, const char *field, const json_t *value,
                                const char *rest)
{
    char *q = emu__repr_noquote(value);
    if (!q)
        emu_errors_add(errs, "ValidationError", "%s %s", field ? field : "request", rest);
    else if (field)
        emu_errors_add(errs, "ValidationError", "%s %s %s", field, q, rest);
    else
        emu_errors_add(errs, "ValidationError", "%s %s", q, rest);
    free(q);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t emu__days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The groups pyiso8601's ISO8601_REGEX captures; -1 = not matched. */
typedef struct emu__iso {
    const char *s;
    size_t len;
    int year, month, day, hour, minute, second;
    const char *frac;
    size_t frac_len;
    int tz; /* 0 none, 1 Z, 2 offset */
    int tz_sign, tz_hour, tz_minute;
} emu__iso;

/* Reads exactly n ASCII digits at p into *out; 1 on success. */
static int emu__digits(const emu__iso *m, size_t p, size_t n, int *out)
{
    if (p + n > m->len)
        return 0;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = m->s[p + i];
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return 1;
}

/* Python's "$": the end, or just before a final newline. */
static int emu__at_end(const emu__iso *m, size_t p)
{
    return p == m->len || (p + 1 == m->len && m->s[p] == '\n');
}

/* The optional timezone group at p, then the end; 1 on a match. */
static int emu__iso_tz(emu__iso *m, size_t p)
{
    if (p < m->len && m->s[p] == 'Z' && emu__at_end(m, p + 1)) {
        m->tz = 1;
        return 1;
    }
    if (p < m->len && (m->s[p] == '+' || m->s[p] == '-') && emu__digits(m, p + 1, 2, &m->tz_hour)) {
        size_t q = p + 3;
        m->tz = 2;
        m->tz_sign = m->s[p] == '-' ? -1 : 1;
        /* :{0,1} greedy, then (minute){0,1} greedy */
        for (int colon = 1; colon >= 0; colon--) {
            size_t r = q;
            if (colon) {
                if (r < m->len && m->s[r] == ':')
                    r++;
                else
                    continue;
            }
            if (emu__digits(m, r, 2, &m->tz_minute) && emu__at_end(m, r + 2))
                return 1;
            m->tz_minute = -1;
            if (emu__at_end(m, r))
                return 1;
        }
        m->tz = 0;
    }
    return emu__at_end(m, p);
}

/* The optional seconds (and fraction) group at p, then the timezone; 1 on a match. */
static int emu__iso_seconds(emu__iso *m, size_t p)
{
    for (int colon = 1; colon >= 0; colon--) {
        size_t q = p;
        if (colon) {
            if (q < m->len && m->s[q] == ':')
                q++;
            else
                continue;
        }
        for (int nd = 2; nd >= 1; nd--) {
            if (!emu__digits(m, q, (size_t)nd, &m->second))
                continue;
            size_t r = q + (size_t)nd;
            if (r < m->len && (m->s[r] == '.' || m->s[r] == ',')) {
                size_t f = r + 1, e = f;
                while (e < m->len && m->s[e] >= '0' && m->s[e] <= '9')
                    e++;
                if (e > f) {
                    m->frac = m->s + f;
                    m->frac_len = e - f;
                    if (emu__iso_tz(m, e))
                        return 1;
                    m->frac = NULL;
                }
            }
            if (emu__iso_tz(m, r))
                return 1;
        }
    }
    m->second = -1;
    return emu__iso_tz(m, p);
}

/* The optional time group at p, then the end; 1 on a match. */
static int emu__iso_time(emu__iso *m, size_t p)
{
    if (p < m->len && (m->s[p] == 'T' || m->s[p] == ' ') && emu__digits(m, p + 1, 2, &m->hour)) {
        size_t q = p + 3;
        if (q < m->len && m->s[q] == ':' && emu__digits(m, q + 1, 2, &m->minute) &&
            emu__iso_seconds(m, q + 3))
            return 1;
        if (emu__digits(m, q, 2, &m->minute) && emu__iso_seconds(m, q + 2))
            return 1;
        m->minute = -1;
        if (emu__iso_seconds(m, q))
            return 1;
        m->hour = -1;
    }
    return emu__at_end(m, p);
}

/* The optional day group at p, then the time; 1 on a match. */
static int emu__iso_day(emu__iso *m, size_t p)
{
    if (p < m->len && m->s[p] == '-') {
        for (int nd = 2; nd >= 1; nd--)
            if (emu__digits(m, p + 1, (size_t)nd, &m->day) && emu__iso_time(m, p + 1 + (size_t)nd))
                return 1;
    }
    if (emu__digits(m, p, 2, &m->day) && emu__iso_time(m, p + 2))
        return 1;
    m->day = -1;
    return emu__at_end(m, p);
}

/* Matches pyiso8601's ISO8601_REGEX with Python's backtracking order.
 * Returns 1 and fills *m on a match. */
static int emu__iso_match(const char *s, emu__iso *m)
{
    memset(m, 0, sizeof(*m));
    m->s = s;
    m->len = strlen(s);
    m->month = m->day = m->hour = m->minute = m->second = m->tz_minute = -1;
    if (!emu__digits(m, 0, 4, &m->year))
        return 0;
    if (m->len > 4 && s[4] == '-') {
        for (int nd = 2; nd >= 1; nd--)
            if (emu__digits(m, 5, (size_t)nd, &m->month) && emu__iso_day(m, 5 + (size_t)nd))
                return 1;
    }
    if (emu__digits(m, 4, 2, &m->month) && !emu__at_end(m, 6) && emu__iso_day(m, 6))
        return 1;
    m->month = -1;
    return emu__at_end(m, 4);
}

/* Returns 0 when datetime() accepts the groups and sets *t to the naive
 * time as Unix seconds; -1 when pyiso8601 raises ParseError. */
static int emu__iso_datetime(const emu__iso *m, double *t)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = m->year, mo = m->month < 0 ? 1 : m->month, d = m->day < 0 ? 1 : m->day;
    int h = m->hour < 0 ? 0 : m->hour, mi = m->minute < 0 ? 0 : m->minute;
    int se = m->second < 0 ? 0 : m->second;
    if (m->tz == 2) {
        int off = m->tz_hour * 60 + (m->tz_minute < 0 ? 0 : m->tz_minute);
        if (off >= 24 * 60)
            return -1;
    }
    if (y < 1 || mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59)
        return -1;
    int dim = mdays[mo - 1];
    if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        dim = 29;
    if (d < 1 || d > dim)
        return -1;
    double us = 0;
    for (size_t i = 0; i < 6; i++)
        us = us * 10 + (i < m->frac_len && m->frac ? m->frac[i] - '0' : 0);
    *t = (double)(emu__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) + us / 1e6;
    return 0;
}

/* The format "datetime_within_next_day" of scheduled_for. */
static void emu__check_scheduled_for(const char *s, double now, emu_errors *errs)
{
    emu__iso m;
    double t;
    if (!emu__iso_match(s, &m) || emu__iso_datetime(&m, &t) != 0) {
        emu_errors_add(errs, "ValidationError",
                       "scheduled_for datetime format is invalid. It must be a valid ISO8601 "
                       "date time format, https://en.wikipedia.org/wiki/ISO_8601");
    } else if (t < now) {
        emu_errors_add(errs, "ValidationError", "scheduled_for datetime can not be in the past");
    } else if (t > now + 24 * 3600) {
        emu_errors_add(errs, "ValidationError",
                       "scheduled_for datetime can only be 24 hours in the future");
    }
}

/* qsort comparison of two C strings (code-point order for UTF-8). */
static int emu__cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "Additional properties are not allowed (a, b were unexpected)": names
 * sorted (jsonschema sorts them), each as Python repr with "'" removed. */
static void emu__additional(emu_errors *errs, const char **names, size_t n)
{
    if (n == 0)
        return;
    qsort(names, n, sizeof(*names), emu__cmp_str);
    size_t cap = 64;
    for (size_t i = 0; i < n; i++)
        cap += strlen(names[i]) * 4 + 8;
    char *list = malloc(cap);
    if (!list) {
        emu_errors_add(errs, "ValidationError", "Additional properties are not allowed");
        return;
    }
    size_t o = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        json_t *js = json_string(names[i]);
        char *r = js ? emu_py_repr(js) : NULL;
        char *q = r ? emu__remove_all(r, "'") : NULL;
        json_decref(js);
        const char *text = q ? q : names[i];
        size_t tl = strlen(text);
        if (o + tl + 3 < cap) {
            if (i) {
                memcpy(list + o, ", ", 2);
                o += 2;
            }
            memcpy(list + o, text, tl);
            o += tl;
            list[o] = '\0';
        }
        free(r);
        free(q);
    }
    emu_errors_add(errs, "ValidationError",
                   "Additional properties are not allowed (%s %s unexpected)", list,
                   n == 1 ? "was" : "were");
    free(list);
}

/* 1 for an RFC 3986 "unreserved" or "sub-delims" character. */
static int emu__uri_plain(char c)
{
    return emu__is_alnum(c) || (c && strchr("-._~!$&'()*+,;=", c));
}

/* Checks "%XX" at s[*i] and moves past it. Returns 1 when well formed. */
static int emu__uri_pct(const char *s, size_t *i)
{
    if (s[*i] != '%' || emu_hex_value(s[*i + 1]) < 0 || emu_hex_value(s[*i + 2]) < 0)
        return 0;
    *i += 3;
    return 1;
}

/* jsonschema's "uri" format (rfc3987.parse(value, rule="URI"), i.e. RFC
 * 3986): scheme ":" ["//" authority] path ["?" query] ["#" fragment], ASCII
 * only. Returns 1 when s is a URI. */
static int emu__uri_valid(const char *s)
{
    size_t i = 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    while (emu__is_alnum(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    if (s[i] != ':')
        return 0;
    i++;
    if (s[i] == '/' && s[i + 1] == '/') {
        i += 2;
        size_t a = i;
        while (s[i] && s[i] != '/' && s[i] != '?' && s[i] != '#')
            i++;
        size_t e = i, h = a;
        for (size_t k = a; k < e; k++)
            if (s[k] == '@')
                h = k + 1;                        /* host starts after the last '@' */
        for (size_t k = a; h > a && k < h - 1;) { /* userinfo */
            if (s[k] == '%') {
                if (!emu__uri_pct(s, &k))
                    return 0;
            } else if (emu__uri_plain(s[k]) || s[k] == ':') {
                k++;
            } else {
                return 0;
            }
        }
        size_t k = h;
        if (s[k] == '[') { /* IP-literal */
            k++;
            while (k < e && (emu_hex_value(s[k]) >= 0 || s[k] == ':' || s[k] == '.' ||
                             s[k] == 'v' || s[k] == 'V'))
                k++;
            if (k >= e || s[k] != ']')
                return 0;
            k++;
        } else {
            while (k < e && s[k] != ':') {
                if (s[k] == '%') {
                    if (!emu__uri_pct(s, &k))
                        return 0;
                } else if (emu__uri_plain(s[k])) {
                    k++;
                } else {
                    return 0;
                }
            }
        }
        if (k < e) {
            if (s[k] != ':')
                return 0;
            for (k++; k < e; k++)
                if (s[k] < '0' || s[k] > '9')
                    return 0;
        }
    }
    int in_fragment = 0;
    while (s[i]) {
        char c = s[i];
        if (c == '%') {
            if (!emu__uri_pct(s, &i))
                return 0;
            continue;
        }
        if (c == '#') {
            if (in_fragment)
                return 0;
            in_fragment = 1;
        } else if (!(emu__uri_plain(c) || c == ':' || c == '@' || c == '/' || c == '?')) {
            return 0;
        }
        i++;
    }
    return 1;
}

static const char *const emu__post_email_props[] = {
    "reference",
    "email_address",
    "template_id",
    "email_reply_to_id",
    "personalisation",
    "scheduled_for",
    "one_click_unsubscribe_url",
    "sanitise_content_for",
};

/* post_email_request checked the way jsonschema iterates it: type, then the
 * properties in schema order, then required, then additionalProperties.
 * Returns the number of errors appended (messages owned by errs). */
size_t emu_validate_post_email_at(json_t *body, double now, emu_errors *errs)
{
    size_t before = errs->n;
    if (!emu_is_object(body)) {
        emu__add_repr_error(errs, NULL, body, "is not of type object");
        return errs->n - before;
    }
    json_t *v;

    /* properties, in the schema's order */
    if ((v = json_object_get(body, "reference"))) {
        if (!json_is_string(v))
            emu__add_repr_error(errs, "reference", v, "is not of type string");
        else if (emu_utf8_len(json_string_value(v)) > 1000)
            emu__add_repr_error(errs, "reference", v, "is too long");
    }
    if ((v = json_object_get(body, "email_address"))) {
        if (!json_is_string(v))
            emu__add_repr_error(errs, "email_address", v, "is not of type string");
        else if (!emu_email_valid(json_string_value(v), NULL))
            emu_errors_add(errs, "ValidationError", "email_address Not a valid email address");
    }
    if ((v = json_object_get(body, "template_id")))
        if (!json_is_string(v) || !emu_uuid_valid(json_string_value(v)))
            emu_errors_add(errs, "ValidationError", "template_id is not a valid UUID");
    if ((v = json_object_get(body, "email_reply_to_id")))
        if (!json_is_string(v) || !emu_uuid_valid(json_string_value(v)))
            emu_errors_add(errs, "ValidationError", "email_reply_to_id is not a valid UUID");
    if ((v = json_object_get(body, "personalisation")))
        if (!emu_is_object(v))
            emu__add_repr_error(errs, "personalisation", v, "is not of type object");
    if ((v = json_object_get(body, "scheduled_for"))) {
        if (json_is_string(v))
            emu__check_scheduled_for(json_string_value(v), now, errs);
        else if (!json_is_null(v))
            emu__add_repr_error(errs, "scheduled_for", v, "is not of type string, null");
    }
    if ((v = json_object_get(body, "one_click_unsubscribe_url")))
        if (!json_is_string(v) || strncmp(json_string_value(v), "https", 5) != 0 ||
            !emu__uri_valid(json_string_value(v)))
            emu_errors_add(errs, "ValidationError",
                           "one_click_unsubscribe_url is not a valid https url");
    if ((v = json_object_get(body, "sanitise_content_for")))
        if (!json_is_array(v) && !json_is_null(v))
            emu__add_repr_error(errs, "sanitise_content_for", v, "is not of type array, null");

    /* required */
    if (!json_object_get(body, "email_address"))
        emu_errors_add(errs, "ValidationError", "email_address is a required property");
    if (!json_object_get(body, "template_id"))
        emu_errors_add(errs, "ValidationError", "template_id is a required property");

    /* additionalProperties: false */
    size_t n = json_object_size(body), extra = 0;
    const char **names = n ? malloc(n * sizeof(*names)) : NULL;
    if (n && !names) {
        emu_errors_add(errs, "ValidationError", "Additional properties are not allowed");
        return errs->n - before;
    }
    const char *key;
    json_object_foreach(body, key, v)
    {
        int known = 0;
        for (size_t i = 0; i < sizeof(emu__post_email_props) / sizeof(emu__post_email_props[0]);
             i++)
            if (strcmp(key, emu__post_email_props[i]) == 0)
                known = 1;
        if (!known)
            names[extra++] = key;
    }
    emu__additional(errs, names, extra);
    free(names);
    return errs->n - before;
}

/* emu_validate_post_email_at() with the real clock. */
size_t emu_validate_post_email(json_t *body, emu_errors *errs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return emu_validate_post_email_at(body, (double)ts.tv_sec + ts.tv_nsec / 1e9, errs);
}

/* ---- GET /v2/notifications --------------------------------------------- */

/* NOTIFICATION_STATUS_TYPES + accepted, received, in Notify's order. */
static const char *const emu__statuses[] = {
    "cancelled",
    "created",
    "sending",
    "sent",
    "delivered",
    "pending",
    "failed",
    "technical-failure",
    "temporary-failure",
    "permanent-failure",
    "pending-virus-check",
    "validation-failed",
    "virus-scan-failed",
    "returned-letter",
    "accepted",
    "received",
};
#define EMU__N_STATUSES (sizeof(emu__statuses) / sizeof(emu__statuses[0]))

static const char *const emu__template_types[] = {"sms", "email", "letter"};

#define EMU__EMAIL_BITS                                                                            \
    (EMU_ST_CREATED | EMU_ST_SENDING | EMU_ST_DELIVERED | EMU_ST_PERMANENT_FAILURE |               \
     EMU_ST_TEMPORARY_FAILURE | EMU_ST_TECHNICAL_FAILURE)

/* The EMU_ST_* bit of an email status name, else 0. */
unsigned emu_status_bit(const char *status)
{
    if (!status)
        return 0;
    if (strcmp(status, "created") == 0)
        return EMU_ST_CREATED;
    if (strcmp(status, "sending") == 0)
        return EMU_ST_SENDING;
    if (strcmp(status, "delivered") == 0)
        return EMU_ST_DELIVERED;
    if (strcmp(status, "permanent-failure") == 0)
        return EMU_ST_PERMANENT_FAILURE;
    if (strcmp(status, "temporary-failure") == 0)
        return EMU_ST_TEMPORARY_FAILURE;
    if (strcmp(status, "technical-failure") == 0)
        return EMU_ST_TECHNICAL_FAILURE;
    return 0;
}

/* The filter bits one accepted status value stands for. */
static unsigned emu__status_filter(const char *s)
{
    if (strcmp(s, "failed") == 0)
        return EMU_ST_TECHNICAL_FAILURE | EMU_ST_TEMPORARY_FAILURE | EMU_ST_PERMANENT_FAILURE |
               EMU_ST_OTHER;
    if (strcmp(s, "accepted") == 0)
        return EMU_ST_CREATED | EMU_ST_SENDING;
    if (strcmp(s, "received") == 0)
        return EMU_ST_DELIVERED;
    unsigned b = emu_status_bit(s);
    return b ? b : EMU_ST_OTHER;
}

/* "<field> <value> is not one of [a, b]" (jsonschema enum, "'" removed). */
static void emu__enum_error(emu_errors *errs, const char *field, const char *value,
                            const char *const *options, size_t n)
{
    size_t cap = 8;
    for (size_t i = 0; i < n; i++)
        cap += strlen(options[i]) + 2;
    char *list = malloc(cap);
    if (!list) {
        emu_errors_add(errs, "ValidationError", "%s is not valid", field);
        return;
    }
    size_t o = 0;
    list[o++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (i) {
            list[o++] = ',';
            list[o++] = ' ';
        }
        size_t l = strlen(options[i]);
        memcpy(list + o, options[i], l);
        o += l;
    }
    list[o++] = ']';
    list[o] = '\0';
    json_t *js = json_string(value);
    char *q = js ? emu__repr_noquote(js) : NULL;
    json_decref(js);
    /* a value that is not UTF-8 is shown as it came */
    emu_errors_add(errs, "ValidationError", "%s %s is not one of %s", field, q ? q : value, list);
    free(q);
    free(list);
}

/* 1 when s equals one of the n options. */
static int emu__in(const char *s, const char *const *options, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, options[i]) == 0)
            return 1;
    return 0;
}

/* get_notifications_request after the handler keeps the first reference,
 * older_than and include_jobs. Fills *out (pointers into params) and
 * returns the number of errors appended. */
size_t emu_validate_list_query(const emu_param *params, size_t n, emu_list_query *out,
                               emu_errors *errs)
{
    static const char *const jobs[] = {"true", "True"};
    size_t before = errs->n;
    memset(out, 0, sizeof(*out));
    const char *include_jobs = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *k = params[i].key, *v = params[i].value ? params[i].value : "";
        if (!k)
            continue;
        if (strcmp(k, "reference") == 0 && !out->reference)
            out->reference = v;
        else if (strcmp(k, "older_than") == 0 && !out->older_than)
            out->older_than = v;
        else if (strcmp(k, "include_jobs") == 0 && !include_jobs)
            include_jobs = v;
    }
    /* properties in the schema's order: reference (always a string),
     * status, template_type, older_than, include_jobs */
    int status_ok = 1;
    for (size_t i = 0; i < n; i++) {
        if (!params[i].key || strcmp(params[i].key, "status") != 0)
            continue;
        const char *v = params[i].value ? params[i].value : "";
        if (emu__in(v, emu__statuses, EMU__N_STATUSES)) {
            out->statuses |= emu__status_filter(v);
        } else {
            status_ok = 0;
            emu__enum_error(errs, "status", v, emu__statuses, EMU__N_STATUSES);
        }
    }
    if (!status_ok)
        out->statuses = 0;
    else if ((out->statuses & EMU__EMAIL_BITS) == EMU__EMAIL_BITS)
        out->statuses = 0; /* every status: no filter */
    for (size_t i = 0; i < n; i++) {
        if (!params[i].key || strcmp(params[i].key, "template_type") != 0)
            continue;
        const char *v = params[i].value ? params[i].value : "";
        int found = 0;
        for (unsigned t = 0; t < 3; t++)
            if (strcmp(v, emu__template_types[t]) == 0) {
                out->template_types |= 1u << t;
                found = 1;
            }
        if (!found)
            emu__enum_error(errs, "template_type", v, emu__template_types, 3);
    }
    if (out->older_than && !emu_uuid_valid(out->older_than))
        emu_errors_add(errs, "ValidationError", "older_than is not a valid UUID");
    if (include_jobs) {
        if (emu__in(include_jobs, jobs, 2))
            out->include_jobs = 1;
        else
            emu__enum_error(errs, "include_jobs", include_jobs, jobs, 2);
    }
    /* additionalProperties: false */
    const char **names = n ? malloc(n * sizeof(*names)) : NULL;
    size_t extra = 0;
    if (n && !names) {
        emu_errors_add(errs, "ValidationError", "Additional properties are not allowed");
        return errs->n - before;
    }
    static const char *const known[] = {"reference", "status", "template_type", "older_than",
                                        "include_jobs"};
    for (size_t i = 0; i < n; i++) {
        const char *k = params[i].key;
        if (!k || emu__in(k, known, 5))
            continue;
        int dup = 0;
        for (size_t j = 0; j < extra; j++)
            if (strcmp(names[j], k) == 0)
                dup = 1;
        if (!dup)
            names[extra++] = k;
    }
    emu__additional(errs, names, extra);
    free(names);
    return errs->n - before;
}
