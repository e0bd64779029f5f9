/* Client-side token bucket mirroring Notify's (notify-api.md §5.1). Pure
 * arithmetic on the caller's clock. */
#include "ngo.h"

#include <assert.h>
#include <math.h>

#define NGO__BUCKET_EPSILON 1e-6

/* Initialises b full at time now; rate or burst 0 disables it. */
void ngo_bucket_init(ngo_bucket *b, unsigned long rate_per_minute, unsigned long burst, double now)
{
    b->enabled = rate_per_minute > 0 && burst > 0;
    b->refill_per_sec = (double)rate_per_minute / 60.0;
    b->capacity = (long)burst;
    b->tokens = (long)burst;
    b->replenished_at = now;
}

/* Returns 0 when a token was spent, or 1 with *wait (seconds, > 0) when the
 * caller must wait. Notify adds floor(elapsed*rate) whole tokens, spends one
 * and refuses when fewer than one remains; we also keep
 * NGO_BUCKET_RESERVE spare tokens and count elapsed time NGO_BUCKET_SLACK
 * slower, so our "yes" is always a yes at Notify too. */
int ngo_bucket_take(ngo_bucket *b, double now, double *wait)
{
    double rate, elapsed, add, need_time;
    long need, required;

    if (!b->enabled)
        return 0;
    rate = b->refill_per_sec * NGO_BUCKET_SLACK;
    elapsed = now - b->replenished_at;
    if (elapsed < 0)
        elapsed = 0;
    add = floor(elapsed * rate);
    if (add >= 1) {
        if (add > (double)b->capacity)
            add = (double)b->capacity;
        b->tokens += (long)add;
        if (b->tokens > b->capacity)
            b->tokens = b->capacity;
        b->replenished_at = now;
        elapsed = 0;
    }
    /* After spending one, at least 1 + reserve must remain (a bucket too
     * small for the reserve is simply used whole). */
    required = 2 + NGO_BUCKET_RESERVE;
    if (required > b->capacity)
        required = b->capacity;
    need = required - b->tokens;
    if (need <= 0) {
        b->tokens--;
        assert(b->tokens >= 0);
        return 0;
    }
    need_time = (double)need / rate;
    if (wait) {
        /* The epsilon makes floor() cross the boundary despite rounding. */
        *wait = need_time - elapsed + NGO__BUCKET_EPSILON;
        if (*wait < NGO__BUCKET_EPSILON)
            *wait = NGO__BUCKET_EPSILON;
    }
    return 1;
}
