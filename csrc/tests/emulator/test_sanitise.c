/* sanitise_content_for (notify-api.md §2.5): URLs found as notifications-
 * utils' formatters.url finds them, bare domains broken up, other URLs
 * removed, Markdown characters escaped; and the personalisation wrapper. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "emu_sanitise.h"

/* Sanitises text and checks the result. */
static void check_sanitise(const char *file, int line, const char *text, const char *expected)
{
    size_t n = 0;
    char *got = emu_sanitise_text(text, strlen(text), &n);
    if (!got || strcmp(got, expected) != 0 || n != strlen(got))
        ck_fail(file, line, "sanitise \"%s\": got \"%s\", want \"%s\"", text, got ? got : "(null)",
                expected);
    free(got);
}
#define SANITISES(text, expected) check_sanitise(__FILE__, __LINE__, text, expected)

TEST(plain_text_without_markdown_characters_is_unchanged)
{
    SANITISES("", "");
    SANITISES("Hello Ann", "Hello Ann");
    SANITISES("caf\xc3\xa9 \xe2\x80\x99 ok", "caf\xc3\xa9 \xe2\x80\x99 ok");
}

TEST(every_markdown_character_gets_a_backslash)
{
    SANITISES("`*_(){}[]<>#+-.!|\\", "\\`\\*\\_\\(\\)\\{\\}\\[\\]\\<\\>\\#\\+\\-\\.\\!\\|\\\\");
    SANITISES("# Title", "\\# Title");
    SANITISES("**bold** and [link](x)", "\\*\\*bold\\*\\* and \\[link\\]\\(x\\)");
    SANITISES("3.5", "3\\.5");
}

TEST(bare_domain_is_broken_up_at_each_dot)
{
    SANITISES("example.com", "example\\. com");
    SANITISES("go to www.gov.uk now", "go to www\\. gov\\. uk now");
    SANITISES("my-site.co.uk.", "my\\-site\\. co\\. uk\\.");
    SANITISES("EXAMPLE.COM", "EXAMPLE\\. COM");
}

TEST(url_with_scheme_or_path_is_removed)
{
    SANITISES("see https://example.com/a?b=1#c for more", "see  for more");
    SANITISES("http://example.com", "");
    SANITISES("HTTPS://Example.com", "");
    SANITISES("example.com/path", "");
    SANITISES("a example.com?q then", "a  then");
    SANITISES("x https://evil.example/p<b>", "x \\<b\\>");
    SANITISES("(https://example.com)", "\\(\\)");
}

TEST(domain_with_characters_outside_a_bare_domain_is_removed)
{
    SANITISES("under_score.com", "");
    SANITISES("caf\xc3\xa9.fr", "");
}

TEST(text_that_is_not_a_url_is_only_escaped)
{
    SANITISES("ann@example.com", "ann@example\\.com"); /* preceded by '@' */
    SANITISES("example.c", "example\\.c");             /* one-letter top-level domain */
    SANITISES("example.com1", "example\\.com1");       /* top-level domain runs into a digit */
    SANITISES("example.com@x", "example\\.com@x");     /* followed by '@' */
    SANITISES("1.5 and 10.25", "1\\.5 and 10\\.25");
    SANITISES("http://", "http://");
    SANITISES("a..com", "a\\.\\.com");
}

TEST(host_takes_as_many_labels_as_a_top_level_domain_allows)
{
    /* "www.example.com1": the last label cannot be a top-level domain, so
     * the match is "www.example" */
    SANITISES("www.example.com1", "www\\. example\\.com1");
    /* a label ending in letters then '-' still ends a top-level domain */
    SANITISES("ab.cd-e", "ab\\. cd\\-e");
}

TEST(long_runs_without_urls_are_handled)
{
    size_t n = 200000;
    char *text = malloc(n + 1);
    CHECK(text != NULL);
    if (!text)
        return;
    for (size_t i = 0; i < n; i++)
        text[i] = (i % 3 == 2) ? '-' : 'a';
    text[n] = '\0';
    size_t out_len = 0;
    char *got = emu_sanitise_text(text, n, &out_len);
    CHECK(got != NULL);
    CHECK_INT_EQ(out_len, n + n / 3);
    free(got);
    free(text);
}

/* Runs emu_sanitise_personalisation on JSON and checks both results. */
static void check_pers(const char *file, int line, const char *pers_json, const char *keys_json,
                       const char *want_pers, const char *want_out)
{
    json_t *pers = json_loads(pers_json, 0, NULL);
    json_t *keys = json_loads(keys_json, JSON_DECODE_ANY, NULL);
    json_t *out = emu_sanitise_personalisation(pers, keys);
    char *got_pers = pers ? json_dumps(pers, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    char *got_out = out ? json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    if (!got_pers || !got_out || strcmp(got_pers, want_pers) || strcmp(got_out, want_out))
        ck_fail(file, line, "got %s / %s, want %s / %s", got_pers ? got_pers : "(null)",
                got_out ? got_out : "(null)", want_pers, want_out);
    free(got_pers);
    free(got_out);
    json_decref(out);
    json_decref(keys);
    json_decref(pers);
}
#define PERS(p, k, wp, wo) check_pers(__FILE__, __LINE__, p, k, wp, wo)

TEST(listed_keys_are_sanitised_and_reported_with_the_key_as_sent)
{
    PERS("{\"First Name\":\"*Ann*\",\"other\":\"*x*\"}", "[\"first_name\"]",
         "{\"First Name\":\"\\\\*Ann\\\\*\",\"other\":\"*x*\"}",
         "{\"First Name\":{\"sanitised\":\"\\\\*Ann\\\\*\",\"unsanitised\":\"*Ann*\"}}");
}

TEST(unchanged_values_and_unlisted_keys_are_not_reported)
{
    PERS("{\"a\":\"plain\",\"b\":\"x.com\"}", "[\"A\"]", "{\"a\":\"plain\",\"b\":\"x.com\"}", "{}");
    PERS("{\"a\":\"#\"}", "null", "{\"a\":\"#\"}", "{}");
    PERS("{\"a\":\"#\"}", "[]", "{\"a\":\"#\"}", "{}");
}

TEST(values_that_are_not_strings_are_left_alone)
{
    PERS("{\"n\":1.5,\"l\":[\"#\"],\"z\":null}", "[\"n\",\"l\",\"z\",5]",
         "{\"l\":[\"#\"],\"n\":1.5,\"z\":null}", "{}");
}

TEST(no_personalisation_gives_an_empty_object)
{
    json_t *keys = json_loads("[\"a\"]", 0, NULL);
    json_t *out = emu_sanitise_personalisation(NULL, keys);
    CHECK(out != NULL && json_is_object(out) && json_object_size(out) == 0);
    json_decref(out);
    json_decref(keys);
}
