/* Notify's request rules: UUIDs, email addresses, body parsing and the
 * schema messages of POST /v2/notifications/email and GET /v2/notifications.
 * Cases follow notifications-utils tests/recipient_validation and the
 * messages in notifications-api's schema tests (notify-api.md §2.3, §3.2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "emu_errors.h"
#include "emu_rules.h"
#include "emu_template.h"

/* 2030-01-01T12:00:00Z, the clock for scheduled_for checks. */
#define NOW 1893499200.0

static const char *const valid_emails[] = {
    "email@domain.com",
    "email@domain.COM",
    "firstname.lastname@domain.com",
    "firstname.o'lastname@domain.com",
    "email@subdomain.domain.com",
    "firstname+lastname@domain.com",
    "1234567890@domain.com",
    "email@domain-one.com",
    "_______@domain.com",
    "email@domain.name",
    "email@domain.superlongtld",
    "email@domain.co.jp",
    "firstname-lastname@domain.com",
    "info@german-financial-services.verm\xc3\xb6gensberatung",
    "info@german-financial-services.reallylongarbitrarytldthatiswaytoohugejustincase",
    "japanese-info@\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
    "email@double--hyphen.com",
};

static const char *const invalid_emails[] = {
    "email@123.123.123.123",
    "email@[123.123.123.123]",
    "plainaddress",
    "@no-local-part.com",
    "Outlook Contact <outlook-contact@domain.com>",
    "no-at.domain.com",
    "no-tld@domain",
    ";beginning-semicolon@domain.co.uk",
    "middle-semicolon@domain.co;uk",
    "trailing-semicolon@domain.com;",
    "\"email+leading-quotes@domain.com",
    "email+middle\"-quotes@domain.com",
    "\"quoted-local-part\"@domain.com",
    "\"quoted@domain.com\"",
    "lots-of-dots@domain..gov..uk",
    "two-dots..in-local@domain.com",
    "multiple@domains@domain.com",
    "spaces in local@domain.com",
    "spaces-in-domain@dom ain.com",
    "underscores-in-domain@dom_ain.com",
    "pipe-in-domain@example.com|gov.uk",
    "comma,in-local@gov.uk",
    "comma-in-domain@domain,gov.uk",
    "pound-sign-in-local\xc2\xa3@domain.com",
    "local-with-\xe2\x80\x99-apostrophe@domain.com",
    "local-with-\xe2\x80\x9d-quotes@domain.com",
    "domain-starts-with-a-dot@.domain.com",
    "brackets(in)local@domain.com",
    "incorrect-punycode@xn---something.com",
    "",
    "a@b",
    "trailing-dot@domain.com.",
    "hyphen-start@-domain.com",
    "hyphen-end@domain-.com",
    "numeric-tld@domain.c0m",
    "one-letter-tld@domain.c",
};

TEST(accepts_every_address_notifications_utils_accepts)
{
    for (size_t i = 0; i < sizeof(valid_emails) / sizeof(valid_emails[0]); i++) {
        if (!emu_email_valid(valid_emails[i], NULL))
            ck_fail(__FILE__, __LINE__, "rejected valid address %s", valid_emails[i]);
    }
}

TEST(rejects_every_address_notifications_utils_rejects)
{
    for (size_t i = 0; i < sizeof(invalid_emails) / sizeof(invalid_emails[0]); i++) {
        if (emu_email_valid(invalid_emails[i], NULL))
            ck_fail(__FILE__, __LINE__, "accepted invalid address %s", invalid_emails[i]);
    }
}

TEST(email_longer_than_320_characters_is_rejected)
{
    char addr[400];
    memset(addr, 'a', sizeof(addr));
    /* local part 308 + "@example.com" (12) = 320: allowed */
    memcpy(addr + 308, "@example.com", 13);
    CHECK(emu_email_valid(addr, NULL));
    memset(addr, 'a', sizeof(addr));
    memcpy(addr + 309, "@example.com", 13);
    CHECK(!emu_email_valid(addr, NULL));
}

TEST(email_hostname_labels_are_limited_to_63_characters)
{
    char addr[128] = "a@";
    memset(addr + 2, 'b', 63);
    memcpy(addr + 65, ".com", 5);
    CHECK(emu_email_valid(addr, NULL));
    memset(addr + 2, 'b', 64);
    memcpy(addr + 66, ".com", 5);
    CHECK(!emu_email_valid(addr, NULL));
}

TEST(email_hostname_longer_than_253_characters_is_rejected)
{
    /* 4 labels of 62 + ".com": 4*63 + 3 = 255 > 253 */
    char addr[300] = "a@";
    size_t o = 2;
    for (int l = 0; l < 4; l++) {
        memset(addr + o, 'x', 62);
        o += 62;
        addr[o++] = '.';
    }
    memcpy(addr + o, "com", 4);
    CHECK(!emu_email_valid(addr, NULL));
    /* 3 labels of 62 + ".com": 189 + 3 = 192: fine */
    o = 2;
    for (int l = 0; l < 3; l++) {
        memset(addr + o, 'x', 62);
        o += 62;
        addr[o++] = '.';
    }
    memcpy(addr + o, "com", 4);
    CHECK(emu_email_valid(addr, NULL));
}

