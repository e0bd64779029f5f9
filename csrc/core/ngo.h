/* The GOV.UK Notify client engine: API key parsing, base64url, JWT signing,
 * the client-side token bucket, outcome classification and the libcurl
 * multi transport. No Python here.
 *
 * Conventions: public names start with ngo_, internal ones with ngo__.
 * Functions return 0 (or a length/count where documented) on success and a
 * negative NGO_E* code on failure. Unless documented otherwise the caller
 * owns every buffer; functions write into caller-supplied memory and
 * allocate nothing (picohttpparser style).
 */
#ifndef NGO_H
#define NGO_H

#include <stddef.h>
#include <stdint.h>

/* ---- Error codes ------------------------------------------------------- */

enum {
    NGO_OK = 0,
    NGO_EKEY_TOO_SHORT = -1,  /* API key shorter than service id + secret */
    NGO_EKEY_SEPARATOR = -2,  /* a '-' is missing between the parts */
    NGO_EKEY_SERVICE_ID = -3, /* service id part is not a UUID */
    NGO_EKEY_SECRET = -4,     /* secret part is not a UUID */
    NGO_ENOBUFS = -5,         /* caller's output buffer is too small */
    NGO_ENOMEM = -6,          /* an allocation failed */
    NGO_ECRYPTO = -7,         /* OpenSSL failed (error queue drained) */
    NGO_EINVAL = -8,          /* invalid argument */
    NGO_ECURL = -9,           /* libcurl refused to set up a handle */
    NGO_EINTERRUPTED = -10,   /* the check callback asked to stop */
    NGO_EBASE_URL = -11,      /* base URL is not http(s)://host[...] */
    NGO_EDECODE = -12,        /* invalid base64url input */
    NGO_EDEADLINE = -13,      /* the send-by deadline passed before the
                                     request was handed to libcurl */
    NGO_EBODY_LIMIT = -14,    /* a response exceeded the per-response cap */
    NGO_EMEMORY_LIMIT = -15,  /* the client's cap on response bytes held
                                     by transfers in flight was reached */
};

/* Returns a static, human-readable description of an NGO_E* code. It never
 * contains caller data (so never a secret). */
const char *ngo_strerror(int err);

/* ---- API key (notify-api.md §1.1) ---------------------------------------
 * Format {name}-{service_id}-{secret}, split from the END: the secret is the
 * last 36 characters, the service id the 36 before the separating '-', and
 * the name (which may itself contain '-') is whatever precedes the '-'
 * before the service id. Both ids must be canonical UUID text
 * (8-4-4-4-12 hex digits, either case). */

#define NGO_UUID_LEN    36
#define NGO_KEY_MIN_LEN (NGO_UUID_LEN + 1 + NGO_UUID_LEN)

typedef struct ngo_apikey {
    const char *name;       /* points into the caller's key */
    size_t name_len;        /* 0 when the key is just service_id-secret */
    const char *service_id; /* NGO_UUID_LEN characters, not terminated */
    const char *secret;     /* NGO_UUID_LEN characters, not terminated */
} ngo_apikey;

/* Splits key[0..len) into its parts; the out fields point into key.
 * Returns 0, or NGO_EKEY_TOO_SHORT, NGO_EKEY_SEPARATOR, NGO_EKEY_SERVICE_ID,
 * NGO_EKEY_SECRET (checked in that order) or NGO_EINVAL for NULL pointers.
 * On failure *out is zeroed. */
int ngo_apikey_parse(const char *key, size_t len, ngo_apikey *out);

/* 1 when s[0..NGO_UUID_LEN) is canonical UUID text, else 0. */
int ngo_is_uuid(const char *s);

/* ---- base64url without padding (RFC 4648 §5) ---------------------------- */

/* Number of characters ngo_b64url_encode writes for n input bytes (no NUL). */
size_t ngo_b64url_encoded_len(size_t n);

/* Encodes in[0..n) into out and NUL-terminates it. cap must be at least
 * ngo_b64url_encoded_len(n) + 1. Returns the number of characters written
 * (without the NUL), or NGO_ENOBUFS. */
long ngo_b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/* Decodes in[0..n) (no padding, no whitespace) into out. Returns the number
 * of bytes written, NGO_EDECODE for characters outside the alphabet or an
 * impossible length, or NGO_ENOBUFS when cap < 3*n/4. */
long ngo_b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* HMAC-SHA256(key, msg) into mac[32] through OpenSSL 3's EVP_MAC. Returns 0,
 * or NGO_ECRYPTO with the OpenSSL error queue drained. Allocates nothing the
 * caller must free. */
int ngo_hmac_sha256(const char *key, size_t key_len, const char *msg, size_t msg_len,
                    uint8_t mac[32]);

