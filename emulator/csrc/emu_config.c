/* Configuration: defaults, JSON loading and dumping (see emu_config.h). */
#include "emu_config.h"
#include "emu_origin.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu_rules.h"
#include "emu_util.h"

const char *emu_key_type_name(int type)
{
    switch (type) {
    case EMU_KEY_TEAM: return "team";
    case EMU_KEY_TEST: return "test";
    default: return "normal";
    }
}

/* Releases the strings of v. */
static void strv_free(emu_strv *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i]);
    free(v->v);
    v->v = NULL;
    v->n = 0;
}

/* Appends a copy of s (lower-cased when lower). Returns 0 or -1 (OOM). */
static int strv_add(emu_strv *v, const char *s, int lower)
{
    char **nv = realloc(v->v, (v->n + 1) * sizeof(*nv));
    if (!nv)
        return -1;
    v->v = nv;
    char *c = emu_strdup(s);
    if (!c)
        return -1;
    if (lower)
        for (char *p = c; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    v->v[v->n++] = c;
    return 0;
}

int emu_strv_contains(const emu_strv *v, const char *addr)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i], addr) == 0)
            return 1;
    return 0;
}

/* Releases everything a service owns (not the struct itself). */
static void service_free(emu_service *s)
{
    free(s->name);
    free(s->email_sender_local_part);
    free(s->callback_url);
    free(s->callback_bearer_token);
    strv_free(&s->reply_to_ids);
    strv_free(&s->guest_list);
    strv_free(&s->team_members);
    for (size_t i = 0; i < s->n_keys; i++) {
        free(s->keys[i].name);
        free(s->keys[i].secret);
    }
    free(s->keys);
    for (size_t i = 0; i < s->n_templates; i++) {
        free(s->templates[i].name);
        free(s->templates[i].type);
        free(s->templates[i].subject);
        free(s->templates[i].body);
    }
    free(s->templates);
    memset(s, 0, sizeof(*s));
}

void emu_config_free(emu_config *c)
{
    free(c->host);
    free(c->email_domain);
    for (size_t i = 0; i < c->n_services; i++)
        service_free(&c->services[i]);
    free(c->services);
    memset(c, 0, sizeof(*c));
}

/* Adds a key to s. Returns 0 or -1 (OOM). */
static int add_key(emu_service *s, const char *name, int type, const char *secret, int revoked)
{
    emu_api_key *k = realloc(s->keys, (s->n_keys + 1) * sizeof(*k));
    if (!k)
        return -1;
    s->keys = k;
    k = &s->keys[s->n_keys];
    k->name = emu_strdup(name);
    k->secret = emu_strdup(secret);
    k->type = type;
    k->revoked = revoked;
    if (!k->name || !k->secret) {
        free(k->name);
        free(k->secret);
        return -1;
    }
    s->n_keys++;
    return 0;
}

