/* Notify's request rules, as pure functions over jansson values: body
 * parsing, the JSON-schema messages of POST /v2/notifications/email and of
 * GET /v2/notifications, email-address syntax, UUIDs. No I/O, no globals.
 * Specification: shared notify-api.md §2.1-§2.3, §3.2. */
#ifndef EMU_RULES_H
#define EMU_RULES_H

#include <jansson.h>
#include <stddef.h>

#include "emu_errors.h"

/* 1 when Python's uuid.UUID(s) accepts s, as Notify's schema format
 * "validate_uuid" does, else 0. That is the canonical 8-4-4-4-12 hex form
 * in either case, and also what UUID() tolerates: "urn:"/"uuid:" and
 * surrounding braces removed, hyphens anywhere, then 32 characters that
 * int(x, 16) reads (32 hex digits, or with a "+" sign, "0x" prefix, "_"
 * between digits or surrounding whitespace that keep the length 32). */
int emu_uuid_valid(const char *s);

/* When emu_uuid_valid(s), writes the canonical lower-case 36-character form
 * of the same UUID (what Notify stores and returns) to out and returns 0;
 * else returns -1. */
int emu_uuid_normalise(const char *s, char out[37]);

/* Notify's email-address check (notifications-utils validate_email_address):
 * strips surrounding/obscure whitespace, regex, length <= 320, no "..",
 * IDNA hostname rules, TLD rule. Returns 1 when valid. When valid and
 * normalised != NULL, *normalised receives a malloc'd lower-cased, stripped
 * address (caller frees); otherwise *normalised is set to NULL.
 * An ASCII hostname is checked as written (Python's idna codec leaves it
 * alone); a non-ASCII one is encoded with libidn2 (transitional mapping,
 * the closest to Python's IDNA 2003 codec). Known difference: a non-ASCII
 * label that starts or ends with '-' or carries an "xn--" prefix is
 * refused by libidn2 but accepted by Python. */
int emu_email_valid(const char *addr, char **normalised);

/* Parses a POST body the way Notify's get_valid_json does. Returns a new
 * reference to a JSON value (caller decrefs), or NULL when the bytes are not
 * JSON (the caller answers 400 "Invalid JSON supplied in POST data"). The
 * encoding is detected as Python's json.detect_encoding does: UTF-8 (a
 * leading byte-order mark is skipped), UTF-16 and UTF-32 (by byte-order mark
 * or by the zero bytes at the start; unpaired surrogates are refused, which
 * Python's surrogatepass would let through). A falsy value (null, false, 0,
 * 0.0, "", [], {}) becomes an empty object. NaN, Infinity, -Infinity,
 * integers beyond 64 bits and reals that overflow are read as Python's json
 * reads them, as emu_py_number() placeholders (use emu_is_object() rather
 * than json_is_object() on parsed values). Known difference from Python's
 * json: "\u0000" in strings is refused here. */
json_t *emu_parse_body(const char *data, size_t len);

/* Validates a POST /v2/notifications/email body against Notify's schema,
 * appending one ValidationError per problem with Notify's exact messages
 * (all errors, not only the first, duplicates dropped), in jsonschema's
 * order: a non-object body gives only "<repr> is not of type object";
 * otherwise the properties in schema order (reference, email_address,
 * template_id, email_reply_to_id, personalisation, scheduled_for,
 * one_click_unsubscribe_url, sanitise_content_for), then the required
 * ones, then "Additional properties are not allowed (a, b were
 * unexpected)" with the names sorted. Values in messages are Python
 * repr() with every "'" removed. Returns the number of errors added. */
size_t emu_validate_post_email(json_t *body, emu_errors *errs);

/* The same with the clock supplied: now is the current UTC time in Unix
 * seconds, used by scheduled_for's "datetime_within_next_day" check.
 * emu_validate_post_email() reads the real clock and calls this. */
size_t emu_validate_post_email_at(json_t *body, double now, emu_errors *errs);

/* One query parameter of GET /v2/notifications, as received (decoded). */
typedef struct emu_param {
    const char *key;
    const char *value;
} emu_param;

/* The validated filters of GET /v2/notifications. */
typedef struct emu_list_query {
    unsigned statuses;       /* bit set of EMU_ST_*; 0 = no status filter */
    unsigned template_types; /* bit 0 sms, 1 email, 2 letter; 0 = no filter */
    const char *reference;   /* first value, or NULL (points into params) */
    const char *older_than;  /* first value, or NULL (points into params) */
    int include_jobs;
} emu_list_query;

/* Notification statuses as bits, for list filters. */
enum {
    EMU_ST_CREATED = 1u << 0,
    EMU_ST_SENDING = 1u << 1,
    EMU_ST_DELIVERED = 1u << 2,
    EMU_ST_PERMANENT_FAILURE = 1u << 3,
    EMU_ST_TEMPORARY_FAILURE = 1u << 4,
    EMU_ST_TECHNICAL_FAILURE = 1u << 5,
    EMU_ST_OTHER = 1u << 6 /* statuses that never occur for email */
};

/* Validates the query of GET /v2/notifications (§3.2): status (repeatable,
 * `failed`/`accepted`/`received` expanded), template_type, reference,
 * older_than (UUID), include_jobs (true/True), anything else rejected with
 * "Additional properties are not allowed (x was unexpected)". Fills *out
 * and returns the number of ValidationErrors appended to errs. */
size_t emu_validate_list_query(const emu_param *params, size_t n, emu_list_query *out,
                               emu_errors *errs);

/* The bit for an email status name ("created", "sending", "delivered",
 * "permanent-failure", "temporary-failure", "technical-failure"), or 0. */
unsigned emu_status_bit(const char *status);

#endif
