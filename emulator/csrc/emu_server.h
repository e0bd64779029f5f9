/* The Notify emulator's HTTP server: libmicrohttpd with an internal epoll
 * thread pool, the v2 API, the control API under /_emulator, the web page
 * at /, fault injection, the lifecycle thread and delivery receipts. */
#ifndef EMU_SERVER_H
#define EMU_SERVER_H

#include <jansson.h>
#include <stddef.h>

#include "emu_config.h"
#include "emu_errors.h"

typedef struct emu_server emu_server;

/* Creates a server that owns *cfg (cfg is zeroed; the server frees it).
 * Nothing listens yet. Returns NULL when out of memory. */
emu_server *emu_server_create(emu_config *cfg);

/* Binds host:port and starts the threads. Returns 0, or -1 with a message
 * in errs. */
int emu_server_start(emu_server *s, emu_errors *errs);

/* The port actually bound (useful with port 0). */
int emu_server_port(const emu_server *s);

/* The running configuration (read-only). */
const emu_config *emu_server_config(const emu_server *s);

/* Stops everything and frees s. */
void emu_server_destroy(emu_server *s);

/* Builds request.url_root the way Flask does for this request: "http://" +
 * Host header + "/"; without a usable Host header, the bound host:port.
 * Returns a malloc'd string (caller frees) or NULL on OOM. */
char *emu_url_root(const char *host_header, const char *bound_host, int port);

/* Counts one request outcome in a stats object {"<route>": {"<outcome>": n}}.
 * Returns 0 or -1 (OOM). */
int emu_stats_count(json_t *requests, const char *route, const char *outcome);

#endif