/* Adds a template to s. Returns 0 or -1 (OOM). */
static int add_template(emu_service *s, const char *id, const char *name, const char *type,
                        const char *subject, const char *body, int version, int archived)
{
    emu_template *t = realloc(s->templates, (s->n_templates + 1) * sizeof(*t));
    if (!t)
        return -1;
    s->templates = t;
    t = &s->templates[s->n_templates];
    memset(t, 0, sizeof(*t));
    snprintf(t->id, sizeof(t->id), "%s", id);
    for (char *p = t->id; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    t->name = emu_strdup(name);
    t->type = emu_strdup(type);
    t->subject = emu_strdup(subject ? subject : "");
    t->body = emu_strdup(body);
    t->version = version;
    t->archived = archived;
    if (!t->name || !t->type || !t->subject || !t->body) {
        free(t->name);
        free(t->type);
        free(t->subject);
        free(t->body);
        return -1;
    }
    s->n_templates++;
    return 0;
}

int emu_config_defaults(emu_config *c)
{
    memset(c, 0, sizeof(*c));
    c->host = emu_strdup("127.0.0.1");
    c->email_domain = emu_strdup("notifications.service.gov.uk");
    c->port = 0;
    c->threads = 2;
    c->created_to_sending_ms = 500;
    c->sending_to_final_ms = 1500;
    c->sending_timeout_ms = 60000;
    c->retention_ms = 3600000;
    c->callback_retry_delay_ms = 1000;
    c->callback_max_retries = 5;
    c->token_leeway_s = 30;
    c->callback_timeout_ms = 5000;
    c->services = calloc(1, sizeof(emu_service));
    if (!c->host || !c->email_domain || !c->services)
        goto oom;
    c->n_services = 1;
    emu_service *s = &c->services[0];
    snprintf(s->id, sizeof(s->id), "%s", EMU_DEFAULT_SERVICE_ID);
    s->name = emu_strdup("Emulated service");
    s->email_sender_local_part = emu_strdup("emulated.service");
    s->active = 1;
    s->rate_limit = 3000;
    s->email_message_limit = 250000;
    if (!s->name || !s->email_sender_local_part)
        goto oom;
    if (strv_add(&s->reply_to_ids, EMU_DEFAULT_REPLY_TO_ID, 1) ||
        strv_add(&s->team_members, "team.member@example.com", 1) ||
        strv_add(&s->guest_list, "guest@example.com", 1))
        goto oom;
    if (add_key(s, "emulator_live", EMU_KEY_LIVE, EMU_DEFAULT_LIVE_SECRET, 0) ||
        add_key(s, "emulator_team", EMU_KEY_TEAM, EMU_DEFAULT_TEAM_SECRET, 0) ||
        add_key(s, "emulator_test", EMU_KEY_TEST, EMU_DEFAULT_TEST_SECRET, 0))
        goto oom;
    if (add_template(s, EMU_TEMPLATE_WELCOME, "Welcome", "email", "Hello ((name))",
                     "Dear ((name)),\n\nYour reference is ((reference_number)).\n\nThanks", 1, 0) ||
        add_template(s, EMU_TEMPLATE_CONDITIONAL, "Account reminder", "email",
                     "Your account",
                     "Hello ((name)),\n\n((has_account??You already have an account.))\n\nBye",
                     2, 0) ||
        add_template(s, EMU_TEMPLATE_LIST, "Shopping list", "email", "Your order",
                     "You ordered:\n\n((items))\n\nTotal: ((total))", 1, 0) ||
        add_template(s, EMU_TEMPLATE_PLAIN, "Plain", "email", "A plain message",
                     "This message has no placeholders.", 1, 0) ||
        add_template(s, EMU_TEMPLATE_ARCHIVED, "Old welcome", "email", "Old hello ((name))",
                     "This template has been deleted.", 3, 1) ||
        add_template(s, EMU_TEMPLATE_SMS, "Text message", "sms", NULL,
                     "Your code is ((code))", 1, 0) ||
        add_template(s, EMU_TEMPLATE_SUBJECT_BODY, "Subject and body", "email", "((subject))",
                     "((body))", 1, 0))
        goto oom;
    return 0;
oom:
    emu_config_free(c);
    return -1;
}

/* Field readers: each returns 0 (absent or valid, *out set when present)
 * or -1 after adding "<field> ..." to errs. */
static int get_str(json_t *o, const char *key, const char *field, char **out, emu_errors *errs)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (json_is_null(v)) {
        free(*out);
        *out = NULL;
        return 0;
    }
    if (!json_is_string(v)) {
        emu_errors_add(errs, "ConfigError", "%s must be a string", field);
        return -1;
    }
    char *c = emu_strdup(json_string_value(v));
    if (!c) {
        emu_errors_add(errs, "ConfigError", "out of memory reading %s", field);
        return -1;
    }
    free(*out);
    *out = c;
    return 0;
}

