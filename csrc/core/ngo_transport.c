/* The libcurl multi transport: many requests at once over reused
 * connections (HTTP/2 multiplexed when offered, HTTP/1.1 keep-alive
 * otherwise), in the loop shape of curl's docs/examples/multi-app.c. */
#include "ngo.h"
#include "ngo_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#define NGO__POLL_MS  100 /* longest single wait in curl_multi_poll */
#define NGO__CHECK_MS 50  /* least time between check() calls */
#define NGO__POOL_MAX 256 /* idle easy handles kept for reuse */

struct ngo_multi {
    CURLM *multi;
    CURL *pool[NGO__POOL_MAX];
    size_t pool_len;
};

struct ngo_client {
    CURLU *base;
    char service_id[NGO_UUID_LEN + 1];
    char secret[NGO_UUID_LEN + 1];
    char *user_agent; /* "User-Agent: ..." header line */
    char *ca_bundle;
    long timeout_ms;
    long connect_timeout_ms;
    unsigned max_in_flight;
    ngo_bucket bucket;
    size_t max_response_total; /* cap on a batch's response bytes in flight */
};

/* One transfer in flight. */
typedef struct ngo__xfer {
    CURL *easy;
    struct curl_slist *headers;
    char *url; /* curl_free */
    ngo__body body;
    ngo__sink resp;
    char errbuf[CURL_ERROR_SIZE];
    size_t index; /* into reqs/results */
    int busy;
} ngo__xfer;

/* ---- small helpers ----------------------------------------------------- */

/* Seconds on the monotonic clock. */
double ngo__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Returns the capacity needed for b->len + n bytes and a NUL: b->cap when
 * that fits, else b->cap doubled (from 1024) until it does, at most
 * max + 1. */
size_t ngo__buf_grown_cap(const ngo__buf *b, size_t n, size_t max)
{
    size_t need = b->len + n + 1;
    size_t cap = b->cap ? b->cap : 1024;

    if (need <= b->cap)
        return b->cap;
    while (cap < need && cap <= max / 2)
        cap *= 2;
    if (cap < need || cap > max + 1)
        cap = need > max + 1 ? need : max + 1;
    return cap;
}

/* Seconds on the monotonic clock (public name). */
double ngo_now(void)
{
    return ngo__now();
}

