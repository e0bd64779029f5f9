/* Host and Origin checks (see emu_origin.h). Pure functions over bytes:
 * no allocation, fuzzed by fuzz/fuzz_host.c. */
#include "emu_origin.h"

#include <string.h>
#include <strings.h>

/* 1 when s[0..len) is a decimal number 0..255 without leading zeros. */
static int octet(const char *s, size_t len)
{
    if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
        return 0;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v <= 255;
}

/* 1 when s[0..len) is a dotted quad whose first octet is 127. */
static int loopback_v4(const char *s, size_t len)
{
    size_t start = 0;
    int parts = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (!octet(s + start, i - start) || ++parts > 4)
                return 0;
            if (parts == 1 && (i - start != 3 || memcmp(s, "127", 3) != 0))
                return 0;
            start = i + 1;
        }
    }
    return parts == 4;
}

int emu_is_loopback_name(const char *name, size_t len)
{
    if (!name)
        return 0;
    if (len == 9 && strncasecmp(name, "localhost", 9) == 0)
        return 1;
    if (len == 3 && memcmp(name, "::1", 3) == 0)
        return 1;
    return loopback_v4(name, len);
}

int emu_bind_is_loopback(const char *bound_host)
{
    return bound_host && emu_is_loopback_name(bound_host, strlen(bound_host));
}

int emu_bind_is_wildcard(const char *bound_host)
{
    return !bound_host || !*bound_host || !strcmp(bound_host, "0.0.0.0") ||
           !strcmp(bound_host, "::");
}

/* 1 for the bytes a host name or address may have (letters, digits, '-',
 * '.', '_', and ':' inside brackets). */
static int host_char(char c, int bracketed)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || (bracketed && (c == ':' || c == '%'));
}

/* Splits an authority (host[:port] or [v6][:port]) into the host name.
 * Returns 0 and sets *name, *len, or -1 when malformed. */
static int authority_host(const char *a, size_t alen, const char **name, size_t *len)
{
    const char *end = a + alen, *port = NULL;
    if (alen == 0 || alen > 255)
        return -1;
    if (a[0] == '[') {
        const char *close = memchr(a, ']', alen);
        if (!close || close == a + 1)
            return -1;
        for (const char *p = a + 1; p < close; p++)
            if (!host_char(*p, 1))
                return -1;
        *name = a + 1;
        *len = (size_t)(close - a - 1);
        if (close + 1 < end) {
            if (close[1] != ':')
                return -1;
            port = close + 2;
        }
    } else {
        const char *colon = memchr(a, ':', alen);
        *name = a;
        *len = colon ? (size_t)(colon - a) : alen;
        if (*len == 0)
            return -1;
        for (size_t i = 0; i < *len; i++)
            if (!host_char(a[i], 0))
                return -1;
        if (colon)
            port = colon + 1;
    }
    if (port) {
        size_t n = (size_t)(end - port);
        if (n == 0 || n > 5)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (port[i] < '0' || port[i] > '9')
                return -1;
    }
    return 0;
}

static int authority_allowed(const char *a, size_t alen, const char *bound_host)
{
    const char *name;
    size_t len;
    if (authority_host(a, alen, &name, &len))
        return 0;
    if (emu_is_loopback_name(name, len))
        return 1;
    if (emu_bind_is_loopback(bound_host))
        return 0;
    if (emu_bind_is_wildcard(bound_host))
        return 1;
    /* A trailing dot names the same host. */
    if (len > 1 && name[len - 1] == '.')
        len--;
    return strlen(bound_host) == len && strncasecmp(name, bound_host, len) == 0;
}

int emu_host_allowed(const char *host_header, const char *bound_host)
{
    if (!host_header)
        return 1;
    return authority_allowed(host_header, strlen(host_header), bound_host);
}

/* Length of the scheme prefix "http://" or "https://" (any case), or 0. */
static size_t http_scheme(const char *url)
{
    if (strncasecmp(url, "http://", 7) == 0)
        return 7;
    if (strncasecmp(url, "https://", 8) == 0)
        return 8;
    return 0;
}

int emu_origin_allowed(const char *origin, const char *bound_host)
{
    if (!origin)
        return 1;
    size_t skip = http_scheme(origin);
    if (!skip)
        return 0;
    const char *a = origin + skip;
    return authority_allowed(a, strlen(a), bound_host);
}

int emu_callback_url_allowed(const char *url)
{
    if (!url)
        return 0;
    size_t skip = http_scheme(url);
    if (!skip)
        return 0;
    /* A host must follow: not empty, not a path, query or fragment. */
    char c = url[skip];
    return c != '\0' && c != '/' && c != '?' && c != '#' && c != '@';
}
