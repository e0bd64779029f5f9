/* Small helpers shared by the emulator: clocks, a growable byte buffer,
 * Python-compatible JSON output, escaping, UUIDs and a seeded PRNG. */
#ifndef EMU_UTIL_H
#define EMU_UTIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Wall-clock and monotonic time in microseconds. */
int64_t emu_now_us(void);
int64_t emu_mono_us(void);

/* A growable byte buffer, always NUL-terminated once anything was added.
 * oom is set (and sticks) when an allocation fails. emu_buf_free releases. */
typedef struct emu_buf {
    char *data;
    size_t len, cap;
    int oom;
} emu_buf;

void emu_buf_init(emu_buf *b);
void emu_buf_add(emu_buf *b, const char *s, size_t n);
void emu_buf_adds(emu_buf *b, const char *s);
void emu_buf_addf(emu_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with &, <, >, " and ' replaced by HTML entities. */
void emu_buf_add_html(emu_buf *b, const char *s);
/* Appends s encoded for a URL query the way werkzeug 3's url_for does
 * (urlencode with quote_plus, safe="!$'()*,/:;?@"): space as '+', those
 * characters and -_.~ kept, everything else percent-encoded (UTF-8). */
void emu_buf_add_urlenc(emu_buf *b, const char *s);
/* Hands the buffer's bytes to the caller (free() them); NULL on OOM. */
char *emu_buf_take(emu_buf *b, size_t *len);
void emu_buf_free(emu_buf *b);

/* Serialises v like Python's json.dumps(v, separators=(",", ":"),
 * sort_keys=True, ensure_ascii=True): lower-case \u escapes, DEL escaped.
 * newline adds Flask's trailing "\n". Returns malloc'd text (caller frees)
 * and its length in *len, or NULL on OOM. */
char *emu_json_dumps(const json_t *v, int newline, size_t *len);

/* Like Python's json.dumps(v) with default arguments: ", " and ": "
 * separators, keys in insertion order, ASCII only. Caller frees. */
char *emu_json_dumps_default(const json_t *v, size_t *len);

/* Formats t (microseconds since the epoch, UTC) as Notify's
 * %Y-%m-%dT%H:%M:%S.%fZ into out (at least 28 bytes). Returns out. */
char *emu_iso_time(int64_t t_us, char out[32]);

/* Writes a random version-4 UUID (lower case, 36 chars + NUL) into out.
 * Returns 0, or -1 when no randomness is available. */
int emu_uuid4(char out[37]);

/* A small deterministic PRNG (splitmix64). */
typedef struct emu_rng {
    uint64_t state;
} emu_rng;
void emu_rng_seed(emu_rng *r, uint64_t seed);
/* Uniform double in [0, 1). */
double emu_rng_next(emu_rng *r);

/* Copies s into a new malloc'd string; NULL when s is NULL or on OOM. */
char *emu_strdup(const char *s);

/* Parses a decimal integer in [min, max] from s (the whole string).
 * Returns 0 and sets *out, or -1. */
/* The value of the hex digit c (either case), or -1. */
int emu_hex_value(char c);

int emu_parse_long(const char *s, long min, long max, long *out);
/* Parses a finite double from the whole string. Returns 0 or -1. */
int emu_parse_double(const char *s, double *out);

#endif