/* Returns 0, NGO_ENOBUFS (over max; b unchanged) or NGO_ENOMEM. */
int ngo__buf_append(ngo__buf *b, const char *p, size_t n, size_t max)
{
    if (n > max || b->len > max - n)
        return NGO_ENOBUFS;
    if (b->len + n + 1 > b->cap) {
        size_t cap = ngo__buf_grown_cap(b, n, max);
        char *data = realloc(b->data, cap);
        if (!data)
            return NGO_ENOMEM;
        b->data = data;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* Frees b's data; b is left empty and reusable. */
void ngo__buf_free(ngo__buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Gives s's buffer capacity back to its budget. */
static void ngo__sink_uncharge(ngo__sink *s)
{
    if (s->budget) {
        assert(s->budget->used >= s->buf.cap);
        s->budget->used -= s->buf.cap;
    }
}

/* Frees s's buffer and returns its capacity to the budget. */
void ngo__sink_free(ngo__sink *s)
{
    ngo__sink_uncharge(s);
    ngo__buf_free(&s->buf);
}

/* The caller has taken s->buf.data: return its capacity to the budget and
 * forget it. */
void ngo__sink_release(ngo__sink *s)
{
    ngo__sink_uncharge(s);
    s->buf.data = NULL;
    s->buf.len = s->buf.cap = 0;
}

/* Returns the bytes consumed; 0 fails the transfer (a cap or OOM, recorded
 * in the sink's cut). */
size_t ngo__write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    ngo__sink *s = userdata;
    size_t n, cap, grow;
    int rc;

    if (size && nmemb > s->max / size) {
        s->cut = NGO_EBODY_LIMIT;
        return 0;
    }
    n = size * nmemb;
    if (s->buf.len > s->max - n) {
        s->cut = NGO_EBODY_LIMIT;
        return 0;
    }
    cap = ngo__buf_grown_cap(&s->buf, n, s->max);
    grow = cap - s->buf.cap;
    if (s->budget && grow > s->budget->max - s->budget->used) {
        s->cut = NGO_EMEMORY_LIMIT;
        return 0;
    }
    rc = ngo__buf_append(&s->buf, ptr, n, s->max);
    if (rc) {
        s->cut = rc == NGO_ENOBUFS ? NGO_EBODY_LIMIT : NGO_ENOMEM;
        return 0;
    }
    assert(s->buf.cap == cap);
    if (s->budget)
        s->budget->used += grow;
    return n;
}

/* Returns the bytes copied into buffer (0 at the end of the body). */
size_t ngo__read_cb(char *buffer, size_t size, size_t nitems, void *userdata)
{
    ngo__body *body = userdata;
    size_t room = size * nitems;
    size_t left = body->len - body->off;
    size_t n = left < room ? left : room;

    if (n)
        memcpy(buffer, body->data + body->off, n);
    body->off += n;
    return n;
}

/* Frees r->body and zeroes r. */
void ngo_result_clear(ngo_result *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* ---- the multi handle ---------------------------------------------------- */

/* Returns 0 with *out set, NGO_ENOMEM or NGO_ECURL. */
int ngo_multi_new(ngo_multi **out)
{
    ngo_multi *m = calloc(1, sizeof(*m));

    *out = NULL;
    if (!m)
        return NGO_ENOMEM;
    m->multi = curl_multi_init();
    if (!m->multi) {
        free(m);
        return NGO_ECURL;
    }
    if (curl_multi_setopt(m->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX)) {
        curl_multi_cleanup(m->multi);
        free(m);
        return NGO_ECURL;
    }
    *out = m;
    return 0;
}

/* Closes every connection and frees m. Only in the process that created it. */
void ngo_multi_free(ngo_multi *m)
{
    size_t i;

    if (!m)
        return;
    for (i = 0; i < m->pool_len; i++)
        curl_easy_cleanup(m->pool[i]);
    curl_multi_cleanup(m->multi);
    free(m);
}

/* Returns an easy handle from the pool or a new one (NULL on OOM). */
static CURL *ngo__easy_get(ngo_multi *m)
{
    if (m->pool_len)
        return m->pool[--m->pool_len];
    return curl_easy_init();
}

/* Returns easy to the pool (reset) or frees it when the pool is full. */
static void ngo__easy_put(ngo_multi *m, CURL *easy)
{
    if (m->pool_len < NGO__POOL_MAX) {
        curl_easy_reset(easy);
        m->pool[m->pool_len++] = easy;
    } else
        curl_easy_cleanup(easy);
}

/* ---- the client ---------------------------------------------------------- */

/* Returns a malloc'd copy of s or NULL. */
static char *ngo__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* Returns 0 when url parses as http(s)://host..., else NGO_EBASE_URL;
 * NGO_ENOMEM on OOM. *out is the parsed handle (curl_url_cleanup). */
static int ngo__parse_base(const char *url, CURLU **out)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = NGO_EBASE_URL;

    *out = NULL;
    if (!u)
        return NGO_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0))
        goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) || curl_url_get(u, CURLUPART_HOST, &host, 0))
        goto out;
    if (strcmp(scheme, "http") && strcmp(scheme, "https"))
        goto out;
    if (!host[0])
        goto out;
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    if (rc)
        curl_url_cleanup(u);
    else
        *out = u;
    return rc;
}

