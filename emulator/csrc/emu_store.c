/* The in-memory notification store (see emu_store.h). */
#include "emu_store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu_config.h"
#include "emu_util.h"

static const char *const status_names[EMU_STATUS_COUNT] = {
    "created",           "sending",           "delivered",
    "permanent-failure", "temporary-failure", "technical-failure",
};

const char *emu_status_name(int status)
{
    if (status < 0 || status >= EMU_STATUS_COUNT)
        return NULL;
    return status_names[status];
}

int emu_status_from_name(const char *name)
{
    for (int i = 0; name && i < EMU_STATUS_COUNT; i++)
        if (!strcmp(status_names[i], name))
            return i;
    return -1;
}

/* FNV-1a over the lower-cased id. */
static uint64_t id_hash(const char *id)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *id; id++) {
        h ^= (unsigned char)tolower((unsigned char)*id);
        h *= 1099511628211ULL;
    }
    return h;
}

/* FNV-1a over a reference, exactly as given. */
static uint64_t ref_hash(const char *ref)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *ref; ref++) {
        h ^= (unsigned char)*ref;
        h *= 1099511628211ULL;
    }
    return h;
}

int emu_store_init(emu_store *s)
{
    memset(s, 0, sizeof(*s));
    s->nbuckets = 1024;
    s->nrbuckets = 1024;
    s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
    s->rbuckets = calloc(s->nrbuckets, sizeof(*s->rbuckets));
    if (!s->buckets || !s->rbuckets || pthread_mutex_init(&s->lock, NULL)) {
        free(s->buckets);
        free(s->rbuckets);
        return -1;
    }
    return 0;
}

/* Frees every reference entry. */
static void free_refs_locked(emu_store *s)
{
    for (size_t i = 0; i < s->nrbuckets; i++) {
        emu_ref *r = s->rbuckets[i], *next;
        for (; r; r = next) {
            next = r->next;
            free(r);
        }
        s->rbuckets[i] = NULL;
    }
    s->nrefs = 0;
}

/* The entry for ref, or NULL. */
static emu_ref *ref_find_locked(emu_store *s, const char *ref, uint64_t h)
{
    for (emu_ref *r = s->rbuckets[h & (s->nrbuckets - 1)]; r; r = r->next)
        if (r->hash == h && !strcmp(r->text, ref))
            return r;
    return NULL;
}

/* The entry for ref, created (count 0) when new; NULL on OOM. */
static emu_ref *ref_get_locked(emu_store *s, const char *ref)
{
    uint64_t h = ref_hash(ref);
    emu_ref *r = ref_find_locked(s, ref, h);
    if (r)
        return r;
    if (s->nrefs + 1 > s->nrbuckets) {
        size_t nb = s->nrbuckets * 2;
        emu_ref **b = calloc(nb, sizeof(*b));
        if (b) {
            for (size_t i = 0; i < s->nrbuckets; i++) {
                emu_ref *e = s->rbuckets[i], *next;
                for (; e; e = next) {
                    next = e->next;
                    e->next = b[e->hash & (nb - 1)];
                    b[e->hash & (nb - 1)] = e;
                }
            }
            free(s->rbuckets);
            s->rbuckets = b;
            s->nrbuckets = nb;
        }
    }
    size_t len = strlen(ref) + 1;
    r = malloc(sizeof(*r) + len);
    if (!r)
        return NULL;
    memcpy(r->text, ref, len);
    r->hash = h;
    r->count = 0;
    r->newest = NULL;
    r->next = s->rbuckets[h & (s->nrbuckets - 1)];
    s->rbuckets[h & (s->nrbuckets - 1)] = r;
    s->nrefs++;
    return r;
}

emu_notification *emu_store_by_reference_locked(emu_store *s, const char *reference)
{
    emu_ref *r = ref_find_locked(s, reference, ref_hash(reference));
    return r ? r->newest : NULL;
}

/* Frees every notification in the list and the queues; leaves s empty. */
static void free_all_locked(emu_store *s)
{
    emu_notification *n, *next;
    for (n = s->c_head; n; n = next) {
        next = n->qnext;
        n->in_queue = 0;
        if (n->deleted && !n->in_timeout)
            free(n);
    }
    for (n = s->s_head; n; n = next) {
        next = n->qnext;
        n->in_queue = 0;
        if (n->deleted && !n->in_timeout)
            free(n);
    }
    for (n = s->t_head; n; n = next) {
        next = n->tnext;
        n->in_timeout = 0;
        if (n->deleted)
            free(n);
    }
    for (n = s->newest; n; n = next) {
        next = n->older;
        free(n);
    }
    s->c_head = s->c_tail = s->s_head = s->s_tail = s->t_head = s->t_tail = NULL;
    s->newest = s->oldest = NULL;
    memset(s->buckets, 0, s->nbuckets * sizeof(*s->buckets));
    s->count = 0;
    s->bytes = 0;
}

