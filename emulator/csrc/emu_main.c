/* Command line, configuration and signal handling (see emu_main.h). */
#include "emu_main.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu_config.h"
#include "emu_origin.h"
#include "emu_server.h"
#include "emu_util.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static const char usage[] =
    "usage: notify-emulator [options]\n"
    "       python -m govuk_notify_emulator [options]\n"
    "\n"
    "A GOV.UK Notify API (v2, email) emulator for tests and development.\n"
    "On start it prints NOTIFY_BASE_URL, NOTIFY_API_KEY_LIVE, NOTIFY_API_KEY_TEAM,\n"
    "NOTIFY_API_KEY_TEST and NOTIFY_EMULATOR_READY=1, one per line, then serves\n"
    "until SIGINT or SIGTERM. Flags override the --config file.\n"
    "\n"
    "Server:\n"
    "  --host HOST                      address to listen on (default 127.0.0.1); requests\n"
    "                                   must name a loopback host (localhost, 127.0.0.0/8,\n"
    "                                   [::1]) or HOST in Host and Origin\n"
    "  --port PORT                      port; 0 picks a free one (default 0)\n"
    "  --threads N                      HTTP worker threads (default 2)\n"
    "  --config FILE                    JSON configuration (services, keys, templates,\n"
    "                                   timings, faults); see docs/emulator.md\n"
    "Lifecycle (milliseconds):\n"
    "  --created-to-sending-ms MS       created -> sending (default 500)\n"
    "  --sending-to-final-ms MS         sending -> delivered/failed (default 1500)\n"
    "  --sending-timeout-ms MS          the compressed 72-hour timeout: left in sending\n"
    "                                   this long -> temporary-failure (default 60000)\n"
    "  --retention-ms MS                the compressed 7-day retention; 0 keeps\n"
    "                                   everything (default 3600000)\n"
    "Delivery receipts (per-service callback_url in the config):\n"
    "  --callback-retry-delay-ms MS     delay between attempts (default 1000)\n"
    "  --callback-max-retries N         retries after the first attempt (default 5)\n"
    "  --callback-timeout-ms MS         request timeout (default 5000)\n"
    "  --token-leeway-s S               allowed age or lead of a token's iat (Notify: 30)\n"
    "Faults (on /v2/ routes; change them at run time with PUT /_emulator/faults):\n"
    "  --latency-ms MS                  added to every response\n"
    "  --jitter-ms MS                   plus a random 0..MS\n"
    "  --error-5xx-rate R               fraction answered 500 (0..1)\n"
    "  --error-429-rate R               fraction answered 429 RateLimitError\n"
    "  --drop-after-store-rate R        fraction whose connection is closed without a\n"
    "                                   response, after the notification is stored\n"
    "  --stall-rate R                   fraction stored and answered after --stall-ms\n"
    "  --stall-ms MS                    how long a stalled response waits\n"
    "  --refuse-connections-ms MS       close the listening socket this long at start\n"
    "  --seed N                         seed of the fault generator (default 0)\n"
    "  -h, --help                       this text\n"
    "\n"
    "Default configuration (no --config):\n"
    "  service  " EMU_DEFAULT_SERVICE_ID " \"Emulated service\" (live, not trial)\n"
    "  keys     emulator_live (live), emulator_team (team), emulator_test (test):\n"
    "           emulator_live-" EMU_DEFAULT_SERVICE_ID "-" EMU_DEFAULT_LIVE_SECRET "\n"
    "           emulator_team-" EMU_DEFAULT_SERVICE_ID "-" EMU_DEFAULT_TEAM_SECRET "\n"
    "           emulator_test-" EMU_DEFAULT_SERVICE_ID "-" EMU_DEFAULT_TEST_SECRET "\n"
    "  team member team.member@example.com, guest list guest@example.com\n"
    "  reply-to id " EMU_DEFAULT_REPLY_TO_ID "\n"
    "  templates (email unless noted):\n"
    "    " EMU_TEMPLATE_WELCOME "  Welcome: ((name)), ((reference_number))\n"
    "    " EMU_TEMPLATE_CONDITIONAL "  Account reminder: ((name)), ((has_account??...))\n"
    "    " EMU_TEMPLATE_LIST "  Shopping list: ((items)) (a list), ((total))\n"
    "    " EMU_TEMPLATE_PLAIN "  Plain: no placeholders\n"
    "    " EMU_TEMPLATE_ARCHIVED "  Old welcome: archived\n"
    "    " EMU_TEMPLATE_SMS "  Text message: sms, ((code))\n"
    "    " EMU_TEMPLATE_SUBJECT_BODY "  Subject and body: ((subject)), ((body)) (the email backend's)\n"
    "\n"
    "Control API (no auth): GET/DELETE /_emulator/notifications,\n"
    "POST /_emulator/notifications/<id>/status, GET /_emulator/stats,\n"
    "GET/PUT /_emulator/faults, GET /_emulator/config; web page at /.\n";

