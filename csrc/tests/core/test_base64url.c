/* base64url without padding: RFC 4648 test vectors, URL alphabet. */
#include "check.h"
#include "ngo.h"

#include <string.h>

static const char *enc(const char *s, char *out, size_t cap)
{
    long n = ngo_b64url_encode((const uint8_t *)s, strlen(s), out, cap);
    return n < 0 ? "(error)" : out;
}

TEST(encodes_rfc4648_vectors_without_padding)
{
    char out[64];
    CHECK_STR_EQ(enc("", out, sizeof(out)), "");
    CHECK_STR_EQ(enc("f", out, sizeof(out)), "Zg");
    CHECK_STR_EQ(enc("fo", out, sizeof(out)), "Zm8");
    CHECK_STR_EQ(enc("foo", out, sizeof(out)), "Zm9v");
    CHECK_STR_EQ(enc("foob", out, sizeof(out)), "Zm9vYg");
    CHECK_STR_EQ(enc("fooba", out, sizeof(out)), "Zm9vYmE");
    CHECK_STR_EQ(enc("foobar", out, sizeof(out)), "Zm9vYmFy");
}

TEST(uses_the_url_safe_alphabet)
{
    const uint8_t in[] = {0xfb, 0xff, 0xfe};
    char out[8];
    CHECK_INT_EQ(ngo_b64url_encode(in, 3, out, sizeof(out)), 4);
    CHECK_STR_EQ(out, "-__-");
}

TEST(encoded_length_matches_output)
{
    size_t n;
    for (n = 0; n < 10; n++)
        CHECK_INT_EQ(ngo_b64url_encoded_len(n), (n * 4 + 2) / 3);
}

TEST(encode_refuses_a_buffer_without_room_for_the_nul)
{
    char out[4];
    CHECK_INT_EQ(ngo_b64url_encode((const uint8_t *)"foo", 3, out, 4), NGO_ENOBUFS);
}

TEST(decode_round_trips_every_length)
{
    uint8_t in[40], back[40];
    char out[64];
    size_t n;
    for (n = 0; n < sizeof(in); n++)
        in[n] = (uint8_t)(n * 37 + 11);
    for (n = 0; n <= sizeof(in); n++) {
        long e = ngo_b64url_encode(in, n, out, sizeof(out));
        CHECK(e >= 0);
        CHECK_INT_EQ(ngo_b64url_decode(out, (size_t)e, back, sizeof(back)), n);
        CHECK(!memcmp(in, back, n));
    }
}

TEST(decode_rejects_padding_bad_characters_and_bad_lengths)
{
    uint8_t out[16];
    CHECK_INT_EQ(ngo_b64url_decode("Zg==", 4, out, sizeof(out)), NGO_EDECODE);
    CHECK_INT_EQ(ngo_b64url_decode("Zm9+", 4, out, sizeof(out)), NGO_EDECODE);
    CHECK_INT_EQ(ngo_b64url_decode("Zm9vY", 5, out, sizeof(out)), NGO_EDECODE);
    /* "Zh" has non-zero trailing bits: not a canonical encoding. */
    CHECK_INT_EQ(ngo_b64url_decode("Zh", 2, out, sizeof(out)), NGO_EDECODE);
    CHECK_INT_EQ(ngo_b64url_decode("Zm9vYmFy", 8, out, 5), NGO_ENOBUFS);
}