void emu_store_destroy(emu_store *s)
{
    free_all_locked(s);
    free_refs_locked(s);
    free(s->buckets);
    free(s->rbuckets);
    pthread_mutex_destroy(&s->lock);
    memset(s, 0, sizeof(*s));
}

void emu_store_lock(emu_store *s)
{
    pthread_mutex_lock(&s->lock);
}

void emu_store_unlock(emu_store *s)
{
    pthread_mutex_unlock(&s->lock);
}

/* Doubles the hash table; keeps the old one when out of memory. */
static void grow_locked(emu_store *s)
{
    size_t nb = s->nbuckets * 2;
    emu_notification **b = calloc(nb, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i < s->nbuckets; i++) {
        emu_notification *n = s->buckets[i], *next;
        for (; n; n = next) {
            next = n->hnext;
            size_t j = n->hash & (nb - 1);
            n->hnext = b[j];
            b[j] = n;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = nb;
}

/* Appends n to a FIFO queue linked through qnext. */
static void queue_push(emu_notification **head, emu_notification **tail, emu_notification *n)
{
    n->qnext = NULL;
    if (*tail)
        (*tail)->qnext = n;
    else
        *head = n;
    *tail = n;
}

/* Appends n to the timeout queue unless it is already there. */
static void timeout_push(emu_store *s, emu_notification *n)
{
    if (n->in_timeout)
        return;
    n->tnext = NULL;
    if (s->t_tail)
        s->t_tail->tnext = n;
    else
        s->t_head = n;
    s->t_tail = n;
    n->in_timeout = 1;
}

/* Copies src into the tail of a notification allocation. */
static const char *put_str(char **cursor, const char *src)
{
    if (!src)
        return NULL;
    size_t n = strlen(src) + 1;
    char *dst = *cursor;
    memcpy(dst, src, n);
    *cursor += n;
    return dst;
}

int emu_store_add(emu_store *s, const emu_notification_spec *spec)
{
    const char *strs[] = {spec->email_address, spec->recipient, spec->reference,
                          spec->subject,       spec->body,      spec->unsubscribe_url};
    size_t size = sizeof(emu_notification);
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strs[i])
            size += strlen(strs[i]) + 1;
    emu_notification *n = malloc(size);
    if (!n)
        return -1;
    memset(n, 0, sizeof(*n));
    char *cur = (char *)(n + 1);
    n->email_address = put_str(&cur, spec->email_address);
    n->recipient = put_str(&cur, spec->recipient);
    n->reference = put_str(&cur, spec->reference);
    n->subject = put_str(&cur, spec->subject);
    n->body = put_str(&cur, spec->body);
    n->unsubscribe_url = put_str(&cur, spec->unsubscribe_url);
    snprintf(n->id, sizeof(n->id), "%s", spec->id);
    snprintf(n->template_id, sizeof(n->template_id), "%s", spec->template_id);
    n->service_index = spec->service_index;
    n->key_type = (unsigned char)spec->key_type;
    n->template_version = spec->template_version;
    n->created_us = spec->created_us;
    n->status = EMU_STATUS_CREATED;
    n->hash = id_hash(n->id);

    emu_store_lock(s);
    if (n->reference) {
        emu_ref *r = ref_get_locked(s, n->reference);
        if (!r) {
            emu_store_unlock(s);
            free(n);
            return -1;
        }
        r->count++;
        n->ref = r;
        n->rolder = r->newest;
        if (r->newest)
            r->newest->rnewer = n;
        r->newest = n;
    }
    n->seq = ++s->total_stored;
    if (s->count + 1 > s->nbuckets)
        grow_locked(s);
    size_t b = n->hash & (s->nbuckets - 1);
    n->hnext = s->buckets[b];
    s->buckets[b] = n;
    n->older = s->newest;
    if (s->newest)
        s->newest->newer = n;
    else
        s->oldest = n;
    s->newest = n;
    s->count++;
    s->bytes += size;
    queue_push(&s->c_head, &s->c_tail, n);
    n->in_queue = 1;
    emu_store_unlock(s);
    return 0;
}

emu_notification *emu_store_get_locked(emu_store *s, const char *id)
{
    uint64_t h = id_hash(id);
    for (emu_notification *n = s->buckets[h & (s->nbuckets - 1)]; n; n = n->hnext)
        if (n->hash == h && !strcasecmp(n->id, id))
            return n;
    return NULL;
}

size_t emu_store_clear(emu_store *s)
{
    emu_store_lock(s);
    size_t n = s->count;
    free_all_locked(s);
    free_refs_locked(s);
    s->total_stored = 0; /* nothing is left to compare sequence numbers with */
    emu_store_unlock(s);
    return n;
}

/* Frees n when it has been deleted and no queue refers to it any more. */
static void release_if_unreferenced(emu_notification *n)
{
    if (n->deleted && !n->in_queue && !n->in_timeout)
        free(n);
}

/* Removes n from the hash and the list; frees it unless a queue holds it. */
static void delete_locked(emu_store *s, emu_notification *n)
{
    emu_notification **pp = &s->buckets[n->hash & (s->nbuckets - 1)];
    while (*pp && *pp != n)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = n->hnext;
    if (n->newer)
        n->newer->older = n->older;
    else
        s->newest = n->older;
    if (n->older)
        n->older->newer = n->newer;
    else
        s->oldest = n->newer;
    if (n->ref) {
        if (n->rnewer)
            n->rnewer->rolder = n->rolder;
        else
            n->ref->newest = n->rolder;
        if (n->rolder)
            n->rolder->rnewer = n->rnewer;
        n->ref = NULL;
        n->rnewer = n->rolder = NULL;
    }
    s->count--;
    n->deleted = 1;
    release_if_unreferenced(n);
}

int emu_final_status(int key_type, const char *recipient)
{
    if (key_type == EMU_KEY_TEST && recipient) {
        if (!strcmp(recipient, "temp-fail@simulator.notify"))
            return EMU_STATUS_TEMPORARY_FAILURE;
        if (!strcmp(recipient, "perm-fail@simulator.notify"))
            return EMU_STATUS_PERMANENT_FAILURE;
    }
    return EMU_STATUS_DELIVERED;
}

int emu_store_force_status(emu_store *s, const char *id, int status, emu_status_cb cb, void *ctx)
{
    emu_store_lock(s);
    emu_notification *n = emu_store_get_locked(s, id);
    if (!n) {
        emu_store_unlock(s);
        return -1;
    }
    int64_t now = emu_now_us();
    n->forced = 1;
    n->status = (unsigned char)status;
    n->updated_us = now;
    if (status == EMU_STATUS_SENDING) {
        n->sent_us = now;
        timeout_push(s, n);
    }
    if (status >= EMU_STATUS_DELIVERED && cb)
        cb(ctx, n);
    emu_store_unlock(s);
    return 0;
}

size_t emu_store_tick(emu_store *s, int64_t now, const emu_lifecycle *lc, emu_status_cb cb,
                      void *ctx)
{
    size_t changes = 0;
    emu_store_lock(s);
    emu_notification *n;
    while ((n = s->c_head) && n->created_us + lc->created_to_sending <= now) {
        s->c_head = n->qnext;
        if (!s->c_head)
            s->c_tail = NULL;
        n->in_queue = 0;
        if (n->deleted) {
            release_if_unreferenced(n);
            continue;
        }
        if (n->forced || n->status != EMU_STATUS_CREATED)
            continue;
        n->status = EMU_STATUS_SENDING;
        n->sent_us = n->updated_us = now;
        queue_push(&s->s_head, &s->s_tail, n);
        n->in_queue = 2;
        timeout_push(s, n);
        changes++;
    }
    while ((n = s->s_head) && n->sent_us + lc->sending_to_final <= now) {
        s->s_head = n->qnext;
        if (!s->s_head)
            s->s_tail = NULL;
        n->in_queue = 0;
        if (n->deleted) {
            release_if_unreferenced(n);
            continue;
        }
        if (n->forced || n->status != EMU_STATUS_SENDING)
            continue;
        n->status = (unsigned char)emu_final_status(n->key_type, n->recipient);
        n->updated_us = now;
        changes++;
        if (cb)
            cb(ctx, n);
    }
    while ((n = s->t_head) && n->sent_us + lc->sending_timeout <= now) {
        s->t_head = n->tnext;
        if (!s->t_head)
            s->t_tail = NULL;
        n->in_timeout = 0;
        if (n->deleted) {
            release_if_unreferenced(n);
            continue;
        }
        if (n->status != EMU_STATUS_SENDING)
            continue;
        n->status = EMU_STATUS_TEMPORARY_FAILURE;
        n->updated_us = now;
        changes++;
        if (cb)
            cb(ctx, n);
    }
    while (lc->retention > 0 && (n = s->oldest) && n->created_us + lc->retention <= now) {
        delete_locked(s, n);
        changes++;
    }
    emu_store_unlock(s);
    return changes;
}

json_t *emu_store_references_json(emu_store *s)
{
    json_t *o = json_object();
    emu_store_lock(s);
    for (size_t i = 0; o && i < s->nrbuckets; i++)
        for (emu_ref *r = s->rbuckets[i]; r; r = r->next)
            if (json_object_set_new(o, r->text, json_integer((json_int_t)r->count))) {
                json_decref(o);
                o = NULL;
                break;
            }
    emu_store_unlock(s);
    return o;
}

size_t emu_store_count(emu_store *s)
{
    emu_store_lock(s);
    size_t n = s->count;
    emu_store_unlock(s);
    return n;
}
