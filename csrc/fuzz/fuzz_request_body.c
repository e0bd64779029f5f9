/* Fuzzes POST body parsing and validation, and the list-query rules: the
 * input is a request body; its lines, read as key=value, are also a query. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu_errors.h"
#include "emu_rules.h"
#include "emu_template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_errors errs;
    emu_errors_init(&errs);
    json_t *body = emu_parse_body((const char *)data, size);
    if (body) {
        size_t n = emu_validate_post_email_at(body, 1893499200.0, &errs);
        if (n != errs.n)
            abort();
        json_t *pers = json_object_get(body, "personalisation");
        json_t *tmpl = json_object_get(body, "reference");
        if (json_is_string(tmpl)) {
            emu_strlist missing;
            emu_strlist_init(&missing);
            free(emu_template_render_body(json_string_value(tmpl), pers, &missing));
            emu_strlist_free(&missing);
        }
        json_decref(body);
    }
    emu_errors_free(&errs);

    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    emu_param params[64];
    size_t np = 0;
    for (char *line = copy; line && np < 64;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *eq = strchr(line, '=');
        if (eq) {
            *eq = '\0';
            params[np].key = line;
            params[np].value = eq + 1;
            np++;
        }
        line = next;
    }
    emu_list_query q;
    emu_errors_init(&errs);
    emu_validate_list_query(params, np, &q, &errs);
    emu_errors_free(&errs);
    free(copy);
    return 0;
}