static int get_long(json_t *o, const char *key, const char *field, long min, long *out,
                    emu_errors *errs)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min) {
        emu_errors_add(errs, "ConfigError", "%s must be an integer >= %ld", field, min);
        return -1;
    }
    *out = (long)json_integer_value(v);
    return 0;
}

static int get_int(json_t *o, const char *key, const char *field, long min, int *out,
                   emu_errors *errs)
{
    long l = *out;
    if (get_long(o, key, field, min, &l, errs))
        return -1;
    if (l > 1000000000L) {
        emu_errors_add(errs, "ConfigError", "%s is too large", field);
        return -1;
    }
    *out = (int)l;
    return 0;
}

static int get_bool(json_t *o, const char *key, const char *field, int *out, emu_errors *errs)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v)) {
        emu_errors_add(errs, "ConfigError", "%s must be true or false", field);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

static int get_strv(json_t *o, const char *key, const char *field, emu_strv *out, int lower,
                    int uuids, emu_errors *errs)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_array(v)) {
        emu_errors_add(errs, "ConfigError", "%s must be a list of strings", field);
        return -1;
    }
    strv_free(out);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item) || (uuids && !emu_uuid_valid(json_string_value(item)))) {
            emu_errors_add(errs, "ConfigError", "%s[%zu] must be a %s", field, i,
                           uuids ? "UUID string" : "string");
            return -1;
        }
        if (strv_add(out, json_string_value(item), lower)) {
            emu_errors_add(errs, "ConfigError", "out of memory reading %s", field);
            return -1;
        }
    }
    return 0;
}

