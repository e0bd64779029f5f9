/* The emulator's HTTP server (see emu_server.h and docs/design.md §4).
 *
 * Threads: libmicrohttpd's epoll pool answers requests; a timer thread
 * resumes suspended connections (latency and stall faults) and closes and
 * re-opens the listening socket (refused connections); a lifecycle thread
 * moves notifications through their statuses; the callbacks thread posts
 * delivery receipts. Nothing sleeps in a libmicrohttpd thread. */
#include "emu_server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "emu_bucket.h"
#include "emu_callbacks.h"
#include "emu_jwt.h"
#include "emu_origin.h"
#include "emu_rules.h"
#include "emu_sanitise.h"
#include "emu_store.h"
#include "emu_template.h"
#include "emu_util.h"

#define MAX_BODY    (12u * 1024u * 1024u) /* bigger than Notify's 2,000,000-byte limit */
#define MAX_CONTENT 2000000u
#define PAGE_SIZE   250
#define MSG_INVALID_TOKEN                                                                          \
    "Invalid token: make sure your API token matches the example at "                              \
    "https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"
#define MSG_CLOCK "Error: Your system clock must be accurate to within 30 seconds"
#define MSG_404                                                                                    \
    "The requested URL was not found on the server. If you entered the URL manually please "       \
    "check your spelling and try again."
#define MSG_405 "The method is not allowed for the requested URL."

typedef struct svc_state {
    pthread_mutex_t lock;
    emu_bucket buckets[3]; /* per key type */
    int64_t day;           /* UTC day of daily */
    long daily;            /* live + team notifications stored today */
} svc_state;

typedef struct timer_entry {
    int64_t due_us; /* monotonic */
    struct MHD_Connection *conn;
} timer_entry;

struct emu_server {
    emu_config cfg;
    emu_store store;
    emu_lifecycle lc;
    emu_callbacks *callbacks;
    svc_state *svc;
    _Atomic int port; /* written once the daemon runs, read by its threads */
    char *bound_host;

    pthread_mutex_t fault_lock;
    emu_faults faults;
    emu_rng rng;

    pthread_mutex_t stats_lock;
    json_t *requests;
    json_t *fault_counts;

    pthread_mutex_t timer_lock;
    pthread_cond_t timer_cond;
    struct MHD_Daemon *daemon;
    int daemon_stopping;
    timer_entry *heap;
    size_t nheap, capheap;
    double refuse_request_ms;
    int refusing;
    int64_t refuse_until_us;
    int stop;
    pthread_t timer_thread, life_thread;
    int threads_started;
};

/* Per-request state, freed by the request-completed callback. */
typedef struct req {
    emu_buf body;
    int too_big;
    int waiting; /* suspended; respond when resumed */
    struct MHD_Response *resp;
    unsigned status;
    int drop;
    int64_t delay_us;
    int cors; /* a /v2/ response: Notify's CORS headers */
} req;

/* ---------------------------------------------------------------- helpers */

char *emu_url_root(const char *host_header, const char *bound_host, int port)
{
    emu_buf b;
    emu_buf_init(&b);
    int usable = host_header && *host_header && strlen(host_header) <= 255;
    for (const char *p = host_header; usable && *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '/' || *p == '\\' ||
            *p == '"' || *p == '<' || *p == '>')
            usable = 0;
    if (usable)
        emu_buf_addf(&b, "http://%s/", host_header);
    else if (strchr(bound_host, ':'))
        emu_buf_addf(&b, "http://[%s]:%d/", bound_host, port);
    else
        emu_buf_addf(&b, "http://%s:%d/", bound_host, port);
    return emu_buf_take(&b, NULL);
}

int emu_stats_count(json_t *requests, const char *route, const char *outcome)
{
    json_t *r = json_object_get(requests, route);
    if (!r) {
        r = json_object();
        if (!r || json_object_set_new(requests, route, r))
            return -1;
    }
    json_t *c = json_object_get(r, outcome);
    if (c)
        return json_integer_set(c, json_integer_value(c) + 1);
    return json_object_set_new(r, outcome, json_integer(1));
}

/* Counts a request outcome in the server's stats. */
static void stats_count(emu_server *s, const char *route, const char *outcome)
{
    pthread_mutex_lock(&s->stats_lock);
    emu_stats_count(s->requests, route, outcome);
    pthread_mutex_unlock(&s->stats_lock);
}

/* Counts a fault that fired. */
static void fault_count(emu_server *s, const char *name)
{
    pthread_mutex_lock(&s->stats_lock);
    json_t *c = json_object_get(s->fault_counts, name);
    if (c)
        json_integer_set(c, json_integer_value(c) + 1);
    else
        json_object_set_new(s->fault_counts, name, json_integer(1));
    pthread_mutex_unlock(&s->stats_lock);
}

/* Adds Notify's after_request headers. The CORS ones only on /v2/ (cors),
 * whose every route wants a signed token: the web page and /_emulator/
 * (no authentication, secrets in /_emulator/config) allow no other origin. */
static void add_headers(struct MHD_Response *resp, const char *content_type, int cors)
{
    MHD_add_response_header(resp, "Content-Type", content_type);
    if (cors) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
        MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Content-Type,Authorization");
        MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET,PUT,POST,DELETE");
    }
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "SAMEORIGIN");
    MHD_add_response_header(resp, "X-Permitted-Cross-Domain-Policies", "none");
    MHD_add_response_header(resp, "Strict-Transport-Security",
                            "max-age=31536000; includeSubDomains; preload");
    MHD_add_response_header(resp, "Cache-Control", "no-store, no-cache, private, must-revalidate");
}

/* Sets r's response to data (malloc'd, taken over; NULL means OOM). */
static void respond_raw(req *r, unsigned status, char *data, size_t len, const char *ctype)
{
    if (r->resp)
        MHD_destroy_response(r->resp);
    r->resp = NULL;
    if (!data) {
        static const char oom[] =
            "{\"errors\":[{\"error\":\"MemoryError\",\"message\":\"Internal server error\"}],"
            "\"status_code\":500}\n";
        r->resp =
            MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
        status = 500;
        ctype = "application/json";
    } else {
        r->resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (!r->resp)
            free(data);
    }
    r->status = status;
    if (r->resp)
        add_headers(r->resp, ctype, r->cors);
}

/* Responds with a JSON value (reference stolen; NULL means OOM). */
static void respond_json(req *r, unsigned status, json_t *v)
{
    size_t len = 0;
    char *text = v ? emu_json_dumps(v, 1, &len) : NULL;
    json_decref(v);
    respond_raw(r, status, text, len, "application/json");
}

/* Responds with Notify's v2 error body holding one error. */
static void respond_error(req *r, unsigned status, const char *error, const char *message)
{
    respond_json(r, status,
                 json_pack("{s:[{s:s,s:s}],s:i}", "errors", "error", error, "message", message,
                           "status_code", (int)status));
}

/* Responds 400 with every error of e (then frees e). */
static void respond_errors(req *r, emu_errors *e)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < e->n; i++)
        json_array_append_new(list, json_pack("{s:s,s:s}", "error", e->items[i].error, "message",
                                              e->items[i].message));
    emu_errors_free(e);
    respond_json(r, 400, list ? json_pack("{s:o,s:i}", "errors", list, "status_code", 400) : NULL);
}

/* Responds with Flask's legacy app-level error body. */
static void respond_legacy(req *r, unsigned status, const char *message)
{
    respond_json(r, status, json_pack("{s:s,s:s}", "message", message, "result", "error"));
}

/* Counts r's outcome (its status code, or "dropped") under route. */
static void record(emu_server *s, req *r, const char *route)
{
    char code[16];
    snprintf(code, sizeof(code), "%u", r->status);
    stats_count(s, route, r->drop ? "dropped" : code);
}

/* Records a request that matched no route under "<METHOD> (unknown)". */
static void record_unknown(emu_server *s, req *r, const char *method)
{
    char route[48];
    snprintf(route, sizeof(route), "%.16s (unknown)", method);
    record(s, r, route);
}

/* ------------------------------------------------------- authentication */

typedef struct auth_result {
    const emu_service *svc;
    int svc_index;
    int key_type;
} auth_result;

/* Notify's requires_auth (notify-api.md §1.3). Returns 0 and fills *a, or
 * -1 after setting the 401/403 response on r. */