/* Returns 0 with *out set, or an error code; see ngo.h. */
int ngo_client_new(const ngo_client_config *cfg, ngo_client **out)
{
    ngo_apikey key;
    ngo_client *c;
    size_t ua_len;
    int rc;

    *out = NULL;
    if (!cfg->api_key || !cfg->base_url || !cfg->user_agent)
        return NGO_EINVAL;
    rc = ngo_apikey_parse(cfg->api_key, cfg->api_key_len, &key);
    if (rc)
        return rc;
    if (cfg->timeout_ms <= 0 || cfg->connect_timeout_ms <= 0 || !cfg->max_in_flight)
        return NGO_EINVAL;
    if (strchr(cfg->user_agent, '\r') || strchr(cfg->user_agent, '\n'))
        return NGO_EINVAL;

    c = calloc(1, sizeof(*c));
    if (!c)
        return NGO_ENOMEM;
    rc = ngo__parse_base(cfg->base_url, &c->base);
    if (rc)
        goto fail;
    memcpy(c->service_id, key.service_id, NGO_UUID_LEN);
    memcpy(c->secret, key.secret, NGO_UUID_LEN);
    ua_len = strlen("User-Agent: ") + strlen(cfg->user_agent) + 1;
    c->user_agent = malloc(ua_len);
    if (!c->user_agent) {
        rc = NGO_ENOMEM;
        goto fail;
    }
    snprintf(c->user_agent, ua_len, "User-Agent: %s", cfg->user_agent);
    if (cfg->ca_bundle) {
        c->ca_bundle = ngo__strdup(cfg->ca_bundle);
        if (!c->ca_bundle) {
            rc = NGO_ENOMEM;
            goto fail;
        }
    }
    c->timeout_ms = cfg->timeout_ms;
    c->connect_timeout_ms =
        cfg->connect_timeout_ms < cfg->timeout_ms ? cfg->connect_timeout_ms : cfg->timeout_ms;
    c->max_in_flight = cfg->max_in_flight;
    c->max_response_total =
        cfg->max_response_total ? cfg->max_response_total : NGO_RESPONSE_TOTAL_MAX;
    ngo_bucket_init(&c->bucket, cfg->rate_per_minute, cfg->burst, ngo__now());
    *out = c;
    return 0;
fail:
    ngo_client_free(c);
    return rc;
}

/* Frees c, wiping the secret first. */
void ngo_client_free(ngo_client *c)
{
    if (!c)
        return;
    OPENSSL_cleanse(c->secret, sizeof(c->secret));
    curl_url_cleanup(c->base);
    free(c->user_agent);
    free(c->ca_bundle);
    free(c);
}

/* ---- one transfer ---------------------------------------------------------- */

/* 1 when Notify's rate limit applies to this request (§5.1: POST
 * /v2/notifications/{sms,email,letter}); path may be a path or a URL. */
static int ngo__is_rate_limited(const ngo_request *r)
{
    const char *path = r->path;
    const char *scheme_end = strstr(path, "://");

    if (strcmp(r->method, "POST"))
        return 0;
    /* An absolute URL: the path starts at the first '/' after the host. */
    if (scheme_end && !memchr(path, '/', (size_t)(scheme_end - path))) {
        path = strchr(scheme_end + 3, '/');
        if (!path)
            return 0;
    }
    return !strncmp(path, "/v2/notifications/", 18);
}

/* Releases everything x holds except the response buffer, returning the
 * easy handle to the pool (after removing it from the multi). */
static void ngo__xfer_release(ngo_multi *m, ngo__xfer *x)
{
    if (x->easy) {
        curl_multi_remove_handle(m->multi, x->easy);
        ngo__easy_put(m, x->easy);
    }
    curl_slist_free_all(x->headers);
    curl_free(x->url);
    ngo__sink_free(&x->resp);
    memset(x, 0, sizeof(*x));
}

/* Appends line to *list. Returns 0 or NGO_ENOMEM. */
static int ngo__add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *l = curl_slist_append(*list, line);
    if (!l)
        return NGO_ENOMEM;
    *list = l;
    return 0;
}