/* One flag: its name, and where its value goes. */
typedef struct flag {
    const char *name;
    enum { F_STR, F_PORT, F_THREADS, F_MS, F_COUNT, F_FAULT_MS, F_RATE, F_SEED } kind;
    size_t off; /* into emu_config, or into emu_faults for F_FAULT_* / F_RATE / F_SEED */
} flag;

static const flag flags[] = {
    {"--host", F_STR, offsetof(emu_config, host)},
    {"--port", F_PORT, offsetof(emu_config, port)},
    {"--threads", F_THREADS, offsetof(emu_config, threads)},
    {"--created-to-sending-ms", F_MS, offsetof(emu_config, created_to_sending_ms)},
    {"--sending-to-final-ms", F_MS, offsetof(emu_config, sending_to_final_ms)},
    {"--sending-timeout-ms", F_MS, offsetof(emu_config, sending_timeout_ms)},
    {"--retention-ms", F_MS, offsetof(emu_config, retention_ms)},
    {"--callback-retry-delay-ms", F_MS, offsetof(emu_config, callback_retry_delay_ms)},
    {"--callback-max-retries", F_COUNT, offsetof(emu_config, callback_max_retries)},
    {"--callback-timeout-ms", F_MS, offsetof(emu_config, callback_timeout_ms)},
    {"--token-leeway-s", F_COUNT, offsetof(emu_config, token_leeway_s)},
    {"--latency-ms", F_FAULT_MS, offsetof(emu_faults, latency_ms)},
    {"--jitter-ms", F_FAULT_MS, offsetof(emu_faults, jitter_ms)},
    {"--error-5xx-rate", F_RATE, offsetof(emu_faults, error_5xx_rate)},
    {"--error-429-rate", F_RATE, offsetof(emu_faults, error_429_rate)},
    {"--drop-after-store-rate", F_RATE, offsetof(emu_faults, drop_after_store_rate)},
    {"--stall-rate", F_RATE, offsetof(emu_faults, stall_rate)},
    {"--stall-ms", F_FAULT_MS, offsetof(emu_faults, stall_ms)},
    {"--refuse-connections-ms", F_FAULT_MS, offsetof(emu_faults, refuse_connections_ms)},
    {"--seed", F_SEED, offsetof(emu_faults, seed)},
};

/* Applies one flag's value. Returns 0, or -1 after printing why. */
static int apply_flag(emu_config *c, const flag *f, const char *v)
{
    long l;
    double d;
    char *cfg = (char *)c, *flt = (char *)&c->faults;
    switch (f->kind) {
    case F_STR: {
        char *copy = emu_strdup(v);
        if (!copy || !*v) {
            free(copy);
            fprintf(stderr, "notify-emulator: %s needs a non-empty value\n", f->name);
            return -1;
        }
        char **slot = (char **)(cfg + f->off);
        free(*slot);
        *slot = copy;
        return 0;
    }
    case F_PORT:
    case F_THREADS:
    case F_COUNT:
        if (emu_parse_long(v, f->kind == F_THREADS ? 1 : 0,
                           f->kind == F_PORT ? 65535 : f->kind == F_THREADS ? 64 : 1000, &l)) {
            fprintf(stderr, "notify-emulator: %s must be an integer in range, not '%s'\n",
                    f->name, v);
            return -1;
        }
        *(int *)(cfg + f->off) = (int)l;
        return 0;
    case F_MS:
        if (emu_parse_long(v, 0, 86400L * 1000 * 365, &l)) {
            fprintf(stderr, "notify-emulator: %s must be milliseconds (an integer >= 0), not '%s'\n",
                    f->name, v);
            return -1;
        }
        *(long *)(cfg + f->off) = l;
        return 0;
    case F_FAULT_MS:
    case F_RATE:
        if (emu_parse_double(v, &d) || d < 0 || (f->kind == F_RATE && d > 1) || d > 86400000.0) {
            fprintf(stderr, "notify-emulator: %s must be %s, not '%s'\n", f->name,
                    f->kind == F_RATE ? "a number from 0 to 1" : "milliseconds from 0 to 86400000",
                    v);
            return -1;
        }
        *(double *)(flt + f->off) = d;
        return 0;
    case F_SEED:
        if (emu_parse_long(v, -0x7fffffffL, 0x7fffffffL, &l)) {
            fprintf(stderr, "notify-emulator: --seed must be an integer, not '%s'\n", v);
            return -1;
        }
        c->faults.seed = l;
        return 0;
    }
    return -1;
}