static int authenticate(emu_server *s, struct MHD_Connection *conn, req *r, auth_result *a)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!h || !*h) {
        respond_error(r, 401, "AuthError", "Unauthorized: authentication token must be provided");
        return -1;
    }
    if (strlen(h) < 7 || strncasecmp(h, "bearer", 6) != 0 || h[6] != ' ') {
        respond_error(r, 401, "AuthError",
                      "Unauthorized: authentication bearer scheme must be used");
        return -1;
    }
    const char *token = h + 7;
    int64_t now = emu_now_us() / 1000000;
    emu_jwt t;
    if (emu_jwt_decode(token, now, &t)) {
        respond_error(r, 403, "AuthError", MSG_INVALID_TOKEN);
        return -1;
    }
    const char *msg = NULL;
    char service_id[37];
    /* Notify reads iss with uuid.UUID(): any form it parses names the
     * service; present but not a string is the wrong data type. */
    if (!t.has_iss)
        msg = "Invalid token: iss field not provided";
    else if (!t.iss || emu_uuid_normalise(t.iss, service_id))
        msg = "Invalid token: service id is not the right data type";
    const emu_service *svc = msg ? NULL : emu_config_service(&s->cfg, service_id);
    if (!msg && !svc)
        msg = "Invalid token: service not found";
    else if (!msg && svc->n_keys == 0)
        msg = "Invalid token: service has no API keys";
    else if (!msg && !svc->active)
        msg = "Invalid token: service is archived";
    if (msg) {
        emu_jwt_free(&t);
        respond_error(r, 403, "AuthError", msg);
        return -1;
    }
    for (size_t i = 0; i < svc->n_keys; i++) {
        const emu_api_key *k = &svc->keys[i];
        if (strcmp(t.alg, "HS256") != 0) {
            msg = "Invalid token: algorithm used is not HS256";
            break;
        }
        if (!emu_jwt_verify_hs256(token, &t, k->secret))
            continue;
        /* PyJWT's order (iat, nbf, exp, aud, sub, jti), then the client
         * library's own iat checks (notify-api.md §1.3) */
        if (t.has_iat && (!t.iat_is_number || t.iat > now + s->cfg.token_leeway_s)) {
            msg = MSG_CLOCK; /* InvalidIssuedAtError, ImmatureSignatureError */
            break;
        }
        if (t.nbf_in_future) {
            msg = MSG_CLOCK; /* ImmatureSignatureError */
            break;
        }
        if (t.exp_or_nbf_undecodable)
            continue; /* DecodeError: skipped like a bad signature */
        if (t.exp_in_past || t.has_other_claims) {
            msg = MSG_INVALID_TOKEN;
            break;
        }
        if (!t.has_iat)
            continue; /* the missing-iat error is skipped like a bad signature */
        if (t.iat < now - s->cfg.token_leeway_s) {
            msg = MSG_CLOCK;
            break;
        }
        if (k->revoked) {
            msg = "Invalid token: API key revoked";
            break;
        }
        a->svc = svc;
        a->svc_index = (int)(svc - s->cfg.services);
        a->key_type = k->type;
        emu_jwt_free(&t);
        return 0;
    }
    emu_jwt_free(&t);
    respond_error(r, 403, "AuthError", msg ? msg : "Invalid token: API key not found");
    return -1;
}

/* ------------------------------------------------------ notification JSON */

/* The §3.1 object for n (caller owns), or NULL on OOM. Lock held. */
static json_t *notification_json(const emu_notification *n, const char *root)
{
    char created[32], sent[32], updated[32];
    emu_iso_time(n->created_us, created);
    if (n->sent_us)
        emu_iso_time(n->sent_us, sent);
    int completed = n->status >= EMU_STATUS_DELIVERED;
    if (completed)
        emu_iso_time(n->updated_us, updated);
    emu_buf uri;
    emu_buf_init(&uri);
    emu_buf_addf(&uri, "%sv2/template/%s/version/%d", root, n->template_id, n->template_version);
    char *turi = emu_buf_take(&uri, NULL);
    json_t *o =
        turi ? json_pack("{s:s,s:s?,s:{},s:f,s:s,s:n,s:s,s:s,s:b,s:n,s:n,s:n,s:n,s:n,s:n,s:s?,"
                         "s:n,s:n,s:n,s:s?,s:n,s:s?,s:s,s:s,s:{s:s,s:s,s:i},s:s}",
                         "body", n->body, "completed_at", completed ? updated : NULL,
                         "cost_details", "cost_in_pounds", 0.0, "created_at", created,
                         "created_by_name", "email_address", n->email_address, "id", n->id,
                         "is_cost_data_ready", 1, "line_1", "line_2", "line_3", "line_4", "line_5",
                         "line_6", "one_click_unsubscribe_url", n->unsubscribe_url, "phone_number",
                         "postage", "postcode", "reference", n->reference, "scheduled_for",
                         "sent_at", n->sent_us ? sent : NULL, "status", emu_status_name(n->status),
                         "subject", n->subject, "template", "id", n->template_id, "uri", turi,
                         "version", n->template_version, "type", "email")
             : NULL;
    free(turi);
    return o;
}

/* The delivery-receipt callback for a final status (store lock held). */
static void on_final_status(void *ctx, const emu_notification *n)
{
    emu_server *s = ctx;
    const emu_service *svc = &s->cfg.services[n->service_index];
    if (!svc->callback_url || n->status == EMU_STATUS_TECHNICAL_FAILURE)
        return;
    char created[32], sent[32], updated[32];
    emu_iso_time(n->created_us, created);
    emu_iso_time(n->sent_us, sent);
    emu_iso_time(n->updated_us, updated);
    json_t *o = json_object();
    if (!o)
        return;
    json_object_set_new(o, "id", json_string(n->id));
    json_object_set_new(o, "reference", n->reference ? json_string(n->reference) : json_null());
    json_object_set_new(o, "to", json_string(n->email_address));
    json_object_set_new(o, "status", json_string(emu_status_name(n->status)));
    json_object_set_new(o, "created_at", json_string(created));
    json_object_set_new(o, "completed_at", json_string(updated));
    json_object_set_new(o, "sent_at", n->sent_us ? json_string(sent) : json_null());
    json_object_set_new(o, "notification_type", json_string("email"));
    json_object_set_new(o, "template_id", json_string(n->template_id));
    json_object_set_new(o, "template_version", json_integer(n->template_version));
    char *body = emu_json_dumps_default(o, NULL);
    json_decref(o);
    if (body)
        emu_callbacks_enqueue(s->callbacks, svc->callback_url, svc->callback_bearer_token, body);
    free(body);
}

/* --------------------------------------------------------------- v2 API */

static const char *const simulated_addresses[] = {
    "simulate-delivered@notifications.service.gov.uk",
    "simulate-delivered-2@notifications.service.gov.uk",
    "simulate-delivered-3@notifications.service.gov.uk",
};

/* LIVE, TEAM or TEST, as Notify's rate-limit message spells key types. */
static const char *key_type_upper(int type)
{
    return type == EMU_KEY_TEAM ? "TEAM" : type == EMU_KEY_TEST ? "TEST" : "LIVE";
}

/* Rate limit (token bucket, shared by every POST /v2/notifications/<type>)
 * and, for emails, the daily email limit, before the body is read (§2.2
 * step 2). The daily check and the count are one step under the service's
 * lock: a request that passes reserves its place in today's count, so
 * concurrent requests never take the count past the limit; post_email gives
 * the place back (release_daily) when it stores nothing. *reserved is set to
 * the UTC day reserved, or -1. Returns 0, or -1 with a 429 response set. */
static int check_limits(emu_server *s, req *r, const auth_result *a, int email, int64_t *reserved)
{
    svc_state *st = &s->svc[a->svc_index];
    int64_t now = emu_now_us();
    char msg[160];
    int counted = email && a->key_type != EMU_KEY_TEST;
    int limited = counted && a->svc->email_message_limit > 0;
    if (reserved)
        *reserved = -1;
    pthread_mutex_lock(&st->lock);
    int ok = emu_bucket_take(&st->buckets[a->key_type], (double)now / 1e6);
    int64_t day = now / 86400000000LL;
    if (st->day != day) {
        st->day = day;
        st->daily = 0;
    }
    int over = ok && limited && st->daily + 1 > a->svc->email_message_limit;
    if (ok && !over && counted && reserved) {
        st->daily++;
        *reserved = day;
    }
    pthread_mutex_unlock(&st->lock);
    if (!ok) {
        snprintf(msg, sizeof(msg),
                 "Exceeded rate limit for key type %s of %d requests per 60 seconds",
                 key_type_upper(a->key_type), a->svc->rate_limit);
        respond_error(r, 429, "RateLimitError", msg);
        return -1;
    }
    if (over) {
        snprintf(msg, sizeof(msg), "Exceeded send limits (email: %ld) for today",
                 a->svc->email_message_limit);
        respond_error(r, 429, "TooManyRequestsError", msg);
        return -1;
    }
    return 0;
}

/* Gives back a place check_limits reserved in the count of UTC day `day`
 * (nothing when day is -1 or the count has since moved to another day). */
