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
