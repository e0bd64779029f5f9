/* Delivery-receipt callbacks over libcurl (see emu_callbacks.h). The loop
 * has the shape of curl's multi-app example: perform, poll with a bounded
 * timeout, read CURLMSG_DONE and check each transfer's result. */
#include "emu_callbacks.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu_util.h"

#define MAX_IN_FLIGHT 32

typedef struct cb_job {
    struct cb_job *next;
    char *url, *auth, *body; /* auth: "Authorization: Bearer <token>" */
    int attempts;
    uint64_t generation;
    int64_t due_us; /* monotonic */
    CURL *easy;
    struct curl_slist *headers;
} cb_job;

struct emu_callbacks {
    pthread_mutex_t lock;
    pthread_t thread;
    int stop;
    long timeout_ms, retry_delay_ms;
    int max_retries;
    cb_job *fresh, *fresh_tail; /* new receipts, due now, in order */
    cb_job *pending;            /* retries waiting for their due time */
    cb_job *inflight;           /* added to the multi handle (sender thread only) */
    uint64_t generation;        /* bumped by clear: in-flight jobs of older ones are dropped */
    emu_callback_stats stats;
};

/* Frees a job and its curl state. */
static void job_free(cb_job *j)
{
    if (!j)
        return;
    if (j->easy)
        curl_easy_cleanup(j->easy);
    curl_slist_free_all(j->headers);
    free(j->url);
    free(j->auth);
    free(j->body);
    free(j);
}

/* Discards the response body. */
static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * nmemb;
}

/* Prepares a fresh easy handle for j. Returns 0 or -1. */
static int job_prepare(emu_callbacks *c, cb_job *j)
{
    if (j->easy)
        curl_easy_cleanup(j->easy);
    j->easy = curl_easy_init();
    if (!j->easy)
        return -1;
    if (!j->headers) {
        struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
        struct curl_slist *h2 = h ? curl_slist_append(h, j->auth) : NULL;
        if (!h2) {
            curl_slist_free_all(h);
            return -1;
        }
        j->headers = h2;
    }
    curl_easy_setopt(j->easy, CURLOPT_URL, j->url);
    /* Only HTTP(S), even if a URL of another scheme got this far; no redirects. */
    curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(j->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(j->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers);
    curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->body);
    curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(j->body));
    curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(j->easy, CURLOPT_USERAGENT, "NOTIFY-API-EMULATOR");
    curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
    return 0;
}

/* The sender thread. */
static void *run(void *arg)
{
    emu_callbacks *c = arg;
    CURLM *multi = curl_multi_init();
    int in_flight = 0;
    for (;;) {
        int64_t now = emu_mono_us();
        pthread_mutex_lock(&c->lock);
        if (c->stop) {
            pthread_mutex_unlock(&c->lock);
            break;
        }
        cb_job **pp = &c->pending;
        while (multi && in_flight < MAX_IN_FLIGHT && (*pp || c->fresh)) {
            cb_job *j = *pp;
            if (j && j->due_us > now) {
                pp = &j->next;
                continue;
            }
            if (j) {
                *pp = j->next;
            } else {
                j = c->fresh;
                c->fresh = j->next;
                if (!c->fresh)
                    c->fresh_tail = NULL;
            }
            j->next = NULL;
            if (job_prepare(c, j) || curl_multi_add_handle(multi, j->easy) != CURLM_OK) {
                c->stats.failed++;
                job_free(j);
                continue;
            }
            j->attempts++;
            c->stats.attempts++;
            in_flight++;
            j->next = c->inflight;
            c->inflight = j;
        }
        pthread_mutex_unlock(&c->lock);
        if (!multi) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
            multi = curl_multi_init();
            continue;
        }
        int running = 0;
        curl_multi_perform(multi, &running);
        curl_multi_poll(multi, NULL, 0, 20, NULL);
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            cb_job *j = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            CURLcode res = msg->data.result;
            long code = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            curl_multi_remove_handle(multi, msg->easy_handle);
            in_flight--;
            cb_job **ip = &c->inflight;
            while (*ip && *ip != j)
                ip = &(*ip)->next;
            if (*ip)
                *ip = j->next;
            j->next = NULL;
            pthread_mutex_lock(&c->lock);
            if (j->generation != c->generation || c->stop) {
                job_free(j);
            } else if (res == CURLE_OK && code >= 200 && code < 300) {
                c->stats.succeeded++;
                job_free(j);
            } else if ((res != CURLE_OK || code >= 500 || code == 429) &&
                       j->attempts <= c->max_retries) {
                c->stats.retried++;
                j->due_us = emu_mono_us() + (int64_t)c->retry_delay_ms * 1000;
                j->next = c->pending;
                c->pending = j;
            } else {
                c->stats.failed++;
                job_free(j);
            }
            pthread_mutex_unlock(&c->lock);
        }
    }
    cb_job *j, *next;
    for (j = c->inflight; j; j = next) {
        next = j->next;
        if (multi)
            curl_multi_remove_handle(multi, j->easy);
        job_free(j);
    }
    c->inflight = NULL;
    if (multi)
        curl_multi_cleanup(multi);
    return NULL;
}

