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

#define CHECK_RENDER(text, pers, expected, missing)                                             \
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
                 "{\"article\":\"the\",\"colour\":\"brown\",\"animal\":\"fox\"}", "the quick brown fox", "");
    CHECK_RENDER("the quick (((colour))) fox", "{\"colour\":\"brown\"}", "the quick (brown) fox", "");
    /* plain-text content is not HTML-escaped; Markdown characters stay */
    CHECK_RENDER("the quick ((colour)) fox", "{\"colour\":\"<script>alert('foo')</script> *x* [a](b)\"}",
                 "the quick <script>alert('foo')</script> *x* [a](b) fox", "");
    CHECK_RENDER("before ((placeholder)) after", "{\"placeholder\":\"\"}", "before  after", "");
    CHECK_RENDER("before ((placeholder)) after", "{\"placeholder\":\"   \"}", "before     after", "");
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
    CHECK_RENDER("before ((p)) after", "{\"p\":0.30000000000000004}", "before 0.30000000000000004 after", "");
    CHECK_RENDER("before ((p)) after", "{\"p\":{\"key\":\"value\"}}", "before {'key': 'value'} after", "");
    CHECK_RENDER("((p))", "{\"p\":1e16}", "1e+16", "");
    CHECK_RENDER("((p))", "{\"p\":1e15}", "1000000000000000.0", "");
    CHECK_RENDER("((p))", "{\"p\":0.0001}", "0.0001", "");
    CHECK_RENDER("((p))", "{\"p\":0.00001}", "1e-05", "");
    CHECK_RENDER("((p))", "{\"p\":-2.5e-7}", "-2.5e-07", "");
    CHECK_RENDER("((p))", "{\"p\":{\"it's\":[null,\"a\\nb\"]}}", "{\"it's\": [None, 'a\\nb']}", "");
}

TEST(question_marks_alone_do_not_make_a_conditional)
{
    CHECK_RENDER("((warning?))", "{\"warning?\":\"This is not a conditional\"}", "This is not a conditional", "");
    CHECK_RENDER("((warning?warning))", "{\"warning?warning\":\"This is not a conditional\"}",
                 "This is not a conditional", "");
}