/* Reads one service object into s (already zeroed with defaults). */
static int load_service(emu_service *s, json_t *o, size_t idx, emu_errors *errs)
{
    char f[96];
    if (!json_is_object(o)) {
        emu_errors_add(errs, "ConfigError", "services[%zu] must be an object", idx);
        return -1;
    }
    json_t *id = json_object_get(o, "id");
    if (!json_is_string(id) || !emu_uuid_valid(json_string_value(id))) {
        emu_errors_add(errs, "ConfigError", "services[%zu].id must be a UUID string", idx);
        return -1;
    }
    snprintf(s->id, sizeof(s->id), "%s", json_string_value(id));
    for (char *p = s->id; *p; p++)
        *p = (char)tolower((unsigned char)*p);
#define FIELD(name) (snprintf(f, sizeof(f), "services[%zu].%s", idx, name), f)
    if (get_str(o, "name", FIELD("name"), &s->name, errs) ||
        get_bool(o, "restricted", FIELD("restricted"), &s->restricted, errs) ||
        get_bool(o, "active", FIELD("active"), &s->active, errs) ||
        get_int(o, "rate_limit", FIELD("rate_limit"), 0, &s->rate_limit, errs) ||
        get_long(o, "email_message_limit", FIELD("email_message_limit"), 0,
                 &s->email_message_limit, errs) ||
        get_str(o, "email_sender_local_part", FIELD("email_sender_local_part"),
                &s->email_sender_local_part, errs) ||
        get_strv(o, "email_reply_to_ids", FIELD("email_reply_to_ids"), &s->reply_to_ids, 1, 1,
                 errs) ||
        get_strv(o, "guest_list", FIELD("guest_list"), &s->guest_list, 1, 0, errs) ||
        get_strv(o, "team_members", FIELD("team_members"), &s->team_members, 1, 0, errs) ||
        get_str(o, "callback_url", FIELD("callback_url"), &s->callback_url, errs) ||
        get_str(o, "callback_bearer_token", FIELD("callback_bearer_token"),
                &s->callback_bearer_token, errs))
        return -1;
    if (s->callback_url && !emu_callback_url_allowed(s->callback_url)) {
        emu_errors_add(errs, "ConfigError", "%s must be an http:// or https:// URL",
                       FIELD("callback_url"));
        return -1;
    }
    if (s->callback_url && !s->callback_bearer_token) {
        emu_errors_add(errs, "ConfigError", "%s is required with a callback_url",
                       FIELD("callback_bearer_token"));
        return -1;
    }
    json_t *keys = json_object_get(o, "api_keys");
    if (keys && !json_is_array(keys)) {
        emu_errors_add(errs, "ConfigError", "%s must be a list", FIELD("api_keys"));
        return -1;
    }
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        snprintf(f, sizeof(f), "services[%zu].api_keys[%zu]", idx, i);
        json_t *name = json_object_get(k, "name"), *type = json_object_get(k, "type");
        json_t *secret = json_object_get(k, "secret"), *revoked = json_object_get(k, "revoked");
        int t = -1;
        const char *tn = json_string_value(type);
        if (tn && (!strcmp(tn, "live") || !strcmp(tn, "normal")))
            t = EMU_KEY_LIVE;
        else if (tn && !strcmp(tn, "team"))
            t = EMU_KEY_TEAM;
        else if (tn && !strcmp(tn, "test"))
            t = EMU_KEY_TEST;
        if (!json_is_object(k) || !json_is_string(name) || !*json_string_value(name)) {
            emu_errors_add(errs, "ConfigError", "%s.name must be a non-empty string", f);
            return -1;
        }
        if (t < 0) {
            emu_errors_add(errs, "ConfigError", "%s.type must be live, team or test", f);
            return -1;
        }
        if (!json_is_string(secret) || !emu_uuid_valid(json_string_value(secret))) {
            emu_errors_add(errs, "ConfigError", "%s.secret must be a UUID string", f);
            return -1;
        }
        if (revoked && !json_is_boolean(revoked)) {
            emu_errors_add(errs, "ConfigError", "%s.revoked must be true or false", f);
            return -1;
        }
        if (add_key(s, json_string_value(name), t, json_string_value(secret),
                    json_is_true(revoked))) {
            emu_errors_add(errs, "ConfigError", "out of memory");
            return -1;
        }
    }
    json_t *tmpls = json_object_get(o, "templates");
    if (tmpls && !json_is_array(tmpls)) {
        emu_errors_add(errs, "ConfigError", "%s must be a list", FIELD("templates"));
        return -1;
    }
    json_array_foreach(tmpls, i, k) {
        snprintf(f, sizeof(f), "services[%zu].templates[%zu]", idx, i);
        json_t *tid = json_object_get(k, "id"), *body = json_object_get(k, "body");
        json_t *type = json_object_get(k, "type"), *subject = json_object_get(k, "subject");
        json_t *name = json_object_get(k, "name"), *version = json_object_get(k, "version");
        json_t *archived = json_object_get(k, "archived");
        const char *tn = type ? json_string_value(type) : "email";
        if (!json_is_object(k) || !json_is_string(tid) || !emu_uuid_valid(json_string_value(tid))) {
            emu_errors_add(errs, "ConfigError", "%s.id must be a UUID string", f);
            return -1;
        }
        if (!tn || (strcmp(tn, "email") && strcmp(tn, "sms") && strcmp(tn, "letter"))) {
            emu_errors_add(errs, "ConfigError", "%s.type must be email, sms or letter", f);
            return -1;
        }
        if (!json_is_string(body)) {
            emu_errors_add(errs, "ConfigError", "%s.body must be a string", f);
            return -1;
        }
        if (subject && !json_is_string(subject)) {
            emu_errors_add(errs, "ConfigError", "%s.subject must be a string", f);
            return -1;
        }
        if (name && !json_is_string(name)) {
            emu_errors_add(errs, "ConfigError", "%s.name must be a string", f);
            return -1;
        }
        if (version && (!json_is_integer(version) || json_integer_value(version) < 1 ||
                        json_integer_value(version) > 1000000)) {
            emu_errors_add(errs, "ConfigError", "%s.version must be a positive integer", f);
            return -1;
        }
        if (archived && !json_is_boolean(archived)) {
            emu_errors_add(errs, "ConfigError", "%s.archived must be true or false", f);
            return -1;
        }
        if (add_template(s, json_string_value(tid), name ? json_string_value(name) : "Template",
                         tn, subject ? json_string_value(subject) : "", json_string_value(body),
                         version ? (int)json_integer_value(version) : 1, json_is_true(archived))) {
            emu_errors_add(errs, "ConfigError", "out of memory");
            return -1;
        }
    }
