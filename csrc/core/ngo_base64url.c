/* base64url without padding (RFC 4648 §5). */
#include "ngo.h"

static const char ngo__b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Returns the encoded length of n bytes, without padding or NUL. */
size_t ngo_b64url_encoded_len(size_t n)
{
    return (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/* Returns the characters written (NUL not counted) or NGO_ENOBUFS. */
long ngo_b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    size_t need = ngo_b64url_encoded_len(n);
    size_t i, o = 0;

    if (!out || (!in && n))
        return NGO_EINVAL;
    if (cap < need + 1)
        return NGO_ENOBUFS;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = ngo__b64url_alphabet[(v >> 18) & 63];
        out[o++] = ngo__b64url_alphabet[(v >> 12) & 63];
        out[o++] = ngo__b64url_alphabet[(v >> 6) & 63];
        out[o++] = ngo__b64url_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = ngo__b64url_alphabet[(v >> 18) & 63];
        out[o++] = ngo__b64url_alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = ngo__b64url_alphabet[(v >> 18) & 63];
        out[o++] = ngo__b64url_alphabet[(v >> 12) & 63];
        out[o++] = ngo__b64url_alphabet[(v >> 6) & 63];
    }
    out[o] = '\0';
    return (long)o;
}

/* The 6-bit value of c, or -1 when c is outside the alphabet. */
static int ngo__b64url_value(char c)
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

/* Returns the bytes written, NGO_EDECODE or NGO_ENOBUFS. Rejects non-zero
 * trailing bits so every byte string has exactly one encoding. */
long ngo_b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
    size_t i, o = 0;
    uint32_t acc = 0;
    int bits = 0;

    if ((!in && n) || (!out && cap))
        return NGO_EINVAL;
    if (n % 4 == 1)
        return NGO_EDECODE;
    if (cap < n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0))
        return NGO_ENOBUFS;
    for (i = 0; i < n; i++) {
        int v = ngo__b64url_value(in[i]);
        if (v < 0)
            return NGO_EDECODE;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc)
        return NGO_EDECODE;
    return (long)o;
}