static void release_daily(emu_server *s, const auth_result *a, int64_t day)
{
    if (day < 0)
        return;
    svc_state *st = &s->svc[a->svc_index];
    pthread_mutex_lock(&st->lock);
    if (st->day == day && st->daily > 0)
        st->daily--;
    pthread_mutex_unlock(&st->lock);
}

/* Strips ASCII whitespace around s into a new string (caller frees). */
static char *trimmed(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

/* Renders a template as Notify's API does (§2.2, §2.4, §3.1): *subject is
 * PlainTextEmailTemplate.subject (list values joined "a, b and c", Notify's
 * typography; Notify reads notifications and previews back through the
 * same class, so it is also the GET and preview subject), *body the
 * filled-in body, stripped. On missing placeholders (the subject's first)
 * sets the 400 and returns -1. On success both strings are malloc'd and
 * the caller frees them; on failure both are NULL. */
static int render_template(req *r, const emu_template *t, json_t *pers, char **subject, char **body)
{
    emu_strlist missing;
    emu_strlist_init(&missing);
    *subject = emu_template_render_subject(t->subject, pers, &missing);
    *body = emu_template_render_body(t->body, pers, &missing);
    if (!*subject || !*body) {
        free(*subject);
        free(*body);
        *subject = *body = NULL;
        emu_strlist_free(&missing);
        respond_json(r, 500, NULL);
        return -1;
    }
    if (missing.n) {
        emu_buf b;
        emu_buf_init(&b);
        emu_buf_adds(&b, "Missing personalisation: ");
        for (size_t i = 0; i < missing.n; i++) {
            if (i)
                emu_buf_adds(&b, ", ");
            emu_buf_adds(&b, missing.items[i]);
        }
        char *m = emu_buf_take(&b, NULL);
        if (m)
            respond_error(r, 400, "BadRequestError", m);
        else
            respond_json(r, 500, NULL);
        free(m);
        emu_strlist_free(&missing);
        free(*subject);
        free(*body);
        *subject = *body = NULL;
        return -1;
    }
    emu_strlist_free(&missing);
    return 0;
}

/* Looks up a template for a POST and applies the template checks of §2.2
 * step 7 (not found, type, archived). Returns it or NULL with r set. */
static const emu_template *usable_template(req *r, const emu_service *svc, const char *id)
{
    char canonical[37];
    const emu_template *t =
        emu_uuid_normalise(id, canonical) ? NULL : emu_service_template(svc, canonical);
    char msg[96];
    if (!t) {
        respond_error(r, 400, "BadRequestError", "Template not found");
        return NULL;
    }
    if (strcmp(t->type, "email") != 0) {
        snprintf(msg, sizeof(msg), "%s template is not suitable for email notification", t->type);
        respond_error(r, 400, "BadRequestError", msg);
        return NULL;
    }
    if (t->archived) {
        respond_error(r, 400, "BadRequestError", "Template has been deleted");
        return NULL;
    }
    return t;
}

static int post_email_reserved(emu_server *s, req *r, const auth_result *a, const char *root);

/* POST /v2/notifications/email (§2.2). Returns 1 when a notification was
 * stored; a daily place reserved by check_limits is kept only then. */
static int post_email(emu_server *s, struct MHD_Connection *conn, req *r, const auth_result *a,
                      const char *root)
{
    (void)conn;
    int64_t day = -1;
    if (check_limits(s, r, a, 1, &day))
        return 0;
    int stored = post_email_reserved(s, r, a, root);
    if (!stored)
        release_daily(s, a, day);
    return stored;
}

/* post_email after the limits: validates, renders and stores. */
static int post_email_reserved(emu_server *s, req *r, const auth_result *a, const char *root)
{
    if (r->too_big) {
        respond_error(r, 413, "BadRequestError", "Request entity too large");
        return 0;
    }
    json_t *body = emu_parse_body(r->body.data ? r->body.data : "", r->body.len);
    if (!body) {
        respond_error(r, 400, "BadRequestError", "Invalid JSON supplied in POST data");
        return 0;
    }
    emu_errors errs;
    emu_errors_init(&errs);
    if (emu_validate_post_email(body, &errs)) {
        respond_errors(r, &errs);
        json_decref(body);
        return 0;
    }
    emu_errors_free(&errs);
    const emu_service *svc = a->svc;
    json_t *pers = json_object_get(body, "personalisation");
    if (!emu_is_object(pers))
        pers = NULL;
    /* §2.2 step 6: the listed values are sanitised before the template is filled in */
    json_t *sanitised =
        emu_sanitise_personalisation(pers, json_object_get(body, "sanitise_content_for"));
    if (!sanitised) {
        respond_json(r, 500, NULL);
        json_decref(body);
        return 0;
    }
    const char *tid = json_string_value(json_object_get(body, "template_id"));
    const emu_template *t = usable_template(r, svc, tid);
    char *subject = NULL, *text = NULL, *to = NULL, *recipient = NULL;
    int stored = 0;
    if (!t || render_template(r, t, pers, &subject, &text))
        goto done;
    if (emu_template_is_empty(t->body, text)) {
        respond_error(r, 400, "BadRequestError", "Your message is empty.");
        goto done;
    }
    const char *reply_to = json_string_value(json_object_get(body, "email_reply_to_id"));
    if (reply_to) {
        char canonical[37];
        if (emu_uuid_normalise(reply_to, canonical) ||
            !emu_strv_contains(&svc->reply_to_ids, canonical)) {
            char msg[200];
            snprintf(msg, sizeof(msg),
                     "email_reply_to_id %s does not exist in database for service id %s", reply_to,
                     svc->id);
            respond_error(r, 400, "BadRequestError", msg);
            goto done;
        }
    }
    to = trimmed(json_string_value(json_object_get(body, "email_address")));
    if (!to || !emu_email_valid(to, &recipient) || !recipient) {
        respond_error(r, 400, "InvalidEmailError", "Not a valid email address");
        goto done;
    }
    int listed = emu_strv_contains(&svc->team_members, recipient) ||
                 emu_strv_contains(&svc->guest_list, recipient);
    if (a->key_type == EMU_KEY_TEAM && !listed) {
        respond_error(r, 400, "BadRequestError",
                      "Can\xe2\x80\x99t send to this recipient using a team-only API key");
        goto done;
    }
    if (a->key_type == EMU_KEY_LIVE && svc->restricted && !listed) {
        respond_error(r, 400, "BadRequestError",
                      "Can\xe2\x80\x99t send to this recipient when service is in trial mode "
                      "\xe2\x80\x93 see https://www.notifications.service.gov.uk/trial-mode");
        goto done;
    }
    int simulated = 0;
    for (size_t i = 0; i < sizeof(simulated_addresses) / sizeof(simulated_addresses[0]); i++)
        if (!strcmp(recipient, simulated_addresses[i]))
            simulated = 1;
    size_t size = strlen(text); /* UTF-8 bytes of the stripped body */
    if (size > MAX_CONTENT) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "Your message is too long. Emails cannot be longer than 2000000 bytes. Your "
                 "message is %zu bytes.",
                 size);
        respond_error(r, 400, "BadRequestError", msg);
        goto done;
    }
    char id[37];
    if (emu_uuid4(id)) {
        respond_json(r, 500, NULL);
        goto done;
    }
    const char *reference = json_string_value(json_object_get(body, "reference"));
    const char *unsub = json_string_value(json_object_get(body, "one_click_unsubscribe_url"));
    if (!simulated) {
        emu_notification_spec spec = {
            .id = id,
            .service_index = a->svc_index,
            .key_type = a->key_type,
            .template_id = t->id,
            .template_version = t->version,
            .email_address = to,
            .recipient = recipient,
            .reference = reference,
            .subject = subject,
            .body = text,
            .unsubscribe_url = unsub,
            .created_us = emu_now_us(),
        };
        if (emu_store_add(&s->store, &spec)) {
            respond_json(r, 500, NULL);
            goto done;
        }
        stored = 1; /* keeps the daily place check_limits reserved */
    }
    emu_buf from, turi, nuri;
    emu_buf_init(&from);
    emu_buf_init(&turi);
    emu_buf_init(&nuri);
    emu_buf_addf(&from, "%s@%s", svc->email_sender_local_part, s->cfg.email_domain);
    emu_buf_addf(&turi, "%sservices/%s/templates/%s", root, svc->id, t->id);
    emu_buf_addf(&nuri, "%sv2/notifications/%s", root, id);
    char *f = emu_buf_take(&from, NULL), *tu = emu_buf_take(&turi, NULL),
         *nu = emu_buf_take(&nuri, NULL);
    respond_json(r, 201,
                 (f && tu && nu)
                     ? json_pack("{s:{s:s,s:s,s:s?,s:s},s:s,s:s?,s:O,s:n,s:{s:s,s:s,s:i},s:s}",
                                 "content", "body", text, "from_email", f,
                                 "one_click_unsubscribe_url", unsub, "subject", subject, "id", id,
                                 "reference", reference, "sanitised_content", sanitised,
                                 "scheduled_for", "template", "id", t->id, "uri", tu, "version",
                                 t->version, "uri", nu)
                     : NULL);
    free(f);
    free(tu);
    free(nu);