TEST(email_surrounding_and_obscure_whitespace_is_stripped)
{
    static const char *const cases[] = {
        " email@domain.com ",
        "\temail@domain.com",
        "\temail@domain.com\n",
        "\xe2\x80\x8b"
        "email@domain.com\xe2\x80\x8b", /* U+200B */
        "\xc2\xa0"
        "email@domain.com", /* U+00A0 */
        "email@\xef\xbb\xbf"
        "domain.com",                   /* U+FEFF inside */
        "email@domain.com\xe2\x80\xaf", /* U+202F */
        "\xe2\x80\xa8"
        "email@domain.com\xe2\x80\xa9", /* U+2028, U+2029 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *norm = NULL;
        if (!emu_email_valid(cases[i], &norm)) {
            ck_fail(__FILE__, __LINE__, "case %zu rejected", i);
            continue;
        }
        CHECK_STR_EQ(norm, "email@domain.com");
        free(norm);
    }
}

TEST(email_other_unicode_whitespace_in_the_hostname_is_rejected)
{
    /* U+3000 is \s for Python but not one of the stripped characters */
    CHECK(!emu_email_valid("email@dom\xe3\x80\x80"
                           "ain.com",
                           NULL));
}

TEST(email_normalised_form_is_lower_cased)
{
    char *norm = NULL;
    CHECK(emu_email_valid("  Simulate-Delivered@Notifications.Service.GOV.UK ", &norm));
    CHECK_STR_EQ(norm, "simulate-delivered@notifications.service.gov.uk");
    free(norm);
    CHECK(emu_email_valid("A@\xc3\x84"
                          "BC.com",
                          &norm)); /* Ä */
    CHECK_STR_EQ(norm, "a@\xc3\xa4"
                       "bc.com");
    free(norm);
}

TEST(email_invalid_gives_no_normalised_form)
{
    char *norm = (char *)"sentinel";
    CHECK(!emu_email_valid("nope", &norm));
    CHECK(norm == NULL);
}

TEST(uuid_accepts_canonical_form_in_either_case)
{
    CHECK(emu_uuid_valid("26785a09-ab16-4eb0-8407-a37497a57506"));
    CHECK(emu_uuid_valid("26785A09-AB16-4EB0-8407-A37497A57506"));
}

TEST(uuid_accepts_what_python_uuid_accepts)
{
    char out[37];
    static const char *const ok[] = {
        "26785a09ab164eb08407a37497a57506",
        "{26785a09-ab16-4eb0-8407-a37497a57506}",
        "urn:uuid:26785a09-ab16-4eb0-8407-a37497a57506",
        "26785a09-ab16-4eb0-8407-a37497a5750-6",
        "+6785a09-ab16-4eb0-8407-a37497a57506",
        " 6785a09-ab16-4eb0-8407-a37497a57506",
        "\v6785a09-ab16-4eb0-8407-a37497a57506",
        "0x785a09-ab16-4eb0-8407-a37497a57506",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (!emu_uuid_valid(ok[i]))
            ck_fail(__FILE__, __LINE__, "rejected %s", ok[i]);
    CHECK_INT_EQ(emu_uuid_normalise("{26785A09AB164EB08407A37497A57506}", out), 0);
    CHECK_STR_EQ(out, "26785a09-ab16-4eb0-8407-a37497a57506");
    CHECK_INT_EQ(emu_uuid_normalise("+6785a09-ab16-4eb0-8407-a37497a57506", out), 0);
    CHECK_STR_EQ(out, "06785a09-ab16-4eb0-8407-a37497a57506");
}

TEST(uuid_rejects_what_python_uuid_rejects)
{
    static const char *const bad[] = {
        "",
        "not-a-uuid",
        "26785a09-ab16-4eb0-8407-a37497a5750",
        "26785a09-ab16-4eb0-8407-a37497a575066",
        "26785a09-ab16-4eb0-8407-a37497a5750g",
        "-6785a09-ab16-4eb0-8407-a37497a57506",
        "_6785a09-ab16-4eb0-8407-a37497a57506",
        "26785a09-ab16-4eb0-8407-a37497a5750_",
        "2678__09-ab16-4eb0-8407-a37497a57506",
        "26785a09-ab16-4eb0-8407-a37497a5750\xc3\xa9",
        "\0346785a09-ab16-4eb0-8407-a37497a57506", /* \x1c: int() does not strip it */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (emu_uuid_valid(bad[i]))
            ck_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
    CHECK(!emu_uuid_valid(NULL));
}

TEST(body_that_is_not_json_is_rejected)
{
    CHECK(emu_parse_body("", 0) == NULL);
    CHECK(emu_parse_body("{", 1) == NULL);
    CHECK(emu_parse_body("{'a': 1}", 8) == NULL);
    CHECK(emu_parse_body("not json", 8) == NULL);
}

TEST(falsy_body_becomes_an_empty_object)
{
    static const char *const falsy[] = {"null", "false", "0", "0.0", "\"\"", "[]", "{}", " {} "};
    for (size_t i = 0; i < sizeof(falsy) / sizeof(falsy[0]); i++) {
        json_t *v = emu_parse_body(falsy[i], strlen(falsy[i]));
        CHECK(json_is_object(v) && json_object_size(v) == 0);
        json_decref(v);
    }
}

TEST(truthy_body_is_kept_as_sent)
{
    json_t *v = emu_parse_body("\xef\xbb\xbf[1]", 6);
    CHECK(json_is_array(v) && json_array_size(v) == 1);
    json_decref(v);
    v = emu_parse_body("{\"a\":1}", 7);
    CHECK(json_is_object(v) && json_integer_value(json_object_get(v, "a")) == 1);
    json_decref(v);
}

/* Parses a body and returns the string value of its key "k" copied into
 * buf, or NULL when it does not parse or has no such string. */
static const char *wide_value(const char *body, size_t len, char *buf, size_t cap)
{
    json_t *v = emu_parse_body(body, len);
    const char *s = json_string_value(json_object_get(v, "k"));
    if (s)
        snprintf(buf, cap, "%s", s);
    json_decref(v);
    return s ? buf : NULL;
}

TEST(utf16_and_utf32_bodies_are_decoded_as_pythons_json_detects_them)
{
    char buf[64];
    /* {"k":"é😀"} in each encoding json.detect_encoding recognises */
    static const char u16le[] = "\xff\xfe{\0\"\0k\0\"\0:\0\"\0\xe9\0=\xd8\0\xde\"\0}\0";
    static const char u16be[] = "\0{\0\"\0k\0\"\0:\0\"\0\xe9\xd8=\xde\0\0\"\0}";
    static const char u16le_nobom[] = "{\0\"\0k\0\"\0:\0\"\0\xe9\0=\xd8\0\xde\"\0}\0";
    static const char u32be[] = "\0\0\xfe\xff\0\0\0{\0\0\0\"\0\0\0k\0\0\0\"\0\0\0:\0\0\0\"\0\0\0"
                                "\xe9\0\x01\xf6\0\0\0\0\"\0\0\0}";
    static const char u32le_nobom[] = "{\0\0\0\"\0\0\0k\0\0\0\"\0\0\0:\0\0\0\"\0\0\0\xe9\0\0\0"
                                      "\0\xf6\x01\0\"\0\0\0}\0\0\0";
    const char *want = "\xc3\xa9\xf0\x9f\x98\x80";
    CHECK_STR_EQ(wide_value(u16le, sizeof(u16le) - 1, buf, sizeof(buf)), want);
    CHECK_STR_EQ(wide_value(u16be, sizeof(u16be) - 1, buf, sizeof(buf)), want);
    CHECK_STR_EQ(wide_value(u16le_nobom, sizeof(u16le_nobom) - 1, buf, sizeof(buf)), want);
    CHECK_STR_EQ(wide_value(u32be, sizeof(u32be) - 1, buf, sizeof(buf)), want);
    CHECK_STR_EQ(wide_value(u32le_nobom, sizeof(u32le_nobom) - 1, buf, sizeof(buf)), want);
}

TEST(wide_bodies_that_do_not_decode_are_not_json)
{
    /* odd length, an unpaired high surrogate, a code point past U+10FFFF */
    CHECK(emu_parse_body("\xff\xfe{\0}", 5) == NULL);
    CHECK(emu_parse_body("\xff\xfe\"\0=\xd8\"\0", 8) == NULL);
    CHECK(emu_parse_body("\0\0\xfe\xff\0\x11\0\0", 8) == NULL);
    /* a second byte-order mark is not whitespace */
    CHECK(emu_parse_body("\xff\xfe\xff\xfe{\0}\0", 8) == NULL);
}

/* Parses body text and checks Python's str() of its key "x". */
static void check_python_number(const char *file, int line, const char *body, const char *want)
{
    json_t *v = emu_parse_body(body, strlen(body));
    char *got = v ? emu_py_str(json_object_get(v, "x")) : NULL;
    if (!got || strcmp(got, want) != 0)
        ck_fail(file, line, "%s: got %s, want %s", body, got ? got : "(null)", want);
    free(got);
    json_decref(v);
}
#define PY_NUMBER(body, want) check_python_number(__FILE__, __LINE__, body, want)

TEST(numbers_pythons_json_reads_are_read)
{
    PY_NUMBER("{\"x\":NaN}", "nan");
    PY_NUMBER("{\"x\":Infinity}", "inf");
    PY_NUMBER("{\"x\": -Infinity }", "-inf");
    PY_NUMBER("{\"x\":100000000000000000000}", "100000000000000000000");
    PY_NUMBER("{\"x\":-9223372036854775809}", "-9223372036854775809");
    PY_NUMBER("{\"x\":9223372036854775807}", "9223372036854775807");
    PY_NUMBER("{\"x\":1e400}", "inf");
    PY_NUMBER("{\"x\":-1.5E+400}", "-inf");
    PY_NUMBER("{\"x\":[NaN, {\"y\": 1e99999}]}", "[nan, {'y': inf}]");
    /* inside strings nothing is rewritten */
    PY_NUMBER("{\"x\":\"NaN 100000000000000000000 \\\" Infinity\"}",
              "NaN 100000000000000000000 \" Infinity");
}

TEST(number_placeholders_are_not_objects_and_cannot_be_forged)
{
    json_t *v = emu_parse_body("NaN", 3);
    CHECK(v != NULL && !emu_is_object(v));
    CHECK_STR_EQ(emu_py_number_text(v), "nan");
    json_decref(v);
    /* a client's object with a similar key stays an object */
    const char *forged = "{\"x\":{\"\\u0001k\":\"nan\"}}";
    v = emu_parse_body(forged, strlen(forged));
    CHECK(v != NULL && emu_is_object(json_object_get(v, "x")));
    CHECK(emu_py_number_text(json_object_get(v, "x")) == NULL);
    json_decref(v);
    /* still not JSON: NaN as a key, a bare word, trailing garbage */
    CHECK(emu_parse_body("{NaN:1}", 7) == NULL);
    CHECK(emu_parse_body("nan", 3) == NULL);
    CHECK(emu_parse_body("NaNx", 4) == NULL);
    CHECK(emu_parse_body("[1e400 2]", 9) == NULL);
}

/* Validates a JSON text and joins the messages with " | ". */
static char *validate(const char *body_text)
{
    json_t *body = emu_parse_body(body_text, strlen(body_text));
    if (!body)
        return strdup("(not json)");
    emu_errors errs;
    emu_errors_init(&errs);
    size_t n = emu_validate_post_email_at(body, NOW, &errs);
    json_decref(body);
    size_t len = 1;
    for (size_t i = 0; i < errs.n; i++)
        len += strlen(errs.items[i].message) + 3;
    char *out = calloc(1, len);
    for (size_t i = 0; out && i < errs.n; i++) {
        if (i)
            strcat(out, " | ");
        strcat(out, errs.items[i].message);
        if (strcmp(errs.items[i].error, "ValidationError") != 0)
            ck_fail(__FILE__, __LINE__, "error class %s", errs.items[i].error);
    }
    if (n != errs.n)
        ck_fail(__FILE__, __LINE__, "returned %zu for %zu errors", n, errs.n);
    emu_errors_free(&errs);
    return out;
}

#define CHECK_VALIDATES_TO(body, expected)                                                         \
    do {                                                                                           \
        char *got_ = validate(body);                                                               \
        CHECK_STR_EQ(got_, expected);                                                              \
        free(got_);                                                                                \
    } while (0)

#define TID "\"template_id\":\"26785a09-ab16-4eb0-8407-a37497a57506\""

TEST(valid_post_email_body_has_no_errors)
{
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID "}", "");
    CHECK_VALIDATES_TO(
        "{\"email_address\":\"a@b.com\"," TID ",\"personalisation\":{\"x\":[1]},"
        "\"reference\":\"r\",\"email_reply_to_id\":\"26785a09-ab16-4eb0-8407-a37497a57506\","
        "\"one_click_unsubscribe_url\":\"https://example.com/u\","
        "\"sanitise_content_for\":[\"x\"],\"scheduled_for\":null}",
        "");
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID ",\"sanitise_content_for\":null}", "");
}

TEST(empty_body_reports_both_required_properties)
{
    CHECK_VALIDATES_TO("{}",
                       "email_address is a required property | template_id is a required property");
    CHECK_VALIDATES_TO("null",
                       "email_address is a required property | template_id is a required property");
}

TEST(non_object_body_reports_its_type)
{
    CHECK_VALIDATES_TO("[1, \"a\"]", "[1, a] is not of type object");
    CHECK_VALIDATES_TO("\"text\"", "text is not of type object");
    CHECK_VALIDATES_TO("12", "12 is not of type object");
}

TEST(type_errors_show_the_value_as_python_repr_without_quotes)
{
    CHECK_VALIDATES_TO("{\"email_address\":12345," TID "}",
                       "email_address 12345 is not of type string");
    CHECK_VALIDATES_TO("{\"email_address\":null," TID "}",
                       "email_address None is not of type string");
    CHECK_VALIDATES_TO("{\"email_address\":true," TID "}",
                       "email_address True is not of type string");
    CHECK_VALIDATES_TO("{\"email_address\":1.5," TID "}",
                       "email_address 1.5 is not of type string");
    CHECK_VALIDATES_TO("{\"email_address\":[\"a\",{\"b\":false}]," TID "}",
                       "email_address [a, {b: False}] is not of type string");
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID ",\"personalisation\":\"not_a_dict\"}",
                       "personalisation not_a_dict is not of type object");
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID ",\"reference\":5}",
                       "reference 5 is not of type string");
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID ",\"sanitise_content_for\":\"x\"}",
                       "sanitise_content_for x is not of type array, null");
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID ",\"scheduled_for\":7}",
                       "scheduled_for 7 is not of type string, null");
}