/* ---- JWT HS256 (notify-api.md §1.2) -------------------------------------
 * Header {"alg":"HS256","typ":"JWT"} (the bytes PyJWT writes: it sorts header
 * keys), claims {"iss":"<service id>","iat":<iat>}. The secret is used as
 * the HMAC key exactly as its text. */

#define NGO_JWT_MAX 256 /* enough for any token ngo_jwt_sign produces */

/* Signs a token into out (NUL-terminated). service_id must be
 * NGO_UUID_LEN characters. Returns the token length, NGO_ENOBUFS,
 * NGO_EINVAL or NGO_ECRYPTO (the OpenSSL error queue is drained). */
long ngo_jwt_sign(const char *service_id, const char *secret, size_t secret_len, int64_t iat,
                  char *out, size_t cap);

/* ---- Client-side token bucket (notify-api.md §5.1) -----------------------
 * Mirrors Notify's bucket so that a batch never provokes a 429 by itself:
 * whole tokens are added as floor(elapsed * rate/60), capacity `burst`,
 * start full; a request needs the bucket to keep at least one token after
 * spending one, as Notify does. To stay on the safe side of Notify's clock
 * and of network jitter, the local clock is treated as running
 * NGO_BUCKET_SLACK slower and NGO_BUCKET_RESERVE extra tokens are kept.
 * The clock is caller-supplied (seconds, monotonic) so tests drive it. */

#define NGO_BUCKET_SLACK   0.95
#define NGO_BUCKET_RESERVE 2

typedef struct ngo_bucket {
    int enabled;           /* 0: every take succeeds */
    double refill_per_sec; /* rate_per_minute / 60 */
    long capacity;
    long tokens;
    double replenished_at; /* caller's clock */
} ngo_bucket;

/* Sets up a full bucket at time now. rate_per_minute == 0 or burst == 0
 * turns it off. */
void ngo_bucket_init(ngo_bucket *b, unsigned long rate_per_minute, unsigned long burst, double now);

/* Spends one token at time now. Returns 0 when the request may go now, or
 * 1 with *wait set to the seconds until a retry can succeed (> 0). */
int ngo_bucket_take(ngo_bucket *b, double now, double *wait);

/* ---- Outcome classification (docs/design.md §1) ------------------------ */

typedef enum ngo_outcome {
    NGO_ACCEPTED = 0,  /* HTTP 2xx, complete response */
    NGO_REJECTED = 1,  /* HTTP 4xx except 429 (and the clock error) */
    NGO_THROTTLED = 2, /* HTTP 429 */
    NGO_NOT_SENT = 3,  /* failed before any byte of the request left, never
                           started (send-by deadline), or refused by Notify's
                           clock check, which runs before anything is stored */
    NGO_UNKNOWN = 4,   /* anything else: Notify may have stored it */
} ngo_outcome;

/* The message of Notify's 403 for a token whose iat is outside its ±30 s
 * window (notify-api.md §1.3/§1.4). Notify authenticates before it reads
 * the request, so this answer proves nothing was stored. */
#define NGO_CLOCK_ERROR_MESSAGE "Error: Your system clock must be accurate to within 30 seconds"

/* What libcurl reported about one finished transfer. */
typedef struct ngo_facts {
    int curl_code;       /* CURLcode */
    long http_status;    /* CURLINFO_RESPONSE_CODE, 0 when none */
    long request_size;   /* CURLINFO_REQUEST_SIZE: request bytes sent; 0 is
                             what proves nothing left (it stays 0 through TCP
                             and TLS set-up) */
    double connect_time; /* CURLINFO_CONNECT_TIME, 0 when never connected:
                             recorded for diagnosis; a timeout after connecting
                             but before sending is still not_sent */
    const char *body;    /* the response body received (may be cut off), or
                             NULL; read only to recognise Notify's clock error */
    size_t body_len;
} ngo_facts;

/* The one place that decides an outcome. Pure. A 403 whose body carries
 * Notify's AuthError with NGO_CLOCK_ERROR_MESSAGE is not_sent: Notify
 * checks the token's iat before it looks at, let alone stores, the
 * request (a plain substring check; the core has no JSON parser). */
ngo_outcome ngo_classify(const ngo_facts *f);

/* 1 when body[0..len) is Notify's clock-skew AuthError, else 0. Pure. */
int ngo_is_clock_error(const char *body, size_t len);

/* "accepted", "rejected", "throttled", "not_sent" or "unknown". */
const char *ngo_outcome_name(ngo_outcome o);

/* ---- Transport (libcurl multi) ------------------------------------------ */

/* A libcurl multi handle (connection cache) and a pool of idle easy
 * handles. Not thread-safe: one thread at a time (the binding keeps one per
 * client and serialises that client's batches). */
typedef struct ngo_multi ngo_multi;

