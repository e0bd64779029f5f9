/* Who may talk to the emulator: the Host and Origin checks that close DNS
 * rebinding and cross-site requests (a page the developer visits must not
 * read /_emulator/config or change statuses), and the loopback names. */
#ifndef EMU_ORIGIN_H
#define EMU_ORIGIN_H

#include <stddef.h>

/* 1 when name (len bytes, no brackets, no port) is a loopback name:
 * localhost (any case), a dotted-quad 127.0.0.0/8 address or ::1. */
int emu_is_loopback_name(const char *name, size_t len);

/* 1 when bound_host (the --host value) is a loopback name. */
int emu_bind_is_loopback(const char *bound_host);

/* 1 when bound_host is a wildcard address (0.0.0.0 or ::). */
int emu_bind_is_wildcard(const char *bound_host);

/* 1 when a Host header value (host, host:port, [v6], [v6]:port) may be
 * answered: a loopback name always; when --host is not loopback, also that
 * very name, and any well-formed host when --host is a wildcard address.
 * NULL (no Host header, HTTP/1.0) is allowed; anything malformed is not. */
int emu_host_allowed(const char *host_header, const char *bound_host);

/* 1 when an Origin header value may be answered: absent (NULL), or
 * http(s)://AUTHORITY where AUTHORITY passes emu_host_allowed. "null" and
 * anything with a path, user info or another scheme do not. */
int emu_origin_allowed(const char *origin, const char *bound_host);

/* 1 when url is an http:// or https:// URL (any case) with a host: the only
 * schemes a delivery-receipt callback may use. */
int emu_callback_url_allowed(const char *url);

#endif