TEST(invalid_email_address_uses_the_format_checker_message)
{
    CHECK_VALIDATES_TO("{\"email_address\":\"not-an-email\"," TID "}",
                       "email_address Not a valid email address");
}

TEST(uuid_fields_use_the_validation_message)
{
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\",\"template_id\":\"x\"}",
                       "template_id is not a valid UUID");
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\",\"template_id\":12}",
                       "template_id is not a valid UUID");
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID ",\"email_reply_to_id\":\"nope\"}",
                       "email_reply_to_id is not a valid UUID");
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID ",\"email_reply_to_id\":null}",
                       "email_reply_to_id is not a valid UUID");
}

TEST(reference_longer_than_1000_characters_is_too_long)
{
    char body[4200], ref[3100];
    /* 1000 two-byte characters are still fine: the limit counts characters */
    size_t o = 0;
    for (int i = 0; i < 1000; i++) {
        ref[o++] = '\xc3';
        ref[o++] = '\xa9';
    }
    ref[o] = '\0';
    snprintf(body, sizeof(body), "{\"email_address\":\"a@b.com\"," TID ",\"reference\":\"%s\"}",
             ref);
    CHECK_VALIDATES_TO(body, "");
    memset(ref, 'a', 1001);
    ref[1001] = '\0';
    snprintf(body, sizeof(body), "{\"email_address\":\"a@b.com\"," TID ",\"reference\":\"%s\"}",
             ref);
    char expected[3200];
    snprintf(expected, sizeof(expected), "reference %s is too long", ref);
    CHECK_VALIDATES_TO(body, expected);
}

TEST(unsubscribe_url_must_start_with_https)
{
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID
                       ",\"one_click_unsubscribe_url\":\"http://x\"}",
                       "one_click_unsubscribe_url is not a valid https url");
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID ",\"one_click_unsubscribe_url\":null}",
                       "one_click_unsubscribe_url is not a valid https url");
}

TEST(unsubscribe_url_must_be_a_uri)
{
    static const char *const ok[] = {
        "https://example.com/unsubscribe?id=1&t=abc#x",
        "https://user:pw@example.com:8443/a%20b/c",
        "https://[::1]:8000/",
        "https:relative/path",
        "httpsx://example.com",
    };
    static const char *const bad[] = {
        "https://exa mple.com/",
        "https://example.com/a b",
        "https://example.com/\xc3\xa9",
        "https//example.com",
        "https",
        "https://example.com:80a/",
        "https://example.com/%zz",
        "https://example.com/#a#b",
        "https://a@b@example.com/",
        "https://example.com/<x>",
    };
    char body[512];
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(body, sizeof(body),
                 "{\"email_address\":\"a@b.com\"," TID ",\"one_click_unsubscribe_url\":\"%s\"}",
                 ok[i]);
        CHECK_VALIDATES_TO(body, "");
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(body, sizeof(body),
                 "{\"email_address\":\"a@b.com\"," TID ",\"one_click_unsubscribe_url\":\"%s\"}",
                 bad[i]);
        CHECK_VALIDATES_TO(body, "one_click_unsubscribe_url is not a valid https url");
    }
}