/* Creates a multi handle. Returns 0 or NGO_ENOMEM/NGO_ECURL. The caller
 * frees it with ngo_multi_free, only in the process that created it (after
 * fork() the child must drop its pointer, never free it: the connections
 * belong to the parent). curl_global_init must have run. */
int ngo_multi_new(ngo_multi **out);
void ngo_multi_free(ngo_multi *m);

typedef struct ngo_client_config {
    const char *base_url; /* http(s)://host[:port][/path] */
    const char *api_key;  /* parsed with ngo_apikey_parse */
    size_t api_key_len;
    const char *user_agent;        /* sent as User-Agent */
    long timeout_ms;               /* whole transfer, > 0 */
    long connect_timeout_ms;       /* TCP + TLS set-up, > 0 */
    unsigned long rate_per_minute; /* 0: no client-side rate limit */
    unsigned long burst;
    unsigned max_in_flight;    /* >= 1 */
    const char *ca_bundle;     /* PEM file or NULL for the system store */
    size_t max_response_total; /* cap on response bytes held by this
                                    client's transfers in flight together;
                                    0: NGO_RESPONSE_TOTAL_MAX */
} ngo_client_config;

#define NGO_RESPONSE_TOTAL_MAX ((size_t)64 * 1024 * 1024)

/* Per-client settings and state (keys, limits, token bucket). Holds no
 * curl connections, so it is safe to keep across fork(). A client's batches
 * must not overlap (the caller serialises them: the bucket is shared). */
typedef struct ngo_client ngo_client;

/* Validates cfg and copies what it needs. Returns 0, an NGO_EKEY_* code,
 * NGO_EBASE_URL, NGO_EINVAL or NGO_ENOMEM. Free with ngo_client_free,
 * which wipes the secret. */
int ngo_client_new(const ngo_client_config *cfg, ngo_client **out);
void ngo_client_free(ngo_client *c);

typedef struct ngo_request {
    const char *method;  /* "GET", "POST", "PUT", "DELETE", ... */
    const char *path;    /* resolved against base_url like urljoin */
    const uint8_t *body; /* NULL: no body */
    size_t body_len;
} ngo_request;

#define NGO_ERRTEXT_MAX 256 /* CURL_ERROR_SIZE */

typedef struct ngo_result {
    ngo_outcome outcome;
    long http_status; /* 0 when no response status was received */
    char *body;       /* malloc'd and NUL-terminated, or NULL when empty;
                                freed by ngo_result_clear */
    size_t body_len;
    char error[NGO_ERRTEXT_MAX]; /* curl's error text, "" when none */
    double elapsed;              /* seconds */
    int curl_code;
} ngo_result;

/* Frees r->body and zeroes r. */
void ngo_result_clear(ngo_result *r);

/* Called between poll rounds, every 50-150 ms. Return non-zero to
 * abandon the batch. */
typedef int (*ngo_check_fn)(void *arg);

/* Per-batch options of ngo_perform; NULL means all defaults. */
typedef struct ngo_perform_opts {
    int has_iat;      /* 1: sign every request's JWT with iat below */
    int64_t iat;      /* epoch seconds; otherwise time(NULL) per request */
    double not_after; /* > 0: a deadline on CLOCK_MONOTONIC (ngo__now,
                           Python's time.monotonic()). A request not yet
                           handed to libcurl by then is not started: its
                           outcome is not_sent with NGO_EDEADLINE's text.
                           Checked last thing before curl_multi_add_handle,
                           after any token-bucket wait and slot wait.
                           Transfers already started are not affected. */
} ngo_perform_opts;

/* Seconds on CLOCK_MONOTONIC: the clock of ngo_perform_opts.not_after, the
 * one Python's time.monotonic() reads on Linux. */
double ngo_now(void);

/* Performs n requests concurrently (at most max_in_flight at once, paced by
 * the client's token bucket for POST /v2/notifications/...), filling
 * results[0..n) in input order; the caller zeroes results beforehand and
 * clears each afterwards. Returns 0 when every request has a result (each
 * result carries its own outcome), NGO_EINTERRUPTED when check returned
 * non-zero (transfers in flight are removed; results may be partly filled
 * and must still be cleared), NGO_ENOMEM or NGO_ECURL.
 *
 * Memory: each response is capped at NGO__BODY_MAX bytes, and the responses
 * of the transfers in flight together at the client's max_response_total
 * (buffer capacity counted). A transfer over either cap is cut off: its
 * body is dropped, its error text says which cap, and its outcome follows
 * from the status received (a 2xx POST cut off is unknown). */
int ngo_perform(ngo_multi *m, ngo_client *c, const ngo_request *reqs, size_t n, ngo_result *results,
                const ngo_perform_opts *opts, ngo_check_fn check, void *arg);

#endif