done:
    free(subject);
    free(text);
    free(to);
    free(recipient);
    json_decref(sanitised);
    json_decref(body);
    return stored;
}

/* GET /v2/notifications/{id} (§3.1). */
static void get_notification(emu_server *s, req *r, const auth_result *a, const char *id,
                             const char *root)
{
    char canonical[37];
    if (emu_uuid_normalise(id, canonical)) {
        respond_error(r, 400, "ValidationError", "notification_id is not a valid UUID");
        return;
    }
    emu_store_lock(&s->store);
    emu_notification *n = emu_store_get_locked(&s->store, canonical);
    json_t *o = (n && n->service_index == a->svc_index) ? notification_json(n, root) : NULL;
    int found = n && n->service_index == a->svc_index;
    emu_store_unlock(&s->store);
    if (!found)
        respond_error(r, 404, "NoResultFound", "No result found");
    else
        respond_json(r, 200, o);
}

typedef struct params {
    size_t n, cap;
    emu_param *items;
    int oom;
} params;

/* Collects the query arguments of a request, in order. */
static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    params *p = cls;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        emu_param *it = realloc(p->items, cap * sizeof(*it));
        if (!it) {
            p->oom = 1;
            return MHD_NO;
        }
        p->items = it;
        p->cap = cap;
    }
    p->items[p->n].key = key ? key : "";
    p->items[p->n].value = value ? value : "";
    p->n++;
    return MHD_YES;
}

/* Collects query arguments as werkzeug parses them: an empty pair ("&&",
 * or "?&") is skipped; "=x" is a parameter named "". */
static enum MHD_Result collect_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
    if ((!key || !*key) && !value)
        return MHD_YES;
    return collect_param(cls, kind, key, value);
}

/* Appends the query of p to b the way Flask rebuilds it from
 * request.args.to_dict(flat=False): keys in order of first appearance, each
 * key's values together. When older_than is given it replaces the
 * older_than value where it stands (Python's dict(data, older_than=...)),
 * or is appended. */
static void add_query(emu_buf *b, const params *p, const char *older_than)
{
    int first = 1, replaced = 0;
    for (size_t i = 0; i < p->n; i++) {
        size_t k;
        for (k = 0; k < i; k++)
            if (!strcmp(p->items[k].key, p->items[i].key))
                break;
        if (k < i)
            continue; /* this key was written with its first occurrence */
        for (size_t j = i; j < p->n; j++) {
            if (strcmp(p->items[j].key, p->items[i].key))
                continue;
            const char *value = p->items[j].value;
            if (older_than && !strcmp(p->items[j].key, "older_than")) {
                value = older_than;
                replaced = 1;
            }
            emu_buf_adds(b, first ? "?" : "&");
            first = 0;
            emu_buf_add_urlenc(b, p->items[j].key);
            emu_buf_adds(b, "=");
            emu_buf_add_urlenc(b, value);
        }
    }
    if (older_than && !replaced) {
        emu_buf_adds(b, first ? "?older_than=" : "&older_than=");
        emu_buf_adds(b, older_than);
    }
}

/* GET /v2/notifications (§3.2). */
static void list_notifications(emu_server *s, struct MHD_Connection *conn, req *r,
                               const auth_result *a, const char *root)
{
    params p = {0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query_arg, &p);
    if (p.oom) {
        free(p.items);
        respond_json(r, 500, NULL);
        return;
    }
    /* Only the first older_than, reference and include_jobs count. */
    params kept = {0};
    int seen_older = 0, seen_ref = 0, seen_jobs = 0;
    for (size_t i = 0; i < p.n; i++) {
        int *seen = !strcmp(p.items[i].key, "older_than")     ? &seen_older
                    : !strcmp(p.items[i].key, "reference")    ? &seen_ref
                    : !strcmp(p.items[i].key, "include_jobs") ? &seen_jobs
                                                              : NULL;
        if (seen && (*seen)++)
            continue;
        collect_param(&kept, MHD_GET_ARGUMENT_KIND, p.items[i].key, p.items[i].value);
    }
    free(p.items);
    if (kept.oom) {
        free(kept.items);
        respond_json(r, 500, NULL);
        return;
    }
    emu_list_query q;
    emu_errors errs;
    emu_errors_init(&errs);
    if (emu_validate_list_query(kept.items, kept.n, &q, &errs)) {
        free(kept.items);
        respond_errors(r, &errs);
        return;
    }
    emu_errors_free(&errs);
    json_t *list = json_array();
    const char *last_id = NULL;
    char last[37] = "";
    emu_store_lock(&s->store);
    /* With a reference, walk only that reference's notifications (an index),
     * else the whole newest-first list from older_than (or the newest). */
    emu_notification *n = NULL;
    char older[37];
    emu_notification *o = (q.older_than && !emu_uuid_normalise(q.older_than, older))
                              ? emu_store_get_locked(&s->store, older)
                              : NULL;
    uint64_t before = UINT64_MAX; /* only notifications stored before older_than */
    if (q.older_than && (!o || o->service_index != a->svc_index))
        n = NULL; /* unknown or deleted: an empty page, as Notify */
    else if (q.reference) {
        n = emu_store_by_reference_locked(&s->store, q.reference);
        if (o)
            before = o->seq;
    } else
        n = o ? o->older : s->store.newest;
    int want_email = !q.template_types || (q.template_types & 2u);
    size_t count = 0;
    for (; want_email && list && n && count < PAGE_SIZE; n = q.reference ? n->rolder : n->older) {
        if (n->seq >= before)
            continue;
        if (n->service_index != a->svc_index || n->key_type != a->key_type)
            continue;
        if (q.statuses && !(q.statuses & emu_status_bit(emu_status_name(n->status))))
            continue;
        if (q.reference && (!n->reference || strcmp(q.reference, n->reference)))
            continue;
        if (json_array_append_new(list, notification_json(n, root))) {
            json_decref(list);
            list = NULL;
            break;
        }
        snprintf(last, sizeof(last), "%s", n->id);
        last_id = last;
        count++;
    }
    emu_store_unlock(&s->store);
    emu_buf cur, next;
    emu_buf_init(&cur);
    emu_buf_init(&next);
    emu_buf_addf(&cur, "%sv2/notifications", root);
    add_query(&cur, &kept, NULL);
    emu_buf_addf(&next, "%sv2/notifications", root);
    add_query(&next, &kept, last_id ? last_id : "");
    free(kept.items);
    char *c = emu_buf_take(&cur, NULL), *nx = emu_buf_take(&next, NULL);
    json_t *links = (c && nx) ? (last_id ? json_pack("{s:s,s:s}", "current", c, "next", nx)
                                         : json_pack("{s:s}", "current", c))
                              : NULL;
    free(c);
    free(nx);
    respond_json(r, 200,
                 (list && links) ? json_pack("{s:o,s:o}", "links", links, "notifications", list)
                                 : (json_decref(list), json_decref(links), NULL));
}

/* The §3.3 template object (caller owns), or NULL on OOM. */
static json_t *template_json(const emu_template *t, int version)
{
    emu_strlist names;
    emu_strlist_init(&names);
    json_t *pers = json_object();
    if (!pers || emu_template_placeholders(t->subject, &names) ||
        emu_template_placeholders(t->body, &names)) {
        emu_strlist_free(&names);
        json_decref(pers);
        return NULL;
    }
    for (size_t i = 0; i < names.n; i++)
        json_object_set_new(pers, names.items[i], json_pack("{s:b}", "required", 1));
    emu_strlist_free(&names);
    int email = !strcmp(t->type, "email");
    return json_pack("{s:s,s:s,s:s,s:s,s:n,s:s,s:o,s:n,s:s?,s:s,s:n,s:i}", "body", t->body,
                     "created_at", "2024-01-01T00:00:00.000000Z", "created_by",
                     "emulator@notifications.service.gov.uk", "id", t->id, "letter_contact_block",
                     "name", t->name, "personalisation", pers, "postage", "subject",
                     email ? t->subject : NULL, "type", t->type, "updated_at", "version", version);
}

/* GET /v2/template/{id}[/version/{n}] (§3.3). version < 0: current. */
static void get_template(req *r, const auth_result *a, const char *id, long version)
{
    char canonical[37];
    if (emu_uuid_normalise(id, canonical)) {
        respond_error(r, 400, "ValidationError", "id is not a valid UUID");
        return;
    }
    const emu_template *t = emu_service_template(a->svc, canonical);
    if (!t || (version >= 0 && version != t->version)) {
        respond_error(r, 404, "NoResultFound", "No result found");
        return;
    }
    respond_json(r, 200, template_json(t, t->version));
}