#undef FIELD
    return 0;
}

int emu_faults_apply_json(emu_faults *f, json_t *obj, emu_errors *errs)
{
    if (!json_is_object(obj)) {
        emu_errors_add(errs, "ValidationError", "faults must be a JSON object");
        return -1;
    }
    static const struct {
        const char *name;
        size_t off;
        int is_rate;
    } fields[] = {
        {"latency_ms", offsetof(emu_faults, latency_ms), 0},
        {"jitter_ms", offsetof(emu_faults, jitter_ms), 0},
        {"error_5xx_rate", offsetof(emu_faults, error_5xx_rate), 1},
        {"error_429_rate", offsetof(emu_faults, error_429_rate), 1},
        {"drop_after_store_rate", offsetof(emu_faults, drop_after_store_rate), 1},
        {"stall_rate", offsetof(emu_faults, stall_rate), 1},
        {"stall_ms", offsetof(emu_faults, stall_ms), 0},
        {"refuse_connections_ms", offsetof(emu_faults, refuse_connections_ms), 0},
    };
    emu_faults next = *f;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (!strcmp(key, "seed")) {
            if (!json_is_integer(v)) {
                emu_errors_add(errs, "ValidationError", "seed must be an integer");
                return -1;
            }
            next.seed = json_integer_value(v);
            continue;
        }
        size_t i;
        for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            if (!strcmp(key, fields[i].name))
                break;
        if (i == sizeof(fields) / sizeof(fields[0])) {
            emu_errors_add(errs, "ValidationError", "%s is not a fault setting", key);
            return -1;
        }
        double d = json_number_value(v);
        if (!json_is_number(v) || !isfinite(d) || d < 0 || (fields[i].is_rate && d > 1) ||
            (!fields[i].is_rate && d > 86400000.0)) {
            emu_errors_add(errs, "ValidationError", "%s must be a number %s", key,
                           fields[i].is_rate ? "from 0 to 1" : "of milliseconds from 0 to 86400000");
            return -1;
        }
        *(double *)((char *)&next + fields[i].off) = d;
    }
    *f = next;
    return 0;
}

json_t *emu_faults_to_json(const emu_faults *f)
{
    return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:I}", "latency_ms", f->latency_ms,
                     "jitter_ms", f->jitter_ms, "error_5xx_rate", f->error_5xx_rate,
                     "error_429_rate", f->error_429_rate, "drop_after_store_rate",
                     f->drop_after_store_rate, "stall_rate", f->stall_rate, "stall_ms",
                     f->stall_ms, "refuse_connections_ms", f->refuse_connections_ms, "seed",
                     (json_int_t)f->seed);
}

