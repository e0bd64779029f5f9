/* Template rendering as notifications-utils Field/Template do it for the
 * API's plain-text content (cases from notifications-utils tests/test_field.py
 * and test_template.py), and the Python-compatible text helpers. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "emu_template.h"

/* Renders text with the personalisation given as JSON and checks the result
 * and the comma-joined missing names. */
static void check_render(const char *file, int line, const char *text, const char *pers_json,
                         const char *expected, const char *expected_missing)
{
    json_t *pers = pers_json ? json_loads(pers_json, 0, NULL) : NULL;
    if (pers_json && !pers) {
        ck_fail(file, line, "bad test JSON %s", pers_json);
        return;
    }
    emu_strlist missing;
    emu_strlist_init(&missing);
    char *got = emu_template_render(text, pers, &missing);
    if (!got || strcmp(got, expected) != 0)
        ck_fail(file, line, "render \"%s\": got \"%s\", want \"%s\"", text, got ? got : "(null)",
                expected);
    char joined[512] = "";
    for (size_t i = 0; i < missing.n; i++) {
        if (i)
            strncat(joined, ", ", sizeof(joined) - strlen(joined) - 1);
        strncat(joined, missing.items[i], sizeof(joined) - strlen(joined) - 1);
    }
    if (strcmp(joined, expected_missing) != 0)
        ck_fail(file, line, "missing for \"%s\": got \"%s\", want \"%s\"", text, joined,
                expected_missing);
    free(got);
    emu_strlist_free(&missing);
    json_decref(pers);
}

#define CHECK_RENDER(text, pers, expected, missing)                                                \
    check_render(__FILE__, __LINE__, text, pers, expected, missing)

TEST(text_without_placeholders_is_unchanged)
{
    CHECK_RENDER("", NULL, "", "");
    CHECK_RENDER("the quick brown fox", NULL, "the quick brown fox", "");
    CHECK_RENDER("the ((quick brown fox", "{}", "the ((quick brown fox", "");
    CHECK_RENDER("the (()) brown fox", "{}", "the (()) brown fox", "");
}

TEST(placeholders_are_replaced_with_raw_values)
{
    CHECK_RENDER("((colour))", "{\"colour\":\"red\"}", "red", "");
    CHECK_RENDER("the quick ((colour)) fox", "{\"colour\":\"brown\"}", "the quick brown fox", "");
    CHECK_RENDER("((article)) quick ((colour)) ((animal))",
                 "{\"article\":\"the\",\"colour\":\"brown\",\"animal\":\"fox\"}",
                 "the quick brown fox", "");
    CHECK_RENDER("the quick (((colour))) fox", "{\"colour\":\"brown\"}", "the quick (brown) fox",
                 "");
    /* plain-text content is not HTML-escaped; Markdown characters stay */
    CHECK_RENDER("the quick ((colour)) fox",
                 "{\"colour\":\"<script>alert('foo')</script> *x* [a](b)\"}",
                 "the quick <script>alert('foo')</script> *x* [a](b) fox", "");
    CHECK_RENDER("before ((placeholder)) after", "{\"placeholder\":\"\"}", "before  after", "");
    CHECK_RENDER("before ((placeholder)) after", "{\"placeholder\":\"   \"}", "before     after",
                 "");
    CHECK_RENDER("Please report to the ((>location)) office at ((&time)) on ((<day)).",
                 "{\">location\":\"London\",\"&time\":\"09:00\",\"<day\":\"Monday\"}",
                 "Please report to the London office at 09:00 on Monday.", "");
}

TEST(non_string_values_render_like_python_str)
{
    CHECK_RENDER("before ((p)) after", "{\"p\":true}", "before True after", "");
    CHECK_RENDER("before ((p)) after", "{\"p\":false}", "before False after", "");
    CHECK_RENDER("before ((p)) after", "{\"p\":0}", "before 0 after", "");
    CHECK_RENDER("before ((p)) after", "{\"p\":0.0}", "before 0.0 after", "");
    CHECK_RENDER("before ((p)) after", "{\"p\":123}", "before 123 after", "");
    CHECK_RENDER("before ((p)) after", "{\"p\":0.30000000000000004}",
                 "before 0.30000000000000004 after", "");
    CHECK_RENDER("before ((p)) after", "{\"p\":{\"key\":\"value\"}}",
                 "before {'key': 'value'} after", "");
    CHECK_RENDER("((p))", "{\"p\":1e16}", "1e+16", "");
    CHECK_RENDER("((p))", "{\"p\":1e15}", "1000000000000000.0", "");
    CHECK_RENDER("((p))", "{\"p\":0.0001}", "0.0001", "");
    CHECK_RENDER("((p))", "{\"p\":0.00001}", "1e-05", "");
    CHECK_RENDER("((p))", "{\"p\":-2.5e-7}", "-2.5e-07", "");
    CHECK_RENDER("((p))", "{\"p\":{\"it's\":[null,\"a\\nb\"]}}", "{\"it's\": [None, 'a\\nb']}", "");
}

TEST(question_marks_alone_do_not_make_a_conditional)
{
    CHECK_RENDER("((warning?))", "{\"warning?\":\"This is not a conditional\"}",
                 "This is not a conditional", "");
    CHECK_RENDER("((warning?warning))", "{\"warning?warning\":\"This is not a conditional\"}",
                 "This is not a conditional", "");
}