/* GET /v2/templates[?type=] (§3.3). */
static void list_templates(struct MHD_Connection *conn, req *r, const auth_result *a)
{
    params p = {0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query_arg, &p);
    emu_errors errs;
    emu_errors_init(&errs);
    const char *type = NULL;
    for (size_t i = 0; i < p.n; i++) {
        if (!strcmp(p.items[i].key, "type")) {
            if (type)
                continue;
            type = p.items[i].value;
            if (strcmp(type, "sms") && strcmp(type, "email") && strcmp(type, "letter"))
                emu_errors_add(&errs, "ValidationError",
                               "type %s is not one of [sms, email, letter]", type);
        } else {
            emu_errors_add(&errs, "ValidationError",
                           "Additional properties are not allowed (%s was unexpected)",
                           p.items[i].key);
        }
    }
    if (errs.n) {
        free(p.items);
        respond_errors(r, &errs);
        return;
    }
    emu_errors_free(&errs);
    json_t *list = json_array();
    for (size_t i = 0; list && i < a->svc->n_templates; i++) {
        const emu_template *t = &a->svc->templates[i];
        if (t->archived || (type && strcmp(type, t->type)))
            continue;
        if (json_array_append_new(list, template_json(t, t->version))) {
            json_decref(list);
            list = NULL;
        }
    }
    free(p.items);
    respond_json(r, 200, list ? json_pack("{s:o}", "templates", list) : NULL);
}

/* POST /v2/template/{id}/preview (§3.3). */
static void preview_template(req *r, const auth_result *a, const char *id)
{
    char canonical[37];
    if (emu_uuid_normalise(id, canonical)) {
        respond_error(r, 400, "ValidationError", "id is not a valid UUID");
        return;
    }
    if (r->too_big) {
        respond_error(r, 413, "BadRequestError", "Request entity too large");
        return;
    }
    /* Notify's preview takes an empty body as {} (no placeholders to fill). */
    json_t *body = r->body.len ? emu_parse_body(r->body.data, r->body.len) : json_object();
    if (!body) {
        respond_error(r, 400, "BadRequestError", "Invalid JSON supplied in POST data");
        return;
    }
    json_t *pers = json_object_get(body, "personalisation");
    if (!emu_is_object(body) || (pers && !emu_is_object(pers))) {
        respond_error(r, 400, "ValidationError", "personalisation is not of type object");
        json_decref(body);
        return;
    }
    const emu_template *t = emu_service_template(a->svc, canonical);
    if (!t) {
        respond_error(r, 404, "NoResultFound", "No result found");
        json_decref(body);
        return;
    }
    char *subject = NULL, *text = NULL;
    if (!render_template(r, t, pers, &subject, &text)) {
        int email = !strcmp(t->type, "email");
        respond_json(r, 200,
                     json_pack("{s:s,s:n,s:s,s:n,s:s?,s:s,s:i}", "body", text, "html", "id", t->id,
                               "postage", "subject", email ? subject : NULL, "type", t->type,
                               "version", t->version));
        free(subject);
        free(text);
    }
    json_decref(body);
}

/* ---------------------------------------------------------- control API */

/* GET /_emulator/notifications: every stored notification, newest first. */
static void control_notifications(emu_server *s, req *r, const char *root)
{
    json_t *list = json_array();
    emu_store_lock(&s->store);
    for (emu_notification *n = s->store.newest; list && n; n = n->older) {
        json_t *o = notification_json(n, root);
        if (o) {
            json_object_set_new(o, "key_type", json_string(emu_key_type_name(n->key_type)));
            json_object_set_new(o, "service_id", json_string(s->cfg.services[n->service_index].id));
        }
        if (!o || json_array_append_new(list, o)) {
            json_decref(list);
            list = NULL;
        }
    }
    emu_store_unlock(&s->store);
    respond_json(r, 200, list ? json_pack("{s:o}", "notifications", list) : NULL);
}

/* Resets stats, limits and counters (not the configuration or faults). */
static size_t clear_all(emu_server *s)
{
    size_t n = emu_store_clear(&s->store);
    emu_callbacks_clear(s->callbacks);
    pthread_mutex_lock(&s->stats_lock);
    json_object_clear(s->requests);
    json_object_clear(s->fault_counts);
    pthread_mutex_unlock(&s->stats_lock);
    double now = (double)emu_now_us() / 1e6;
    for (size_t i = 0; i < s->cfg.n_services; i++) {
        svc_state *st = &s->svc[i];
        pthread_mutex_lock(&st->lock);
        for (int k = 0; k < 3; k++)
            emu_bucket_init(&st->buckets[k], s->cfg.services[i].rate_limit, 0, now);
        st->daily = 0;
        pthread_mutex_unlock(&st->lock);
    }
    return n;
}

/* POST /_emulator/notifications/<id>/status: forces a status. */
static void control_force_status(emu_server *s, req *r, const char *id, const char *root)
{
    json_t *body = emu_parse_body(r->body.data ? r->body.data : "", r->body.len);
    const char *name = json_string_value(json_object_get(body, "status"));
    int status = emu_status_from_name(name);
    if (!body || status < 0) {
        json_decref(body);
        respond_error(r, 400, "ValidationError",
                      "status must be one of created, sending, delivered, permanent-failure, "
                      "temporary-failure, technical-failure");
        return;
    }
    json_decref(body);
    if (emu_store_force_status(&s->store, id, status, on_final_status, s)) {
        respond_error(r, 404, "NoResultFound", "No result found");
        return;
    }
    emu_store_lock(&s->store);
    emu_notification *n = emu_store_get_locked(&s->store, id);
    json_t *o = n ? notification_json(n, root) : NULL;
    emu_store_unlock(&s->store);
    respond_json(r, 200, o);
}

/* GET /_emulator/stats. */
static void control_stats(emu_server *s, req *r)
{
    emu_callback_stats cs = emu_callbacks_get_stats(s->callbacks);
    pthread_mutex_lock(&s->stats_lock);
    json_t *requests = json_deep_copy(s->requests);
    json_t *faults = json_deep_copy(s->fault_counts);
    pthread_mutex_unlock(&s->stats_lock);
    emu_store_lock(&s->store);
    size_t stored = s->store.count, bytes = s->store.bytes;
    uint64_t total = s->store.total_stored;
    emu_store_unlock(&s->store);
    respond_json(r, 200,
                 json_pack("{s:o*,s:I,s:I,s:I,s:o*,s:o*,s:{s:I,s:I,s:I,s:I,s:I}}", "requests",
                           requests, "stored", (json_int_t)stored, "stored_total",
                           (json_int_t)total, "stored_bytes", (json_int_t)bytes, "references",
                           emu_store_references_json(&s->store), "faults", faults, "callbacks",
                           "queued", (json_int_t)cs.queued, "attempts", (json_int_t)cs.attempts,
                           "succeeded", (json_int_t)cs.succeeded, "retried", (json_int_t)cs.retried,
                           "failed", (json_int_t)cs.failed));
}

/* The current fault settings as a new JSON object (caller owns), or NULL. */
static json_t *faults_json(emu_server *s)
{
    pthread_mutex_lock(&s->fault_lock);
    json_t *o = emu_faults_to_json(&s->faults);
    pthread_mutex_unlock(&s->fault_lock);
    return o;
}

/* PUT /_emulator/faults: merges the settings given; a refuse_connections_ms
 * above 0 asks the timer thread to close the listening socket. */
static void control_put_faults(emu_server *s, req *r)
{
    json_t *body =
        r->too_big ? NULL : json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
    if (!body) {
        respond_error(r, 400, "BadRequestError", "Invalid JSON supplied in PUT data");
        return;
    }
    emu_errors errs;
    emu_errors_init(&errs);
    pthread_mutex_lock(&s->fault_lock);
    int rc = emu_faults_apply_json(&s->faults, body, &errs);
    if (!rc && json_object_get(body, "seed"))
        emu_rng_seed(&s->rng, (uint64_t)s->faults.seed);
    double refuse = s->faults.refuse_connections_ms;
    pthread_mutex_unlock(&s->fault_lock);
    if (rc) {
        json_decref(body);
        respond_errors(r, &errs);
        return;
    }
    emu_errors_free(&errs);
    if (json_object_get(body, "refuse_connections_ms") && refuse > 0) {
        pthread_mutex_lock(&s->timer_lock);
        s->refuse_request_ms = refuse;
        pthread_cond_signal(&s->timer_cond);
        pthread_mutex_unlock(&s->timer_lock);
    }
    json_decref(body);
    respond_json(r, 200, faults_json(s));
}

