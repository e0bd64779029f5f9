/* Decoding and HS256 verification of bearer tokens. See emu_jwt.h. */
#include "emu_jwt.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Notify's allowed clock skew, PyJWT's leeway (notify-api.md §1.3). */
#define EMU_JWT_LEEWAY 30

/* The 6-bit value of a base64url character, or -1. */
static int emu__b64url_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes len characters of unpadded base64url into out (room for
 * len*3/4+1 bytes). Returns the decoded length, or -1 on a character outside
 * the alphabet (padding included) or an impossible length. Allocates
 * nothing. */
static long emu__b64url_decode(const char *in, size_t len, unsigned char *out)
{
    if (len % 4 == 1)
        return -1;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = emu__b64url_val((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    return (long)o;
}

/* Decodes one base64url part as a JSON object. Returns a new reference, or
 * NULL when it is not base64url, not JSON or not an object. */
static json_t *emu__decode_json_part(const char *in, size_t len)
{
    unsigned char *buf = malloc(len * 3 / 4 + 1);
    if (!buf)
        return NULL;
    long n = emu__b64url_decode(in, len, buf);
    json_t *v = NULL;
    if (n >= 0)
        v = json_loadb((const char *)buf, (size_t)n, 0, NULL);
    free(buf);
    if (v && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* Python's int(s) for a base-10 string: surrounding whitespace, one sign,
 * digits with single '_' between them. Saturates at the int64 range.
 * Returns 1 and sets *out, or 0 when Python raises ValueError. */
static int emu__py_int10(const char *s, int64_t *out)
{
    size_t a = 0, e = strlen(s);
    while (a < e && strchr(" \t\n\r\v\f", s[a]))
        a++;
    while (e > a && strchr(" \t\n\r\v\f", s[e - 1]))
        e--;
    int neg = 0;
    if (a < e && (s[a] == '+' || s[a] == '-'))
        neg = s[a++] == '-';
    int64_t v = 0;
    int digits = 0, prev_us = 0;
    for (size_t i = a; i < e; i++) {
        if (s[i] == '_') {
            if (!digits || prev_us)
                return 0;
            prev_us = 1;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return 0;
        prev_us = 0;
        digits++;
        if (v > (INT64_MAX - 9) / 10)
            v = INT64_MAX;
        else
            v = v * 10 + (s[i] - '0');
    }
    if (!digits || prev_us)
        return 0;
    *out = neg ? -v : v;
    return 1;
}

/* Python's int(value) for a decoded claim (PyJWT applies it to iat, exp and
 * nbf): integers, reals (truncated), booleans and numeric strings. Returns
 * 1 and sets *out, or 0 when Python would raise. */
static int emu__json_int(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 1;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d != d || d > 9.2e18 || d < -9.2e18)
            return 0;
        *out = (int64_t)d;
        return 1;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 1;
    }
    if (json_is_string(v))
        return emu__py_int10(json_string_value(v), out);
    return 0;
}

/* Python truthiness of a JSON value. */
static int emu__truthy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    case JSON_TRUE:
        return 1;
    default:
        return 0;
    }
}

/* PyJWT's "crit" header check: a non-empty list of strings naming only
 * extensions it supports ("b64"), each also present in the header.
 * Returns 1 when acceptable. */
static int emu__crit_ok(const json_t *crit, const json_t *header)
{
    if (!json_is_array(crit) || json_array_size(crit) == 0)
        return 0;
    for (size_t i = 0; i < json_array_size(crit); i++) {
        const json_t *x = json_array_get(crit, i);
        if (!json_is_string(x) || strcmp(json_string_value(x), "b64") != 0 ||
            !json_object_get(header, "b64"))
            return 0;
    }
    return 1;
}

/* Splits, decodes and reads the token; on success out->iss is the caller's
 * (emu_jwt_free). Returns 0 or -1. */
int emu_jwt_decode(const char *token, int64_t now, emu_jwt *out)
{
    memset(out, 0, sizeof(*out));
    if (!token)
        return -1;
    const char *d1 = strchr(token, '.');
    if (!d1)
        return -1;
    const char *d2 = strchr(d1 + 1, '.');
    if (!d2 || strchr(d2 + 1, '.'))
        return -1;

    json_t *header = emu__decode_json_part(token, (size_t)(d1 - token));
    if (!header)
        return -1;
    json_t *payload = emu__decode_json_part(d1 + 1, (size_t)(d2 - d1 - 1));
    if (!payload) {
        json_decref(header);
        return -1;
    }
    int rc = -1;
    json_t *kid = json_object_get(header, "kid");
    if (kid && !json_is_string(kid))
        goto done;
    json_t *crit = json_object_get(header, "crit");
    if (crit && !emu__crit_ok(crit, header))
        goto done;
    /* "b64": false means a detached payload, which Notify never passes */
    if (json_is_false(json_object_get(header, "b64")))
        goto done;

    size_t sig_chars = strlen(d2 + 1);
    unsigned char *sig = malloc(sig_chars * 3 / 4 + 1);
    if (!sig)
        goto done;
    long sig_len = emu__b64url_decode(d2 + 1, sig_chars, sig);
    if (sig_len < 0) {
        free(sig);
        goto done;
    }
    if ((size_t)sig_len <= sizeof(out->sig)) {
        memcpy(out->sig, sig, (size_t)sig_len);
        out->sig_len = (size_t)sig_len;
    }
    free(sig);

    json_t *alg = json_object_get(header, "alg");
    if (json_is_string(alg)) {
        const char *a = json_string_value(alg);
        /* a name too long for the field cannot be "HS256": keep a marker */
        snprintf(out->alg, sizeof(out->alg), "%s", strlen(a) < sizeof(out->alg) ? a : "?");
    } else if (alg) {
        snprintf(out->alg, sizeof(out->alg), "?"); /* present but not a string */
    }

    json_t *iss = json_object_get(payload, "iss");
    if (iss) {
        out->has_iss = 1;
        if (json_is_string(iss)) {
            out->iss = strdup(json_string_value(iss));
            if (!out->iss)
                goto done;
        }
    }
    json_t *iat = json_object_get(payload, "iat");
    if (iat) {
        out->has_iat = 1;
        out->iat_is_number = emu__json_int(iat, &out->iat);
    }
    /* no audience is expected, so any truthy "aud" is refused */
    json_t *aud = json_object_get(payload, "aud");
    if (aud && emu__truthy(aud))
        out->has_other_claims = 1;
    /* PyJWT 2.10+ requires "sub" and "jti", when present, to be strings */
    json_t *sub = json_object_get(payload, "sub"), *jti = json_object_get(payload, "jti");
    if ((sub && !json_is_string(sub)) || (jti && !json_is_string(jti)))
        out->has_other_claims = 1;
    json_t *exp = json_object_get(payload, "exp");
    if (exp) {
        int64_t v;
        if (!emu__json_int(exp, &v)) {
            out->exp_or_nbf_undecodable = 1;
        } else if (v <= now - EMU_JWT_LEEWAY) {
            out->exp_in_past = 1;
            out->has_other_claims = 1;
        }
    }
    json_t *nbf = json_object_get(payload, "nbf");
    if (nbf) {
        int64_t v;
        if (!emu__json_int(nbf, &v))
            out->exp_or_nbf_undecodable = 1;
        else if (v > now + EMU_JWT_LEEWAY)
            out->nbf_in_future = 1;
    }
    out->signing_len = (size_t)(d2 - token);
    rc = 0;
done:
    json_decref(header);
    json_decref(payload);
    if (rc != 0) {
        free(out->iss);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

/* HMAC-SHA256 over the signing input with the secret's bytes, compared in
 * constant time. Returns 1 on a match. Allocates nothing that outlives it. */
int emu_jwt_verify_hs256(const char *token, const emu_jwt *t, const char *secret)
{
    if (!token || !t || !secret || t->sig_len != 32 || strlen(token) < t->signing_len)
        return 0;
    uint8_t mac[32];
    size_t mac_len = 0;
    /* One-shot EVP_Q_mac (OpenSSL 3): the emulator builds without the client core. */
    int ok = EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
                       (const unsigned char *)token, t->signing_len, mac, sizeof(mac),
                       &mac_len) != NULL &&
             mac_len == 32 && CRYPTO_memcmp(mac, t->sig, 32) == 0;
    if (!ok)
        ERR_clear_error();
    OPENSSL_cleanse(mac, sizeof(mac));
    return ok;
}

/* Frees iss; safe to call twice. */
void emu_jwt_free(emu_jwt *t)
{
    if (!t)
        return;
    free(t->iss);
    t->iss = NULL;
}