/* Looks arg up as "--name" or "--name=value". Sets *inline_value. */
static const flag *find_flag(const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        size_t n = strlen(flags[i].name);
        if (!strncmp(arg, flags[i].name, n) && (arg[n] == '\0' || arg[n] == '=')) {
            if (arg[n] == '=')
                *inline_value = arg + n + 1;
            return &flags[i];
        }
    }
    return NULL;
}

/* Parses argv into c: --config first, then every flag over it. Returns 0,
 * 1 when --help was printed, or -1 after printing an error. */
static int parse_args(int argc, char **argv, emu_config *c)
{
    const char *config = NULL;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 1; i < argc; i++) {
            const char *a = argv[i], *v = NULL;
            if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                fputs(usage, stdout);
                fflush(stdout);
                return 1;
            }
            if (!strncmp(a, "--config", 8) && (a[8] == '\0' || a[8] == '=')) {
                v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
                if (!v) {
                    fprintf(stderr, "notify-emulator: --config needs a file name\n");
                    return -1;
                }
                config = v;
                continue;
            }
            const flag *f = find_flag(a, &v);
            if (!f) {
                fprintf(stderr, "notify-emulator: unknown argument '%s' (see --help)\n", a);
                return -1;
            }
            if (!v) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "notify-emulator: %s needs a value\n", f->name);
                    return -1;
                }
                v = argv[++i];
            }
            if (pass == 1 && apply_flag(c, f, v))
                return -1;
        }
        if (pass == 0 && config) {
            emu_errors errs;
            emu_errors_init(&errs);
            if (emu_config_load_file(c, config, &errs)) {
                for (size_t k = 0; k < errs.n; k++)
                    fprintf(stderr, "notify-emulator: %s\n", errs.items[k].message);
                emu_errors_free(&errs);
                return -1;
            }
            emu_errors_free(&errs);
        }
    }
    return 0;
}

/* Prints the startup lines (docs/design.md §4). */
static void print_startup(const emu_config *c, int port)
{
    if (strchr(c->host, ':'))
        printf("NOTIFY_BASE_URL=http://[%s]:%d\n", c->host, port);
    else
        printf("NOTIFY_BASE_URL=http://%s:%d\n", c->host, port);
    static const char *const names[] = {"LIVE", "TEAM", "TEST"};
    for (int type = 0; type < 3; type++) {
        char *key = NULL;
        for (size_t i = 0; !key && i < c->n_services; i++)
            for (size_t j = 0; !key && j < c->services[i].n_keys; j++)
                if (c->services[i].keys[j].type == type && !c->services[i].keys[j].revoked)
                    key = emu_api_key_string(&c->services[i], &c->services[i].keys[j]);
        printf("NOTIFY_API_KEY_%s=%s\n", names[type], key ? key : "");
        free(key);
    }
    printf("NOTIFY_EMULATOR_READY=1\n");
    fflush(stdout);
}

int emu_main(int argc, char **argv)
{
    emu_config cfg;
    if (emu_config_defaults(&cfg)) {
        fprintf(stderr, "notify-emulator: out of memory\n");
        return 1;
    }
    int rc = parse_args(argc, argv, &cfg);
    if (rc) {
        emu_config_free(&cfg);
        return rc > 0 ? 0 : 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    emu_server *s = emu_server_create(&cfg);
    if (!s) {
        emu_config_free(&cfg);
        fprintf(stderr, "notify-emulator: out of memory\n");
        return 1;
    }
    struct sigaction sa, old_int, old_term, old_pipe, ign;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    stop_requested = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGPIPE, &ign, &old_pipe);
    emu_errors errs;
    emu_errors_init(&errs);
    if (emu_server_start(s, &errs)) {
        for (size_t k = 0; k < errs.n; k++)
            fprintf(stderr, "notify-emulator: %s\n", errs.items[k].message);
        emu_errors_free(&errs);
        emu_server_destroy(s);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGPIPE, &old_pipe, NULL);
        return 1;
    }
    emu_errors_free(&errs);
    const char *host = emu_server_config(s)->host;
    if (!emu_bind_is_loopback(host))
        fprintf(stderr,
                "notify-emulator: warning: listening on %s, beyond loopback: anyone who can "
                "reach this address can read the API keys at /_emulator/config, change "
                "statuses and faults, and send with them%s. Use --host 127.0.0.1 unless you "
                "mean it.\n",
                host,
                emu_bind_is_wildcard(host) ? " (and requests for any host name are answered)"
                                           : "");
    print_startup(emu_server_config(s), emu_server_port(s));
    while (!stop_requested) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    emu_server_destroy(s);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    return 0;
}