#define WEB_ROWS 500

/* The CSS class of a status on the web page: its colour (GOV.UK tag
 * colours: grey created, blue sending, green delivered, red failures). */
static const char *status_class(int status)
{
    switch (status) {
    case EMU_STATUS_CREATED:
        return "st-created";
    case EMU_STATUS_SENDING:
        return "st-sending";
    case EMU_STATUS_DELIVERED:
        return "st-delivered";
    default:
        return "st-failed";
    }
}

/* The web page at /: the WEB_ROWS newest notifications, newest first, and a
 * line saying so when more are stored. */
static void web_page(emu_server *s, req *r)
{
    emu_buf b;
    emu_buf_init(&b);
    emu_buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta http-equiv=\"refresh\" content=\"2\">"
                     "<title>GOV.UK Notify emulator</title><style>"
                     "body{font-family:Arial,sans-serif;margin:1.5em;color:#0b0c0c}"
                     "table{border-collapse:collapse;width:100%}"
                     "td,th{border-bottom:1px solid #b1b4b6;padding:.4em;text-align:left;"
                     "vertical-align:top}"
                     "pre{white-space:pre-wrap;margin:0;font-family:inherit}"
                     ".msg{min-width:20em}.status{font-weight:bold}"
                     ".status span{display:inline-block;padding:.1em .4em}"
                     ".st-created span{background:#f3f2f1;color:#383f43}"
                     ".st-sending span{background:#d2e2f1;color:#0c2d4a}"
                     ".st-delivered span{background:#cce2d8;color:#005a30}"
                     ".st-failed span{background:#f4cdc6;color:#942514}"
                     ".truncated{font-weight:bold;color:#505a5f}"
                     ".small{font-size:.8em;color:#505a5f}"
                     ".id{font-family:monospace;font-size:.75em}</style></head><body>"
                     "<h1>GOV.UK Notify emulator</h1>");
    emu_store_lock(&s->store);
    emu_buf_addf(&b, "<p>%zu notifications stored, newest first. This page refreshes itself.</p>",
                 s->store.count);
    if (s->store.count > WEB_ROWS)
        emu_buf_addf(&b,
                     "<p class=\"truncated\">Showing only the newest %d of %zu notifications; "
                     "GET /_emulator/notifications returns them all.</p>",
                     WEB_ROWS, s->store.count);
    emu_buf_adds(&b, "<table><thead><tr><th>Recipient</th><th>Subject and body</th>"
                     "<th>Status</th><th>Reference</th><th>Key type</th><th>Created</th>"
                     "<th>Sent</th><th>Completed</th><th>Id</th></tr></thead><tbody>");
    int shown = 0;
    for (emu_notification *n = s->store.newest; n && shown < WEB_ROWS; n = n->older, shown++) {
        char created[32], sent[32], updated[32];
        emu_iso_time(n->created_us, created);
        emu_iso_time(n->sent_us, sent);
        emu_iso_time(n->updated_us, updated);
        emu_buf_adds(&b, "<tr><td>");
        emu_buf_add_html(&b, n->email_address);
        emu_buf_adds(&b, "</td><td class=\"msg\"><strong>");
        emu_buf_add_html(&b, n->subject);
        emu_buf_adds(&b, "</strong><pre>");
        emu_buf_add_html(&b, n->body);
        emu_buf_addf(&b, "</pre></td><td class=\"status %s\"><span>%s</span></td><td>",
                     status_class(n->status), emu_status_name(n->status));
        emu_buf_add_html(&b, n->reference ? n->reference : "");
        emu_buf_addf(&b,
                     "</td><td>%s</td><td class=\"small\">%s</td><td class=\"small\">%s</td>"
                     "<td class=\"small\">%s</td><td class=\"id\">%s</td></tr>",
                     emu_key_type_name(n->key_type), created, n->sent_us ? sent : "",
                     n->status >= EMU_STATUS_DELIVERED ? updated : "", n->id);
    }
    emu_store_unlock(&s->store);
    emu_buf_adds(&b, "</tbody></table></body></html>\n");
    size_t len = 0;
    char *html = emu_buf_take(&b, &len);
    respond_raw(r, 200, html, len, "text/html; charset=utf-8");
}

/* ------------------------------------------------------------- routing */

/* Splits path into at most max segments after a leading '/'. Segments
 * point into buf. Returns the count, or -1 when there are more or one is
 * empty. */
static int split_path(const char *path, char *buf, size_t bufsize, char **seg, int max)
{
    snprintf(buf, bufsize, "%s", path);
    int n = 0;
    char *p = buf;
    if (*p == '/')
        p++;
    if (!*p)
        return 0;
    for (;;) {
        if (n == max)
            return -1;
        seg[n++] = p;
        char *slash = strchr(p, '/');
        if (slash == p || (!slash && !*p))
            return -1; /* an empty segment ("//" or a trailing "/") matches no route */
        if (!slash)
            break;
        *slash = '\0';
        p = slash + 1;
    }
    return n;
}

typedef struct rolls {
    int64_t delay_us;
    int error_5xx, error_429, drop, stall;
} rolls;

/* Draws this request's faults (fixed order, so a seed replays). */
static rolls roll_faults(emu_server *s)
{
    rolls o = {0};
    pthread_mutex_lock(&s->fault_lock);
    emu_faults f = s->faults;
    double j = emu_rng_next(&s->rng), e5 = emu_rng_next(&s->rng), e4 = emu_rng_next(&s->rng),
           d = emu_rng_next(&s->rng), st = emu_rng_next(&s->rng);
    pthread_mutex_unlock(&s->fault_lock);
    o.delay_us = (int64_t)((f.latency_ms + f.jitter_ms * j) * 1000.0);
    o.error_5xx = e5 < f.error_5xx_rate;
    o.error_429 = e4 < f.error_429_rate;
    o.drop = d < f.drop_after_store_rate;
    o.stall = st < f.stall_rate;
    if (o.stall)
        o.delay_us += (int64_t)(f.stall_ms * 1000.0);
    return o;
}