#define NGO__SETOPT(easy, opt, val)                                                                \
    do {                                                                                           \
        if (curl_easy_setopt((easy), (opt), (val)) != CURLE_OK)                                    \
            return NGO_ECURL;                                                                      \
    } while (0)

/* Prepares x for request r and adds it to the multi. Returns 0 or an error
 * code (x then holds what must be released). */
static int ngo__xfer_start(ngo_multi *m, ngo_client *c, ngo__xfer *x, const ngo_request *r,
                           const ngo_perform_opts *opts, ngo__budget *budget)
{
    char token[NGO_JWT_MAX];
    char auth[NGO_JWT_MAX + 32];
    CURLU *u;
    CURL *e;
    long n;

    /* Resolve the path against the base URL exactly like urljoin. */
    u = curl_url_dup(c->base);
    if (!u)
        return NGO_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, r->path, 0) || curl_url_get(u, CURLUPART_URL, &x->url, 0)) {
        curl_url_cleanup(u);
        return NGO_EINVAL;
    }
    curl_url_cleanup(u);

    n = ngo_jwt_sign(c->service_id, c->secret, NGO_UUID_LEN,
                     opts->has_iat ? opts->iat : (int64_t)time(NULL), token, sizeof(token));
    if (n < 0)
        return (int)n;
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    OPENSSL_cleanse(token, sizeof(token));
    n = ngo__add_header(&x->headers, auth);
    OPENSSL_cleanse(auth, sizeof(auth));
    if (n)
        return (int)n;
    if (ngo__add_header(&x->headers, "Content-Type: application/json") ||
        ngo__add_header(&x->headers, c->user_agent) || ngo__add_header(&x->headers, "Expect:"))
        return NGO_ENOMEM;

    e = ngo__easy_get(m);
    if (!e)
        return NGO_ENOMEM;
    x->easy = e;
    NGO__SETOPT(e, CURLOPT_URL, x->url);
    NGO__SETOPT(e, CURLOPT_HTTPHEADER, x->headers);
    NGO__SETOPT(e, CURLOPT_NOSIGNAL, 1L);
    /* Wait for a connection that may multiplex only where HTTP/2 is possible
     * (TLS + ALPN). Over plain http:// curl speaks HTTP/1.1 here and would
     * hold every other transfer until the first response arrives, so a
     * stalled first request would time them all out unsent. */
    NGO__SETOPT(e, CURLOPT_PIPEWAIT, strncmp(x->url, "https://", 8) ? 0L : 1L);
    NGO__SETOPT(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    NGO__SETOPT(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    NGO__SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    NGO__SETOPT(e, CURLOPT_TCP_KEEPALIVE, 1L);
    NGO__SETOPT(e, CURLOPT_ERRORBUFFER, x->errbuf);
    NGO__SETOPT(e, CURLOPT_WRITEFUNCTION, ngo__write_cb);
    x->resp.max = NGO__BODY_MAX;
    x->resp.budget = budget;
    NGO__SETOPT(e, CURLOPT_WRITEDATA, &x->resp);
    NGO__SETOPT(e, CURLOPT_PRIVATE, (void *)x);
    NGO__SETOPT(e, CURLOPT_PROTOCOLS_STR, "http,https");
    NGO__SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L);
    if (c->ca_bundle)
        NGO__SETOPT(e, CURLOPT_CAINFO, c->ca_bundle);

    if (r->body) {
        /* A read callback and no seek callback: curl cannot rewind this
         * body, so it can never silently re-send it on a new connection
         * (the transfer fails with CURLE_SEND_FAIL_REWIND instead). */
        x->body.data = (const char *)r->body;
        x->body.len = r->body_len;
        x->body.off = 0;
        NGO__SETOPT(e, CURLOPT_POST, 1L);
        NGO__SETOPT(e, CURLOPT_READFUNCTION, ngo__read_cb);
        NGO__SETOPT(e, CURLOPT_READDATA, &x->body);
        NGO__SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        NGO__SETOPT(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
        if (strcmp(r->method, "POST"))
            NGO__SETOPT(e, CURLOPT_CUSTOMREQUEST, r->method);
    } else if (!strcmp(r->method, "GET"))
        NGO__SETOPT(e, CURLOPT_HTTPGET, 1L);
    else if (!strcmp(r->method, "POST")) {
        NGO__SETOPT(e, CURLOPT_POST, 1L);
        NGO__SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        NGO__SETOPT(e, CURLOPT_READFUNCTION, ngo__read_cb);
        NGO__SETOPT(e, CURLOPT_READDATA, &x->body);
    } else
        NGO__SETOPT(e, CURLOPT_CUSTOMREQUEST, r->method);

    /* The send-by deadline, checked at the last moment: after the bucket
     * and slot waits and the set-up above, right before curl may start. */
    if (opts->not_after > 0 && ngo__now() >= opts->not_after)
        return NGO_EDEADLINE;
    if (curl_multi_add_handle(m->multi, e) != CURLM_OK)
        return NGO_ECURL;
    x->busy = 1;
    return 0;
}

/* Moves a finished transfer's facts and body into res. */
static void ngo__xfer_finish(ngo__xfer *x, CURLcode code, ngo_result *res)
{
    ngo_facts f;
    long status = 0, reqsize = 0;
    curl_off_t total = 0, connect = 0;

    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(x->easy, CURLINFO_REQUEST_SIZE, &reqsize);
    curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total);
    curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &connect);

    f.curl_code = (int)code;
    f.http_status = status;
    f.request_size = reqsize;
    f.connect_time = (double)connect / 1e6;
    f.body = x->resp.buf.data;
    f.body_len = x->resp.buf.len;
    res->outcome = ngo_classify(&f);
    res->http_status = status;
    res->curl_code = (int)code;
    res->elapsed = (double)total / 1e6;
    if (code != CURLE_OK && x->resp.cut) {
        /* Cut off by a cap (or OOM): say which, and drop the partial body
         * now rather than hold it until the batch ends. */
        snprintf(res->error, sizeof(res->error), "%s", ngo_strerror(x->resp.cut));
        ngo__sink_free(&x->resp);
    } else if (code != CURLE_OK) {
        const char *msg = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);
        snprintf(res->error, sizeof(res->error), "%s", msg);
    }
    /* Hand the body over; NULL (with body_len 0) when the response had no
     * body. The caller frees it with ngo_result_clear. */
    assert(x->resp.buf.data || x->resp.buf.len == 0);
    res->body = x->resp.buf.data;
    res->body_len = x->resp.buf.len;
    ngo__sink_release(&x->resp);
}

