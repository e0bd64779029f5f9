/* Fuzzes the body of PUT /_emulator/faults: parsed as the server parses it,
 * merged into the fault settings, which stay valid whatever is accepted. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu_config.h"
#include "emu_errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rate(double v)
{
    if (!(v >= 0.0 && v <= 1.0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, 0, NULL);
    if (!body)
        return 0;
    emu_faults f, before;
    memset(&f, 0, sizeof(f));
    before = f;
    emu_errors errs;
    emu_errors_init(&errs);
    int rc = emu_faults_apply_json(&f, body, &errs);
    if (rc != 0 && (errs.n == 0 || memcmp(&f, &before, sizeof(f)) != 0))
        abort(); /* rejected: says why and leaves the settings untouched */
    check_rate(f.error_5xx_rate);
    check_rate(f.error_429_rate);
    check_rate(f.drop_after_store_rate);
    check_rate(f.stall_rate);
    if (!(f.latency_ms >= 0 && f.jitter_ms >= 0 && f.stall_ms >= 0 &&
          f.refuse_connections_ms >= 0) ||
        !isfinite(f.latency_ms) || !isfinite(f.jitter_ms))
        abort();
    json_decref(emu_faults_to_json(&f));
    emu_errors_free(&errs);
    json_decref(body);
    return 0;
}