emu_callbacks *emu_callbacks_start(long timeout_ms, long retry_delay_ms, int max_retries)
{
    emu_callbacks *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->timeout_ms = timeout_ms;
    c->retry_delay_ms = retry_delay_ms;
    c->max_retries = max_retries;
    if (pthread_mutex_init(&c->lock, NULL)) {
        free(c);
        return NULL;
    }
    if (pthread_create(&c->thread, NULL, run, c)) {
        pthread_mutex_destroy(&c->lock);
        free(c);
        return NULL;
    }
    return c;
}

int emu_callbacks_enqueue(emu_callbacks *c, const char *url, const char *token, const char *body)
{
    cb_job *j = calloc(1, sizeof(*j));
    if (!j)
        return -1;
    emu_buf auth;
    emu_buf_init(&auth);
    emu_buf_addf(&auth, "Authorization: Bearer %s", token);
    j->auth = emu_buf_take(&auth, NULL);
    j->url = emu_strdup(url);
    j->body = emu_strdup(body);
    if (!j->auth || !j->url || !j->body) {
        job_free(j);
        return -1;
    }
    j->due_us = 0;
    pthread_mutex_lock(&c->lock);
    j->generation = c->generation;
    /* FIFO: receipts go out in the order they happened */
    if (c->fresh_tail)
        c->fresh_tail->next = j;
    else
        c->fresh = j;
    c->fresh_tail = j;
    c->stats.queued++;
    pthread_mutex_unlock(&c->lock);
    return 0;
}

void emu_callbacks_clear(emu_callbacks *c)
{
    pthread_mutex_lock(&c->lock);
    cb_job *j = c->pending, *f = c->fresh, *next;
    c->pending = c->fresh = c->fresh_tail = NULL;
    c->generation++;
    memset(&c->stats, 0, sizeof(c->stats));
    pthread_mutex_unlock(&c->lock);
    for (; j; j = next) {
        next = j->next;
        job_free(j);
    }
    for (; f; f = next) {
        next = f->next;
        job_free(f);
    }
}

emu_callback_stats emu_callbacks_get_stats(emu_callbacks *c)
{
    pthread_mutex_lock(&c->lock);
    emu_callback_stats s = c->stats;
    pthread_mutex_unlock(&c->lock);
    return s;
}

void emu_callbacks_stop(emu_callbacks *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stop = 1;
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    cb_job *j = c->pending, *next;
    for (; j; j = next) {
        next = j->next;
        job_free(j);
    }
    for (j = c->fresh; j; j = next) {
        next = j->next;
        job_free(j);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}
