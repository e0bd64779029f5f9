/* Notify's token bucket arithmetic (notify-api.md §5.1). */
#include "check.h"
#include "emu_bucket.h"

TEST(capacity_follows_notify_formula)
{
    emu_bucket b;
    emu_bucket_init(&b, 3000, 0, 0);
    CHECK_INT_EQ(b.capacity, 1000);
    emu_bucket_init(&b, 60, 0, 0);
    CHECK_INT_EQ(b.capacity, 21);
    emu_bucket_init(&b, 10, 0, 0);
    CHECK_INT_EQ(b.capacity, 5); /* ceil(10/3)+1 */
    emu_bucket_init(&b, 1, 0, 0);
    CHECK_INT_EQ(b.capacity, 2);
    emu_bucket_init(&b, 2997, 0, 0);
    CHECK_INT_EQ(b.capacity, 1000);
    emu_bucket_init(&b, 2994, 0, 0);
    CHECK_INT_EQ(b.capacity, 999);
    emu_bucket_init(&b, 60, 7, 0);
    CHECK_INT_EQ(b.capacity, 7);
    CHECK_DBL_NEAR(b.tokens, 7, 0);
}

TEST(full_bucket_allows_capacity_minus_one_back_to_back_requests)
{
    emu_bucket b;
    emu_bucket_init(&b, 3000, 0, 100.0);
    int allowed = 0;
    for (int i = 0; i < 1200; i++)
        allowed += emu_bucket_take(&b, 100.0);
    CHECK_INT_EQ(allowed, 999);
    CHECK_DBL_NEAR(b.tokens, 0, 0);
}

TEST(bucket_refills_whole_tokens_at_rate_per_second)
{
    emu_bucket b;
    emu_bucket_init(&b, 3000, 0, 0.0);
    while (emu_bucket_take(&b, 0.0))
        ;
    /* 50 tokens a second: after 0.1 s, 5 tokens; one is spent and 4 remain */
    CHECK(emu_bucket_take(&b, 0.1));
    CHECK_DBL_NEAR(b.tokens, 4, 0);
    /* 0.01 s later: floor(0.5) = 0 tokens added; 3 remain */
    CHECK(emu_bucket_take(&b, 0.11));
    CHECK_DBL_NEAR(b.tokens, 3, 0);
    /* a long pause refills only to capacity */
    CHECK(emu_bucket_take(&b, 3600.0));
    CHECK_DBL_NEAR(b.tokens, 999, 0);
}

TEST(fractional_refill_is_not_lost_between_close_requests)
{
    emu_bucket b;
    emu_bucket_init(&b, 60, 0, 0.0); /* one token a second, capacity 21 */
    while (emu_bucket_take(&b, 0.0))
        ;
    /* requests every 0.4 s: the refill clock only moves when a whole token
     * arrives, so the 0.4 s gaps add up to a token at 1.2 s */
    CHECK(!emu_bucket_take(&b, 0.4));
    CHECK(!emu_bucket_take(&b, 0.8));
    CHECK_DBL_NEAR(b.last, 0.0, 0);
    CHECK(!emu_bucket_take(&b, 1.2)); /* +1 -> 1, spent -> 0 < 1: still rejected */
    CHECK_DBL_NEAR(b.last, 1.2, 1e-9);
    CHECK(!emu_bucket_take(&b, 1.6));
    CHECK(!emu_bucket_take(&b, 2.0));
    CHECK(!emu_bucket_take(&b, 2.4)); /* +1 at 2.4 s */
    CHECK(emu_bucket_take(&b, 4.4));  /* +2 -> 2, spent -> 1: allowed */
}

TEST(tokens_never_go_below_zero_and_reject_below_one)
{
    emu_bucket b;
    emu_bucket_init(&b, 60, 2, 0.0);
    CHECK(emu_bucket_take(&b, 0.0));  /* 2 -> 1: allowed */
    CHECK(!emu_bucket_take(&b, 0.0)); /* 1 -> 0: rejected */
    CHECK(!emu_bucket_take(&b, 0.0)); /* stays 0 */
    CHECK_DBL_NEAR(b.tokens, 0, 0);
    CHECK(!emu_bucket_take(&b, 1.0)); /* +1 -> 1 -> 0 */
    CHECK(emu_bucket_take(&b, 3.0));  /* +2 -> 2 -> 1 */
}

TEST(non_positive_rate_disables_the_limit)
{
    emu_bucket b;
    emu_bucket_init(&b, 0, 0, 0.0);
    for (int i = 0; i < 5000; i++)
        CHECK(emu_bucket_take(&b, 0.0));
}

TEST(clock_going_backwards_adds_nothing)
{
    emu_bucket b;
    emu_bucket_init(&b, 60, 3, 10.0);
    CHECK(emu_bucket_take(&b, 5.0));
    CHECK_DBL_NEAR(b.tokens, 2, 0);
}
