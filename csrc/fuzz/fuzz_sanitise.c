/* Fuzzes sanitise_content_for: the input is a personalisation value (any
 * bytes), then optionally a NUL byte and a JSON personalisation object whose
 * keys are all listed. Checks that every Markdown character in the output
 * is escaped and that the personalisation report matches what changed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu_sanitise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless every character of "`*_(){}[]<>#+-.!|\" in s[0..n) has a
 * backslash before it (the backslash itself being one of them). */
static void check_escaped(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\') {
            if (i + 1 >= n || !s[i + 1] || !strchr("`*_(){}[]<>#+-.!|\\", s[i + 1]))
                abort();
            i++;
        } else if (s[i] && strchr("`*_(){}[]<>#+-.!|", s[i])) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t text_len = nul ? (size_t)(nul - data) : size;
    size_t out_len = 0;
    char *out = emu_sanitise_text((const char *)data, text_len, &out_len);
    if (out) {
        if (strlen(out) != out_len)
            abort();
        check_escaped(out, out_len);
        free(out);
    }
    if (!nul)
        return 0;
    json_t *pers = json_loadb((const char *)nul + 1, size - text_len - 1, 0, NULL);
    if (!json_is_object(pers)) {
        json_decref(pers);
        return 0;
    }
    json_t *keys = json_array();
    const char *key;
    json_t *value;
    json_object_foreach(pers, key, value) json_array_append_new(keys, json_string(key));
    json_t *before = json_deep_copy(pers);
    json_t *report = emu_sanitise_personalisation(pers, keys);
    if (report && before) {
        json_object_foreach(before, key, value)
        {
            json_t *now = json_object_get(pers, key), *entry = json_object_get(report, key);
            if (json_equal(now, value) == !!entry)
                abort(); /* reported exactly when the value changed */
            if (entry) {
                const char *s = json_string_value(json_object_get(entry, "sanitised"));
                if (!s || !json_equal(json_object_get(entry, "unsanitised"), value) ||
                    strcmp(s, json_string_value(now)) != 0)
                    abort();
                check_escaped(s, strlen(s));
            }
        }
    }
    json_decref(report);
    json_decref(before);
    json_decref(keys);
    json_decref(pers);
    return 0;
}
