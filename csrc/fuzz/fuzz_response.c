/* libFuzzer target: what the core does with untrusted response bytes.
 *
 * Input layout: byte 0 picks the CURLcode, bytes 1-2 the HTTP status
 * (0-999), byte 3 whether request bytes were sent and the chunk size used
 * to feed the rest of the input (the response body) through the write
 * callback, exactly as libcurl would. Checks that the body is accumulated
 * intact (also under a budget shared by two transfers, which must only ever
 * cut a transfer off, never exceed the budget), and that the classification
 * obeys the design's table, including Notify's 403 clock error, which is
 * not_sent. It also
 * runs the base64url decoder on the body (it decodes untrusted tokens). */
#include "ngo.h"
#include "ngo_internal.h"

#include <assert.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds piece to s unless it was cut off already; checks the budget. */
static void feed(ngo__sink *s, const char *piece, size_t len, const ngo__budget *budget)
{
    size_t before = s->buf.len, got;

    if (s->cut)
        return;
    got = ngo__write_cb((char *)piece, 1, len, s);
    assert(got == len || got == 0);
    if (!got) {
        assert(s->cut == NGO_EMEMORY_LIMIT);
        assert(s->buf.len == before);
    }
    assert(budget->used <= budget->max);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a: no budget, must take everything; b and c share a small budget. */
    ngo__budget budget = {0, 4096};
    ngo__sink a = {{0}, NGO__BODY_MAX, NULL, 0};
    ngo__sink b = {{0}, NGO__BODY_MAX, &budget, 0};
    ngo__sink c = {{0}, NGO__BODY_MAX, &budget, 0};
    ngo_facts f;
    ngo_outcome o;
    size_t chunk, off, body_len;
    const uint8_t *body;
    uint8_t *decoded;
    long n;

    if (size < 4)
        return 0;
    f.curl_code = data[0] % (CURL_LAST + 1);
    f.http_status = ((long)data[1] << 8 | data[2]) % 1000;
    f.request_size = data[3] & 1 ? 0 : 200;
    f.connect_time = data[3] & 2 ? 0.0 : 0.001;
    chunk = (size_t)(data[3] >> 2) + 1;
    body = data + 4;
    body_len = size - 4;

    for (off = 0; off < body_len; off += chunk) {
        size_t len = body_len - off < chunk ? body_len - off : chunk;
        char *piece = malloc(len);
        size_t got;
        if (!piece)
            break;
        memcpy(piece, body + off, len);
        got = ngo__write_cb(piece, 1, len, &a);
        assert(got == len);
        feed(&b, piece, len, &budget);
        feed(&c, piece, len, &budget);
        free(piece);
    }
    assert(a.buf.len == body_len);
    assert(!body_len || (!memcmp(a.buf.data, body, body_len) && a.buf.data[body_len] == '\0'));
    assert(a.buf.cap <= NGO__BODY_MAX + 1);
    assert(!b.buf.len || !memcmp(b.buf.data, body, b.buf.len));
    assert(!c.buf.len || !memcmp(c.buf.data, body, c.buf.len));
    assert(budget.used == b.buf.cap + c.buf.cap);
    /* A body under a quarter of the budget never needs cutting. */
    if (body_len + 1 <= budget.max / 4)
        assert(!b.cut && !c.cut && b.buf.len == body_len && c.buf.len == body_len);

    /* The classifier sees the body as received. */
    f.body = a.buf.data;
    f.body_len = a.buf.len;
    o = ngo_classify(&f);
    assert(o >= NGO_ACCEPTED && o <= NGO_UNKNOWN);
    if (f.http_status == 403 && ngo_is_clock_error(f.body, f.body_len)) {
        assert(o == NGO_NOT_SENT);
    } else {
        if (f.curl_code == CURLE_OK) {
            assert((o == NGO_ACCEPTED) == (f.http_status >= 200 && f.http_status <= 299));
            assert((o == NGO_THROTTLED) == (f.http_status == 429));
            assert(o != NGO_NOT_SENT);
        }
        if (o == NGO_NOT_SENT)
            assert(f.request_size == 0 && f.http_status == 0 && f.curl_code != CURLE_OK);
    }
    if (o == NGO_ACCEPTED)
        assert(f.curl_code == CURLE_OK);
    assert(ngo_outcome_name(o)[0]);
    ngo__sink_free(&a);
    ngo__sink_free(&b);
    ngo__sink_free(&c);
    assert(budget.used == 0);

    decoded = malloc(body_len + 1);
    if (decoded) {
        n = ngo_b64url_decode((const char *)body, body_len, decoded, body_len + 1);
        assert(n >= 0 || n == NGO_EDECODE);
        if (n >= 0) {
            char *again = malloc(body_len + 2);
            if (again) {
                long m = ngo_b64url_encode(decoded, (size_t)n, again, body_len + 2);
                assert(m == (long)body_len && !memcmp(again, body, body_len));
                free(again);
            }
        }
        free(decoded);
    }
    return 0;
}