TEST(conditionals_show_their_text_only_for_true_like_values)
{
    CHECK_RENDER("((warning??This is a conditional warning))", "{\"warning\":true}",
                 "This is a conditional warning", "");
    CHECK_RENDER("((warning??This is a conditional warning\nwith line break))",
                 "{\"warning\":true}", "This is a conditional warning\nwith line break", "");
    CHECK_RENDER("((warning??This is a conditional warning))", "{\"warning\":false}", "", "");
    CHECK_RENDER("((warning??foo??bar))", "{\"warning\":true}", "foo??bar", "");
    CHECK_RENDER("((warning??foo??bar))", "{\"warning\":false}", "", "");
    static const char *const shown[] = {"1",        "\"1\"", "\"yes\"",     "\"y\"",    "\"true\"",
                                        "\"True\"", "true",  "\"include\"", "\"show\"", "\"SHOW\""};
    static const char *const hidden[] = {"\"0\"",      "0",
                                         "2",          "99.99999",
                                         "\"off\"",    "\"exclude\"",
                                         "\"no\"",     "\"any random string\"",
                                         "\"false\"",  "false",
                                         "[]",         "{}",
                                         "[\"true\"]", "{\"True\":true}",
                                         "1.0",        "\"\""};
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        char pers[64];
        snprintf(pers, sizeof(pers), "{\"c\":%s}", shown[i]);
        CHECK_RENDER("[((c??on))]", pers, "[on]", "");
    }
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
        char pers[64];
        snprintf(pers, sizeof(pers), "{\"c\":%s}", hidden[i]);
        CHECK_RENDER("[((c??on))]", pers, "[]", "");
    }
}

TEST(missing_and_null_values_are_reported_and_left_in_place)
{
    CHECK_RENDER("((name)) ((colour))", "{\"name\":\"Jo\"}", "Jo ((colour))", "colour");
    CHECK_RENDER("((name)) ((colour))", "{\"name\":\"Jo\",\"colour\":null}", "Jo ((colour))",
                 "colour");
    CHECK_RENDER("((name)) ((colour))", NULL, "((name)) ((colour))", "name, colour");
    /* Template.missing_data lists conditional names too */
    CHECK_RENDER("((show_thing??thing)) ((colour))", "{\"colour\":\"red\"}",
                 "((show_thing??thing)) red", "show_thing");
}

TEST(missing_names_are_deduplicated_insensitively_keeping_the_first_spelling)
{
    CHECK_RENDER("((First Name)) ((first_name)) ((b)) ((FIRST-NAME))", "{}",
                 "((First Name)) ((first_name)) ((b)) ((FIRST-NAME))", "First Name, b");
}

TEST(keys_match_ignoring_case_spaces_underscores_and_hyphens)
{
    CHECK_RENDER("Hi ((First Name))", "{\"first_name\":\"Jo\"}", "Hi Jo", "");
    CHECK_RENDER("Hi ((first-name))", "{\"FIRSTNAME\":\"Jo\"}", "Hi Jo", "");
    CHECK_RENDER("Hi ((  name ))", "{\"name\":\"Jo\"}", "Hi Jo", "");
    /* other whitespace is part of the name */
    CHECK_RENDER("Hi ((\tname))", "{\"name\":\"Jo\"}", "Hi ((\tname))", "\tname");
    /* Python lower() is Unicode-aware */
    CHECK_RENDER("((\xc3\x89T\xc3\x89))", "{\"\xc3\xa9t\xc3\xa9\":\"summer\"}", "summer", "");
    /* when two keys normalise the same, the later one wins, as in a dict */
    CHECK_RENDER("((a))", "{\"A\":\"first\",\"a\":\"second\"}", "second", "");
}

