/* API key parsing: split from the end, precise errors. */
#include "check.h"
#include "ngo.h"

#include <string.h>

#define SID    "26785a09-ab16-4eb0-8407-a37497a57506"
#define SECRET "3d844edf-8d35-48ac-975b-e847b4f122b0"

static int parse(const char *key, ngo_apikey *k)
{
    return ngo_apikey_parse(key, strlen(key), k);
}

TEST(parses_documented_example_key)
{
    ngo_apikey k;
    CHECK_INT_EQ(parse("my_test_key-" SID "-" SECRET, &k), 0);
    CHECK_INT_EQ(k.name_len, 11);
    CHECK(!memcmp(k.name, "my_test_key", 11));
    CHECK(!memcmp(k.service_id, SID, 36));
    CHECK(!memcmp(k.secret, SECRET, 36));
}

TEST(key_name_may_contain_hyphens_because_parts_count_from_the_end)
{
    ngo_apikey k;
    CHECK_INT_EQ(parse("my-team-key-2024-" SID "-" SECRET, &k), 0);
    CHECK_INT_EQ(k.name_len, 16);
    CHECK(!memcmp(k.service_id, SID, 36));
}

TEST(key_without_name_is_accepted_like_the_official_client)
{
    ngo_apikey k;
    CHECK_INT_EQ(parse(SID "-" SECRET, &k), 0);
    CHECK_INT_EQ(k.name_len, 0);
    CHECK(!memcmp(k.secret, SECRET, 36));
}

TEST(uppercase_uuids_are_accepted)
{
    ngo_apikey k;
    CHECK_INT_EQ(
        parse("k-26785A09-AB16-4EB0-8407-A37497A57506-3D844EDF-8D35-48AC-975B-E847B4F122B0", &k),
        0);
}

TEST(empty_and_short_keys_are_too_short)
{
    ngo_apikey k;
    CHECK_INT_EQ(parse("", &k), NGO_EKEY_TOO_SHORT);
    CHECK_INT_EQ(parse(SECRET, &k), NGO_EKEY_TOO_SHORT);
    CHECK_INT_EQ(parse("name-" SECRET, &k), NGO_EKEY_TOO_SHORT);
    /* 72 characters: one short. */
    CHECK_INT_EQ(parse(&(SID "-" SECRET)[1], &k), NGO_EKEY_TOO_SHORT);
    CHECK(k.secret == NULL);
}

TEST(missing_separator_before_secret_is_reported)
{
    ngo_apikey k;
    CHECK_INT_EQ(parse("name-" SID "x" SECRET, &k), NGO_EKEY_SEPARATOR);
}

TEST(missing_separator_before_service_id_is_reported)
{
    ngo_apikey k;
    CHECK_INT_EQ(parse("namex" SID "-" SECRET, &k), NGO_EKEY_SEPARATOR);
}

TEST(service_id_that_is_not_a_uuid_is_reported)
{
    ngo_apikey k;
    CHECK_INT_EQ(parse("name-26785a09-ab16-4eb0-8407-a37497a5750g-" SECRET, &k),
                 NGO_EKEY_SERVICE_ID);
    CHECK_INT_EQ(parse("name-26785a09xab16-4eb0-8407-a37497a57506-" SECRET, &k),
                 NGO_EKEY_SERVICE_ID);
}

TEST(secret_that_is_not_a_uuid_is_reported)
{
    ngo_apikey k;
    CHECK_INT_EQ(parse("name-" SID "-3d844edf-8d35-48ac-975b-e847b4f122b ", &k), NGO_EKEY_SECRET);
    /* A trailing newline (key pasted from a file) shifts everything. */
    CHECK(parse("name-" SID "-" SECRET "\n", &k) < 0);
}

TEST(error_texts_name_the_part_and_never_contain_key_material)
{
    CHECK(strstr(ngo_strerror(NGO_EKEY_SECRET), "secret") != NULL);
    CHECK(strstr(ngo_strerror(NGO_EKEY_SERVICE_ID), "service id") != NULL);
    CHECK(strstr(ngo_strerror(NGO_EKEY_SEPARATOR), "separator") != NULL);
    CHECK(strstr(ngo_strerror(NGO_EKEY_TOO_SHORT), "too short") != NULL);
}

TEST(null_arguments_are_invalid)
{
    ngo_apikey k;
    CHECK_INT_EQ(ngo_apikey_parse(NULL, 0, &k), NGO_EINVAL);
    CHECK_INT_EQ(ngo_apikey_parse("x", 1, NULL), NGO_EINVAL);
}

TEST(uuid_check_requires_hyphens_at_canonical_positions)
{
    CHECK(ngo_is_uuid(SID));
    CHECK(!ngo_is_uuid("26785a09ab16-4eb0-8407-a37497a57506-"));
    CHECK(!ngo_is_uuid("{6785a09-ab16-4eb0-8407-a37497a57506"));
}
