/* Delivery-receipt callbacks (notify-api.md §8): a dedicated thread POSTs
 * each receipt with libcurl (multi interface), Authorization: Bearer
 * <token>, a timeout, and retries on connection errors, 5xx and 429 after a
 * delay, at most max_retries times. */
#ifndef EMU_CALLBACKS_H
#define EMU_CALLBACKS_H

#include <stdint.h>

typedef struct emu_callbacks emu_callbacks;

typedef struct emu_callback_stats {
    uint64_t queued, attempts, succeeded, failed, retried;
} emu_callback_stats;

/* Starts the sender thread. Returns NULL when out of memory or when the
 * thread cannot start. Stop (and free) with emu_callbacks_stop. */
emu_callbacks *emu_callbacks_start(long timeout_ms, long retry_delay_ms, int max_retries);

/* Queues one receipt; copies url, token and body. Returns 0 or -1 (OOM). */
int emu_callbacks_enqueue(emu_callbacks *c, const char *url, const char *token, const char *body);

/* Drops receipts not yet delivered (control API clear). */
void emu_callbacks_clear(emu_callbacks *c);

emu_callback_stats emu_callbacks_get_stats(emu_callbacks *c);

/* Stops the thread, abandons pending receipts and frees c. */
void emu_callbacks_stop(emu_callbacks *c);

#endif
