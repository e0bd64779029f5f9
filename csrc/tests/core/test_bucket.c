/* Client-side token bucket: never sends what Notify's bucket would refuse,
 * yet keeps close to Notify's rate. */
#include "check.h"
#include "ngo.h"

#include <math.h>

/* Notify's bucket as described in notify-api.md §5.1 (redis Lua script
 * tally-bucket-rate-limit): whole tokens, floor(elapsed*rate) added with the
 * replenish time reset, spend one (not below 0), refuse when < 1 remains. */
typedef struct notify_bucket {
    double rate;
    long cap, tokens;
    double replenished_at;
} notify_bucket;

static int notify_allows(notify_bucket *n, double now)
{
    double add = floor((now - n->replenished_at) * n->rate);
    if (add > 0) {
        n->tokens += (long)add;
        if (n->tokens > n->cap)
            n->tokens = n->cap;
        n->replenished_at = now;
    }
    if (n->tokens > 0)
        n->tokens--;
    return n->tokens >= 1;
}

/* A small deterministic PRNG for the simulations. */
static double rnd(unsigned long *s)
{
    *s = *s * 6364136223846793005UL + 1442695040888963407UL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

TEST(disabled_bucket_always_allows)
{
    ngo_bucket b;
    int i;
    ngo_bucket_init(&b, 0, 1000, 0.0);
    for (i = 0; i < 5000; i++)
        CHECK_INT_EQ(ngo_bucket_take(&b, 0.0, NULL), 0);
    ngo_bucket_init(&b, 3000, 0, 0.0);
    CHECK_INT_EQ(ngo_bucket_take(&b, 0.0, NULL), 0);
}

TEST(full_bucket_allows_a_burst_just_under_notifys_999)
{
    ngo_bucket b;
    int sent = 0;
    double wait = 0;
    ngo_bucket_init(&b, 3000, 1000, 10.0);
    while (ngo_bucket_take(&b, 10.0, &wait) == 0)
        sent++;
    CHECK_INT_EQ(sent, 1000 - 1 - NGO_BUCKET_RESERVE);
    CHECK(sent < 999);
    CHECK(wait > 0);
}

TEST(empty_bucket_tells_how_long_to_wait_and_then_allows)
{
    ngo_bucket b;
    double now = 0, wait = 0;
    ngo_bucket_init(&b, 3000, 1000, now);
    while (ngo_bucket_take(&b, now, &wait) == 0)
        ;
    /* About one token per 1/(50*slack) s. */
    CHECK(wait > 0.015 && wait < 0.03);
    CHECK_INT_EQ(ngo_bucket_take(&b, now + wait * 0.5, &wait), 1);
    now += 0.1;
    CHECK_INT_EQ(ngo_bucket_take(&b, now, &wait), 0);
}

TEST(steady_rate_after_the_burst_is_just_under_rate_per_minute)
{
    ngo_bucket b;
    double now = 0, wait;
    long sent = 0;
    ngo_bucket_init(&b, 3000, 1000, now);
    while (ngo_bucket_take(&b, now, &wait) == 0)
        ;
    while (now < 60.0) {
        if (ngo_bucket_take(&b, now, &wait) == 0)
            sent++;
        else
            now += wait;
    }
    /* Notify refills 3000 in a minute; we take no more, and not much less. */
    CHECK(sent <= 3000);
    CHECK(sent >= 2800);
}

TEST(never_sends_a_request_notifys_bucket_would_refuse)
{
    unsigned long seed = 42;
    int rate_i;
    static const unsigned long rates[] = {3000, 60, 1, 6000, 7};
    for (rate_i = 0; rate_i < 5; rate_i++) {
        unsigned long rate = rates[rate_i];
        unsigned long cap = (unsigned long)ceil((double)rate / 3.0) + 1;
        ngo_bucket b;
        notify_bucket n;
        double now = 1000.0, wait;
        long i, sent = 0;
        if (cap > 1000)
            cap = 1000;
        ngo_bucket_init(&b, rate, cap, now);
        n.rate = (double)rate / 60.0;
        n.cap = (long)cap;
        n.tokens = (long)cap;
        n.replenished_at = now;
        for (i = 0; i < 200000; i++) {
            if (ngo_bucket_take(&b, now, &wait) == 0) {
                /* Notify sees it up to 1 ms later (network jitter). */
                if (!notify_allows(&n, now + rnd(&seed) * 0.001)) {
                    ck_fail(__FILE__, __LINE__, "rate %lu: request %ld refused", rate, i);
                    break;
                }
                sent++;
                if (rnd(&seed) < 0.3)
                    now += rnd(&seed) * 0.004;
            } else
                now += rnd(&seed) < 0.5 ? wait : rnd(&seed) * wait;
        }
        CHECK(sent > 0);
    }
}