TEST(conditionals_show_their_text_only_for_true_like_values)
{
    CHECK_RENDER("((warning??This is a conditional warning))", "{\"warning\":true}",
                 "This is a conditional warning", "");
    CHECK_RENDER("((warning??This is a conditional warning\nwith line break))", "{\"warning\":true}",
                 "This is a conditional warning\nwith line break", "");
    CHECK_RENDER("((warning??This is a conditional warning))", "{\"warning\":false}", "", "");
    CHECK_RENDER("((warning??foo??bar))", "{\"warning\":true}", "foo??bar", "");
    CHECK_RENDER("((warning??foo??bar))", "{\"warning\":false}", "", "");
    static const char *const shown[] = {"1", "\"1\"", "\"yes\"", "\"y\"", "\"true\"", "\"True\"",
                                        "true", "\"include\"", "\"show\"", "\"SHOW\""};
    static const char *const hidden[] = {"\"0\"", "0", "2", "99.99999", "\"off\"", "\"exclude\"",
                                         "\"no\"", "\"any random string\"", "\"false\"", "false",
                                         "[]", "{}", "[\"true\"]", "{\"True\":true}", "1.0", "\"\""};
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
    CHECK_RENDER("((name)) ((colour))", "{\"name\":\"Jo\",\"colour\":null}", "Jo ((colour))", "colour");
    CHECK_RENDER("((name)) ((colour))", NULL, "((name)) ((colour))", "name, colour");
    /* Template.missing_data lists conditional names too */
    CHECK_RENDER("((show_thing??thing)) ((colour))", "{\"colour\":\"red\"}", "((show_thing??thing)) red",
                 "show_thing");
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
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[\" \",\" \\t \",\"\\u180e\"]}", "list: ", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[\"one\"]}", "list: \n\n* one", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[\"one\",\"two\"]}", "list: \n\n* one\n* two", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[\"one\",null,null]}", "list: \n\n* one", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[\"<script>\",\"alert(\\\"foo\\\")\",\"</script>\"]}",
                 "list: \n\n* <script>\n* alert(\"foo\")\n* </script>", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[1,{\"two\":2},\"three\",null]}",
                 "list: \n\n* 1\n* {'two': 2}\n* three", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[[1,2],[3,4]]}", "list: \n\n* [1, 2]\n* [3, 4]", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[0.1,true,false]}",
                 "list: \n\n* 0.1\n* True\n* False", "");
    CHECK_RENDER("list: ((placeholder))", "{\"placeholder\":[\"  padded \\u200b\"]}", "list: \n\n* padded", "");
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
        {"((a))", 1},          /* renders to whitespace only */
        {"((a)) ((a))", 1},
        {"((b))", 0},
        {"Hi ((a))", 0},       /* does not start with (( */
        {" ((a))", 0},         /* Notify checks the raw content */
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
    char *s = emu_template_render_subject("  Hello ((name)) , welcome - again\n\tnow .", pers, NULL);
    CHECK_STR_EQ(s, "Hello Jo, welcome \xe2\x80\x93 again now.");
    free(s);
    s = emu_template_render_subject("well-known --- x", pers, NULL);
    CHECK_STR_EQ(s, "well-known \xe2\x80\x93 x");
    free(s);
    s = emu_template_render_subject("a\xe2\x80\x8b" "b\xc2\xa0" "c", pers, NULL);
    CHECK_STR_EQ(s, "ab c");
    free(s);
    s = emu_template_render_subject("List ((l))", pers, NULL);
    CHECK_STR_EQ(s, "List * a * b");
    free(s);
    json_decref(pers);
}

TEST(subject_quotes_are_made_smart_like_smartypants)
{
    /* expected values produced by smartypants 2.0.2 with Attr.q | Attr.u */
    static const char *const cases[][2] = {
        {"Your child's results", "Your child\xe2\x80\x99s results"},
        {"'quoted' and \"double\"", "\xe2\x80\x98quoted\xe2\x80\x99 and \xe2\x80\x9c" "double\xe2\x80\x9d"},
        {"rock 'n' roll", "rock \xe2\x80\x98n\xe2\x80\x99 roll"},
        {"it's 5'6", "it\xe2\x80\x99s 5\xe2\x80\x98" "6"},
        {"the '80s", "the \xe2\x80\x98" "80s"},
        {"a --'b", "a --\xe2\x80\x98" "b"},
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
    char *s = emu_strip_obscure_whitespace("\xc2\xa0 a\xe2\x80\x8c" "b \t\n");
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

/* Subjects rendered by notifications-utils' pipeline (Field passthrough,
 * do_nice_typography with smartypants 2.0.2, normalise_whitespace) under
 * Python 3.11, recorded as expected values. */
static const struct { const char *text, *pers, *subject; } golden_subjects[] = {
    {"'!\\B start", "{}", "\xe2""\x80""\x99""!\\B start"},
    {"\"'Quoted' words\"", "{}", "\xe2""\x80""\x9c""\xe2""\x80""\x98""Quoted\xe2""\x80""\x99"" words\xe2""\x80""\x9d"},
    {"'\"Quoted\" words'", "{}", "\xe2""\x80""\x98""\xe2""\x80""\x9c""Quoted\xe2""\x80""\x9d"" words\xe2""\x80""\x99"},
    {"the x'80s", "{}", "the x\xe2""\x80""\x99""80s"},
    {"a&nbsp;'x'", "{}", "a&nbsp;\xe2""\x80""\x98""x\xe2""\x80""\x99"},
    {"a&mdash;'x", "{}", "a&mdash;\xe2""\x80""\x98""x"},
    {"a&ndash;\"x\"", "{}", "a&ndash;\xe2""\x80""\x9c""x\xe2""\x80""\x9d"},
    {"a&&#x2013;'x", "{}", "a&&#x2013;\xe2""\x80""\x98""x"},
    {"\\\\ \\\" \\' \\. \\- \\`", "{}", "&#92; &#34; &#39; &#46; &#45; &#96;"},
    {"<!-- c --> 'x'", "{}", "<!-- c --> \xe2""\x80""\x98""x\xe2""\x80""\x99"},
    {"<!-- a -- b --> 'x'", "{}", "<!-- a \xe2""\x80""\x93"" b --> \xe2""\x80""\x98""x\xe2""\x80""\x99"},
    {"<pre>'x'</pre> 'y'", "{}", "<pre>'x'</pre> \xe2""\x80""\x98""y\xe2""\x80""\x99"},
    {"<abbr>'x'</abbr>", "{}", "<abbr>'x'</abbr>"},
    {"<b>'</b>", "{}", "<b>\xe2""\x80""\x98""</b>"},
    {"caf\xc3""\xa9""'s", "{}", "caf\xc3""\xa9""\xe2""\x80""\x99""s"},
    {"\xd9""\xa3""'\xd9""\xa3""\xd9""\xa3""s", "{}", "\xd9""\xa3""\xe2""\x80""\x99""\xd9""\xa3""\xd9""\xa3""s"},
    {"\"x\" \"y\"", "{}", "\xe2""\x80""\x9c""x\xe2""\x80""\x9d"" \xe2""\x80""\x9c""y\xe2""\x80""\x9d"},
    {"\"?\"", "{}", "\xe2""\x80""\x9d""?\xe2""\x80""\x9d"},
    {"\"'a", "{}", "\xe2""\x80""\x9c""\xe2""\x80""\x98""a"},
    {"x-\"", "{}", "x-\xe2""\x80""\x9c"},
    {"it's 'fine'", "{}", "it\xe2""\x80""\x99""s \xe2""\x80""\x98""fine\xe2""\x80""\x99"},
    {"O'Neil's \"dog\"", "{}", "O\xe2""\x80""\x99""Neil\xe2""\x80""\x99""s \xe2""\x80""\x9c""dog\xe2""\x80""\x9d"},
    {"a - b -- c --- d ---- e", "{}", "a \xe2""\x80""\x93"" b \xe2""\x80""\x93"" c \xe2""\x80""\x93"" d ---- e"},
    {"a , b . c", "{}", "a, b. c"},
    {"mail me@x.com's 'now'", "{}", "mail me@x.com's \xe2""\x80""\x98""now\xe2""\x80""\x99"},
    {"'me@x.com'", "{}", "'me@x.com'"},
    {"</pre>[\t", "{\"n\": \"O'Neil\", \"c\": [\"a\", \"b'\"]}", "</pre>["},
    {"s&mdash;\"hi\"\"hi\"</a>as \xe2""\x80""\x94""_'\xc7""\x85""\\\\ .", "{\"n\": null, \"c\": \"O'Neil\"}", "s&mdash;\xe2""\x80""\x9c""hi\xe2""\x80""\x9d""\xe2""\x80""\x9c""hi\xe2""\x80""\x9d""</a>as \xe2""\x80""\x94""_\xe2""\x80""\x99""\xc7""\x85""&#92;."},
    {"\xe2""\x85""\xb7""</a>((c??q'))&nbsp;'a", "{\"n\": \"x - y\", \"c\": [\"a\", \"b'\"]}", "\xe2""\x85""\xb7""</a>&nbsp;\xe2""\x80""\x98""a"},
    {"\xe2""\x80""\x94""<b>!'\xc3""\xa9""((n))\t<!-- a -- b -->", "{\"n\": \"\\\"q\\\"\", \"c\": \"\\\"q\\\"\"}", "\xe2""\x80""\x94""<b>!\xe2""\x80""\x99""\xc3""\xa9""\xe2""\x80""\x9d""q\xe2""\x80""\x9d"" <!-- a \xe2""\x80""\x93"" b -->"},
    {",@", "{\"n\": \"  \", \"c\": \"O'Neil\"}", ",@"},
    {"<a>\xd9""\xa3""?", "{\"n\": null, \"c\": \"  \"}", "<a>\xd9""\xa3""?"},
    {"\xc7""\x85""\xc3""\xa9""<b><", "{\"n\": true, \"c\": \"Jo\"}", "\xc7""\x85""\xc3""\xa9""<b><"},
    {" ,\xc7""\x85""' .\ns&&#x2013;\"\xe2""\x85""\xb7""a\xc3""\xa9""((n))>", "{\"n\": \"O'Neil\", \"c\": null}", ",\xc7""\x85""\xe2""\x80""\x99"". s&&#x2013;\xe2""\x80""\x9c""\xe2""\x85""\xb7""a\xc3""\xa9""O\xe2""\x80""\x99""Neil>"},
    {"((n)),((c??q'))<!-- a -- b -->&nbsp;@'B(&nbsp;\"-x@y.com", "{\"n\": null, \"c\": [\"a\", \"b'\"]}", "((n)),<!-- a \xe2""\x80""\x93"" b -->&nbsp;@'B(&nbsp;\xe2""\x80""\x9d""-x@y.com"},
    {"{((n))<  it's", "{\"n\": \"it's\", \"c\": \"a@b.com\"}", "{it\xe2""\x80""\x99""s< it\xe2""\x80""\x99""s"},
    {"", "{\"n\": \"  \", \"c\": \"Jo\"}", ""},
    {"</pre>\nx@y.com((c??q'))\t<a>", "{\"n\": \"it's\", \"c\": \"x - y\"}", "</pre> x@y.com <a>"},
    {"x@y.comdon't?<!-- c -->  <!-- c -->\xc7""\x85""((n)){'", "{\"n\": null, \"c\": \"\\\"q\\\"\"}", "x@y.comdon't?<!-- c --> <!-- c -->\xc7""\x85""((n)){\xe2""\x80""\x98"},
    {"1</pre>\\'<b>\"", "{\"n\": [\"a\", \"b'\"], \"c\": \"a@b.com\"}", "1</pre>&#39;<b>\xe2""\x80""\x9d"},
    {".\xe2""\x85""\xb7""\\'\\'80s\\'<a> ,", "{\"n\": \"\\\"q\\\"\", \"c\": \"x - y\"}", ".\xe2""\x85""\xb7""&#39;&#39;80s&#39;<a>,"},
    {"<!-- c -->,rock 'n' roll<pre>s </a>\xc7""\x85""\\' - <!-- a -- b -->\\' ", "{\"n\": \"it's\", \"c\": true}", "<!-- c -->,rock \xe2""\x80""\x98""n\xe2""\x80""\x99"" roll<pre>s </a>\xc7""\x85""\\' \xe2""\x80""\x93"" <!-- a \xe2""\x80""\x93"" b -->\\'"},
    {"&#8211;\xe2""\x85""\xb7""&&#x2013;\xc3""\xa9""\t\"", "{\"n\": null, \"c\": \"it's\"}", "\xe2""\x80""\x93""\xe2""\x85""\xb7""&&#x2013;\xc3""\xa9"" \xe2""\x80""\x9c"},
    {",", "{\"n\": true, \"c\": \"\\\"q\\\"\"}", ","},
    {"<!-- c -->\xd9""\xa3""<pre>\"\xc7""\x85""s", "{\"n\": \"  \", \"c\": \"  \"}", "<!-- c -->\xd9""\xa3""<pre>\"\xc7""\x85""s"},
    {"x@y.com\n<pre><!-- a -- b -->", "{\"n\": \"it's\", \"c\": \"x - y\"}", "x@y.com <pre><!-- a \xe2""\x80""\x93"" b -->"},
    {"rock 'n' roll&mdash;Bs ,x@y.com   - <!-- a -- b -->\"&mdash;<a>", "{\"n\": \"\\\"q\\\"\", \"c\": [\"a\", \"b'\"]}", "rock \xe2""\x80""\x98""n\xe2""\x80""\x99"" roll&mdash;Bs,x@y.com \xe2""\x80""\x93"" <!-- a \xe2""\x80""\x93"" b -->\xe2""\x80""\x9c""&mdash;<a>"},
    {"--\\'((n))\\'((n))<!-- a -- b -->&nbsp;it's?", "{\"n\": \"a@b.com\", \"c\": \"x - y\"}", "--&#39;a@b.com&#39;a@b.com<!-- a \xe2""\x80""\x93"" b -->&nbsp;it\xe2""\x80""\x99""s?"},
    {"((c??q'))", "{\"n\": \"x - y\", \"c\": \"Jo\"}", ""},
    {"rock 'n' rolla", "{\"n\": [\"a\", \"b'\"], \"c\": \"a@b.com\"}", "rock \xe2""\x80""\x98""n\xe2""\x80""\x99"" rolla"},
    {"<')\\'@", "{\"n\": true, \"c\": \"x - y\"}", "<\xe2""\x80""\x99"")&#39;@"},
    {"</pre>' ,it's<\t\xc7""\x85""s <pre>\xd9""\xa3", "{\"n\": \"it's\", \"c\": \"\\\"q\\\"\"}", "</pre>\xe2""\x80""\x98"",it\xe2""\x80""\x99""s< \xc7""\x85""s <pre>\xd9""\xa3"},
    {"\xe2""\x85""\xb7", "{\"n\": \"O'Neil\", \"c\": \"  \"}", "\xe2""\x85""\xb7"},
    {"<\\'' ,<\"hi\"", "{\"n\": \"Jo\", \"c\": \"it's\"}", "<&#39;\xe2""\x80""\x99"",<\xe2""\x80""\x9d""hi\xe2""\x80""\x9d"},
    {"", "{\"n\": \"  \", \"c\": \"it's\"}", ""},
    {"", "{\"n\": true, \"c\": \"a@b.com\"}", ""},
    {"don't", "{\"n\": null, \"c\": \"a@b.com\"}", "don\xe2""\x80""\x99""t"},
    {"", "{\"n\": \"a@b.com\", \"c\": \"  \"}", ""},
    {"", "{\"n\": true, \"c\": \"  \"}", ""},
    {" -  ,\xc2""\xa0""'<pre>_&#8211;\"hi\"<<a></a>80s", "{\"n\": \"  \", \"c\": \"O'Neil\"}", "-, \xe2""\x80""\x99""<pre>_&#8211;\"hi\"<<a></a>80s"},
    {" - --", "{\"n\": \"  \", \"c\": \"  \"}", "\xe2""\x80""\x93"" --"},
    {"((n)),s", "{\"n\": \"\\\"q\\\"\", \"c\": \"Jo\"}", "\xe2""\x80""\x9c""q\xe2""\x80""\x9d"",s"},
    {"((c??q'))<pre>&nbsp;()a(\\\\@1don't\\((n))  ", "{\"n\": \"x - y\", \"c\": null}", "((c??q'))<pre>&nbsp;()a(\\\\@1don't\\x \xe2""\x80""\x93"" y"},
    {"\xc2""\xa0""(){\"[\xe2""\x80""\x94""\\\\ it's<pre>\"&#8211;", "{\"n\": \"\\\"q\\\"\", \"c\": \"Jo\"}", "(){\xe2""\x80""\x9c""[\xe2""\x80""\x94""&#92; it\xe2""\x80""\x99""s<pre>\"&#8211;"},
    {"[-)\xd9""\xa3""\"hi\", \\'\t_\xe2""\x80""\x8b", "{\"n\": \"x - y\", \"c\": \"Jo\"}", "[-)\xd9""\xa3""\xe2""\x80""\x9d""hi\xe2""\x80""\x9d"", &#39; _"},
    {"<a>s'hi'1\nx@y.com--", "{\"n\": \"  \", \"c\": \"x - y\"}", "<a>s'hi'1 x@y.com--"},
    {"_&mdash;\">--&nbsp; \"!x@y.com", "{\"n\": [\"a\", \"b'\"], \"c\": null}", "_&mdash;\xe2""\x80""\x9d"">--&nbsp; \xe2""\x80""\x9c""!x@y.com"},
    {"[<,<b>&#8211;<!-- a -- b -->\xe2""\x85""\xb7""\xd9""\xa3""x@y.com\\&&#x2013;\xc3""\xa9", "{\"n\": \"it's\", \"c\": \"x - y\"}", "[<,<b>\xe2""\x80""\x93""<!-- a \xe2""\x80""\x93"" b -->\xe2""\x85""\xb7""\xd9""\xa3""x@y.com\\&&#x2013;\xc3""\xa9"},
    {"\xc2""\xa0""<pre>", "{\"n\": \"\\\"q\\\"\", \"c\": \"Jo\"}", "<pre>"},
    {"_\xe2""\x85""\xb7""'don'tx@y.com\"hi\"-- - -s <a>>", "{\"n\": true, \"c\": \"a@b.com\"}", "_\xe2""\x85""\xb7""'don'tx@y.com\xe2""\x80""\x9d""hi\xe2""\x80""\x9d""-- \xe2""\x80""\x93"" -s <a>>"},
    {" - B .[s  ,(B .", "{\"n\": \"Jo\", \"c\": \"O'Neil\"}", "\xe2""\x80""\x93"" B.[s,(B."},
    {"((c??q'))<!-- c -->'&nbsp;  ._-", "{\"n\": \"x - y\", \"c\": \"x - y\"}", "<!-- c -->\xe2""\x80""\x98""&nbsp;._-"},
    {"", "{\"n\": true, \"c\": \"  \"}", ""},
    {"s &#8211;s   <pre>\xe2""\x85""\xb7""a", "{\"n\": true, \"c\": \"a@b.com\"}", "s \xe2""\x80""\x93""s <pre>\xe2""\x85""\xb7""a"},
    {"<pre>&mdash;\xe2""\x80""\x94""s - ", "{\"n\": \"O'Neil\", \"c\": null}", "<pre>&mdash;\xe2""\x80""\x94""s \xe2""\x80""\x93"},
    {"", "{\"n\": true, \"c\": \"x - y\"}", ""},
};

TEST(subjects_match_values_recorded_from_notifications_utils)
{
    for (size_t i = 0; i < sizeof(golden_subjects) / sizeof(golden_subjects[0]); i++) {
        json_t *pers = json_loads(golden_subjects[i].pers, 0, NULL);
        char *got = emu_template_render_subject(golden_subjects[i].text, pers, NULL);
        if (!got || strcmp(got, golden_subjects[i].subject) != 0)
            ck_fail(__FILE__, __LINE__, "subject %zu \"%s\": got \"%s\", want \"%s\"", i,
                    golden_subjects[i].text, got ? got : "(null)", golden_subjects[i].subject);
        free(got);
        json_decref(pers);
    }
}
