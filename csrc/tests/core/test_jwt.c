/* JWT HS256: tokens identical byte for byte to notifications-python-client.
 *
 * The expected tokens were produced once with the PyJWT 2.15.1 installed as a
 * dependency of notifications-python-client 13.0.0, exactly as that client
 * signs (authentication.create_jwt_token):
 *   jwt.encode(payload={"iss": SID, "iat": IAT}, key=SECRET,
 *              headers={"typ": "JWT", "alg": "HS256"})
 */
#include "check.h"
#include "ngo.h"

#include <string.h>

struct vector {
    const char *sid, *secret;
    int64_t iat;
    const char *token;
};

static const struct vector vectors[] = {
    {"26785a09-ab16-4eb0-8407-a37497a57506", "3d844edf-8d35-48ac-975b-e847b4f122b0", 1700000000,
     "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
     "eyJpc3MiOiIyNjc4NWEwOS1hYjE2LTRlYjAtODQwNy1hMzc0OTdhNTc1MDYiLCJpYXQiOjE3MDAwMDAwMDB9.Kn-"
     "G9XSJxdSMk5GxZAwIpUFB7KL-ZpWDLUGVQeIZ4Ec"},
    {"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", 0,
     "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
     "eyJpc3MiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiLCJpYXQiOjB9.rTk9bYyqi-"
     "SBFrX3ZDX9hb0Sj18pBvJP7IZCm-A53gM"},
    {"ABCDEF01-2345-6789-ABCD-EF0123456789", "fedcba98-7654-3210-fedc-ba9876543210", 4102444800,
     "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
     "eyJpc3MiOiJBQkNERUYwMS0yMzQ1LTY3ODktQUJDRC1FRjAxMjM0NTY3ODkiLCJpYXQiOjQxMDI0NDQ4MDB9."
     "TD8XlPfVwhvfDdbEdcYOdZ3x9ZdMrxd6LXVaQDGSOBE"},
    {"26785a09-ab16-4eb0-8407-a37497a57506", "3d844edf-8d35-48ac-975b-e847b4f122b0", -1,
     "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
     "eyJpc3MiOiIyNjc4NWEwOS1hYjE2LTRlYjAtODQwNy1hMzc0OTdhNTc1MDYiLCJpYXQiOi0xfQ."
     "YkusesgCp2EexT6Ue3SsleyYQgeSu2fwDMzEHNWiKO0"},
};

TEST(jwt_matches_pyjwt_byte_for_byte)
{
    char out[NGO_JWT_MAX];
    size_t i;
    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct vector *v = &vectors[i];
        long n = ngo_jwt_sign(v->sid, v->secret, strlen(v->secret), v->iat, out, sizeof(out));
        CHECK_INT_EQ(n, strlen(v->token));
        CHECK_STR_EQ(out, v->token);
    }
}

TEST(jwt_header_is_the_sorted_pyjwt_header)
{
    char out[NGO_JWT_MAX];
    uint8_t header[64];
    const char *dot;
    long n;
    CHECK(ngo_jwt_sign(vectors[0].sid, vectors[0].secret, 36, 1, out, sizeof(out)) > 0);
    dot = strchr(out, '.');
    CHECK(dot != NULL);
    n = ngo_b64url_decode(out, (size_t)(dot - out), header, sizeof(header) - 1);
    CHECK(n > 0);
    header[n > 0 ? n : 0] = 0;
    CHECK_STR_EQ((const char *)header, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
}

TEST(jwt_refuses_a_small_buffer)
{
    char out[100];
    CHECK_INT_EQ(ngo_jwt_sign(vectors[0].sid, vectors[0].secret, 36, 1, out, sizeof(out)),
                 NGO_ENOBUFS);
}

TEST(jwt_refuses_an_issuer_that_would_break_the_json)
{
    char out[NGO_JWT_MAX];
    CHECK_INT_EQ(ngo_jwt_sign("26785a09-ab16-4eb0-8407-a37497a5750\"", "s", 1, 1, out, sizeof(out)),
                 NGO_EINVAL);
    CHECK_INT_EQ(ngo_jwt_sign(vectors[0].sid, "", 0, 1, out, sizeof(out)), NGO_EINVAL);
}

TEST(different_secrets_give_different_signatures)
{
    char a[NGO_JWT_MAX], b[NGO_JWT_MAX];
    CHECK(ngo_jwt_sign(vectors[0].sid, "3d844edf-8d35-48ac-975b-e847b4f122b0", 36, 5, a,
                       sizeof(a)) > 0);
    CHECK(ngo_jwt_sign(vectors[0].sid, "3d844edf-8d35-48ac-975b-e847b4f122b1", 36, 5, b,
                       sizeof(b)) > 0);
    CHECK(strcmp(a, b) != 0);
    CHECK(!memcmp(a, b, (size_t)(strrchr(a, '.') - a)));
}
