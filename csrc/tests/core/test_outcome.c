/* Outcome classification table (docs/design.md §1). */
#include "check.h"
#include "ngo.h"

#include <curl/curl.h>
#include <string.h>

static ngo_outcome cls(int code, long status, long reqsize)
{
    ngo_facts f;
    f.curl_code = code;
    f.http_status = status;
    f.request_size = reqsize;
    f.connect_time = reqsize ? 0.001 : 0.0;
    f.body = NULL;
    f.body_len = 0;
    return ngo_classify(&f);
}

/* Classifies a response with a body. */
static ngo_outcome cls_body(int code, long status, const char *body)
{
    ngo_facts f;
    f.curl_code = code;
    f.http_status = status;
    f.request_size = 300;
    f.connect_time = 0.001;
    f.body = body;
    f.body_len = body ? strlen(body) : 0;
    return ngo_classify(&f);
}

/* Notify's body for an iat outside ±30 s (notify-api.md §1.4). */
#define CLOCK_BODY                                                                                 \
    "{\"errors\":[{\"error\":\"AuthError\",\"message\":\"Error: Your system clock "                \
    "must be accurate to within 30 seconds\"}],\"status_code\":403}"

TEST(notifys_clock_error_403_is_not_sent)
{
    CHECK_INT_EQ(cls_body(CURLE_OK, 403, CLOCK_BODY), NGO_NOT_SENT);
    /* Formatting and a trailing newline do not matter; the message does. */
    CHECK_INT_EQ(cls_body(CURLE_OK, 403,
                          "{\n  \"errors\": [\n    {\n      \"error\": \"AuthError\",\n"
                          "      \"message\": \"Error: Your system clock must be accurate "
                          "to within 30 seconds\"\n    }\n  ],\n  \"status_code\": 403\n}\n"),
                 NGO_NOT_SENT);
    CHECK(ngo_is_clock_error(CLOCK_BODY, strlen(CLOCK_BODY)));
}

TEST(other_auth_errors_and_other_statuses_stay_rejected)
{
    CHECK_INT_EQ(cls_body(CURLE_OK, 403,
                          "{\"errors\":[{\"error\":\"AuthError\",\"message\":\"Invalid "
                          "token: API key not found\"}],\"status_code\":403}"),
                 NGO_REJECTED);
    CHECK_INT_EQ(cls_body(CURLE_OK, 403,
                          "{\"errors\":[{\"error\":\"AuthError\","
                          "\"message\":\"Error: Your system clock\"}]}"),
                 NGO_REJECTED);
    /* The same body on any other status is not Notify's clock check. */
    CHECK_INT_EQ(cls_body(CURLE_OK, 401, CLOCK_BODY), NGO_REJECTED);
    CHECK_INT_EQ(cls_body(CURLE_OK, 400, CLOCK_BODY), NGO_REJECTED);
    CHECK_INT_EQ(cls_body(CURLE_OK, 201, CLOCK_BODY), NGO_ACCEPTED);
    CHECK_INT_EQ(cls_body(CURLE_OK, 500, CLOCK_BODY), NGO_UNKNOWN);
    /* The message without the AuthError name, or cut short, is not it. */
    CHECK_INT_EQ(cls_body(CURLE_OK, 403,
                          "\"Error: Your system clock must be accurate to "
                          "within 30 seconds\""),
                 NGO_REJECTED);
    CHECK_INT_EQ(cls_body(CURLE_PARTIAL_FILE, 403,
                          "{\"errors\":[{\"error\":\"AuthError\","
                          "\"message\":\"Error: Your sys"),
                 NGO_REJECTED);
    CHECK_INT_EQ(cls_body(CURLE_OK, 403, NULL), NGO_REJECTED);
    CHECK(!ngo_is_clock_error(NULL, 0));
    CHECK(!ngo_is_clock_error("", 0));
}

TEST(http_2xx_is_accepted)
{
    CHECK_INT_EQ(cls(CURLE_OK, 200, 300), NGO_ACCEPTED);
    CHECK_INT_EQ(cls(CURLE_OK, 201, 300), NGO_ACCEPTED);
    CHECK_INT_EQ(cls(CURLE_OK, 204, 300), NGO_ACCEPTED);
}

TEST(http_4xx_except_429_is_rejected)
{
    CHECK_INT_EQ(cls(CURLE_OK, 400, 300), NGO_REJECTED);
    CHECK_INT_EQ(cls(CURLE_OK, 401, 300), NGO_REJECTED);
    CHECK_INT_EQ(cls(CURLE_OK, 403, 300), NGO_REJECTED);
    CHECK_INT_EQ(cls(CURLE_OK, 404, 300), NGO_REJECTED);
    CHECK_INT_EQ(cls(CURLE_OK, 499, 300), NGO_REJECTED);
}

