/* Error texts for NGO_E* codes. */
#include "ngo.h"

/* Returns a static string; never caller data. */
const char *ngo_strerror(int err)
{
    switch (err) {
    case NGO_OK:
        return "success";
    case NGO_EKEY_TOO_SHORT:
        return "too short or missing: an API key ends with "
               "'-<service id>-<secret key>', two UUIDs (73 characters)";
    case NGO_EKEY_SEPARATOR:
        return "missing separator: expected '-' before the service id and "
               "before the secret key";
    case NGO_EKEY_SERVICE_ID:
        return "the service id part (characters -73 to -37) is not a UUID";
    case NGO_EKEY_SECRET:
        return "the secret key part (the last 36 characters) is not a UUID";
    case NGO_ENOBUFS:
        return "output buffer too small";
    case NGO_ENOMEM:
        return "out of memory";
    case NGO_ECRYPTO:
        return "OpenSSL HMAC-SHA256 failed";
    case NGO_EINVAL:
        return "invalid argument";
    case NGO_ECURL:
        return "libcurl could not set up a transfer";
    case NGO_EINTERRUPTED:
        return "interrupted";
    case NGO_EBASE_URL:
        return "must be an http:// or https:// URL with a host";
    case NGO_EDECODE:
        return "invalid base64url";
    case NGO_EDEADLINE:
        return "send-by deadline passed before the request started";
    case NGO_EBODY_LIMIT:
        return "response cut off: larger than the per-response limit (64 MiB)";
    case NGO_EMEMORY_LIMIT:
        return "response cut off: the client's limit on response bytes held by "
               "transfers in flight was reached";
    default:
        return "unknown error";
    }
}
