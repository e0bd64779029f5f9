/* The emulator's configuration: services, API keys, templates, timings and
 * faults. Built from defaults, a JSON file (--config) and flags; read-only
 * once the server runs, except the faults (see emu_server.h). */
#ifndef EMU_CONFIG_H
#define EMU_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_errors.h"

/* Key types, in Notify's names: "normal" (live), "team", "test". */
enum { EMU_KEY_LIVE = 0, EMU_KEY_TEAM = 1, EMU_KEY_TEST = 2 };

typedef struct emu_api_key {
    char *name;
    int type;     /* EMU_KEY_* */
    char *secret; /* the 36-character UUID text used as HMAC key */
    int revoked;
} emu_api_key;

typedef struct emu_template {
    char id[37];
    char *name;
    char *type; /* "email", "sms", "letter" */
    char *subject;
    char *body;
    int version;
    int archived;
} emu_template;

typedef struct emu_strv {
    size_t n;
    char **v;
} emu_strv;

typedef struct emu_service {
    char id[37];
    char *name;
    int restricted; /* trial mode */
    int active;
    int rate_limit;          /* per minute, per key type; <= 0 disables */
    long email_message_limit; /* per UTC day; <= 0 disables */
    char *email_sender_local_part;
    emu_strv reply_to_ids;
    emu_strv guest_list;   /* lower-cased email addresses */
    emu_strv team_members; /* lower-cased email addresses */
    char *callback_url;    /* NULL: no delivery receipts */
    char *callback_bearer_token;
    size_t n_keys;
    emu_api_key *keys;
    size_t n_templates;
    emu_template *templates;
} emu_service;

typedef struct emu_faults {
    double latency_ms, jitter_ms;
    double error_5xx_rate, error_429_rate, drop_after_store_rate, stall_rate;
    double stall_ms, refuse_connections_ms;
    int64_t seed;
} emu_faults;

typedef struct emu_config {
    char *host;
    int port;
    int threads;
    long created_to_sending_ms;
    long sending_to_final_ms;
    long sending_timeout_ms; /* the compressed 72 hours */
    long retention_ms;       /* the compressed 7 days; <= 0 keeps forever */
    long callback_retry_delay_ms;
    int callback_max_retries;
    int token_leeway_s; /* Notify's 30 s allowance on a token's iat */
    long callback_timeout_ms;
    char *email_domain; /* from_email is <local part>@<email_domain> */
    emu_faults faults;
    size_t n_services;
    emu_service *services;
} emu_config;

/* Fills c with the documented default service, keys and templates. Returns
 * 0 or -1 (OOM). Release with emu_config_free. */
int emu_config_defaults(emu_config *c);

/* Applies a configuration JSON object over c (keys present replace the
 * defaults; "services" replaces all services). Appends a message naming the
 * offending field to errs and returns -1 on bad input. */
int emu_config_apply_json(emu_config *c, json_t *root, emu_errors *errs);

/* Reads and applies a JSON file. Returns 0 or -1 with a message in errs. */
int emu_config_load_file(emu_config *c, const char *path, emu_errors *errs);

/* Validates and merges a faults object into f (only the keys present).
 * Returns 0, or -1 with a message naming the field in errs (f untouched). */
int emu_faults_apply_json(emu_faults *f, json_t *obj, emu_errors *errs);

/* A new JSON object for the faults / the whole configuration (secrets
 * included), or NULL on OOM. The caller owns the reference. */
json_t *emu_faults_to_json(const emu_faults *f);
json_t *emu_config_to_json(const emu_config *c);

/* The API key string "{name}-{service id}-{secret}" (malloc'd), or NULL. */
char *emu_api_key_string(const emu_service *s, const emu_api_key *k);

/* "normal", "team" or "test". */
const char *emu_key_type_name(int type);

/* Looks up a service / a template of a service by id; NULL when absent. */
const emu_service *emu_config_service(const emu_config *c, const char *id);
const emu_template *emu_service_template(const emu_service *s, const char *id);

/* 1 when addr (lower-cased) is in v. */
int emu_strv_contains(const emu_strv *v, const char *addr);

void emu_config_free(emu_config *c);

/* The fixed ids of the default configuration (documented in --help). */
#define EMU_DEFAULT_SERVICE_ID "d6a1d5c2-7e0a-4d8e-9f3b-2c1e5a7b9d01"
#define EMU_DEFAULT_LIVE_SECRET "0f5e1f6a-1111-4a2b-8c3d-4e5f60718201"
#define EMU_DEFAULT_TEAM_SECRET "0f5e1f6a-2222-4a2b-8c3d-4e5f60718202"
#define EMU_DEFAULT_TEST_SECRET "0f5e1f6a-3333-4a2b-8c3d-4e5f60718203"
#define EMU_TEMPLATE_WELCOME "f2a6c3b1-0001-4c1d-9e2f-3a4b5c6d7e01"
#define EMU_TEMPLATE_CONDITIONAL "f2a6c3b1-0002-4c1d-9e2f-3a4b5c6d7e02"
#define EMU_TEMPLATE_LIST "f2a6c3b1-0003-4c1d-9e2f-3a4b5c6d7e03"
#define EMU_TEMPLATE_PLAIN "f2a6c3b1-0004-4c1d-9e2f-3a4b5c6d7e04"
#define EMU_TEMPLATE_ARCHIVED "f2a6c3b1-0005-4c1d-9e2f-3a4b5c6d7e05"
#define EMU_TEMPLATE_SMS "f2a6c3b1-0006-4c1d-9e2f-3a4b5c6d7e06"
#define EMU_TEMPLATE_SUBJECT_BODY "f2a6c3b1-0007-4c1d-9e2f-3a4b5c6d7e07"
#define EMU_DEFAULT_REPLY_TO_ID "a7b8c9d0-0001-4e2f-8a3b-4c5d6e7f8001"

#endif