int emu_config_apply_json(emu_config *c, json_t *root, emu_errors *errs)
{
    if (!json_is_object(root)) {
        emu_errors_add(errs, "ConfigError", "the configuration must be a JSON object");
        return -1;
    }
    static const char *known[] = {"host", "port", "threads", "created_to_sending_ms",
                                  "sending_to_final_ms", "sending_timeout_ms", "retention_ms",
                                  "callback_retry_delay_ms", "callback_max_retries", "token_leeway_s",
                                  "callback_timeout_ms", "email_domain", "faults", "services"};
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        size_t i;
        for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            if (!strcmp(key, known[i]))
                break;
        if (i == sizeof(known) / sizeof(known[0])) {
            emu_errors_add(errs, "ConfigError", "%s is not a configuration setting", key);
            return -1;
        }
    }
    long port = c->port;
    if (get_str(root, "host", "host", &c->host, errs) ||
        get_long(root, "port", "port", 0, &port, errs) ||
        get_int(root, "threads", "threads", 1, &c->threads, errs) ||
        get_long(root, "created_to_sending_ms", "created_to_sending_ms", 0,
                 &c->created_to_sending_ms, errs) ||
        get_long(root, "sending_to_final_ms", "sending_to_final_ms", 0, &c->sending_to_final_ms,
                 errs) ||
        get_long(root, "sending_timeout_ms", "sending_timeout_ms", 1, &c->sending_timeout_ms,
                 errs) ||
        get_long(root, "retention_ms", "retention_ms", 0, &c->retention_ms, errs) ||
        get_long(root, "callback_retry_delay_ms", "callback_retry_delay_ms", 0,
                 &c->callback_retry_delay_ms, errs) ||
        get_int(root, "callback_max_retries", "callback_max_retries", 0,
                &c->callback_max_retries, errs) ||
        get_int(root, "token_leeway_s", "token_leeway_s", 0, &c->token_leeway_s, errs) ||
        get_long(root, "callback_timeout_ms", "callback_timeout_ms", 1, &c->callback_timeout_ms,
                 errs) ||
        get_str(root, "email_domain", "email_domain", &c->email_domain, errs))
        return -1;
    if (port > 65535) {
        emu_errors_add(errs, "ConfigError", "port must be from 0 to 65535");
        return -1;
    }
    c->port = (int)port;
    if (!c->host || !c->email_domain) {
        emu_errors_add(errs, "ConfigError", "host and email_domain must be strings");
        return -1;
    }
    json_t *faults = json_object_get(root, "faults");
    if (faults && emu_faults_apply_json(&c->faults, faults, errs))
        return -1;
    json_t *services = json_object_get(root, "services");
    if (!services)
        return 0;
    if (!json_is_array(services) || json_array_size(services) == 0) {
        emu_errors_add(errs, "ConfigError", "services must be a non-empty list");
        return -1;
    }
    size_t n = json_array_size(services);
    emu_service *ss = calloc(n, sizeof(*ss));
    if (!ss) {
        emu_errors_add(errs, "ConfigError", "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        ss[i].active = 1;
        ss[i].rate_limit = 3000;
        ss[i].email_message_limit = 250000;
        ss[i].name = emu_strdup("Service");
        ss[i].email_sender_local_part = emu_strdup("service");
        if (!ss[i].name || !ss[i].email_sender_local_part ||
            load_service(&ss[i], json_array_get(services, i), i, errs)) {
            if (!ss[i].name || !ss[i].email_sender_local_part)
                emu_errors_add(errs, "ConfigError", "out of memory");
            for (size_t j = 0; j <= i; j++)
                service_free(&ss[j]);
            free(ss);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(ss[j].id, ss[i].id)) {
                emu_errors_add(errs, "ConfigError", "services[%zu].id repeats services[%zu].id",
                               i, j);
                for (size_t k = 0; k <= i; k++)
                    service_free(&ss[k]);
                free(ss);
                return -1;
            }
    }
    for (size_t i = 0; i < c->n_services; i++)
        service_free(&c->services[i]);
    free(c->services);
    c->services = ss;
    c->n_services = n;
    return 0;
}

int emu_config_load_file(emu_config *c, const char *path, emu_errors *errs)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        emu_errors_add(errs, "ConfigError", "--config %s: %s (line %d)", path, jerr.text,
                       jerr.line);
        return -1;
    }
    int rc = emu_config_apply_json(c, root, errs);
    json_decref(root);
    return rc;
}