/* Handles a /v2/ request. */
static void route_v2(emu_server *s, struct MHD_Connection *conn, req *r, const char *method,
                     char **seg, int nseg, const char *root)
{
    char route[96];
    int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int is_post = !strcmp(method, "POST");
    enum {
        R_NONE,
        R_EMAIL,
        R_SMS,
        R_LETTER,
        R_LIST,
        R_ONE,
        R_TEMPLATE,
        R_VERSION,
        R_TEMPLATES,
        R_PREVIEW
    } kind = R_NONE;
    int method_ok = 0;
    long version = -1;
    if (nseg == 2 && !strcmp(seg[1], "notifications")) {
        kind = R_LIST, method_ok = is_get;
    } else if (nseg == 3 && !strcmp(seg[1], "notifications") &&
               (!strcmp(seg[2], "email") || !strcmp(seg[2], "sms") || !strcmp(seg[2], "letter"))) {
        kind = seg[2][0] == 'e' ? R_EMAIL : seg[2][0] == 's' ? R_SMS : R_LETTER;
        method_ok = is_post;
        /* GET /v2/notifications/email is the by-id route with a bad UUID */
        if (is_get)
            kind = R_ONE, method_ok = 1;
    } else if (nseg == 3 && !strcmp(seg[1], "notifications")) {
        kind = R_ONE, method_ok = is_get;
    } else if (nseg == 2 && !strcmp(seg[1], "templates")) {
        kind = R_TEMPLATES, method_ok = is_get;
    } else if (nseg == 3 && !strcmp(seg[1], "template")) {
        kind = R_TEMPLATE, method_ok = is_get;
    } else if (nseg == 5 && !strcmp(seg[1], "template") && !strcmp(seg[3], "version") &&
               !emu_parse_long(seg[4], 0, 1000000000L, &version)) {
        kind = R_VERSION, method_ok = is_get;
    } else if (nseg == 4 && !strcmp(seg[1], "template") && !strcmp(seg[3], "preview")) {
        kind = R_PREVIEW, method_ok = is_post;
    }
    /* Flask answers OPTIONS on every route, after the v2 auth hook. */
    int options = kind != R_NONE && !strcmp(method, "OPTIONS");
    if (options)
        method_ok = 1;
    static const char *const names[] = {"",
                                        "POST /v2/notifications/email",
                                        "POST /v2/notifications/sms",
                                        "POST /v2/notifications/letter",
                                        "GET /v2/notifications",
                                        "GET /v2/notifications/{id}",
                                        "GET /v2/template/{id}",
                                        "GET /v2/template/{id}/version/{version}",
                                        "GET /v2/templates",
                                        "POST /v2/template/{id}/preview"};
    if (kind == R_NONE) {
        respond_legacy(r, 404, MSG_404);
        record_unknown(s, r, method);
        return;
    }
    if (!method_ok) {
        respond_legacy(r, 405, MSG_405);
        snprintf(route, sizeof(route), "%.16s %s", method,
                 names[kind] + (names[kind][0] == 'G' ? 4 : 5));
        record(s, r, route);
        return;
    }
    rolls f = roll_faults(s);
    auth_result a = {0};
    if (f.error_5xx) {
        fault_count(s, "error_5xx");
        respond_error(r, 500, "Exception", "Internal server error");
    } else if (authenticate(s, conn, r, &a)) {
        /* response set */
    } else if (f.error_429) {
        char msg[160];
        fault_count(s, "error_429");
        snprintf(msg, sizeof(msg),
                 "Exceeded rate limit for key type %s of %d requests per 60 seconds",
                 key_type_upper(a.key_type), a.svc->rate_limit);
        respond_error(r, 429, "RateLimitError", msg);
    } else if (options) {
        /* The methods of every rule matching this path, as Flask lists them. */
        const char *allow = kind == R_EMAIL || kind == R_SMS || kind == R_LETTER
                                ? "GET, HEAD, OPTIONS, POST"
                            : kind == R_PREVIEW ? "OPTIONS, POST"
                                                : "GET, HEAD, OPTIONS";
        respond_raw(r, 200, emu_strdup(""), 0, "text/html; charset=utf-8");
        if (r->resp)
            MHD_add_response_header(r->resp, "Allow", allow);
    } else {
        switch (kind) {
        case R_EMAIL:
            post_email(s, conn, r, &a, root);
            break;
        case R_SMS:
            if (!check_limits(s, r, &a, 0, NULL))
                respond_error(r, 400, "BadRequestError",
                              "Service is not allowed to send text messages");
            break;
        case R_LETTER:
            if (!check_limits(s, r, &a, 0, NULL))
                respond_error(r, 400, "BadRequestError", "Service is not allowed to send letters");
            break;
        case R_LIST:
            list_notifications(s, conn, r, &a, root);
            break;
        case R_ONE:
            get_notification(s, r, &a, seg[2], root);
            break;
        case R_TEMPLATE:
            get_template(r, &a, seg[2], -1);
            break;
        case R_VERSION:
            get_template(r, &a, seg[2], version);
            break;
        case R_TEMPLATES:
            list_templates(conn, r, &a);
            break;
        case R_PREVIEW:
            preview_template(r, &a, seg[2]);
            break;
        default:
            break;
        }
    }
    r->delay_us = f.delay_us;
    if (f.drop) {
        r->drop = 1;
        fault_count(s, "dropped");
    } else if (f.stall) {
        fault_count(s, "stalled");
    }
    if (options) {
        snprintf(route, sizeof(route), "OPTIONS %s", strchr(names[kind], ' ') + 1);
        record(s, r, route);
    } else {
        record(s, r, names[kind]);
    }
}

/* Handles a /_emulator/ request. */
static void route_control(emu_server *s, req *r, const char *method, char **seg, int nseg,
                          const char *root)
{
    const char *route = NULL;
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (nseg == 2 && !strcmp(seg[1], "notifications")) {
        if (get) {
            route = "GET /_emulator/notifications";
            control_notifications(s, r, root);
        } else if (!strcmp(method, "DELETE")) {
            route = "DELETE /_emulator/notifications";
            size_t n = clear_all(s);
            respond_json(r, 200, json_pack("{s:I}", "cleared", (json_int_t)n));
        }
    } else if (nseg == 4 && !strcmp(seg[1], "notifications") && !strcmp(seg[3], "status")) {
        if (!strcmp(method, "POST")) {
            route = "POST /_emulator/notifications/{id}/status";
            control_force_status(s, r, seg[2], root);
        }
    } else if (nseg == 2 && !strcmp(seg[1], "stats")) {
        if (get) {
            control_stats(s, r);
            return; /* not counted: reading stats must not change them */
        }
    } else if (nseg == 2 && !strcmp(seg[1], "faults")) {
        if (get) {
            route = "GET /_emulator/faults";
            respond_json(r, 200, faults_json(s));
        } else if (!strcmp(method, "PUT")) {
            route = "PUT /_emulator/faults";
            control_put_faults(s, r);
        }
    } else if (nseg == 2 && !strcmp(seg[1], "config")) {
        if (get) {
            route = "GET /_emulator/config";
            json_t *c = emu_config_to_json(&s->cfg);
            if (c)
                json_object_set_new(c, "port", json_integer(s->port));
            respond_json(r, 200, c);
        }
    } else {
        respond_legacy(r, 404, MSG_404);
        record_unknown(s, r, method);
        return;
    }
    if (!route) {
        char name[64];
        respond_legacy(r, 405, MSG_405);
        snprintf(name, sizeof(name), "%.16s /_emulator/%.32s", method, seg[1]);
        record(s, r, name);
        return;
    }
    record(s, r, route);
}

/* Decides the response for a complete request. */
static void handle(emu_server *s, struct MHD_Connection *conn, req *r, const char *url,
                   const char *method)
{
    char buf[1024];
    char *seg[8];
    int nseg = split_path(url, buf, sizeof(buf), seg, 8);
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    if (!emu_host_allowed(host, s->bound_host) || !emu_origin_allowed(origin, s->bound_host)) {
        /* DNS rebinding or a cross-site request: answer nothing of substance. */
        respond_legacy(r, 403,
                       "The Notify emulator answers only requests for localhost, 127.0.0.0/8 "
                       "and [::1] (Host and Origin headers), or for the address given with "
                       "--host.");
        record(s, r, "rejected (Host or Origin)");
        return;
    }
    char *root = emu_url_root(host, s->bound_host, s->port);
    if (!root) {
        respond_json(r, 500, NULL);
        return;
    }
    if (strlen(url) >= sizeof(buf) - 1 || nseg < 0) {
        respond_legacy(r, 404, MSG_404);
        record_unknown(s, r, method);
    } else if (nseg == 0) {
        if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
            web_page(s, r);
        else
            respond_legacy(r, 405, MSG_405);
        record(s, r, "GET /");
    } else if (!strcmp(seg[0], "v2")) {
        r->cors = 1;
        route_v2(s, conn, r, method, seg, nseg, root);
    } else if (!strcmp(seg[0], "_emulator")) {
        route_control(s, r, method, seg, nseg, root);
    } else {
        respond_legacy(r, 404, MSG_404);
        record_unknown(s, r, method);
    }
    free(root);
}

/* ------------------------------------------------ libmicrohttpd plumbing */

/* Min-heap on due time. */
static void heap_push(emu_server *s, timer_entry e)
{
    if (s->nheap == s->capheap) {
        size_t cap = s->capheap ? s->capheap * 2 : 64;
        timer_entry *h = realloc(s->heap, cap * sizeof(*h));
        if (!h)
            return;
        s->heap = h;
        s->capheap = cap;
    }
    size_t i = s->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (s->heap[p].due_us <= e.due_us)
            break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = e;
}

/* Removes and returns the earliest entry (the heap is not empty). */
static timer_entry heap_pop(emu_server *s)
{
    timer_entry top = s->heap[0], last = s->heap[--s->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->nheap)
            break;
        if (c + 1 < s->nheap && s->heap[c + 1].due_us < s->heap[c].due_us)
            c++;
        if (last.due_us <= s->heap[c].due_us)
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->nheap)
        s->heap[i] = last;
    return top;
}

/* Queues r's response (or drops the connection). */
static enum MHD_Result finish(struct MHD_Connection *conn, req *r)
{
    if (r->drop || !r->resp)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(conn, r->status, r->resp);
    MHD_destroy_response(r->resp);
    r->resp = NULL;
    return ret;
}

/* libmicrohttpd's access handler: called once with the headers, then per
 * body chunk, then once more to answer (and again after a resume). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    emu_server *s = cls;
    req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r)
            return MHD_NO;
        emu_buf_init(&r->body);
        *con_cls = r;
        return MHD_YES;
    }
    if (r->waiting)
        return finish(conn, r);
    if (*upload_size) {
        if (r->too_big || r->body.len + *upload_size > MAX_BODY) {
            r->too_big = 1;
        } else {
            emu_buf_add(&r->body, upload_data, *upload_size);
            if (r->body.oom)
                r->too_big = 1;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    handle(s, conn, r, url, method);
    if (r->delay_us > 0) {
        pthread_mutex_lock(&s->timer_lock);
        /* Only the running daemon's connections are suspended: one being
         * stopped (refused connections) answers at once instead. */
        if (s->daemon && !s->daemon_stopping && !s->stop) {
            MHD_suspend_connection(conn);
            r->waiting = 1;
            heap_push(s, (timer_entry){emu_mono_us() + r->delay_us, conn});
            pthread_cond_signal(&s->timer_cond);
            pthread_mutex_unlock(&s->timer_lock);
            return MHD_YES;
        }
        pthread_mutex_unlock(&s->timer_lock);
    }
    return finish(conn, r);
}

