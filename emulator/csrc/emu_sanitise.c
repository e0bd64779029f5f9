/* sanitise_content_for: URL removal and Markdown escaping (see
 * emu_sanitise.h). The URL matcher follows notifications-utils'
 * formatters.url regular expression:
 *
 *   (?i)\b(?<![\@\.])(https?:\/\/)?([\w\-]+\.{1})+([a-z]{2,63})(?!\@)\b
 *   ([/\?#][^<\s]*)?
 *
 * without a regex engine: the labels of a host are determined by the text
 * (a label is a maximal run of [\w-], so only their number can backtrack),
 * and the top-level domain must be a whole run of ASCII letters. Python's
 * \w is approximated: ASCII letters, digits and '_', and every non-ASCII
 * code point outside the common punctuation, symbol and space blocks. */
#include "emu_sanitise.h"

#include <stdlib.h>
#include <string.h>

#include "emu_template.h"
#include "emu_util.h"

/* The code point at s[i] (i < len) and its byte length in *n; an invalid
 * or truncated sequence reads as one byte with value 0xFFFFFFFF. */
static unsigned long cp_at(const unsigned char *s, size_t len, size_t i, size_t *n)
{
    unsigned char c = s[i];
    size_t need;
    unsigned long cp;
    if (c < 0x80) {
        *n = 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        cp = c & 0x07;
    } else {
        *n = 1;
        return 0xFFFFFFFFul;
    }
    if (len - i <= need) {
        *n = 1;
        return 0xFFFFFFFFul;
    }
    for (size_t k = 1; k <= need; k++) {
        if ((s[i + k] & 0xC0) != 0x80) {
            *n = 1;
            return 0xFFFFFFFFul;
        }
        cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    *n = need + 1;
    return cp;
}

/* The code point that ends just before s[i] (i > 0). */
static unsigned long cp_before(const unsigned char *s, size_t len, size_t i)
{
    size_t start = i - 1, n;
    while (start > 0 && i - start < 4 && (s[start] & 0xC0) == 0x80)
        start--;
    unsigned long cp = cp_at(s, len, start, &n);
    if (start + n != i)
        return 0xFFFFFFFFul; /* s[i - 1] is a stray continuation byte */
    return cp;
}

/* 1 when Python's \w would match cp (approximately, see the top). */
static int is_word(unsigned long cp)
{
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
               cp == '_';
    if (cp == 0xFFFFFFFFul)
        return 0;
    if (cp <= 0xBF) /* Latin-1 controls, punctuation and symbols; a few are letters or digits */
        return cp == 0xAA || cp == 0xB2 || cp == 0xB3 || cp == 0xB5 || cp == 0xB9 || cp == 0xBA ||
               (cp >= 0xBC && cp <= 0xBE);
    if (cp == 0xD7 || cp == 0xF7)
        return 0;
    if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x20A0 && cp <= 0x20CF) ||
        (cp >= 0x2190 && cp <= 0x2BFF) || (cp >= 0x2E00 && cp <= 0x2E7F) ||
        (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
        (cp >= 0x1F000 && cp <= 0x1FAFF) || cp == 0x1680 || cp == 0xFEFF)
        return 0;
    return 1;
}

