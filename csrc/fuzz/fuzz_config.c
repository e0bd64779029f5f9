/* Fuzzes the configuration file: JSON text as --config reads it (with
 * duplicate keys rejected), applied over the defaults, then serialised back
 * as GET /_emulator/config does. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "emu_config.h"
#include "emu_errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!root)
        return 0;
    emu_config cfg;
    if (emu_config_defaults(&cfg)) {
        json_decref(root);
        return 0;
    }
    emu_errors errs;
    emu_errors_init(&errs);
    int rc = emu_config_apply_json(&cfg, root, &errs);
    if (rc != 0 && errs.n == 0)
        abort(); /* a rejected configuration always says why */
    if (rc == 0) {
        json_t *out = emu_config_to_json(&cfg);
        json_decref(out);
    }
    emu_errors_free(&errs);
    emu_config_free(&cfg);
    json_decref(root);
    return 0;
}
