/* Bearer-token decoding and HS256 verification. The signed tokens below were
 * made by PyJWT 2.15 (the library Notify verifies with) with the secret of
 * the documented example key, so verification is checked against a real
 * peer's output rather than against our own signing. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "emu_jwt.h"

#define SECRET "3d844edf-8d35-48ac-975b-e847b4f122b0"
#define ISS    "26785a09-ab16-4eb0-8407-a37497a57506"
#define IAT    1700000000

static const char GOOD[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpc3MiOiIyNjc4NWEwOS1hYjE2LTRlYjAtODQwNy1hMzc0OTdhNTc1MDYiLCJpYXQiOjE3MDAwMDAwMDB9."
    "Kn-G9XSJxdSMk5GxZAwIpUFB7KL-ZpWDLUGVQeIZ4Ec";
static const char HS512[] =
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9."
    "eyJpc3MiOiIyNjc4NWEwOS1hYjE2LTRlYjAtODQwNy1hMzc0OTdhNTc1MDYiLCJpYXQiOjE3MDAwMDAwMDB9."
    "-RECkhCIawqjh4BF2d67qBQNwSVNXy_AHrda6IPD60tyJkGZYB4FHhcRlrtW3F2tmHslN6Xym3Mi_-Af2bQ-wg";
static const char NOISS[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDB9."
                            "RuTB9TSY_147BzeYCpS8ffbbzy_KqVvnU93M1_G0qdo";
static const char AUD[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                          "eyJpc3MiOiIyNjc4NWEwOS1hYjE2LTRlYjAtODQwNy1hMzc0OTdhNTc1MDYiLCJpYXQiOjE3"
                          "MDAwMDAwMDAsImF1ZCI6IngifQ."
                          "HXrjFn4NohCEOUnOn0FF7hXiF9dNLYWjE7NLLyjZg5c";
static const char EXP[] = /* exp = iat - 100 */
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpc3MiOiIyNjc4NWEwOS1hYjE2LTRlYjAtODQwNy1hMzc0OTdhNTc1MDYiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MT"
    "Y5OTk5OTkwMH0."
    "kQI1uWrEhkepl09s4qmoI3j76C01rtmC6W08GnW6RdE";
