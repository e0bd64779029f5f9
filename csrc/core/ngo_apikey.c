/* API key parsing (notify-api.md §1.1): {name}-{service_id}-{secret},
 * counted from the end. */
#include "ngo.h"

#include <string.h>

/* 1 when c is a hexadecimal digit, else 0. */
static int ngo__is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* 1 when s[0..36) is 8-4-4-4-12 hex digits separated by '-', else 0. */
int ngo_is_uuid(const char *s)
{
    size_t i;

    if (!s)
        return 0;
    for (i = 0; i < NGO_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!ngo__is_hex(s[i]))
            return 0;
    }
    return 1;
}

/* Returns 0 with out pointing into key, or an NGO_EKEY_* code (out zeroed).
 * Allocates nothing. */
int ngo_apikey_parse(const char *key, size_t len, ngo_apikey *out)
{
    const char *service_id, *secret;

    if (!out)
        return NGO_EINVAL;
    memset(out, 0, sizeof(*out));
    if (!key)
        return NGO_EINVAL;
    if (len < NGO_KEY_MIN_LEN)
        return NGO_EKEY_TOO_SHORT;

    secret = key + len - NGO_UUID_LEN;
    service_id = secret - 1 - NGO_UUID_LEN;
    if (secret[-1] != '-')
        return NGO_EKEY_SEPARATOR;
    if (len > NGO_KEY_MIN_LEN && service_id[-1] != '-')
        return NGO_EKEY_SEPARATOR;
    if (!ngo_is_uuid(service_id))
        return NGO_EKEY_SERVICE_ID;
    if (!ngo_is_uuid(secret))
        return NGO_EKEY_SECRET;

    out->name = key;
    out->name_len = len > NGO_KEY_MIN_LEN ? len - NGO_KEY_MIN_LEN - 1 : 0;
    out->service_id = service_id;
    out->secret = secret;
    return 0;
}
