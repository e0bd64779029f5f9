/* The transport without a server: refused connections are not_sent, a
 * paced batch can be abandoned by the check callback, and nothing leaks
 * (run under ASan by `make asan`). */
#include "check.h"
#include "ngo.h"
#include "ngo_internal.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define KEY "k-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"

/* A bound but not listening socket: connecting to its port is refused.
 * Returns the fd (close it afterwards) and writes the URL. */
static int refused_port(char *url, size_t cap)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
        getsockname(fd, (struct sockaddr *)&a, &len))
        return -1;
    snprintf(url, cap, "http://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    return fd;
}

static ngo_client *make_client(const char *url, unsigned long rate, unsigned long burst)
{
    ngo_client_config cfg;
    ngo_client *c = NULL;
    memset(&cfg, 0, sizeof(cfg));
    cfg.api_key = KEY;
    cfg.api_key_len = strlen(KEY);
    cfg.base_url = url;
    cfg.user_agent = "test/1";
    cfg.timeout_ms = 2000;
    cfg.connect_timeout_ms = 1000;
    cfg.max_in_flight = 4;
    cfg.rate_per_minute = rate;
    cfg.burst = burst;
    if (ngo_client_new(&cfg, &c))
        return NULL;
    return c;
}

static int calls;

static int stop_on_first_call(void *arg)
{
    (void)arg;
    calls++;
    return 1;
}

