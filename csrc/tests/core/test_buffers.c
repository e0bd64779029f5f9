/* Response accumulation and request body reading. */
#include "check.h"
#include "ngo.h"
#include "ngo_internal.h"

#include <stdlib.h>
#include <string.h>

TEST(write_callback_appends_and_keeps_a_nul)
{
    ngo__sink s = {{0}, 64, NULL, 0};
    char part[] = "hello";
    CHECK_INT_EQ(ngo__write_cb(part, 1, 5, &s), 5);
    CHECK_INT_EQ(ngo__write_cb(part, 5, 1, &s), 5);
    CHECK_INT_EQ(s.buf.len, 10);
    CHECK_STR_EQ(s.buf.data, "hellohello");
    CHECK_INT_EQ(s.cut, 0);
    ngo__sink_free(&s);
    CHECK(s.buf.data == NULL);
}

TEST(buffer_refuses_to_grow_past_its_limit_and_stays_unchanged)
{
    ngo__buf b = {0};
    CHECK_INT_EQ(ngo__buf_append(&b, "abcd", 4, 6), 0);
    CHECK_INT_EQ(ngo__buf_append(&b, "efg", 3, 6), NGO_ENOBUFS);
    CHECK_INT_EQ(b.len, 4);
    CHECK_STR_EQ(b.data, "abcd");
    CHECK_INT_EQ(ngo__buf_append(&b, "ef", 2, 6), 0);
    CHECK_STR_EQ(b.data, "abcdef");
    CHECK_INT_EQ(b.cap, 7);
    ngo__buf_free(&b);
}

TEST(buffer_capacity_never_exceeds_the_limit_plus_the_nul)
{
    ngo__buf b = {0};
    char chunk[1000];
    size_t i;
    memset(chunk, 'a', sizeof(chunk));
    for (i = 0; i < 5; i++)
        CHECK_INT_EQ(ngo__buf_append(&b, chunk, sizeof(chunk), 5000), 0);
    CHECK_INT_EQ(b.len, 5000);
    CHECK_INT_EQ(b.cap, 5001);
    CHECK_INT_EQ(ngo__buf_append(&b, chunk, 1, 5000), NGO_ENOBUFS);
    ngo__buf_free(&b);
}

TEST(write_callback_cuts_off_a_response_over_its_own_limit)
{
    ngo__sink s = {{0}, 8, NULL, 0};
    char part[] = "hello";
    CHECK_INT_EQ(ngo__write_cb(part, 1, 5, &s), 5);
    CHECK_INT_EQ(ngo__write_cb(part, 1, 5, &s), 0);
    CHECK_INT_EQ(s.cut, NGO_EBODY_LIMIT);
    CHECK_INT_EQ(s.buf.len, 5);
    ngo__sink_free(&s);
}

TEST(write_callback_fails_on_overflowing_sizes)
{
    ngo__sink s = {{0}, 64, NULL, 0};
    char c = 'x';
    CHECK_INT_EQ(ngo__write_cb(&c, (size_t)-1, 2, &s), 0);
    CHECK(s.buf.data == NULL);
    CHECK_INT_EQ(s.cut, NGO_EBODY_LIMIT);
}

TEST(transfers_share_one_budget_charged_by_capacity)
{
    ngo__budget budget = {0, 4096};
    ngo__sink a = {{0}, 1 << 20, &budget, 0};
    ngo__sink b = {{0}, 1 << 20, &budget, 0};
    char chunk[1000];
    char *taken;
    memset(chunk, 'x', sizeof(chunk));

    CHECK_INT_EQ(ngo__write_cb(chunk, 1, sizeof(chunk), &a), sizeof(chunk));
    CHECK_INT_EQ(budget.used, 1024);
    CHECK_INT_EQ(ngo__write_cb(chunk, 1, sizeof(chunk), &a), sizeof(chunk));
    CHECK_INT_EQ(budget.used, 2048);
    CHECK_INT_EQ(ngo__write_cb(chunk, 1, sizeof(chunk), &b), sizeof(chunk));
    CHECK_INT_EQ(budget.used, 3072);
    /* a would double to 4096: 2048 more than the 1024 left. */
    CHECK_INT_EQ(ngo__write_cb(chunk, 1, sizeof(chunk), &a), 0);
    CHECK_INT_EQ(a.cut, NGO_EMEMORY_LIMIT);
    CHECK_INT_EQ(a.buf.len, 2000);
    /* Freeing one transfer's buffer makes room for the others. */
    ngo__sink_free(&a);
    CHECK_INT_EQ(budget.used, 1024);
    CHECK_INT_EQ(ngo__write_cb(chunk, 1, sizeof(chunk), &b), sizeof(chunk));
    CHECK_INT_EQ(budget.used, 2048);
    /* A body handed over leaves the budget but keeps its data. */
    taken = b.buf.data;
    ngo__sink_release(&b);
    CHECK_INT_EQ(budget.used, 0);
    CHECK(b.buf.data == NULL);
    CHECK(!memcmp(taken, chunk, sizeof(chunk)));
    free(taken);
}

TEST(read_callback_hands_out_the_body_once)
{
    ngo__body body = {"0123456789", 10, 0};
    char out[4];
    CHECK_INT_EQ(ngo__read_cb(out, 1, 4, &body), 4);
    CHECK(!memcmp(out, "0123", 4));
    CHECK_INT_EQ(ngo__read_cb(out, 1, 4, &body), 4);
    CHECK_INT_EQ(ngo__read_cb(out, 1, 4, &body), 2);
    CHECK(!memcmp(out, "89", 2));
    CHECK_INT_EQ(ngo__read_cb(out, 1, 4, &body), 0);
}

TEST(client_config_is_validated)
{
    ngo_client *c = NULL;
    ngo_client_config cfg;
    const char *key = "k-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";
    memset(&cfg, 0, sizeof(cfg));
    cfg.api_key = key;
    cfg.api_key_len = strlen(key);
    cfg.base_url = "https://api.notifications.service.gov.uk";
    cfg.user_agent = "test/1";
    cfg.timeout_ms = 1000;
    cfg.connect_timeout_ms = 1000;
    cfg.max_in_flight = 4;
    CHECK_INT_EQ(ngo_client_new(&cfg, &c), 0);
    ngo_client_free(c);
    cfg.base_url = "ftp://example.com";
    CHECK_INT_EQ(ngo_client_new(&cfg, &c), NGO_EBASE_URL);
    cfg.base_url = "not a url";
    CHECK_INT_EQ(ngo_client_new(&cfg, &c), NGO_EBASE_URL);
    cfg.base_url = "http://127.0.0.1:1/x";
    cfg.timeout_ms = 0;
    CHECK_INT_EQ(ngo_client_new(&cfg, &c), NGO_EINVAL);
    cfg.timeout_ms = 1000;
    cfg.api_key_len = 10;
    CHECK_INT_EQ(ngo_client_new(&cfg, &c), NGO_EKEY_TOO_SHORT);
    CHECK(c == NULL);
}