/* 1 when Python's \s matches cp. */
static int is_space(unsigned long cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* 1 when \b holds at byte offset i. */
static int boundary(const unsigned char *s, size_t len, size_t i)
{
    size_t n;
    int before = i > 0 && is_word(cp_before(s, len, i));
    int after = i < len && is_word(cp_at(s, len, i, &n));
    return before != after;
}

static int is_ascii_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The end of a top-level domain starting at p: a run of 2 to 63 ASCII
 * letters followed by the end or by a character that is neither a word
 * character nor '@'. Returns the end offset, or 0 when there is none. */
static size_t tld_end(const unsigned char *s, size_t len, size_t p)
{
    size_t e = p, n;
    while (e < len && is_ascii_letter(s[e]))
        e++;
    if (e - p < 2 || e - p > 63)
        return 0;
    if (e < len && (s[e] == '@' || is_word(cp_at(s, len, e, &n))))
        return 0;
    return e;
}

/* Matches ([\w-]+\.)+ then a top-level domain from p, taking as many
 * labels as can be followed by a top-level domain. Returns the end of the
 * host, or 0 when none matches. *scanned is set to where the scan of the
 * labels stopped (no host starting before it can match when this fails). */
static size_t host_end(const unsigned char *s, size_t len, size_t p, size_t *scanned)
{
    size_t q = p, best = 0;
    for (;;) {
        size_t r = q, n;
        while (r < len) {
            unsigned long cp = cp_at(s, len, r, &n);
            if (cp != '-' && !is_word(cp))
                break;
            r += n;
        }
        *scanned = r;
        if (r == q || r >= len || s[r] != '.')
            break;
        q = r + 1;
        size_t e = tld_end(s, len, q);
        if (e)
            best = e;
    }
    return best;
}

/* 1 when s[i..] starts with http:// or https:// (any case); its length in *n. */
static int scheme_at(const unsigned char *s, size_t len, size_t i, size_t *n)
{
    static const char http[] = "http";
    if (len - i < 7)
        return 0;
    for (size_t k = 0; k < 4; k++)
        if ((s[i + k] | 0x20) != (unsigned char)http[k])
            return 0;
    size_t j = i + 4;
    if ((s[j] | 0x20) == 's')
        j++;
    if (len - j < 3 || memcmp(s + j, "://", 3) != 0)
        return 0;
    *n = j + 3 - i;
    return 1;
}

/* The end of the URL starting at i, or 0. *dead is the offset below which
 * no host can start (updated as hosts fail). */
static size_t url_end(const unsigned char *s, size_t len, size_t i, size_t *dead)
{
    if (i > 0 && (s[i - 1] == '@' || s[i - 1] == '.'))
        return 0;
    if (!boundary(s, len, i))
        return 0;
    size_t e = 0, slen = 0, scanned;
    if (scheme_at(s, len, i, &slen) && i + slen >= *dead) {
        e = host_end(s, len, i + slen, &scanned);
        if (!e && scanned > *dead)
            *dead = scanned;
    }
    if (!e) {
        slen = 0;
        if (i < *dead)
            return 0;
        e = host_end(s, len, i, &scanned);
        if (!e) {
            if (scanned > *dead)
                *dead = scanned;
            return 0;
        }
    }
    if (e < len && (s[e] == '/' || s[e] == '?' || s[e] == '#')) {
        size_t n;
        while (e < len) {
            unsigned long cp = cp_at(s, len, e, &n);
            if (cp == '<' || is_space(cp))
                break;
            e += n;
        }
    }
    return e;
}

/* 1 when s[a..b) is only [a-zA-Z0-9.-]. */
static int bare_domain(const unsigned char *s, size_t a, size_t b)
{
    for (size_t k = a; k < b; k++)
        if (!is_ascii_letter(s[k]) && !(s[k] >= '0' && s[k] <= '9') && s[k] != '.' && s[k] != '-')
            return 0;
    return 1;
}

/* Appends c, with a backslash first when it is a Markdown character. */
static void add_escaped(emu_buf *b, unsigned char c)
{
    if (c && strchr("`*_(){}[]<>#+-.!|\\", c))
        emu_buf_add(b, "\\", 1);
    emu_buf_add(b, (const char *)&c, 1);
}

char *emu_sanitise_text(const char *text, size_t len, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)text;
    emu_buf b;
    emu_buf_init(&b);
    size_t dead = 0;
    for (size_t i = 0; i < len;) {
        size_t e = url_end(s, len, i, &dead);
        if (e > i) {
            if (bare_domain(s, i, e))
                for (size_t k = i; k < e; k++) {
                    add_escaped(&b, s[k]);
                    if (s[k] == '.')
                        emu_buf_add(&b, " ", 1);
                }
            i = e; /* any other URL is removed */
            continue;
        }
        add_escaped(&b, s[i]);
        i++;
    }
    return emu_buf_take(&b, out_len);
}

/* 1 when key matches one of the string items of keys (normalised). -1 on OOM. */
static int listed(const char *key, const json_t *keys)
{
    char *k = emu_insensitive_key(key);
    if (!k)
        return -1;
    int found = 0;
    size_t i;
    json_t *item;
    json_array_foreach(keys, i, item)
    {
        if (!json_is_string(item))
            continue;
        char *ik = emu_insensitive_key(json_string_value(item));
        if (!ik) {
            free(k);
            return -1;
        }
        found = !strcmp(k, ik);
        free(ik);
        if (found)
            break;
    }
    free(k);
    return found;
}

json_t *emu_sanitise_personalisation(json_t *pers, const json_t *keys)
{
    json_t *out = json_object();
    if (!out || !json_is_object(pers) || !json_is_array(keys))
        return out;
    const char *key;
    json_t *value;
    json_object_foreach(pers, key, value)
    {
        if (!json_is_string(value))
            continue;
        int hit = listed(key, keys);
        if (hit < 0)
            goto oom;
        if (!hit)
            continue;
        const char *orig = json_string_value(value);
        size_t orig_len = json_string_length(value), new_len;
        char *clean = emu_sanitise_text(orig, orig_len, &new_len);
        if (!clean)
            goto oom;
        if (new_len == orig_len && !memcmp(clean, orig, orig_len)) {
            free(clean);
            continue;
        }
        json_t *entry =
            json_pack("{s:s%,s:s%}", "sanitised", clean, new_len, "unsanitised", orig, orig_len);
        json_t *replacement = json_stringn(clean, new_len);
        free(clean);
        if (!entry || !replacement) {
            json_decref(entry);
            json_decref(replacement);
            goto oom;
        }
        if (json_object_set_new(out, key, entry)) { /* takes entry even on failure */
            json_decref(replacement);
            goto oom;
        }
        /* replacing an existing key's value keeps the iteration valid */
        if (json_object_set_new(pers, key, replacement))
            goto oom;
    }
    return out;
oom:
    json_decref(out);
    return NULL;
}