TEST(http_429_is_throttled)
{
    CHECK_INT_EQ(cls(CURLE_OK, 429, 300), NGO_THROTTLED);
    CHECK_INT_EQ(cls(CURLE_PARTIAL_FILE, 429, 300), NGO_THROTTLED);
}

TEST(http_5xx_and_odd_statuses_are_unknown)
{
    CHECK_INT_EQ(cls(CURLE_OK, 500, 300), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_OK, 502, 300), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_OK, 503, 300), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_OK, 504, 300), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_OK, 302, 300), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_OK, 100, 300), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_OK, 600, 300), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_OK, 0, 300), NGO_UNKNOWN);
}

TEST(failures_before_any_byte_left_are_not_sent)
{
    CHECK_INT_EQ(cls(CURLE_COULDNT_CONNECT, 0, 0), NGO_NOT_SENT);
    CHECK_INT_EQ(cls(CURLE_COULDNT_RESOLVE_HOST, 0, 0), NGO_NOT_SENT);
    CHECK_INT_EQ(cls(CURLE_COULDNT_RESOLVE_PROXY, 0, 0), NGO_NOT_SENT);
    CHECK_INT_EQ(cls(CURLE_SSL_CONNECT_ERROR, 0, 0), NGO_NOT_SENT);
    CHECK_INT_EQ(cls(CURLE_PEER_FAILED_VERIFICATION, 0, 0), NGO_NOT_SENT);
    CHECK_INT_EQ(cls(CURLE_SSL_CACERT_BADFILE, 0, 0), NGO_NOT_SENT);
    CHECK_INT_EQ(cls(CURLE_OPERATION_TIMEDOUT, 0, 0), NGO_NOT_SENT);
}

TEST(timeout_after_the_request_was_sent_is_unknown)
{
    CHECK_INT_EQ(cls(CURLE_OPERATION_TIMEDOUT, 0, 250), NGO_UNKNOWN);
}

TEST(connection_lost_after_sending_is_unknown)
{
    CHECK_INT_EQ(cls(CURLE_GOT_NOTHING, 0, 250), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_RECV_ERROR, 0, 250), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_SEND_ERROR, 0, 250), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_HTTP2_STREAM, 0, 250), NGO_UNKNOWN);
}

TEST(a_post_curl_could_not_rewind_is_unknown)
{
    CHECK_INT_EQ(cls(CURLE_SEND_FAIL_REWIND, 0, 250), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_SEND_FAIL_REWIND, 0, 0), NGO_UNKNOWN);
}

TEST(other_errors_are_unknown_even_with_nothing_counted_as_sent)
{
    CHECK_INT_EQ(cls(CURLE_GOT_NOTHING, 0, 0), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_RECV_ERROR, 0, 0), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_OUT_OF_MEMORY, 0, 0), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_WRITE_ERROR, 0, 0), NGO_UNKNOWN);
}

TEST(connect_errors_with_bytes_sent_are_unknown)
{
    /* Cannot happen in curl, but if it did we must not claim not_sent. */
    CHECK_INT_EQ(cls(CURLE_COULDNT_CONNECT, 0, 1), NGO_UNKNOWN);
}

TEST(accepted_status_with_a_broken_body_is_unknown)
{
    CHECK_INT_EQ(cls(CURLE_PARTIAL_FILE, 201, 300), NGO_UNKNOWN);
    CHECK_INT_EQ(cls(CURLE_WRITE_ERROR, 200, 300), NGO_UNKNOWN);
}

TEST(rejected_status_with_a_broken_body_is_still_rejected)
{
    CHECK_INT_EQ(cls(CURLE_PARTIAL_FILE, 400, 300), NGO_REJECTED);
}

TEST(outcome_names_match_the_python_api)
{
    CHECK_STR_EQ(ngo_outcome_name(NGO_ACCEPTED), "accepted");
    CHECK_STR_EQ(ngo_outcome_name(NGO_REJECTED), "rejected");
    CHECK_STR_EQ(ngo_outcome_name(NGO_THROTTLED), "throttled");
    CHECK_STR_EQ(ngo_outcome_name(NGO_NOT_SENT), "not_sent");
    CHECK_STR_EQ(ngo_outcome_name(NGO_UNKNOWN), "unknown");
}
