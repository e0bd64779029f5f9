/* Fuzzes bearer-token decoding and HS256 verification. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu_jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *token = malloc(size + 1);
    if (!token)
        return 0;
    memcpy(token, data, size);
    token[size] = '\0';
    emu_jwt t;
    if (emu_jwt_decode(token, 1700000000, &t) == 0) {
        if (t.signing_len > strlen(token) || t.sig_len > sizeof(t.sig))
            abort();
        if (t.iss && !t.has_iss)
            abort();
        (void)emu_jwt_verify_hs256(token, &t, "3d844edf-8d35-48ac-975b-e847b4f122b0");
        emu_jwt_free(&t);
    }
    free(token);
    return 0;
}
