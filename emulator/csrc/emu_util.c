/* Helpers shared by the emulator (see emu_util.h). */
#include "emu_util.h"

#include <errno.h>
#include <math.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Microseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t emu_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Microseconds on CLOCK_MONOTONIC, for delays and intervals. */
int64_t emu_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void emu_buf_init(emu_buf *b)
{
    memset(b, 0, sizeof(*b));
}

/* Makes room for n more bytes plus a NUL. Returns 0 or -1 (oom set). */
static int buf_reserve(emu_buf *b, size_t n)
{
    if (b->oom)
        return -1;
    if (b->len + n + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void emu_buf_add(emu_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void emu_buf_adds(emu_buf *b, const char *s)
{
    emu_buf_add(b, s, strlen(s));
}

void emu_buf_addf(emu_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof(tmp)) {
        emu_buf_add(b, tmp, (size_t)n);
        return;
    }
    if (buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void emu_buf_add_html(emu_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            emu_buf_adds(b, "&amp;");
            break;
        case '<':
            emu_buf_adds(b, "&lt;");
            break;
        case '>':
            emu_buf_adds(b, "&gt;");
            break;
        case '"':
            emu_buf_adds(b, "&quot;");
            break;
        case '\'':
            emu_buf_adds(b, "&#39;");
            break;
        default:
            emu_buf_add(b, s, 1);
        }
    }
}

void emu_buf_add_urlenc(emu_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            (c && strchr("-_.~!$'()*,/:;?@", c))) {
            emu_buf_add(b, (const char *)p, 1);
        } else if (c == ' ') {
            emu_buf_add(b, "+", 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            emu_buf_add(b, e, 3);
        }
    }
}

char *emu_buf_take(emu_buf *b, size_t *len)
{
    if (b->oom) {
        emu_buf_free(b);
        return NULL;
    }
    if (!b->data && buf_reserve(b, 0))
        return NULL;
    if (b->data)
        b->data[b->len] = '\0';
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void emu_buf_free(emu_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

/* Rewrites jansson's ASCII output into Python's: \uXXXX hex digits in
 * lower case, and the DEL byte as \u007f. */
static char *dumps_python(const json_t *v, size_t flags, int newline, size_t *len)
{
    char *raw = json_dumps(v, flags | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
    if (!raw)
        return NULL;
    size_t n = strlen(raw), dels = 0;
    for (size_t i = 0; i < n; i++)
        if (raw[i] == 0x7f)
            dels++;
    char *out = malloc(n + dels * 5 + 2);
    if (!out) {
        free(raw);
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = raw[i];
        if (c == '\\' && i + 1 < n) {
            out[o++] = c;
            out[o++] = raw[++i];
            if (raw[i] == 'u') {
                for (int k = 0; k < 4 && i + 1 < n; k++) {
                    char h = raw[++i];
                    out[o++] = (h >= 'A' && h <= 'F') ? (char)(h - 'A' + 'a') : h;
                }
            }
        } else if (c == 0x7f) {
            memcpy(out + o, "\\u007f", 6);
            o += 6;
        } else {
            out[o++] = c;
        }
    }
    if (newline)
        out[o++] = '\n';
    out[o] = '\0';
    free(raw);
    if (len)
        *len = o;
    return out;
}

char *emu_json_dumps(const json_t *v, int newline, size_t *len)
{
    return dumps_python(v, JSON_COMPACT | JSON_SORT_KEYS, newline, len);
}

char *emu_json_dumps_default(const json_t *v, size_t *len)
{
    return dumps_python(v, JSON_PRESERVE_ORDER, 0, len);
}

char *emu_iso_time(int64_t t_us, char out[32])
{
    time_t secs = (time_t)(t_us / 1000000);
    long frac = (long)(t_us % 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%06ldZ", frac);
    return out;
}

int emu_uuid4(char out[37])
{
    unsigned char r[16];
    if (RAND_bytes(r, sizeof(r)) != 1)
        return -1;
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = '\0';
    return 0;
}

void emu_rng_seed(emu_rng *r, uint64_t seed)
{
    r->state = seed;
}

double emu_rng_next(emu_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

char *emu_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

int emu_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int emu_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || !end || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* The value of the hex digit c (either case), or -1. */
int emu_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