/* Fills res for a request that could not even be set up. */
static void ngo__fail_setup(ngo_result *res, int err)
{
    res->outcome = NGO_NOT_SENT;
    res->http_status = 0;
    res->curl_code = 0;
    snprintf(res->error, sizeof(res->error), "%s", ngo_strerror(err));
}

/* ---- the loop ---------------------------------------------------------------- */

/* See ngo.h. The shape of curl's docs/examples/multi-app.c: add, perform,
 * read finished transfers, poll (bounded), check. */
int ngo_perform(ngo_multi *m, ngo_client *c, const ngo_request *reqs, size_t n, ngo_result *results,
                const ngo_perform_opts *opts, ngo_check_fn check, void *arg)
{
    static const ngo_perform_opts defaults = {0, 0, 0.0};
    /* The responses of this batch's transfers in flight. A client's
     * batches never overlap, so this is the client's budget; being local,
     * nothing of it survives an abandoned batch or a fork. */
    ngo__budget budget = {0, 0};
    ngo__xfer *xfers;
    size_t slots, next = 0, done = 0, in_flight = 0, i;
    double last_check = ngo__now();
    int rc = 0;

    if (!m || !c || (n && (!reqs || !results)))
        return NGO_EINVAL;
    if (!opts)
        opts = &defaults;
    budget.max = c->max_response_total;
    if (!n)
        return 0;
    slots = c->max_in_flight < n ? c->max_in_flight : n;
    xfers = calloc(slots, sizeof(*xfers));
    if (!xfers)
        return NGO_ENOMEM;
    curl_multi_setopt(m->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->max_in_flight);
    curl_multi_setopt(m->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->max_in_flight);

    while (done < n) {
        long wait_ms = NGO__POLL_MS;
        int running = 0, queued, paced = 0;
        size_t finished = 0;
        CURLMsg *msg;

        /* Once the send-by deadline has passed no request may start: the
         * rest are not_sent at once, without waiting for a slot or a
         * token. */
        if (opts->not_after > 0 && next < n && ngo__now() >= opts->not_after) {
            for (; next < n; next++, done++)
                ngo__fail_setup(&results[next], NGO_EDEADLINE);
            if (done == n)
                break;
        }
        /* Start as many requests as the in-flight cap and the bucket allow. */
        for (i = 0; next < n && in_flight < slots && i < slots; i++) {
            ngo__xfer *x = &xfers[i];
            double wait;
            int err;

            if (x->busy)
                continue;
            if (ngo__is_rate_limited(&reqs[next]) &&
                ngo_bucket_take(&c->bucket, ngo__now(), &wait)) {
                long ms = (long)(wait * 1000.0) + 1;
                if (ms < wait_ms)
                    wait_ms = ms;
                paced = 1;
                break;
            }
            x->index = next;
            err = ngo__xfer_start(m, c, x, &reqs[next], opts, &budget);
            if (err == NGO_ENOMEM) {
                ngo__xfer_release(m, x);
                rc = NGO_ENOMEM;
                goto abandon;
            }
            if (err) {
                ngo__fail_setup(&results[next], err);
                ngo__xfer_release(m, x);
                done++;
                next++;
                continue;
            }
            in_flight++;
            next++;
        }
        if (done == n)
            break;
        /* Wake for the deadline so that waiting requests are failed then. */
        if (opts->not_after > 0 && next < n) {
            double left = opts->not_after - ngo__now();
            long ms = left > 0 ? (long)(left * 1000.0) + 1 : 0;
            if (ms < wait_ms)
                wait_ms = ms;
        }

        if (curl_multi_perform(m->multi, &running) != CURLM_OK) {
            rc = NGO_ECURL;
            goto abandon;
        }
        while ((msg = curl_multi_info_read(m->multi, &queued)) != NULL) {
            ngo__xfer *x = NULL;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            assert(x && x->busy && x->easy == msg->easy_handle);
            ngo__xfer_finish(x, msg->data.result, &results[x->index]);
            ngo__xfer_release(m, x);
            in_flight--;
            done++;
            finished++;
        }
        if (done == n)
            break;
        /* When slots were freed and requests are waiting, start them before
         * sleeping. */
        if (!(finished && next < n && !paced)) {
            if (curl_multi_poll(m->multi, NULL, 0, (int)wait_ms, NULL) != CURLM_OK) {
                rc = NGO_ECURL;
                goto abandon;
            }
        }
        /* Check in every NGO__CHECK_MS or so: often enough for Ctrl-C, rarely
         * enough not to fight other threads for the caller's lock (GIL). */
        if (ngo__now() - last_check < NGO__CHECK_MS / 1000.0)
            continue;
        last_check = ngo__now();
        if (check && check(arg)) {
            rc = NGO_EINTERRUPTED;
            goto abandon;
        }
    }
    free(xfers);
    assert(budget.used == 0);
    return 0;

abandon:
    for (i = 0; i < slots; i++)
        if (xfers[i].busy || xfers[i].easy)
            ngo__xfer_release(m, &xfers[i]);
    free(xfers);
    return rc;
}
