/* Fuzzes template rendering: the input is template text, then a NUL byte,
 * then the personalisation as JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu_template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t text_len = nul ? (size_t)(nul - data) : size;
    char *text = malloc(text_len + 1);
    if (!text)
        return 0;
    memcpy(text, data, text_len);
    text[text_len] = '\0';
    json_t *pers = NULL;
    if (nul)
        pers = json_loadb((const char *)nul + 1, size - text_len - 1, 0, NULL);

    emu_strlist missing, names;
    emu_strlist_init(&missing);
    emu_strlist_init(&names);
    char *subject = emu_template_render_subject(text, pers, &missing);
    char *body = emu_template_render_body(text, pers, &missing);
    char *raw = emu_template_render(text, pers, NULL);
    char *html = emu_template_render_subject_html(text, pers, NULL);
    if (body && emu_template_is_empty(text, body) && *text && text[0] != '(')
        abort(); /* only content starting with "((" can be empty */
    free(html);
    if (emu_template_placeholders(text, &names) == 0 && missing.n > names.n)
        abort(); /* every missing name is a placeholder name */
    if (!pers && raw && strcmp(raw, text) != 0)
        abort(); /* with no values the text is unchanged */
    free(subject);
    free(body);
    free(raw);
    emu_strlist_free(&missing);
    emu_strlist_free(&names);
    json_decref(pers);
    free(text);
    return 0;
}
