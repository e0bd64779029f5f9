/* Notify's per-service, per-key-type token bucket (notify-api.md §5.1),
 * arithmetic only: the caller supplies the clock and the locking. */
#ifndef EMU_BUCKET_H
#define EMU_BUCKET_H

typedef struct emu_bucket {
    double tokens;  /* whole tokens in the bucket */
    double last;    /* time of the last refill, seconds */
    int rate_limit; /* requests per minute; <= 0 disables */
    int capacity;   /* min(ceil(rate_limit/3)+1, 1000) unless configured */
} emu_bucket;

/* Starts full at time now. capacity <= 0 means Notify's formula. */
void emu_bucket_init(emu_bucket *b, int rate_limit, int capacity, double now);

/* Spends one token at time now. Returns 1 when the request is allowed, 0
 * when Notify would answer 429 RateLimitError. */
int emu_bucket_take(emu_bucket *b, double now);

#endif