/* Frees the per-request state once libmicrohttpd is done with a request. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    req *r = *con_cls;
    if (!r)
        return;
    if (r->resp)
        MHD_destroy_response(r->resp);
    emu_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

/* Starts a daemon on host:port. Returns it or NULL (errno-style message in
 * errs when errs is given). */
static struct MHD_Daemon *start_daemon(emu_server *s, int port, emu_errors *errs)
{
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    int rc = getaddrinfo(s->cfg.host, portstr, &hints, &ai);
    if (rc || !ai) {
        if (errs)
            emu_errors_add(errs, "StartError", "--host %s: %s", s->cfg.host, gai_strerror(rc));
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->cfg.threads, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)8192, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    int err = errno;
    freeaddrinfo(ai);
    if (!d && errs)
        emu_errors_add(errs, "StartError", "cannot listen on %s port %d: %s", s->cfg.host, port,
                       strerror(err));
    return d;
}

/* The timer thread: resumes suspended connections when due, and closes
 * and re-opens the listening socket for refuse_connections_ms. */
static void *timer_main(void *arg)
{
    emu_server *s = arg;
    pthread_mutex_lock(&s->timer_lock);
    while (!s->stop) {
        int64_t now = emu_mono_us();
        while (s->nheap && s->heap[0].due_us <= now) {
            timer_entry e = heap_pop(s);
            MHD_resume_connection(e.conn);
        }
        if (s->refuse_request_ms > 0 && !s->refusing) {
            double ms = s->refuse_request_ms;
            s->refuse_request_ms = 0;
            struct MHD_Daemon *old = s->daemon;
            s->daemon_stopping = 1;
            while (s->nheap)
                MHD_resume_connection(heap_pop(s).conn);
            pthread_mutex_unlock(&s->timer_lock);
            if (old) {
                MHD_socket fd = MHD_quiesce_daemon(old);
                if (fd != MHD_INVALID_SOCKET)
                    close(fd);
                struct timespec ts = {0, 100 * 1000 * 1000}; /* let replies in progress go */
                nanosleep(&ts, NULL);
                MHD_stop_daemon(old);
            }
            fault_count(s, "refused_periods");
            pthread_mutex_lock(&s->timer_lock);
            s->daemon = NULL;
            s->refusing = 1;
            s->refuse_until_us = emu_mono_us() + (int64_t)(ms * 1000.0);
            continue;
        }
        if (s->refusing && now >= s->refuse_until_us) {
            pthread_mutex_unlock(&s->timer_lock);
            struct MHD_Daemon *d = start_daemon(s, s->port, NULL);
            pthread_mutex_lock(&s->timer_lock);
            if (d) {
                s->daemon = d;
                s->daemon_stopping = 0;
                s->refusing = 0;
            } else {
                s->refuse_until_us = now + 100000; /* the port is busy: try again */
            }
            continue;
        }
        int64_t wake = now + 1000000;
        if (s->nheap && s->heap[0].due_us < wake)
            wake = s->heap[0].due_us;
        if (s->refusing && s->refuse_until_us < wake)
            wake = s->refuse_until_us;
        if (s->refuse_request_ms > 0)
            wake = now;
        if (wake > now) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t abs_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + (wake - now) * 1000;
            ts.tv_sec = (time_t)(abs_ns / 1000000000LL);
            ts.tv_nsec = (long)(abs_ns % 1000000000LL);
            pthread_cond_timedwait(&s->timer_cond, &s->timer_lock, &ts);
        }
    }
    pthread_mutex_unlock(&s->timer_lock);
    return NULL;
}

/* The lifecycle thread: advances statuses every 20 ms. */
static void *life_main(void *arg)
{
    emu_server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->timer_lock);
        int stop = s->stop;
        pthread_mutex_unlock(&s->timer_lock);
        if (stop)
            break;
        emu_store_tick(&s->store, emu_now_us(), &s->lc, on_final_status, s);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* ------------------------------------------------------------ lifecycle */

emu_server *emu_server_create(emu_config *cfg)
{
    emu_server *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    s->lc.created_to_sending = (int64_t)s->cfg.created_to_sending_ms * 1000;
    s->lc.sending_to_final = (int64_t)s->cfg.sending_to_final_ms * 1000;
    s->lc.sending_timeout = (int64_t)s->cfg.sending_timeout_ms * 1000;
    s->lc.retention = (int64_t)s->cfg.retention_ms * 1000;
    s->faults = s->cfg.faults;
    emu_rng_seed(&s->rng, (uint64_t)s->faults.seed);
    s->svc = calloc(s->cfg.n_services ? s->cfg.n_services : 1, sizeof(*s->svc));
    s->requests = json_object();
    s->fault_counts = json_object();
    s->bound_host = emu_strdup(s->cfg.host);
    if (!s->svc || !s->requests || !s->fault_counts || !s->bound_host ||
        emu_store_init(&s->store)) {
        json_decref(s->requests);
        json_decref(s->fault_counts);
        free(s->svc);
        free(s->bound_host);
        emu_config_free(&s->cfg);
        free(s);
        return NULL;
    }
    double now = (double)emu_now_us() / 1e6;
    for (size_t i = 0; i < s->cfg.n_services; i++) {
        pthread_mutex_init(&s->svc[i].lock, NULL);
        for (int k = 0; k < 3; k++)
            emu_bucket_init(&s->svc[i].buckets[k], s->cfg.services[i].rate_limit, 0, now);
    }
    pthread_mutex_init(&s->fault_lock, NULL);
    pthread_mutex_init(&s->stats_lock, NULL);
    pthread_mutex_init(&s->timer_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->timer_cond, &ca);
    pthread_condattr_destroy(&ca);
    return s;
}

int emu_server_start(emu_server *s, emu_errors *errs)
{
    s->callbacks = emu_callbacks_start(s->cfg.callback_timeout_ms, s->cfg.callback_retry_delay_ms,
                                       s->cfg.callback_max_retries);
    if (!s->callbacks) {
        emu_errors_add(errs, "StartError", "cannot start the callback thread");
        return -1;
    }
    s->daemon = start_daemon(s, s->cfg.port, errs);
    if (!s->daemon)
        return -1;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : s->cfg.port;
    if (pthread_create(&s->timer_thread, NULL, timer_main, s)) {
        emu_errors_add(errs, "StartError", "cannot start the timer thread");
        return -1;
    }
    if (pthread_create(&s->life_thread, NULL, life_main, s)) {
        pthread_mutex_lock(&s->timer_lock);
        s->stop = 1;
        pthread_cond_signal(&s->timer_cond);
        pthread_mutex_unlock(&s->timer_lock);
        pthread_join(s->timer_thread, NULL);
        emu_errors_add(errs, "StartError", "cannot start the lifecycle thread");
        return -1;
    }
    s->threads_started = 1;
    pthread_mutex_lock(&s->fault_lock);
    double refuse = s->faults.refuse_connections_ms;
    pthread_mutex_unlock(&s->fault_lock);
    if (refuse > 0) {
        pthread_mutex_lock(&s->timer_lock);
        s->refuse_request_ms = refuse;
        pthread_cond_signal(&s->timer_cond);
        pthread_mutex_unlock(&s->timer_lock);
    }
    return 0;
}

int emu_server_port(const emu_server *s)
{
    return s->port;
}

const emu_config *emu_server_config(const emu_server *s)
{
    return &s->cfg;
}

void emu_server_destroy(emu_server *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->timer_lock);
    s->stop = 1;
    s->daemon_stopping = 1;
    while (s->nheap)
        MHD_resume_connection(heap_pop(s).conn);
    pthread_cond_signal(&s->timer_cond);
    pthread_mutex_unlock(&s->timer_lock);
    if (s->threads_started) {
        pthread_join(s->timer_thread, NULL);
        pthread_join(s->life_thread, NULL);
    }
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    emu_callbacks_stop(s->callbacks);
    emu_store_destroy(&s->store);
    for (size_t i = 0; i < s->cfg.n_services; i++)
        pthread_mutex_destroy(&s->svc[i].lock);
    free(s->svc);
    free(s->heap);
    free(s->bound_host);
    json_decref(s->requests);
    json_decref(s->fault_counts);
    pthread_mutex_destroy(&s->fault_lock);
    pthread_mutex_destroy(&s->stats_lock);
    pthread_mutex_destroy(&s->timer_lock);
    pthread_cond_destroy(&s->timer_cond);
    emu_config_free(&s->cfg);
    free(s);
}
