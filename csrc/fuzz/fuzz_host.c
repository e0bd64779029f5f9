/* Fuzzes the Host and Origin checks and the callback URL rule: any bytes,
 * against a loopback, a named and a wildcard --host. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu_origin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    static const char *const binds[] = {"127.0.0.1", "::1", "devbox.internal", "0.0.0.0", "::"};
    for (size_t i = 0; i < sizeof(binds) / sizeof(binds[0]); i++) {
        int host = emu_host_allowed(s, binds[i]);
        int origin = emu_origin_allowed(s, binds[i]);
        /* What a loopback --host answers, every other --host answers too. */
        if (i >= 2 && emu_host_allowed(s, "127.0.0.1") && !host)
            abort();
        (void)origin;
    }
    if (emu_is_loopback_name(s, size) && !emu_host_allowed(s, "127.0.0.1") && !memchr(s, ':', size))
        abort();
    (void)emu_callback_url_allowed(s);
    (void)emu_bind_is_loopback(s);
    free(s);
    return 0;
}