TEST(refused_connections_are_not_sent_in_input_order)
{
    char url[64];
    int fd = refused_port(url, sizeof(url));
    ngo_multi *m = NULL;
    ngo_client *c;
    ngo_request reqs[3] = {
        {"GET", "/v2/notifications/1", NULL, 0},
        {"POST", "/v2/notifications/email", (const uint8_t *)"{}", 2},
        {"DELETE", "http://127.0.0.1:1/x", NULL, 0},
    };
    ngo_result res[3];
    size_t i;

    CHECK(fd >= 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CHECK_INT_EQ(ngo_multi_new(&m), 0);
    c = make_client(url, 0, 0);
    CHECK(c != NULL);
    memset(res, 0, sizeof(res));
    CHECK_INT_EQ(ngo_perform(m, c, reqs, 3, res, NULL, NULL, NULL), 0);
    for (i = 0; i < 3; i++) {
        CHECK_INT_EQ(res[i].outcome, NGO_NOT_SENT);
        CHECK_INT_EQ(res[i].http_status, 0);
        CHECK_INT_EQ(res[i].curl_code, CURLE_COULDNT_CONNECT);
        CHECK(res[i].error[0] != '\0');
        CHECK(res[i].body == NULL && res[i].body_len == 0);
        ngo_result_clear(&res[i]);
    }
    ngo_client_free(c);
    ngo_multi_free(m);
    close(fd);
    curl_global_cleanup();
}

TEST(check_callback_abandons_a_paced_batch)
{
    char url[64];
    int fd = refused_port(url, sizeof(url));
    ngo_multi *m = NULL;
    ngo_client *c;
    ngo_request reqs[5];
    ngo_result res[5];
    size_t i;

    CHECK(fd >= 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CHECK_INT_EQ(ngo_multi_new(&m), 0);
    /* 6/min with a 4-token bucket: one request now, the next in ~10 s. */
    c = make_client(url, 6, 4);
    CHECK(c != NULL);
    for (i = 0; i < 5; i++) {
        reqs[i].method = "POST";
        reqs[i].path = "/v2/notifications/email";
        reqs[i].body = (const uint8_t *)"{}";
        reqs[i].body_len = 2;
    }
    memset(res, 0, sizeof(res));
    calls = 0;
    CHECK_INT_EQ(ngo_perform(m, c, reqs, 5, res, NULL, stop_on_first_call, NULL), NGO_EINTERRUPTED);
    CHECK_INT_EQ(calls, 1);
    for (i = 0; i < 5; i++)
        ngo_result_clear(&res[i]);
    ngo_client_free(c);
    ngo_multi_free(m);
    close(fd);
    curl_global_cleanup();
}

TEST(a_path_that_cannot_be_resolved_fails_that_request_only)
{
    char url[64];
    int fd = refused_port(url, sizeof(url));
    ngo_multi *m = NULL;
    ngo_client *c;
    ngo_request reqs[2] = {
        {"GET", "http://[bad", NULL, 0},
        {"GET", "/ok", NULL, 0},
    };
    ngo_result res[2];

    CHECK(fd >= 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CHECK_INT_EQ(ngo_multi_new(&m), 0);
    c = make_client(url, 0, 0);
    CHECK(c != NULL);
    memset(res, 0, sizeof(res));
    CHECK_INT_EQ(ngo_perform(m, c, reqs, 2, res, NULL, NULL, NULL), 0);
    CHECK_INT_EQ(res[0].outcome, NGO_NOT_SENT);
    CHECK_STR_EQ(res[0].error, ngo_strerror(NGO_EINVAL));
    CHECK_INT_EQ(res[1].curl_code, CURLE_COULDNT_CONNECT);
    ngo_result_clear(&res[0]);
    ngo_result_clear(&res[1]);
    ngo_client_free(c);
    ngo_multi_free(m);
    close(fd);
    curl_global_cleanup();
}

TEST(a_deadline_already_past_starts_nothing)
{
    char url[64];
    int fd = refused_port(url, sizeof(url));
    ngo_multi *m = NULL;
    ngo_client *c;
    ngo_request reqs[3] = {
        {"GET", "/v2/notifications/1", NULL, 0},
        {"POST", "/v2/notifications/email", (const uint8_t *)"{}", 2},
        {"GET", "/v2/notifications/2", NULL, 0},
    };
    ngo_perform_opts opts = {0, 0, 0.0};
    ngo_result res[3];
    size_t i;

    CHECK(fd >= 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CHECK_INT_EQ(ngo_multi_new(&m), 0);
    c = make_client(url, 0, 0);
    CHECK(c != NULL);
    memset(res, 0, sizeof(res));
    opts.not_after = ngo__now() - 1.0;
    CHECK_INT_EQ(ngo_perform(m, c, reqs, 3, res, &opts, NULL, NULL), 0);
    for (i = 0; i < 3; i++) {
        CHECK_INT_EQ(res[i].outcome, NGO_NOT_SENT);
        CHECK_INT_EQ(res[i].http_status, 0);
        CHECK_INT_EQ(res[i].curl_code, 0);
        CHECK_STR_EQ(res[i].error, "send-by deadline passed before the request started");
        ngo_result_clear(&res[i]);
    }
    ngo_client_free(c);
    ngo_multi_free(m);
    close(fd);
    curl_global_cleanup();
}

TEST(requests_still_waiting_for_a_token_at_the_deadline_are_not_started)
{
    char url[64];
    int fd = refused_port(url, sizeof(url));
    ngo_multi *m = NULL;
    ngo_client *c;
    ngo_request reqs[4];
    ngo_perform_opts opts = {1, 1700000000, 0.0};
    ngo_result res[4];
    size_t i;

    CHECK(fd >= 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CHECK_INT_EQ(ngo_multi_new(&m), 0);
    /* 6/min with a 4-token bucket: one request now, the next in ~10 s,
     * long after the deadline. */
    c = make_client(url, 6, 4);
    CHECK(c != NULL);
    for (i = 0; i < 4; i++) {
        reqs[i].method = "POST";
        reqs[i].path = "/v2/notifications/email";
        reqs[i].body = (const uint8_t *)"{}";
        reqs[i].body_len = 2;
    }
    memset(res, 0, sizeof(res));
    opts.not_after = ngo__now() + 0.3;
    CHECK_INT_EQ(ngo_perform(m, c, reqs, 4, res, &opts, NULL, NULL), 0);
    CHECK_INT_EQ(res[0].outcome, NGO_NOT_SENT);
    CHECK_INT_EQ(res[0].curl_code, CURLE_COULDNT_CONNECT);
    for (i = 1; i < 4; i++) {
        CHECK_INT_EQ(res[i].outcome, NGO_NOT_SENT);
        CHECK_INT_EQ(res[i].curl_code, 0);
        CHECK_STR_EQ(res[i].error, ngo_strerror(NGO_EDEADLINE));
    }
    for (i = 0; i < 4; i++)
        ngo_result_clear(&res[i]);
    ngo_client_free(c);
    ngo_multi_free(m);
    close(fd);
    curl_global_cleanup();
}
