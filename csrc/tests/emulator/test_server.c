/* Unit tests of the server's pure helpers: url_root, stats, Python-style
 * JSON, configuration loading and faults. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "emu_config.h"
#include "emu_server.h"
#include "emu_util.h"

TEST(url_root_comes_from_host_header_or_bound_address)
{
    char *r = emu_url_root("notify.test:8080", "127.0.0.1", 5000);
    CHECK_STR_EQ(r, "http://notify.test:8080/");
    free(r);
    r = emu_url_root(NULL, "127.0.0.1", 5000);
    CHECK_STR_EQ(r, "http://127.0.0.1:5000/");
    free(r);
    r = emu_url_root("evil\"host<>", "::1", 80);
    CHECK_STR_EQ(r, "http://[::1]:80/");
    free(r);
    r = emu_url_root("", "localhost", 1);
    CHECK_STR_EQ(r, "http://localhost:1/");
    free(r);
}

TEST(stats_count_by_route_and_outcome)
{
    json_t *req = json_object();
    CHECK_INT_EQ(emu_stats_count(req, "POST /v2/notifications/email", "201"), 0);
    CHECK_INT_EQ(emu_stats_count(req, "POST /v2/notifications/email", "201"), 0);
    CHECK_INT_EQ(emu_stats_count(req, "POST /v2/notifications/email", "dropped"), 0);
    json_t *route = json_object_get(req, "POST /v2/notifications/email");
    CHECK_INT_EQ(json_integer_value(json_object_get(route, "201")), 2);
    CHECK_INT_EQ(json_integer_value(json_object_get(route, "dropped")), 1);
    json_decref(req);
}

TEST(json_matches_python_compact_sorted_ascii)
{
    json_t *v = json_pack("{s:s,s:f,s:s,s:n}", "z", "x\xe2\x80\x99\x7f\x01/", "a", 0.0, "m",
                          "\xf0\x9f\x98\x80", "b");
    size_t len = 0;
    char *s = emu_json_dumps(v, 1, &len);
    CHECK_STR_EQ(
        s, "{\"a\":0.0,\"b\":null,\"m\":\"\\ud83d\\ude00\",\"z\":\"x\\u2019\\u007f\\u0001/\"}\n");
    CHECK_INT_EQ(len, strlen(s));
    free(s);
    json_decref(v);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string("1"));
    json_object_set_new(o, "a", json_integer(2));
    s = emu_json_dumps_default(o, NULL);
    CHECK_STR_EQ(s, "{\"id\": \"1\", \"a\": 2}");
    free(s);
    json_decref(o);
}

TEST(iso_time_has_six_fraction_digits_and_z)
{
    char out[32];
    CHECK_STR_EQ(emu_iso_time(1715961518342838LL, out), "2024-05-17T15:58:38.342838Z");
    CHECK_STR_EQ(emu_iso_time(0, out), "1970-01-01T00:00:00.000000Z");
}

TEST(uuid4_is_canonical_and_random)
{
    char a[37], b[37];
    CHECK_INT_EQ(emu_uuid4(a), 0);
    CHECK_INT_EQ(emu_uuid4(b), 0);
    CHECK_INT_EQ(strlen(a), 36);
    CHECK(a[14] == '4');
    CHECK(strchr("89ab", a[19]) != NULL);
    CHECK(strcmp(a, b) != 0);
}

TEST(rng_replays_from_a_seed)
{
    emu_rng a, b;
    emu_rng_seed(&a, 42);
    emu_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++) {
        double x = emu_rng_next(&a);
        CHECK(x >= 0 && x < 1);
        CHECK(x == emu_rng_next(&b));
    }
}

TEST(config_defaults_have_documented_ids)
{
    emu_config c;
    CHECK_INT_EQ(emu_config_defaults(&c), 0);
    CHECK_INT_EQ(c.n_services, 1);
    const emu_service *s = emu_config_service(&c, EMU_DEFAULT_SERVICE_ID);
    CHECK(s != NULL);
    CHECK_INT_EQ(s->n_keys, 3);
    CHECK(emu_service_template(s, EMU_TEMPLATE_ARCHIVED)->archived);
    char *key = emu_api_key_string(s, &s->keys[2]);
    CHECK_STR_EQ(key, "emulator_test-" EMU_DEFAULT_SERVICE_ID "-" EMU_DEFAULT_TEST_SECRET);
    free(key);
    emu_config_free(&c);
}

TEST(config_json_errors_name_the_field)
{
    emu_config c;
    emu_config_defaults(&c);
    emu_errors e;
    emu_errors_init(&e);
    json_t *bad = json_loads("{\"services\":[{\"id\":\"5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0001\","
                             "\"templates\":[{\"id\":\"5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0002\"}]}]}",
                             0, NULL);
    CHECK_INT_EQ(emu_config_apply_json(&c, bad, &e), -1);
    CHECK_INT_EQ(e.n, 1);
    CHECK_STR_EQ(e.items[0].message, "services[0].templates[0].body must be a string");
    CHECK(emu_config_service(&c, EMU_DEFAULT_SERVICE_ID) != NULL); /* unchanged */
    json_decref(bad);
    emu_errors_free(&e);
    emu_config_free(&c);
}

TEST(config_round_trips_through_json)
{
    emu_config c, d;
    emu_config_defaults(&c);
    emu_config_defaults(&d);
    c.retention_ms = 42;
    json_t *j = emu_config_to_json(&c);
    CHECK(j != NULL);
    emu_errors e;
    emu_errors_init(&e);
    json_object_del(j, "services"); /* keys carry an extra "key" field, covered elsewhere */
    CHECK_INT_EQ(emu_config_apply_json(&d, j, &e), 0);
    CHECK_INT_EQ(d.retention_ms, 42);
    json_decref(j);
    emu_errors_free(&e);
    emu_config_free(&c);
    emu_config_free(&d);
}

TEST(faults_merge_only_given_keys_and_reject_bad_values)
{
    emu_faults f = {0};
    emu_errors e;
    emu_errors_init(&e);
    json_t *ok = json_pack("{s:f,s:I}", "stall_rate", 0.5, "seed", (json_int_t)9);
    CHECK_INT_EQ(emu_faults_apply_json(&f, ok, &e), 0);
    CHECK(f.stall_rate == 0.5 && f.seed == 9 && f.latency_ms == 0);
    json_t *bad = json_pack("{s:f,s:f}", "latency_ms", 10.0, "error_429_rate", 1.5);
    CHECK_INT_EQ(emu_faults_apply_json(&f, bad, &e), -1);
    CHECK(f.latency_ms == 0); /* nothing applied */
    CHECK(strstr(e.items[0].message, "error_429_rate") != NULL);
    json_decref(ok);
    json_decref(bad);
    emu_errors_free(&e);
}

TEST(query_values_are_encoded_like_werkzeug)
{
    emu_buf b;
    emu_buf_init(&b);
    emu_buf_add_urlenc(&b, "a b+c&d=e~f!g$h'i(j)k*l,m;n\xc3\xa9o%p#q/:?@");
    char *s = emu_buf_take(&b, NULL);
    CHECK_STR_EQ(s, "a+b%2Bc%26d%3De~f!g$h'i(j)k*l,m;n%C3%A9o%25p%23q/:?@");
    free(s);
}