char *emu_api_key_string(const emu_service *s, const emu_api_key *k)
{
    emu_buf b;
    emu_buf_init(&b);
    emu_buf_addf(&b, "%s-%s-%s", k->name, s->id, k->secret);
    return emu_buf_take(&b, NULL);
}

/* A JSON array of the strings of v, or NULL on OOM. */
static json_t *strv_json(const emu_strv *v)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < v->n; i++)
        if (json_array_append_new(a, json_string(v->v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *emu_config_to_json(const emu_config *c)
{
    json_t *services = json_array();
    json_t *root = json_pack(
        "{s:s,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:I,s:s,s:o,s:o*}", "host", c->host, "port",
        c->port, "threads", c->threads, "created_to_sending_ms",
        (json_int_t)c->created_to_sending_ms, "sending_to_final_ms",
        (json_int_t)c->sending_to_final_ms, "sending_timeout_ms",
        (json_int_t)c->sending_timeout_ms, "retention_ms", (json_int_t)c->retention_ms,
        "callback_retry_delay_ms", (json_int_t)c->callback_retry_delay_ms,
        "callback_max_retries", c->callback_max_retries, "token_leeway_s", c->token_leeway_s,
        "callback_timeout_ms",
        (json_int_t)c->callback_timeout_ms, "email_domain", c->email_domain, "faults",
        emu_faults_to_json(&c->faults), "services", services);
    if (!root)
        return NULL;
    for (size_t i = 0; i < c->n_services; i++) {
        const emu_service *s = &c->services[i];
        json_t *keys = json_array(), *tmpls = json_array();
        json_t *so = json_pack(
            "{s:s,s:s,s:b,s:b,s:i,s:I,s:s,s:o*,s:o*,s:o*,s:s?,s:s?,s:o*,s:o*}", "id", s->id,
            "name", s->name, "restricted", s->restricted, "active", s->active, "rate_limit",
            s->rate_limit, "email_message_limit", (json_int_t)s->email_message_limit,
            "email_sender_local_part", s->email_sender_local_part, "email_reply_to_ids",
            strv_json(&s->reply_to_ids), "guest_list", strv_json(&s->guest_list),
            "team_members", strv_json(&s->team_members), "callback_url", s->callback_url,
            "callback_bearer_token", s->callback_bearer_token, "api_keys", keys, "templates",
            tmpls);
        if (!so || json_array_append_new(services, so))
            goto oom;
        for (size_t j = 0; j < s->n_keys; j++) {
            char *ks = emu_api_key_string(s, &s->keys[j]);
            json_t *ko = ks ? json_pack("{s:s,s:s,s:s,s:b,s:s}", "name", s->keys[j].name,
                                        "type",
                                        s->keys[j].type == EMU_KEY_LIVE
                                            ? "live"
                                            : emu_key_type_name(s->keys[j].type),
                                        "secret", s->keys[j].secret, "revoked",
                                        s->keys[j].revoked, "key", ks)
                            : NULL;
            free(ks);
            if (!ko || json_array_append_new(keys, ko))
                goto oom;
        }
        for (size_t j = 0; j < s->n_templates; j++) {
            const emu_template *t = &s->templates[j];
            json_t *to = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:b}", "id", t->id, "name",
                                   t->name, "type", t->type, "subject", t->subject, "body",
                                   t->body, "version", t->version, "archived", t->archived);
            if (!to || json_array_append_new(tmpls, to))
                goto oom;
        }
    }
    return root;
oom:
    json_decref(root);
    return NULL;
}

const emu_service *emu_config_service(const emu_config *c, const char *id)
{
    for (size_t i = 0; i < c->n_services; i++)
        if (!strcasecmp(c->services[i].id, id))
            return &c->services[i];
    return NULL;
}

const emu_template *emu_service_template(const emu_service *s, const char *id)
{
    for (size_t i = 0; i < s->n_templates; i++)
        if (!strcasecmp(s->templates[i].id, id))
            return &s->templates[i];
    return NULL;
}
