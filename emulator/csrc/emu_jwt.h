/* Reading the bearer token of a request, for authentication (notify-api.md
 * §1.2-§1.4). The caller applies Notify's order of checks; these functions
 * only decode and verify. */
#ifndef EMU_JWT_H
#define EMU_JWT_H

#include <stddef.h>
#include <stdint.h>

typedef struct emu_jwt {
    char alg[16];      /* header "alg"; "" when absent, "?" when not a string
                            * or too long (neither can be "HS256") */
    char *iss;         /* payload "iss" as a string (malloc'd) or NULL */
    int has_iat;       /* payload has "iat" */
    int iat_is_number; /* ... and Python's int() takes it (an integer, a real,
                            * a boolean or a base-10 string, as PyJWT does) */
    int64_t iat;
    int has_other_claims;       /* a claim PyJWT rejects with an InvalidTokenError (Notify's
                            * general message) once the signature matches, with
                            * Notify's 30 s leeway: a truthy "aud", an "exp" at or
                            * before now-30, or a non-string "sub"/"jti". Other claims
                            * are ignored, as PyJWT does. */
    int exp_in_past;            /* "exp" present and at or before now-30 (caller passes now) */
    int nbf_in_future;          /* "nbf" present, int() takes it, and after now+30: PyJWT's
                            * ImmatureSignatureError (Notify's clock error) */
    int exp_or_nbf_undecodable; /* "exp" or "nbf" present but Python's int() refuses it
                            * ("x", null, a list...): PyJWT's DecodeError, which Notify
                            * skips like a wrong signature */
    size_t signing_len;         /* length of "<header>.<payload>" at the token start */
    unsigned char sig[64];      /* decoded signature */
    size_t sig_len;             /* 0 when the signature part is empty or longer than 64 bytes */
    int has_iss;                /* payload has "iss" (of any type; iss == NULL unless a string) */
} emu_jwt;

/* Decodes a compact JWS without verifying it. now is the current Unix time.
 * Returns 0 when the token has exactly three unpadded base64url parts whose
 * first two are JSON objects (and a "kid" header, if any, is a string, a
 * "crit" header a non-empty list of supported names present in the header,
 * and "b64" not false, as PyJWT requires), else -1 (then nothing needs
 * freeing). Stricter than PyJWT on purpose: padding, characters outside
 * the base64url alphabet and NaN/Infinity/huge numbers in the JSON are
 * refused (PyJWT's lenient base64 skips stray characters). On success the
 * caller releases *out with emu_jwt_free(). */
int emu_jwt_decode(const char *token, int64_t now, emu_jwt *out);

/* 1 when HMAC-SHA256(secret, signing input) equals the token's signature
 * (constant-time compare), else 0. */
int emu_jwt_verify_hs256(const char *token, const emu_jwt *t, const char *secret);

void emu_jwt_free(emu_jwt *t);

#endif