TEST(additional_properties_are_listed_sorted)
{
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID ",\"template\":1}",
                       "Additional properties are not allowed (template was unexpected)");
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID ",\"b\":1,\"a\":2}",
                       "Additional properties are not allowed (a, b were unexpected)");
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID ",\"it's\":1}",
                       "Additional properties are not allowed (\"its\" was unexpected)");
}

TEST(all_errors_are_reported_in_schema_order)
{
    CHECK_VALIDATES_TO(
        "{\"email_address\":\"x\",\"personalisation\":[],\"reference\":1,\"zz\":1}",
        "reference 1 is not of type string | email_address Not a valid email address | "
        "personalisation [] is not of type object | template_id is a required property | "
        "Additional properties are not allowed (zz was unexpected)");
}

TEST(scheduled_for_is_checked_against_the_next_24_hours)
{
    CHECK_VALIDATES_TO(
        "{\"email_address\":\"a@b.com\"," TID ",\"scheduled_for\":\"2030-01-01 13:00\"}", "");
    CHECK_VALIDATES_TO(
        "{\"email_address\":\"a@b.com\"," TID ",\"scheduled_for\":\"2030-01-02T11:59:59.5Z\"}", "");
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID
                       ",\"scheduled_for\":\"2029-12-31T12:00:00\"}",
                       "scheduled_for datetime can not be in the past");
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID ",\"scheduled_for\":\"2030-01-03\"}",
                       "scheduled_for datetime can only be 24 hours in the future");
    /* the offset is dropped, not applied, as Notify does */
    CHECK_VALIDATES_TO("{\"email_address\":\"a@b.com\"," TID
                       ",\"scheduled_for\":\"2030-01-01T13:00:00+05:00\"}",
                       "");
    static const char *const bad[] = {"not a date",       "2030-13-01", "2030-02-30T10:00",
                                      "2030-01-01T25:00", "",           "2030-01-01T12:00:00+24:00",
                                      "20300101T1200x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"email_address\":\"a@b.com\"," TID ",\"scheduled_for\":\"%s\"}", bad[i]);
        CHECK_VALIDATES_TO(body,
                           "scheduled_for datetime format is invalid. It must be a valid ISO8601 "
                           "date time format, https://en.wikipedia.org/wiki/ISO_8601");
    }
}

TEST(errors_list_drops_duplicates_and_keeps_order)
{
    emu_errors e;
    emu_errors_init(&e);
    CHECK_INT_EQ(emu_errors_add(&e, "ValidationError", "%s %d", "b", 1), 0);
    CHECK_INT_EQ(emu_errors_add(&e, "ValidationError", "a"), 0);
    CHECK_INT_EQ(emu_errors_add(&e, "ValidationError", "b 1"), 0);
    CHECK_INT_EQ(emu_errors_add(&e, "BadRequestError", "a"), 0);
    CHECK_INT_EQ(e.n, 3);
    CHECK_STR_EQ(e.items[0].message, "b 1");
    CHECK_STR_EQ(e.items[1].message, "a");
    CHECK_STR_EQ(e.items[2].error, "BadRequestError");
    emu_errors_free(&e);
    CHECK_INT_EQ(e.n, 0);
}

TEST(errors_list_reports_when_full)
{
    emu_errors e;
    emu_errors_init(&e);
    for (int i = 0; i < EMU_ERRORS_MAX; i++)
        CHECK_INT_EQ(emu_errors_add(&e, "ValidationError", "m%d", i), 0);
    CHECK_INT_EQ(emu_errors_add(&e, "ValidationError", "one more"), -1);
    CHECK_INT_EQ(emu_errors_add(&e, "ValidationError", "m0"), 0); /* duplicate: fine */
    emu_errors_free(&e);
}

/* Validates a query and joins the messages. */
static char *list_query(const emu_param *p, size_t n, emu_list_query *q)
{
    emu_errors errs;
    emu_errors_init(&errs);
    emu_validate_list_query(p, n, q, &errs);
    size_t len = 1;
    for (size_t i = 0; i < errs.n; i++)
        len += strlen(errs.items[i].message) + 3;
    char *out = calloc(1, len);
    for (size_t i = 0; out && i < errs.n; i++) {
        if (i)
            strcat(out, " | ");
        strcat(out, errs.items[i].message);
    }
    emu_errors_free(&errs);
    return out;
}

TEST(list_query_accepts_known_filters)
{
    emu_param p[] = {
        {"status", "delivered"},    {"status", "failed"},
        {"template_type", "email"}, {"reference", "r1"},
        {"reference", "r2"},        {"older_than", "26785a09-ab16-4eb0-8407-a37497a57506"},
        {"include_jobs", "True"}};
    emu_list_query q;
    char *msg = list_query(p, 7, &q);
    CHECK_STR_EQ(msg, "");
    free(msg);
    CHECK_INT_EQ(q.statuses, EMU_ST_DELIVERED | EMU_ST_TECHNICAL_FAILURE |
                                 EMU_ST_TEMPORARY_FAILURE | EMU_ST_PERMANENT_FAILURE |
                                 EMU_ST_OTHER);
    CHECK_INT_EQ(q.template_types, 2);
    CHECK_STR_EQ(q.reference, "r1");
    CHECK_STR_EQ(q.older_than, "26785a09-ab16-4eb0-8407-a37497a57506");
    CHECK_INT_EQ(q.include_jobs, 1);
}

TEST(list_query_expands_accepted_and_received)
{
    emu_param p[] = {{"status", "accepted"}, {"status", "received"}};
    emu_list_query q;
    char *msg = list_query(p, 2, &q);
    CHECK_STR_EQ(msg, "");
    free(msg);
    CHECK_INT_EQ(q.statuses, EMU_ST_CREATED | EMU_ST_SENDING | EMU_ST_DELIVERED);
}

TEST(list_query_with_every_status_has_no_status_filter)
{
    emu_param p[] = {{"status", "accepted"}, {"status", "delivered"}, {"status", "failed"}};
    emu_list_query q;
    char *msg = list_query(p, 3, &q);
    CHECK_STR_EQ(msg, "");
    free(msg);
    CHECK_INT_EQ(q.statuses, 0);
}

TEST(list_query_rejects_unknown_values_with_notify_messages)
{
    emu_param p[] = {{"status", "elephant"},
                     {"template_type", "orange"},
                     {"older_than", "nope"},
                     {"include_jobs", "false"}};
    emu_list_query q;
    char *msg = list_query(p, 4, &q);
    CHECK_STR_EQ(msg,
                 "status elephant is not one of [cancelled, created, sending, sent, delivered, "
                 "pending, failed, technical-failure, temporary-failure, permanent-failure, "
                 "pending-virus-check, validation-failed, virus-scan-failed, returned-letter, "
                 "accepted, received] | template_type orange is not one of [sms, email, letter] | "
                 "older_than is not a valid UUID | include_jobs false is not one of [true, True]");
    free(msg);
}

TEST(list_query_rejects_unknown_parameters_once_each_sorted)
{
    emu_param p[] = {{"foo", "1"}, {"bar", "2"}, {"foo", "3"}};
    emu_list_query q;
    char *msg = list_query(p, 3, &q);
    CHECK_STR_EQ(msg, "Additional properties are not allowed (bar, foo were unexpected)");
    free(msg);
    emu_param one[] = {{"foo", "1"}};
    msg = list_query(one, 1, &q);
    CHECK_STR_EQ(msg, "Additional properties are not allowed (foo was unexpected)");
    free(msg);
}

