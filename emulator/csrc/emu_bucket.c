/* Notify's token bucket (notify-api.md §5.1). See emu_bucket.h. */
#include "emu_bucket.h"

#include <math.h>

/* min(ceil(rate/3)+1, 1000), and 0 for a non-positive rate. */
static int emu__bucket_capacity(int rate_limit)
{
    if (rate_limit <= 0)
        return 0;
    int cap = (rate_limit + 2) / 3 + 1;
    return cap > 1000 ? 1000 : cap;
}

/* A full bucket at time now. */
void emu_bucket_init(emu_bucket *b, int rate_limit, int capacity, double now)
{
    b->rate_limit = rate_limit;
    b->capacity = capacity > 0 ? capacity : emu__bucket_capacity(rate_limit);
    b->tokens = b->capacity;
    b->last = now;
}

/* Refill floor(elapsed * rate/60) (capped), spend one (not below 0), allow
 * when at least one token remains. Returns 1 to allow, 0 for a 429. */
int emu_bucket_take(emu_bucket *b, double now)
{
    if (b->rate_limit <= 0)
        return 1;
    double elapsed = now - b->last;
    if (elapsed > 0) {
        double added = floor(elapsed * ((double)b->rate_limit / 60.0));
        /* The clock only moves on when whole tokens were added, so a steady
         * stream of requests still accumulates fractional refill. */
        if (added > 0) {
            b->tokens += added;
            if (b->tokens > b->capacity)
                b->tokens = b->capacity;
            b->last = now;
        }
    }
    b->tokens -= 1;
    if (b->tokens < 0)
        b->tokens = 0;
    return b->tokens >= 1;
}
