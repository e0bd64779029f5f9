/* Fuzzes email-address validation and UUID parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char *norm = NULL;
    int ok = emu_email_valid(s, &norm);
    if (ok != (norm != NULL))
        abort();
    free(norm);
    char out[37];
    if (emu_uuid_normalise(s, out) == 0) {
        /* the canonical form is itself a valid, stable UUID */
        char again[37];
        if (strlen(out) != 36 || emu_uuid_normalise(out, again) != 0 || strcmp(out, again) != 0)
            abort();
    }
    if (emu_uuid_valid(s) != (emu_uuid_normalise(s, out) == 0))
        abort();
    free(s);
    return 0;
}