static const char JTI[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                          "eyJpc3MiOiIyNjc4NWEwOS1hYjE2LTRlYjAtODQwNy1hMzc0OTdhNTc1MDYiLCJpYXQiOjE3"
                          "MDAwMDAwMDAsImp0aSI6ImFiYyJ9."
                          "JmB9W66nkOVbpJgffnj-XNjKobArsPiOuCxBEeMzTG0";

TEST(decodes_a_notify_client_token)
{
    emu_jwt t;
    CHECK_INT_EQ(emu_jwt_decode(GOOD, IAT, &t), 0);
    CHECK_STR_EQ(t.alg, "HS256");
    CHECK(t.has_iss);
    CHECK_STR_EQ(t.iss, ISS);
    CHECK(t.has_iat && t.iat_is_number);
    CHECK_INT_EQ(t.iat, IAT);
    CHECK(!t.has_other_claims && !t.exp_in_past);
    CHECK_INT_EQ(t.sig_len, 32);
    CHECK_INT_EQ(t.signing_len, strrchr(GOOD, '.') - GOOD);
    CHECK(emu_jwt_verify_hs256(GOOD, &t, SECRET));
    CHECK(!emu_jwt_verify_hs256(GOOD, &t, "3d844edf-8d35-48ac-975b-e847b4f122b1"));
    CHECK(!emu_jwt_verify_hs256(GOOD, &t, ""));
    emu_jwt_free(&t);
}

TEST(tampered_payload_or_signature_fails_verification)
{
    char tok[sizeof(GOOD)];
    memcpy(tok, GOOD, sizeof(GOOD));
    emu_jwt t;
    tok[sizeof(GOOD) - 2] = tok[sizeof(GOOD) - 2] == 'E' ? 'F' : 'E'; /* last signature char */
    CHECK_INT_EQ(emu_jwt_decode(tok, IAT, &t), 0);
    CHECK(!emu_jwt_verify_hs256(tok, &t, SECRET));
    emu_jwt_free(&t);
    memcpy(tok, GOOD, sizeof(GOOD));
    char *p = strchr(tok, '.') + 5;
    *p = *p == 'M' ? 'N' : 'M';
    if (emu_jwt_decode(tok, IAT, &t) == 0) {
        CHECK(!emu_jwt_verify_hs256(tok, &t, SECRET));
        emu_jwt_free(&t);
    }
}

TEST(reports_the_algorithm_so_the_caller_can_refuse_it)
{
    emu_jwt t;
    CHECK_INT_EQ(emu_jwt_decode(HS512, IAT, &t), 0);
    CHECK_STR_EQ(t.alg, "HS512");
    CHECK_INT_EQ(t.sig_len, 64);
    CHECK(!emu_jwt_verify_hs256(HS512, &t, SECRET));
    emu_jwt_free(&t);
    /* {"alg":"none"}.{"iss":"x"}. with an empty signature */
    CHECK_INT_EQ(emu_jwt_decode("eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.", IAT, &t), 0);
    CHECK_STR_EQ(t.alg, "none");
    CHECK_INT_EQ(t.sig_len, 0);
    CHECK(!emu_jwt_verify_hs256("eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.", &t, SECRET));
    emu_jwt_free(&t);
    /* {}.{} : no alg */
    CHECK_INT_EQ(emu_jwt_decode("e30.e30.", IAT, &t), 0);
    CHECK_STR_EQ(t.alg, "");
    CHECK(!t.has_iss && !t.has_iat);
    emu_jwt_free(&t);
}

TEST(missing_iss_is_reported)
{
    emu_jwt t;
    CHECK_INT_EQ(emu_jwt_decode(NOISS, IAT, &t), 0);
    CHECK(!t.has_iss);
    CHECK(t.iss == NULL);
    CHECK(emu_jwt_verify_hs256(NOISS, &t, SECRET));
    emu_jwt_free(&t);
}

TEST(non_string_iss_and_iat_are_told_apart_from_missing_ones)
{
    emu_jwt t;
    /* {"alg":"HS256"}.{"iss":5,"iat":"soon"} */
    CHECK_INT_EQ(emu_jwt_decode("eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOjUsImlhdCI6InNvb24ifQ.", IAT, &t),
                 0);
    CHECK(t.has_iss && t.iss == NULL);
    CHECK(t.has_iat && !t.iat_is_number);
    emu_jwt_free(&t);
    /* {"alg":"HS256"}.{"iss":"a","iat":1.7e9} */
    CHECK_INT_EQ(emu_jwt_decode("eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJhIiwiaWF0IjoxLjdlOX0.", IAT, &t),
                 0);
    CHECK(t.has_iat && t.iat_is_number);
    CHECK_INT_EQ(t.iat, 1700000000);
    emu_jwt_free(&t);
}

TEST(claims_pyjwt_rejects_are_flagged)
{
    emu_jwt t;
    CHECK_INT_EQ(emu_jwt_decode(AUD, IAT, &t), 0);
    CHECK(t.has_other_claims && !t.exp_in_past);
    emu_jwt_free(&t);
    CHECK_INT_EQ(emu_jwt_decode(EXP, IAT, &t), 0);
    CHECK(t.has_other_claims && t.exp_in_past);
    emu_jwt_free(&t);
    /* the same exp is within the 30 s leeway 80 s earlier */
    CHECK_INT_EQ(emu_jwt_decode(EXP, IAT - 80, &t), 0);
    CHECK(!t.has_other_claims && !t.exp_in_past);
    emu_jwt_free(&t);
    /* claims PyJWT does not check are accepted */
    CHECK_INT_EQ(emu_jwt_decode(JTI, IAT, &t), 0);
    CHECK(!t.has_other_claims);
    CHECK(emu_jwt_verify_hs256(JTI, &t, SECRET));
    emu_jwt_free(&t);
}

/* base64url without padding of s, into out (room for 4/3 strlen + 4). */
static void b64url(const char *s, char *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        out[o++] = al[(v >> 18) & 63];
        out[o++] = al[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = al[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = al[v & 63];
    }
    out[o] = '\0';
}

/* Decodes "<b64(header)>.<b64(payload)>." and returns emu_jwt_decode's result. */
static int decode_json(const char *header, const char *payload, emu_jwt *t)
{
    char tok[1024], h[400], p[600];
    b64url(header, h);
    b64url(payload, p);
    snprintf(tok, sizeof(tok), "%s.%s.", h, p);
    return emu_jwt_decode(tok, IAT, t);
}

TEST(iat_is_read_the_way_python_int_reads_it)
{
    static const struct {
        const char *payload;
        int number;
        long long value;
    } cases[] = {
        {"{\"iat\":1700000000}", 1, 1700000000},
        {"{\"iat\":1700000000.9}", 1, 1700000000},
        {"{\"iat\":\"1700000000\"}", 1, 1700000000},
        {"{\"iat\":\" +1_700_000_000 \"}", 1, 1700000000},
        {"{\"iat\":true}", 1, 1},
        {"{\"iat\":\"17e8\"}", 0, 0},
        {"{\"iat\":\"soon\"}", 0, 0},
        {"{\"iat\":\"1__0\"}", 0, 0},
        {"{\"iat\":null}", 0, 0},
        {"{\"iat\":[1]}", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        emu_jwt t;
        if (decode_json("{\"alg\":\"HS256\"}", cases[i].payload, &t) != 0) {
            ck_fail(__FILE__, __LINE__, "did not decode %s", cases[i].payload);
            continue;
        }
        CHECK(t.has_iat);
        if (t.iat_is_number != cases[i].number || (cases[i].number && t.iat != cases[i].value))
            ck_fail(__FILE__, __LINE__, "%s: number=%d iat=%lld", cases[i].payload, t.iat_is_number,
                    (long long)t.iat);
        emu_jwt_free(&t);
    }
}

TEST(other_claims_are_refused_only_where_pyjwt_refuses_them)
{
    /* refused: InvalidTokenError (general message); future: nbf's
     * ImmatureSignatureError (clock error); undecodable: exp/nbf's
     * DecodeError (the next key is tried) */
    static const struct {
        const char *payload;
        int refused, future, undecodable;
    } cases[] = {
        {"{\"aud\":\"x\"}", 1, 0, 0},
        {"{\"aud\":[\"x\"]}", 1, 0, 0},
        {"{\"aud\":\"\"}", 0, 0, 0},
        {"{\"aud\":[]}", 0, 0, 0},
        {"{\"aud\":null}", 0, 0, 0},
        {"{\"sub\":5}", 1, 0, 0},
        {"{\"sub\":\"me\"}", 0, 0, 0},
        {"{\"jti\":[1]}", 1, 0, 0},
        {"{\"jti\":\"abc\"}", 0, 0, 0},
        {"{\"exp\":\"later\"}", 0, 0, 1},
        {"{\"exp\":null}", 0, 0, 1},
        {"{\"exp\":[]}", 0, 0, 1},
        {"{\"exp\":\"1700000100\"}", 0, 0, 0},
        {"{\"exp\":1699999970}", 1, 0, 0},
        {"{\"exp\":1699999971}", 0, 0, 0},
        {"{\"nbf\":1700000030}", 0, 0, 0},
        {"{\"nbf\":1700000031}", 0, 1, 0},
        {"{\"nbf\":\"1700000031\"}", 0, 1, 0},
        {"{\"nbf\":\"x\"}", 0, 0, 1},
        {"{\"nbf\":null}", 0, 0, 1},
        {"{\"nbf\":{}}", 0, 0, 1},
        {"{\"nbf\":true}", 0, 0, 0},
        {"{\"foo\":{\"bar\":1}}", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        emu_jwt t;
        if (decode_json("{\"alg\":\"HS256\"}", cases[i].payload, &t) != 0) {
            ck_fail(__FILE__, __LINE__, "did not decode %s", cases[i].payload);
            continue;
        }
        if (t.has_other_claims != cases[i].refused || t.nbf_in_future != cases[i].future ||
            t.exp_or_nbf_undecodable != cases[i].undecodable)
            ck_fail(__FILE__, __LINE__, "%s: has_other_claims=%d nbf_in_future=%d undecodable=%d",
                    cases[i].payload, t.has_other_claims, t.nbf_in_future,
                    t.exp_or_nbf_undecodable);
        emu_jwt_free(&t);
    }
}

TEST(crit_header_must_name_supported_extensions)
{
    emu_jwt t;
    CHECK_INT_EQ(decode_json("{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":true}", "{}", &t), 0);
    emu_jwt_free(&t);
    CHECK_INT_EQ(decode_json("{\"alg\":\"HS256\",\"crit\":[\"b64\"]}", "{}", &t), -1);
    CHECK_INT_EQ(decode_json("{\"alg\":\"HS256\",\"b64\":false}", "{}", &t), -1);
    CHECK_INT_EQ(decode_json("{\"alg\":\"HS256\",\"crit\":[]}", "{}", &t), -1);
    CHECK_INT_EQ(decode_json("{\"alg\":\"HS256\",\"crit\":\"b64\"}", "{}", &t), -1);
    CHECK_INT_EQ(decode_json("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", "{}", &t), -1);
}

TEST(odd_alg_values_never_read_as_hs256)
{
    emu_jwt t;
    CHECK_INT_EQ(decode_json("{\"alg\":5}", "{}", &t), 0);
    CHECK_STR_EQ(t.alg, "?");
    emu_jwt_free(&t);
    CHECK_INT_EQ(decode_json("{\"alg\":\"HS256HS256HS256HS256\"}", "{}", &t), 0);
    CHECK_STR_EQ(t.alg, "?");
    emu_jwt_free(&t);
    CHECK_INT_EQ(decode_json("{\"alg\":\"hs256\"}", "{}", &t), 0);
    CHECK_STR_EQ(t.alg, "hs256");
    emu_jwt_free(&t);
}

TEST(malformed_tokens_do_not_decode)
{
    static const char *const bad[] = {
        "",
        "abc",
        "a.b",
        "e30.e30",           /* two parts */
        "e30.e30.e30.e30",   /* four parts */
        "e30=.e30.",         /* padding */
        "e30.e30.a+b/",      /* base64, not base64url */
        "e3 0.e30.",         /* space */
        "W10.e30.",          /* header [] */
        "e30.W10.",          /* payload [] */
        "e30.IiI.",          /* payload "" */
        "bm90IGpzb24.e30.",  /* "not json" */
        ".e30.",             /* empty header */
        "e30.e30.a",         /* impossible base64 length */
        "eyJraWQiOjF9.e30.", /* {"kid":1}: PyJWT wants a string */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        emu_jwt t;
        if (emu_jwt_decode(bad[i], IAT, &t) != -1) {
            ck_fail(__FILE__, __LINE__, "decoded %s", bad[i]);
            emu_jwt_free(&t);
        }
    }
    emu_jwt t;
    CHECK_INT_EQ(emu_jwt_decode(NULL, IAT, &t), -1);
}

TEST(verify_refuses_inconsistent_arguments)
{
    emu_jwt t;
    CHECK_INT_EQ(emu_jwt_decode(GOOD, IAT, &t), 0);
    CHECK(!emu_jwt_verify_hs256(NULL, &t, SECRET));
    CHECK(!emu_jwt_verify_hs256(GOOD, NULL, SECRET));
    CHECK(!emu_jwt_verify_hs256(GOOD, &t, NULL));
    CHECK(!emu_jwt_verify_hs256("short", &t, SECRET));
    emu_jwt_free(&t);
    emu_jwt_free(&t); /* safe twice */
}
