/* JWT HS256 signing with OpenSSL 3 EVP_MAC (notify-api.md §1.2). */
#include "ngo.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

/* base64url of {"alg":"HS256","typ":"JWT"}: PyJWT sorts header keys, so
 * this is the header byte for byte as notifications-python-client sends. */
static const char ngo__jwt_header[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/* HMAC-SHA256(key, msg) into mac[32]. Returns 0 or NGO_ECRYPTO (with the
 * OpenSSL error queue drained). */
int ngo_hmac_sha256(const char *key, size_t key_len, const char *msg, size_t msg_len,
                    uint8_t mac[32])
{
    EVP_MAC *hmac = NULL;
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    size_t mac_len = 0;
    int rc = NGO_ECRYPTO;
    char digest[] = "SHA256";

    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!hmac)
        goto out;
    ctx = EVP_MAC_CTX_new(hmac);
    if (!ctx)
        goto out;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(ctx, (const unsigned char *)key, key_len, params))
        goto out;
    if (!EVP_MAC_update(ctx, (const unsigned char *)msg, msg_len))
        goto out;
    if (!EVP_MAC_final(ctx, mac, &mac_len, 32) || mac_len != 32)
        goto out;
    rc = 0;
out:
    if (rc)
        ERR_clear_error();
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
    return rc;
}

/* Returns the token length written to out (NUL-terminated), or NGO_EINVAL,
 * NGO_ENOBUFS, NGO_ECRYPTO. Allocates nothing the caller must free. */
long ngo_jwt_sign(const char *service_id, const char *secret, size_t secret_len, int64_t iat,
                  char *out, size_t cap)
{
    char claims[128];
    uint8_t mac[32];
    size_t pos;
    long n;
    int cn;

    if (!service_id || !secret || !out || !secret_len)
        return NGO_EINVAL;
    if (memchr(service_id, '\0', NGO_UUID_LEN) || memchr(service_id, '"', NGO_UUID_LEN) ||
        memchr(service_id, '\\', NGO_UUID_LEN))
        return NGO_EINVAL;
    cn = snprintf(claims, sizeof(claims), "{\"iss\":\"%.36s\",\"iat\":%" PRId64 "}", service_id,
                  iat);
    if (cn < 0 || (size_t)cn >= sizeof(claims))
        return NGO_EINVAL;

    pos = sizeof(ngo__jwt_header) - 1;
    if (cap < pos + 1 + ngo_b64url_encoded_len((size_t)cn) + 1 + ngo_b64url_encoded_len(32) + 1)
        return NGO_ENOBUFS;
    memcpy(out, ngo__jwt_header, pos);
    out[pos++] = '.';
    n = ngo_b64url_encode((const uint8_t *)claims, (size_t)cn, out + pos, cap - pos);
    if (n < 0)
        return n;
    pos += (size_t)n;

    if (ngo_hmac_sha256(secret, secret_len, out, pos, mac))
        return NGO_ECRYPTO;
    out[pos++] = '.';
    n = ngo_b64url_encode(mac, sizeof(mac), out + pos, cap - pos);
    OPENSSL_cleanse(mac, sizeof(mac));
    if (n < 0)
        return n;
    pos += (size_t)n;
    return (long)pos;
}