TEST(list_values_become_markdown_bullets)
{
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[]}", "list: ", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[\"\",\"\"]}", "list: ", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[\" \",\" \\t \",\"\\u180e\"]}",
                 "list: ", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[\"one\"]}", "list: \n\n* one", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[\"one\",\"two\"]}",
                 "list: \n\n* one\n* two", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[\"one\",null,null]}",
                 "list: \n\n* one", "");
    CHECK_RENDER("list: ((placeholder))",
                 "{\"placeholder\":[\"<script>\",\"alert(\\\"foo\\\")\",\"</script>\"]}",
                 "list: \n\n* <script>\n* alert(\"foo\")\n* </script>", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[1,{\"two\":2},\"three\",null]}",
                 "list: \n\n* 1\n* {'two': 2}\n* three", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[[1,2],[3,4]]}",
                 "list: \n\n* [1, 2]\n* [3, 4]", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[0.1,true,false]}",
                 "list: \n\n* 0.1\n* True\n* False", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[\"  padded \\u200b\"]}",
                 "list: \n\n* padded", "");
}

TEST(placeholder_names_are_listed_in_order_once)
{
    emu_strlist l;
    emu_strlist_init(&l);
    CHECK_INT_EQ(emu_template_placeholders("((b)) ((a??x)) ((B)) (((c))) ((a)) ((d ))", &l), 0);
    CHECK_INT_EQ(emu_template_placeholders("((e)) ((b))", &l), 0);
    CHECK_INT_EQ(l.n, 5);
    if (l.n == 5) {
        CHECK_STR_EQ(l.items[0], "b");
        CHECK_STR_EQ(l.items[1], "a");
        CHECK_STR_EQ(l.items[2], "c");
        CHECK_STR_EQ(l.items[3], "d ");
        CHECK_STR_EQ(l.items[4], "e");
    }
    emu_strlist_free(&l);
    CHECK_INT_EQ(l.n, 0);
}

TEST(subject_then_body_share_one_missing_list)
{
    emu_strlist missing;
    emu_strlist_init(&missing);
    json_t *pers = json_loads("{\"b\":\"x\"}", 0, NULL);
    char *subject = emu_template_render_subject("About ((Topic))", pers, &missing);
    char *body = emu_template_render_body("((b)) ((c)) ((topic))", pers, &missing);
    CHECK_INT_EQ(missing.n, 2);
    if (missing.n == 2) {
        CHECK_STR_EQ(missing.items[0], "Topic");
        CHECK_STR_EQ(missing.items[1], "c");
    }
    free(subject);
    free(body);
    json_decref(pers);
    emu_strlist_free(&missing);
}

TEST(body_is_stripped_of_surrounding_whitespace)
{
    json_t *pers = json_loads("{\"a\":\"  x  \"}", 0, NULL);
    char *body = emu_template_render_body("\n ((a))\xe3\x80\x80\n", pers, NULL);
    CHECK_STR_EQ(body, "x");
    free(body);
    body = emu_template_render_body("Hi\n\n((a))", pers, NULL);
    CHECK_STR_EQ(body, "Hi\n\n  x");
    free(body);
    json_decref(pers);
}

TEST(message_is_empty_only_as_notify_decides)
{
    json_t *pers = json_loads("{\"a\":\"  \",\"b\":\"x\"}", 0, NULL);
    struct {
        const char *content;
        int empty;
    } cases[] = {
        {"", 1},
        {"((a))", 1}, /* renders to whitespace only */
        {"((a)) ((a))", 1},
        {"((b))", 0},
        {"Hi ((a))", 0}, /* does not start with (( */
        {" ((a))", 0},   /* Notify checks the raw content */
        {"((a)).", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *body = emu_template_render_body(cases[i].content, pers, NULL);
        if (emu_template_is_empty(cases[i].content, body) != cases[i].empty)
            ck_fail(__FILE__, __LINE__, "content \"%s\": expected empty=%d", cases[i].content,
                    cases[i].empty);
        free(body);
    }
    CHECK(emu_template_is_empty(NULL, NULL));
    json_decref(pers);
}

TEST(subject_typography_matches_notify)
{
    json_t *pers = json_loads("{\"name\":\"Jo\",\"l\":[\"a\",\"b\"]}", 0, NULL);
    char *s =
        emu_template_render_subject("  Hello ((name)) , welcome - again\n\tnow .", pers, NULL);
    CHECK_STR_EQ(s, "Hello Jo, welcome \xe2\x80\x93 again now.");
    free(s);
    s = emu_template_render_subject("well-known --- x", pers, NULL);
    CHECK_STR_EQ(s, "well-known \xe2\x80\x93 x");
    free(s);
    s = emu_template_render_subject("a\xe2\x80\x8b"
                                    "b\xc2\xa0"
                                    "c",
                                    pers, NULL);
    CHECK_STR_EQ(s, "ab c");
    free(s);
    s = emu_template_render_subject("List ((l))", pers, NULL);
    CHECK_STR_EQ(s, "List a and b"); /* subjects use no Markdown lists */
    free(s);
    json_decref(pers);
}

TEST(subject_quotes_are_made_smart_like_smartypants)
{
    /* expected values produced by smartypants 2.0.2 with Attr.q | Attr.u */
    static const char *const cases[][2] = {
        {"Your child's results", "Your child\xe2\x80\x99s results"},
        {"'quoted' and \"double\"", "\xe2\x80\x98quoted\xe2\x80\x99 and \xe2\x80\x9c"
                                    "double\xe2\x80\x9d"},
        {"rock 'n' roll", "rock \xe2\x80\x98n\xe2\x80\x99 roll"},
        {"it's 5'6", "it\xe2\x80\x99s 5\xe2\x80\x98"
                     "6"},
        {"the '80s", "the \xe2\x80\x98"
                     "80s"},
        {"a --'b", "a --\xe2\x80\x98"
                   "b"},
        {"\\'x", "&#39;x"},
        {"<a href=\"x\">'q'</a> 'r'", "<a href=\"x\">'q'</a> \xe2\x80\x98r\xe2\x80\x99"},
        {"'", "\xe2\x80\x98"},
        /* quotes inside an email address are put back */
        {"Write to o'neil@example.com now", "Write to o'neil@example.com now"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = emu_template_render_subject(cases[i][0], NULL, NULL);
        CHECK_STR_EQ(got, cases[i][1]);
        free(got);
    }
}

TEST(python_helpers_match_python)
{
    char *s = emu_strip_obscure_whitespace("\xc2\xa0 a\xe2\x80\x8c"
                                           "b \t\n");
    CHECK_STR_EQ(s, "ab");
    free(s);
    s = emu_insensitive_key("First_Name-X Y");
    CHECK_STR_EQ(s, "firstnamexy");
    free(s);
    s = emu_py_lower("\xc4\xb0STANBUL \xce\xa3");
    CHECK_STR_EQ(s, "i\xcc\x87stanbul \xcf\x83");
    free(s);
    CHECK_INT_EQ(emu_utf8_len("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), 4);
    json_t *v = json_string("it's \"q\" \\ \x01 \xc2\xa0 \xc3\xa9");
    s = emu_py_repr(v);
    CHECK_STR_EQ(s, "'it\\'s \"q\" \\\\ \\x01 \\xa0 \xc3\xa9'");
    free(s);
    json_decref(v);
    v = json_string("it's");
    s = emu_py_repr(v);
    CHECK_STR_EQ(s, "\"it's\"");
    free(s);
    s = emu_py_str(v);
    CHECK_STR_EQ(s, "it's");
    free(s);
    json_decref(v);
    s = emu_py_repr(NULL);
    CHECK_STR_EQ(s, "None");
    free(s);
}

/* Subjects rendered by notifications-utils' pipelines under Python 3.11
 * (PlainTextEmailTemplate.subject: Field passthrough; HTMLEmailTemplate.
 * subject: Field escape; both then do_nice_typography with smartypants
 * 2.0.2 and normalise_whitespace), recorded as expected values. */
static const struct {
    const char *text, *pers, *subject, *subject_html;
} golden_subjects[] = {
    {"'!\\B start",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "\xe2\x80\x99!\\B start", "\xe2\x80\x99!\\B start"},
    {"\"'Quoted' words\"",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "\xe2\x80\x9c\xe2\x80\x98Quoted\xe2\x80\x99 words\xe2\x80\x9d",
     "\xe2\x80\x9c\xe2\x80\x98Quoted\xe2\x80\x99 words\xe2\x80\x9d"},
    {"'\"Quoted\" words'",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "\xe2\x80\x98\xe2\x80\x9cQuoted\xe2\x80\x9d words\xe2\x80\x99",
     "\xe2\x80\x98\xe2\x80\x9cQuoted\xe2\x80\x9d words\xe2\x80\x99"},
    {"the x'80s",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "the x\xe2\x80\x99"
     "80s",
     "the x\xe2\x80\x99"
     "80s"},
    {"a&nbsp;'x'",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "a&nbsp;\xe2\x80\x98x\xe2\x80\x99", "a&nbsp;\xe2\x80\x98x\xe2\x80\x99"},
    {"a&mdash;'x",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "a&mdash;\xe2\x80\x98x", "a\xe2\x80\x94\xe2\x80\x99x"},
    {"a&ndash;\"x\"",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "a&ndash;\xe2\x80\x9cx\xe2\x80\x9d", "a\xe2\x80\x93\xe2\x80\x9dx\xe2\x80\x9d"},
    {"a&&#x2013;'x",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "a&&#x2013;\xe2\x80\x98x", "a&amp;\xe2\x80\x93\xe2\x80\x99x"},
    {"\\\\ \\\" \\' \\. \\- \\`",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "&#92; &#34; &#39; &#46; &#45; &#96;", "&#92; &#34; &#39; &#46; &#45; &#96;"},
    {"<!-- c --> 'x'",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "<!-- c --> \xe2\x80\x98x\xe2\x80\x99", "&lt;!-- c --&gt; \xe2\x80\x98x\xe2\x80\x99"},
    {"<!-- a -- b --> 'x'",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "<!-- a \xe2\x80\x93 b --> \xe2\x80\x98x\xe2\x80\x99",
     "&lt;!-- a \xe2\x80\x93 b --&gt; \xe2\x80\x98x\xe2\x80\x99"},
    {"<pre>'x'</pre> 'y'",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "<pre>'x'</pre> \xe2\x80\x98y\xe2\x80\x99",
     "&lt;pre&gt;\xe2\x80\x99x\xe2\x80\x99&lt;/pre&gt; \xe2\x80\x98y\xe2\x80\x99"},
    {"<abbr>'x'</abbr>",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "<abbr>'x'</abbr>", "&lt;abbr&gt;\xe2\x80\x99x\xe2\x80\x99&lt;/abbr&gt;"},
    {"<b>'</b>",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "<b>\xe2\x80\x98</b>", "&lt;b&gt;\xe2\x80\x99&lt;/b&gt;"},
    {"caf\xc3\xa9's",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "caf\xc3\xa9\xe2\x80\x99s", "caf\xc3\xa9\xe2\x80\x99s"},
    {"\xd9\xa3'\xd9\xa3\xd9\xa3s",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "\xd9\xa3\xe2\x80\x99\xd9\xa3\xd9\xa3s", "\xd9\xa3\xe2\x80\x99\xd9\xa3\xd9\xa3s"},
    {"\"x\" \"y\"",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "\xe2\x80\x9cx\xe2\x80\x9d \xe2\x80\x9cy\xe2\x80\x9d",
     "\xe2\x80\x9cx\xe2\x80\x9d \xe2\x80\x9cy\xe2\x80\x9d"},
    {"\"?\"",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "\xe2\x80\x9d?\xe2\x80\x9d", "\xe2\x80\x9d?\xe2\x80\x9d"},
    {"\"'a",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "\xe2\x80\x9c\xe2\x80\x98"
     "a",
     "\xe2\x80\x9c\xe2\x80\x98"
     "a"},
    {"x-\"",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "x-\xe2\x80\x9c", "x-\xe2\x80\x9c"},
    {"it's 'fine'",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "it\xe2\x80\x99s \xe2\x80\x98"
     "fine\xe2\x80\x99",
     "it\xe2\x80\x99s \xe2\x80\x98"
     "fine\xe2\x80\x99"},
    {"O'Neil's \"dog\"",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "O\xe2\x80\x99Neil\xe2\x80\x99s \xe2\x80\x9c"
     "dog\xe2\x80\x9d",
     "O\xe2\x80\x99Neil\xe2\x80\x99s \xe2\x80\x9c"
     "dog\xe2\x80\x9d"},
    {"a - b -- c --- d ---- e",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "a \xe2\x80\x93 b \xe2\x80\x93 c \xe2\x80\x93 d ---- e",
     "a \xe2\x80\x93 b \xe2\x80\x93 c \xe2\x80\x93 d ---- e"},
    {"a , b . c",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "a, b. c", "a, b. c"},
    {"mail me@x.com's 'now'",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "mail me@x.com's \xe2\x80\x98now\xe2\x80\x99", "mail me@x.com's \xe2\x80\x98now\xe2\x80\x99"},
    {"'me@x.com'",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "'me@x.com'", "'me@x.com'"},
    {"Tom & Jerry",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "Tom & Jerry", "Tom &amp; Jerry"},
    {"&lt;b&gt; &amp; &nbsp; &copy; &copyx; &ampfoo; &#39; &#x27; &#128; &#0; &hellip;",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "&lt;b&gt; &amp; &nbsp; &copy; &copyx; &ampfoo; &#39; &#x27; &#128; &#0; &hellip;",
     "&lt;b&gt; &amp; &nbsp; \xc2\xa9 \xc2\xa9x; &amp;foo; \xe2\x80\x98 \xe2\x80\x98 \xe2\x82\xac "
     "\xef\xbf\xbd \xe2\x80\xa6"},
    {"List: ((l))",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "List: a, b & c and d", "List: a, b &amp; c and d"},
    {"One: ((one))",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "One: solo", "One: solo"},
    {"((e)) <((e))>",
     "{\"l\": [\"a\", \"b & c\", null, \"d\"], \"one\": [\"solo\"], \"e\": \"Tom & <Jerry>\"}",
     "Tom & <Jerry> <Tom & <Jerry>>", "Tom &amp; &lt;Jerry&gt; &lt;Tom &amp; &lt;Jerry&gt;&gt;"},
    {"rock 'n' roll--?!&nbsp;\\-{1</a>--<b>", "{\"n\": [\"solo\"], \"c\": \"O'Neil\"}",
     "rock \xe2\x80\x98n\xe2\x80\x99 roll--?!&nbsp;&#45;{1</a>--<b>",
     "rock \xe2\x80\x98n\xe2\x80\x99 roll--?!&nbsp;&#45;{1&lt;/a&gt;--&lt;b&gt;"},
    {"x@y.com!\xe2\x80\x8b</pre>&#8211;", "{\"n\": \"a@b.com\", \"c\": [\"a\", \"b'\"]}",
     "x@y.com!</pre>\xe2\x80\x93", "x@y.com!&lt;/pre&gt;\xe2\x80\x93"},
    {"'hi'\xe2\x85\xb7\xc7\x85<@</pre>\xc7\x85&#x27;--</pre>", "{\"n\": \"  \", \"c\": \"it's\"}",
     "'hi'\xe2\x85\xb7\xc7\x85<@</pre>\xc7\x85&#x27;--</pre>",
     "'hi'\xe2\x85\xb7\xc7\x85&lt;@&lt;/pre&gt;\xc7\x85'--&lt;/pre&gt;"},
    {" ,<b>&copy;&nbsp;sdon't ,", "{\"n\": \"  \", \"c\": \"a@b.com\"}",
     ",<b>&copy;&nbsp;sdon\xe2\x80\x99t,", ",&lt;b&gt;\xc2\xa9&nbsp;sdon\xe2\x80\x99t,"},
    {"1((n))\xc3\xa9\"hi\"don't<", "{\"n\": null, \"c\": [\"a\", \"b'\"]}",
     "1((n))\xc3\xa9\xe2\x80\x9dhi\xe2\x80\x9d"
     "don\xe2\x80\x99t<",
     "1((n))\xc3\xa9\xe2\x80\x9dhi\xe2\x80\x9d"
     "don\xe2\x80\x99t&lt;"},
    {"rock 'n' roll's ((n))80s\\'-&nbsp;--&copyx;'", "{\"n\": \"a@b.com\", \"c\": [\"solo\"]}",
     "rock \xe2\x80\x98n\xe2\x80\x99 roll\xe2\x80\x99s a@b.com80s&#39;-&nbsp;--&copyx;'",
     "rock \xe2\x80\x98n\xe2\x80\x99 roll\xe2\x80\x99s a@b.com80s&#39;-&nbsp;--\xc2\xa9x;'"},
    {"&copyx;\"hi\"\t", "{\"n\": \"\\\"q\\\"\", \"c\": \"\\\"q\\\"\"}",
     "&copyx;\xe2\x80\x9dhi\xe2\x80\x9d", "\xc2\xa9x;\xe2\x80\x9dhi\xe2\x80\x9d"},
    {"&amp;&nbsp; .[", "{\"n\": null, \"c\": [\"a\", \"b'\"]}", "&amp;&nbsp;.[", "&amp;&nbsp;.["},
    {"<pre>\"", "{\"n\": \"O'Neil\", \"c\": [\"solo\"]}", "<pre>\"", "&lt;pre&gt;\xe2\x80\x9d"},
    {"\xd9\xa3"
     "don't&mdash;&hellip;it's\xe2\x85\xb7&&#x2013;<a>>\xc7\x85<a>",
     "{\"n\": \"\\\"q\\\"\", \"c\": [\"a\", \"b'\"]}",
     "\xd9\xa3"
     "don\xe2\x80\x99t&mdash;&hellip;it\xe2\x80\x99s\xe2\x85\xb7&&#x2013;<a>>\xc7\x85<a>",
     "\xd9\xa3"
     "don\xe2\x80\x99t\xe2\x80\x94\xe2\x80\xa6it\xe2\x80\x99s\xe2\x85\xb7&amp;\xe2\x80\x93&lt;a&gt;"
     "&gt;\xc7\x85&lt;a&gt;"},
    {"\tdon't\"hi\"\xe2\x85\xb7<a>s", "{\"n\": \"  \", \"c\": null}",
     "don\xe2\x80\x99t\xe2\x80\x9dhi\xe2\x80\x9d\xe2\x85\xb7<a>s",
     "don\xe2\x80\x99t\xe2\x80\x9dhi\xe2\x80\x9d\xe2\x85\xb7&lt;a&gt;s"},
    {"-@", "{\"n\": \"a@b.com\", \"c\": [\"solo\"]}", "-@", "-@"},
    {"&mdash;</pre>&#0;", "{\"n\": \"x - y\", \"c\": \"\\\"q\\\"\"}", "&mdash;</pre>&#0;",
     "\xe2\x80\x94&lt;/pre&gt;\xef\xbf\xbd"},
    {"B<a>\xe2\x80\x8b\xc2\xa0&ampfoo;. - ((c??q')).80s&#128;\xc7\x85&ampfoo;&",
     "{\"n\": true, \"c\": \"it's\"}", "B<a> &ampfoo;. -.80s&#128;\xc7\x85&ampfoo;&",
     "B&lt;a&gt; &amp;foo;. -.80s\xe2\x82\xac\xc7\x85&amp;foo;&amp;"},
    {"&#128;\xd9\xa3", "{\"n\": \"a@b.com\", \"c\": \"Tom & Jerry\"}", "&#128;\xd9\xa3",
     "\xe2\x82\xac\xd9\xa3"},
    {"", "{\"n\": \"O'Neil\", \"c\": \"<b>\"}", "", ""},
    {"\xd9\xa3&mdash;{\\'&lt;\xd9\xa3"
     "don't<\xc7\x85[",
     "{\"n\": \"a@b.com\", \"c\": \"Tom & Jerry\"}",
     "\xd9\xa3&mdash;{&#39;&lt;\xd9\xa3"
     "don\xe2\x80\x99t<\xc7\x85[",
     "\xd9\xa3\xe2\x80\x94{&#39;&lt;\xd9\xa3"
     "don\xe2\x80\x99t&lt;\xc7\x85["},
    {"don't - </pre>\\)&lt;\\\" - a", "{\"n\": \"&amp;\", \"c\": \"  \"}",
     "don\xe2\x80\x99t \xe2\x80\x93 </pre>\\)&lt;&#34; \xe2\x80\x93 a",
     "don\xe2\x80\x99t \xe2\x80\x93 &lt;/pre&gt;\\)&lt;&#34; \xe2\x80\x93 a"},
    {"\xe2\x80\x94\"hi\"rock 'n' roll--)\xe2\x85\xb7\\<", "{\"n\": \"\\\"q\\\"\", \"c\": true}",
     "\xe2\x80\x94\xe2\x80\x9dhi\xe2\x80\x9drock \xe2\x80\x98n\xe2\x80\x99 roll--)\xe2\x85\xb7\\<",
     "\xe2\x80\x94\xe2\x80\x9dhi\xe2\x80\x9drock \xe2\x80\x98n\xe2\x80\x99 "
     "roll--)\xe2\x85\xb7\\&lt;"},
    {",&#8211;(  </a>&copyx;\xc3\xa9"
     "don't \\<80s\\' - ",
     "{\"n\": \"O'Neil\", \"c\": null}",
     ",\xe2\x80\x93( </a>&copyx;\xc3\xa9"
     "don\xe2\x80\x99t \\<80s&#39; \xe2\x80\x93",
     ",\xe2\x80\x93( &lt;/a&gt;\xc2\xa9x;\xc3\xa9"
     "don\xe2\x80\x99t \\&lt;80s&#39; \xe2\x80\x93"},
    {"&copyx; .<b>'</a>{\t\xe2\x80\x94&amp;", "{\"n\": \"a@b.com\", \"c\": \"O'Neil\"}",
     "&copyx;.<b>\xe2\x80\x99</a>{ \xe2\x80\x94&amp;",
     "\xc2\xa9x;.&lt;b&gt;\xe2\x80\x99&lt;/a&gt;{ \xe2\x80\x94&amp;"},
    {"\\\\ .  &copyx;\xc7\x85&#8211;-&copy;\xe2\x80\x94</pre>\xe2\x80\x8b&mdash;<!-- c -->",
     "{\"n\": \"O'Neil\", \"c\": \"it's\"}",
     "&#92;. &copyx;\xc7\x85\xe2\x80\x93-&copy;\xe2\x80\x94</pre>&mdash;<!-- c -->",
     "&#92;. \xc2\xa9x;\xc7\x85\xe2\x80\x93-\xc2\xa9\xe2\x80\x94&lt;/pre&gt;\xe2\x80\x94&lt;!-- c "
     "--&gt;"},
    {"\"hi\"it's(a-\xc3\xa9s&mdash;&\\s &#x27;rock 'n' roll",
     "{\"n\": \"\\\"q\\\"\", \"c\": \"x - y\"}",
     "\xe2\x80\x9chi\xe2\x80\x9dit\xe2\x80\x99s(a-\xc3\xa9s&mdash;&\\s &#x27;rock "
     "\xe2\x80\x98n\xe2\x80\x99 roll",
     "\xe2\x80\x9chi\xe2\x80\x9dit\xe2\x80\x99s(a-\xc3\xa9s\xe2\x80\x94&amp;\\s \xe2\x80\x98rock "
     "\xe2\x80\x98n\xe2\x80\x99 roll"},
    {"", "{\"n\": null, \"c\": [\"x & y\", \"z\"]}", "", ""},
    {"'\\</a>-80s'rock 'n' roll{Bs {__", "{\"n\": \"Tom & Jerry\", \"c\": \"O'Neil\"}",
     "\xe2\x80\x98\\</a>-80s\xe2\x80\x99rock \xe2\x80\x98n\xe2\x80\x99 roll{Bs {__",
     "\xe2\x80\x98\\&lt;/a&gt;-80s\xe2\x80\x99rock \xe2\x80\x98n\xe2\x80\x99 roll{Bs {__"},
    {"\\'&copy;\t\xc7\x85((c??q'))\xc7\x85"
     "B\\-",
     "{\"n\": \"x - y\", \"c\": \"x - y\"}",
     "&#39;&copy; \xc7\x85\xc7\x85"
     "B&#45;",
     "&#39;\xc2\xa9 \xc7\x85\xc7\x85"
     "B&#45;"},
    {"\xe2\x85\xb7&ampfoo;\n&#x27;_a", "{\"n\": \"a@b.com\", \"c\": \"O'Neil\"}",
     "\xe2\x85\xb7&ampfoo; &#x27;_a", "\xe2\x85\xb7&amp;foo; \xe2\x80\x98_a"},
    {"\xc7\x85\t).&hellip;&&copyx;<!-- c -->&#128;@ - ", "{\"n\": null, \"c\": null}",
     "\xc7\x85 ).&hellip;&&copyx;<!-- c -->&#128;@ \xe2\x80\x93",
     "\xc7\x85 ).\xe2\x80\xa6&amp;\xc2\xa9x;&lt;!-- c --&gt;\xe2\x82\xac@ \xe2\x80\x93"},
    {"&nbsp;&copy;rock 'n' roll\\\\rock 'n' roll--&'\xe2\x80\x94_'-</pre>\xe2\x80\x8b",
     "{\"n\": \"x - y\", \"c\": true}",
     "&nbsp;&copy;rock \xe2\x80\x98n\xe2\x80\x99 roll&#92;rock \xe2\x80\x98n\xe2\x80\x99 "
     "roll--&\xe2\x80\x99\xe2\x80\x94_\xe2\x80\x99-</pre>",
     "&nbsp;\xc2\xa9rock \xe2\x80\x98n\xe2\x80\x99 roll&#92;rock \xe2\x80\x98n\xe2\x80\x99 "
     "roll--&amp;\xe2\x80\x99\xe2\x80\x94_\xe2\x80\x99-&lt;/pre&gt;"},
    {"", "{\"n\": \"it's\", \"c\": \"<b>\"}", "", ""},
    {"\xe2\x80\x8b"
     "1&ampfoo;{&nbsp;&&amp;x@y.com&&#x2013;don't&#39;80s",
     "{\"n\": \"Tom & Jerry\", \"c\": \"\\\"q\\\"\"}",
     "1&ampfoo;{&nbsp;&&amp;x@y.com&&#x2013;don't&#39;80s",
     "1&amp;foo;{&nbsp;&amp;&amp;x@y.com&amp;\xe2\x80\x93"
     "don't'80s"},
    {"", "{\"n\": \"O'Neil\", \"c\": \"Tom & Jerry\"}", "", ""},
    {"rock 'n' roll\xd9\xa3&#128;--", "{\"n\": true, \"c\": true}",
     "rock \xe2\x80\x98n\xe2\x80\x99 roll\xd9\xa3&#128;--",
     "rock \xe2\x80\x98n\xe2\x80\x99 roll\xd9\xa3\xe2\x82\xac--"},
    {"&#39;&#39;don't", "{\"n\": [\"x & y\", \"z\"], \"c\": \"Tom & Jerry\"}",
     "&#39;&#39;don\xe2\x80\x99t",
     "\xe2\x80\x98\xe2\x80\x99"
     "don\xe2\x80\x99t"},
    {"&#8211;((c??q')) .><&lt;)-\xc2\xa0"
     "don't<pre>",
     "{\"n\": \"Tom & Jerry\", \"c\": true}", "\xe2\x80\x93q\xe2\x80\x99.><&lt;)- don't<pre>",
     "\xe2\x80\x93q\xe2\x80\x99.&gt;&lt;&lt;)- don\xe2\x80\x99t&lt;pre&gt;"},
    {"<!-- c -->", "{\"n\": \"\\\"q\\\"\", \"c\": \"  \"}", "<!-- c -->", "&lt;!-- c --&gt;"},
    {"\\)((c??q'))<\"_don'ts >,'&copyx;?.", "{\"n\": [\"solo\"], \"c\": \"O'Neil\"}",
     "\\)<\"_don'ts >,\xe2\x80\x99&copyx;?.",
     "\\)&lt;\xe2\x80\x9d_don\xe2\x80\x99ts &gt;,\xe2\x80\x99\xc2\xa9x;?."},
    {"80s<a>", "{\"n\": \"<b>\", \"c\": [\"a\", \"b'\"]}", "80s<a>", "80s&lt;a&gt;"},
    {"&#0;\\'\xc7\x85<", "{\"n\": \"x - y\", \"c\": \"a@b.com\"}", "&#0;&#39;\xc7\x85<",
     "\xef\xbf\xbd&#39;\xc7\x85&lt;"},
    {"\xe2\x80\x94((c??q'))?<!-- a -- b -->&&#x2013;>80s", "{\"n\": \"  \", \"c\": \"<b>\"}",
     "\xe2\x80\x94?<!-- a \xe2\x80\x93 b -->&&#x2013;>80s",
     "\xe2\x80\x94?&lt;!-- a \xe2\x80\x93 b --&gt;&amp;\xe2\x80\x93&gt;80s"},
    {"--  &&#8211;\\\\</a>", "{\"n\": [\"solo\"], \"c\": \"&amp;\"}", "-- &\xe2\x80\x93&#92;</a>",
     "-- &amp;\xe2\x80\x93&#92;&lt;/a&gt;"},
    {"<a>?.\\\\80s(<&#0;\"80s!", "{\"n\": [\"solo\"], \"c\": \"Tom & Jerry\"}",
     "<a>?.\\\\80s(<&#0;\"80s!",
     "&lt;a&gt;?.&#92;80s(&lt;\xef\xbf\xbd\xe2\x80\x9d"
     "80s!"},
    {"<'?", "{\"n\": [\"x & y\", \"z\"], \"c\": \"it's\"}", "<\xe2\x80\x99?", "&lt;\xe2\x80\x99?"},
    {"Brock 'n' roll .1\xe2\x80\x94((n))a>B ,\xc3\xa9 ,((n))",
     "{\"n\": true, \"c\": [\"a\", \"b'\"]}",
     "Brock \xe2\x80\x98n\xe2\x80\x99 roll.1\xe2\x80\x94Truea>B,\xc3\xa9,True",
     "Brock \xe2\x80\x98n\xe2\x80\x99 roll.1\xe2\x80\x94Truea&gt;B,\xc3\xa9,True"},
    {"<!-- a -- b --><b>\\\"hi\"&lt;\t\xd9\xa3_", "{\"n\": \"O'Neil\", \"c\": [\"x & y\", \"z\"]}",
     "<!-- a \xe2\x80\x93 b --><b>&#34;hi\xe2\x80\x9d&lt; \xd9\xa3_",
     "&lt;!-- a \xe2\x80\x93 b --&gt;&lt;b&gt;&#34;hi\xe2\x80\x9d&lt; \xd9\xa3_"},
    {"\xc3\xa9<b>  \\' - <!-- c -->&amp;\xe2\x80\x94"
     "don't\"&amp;>\"hi\"",
     "{\"n\": true, \"c\": [\"a\", \"b'\"]}",
     "\xc3\xa9<b> &#39; \xe2\x80\x93 <!-- c -->&amp;\xe2\x80\x94"
     "don\xe2\x80\x99t\xe2\x80\x9d&amp;>\xe2\x80\x9dhi\xe2\x80\x9d",
     "\xc3\xa9&lt;b&gt; &#39; \xe2\x80\x93 &lt;!-- c --&gt;&amp;\xe2\x80\x94"
     "don\xe2\x80\x99t\xe2\x80\x9d&amp;&gt;\xe2\x80\x9dhi\xe2\x80\x9d"},
    {"&#39;-\xe2\x85\xb7\\'&ampfoo;((c??q'))&nbsp;&#x27;\n\xd9\xa3\"",
     "{\"n\": \"<b>\", \"c\": \"<b>\"}",
     "&#39;-\xe2\x85\xb7&#39;&ampfoo;&nbsp;&#x27; \xd9\xa3\xe2\x80\x9d",
     "\xe2\x80\x98-\xe2\x85\xb7&#39;&amp;foo;&nbsp;\xe2\x80\x99 \xd9\xa3\xe2\x80\x9d"},
    {"'\"\xc2\xa0\"hi\"\n&copyx;&amp;&nbsp;((c??q'))", "{\"n\": \"O'Neil\", \"c\": \"O'Neil\"}",
     "\xe2\x80\x98\xe2\x80\x9d \xe2\x80\x9chi\xe2\x80\x9d &copyx;&amp;&nbsp;",
     "\xe2\x80\x98\xe2\x80\x9d \xe2\x80\x9chi\xe2\x80\x9d \xc2\xa9x;&amp;&nbsp;"},
    {"\"\"&\xc3\xa9&copyx;\\\\'<a>&nbsp;&#39;,-<a>it's", "{\"n\": \"&amp;\", \"c\": \"<b>\"}",
     "\xe2\x80\x9d\xe2\x80\x9d&\xc3\xa9&copyx;&#92;\xe2\x80\x99<a>&nbsp;&#39;,-<a>it's",
     "\xe2\x80\x9d\xe2\x80\x9d&amp;\xc3\xa9\xc2\xa9x;&#92;\xe2\x80\x99&lt;a&gt;&nbsp;\xe2\x80\x99,-"
     "&lt;a&gt;it\xe2\x80\x99s"},
    {"'<!-- c -->&\\'_</a>", "{\"n\": \"x - y\", \"c\": [\"a\", \"b'\"]}",
     "\xe2\x80\x98<!-- c -->&&#39;_</a>", "\xe2\x80\x98&lt;!-- c --&gt;&amp;&#39;_&lt;/a&gt;"},
};

TEST(subjects_match_values_recorded_from_notifications_utils_for_post_and_get)
{
    for (size_t i = 0; i < sizeof(golden_subjects) / sizeof(golden_subjects[0]); i++) {
        json_t *pers = json_loads(golden_subjects[i].pers, 0, NULL);
        char *got = emu_template_render_subject(golden_subjects[i].text, pers, NULL);
        if (!got || strcmp(got, golden_subjects[i].subject) != 0)
            ck_fail(__FILE__, __LINE__, "subject %zu \"%s\": got \"%s\", want \"%s\"", i,
                    golden_subjects[i].text, got ? got : "(null)", golden_subjects[i].subject);
        free(got);
        got = emu_template_render_subject_html(golden_subjects[i].text, pers, NULL);
        if (!got || strcmp(got, golden_subjects[i].subject_html) != 0)
            ck_fail(__FILE__, __LINE__, "html subject %zu \"%s\": got \"%s\", want \"%s\"", i,
                    golden_subjects[i].text, got ? got : "(null)", golden_subjects[i].subject_html);
        free(got);
        json_decref(pers);
    }
}