TEST(status_bits_name_only_email_statuses)
{
    CHECK_INT_EQ(emu_status_bit("created"), EMU_ST_CREATED);
    CHECK_INT_EQ(emu_status_bit("sending"), EMU_ST_SENDING);
    CHECK_INT_EQ(emu_status_bit("delivered"), EMU_ST_DELIVERED);
    CHECK_INT_EQ(emu_status_bit("permanent-failure"), EMU_ST_PERMANENT_FAILURE);
    CHECK_INT_EQ(emu_status_bit("temporary-failure"), EMU_ST_TEMPORARY_FAILURE);
    CHECK_INT_EQ(emu_status_bit("technical-failure"), EMU_ST_TECHNICAL_FAILURE);
    CHECK_INT_EQ(emu_status_bit("sent"), 0);
    CHECK_INT_EQ(emu_status_bit("Delivered"), 0);
    CHECK_INT_EQ(emu_status_bit(NULL), 0);
}

/* Bodies validated by jsonschema 4.26 (Draft 7, with Notify's format
 * checkers, iso8601 2.1, rfc3987 and notifications-utils' email rules)
 * against post_email_request, with Notify's build_error_message, at
 * 2030-01-01T12:00:00; the joined messages are recorded as expected. */
static const struct {
    const char *body, *messages;
} golden_bodies[] = {
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"x\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_address Not a valid email address"},
    {"{\"email_address\": \"  A@B.CO.UK \", \"template_id\": "
     "\"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"a..b@c.com\", \"template_id\": "
     "\"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_address Not a valid email address"},
    {"{\"email_address\": \"info@german-financial-services.verm\\u00f6gensberatung\", "
     "\"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"a@b-.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_address Not a valid email address"},
    {"{\"email_address\": \"a@b\\u00fccher.com\", \"template_id\": "
     "\"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"a@\\u2167.com\", \"template_id\": "
     "\"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"a@ b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_address Not a valid email address"},
    {"{\"email_address\": \"a@b.com\\n\", \"template_id\": "
     "\"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"a@b_c.com\", \"template_id\": "
     "\"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_address Not a valid email address"},
    {"{\"email_address\": \"a@b.123\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_address Not a valid email address"},
    {"{\"email_address\": \"a@xn--.com\", \"template_id\": "
     "\"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_address Not a valid email address"},
    {"{\"email_address\": "
     "\"a@bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.com\", \"template_id\": "
     "\"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_address Not a valid email address"},
    {"{\"email_address\": \"a@\\u0130.com\", \"template_id\": "
     "\"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"a@\\uff41.com\", \"template_id\": "
     "\"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_address Not a valid email address"},
    {"{\"email_address\": null, \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_address None is not of type string"},
    {"{\"email_address\": [1], \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_address [1] is not of type string"},
    {"{\"email_address\": 1.5, \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_address 1.5 is not of type string"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"26785A09-AB16-4EB0-8407-A37497A57506\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"26785a09ab164eb08407a37497a57506\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"{26785a09-ab16-4eb0-8407-a37497a57506}\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"urn:uuid:26785a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"x\"}",
     "email_reply_to_id is not a valid UUID"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"\"}",
     "email_reply_to_id is not a valid UUID"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": 12}",
     "email_reply_to_id is not a valid UUID"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": null}",
     "email_reply_to_id is not a valid UUID"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"+6785a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"-6785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_reply_to_id is not a valid UUID"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \" 6785a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"0x785a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"26785a09-ab16-4eb0-8407-a37497a5750_\"}",
     "email_reply_to_id is not a valid UUID"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"2678_a09-ab16-4eb0-8407-a37497a57506\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"-0000000-0000-0000-0000-000000000000\"}",
     "email_reply_to_id is not a valid UUID"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_reply_to_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\\n\"}",
     "email_reply_to_id is not a valid UUID"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"reference\": \"it's\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"reference\": null}",
     "reference None is not of type string"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"personalisation\": {\"a\": 1}}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"personalisation\": []}",
     "personalisation [] is not of type object"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"personalisation\": 5}",
     "personalisation 5 is not of type object"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"one_click_unsubscribe_url\": \"https://example.com/u\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"one_click_unsubscribe_url\": \"https\"}",
     "one_click_unsubscribe_url is not a valid https url"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"one_click_unsubscribe_url\": \"https://exa mple.com\"}",
     "one_click_unsubscribe_url is not a valid https url"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"one_click_unsubscribe_url\": null}",
     "one_click_unsubscribe_url is not a valid https url"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"one_click_unsubscribe_url\": \"https:x\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"one_click_unsubscribe_url\": \"https://example.com/%zz\"}",
     "one_click_unsubscribe_url is not a valid https url"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"one_click_unsubscribe_url\": \"https://example.com:80a\"}",
     "one_click_unsubscribe_url is not a valid https url"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"one_click_unsubscribe_url\": \"https://\\u00e9.com\"}",
     "one_click_unsubscribe_url is not a valid https url"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"scheduled_for\": \"2030-01-01 13:00\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"scheduled_for\": \"2029-12-31T12:00:00\"}",
     "scheduled_for datetime can not be in the past"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"scheduled_for\": \"2030-01-01T13:00:00+05:00\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"scheduled_for\": \"2030-13-01\"}",
     "scheduled_for datetime format is invalid. It must be a valid ISO8601 date time format, "
     "https://en.wikipedia.org/wiki/ISO_8601"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"scheduled_for\": \"2030-01-01T25:00\"}",
     "scheduled_for datetime format is invalid. It must be a valid ISO8601 date time format, "
     "https://en.wikipedia.org/wiki/ISO_8601"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"scheduled_for\": \"2030-01-01T12:00:00+24:00\"}",
     "scheduled_for datetime format is invalid. It must be a valid ISO8601 date time format, "
     "https://en.wikipedia.org/wiki/ISO_8601"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"scheduled_for\": \"2030-01-01T1230\"}",
     ""},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"scheduled_for\": \"203001\"}",
     "scheduled_for datetime format is invalid. It must be a valid ISO8601 date time format, "
     "https://en.wikipedia.org/wiki/ISO_8601"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"scheduled_for\": \"2030-1-2T13\"}",
     "scheduled_for datetime can only be 24 hours in the future"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"scheduled_for\": \"2030-01-01T12:00:00,123456789\"}",
     ""},
    {"{\"template_id\": \"-0000000-0000-0000-0000-000000000000\", \"zz\": 1, "
     "\"email_reply_to_id\": \"-0000000-0000-0000-0000-000000000000\", \"personalisation\": 5, "
     "\"aa\": null}",
     "template_id is not a valid UUID | email_reply_to_id is not a valid UUID | personalisation 5 "
     "is not of type object | email_address is a required property | Additional properties are not "
     "allowed (aa, zz were unexpected)"},
    {"{\"template_id\": 12, \"reference\": [\"a\"], \"personalisation\": {\"a\": 1}, \"zz\": 1, "
     "\"email_address\": \"a@b\\u3002com\", \"aa\": null, \"one_click_unsubscribe_url\": "
     "\"https:x\", \"scheduled_for\": \"2030-01-01T25:00\", \"email_reply_to_id\": \"\", "
     "\"sanitise_content_for\": null}",
     "reference [a] is not of type string | template_id is not a valid UUID | email_reply_to_id is "
     "not a valid UUID | scheduled_for datetime format is invalid. It must be a valid ISO8601 date "
     "time format, https://en.wikipedia.org/wiki/ISO_8601 | Additional properties are not allowed "
     "(aa, zz were unexpected)"},
    {"{\"aa\": null, \"email_reply_to_id\": \"2678_a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_address\": \"a@b-.com\"}",
     "email_address Not a valid email address | template_id is a required property | Additional "
     "properties are not allowed (aa was unexpected)"},
    {"{\"zz\": 1, \"template_id\": \"26785a09ab164eb08407a37497a57506\", \"email_address\": "
     "\"a@b\\u3002com\", \"reference\": \"r\", \"personalisation\": \"not_a_dict\"}",
     "personalisation not_a_dict is not of type object | Additional properties are not allowed (zz "
     "was unexpected)"},
    {"{\"sanitise_content_for\": \"a\", \"aa\": null, \"personalisation\": 5, \"reference\": 5, "
     "\"scheduled_for\": \"not a date\", \"email_reply_to_id\": "
     "\"-0000000-0000-0000-0000-000000000000\", \"one_click_unsubscribe_url\": "
     "\"https://example.com:80a\", \"zz\": 1}",
     "reference 5 is not of type string | email_reply_to_id is not a valid UUID | personalisation "
     "5 is not of type object | scheduled_for datetime format is invalid. It must be a valid "
     "ISO8601 date time format, https://en.wikipedia.org/wiki/ISO_8601 | one_click_unsubscribe_url "
     "is not a valid https url | sanitise_content_for a is not of type array, null | email_address "
     "is a required property | template_id is a required property | Additional properties are not "
     "allowed (aa, zz were unexpected)"},
    {"{\"personalisation\": null, \"scheduled_for\": \"2030-01-02T11:59:59.5Z\"}",
     "personalisation None is not of type object | email_address is a required property | "
     "template_id is a required property"},
    {"{\"one_click_unsubscribe_url\": \"https://[::1]/\", \"sanitise_content_for\": \"a\", "
     "\"personalisation\": 5, \"reference\": 5, \"zz\": 1, \"email_reply_to_id\": null, "
     "\"email_address\": \"email@domain.COM\", \"template_id\": \"\", \"scheduled_for\": null, "
     "\"aa\": null}",
     "reference 5 is not of type string | template_id is not a valid UUID | email_reply_to_id is "
     "not a valid UUID | personalisation 5 is not of type object | sanitise_content_for a is not "
     "of type array, null | Additional properties are not allowed (aa, zz were unexpected)"},
    {"{\"aa\": null, \"email_address\": \"a@\\u00df.com\", \"one_click_unsubscribe_url\": "
     "\"https://example.com:80a\", \"zz\": 1, \"email_reply_to_id\": null}",
     "email_reply_to_id is not a valid UUID | one_click_unsubscribe_url is not a valid https url | "
     "template_id is a required property | Additional properties are not allowed (aa, zz were "
     "unexpected)"},
    {"{\"scheduled_for\": \"2030-01-01T12:00:60\", \"aa\": null, \"personalisation\": null, "
     "\"email_address\": null}",
     "email_address None is not of type string | personalisation None is not of type object | "
     "scheduled_for datetime format is invalid. It must be a valid ISO8601 date time format, "
     "https://en.wikipedia.org/wiki/ISO_8601 | template_id is a required property | Additional "
     "properties are not allowed (aa was unexpected)"},
    {"{\"email_reply_to_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\\n\", \"scheduled_for\": "
     "\"2030-01-01T12:00:00+24:00\"}",
     "email_reply_to_id is not a valid UUID | scheduled_for datetime format is invalid. It must be "
     "a valid ISO8601 date time format, https://en.wikipedia.org/wiki/ISO_8601 | email_address is "
     "a required property | template_id is a required property"},
    {"{\"aa\": null, \"template_id\": \"-0000000-0000-0000-0000-000000000000\", \"zz\": 1}",
     "template_id is not a valid UUID | email_address is a required property | Additional "
     "properties are not allowed (aa, zz were unexpected)"},
    {"{\"template_id\": null}",
     "template_id is not a valid UUID | email_address is a required property"},
    {"{\"email_address\": \"a@-b.com\", \"zz\": 1, \"sanitise_content_for\": \"a\", "
     "\"personalisation\": {\"a\": 1}}",
     "email_address Not a valid email address | sanitise_content_for a is not of type array, null "
     "| template_id is a required property | Additional properties are not allowed (zz was "
     "unexpected)"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"it's\": 1}",
     "Additional properties are not allowed (\"its\" was unexpected)"},
    {"{\"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", \"scheduled_for\": "
     "\"2030-01-02T11:59:59.5Z\", \"email_reply_to_id\": \"0x785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_address\": 12345, \"zz\": 1, \"sanitise_content_for\": {}}",
     "email_address 12345 is not of type string | sanitise_content_for {} is not of type array, "
     "null | Additional properties are not allowed (zz was unexpected)"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"sanitise_content_for\": null}",
     ""},
    {"{}", "email_address is a required property | template_id is a required property"},
    {"{\"scheduled_for\": \"2030-02-30T10:00\", \"one_click_unsubscribe_url\": \"HTTPS://x.com\", "
     "\"personalisation\": {\"a\": 1}}",
     "scheduled_for datetime format is invalid. It must be a valid ISO8601 date time format, "
     "https://en.wikipedia.org/wiki/ISO_8601 | one_click_unsubscribe_url is not a valid https url "
     "| email_address is a required property | template_id is a required property"},
    {"{}", "email_address is a required property | template_id is a required property"},
    {"{\"personalisation\": null, \"one_click_unsubscribe_url\": \"http://x\", \"zz\": 1, "
     "\"template_id\": 12, \"aa\": null, \"reference\": null, \"email_reply_to_id\": \"\"}",
     "reference None is not of type string | template_id is not a valid UUID | email_reply_to_id "
     "is not a valid UUID | personalisation None is not of type object | one_click_unsubscribe_url "
     "is not a valid https url | email_address is a required property | Additional properties are "
     "not allowed (aa, zz were unexpected)"},
    {"{\"email_reply_to_id\": \"-6785a09-ab16-4eb0-8407-a37497a57506\", \"aa\": null, "
     "\"template_id\": \"urn:uuid:26785a09-ab16-4eb0-8407-a37497a57506\", \"personalisation\": []}",
     "email_reply_to_id is not a valid UUID | personalisation [] is not of type object | "
     "email_address is a required property | Additional properties are not allowed (aa was "
     "unexpected)"},
    {"{\"scheduled_for\": \"20300101T1200\", \"personalisation\": {\"file\": \"x\"}, "
     "\"one_click_unsubscribe_url\": null, \"aa\": null}",
     "one_click_unsubscribe_url is not a valid https url | email_address is a required property | "
     "template_id is a required property | Additional properties are not allowed (aa was "
     "unexpected)"},
    {"{}", "email_address is a required property | template_id is a required property"},
    {"{\"email_address\": \"a@b.com\", \"template_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"scheduled_for\": \"2030-01-01T12:00:00Z\\n\"}",
     ""},
    {"{\"zz\": 1, \"email_address\": \"a@\\u2167.com\"}",
     "template_id is a required property | Additional properties are not allowed (zz was "
     "unexpected)"},
    {"{\"aa\": null, \"email_reply_to_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\"}",
     "email_address is a required property | template_id is a required property | Additional "
     "properties are not allowed (aa was unexpected)"},
    {"{\"aa\": null, \"zz\": 1, \"personalisation\": {\"a\": 1}}",
     "email_address is a required property | template_id is a required property | Additional "
     "properties are not allowed (aa, zz were unexpected)"},
    {"{\"one_click_unsubscribe_url\": \"https://example.com/%zz\", \"personalisation\": 5, \"zz\": "
     "1}",
     "personalisation 5 is not of type object | one_click_unsubscribe_url is not a valid https url "
     "| email_address is a required property | template_id is a required property | Additional "
     "properties are not allowed (zz was unexpected)"},
    {"{\"sanitise_content_for\": \"a\", \"email_reply_to_id\": "
     "\"0x785a09-ab16-4eb0-8407-a37497a57506\", \"one_click_unsubscribe_url\": null, "
     "\"template_id\": \"26785a09ab164eb08407a37497a57506\", \"scheduled_for\": \"2030-13-01\", "
     "\"aa\": null, \"zz\": 1, \"reference\": \"it's\"}",
     "scheduled_for datetime format is invalid. It must be a valid ISO8601 date time format, "
     "https://en.wikipedia.org/wiki/ISO_8601 | one_click_unsubscribe_url is not a valid https url "
     "| sanitise_content_for a is not of type array, null | email_address is a required property | "
     "Additional properties are not allowed (aa, zz were unexpected)"},
    {"{\"template_id\": \"26785A09-AB16-4EB0-8407-A37497A57506\", \"email_reply_to_id\": "
     "\"0x785a09-ab16-4eb0-8407-a37497a57506\", \"one_click_unsubscribe_url\": \"https://exa "
     "mple.com\", \"sanitise_content_for\": [\"a\"], \"personalisation\": {\"a\": 1}}",
     "one_click_unsubscribe_url is not a valid https url | email_address is a required property"},
    {"{\"email_reply_to_id\": \"urn:uuid:26785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"email_address\": \"\", \"personalisation\": 5, \"reference\": \"r\"}",
     "email_address Not a valid email address | personalisation 5 is not of type object | "
     "template_id is a required property"},
    {"{\"reference\": \"r\", \"scheduled_for\": \"2030-01-01T25:00\", \"personalisation\": "
     "\"not_a_dict\", \"one_click_unsubscribe_url\": \"https://example.com:80a\", "
     "\"email_address\": [1], \"sanitise_content_for\": null}",
     "email_address [1] is not of type string | personalisation not_a_dict is not of type object | "
     "scheduled_for datetime format is invalid. It must be a valid ISO8601 date time format, "
     "https://en.wikipedia.org/wiki/ISO_8601 | one_click_unsubscribe_url is not a valid https url "
     "| template_id is a required property"},
    {"{\"email_address\": \"email@domain.COM\", \"personalisation\": \"not_a_dict\", "
     "\"email_reply_to_id\": \"x\", \"zz\": 1}",
     "email_reply_to_id is not a valid UUID | personalisation not_a_dict is not of type object | "
     "template_id is a required property | Additional properties are not allowed (zz was "
     "unexpected)"},
    {"{\"zz\": 1, \"scheduled_for\": \"2030-01-01T12:00:00+05:\", \"template_id\": \"x\", "
     "\"personalisation\": \"not_a_dict\", \"one_click_unsubscribe_url\": \"https\"}",
     "template_id is not a valid UUID | personalisation not_a_dict is not of type object | "
     "one_click_unsubscribe_url is not a valid https url | email_address is a required property | "
     "Additional properties are not allowed (zz was unexpected)"},
    {"{\"email_reply_to_id\": \"26785a09-ab16-4eb0-8407-a37497a57506\\n\", "
     "\"sanitise_content_for\": \"a\", \"scheduled_for\": \"2030-01-01T12:00:00Z\\n\", "
     "\"email_address\": {\"a\": 1}}",
     "email_address {a: 1} is not of type string | email_reply_to_id is not a valid UUID | "
     "sanitise_content_for a is not of type array, null | template_id is a required property"},
    {"{\"aa\": null, \"reference\": null, \"sanitise_content_for\": [\"a\"], "
     "\"one_click_unsubscribe_url\": 7, \"template_id\": \"26785a09ab164eb08407a37497a57506\", "
     "\"zz\": 1, \"personalisation\": []}",
     "reference None is not of type string | personalisation [] is not of type object | "
     "one_click_unsubscribe_url is not a valid https url | email_address is a required property | "
     "Additional properties are not allowed (aa, zz were unexpected)"},
    {"{\"email_reply_to_id\": \" 6785a09-ab16-4eb0-8407-a37497a57506\", "
     "\"one_click_unsubscribe_url\": \"httpsfoo\", \"aa\": null, \"zz\": 1, "
     "\"sanitise_content_for\": {}, \"template_id\": \"x\", \"email_address\": \"x\"}",
     "email_address Not a valid email address | template_id is not a valid UUID | "
     "one_click_unsubscribe_url is not a valid https url | sanitise_content_for {} is not of type "
     "array, null | Additional properties are not allowed (aa, zz were unexpected)"},
    {"{}", "email_address is a required property | template_id is a required property"},
    {"{\"scheduled_for\": \"2030-01-01T12:00:00+0530\", \"personalisation\": {\"a\": 1}}",
     "email_address is a required property | template_id is a required property"},
    {"{\"personalisation\": null, \"email_address\": \"\", \"one_click_unsubscribe_url\": "
     "\"https:x\", \"scheduled_for\": \"2030-01-01T12:00:00+05:\", \"reference\": \"r\", "
     "\"sanitise_content_for\": [\"a\"], \"aa\": null}",
     "email_address Not a valid email address | personalisation None is not of type object | "
     "template_id is a required property | Additional properties are not allowed (aa was "
     "unexpected)"},
};

