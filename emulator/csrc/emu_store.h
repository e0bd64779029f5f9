/* The in-memory notification store: O(1) lookup by id (a chained hash),
 * newest-first iteration (a doubly-linked list), per-reference counts, and
 * the lifecycle queues (created -> sending -> final, the compressed 72-hour
 * timeout, retention). Every function takes the store's lock itself unless
 * its name ends in _locked (then the caller holds emu_store_lock). */
#ifndef EMU_STORE_H
#define EMU_STORE_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

enum {
    EMU_STATUS_CREATED = 0,
    EMU_STATUS_SENDING,
    EMU_STATUS_DELIVERED,
    EMU_STATUS_PERMANENT_FAILURE,
    EMU_STATUS_TEMPORARY_FAILURE,
    EMU_STATUS_TECHNICAL_FAILURE,
    EMU_STATUS_COUNT
};

/* The status's Notify name, or NULL. */
const char *emu_status_name(int status);
/* The status for a name, or -1. */
int emu_status_from_name(const char *name);

struct emu_ref;

typedef struct emu_notification {
    struct emu_notification *newer, *older;   /* the newest-first list */
    struct emu_notification *rnewer, *rolder; /* same reference, newest first */
    struct emu_ref *ref;                      /* its reference's entry, or NULL */
    uint64_t seq;                             /* insertion order */
    struct emu_notification *hnext;           /* hash chain */
    struct emu_notification *qnext;           /* created or sending queue */
    struct emu_notification *tnext;           /* timeout queue */
    uint64_t hash;
    int64_t created_us, sent_us, updated_us; /* 0 when unset */
    int service_index;
    int template_version;
    unsigned char key_type, status;
    unsigned char in_queue; /* 0 none, 1 created queue, 2 sending queue */
    unsigned char in_timeout, deleted, forced;
    char id[37];
    char template_id[37];
    /* Strings stored after the struct in the same allocation. */
    const char *email_address; /* as submitted, trimmed */
    const char *recipient;     /* lower-cased, for the simulator rules */
    const char *reference;     /* NULL when none */
    const char *subject;
    const char *body;
    const char *unsubscribe_url; /* NULL when none */
} emu_notification;

/* What a new notification is made of; the store copies every string. */
typedef struct emu_notification_spec {
    const char *id;
    int service_index;
    int key_type;
    const char *template_id;
    int template_version;
    const char *email_address;
    const char *recipient;
    const char *reference;
    const char *subject;
    const char *body;
    const char *unsubscribe_url;
    int64_t created_us;
} emu_notification_spec;

/* A status change the lifecycle made, for delivery receipts. */
typedef void (*emu_status_cb)(void *ctx, const emu_notification *n);

/* One reference: how many notifications were stored with it since the
 * last clear, and the newest still stored. */
typedef struct emu_ref {
    struct emu_ref *next; /* hash chain */
    uint64_t hash;
    uint64_t count;
    emu_notification *newest;
    char text[];
} emu_ref;

typedef struct emu_store {
    pthread_mutex_t lock;
    emu_notification **buckets;
    size_t nbuckets, count;
    emu_notification *newest, *oldest;
    emu_notification *c_head, *c_tail; /* status created, FIFO by created_at */
    emu_notification *s_head, *s_tail; /* status sending, FIFO by sent_at */
    emu_notification *t_head, *t_tail; /* sending timeout, FIFO by sent_at */
    emu_ref **rbuckets;                /* references, a chained hash */
    size_t nrbuckets, nrefs;
    uint64_t total_stored;
    size_t bytes; /* bytes allocated for stored notifications */
} emu_store;

/* Returns 0 or -1 (OOM). Release with emu_store_destroy. */
int emu_store_init(emu_store *s);
void emu_store_destroy(emu_store *s);

void emu_store_lock(emu_store *s);
void emu_store_unlock(emu_store *s);

/* Stores a new notification with status created and queues it for the
 * lifecycle. Returns 0 or -1 (OOM). */
int emu_store_add(emu_store *s, const emu_notification_spec *spec);

/* The notification with this id (case-insensitive), or NULL. The pointer is
 * valid while the lock is held. */
emu_notification *emu_store_get_locked(emu_store *s, const char *id);

/* The newest stored notification with this reference (exact match), or
 * NULL; follow ->rolder for older ones. Valid while the lock is held. */
emu_notification *emu_store_by_reference_locked(emu_store *s, const char *reference);

/* Removes every notification and reference count. Returns how many. */
size_t emu_store_clear(emu_store *s);

/* Forces a status (control API). Sets sent_at when entering sending,
 * updated_at, stops the automatic lifecycle. Calls cb (under the lock)
 * when the new status is final. Returns 0, or -1 when no such id. */
int emu_store_force_status(emu_store *s, const char *id, int status, emu_status_cb cb, void *ctx);

/* Timings for emu_store_tick, in microseconds. */
typedef struct emu_lifecycle {
    int64_t created_to_sending, sending_to_final, sending_timeout, retention;
} emu_lifecycle;

/* The outcome for a notification leaving sending on its own: for test keys
 * temp-fail@simulator.notify -> temporary-failure, perm-fail@simulator.notify
 * -> permanent-failure, otherwise delivered. */
int emu_final_status(int key_type, const char *recipient);

/* Advances the lifecycle to time now (wall clock, microseconds): moves
 * due notifications created -> sending -> final, times out those left in
 * sending, deletes those past retention. cb runs (under the lock) for each
 * notification reaching a final status. Returns the number of changes. */
size_t emu_store_tick(emu_store *s, int64_t now, const emu_lifecycle *lc, emu_status_cb cb,
                      void *ctx);

/* The reference counts as a new JSON object (caller owns), or NULL. */
json_t *emu_store_references_json(emu_store *s);

/* Number of stored notifications. */
size_t emu_store_count(emu_store *s);

#endif
