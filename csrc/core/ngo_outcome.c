/* Outcome classification (docs/design.md §1): the one place that decides
 * whether a request is known to have been accepted, rejected, throttled,
 * never sent, or is unknown. */
#include "ngo.h"

#include <curl/curl.h>
#include <string.h>

/* 1 when code can only happen before any request byte is written. */
static int ngo__fails_before_sending(int code)
{
    switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return 1;
    default:
        return 0;
    }
}

/* 1 when needle[0..nlen) occurs in hay[0..hlen). */
static int ngo__contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    size_t i;

    if (nlen > hlen)
        return 0;
    for (i = 0; i + nlen <= hlen; i++)
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, nlen))
            return 1;
    return 0;
}

/* 1 when body is Notify's clock AuthError (notify-api.md §1.4): it names
 * the AuthError and carries the clock message as a JSON string. */
int ngo_is_clock_error(const char *body, size_t len)
{
    static const char message[] = "\"" NGO_CLOCK_ERROR_MESSAGE "\"";
    static const char error[] = "\"AuthError\"";

    if (!body)
        return 0;
    return ngo__contains(body, len, message, sizeof(message) - 1) &&
           ngo__contains(body, len, error, sizeof(error) - 1);
}

/* Returns the outcome for f. A result is not_sent only when curl says so
 * AND no request byte was counted as sent, or when Notify's clock check
 * refused it; any doubt means unknown. */
ngo_outcome ngo_classify(const ngo_facts *f)
{
    long s = f->http_status;

    /* Notify authenticates (iat within ±30 s) before it reads the body:
     * this 403 proves the request was not stored, so it is safe to send
     * again with a fresh token, and it says nothing about the API key. */
    if (s == 403 && ngo_is_clock_error(f->body, f->body_len))
        return NGO_NOT_SENT;
    if (f->curl_code == CURLE_OK) {
        if (s >= 200 && s <= 299)
            return NGO_ACCEPTED;
        if (s == 429)
            return NGO_THROTTLED;
        if (s >= 400 && s <= 499)
            return NGO_REJECTED;
        return NGO_UNKNOWN;
    }
    /* The transfer failed. A 4xx status line still tells us Notify refused
     * the request, even if the body was cut off. A 2xx with a failed body
     * is unknown: we could not read what Notify stored. */
    if (s == 429)
        return NGO_THROTTLED;
    if (s >= 400 && s <= 499)
        return NGO_REJECTED;
    if (s == 0 && f->request_size == 0) {
        if (ngo__fails_before_sending(f->curl_code))
            return NGO_NOT_SENT;
        if (f->curl_code == CURLE_OPERATION_TIMEDOUT)
            return NGO_NOT_SENT; /* timed out connecting or in TLS set-up */
    }
    return NGO_UNKNOWN;
}

/* Returns the outcome's name as used by the Python API. */
const char *ngo_outcome_name(ngo_outcome o)
{
    switch (o) {
    case NGO_ACCEPTED:
        return "accepted";
    case NGO_REJECTED:
        return "rejected";
    case NGO_THROTTLED:
        return "throttled";
    case NGO_NOT_SENT:
        return "not_sent";
    case NGO_UNKNOWN:
    default:
        return "unknown";
    }
}