TEST(bodies_match_messages_recorded_from_jsonschema)
{
    for (size_t i = 0; i < sizeof(golden_bodies) / sizeof(golden_bodies[0]); i++) {
        char *got = validate(golden_bodies[i].body);
        if (!got || strcmp(got, golden_bodies[i].messages) != 0)
            ck_fail(__FILE__, __LINE__, "body %zu %s: got \"%s\", want \"%s\"", i,
                    golden_bodies[i].body, got ? got : "(null)", golden_bodies[i].messages);
        free(got);
    }
}

/* GET /v2/notifications queries (repeated keys, after the handler keeps the
 * first reference/older_than/include_jobs) validated by jsonschema 4.26
 * against get_notifications_request with Notify's build_error_message;
 * the joined messages are recorded as expected. */
static const struct {
    size_t n;
    emu_param params[6];
    const char *messages;
} golden_queries[] = {
    {1,
     {{"\xc3\xa9"
       "",
       "y"}},
     "Additional properties are not allowed (\xc3\xa9"
     " was unexpected)"},
    {2,
     {{"\xc3\xa9"
       "",
       "y"},
      {"bar", "2"}},
     "Additional properties are not allowed (bar, \xc3\xa9"
     " were unexpected)"},
    {6,
     {{"bar", "2"},
      {"older_than", "{26785a09-ab16-4eb0-8407-a37497a57506}"},
      {"it's", "x"},
      {"reference", "r"},
      {"reference", "r"},
      {"bar", "2"}},
     "Additional properties are not allowed (bar, \"its\" were unexpected)"},
    {5,
     {{"status", "Delivered"},
      {"status", "created"},
      {"template_type", "orange"},
      {"\xc3\xa9"
       "",
       "y"},
      {"status", ""}},
     "status Delivered is not one of [cancelled, created, sending, sent, delivered, pending, "
     "failed, technical-failure, temporary-failure, permanent-failure, pending-virus-check, "
     "validation-failed, virus-scan-failed, returned-letter, accepted, received] | status  is not "
     "one of [cancelled, created, sending, sent, delivered, pending, failed, technical-failure, "
     "temporary-failure, permanent-failure, pending-virus-check, validation-failed, "
     "virus-scan-failed, returned-letter, accepted, received] | template_type orange is not one of "
     "[sms, email, letter] | Additional properties are not allowed (\xc3\xa9"
     " was unexpected)"},
    {5,
     {{"foo", "1"},
      {"foo", "1"},
      {"\xc3\xa9"
       "",
       "y"},
      {"bar", "2"},
      {"template_type", ""}},
     "template_type  is not one of [sms, email, letter] | Additional properties are not allowed "
     "(bar, foo, \xc3\xa9"
     " were unexpected)"},
    {6,
     {{"older_than", "{26785a09-ab16-4eb0-8407-a37497a57506}"},
      {"foo", "1"},
      {"it's", "x"},
      {"foo", "1"},
      {"\xc3\xa9"
       "",
       "y"},
      {"include_jobs", ""}},
     "include_jobs  is not one of [true, True] | Additional properties are not allowed (foo, "
     "\"its\", \xc3\xa9"
     " were unexpected)"},
    {5,
     {{"template_type", "email"},
      {"include_jobs", "it's"},
      {"it's", "x"},
      {"\xc3\xa9"
       "",
       "y"},
      {"\xc3\xa9"
       "",
       "y"}},
     "include_jobs \"its\" is not one of [true, True] | Additional properties are not allowed "
     "(\"its\", \xc3\xa9"
     " were unexpected)"},
    {3,
     {{"bar", "2"}, {"status", ""}, {"include_jobs", "True"}},
     "status  is not one of [cancelled, created, sending, sent, delivered, pending, failed, "
     "technical-failure, temporary-failure, permanent-failure, pending-virus-check, "
     "validation-failed, virus-scan-failed, returned-letter, accepted, received] | Additional "
     "properties are not allowed (bar was unexpected)"},
    {2, {{"foo", "1"}, {"foo", "1"}}, "Additional properties are not allowed (foo was unexpected)"},
    {4,
     {{"\xc3\xa9"
       "",
       "y"},
      {"status", "Delivered"},
      {"foo", "1"},
      {"\xc3\xa9"
       "",
       "y"}},
     "status Delivered is not one of [cancelled, created, sending, sent, delivered, pending, "
     "failed, technical-failure, temporary-failure, permanent-failure, pending-virus-check, "
     "validation-failed, virus-scan-failed, returned-letter, accepted, received] | Additional "
     "properties are not allowed (foo, \xc3\xa9"
     " were unexpected)"},
    {2,
     {{"status", "elephant"}, {"status", "created"}},
     "status elephant is not one of [cancelled, created, sending, sent, delivered, pending, "
     "failed, technical-failure, temporary-failure, permanent-failure, pending-virus-check, "
     "validation-failed, virus-scan-failed, returned-letter, accepted, received]"},
    {1, {{"foo", "1"}}, "Additional properties are not allowed (foo was unexpected)"},
    {4,
     {{"older_than", ""},
      {"template_type", "orange"},
      {"status", "failed"},
      {"include_jobs", "TRUE"}},
     "template_type orange is not one of [sms, email, letter] | older_than is not a valid UUID | "
     "include_jobs TRUE is not one of [true, True]"},
    {3,
     {{"bar", "2"}, {"it's", "x"}, {"foo", "1"}},
     "Additional properties are not allowed (bar, foo, \"its\" were unexpected)"},
    {5,
     {{"reference", ""},
      {"older_than", ""},
      {"foo", "1"},
      {"older_than", "{26785a09-ab16-4eb0-8407-a37497a57506}"},
      {"it's", "x"}},
     "older_than is not a valid UUID | Additional properties are not allowed (foo, \"its\" were "
     "unexpected)"},
    {3,
     {{"\xc3\xa9"
       "",
       "y"},
      {"\xc3\xa9"
       "",
       "y"},
      {"template_type", ""}},
     "template_type  is not one of [sms, email, letter] | Additional properties are not allowed "
     "(\xc3\xa9"
     " was unexpected)"},
    {2,
     {{"include_jobs", "it's"},
      {"\xc3\xa9"
       "",
       "y"}},
     "include_jobs \"its\" is not one of [true, True] | Additional properties are not allowed "
     "(\xc3\xa9"
     " was unexpected)"},
    {5,
     {{"bar", "2"},
      {"status", "Delivered"},
      {"\xc3\xa9"
       "",
       "y"},
      {"status", "Delivered"},
      {"status", "it's"}},
     "status Delivered is not one of [cancelled, created, sending, sent, delivered, pending, "
     "failed, technical-failure, temporary-failure, permanent-failure, pending-virus-check, "
     "validation-failed, virus-scan-failed, returned-letter, accepted, received] | status \"its\" "
     "is not one of [cancelled, created, sending, sent, delivered, pending, failed, "
     "technical-failure, temporary-failure, permanent-failure, pending-virus-check, "
     "validation-failed, virus-scan-failed, returned-letter, accepted, received] | Additional "
     "properties are not allowed (bar, \xc3\xa9"
     " were unexpected)"},
    {2,
     {{"include_jobs", "false"},
      {"\xc3\xa9"
       "",
       "y"}},
     "include_jobs false is not one of [true, True] | Additional properties are not allowed "
     "(\xc3\xa9"
     " was unexpected)"},
    {6,
     {{"foo", "1"},
      {"status", "Delivered"},
      {"status", "accepted"},
      {"\xc3\xa9"
       "",
       "y"},
      {"template_type", "sms"},
      {"older_than", "{26785a09-ab16-4eb0-8407-a37497a57506}"}},
     "status Delivered is not one of [cancelled, created, sending, sent, delivered, pending, "
     "failed, technical-failure, temporary-failure, permanent-failure, pending-virus-check, "
     "validation-failed, virus-scan-failed, returned-letter, accepted, received] | Additional "
     "properties are not allowed (foo, \xc3\xa9"
     " were unexpected)"},
    {5,
     {{"status", "accepted"},
      {"status", "received"},
      {"\xc3\xa9"
       "",
       "y"},
      {"include_jobs", "true"},
      {"include_jobs", "false"}},
     "Additional properties are not allowed (\xc3\xa9"
     " was unexpected)"},
    {5,
     {{"reference", "r"},
      {"\xc3\xa9"
       "",
       "y"},
      {"bar", "2"},
      {"older_than", ""},
      {"reference", "r"}},
     "older_than is not a valid UUID | Additional properties are not allowed (bar, \xc3\xa9"
     " were unexpected)"},
    {6,
     {{"older_than", "nope"},
      {"include_jobs", "TRUE"},
      {"status", "Delivered"},
      {"\xc3\xa9"
       "",
       "y"},
      {"include_jobs", "TRUE"},
      {"\xc3\xa9"
       "",
       "y"}},
     "status Delivered is not one of [cancelled, created, sending, sent, delivered, pending, "
     "failed, technical-failure, temporary-failure, permanent-failure, pending-virus-check, "
     "validation-failed, virus-scan-failed, returned-letter, accepted, received] | older_than is "
     "not a valid UUID | include_jobs TRUE is not one of [true, True] | Additional properties are "
     "not allowed (\xc3\xa9"
     " was unexpected)"},
    {5,
     {{"foo", "1"},
      {"older_than", "{26785a09-ab16-4eb0-8407-a37497a57506}"},
      {"foo", "1"},
      {"\xc3\xa9"
       "",
       "y"},
      {"foo", "1"}},
     "Additional properties are not allowed (foo, \xc3\xa9"
     " were unexpected)"},
    {3,
     {{"\xc3\xa9"
       "",
       "y"},
      {"it's", "x"},
      {"foo", "1"}},
     "Additional properties are not allowed (foo, \"its\", \xc3\xa9"
     " were unexpected)"},
    {1, {{"older_than", "{26785a09-ab16-4eb0-8407-a37497a57506}"}}, ""},
    {0, {}, ""},
    {0, {}, ""},
    {0, {}, ""},
    {0, {}, ""},
};

TEST(queries_match_messages_recorded_from_jsonschema)
{
    for (size_t i = 0; i < sizeof(golden_queries) / sizeof(golden_queries[0]); i++) {
        emu_list_query q;
        char *got = list_query(golden_queries[i].params, golden_queries[i].n, &q);
        if (!got || strcmp(got, golden_queries[i].messages) != 0)
            ck_fail(__FILE__, __LINE__, "query %zu: got \"%s\", want \"%s\"", i,
                    got ? got : "(null)", golden_queries[i].messages);
        free(got);
    }
}
