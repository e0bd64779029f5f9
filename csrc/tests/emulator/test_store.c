/* Unit tests of the notification store: lookup, order, lifecycle queues,
 * forced statuses, retention, clearing, reference counts. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "emu_config.h"
#include "emu_store.h"

/* Adds a notification with id "...-<n>" created at t (µs). */
static void add(emu_store *s, int n, int key_type, const char *to, const char *ref, int64_t t)
{
    char id[37];
    snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012d", n);
    emu_notification_spec spec = {.id = id,
                                  .key_type = key_type,
                                  .template_id = id,
                                  .template_version = 1,
                                  .email_address = to,
                                  .recipient = to,
                                  .reference = ref,
                                  .subject = "S",
                                  .body = "B",
                                  .created_us = t};
    CHECK_INT_EQ(emu_store_add(s, &spec), 0);
}

static int finals;
static void count_final(void *ctx, const emu_notification *n)
{
    (void)ctx;
    (void)n;
    finals++;
}

TEST(store_finds_by_id_case_insensitively_and_lists_newest_first)
{
    emu_store s;
    CHECK_INT_EQ(emu_store_init(&s), 0);
    for (int i = 1; i <= 3000; i++) /* forces the hash table to grow */
        add(&s, i, EMU_KEY_TEST, "a@example.com", NULL, i);
    CHECK_INT_EQ(emu_store_count(&s), 3000);
    emu_store_lock(&s);
    emu_notification *n = emu_store_get_locked(&s, "00000000-0000-4000-8000-000000001234");
    CHECK(n != NULL);
    CHECK(emu_store_get_locked(&s, "00000000-0000-4000-8000-00000000ABCD") == NULL);
    CHECK_STR_EQ(s.newest->id, "00000000-0000-4000-8000-000000003000");
    CHECK_STR_EQ(s.newest->older->id, "00000000-0000-4000-8000-000000002999");
    CHECK_STR_EQ(s.oldest->id, "00000000-0000-4000-8000-000000000001");
    emu_store_unlock(&s);
    emu_store_destroy(&s);
}

TEST(store_moves_created_to_sending_to_final_per_simulator_address)
{
    emu_store s;
    emu_store_init(&s);
    emu_lifecycle lc = {100, 200, 10000, 0};
    add(&s, 1, EMU_KEY_TEST, "ok@example.com", NULL, 1000);
    add(&s, 2, EMU_KEY_TEST, "temp-fail@simulator.notify", NULL, 1000);
    add(&s, 3, EMU_KEY_TEST, "perm-fail@simulator.notify", NULL, 1000);
    add(&s, 4, EMU_KEY_LIVE, "perm-fail@simulator.notify", NULL, 1000);
    finals = 0;
    CHECK_INT_EQ(emu_store_tick(&s, 1050, &lc, count_final, NULL), 0);
    CHECK_INT_EQ(emu_store_tick(&s, 1100, &lc, count_final, NULL), 4);
    emu_store_lock(&s);
    emu_notification *n = emu_store_get_locked(&s, "00000000-0000-4000-8000-000000000001");
    CHECK_INT_EQ(n->status, EMU_STATUS_SENDING);
    CHECK_INT_EQ(n->sent_us, 1100);
    emu_store_unlock(&s);
    CHECK_INT_EQ(emu_store_tick(&s, 1300, &lc, count_final, NULL), 4);
    CHECK_INT_EQ(finals, 4);
    emu_store_lock(&s);
    CHECK_INT_EQ(emu_store_get_locked(&s, "00000000-0000-4000-8000-000000000001")->status,
                 EMU_STATUS_DELIVERED);
    CHECK_INT_EQ(emu_store_get_locked(&s, "00000000-0000-4000-8000-000000000002")->status,
                 EMU_STATUS_TEMPORARY_FAILURE);
    CHECK_INT_EQ(emu_store_get_locked(&s, "00000000-0000-4000-8000-000000000003")->status,
                 EMU_STATUS_PERMANENT_FAILURE);
    CHECK_INT_EQ(emu_store_get_locked(&s, "00000000-0000-4000-8000-000000000004")->status,
                 EMU_STATUS_DELIVERED);
    CHECK_INT_EQ(emu_store_get_locked(&s, "00000000-0000-4000-8000-000000000004")->updated_us,
                 1300);
    emu_store_unlock(&s);
    emu_store_destroy(&s);
}

TEST(store_times_out_forced_sending_to_temporary_failure)
{
    emu_store s;
    emu_store_init(&s);
    emu_lifecycle lc = {100, 200, 5000, 0};
    add(&s, 1, EMU_KEY_LIVE, "a@example.com", NULL, 0);
    finals = 0;
    CHECK_INT_EQ(emu_store_force_status(&s, "00000000-0000-4000-8000-000000000001",
                                        EMU_STATUS_SENDING, count_final, NULL),
                 0);
    CHECK_INT_EQ(finals, 0);
    emu_store_lock(&s);
    int64_t sent = emu_store_get_locked(&s, "00000000-0000-4000-8000-000000000001")->sent_us;
    emu_store_unlock(&s);
    emu_store_tick(&s, sent + 4999, &lc, count_final, NULL);
    CHECK_INT_EQ(finals, 0);
    emu_store_tick(&s, sent + 5000, &lc, count_final, NULL);
    CHECK_INT_EQ(finals, 1);
    emu_store_lock(&s);
    CHECK_INT_EQ(emu_store_get_locked(&s, "00000000-0000-4000-8000-000000000001")->status,
                 EMU_STATUS_TEMPORARY_FAILURE);
    emu_store_unlock(&s);
    CHECK_INT_EQ(emu_store_force_status(&s, "00000000-0000-4000-8000-000000000099",
                                        EMU_STATUS_DELIVERED, NULL, NULL),
                 -1);
    emu_store_destroy(&s);
}

TEST(store_retention_deletes_oldest_even_while_queued)
{
    emu_store s;
    emu_store_init(&s);
    emu_lifecycle lc = {1000, 1000, 100000, 500};
    add(&s, 1, EMU_KEY_TEST, "a@example.com", "r", 0);
    add(&s, 2, EMU_KEY_TEST, "a@example.com", "r", 400);
    emu_store_tick(&s, 600, &lc, NULL, NULL); /* 1 deleted while still in the created queue */
    CHECK_INT_EQ(emu_store_count(&s), 1);
    emu_store_lock(&s);
    CHECK(emu_store_get_locked(&s, "00000000-0000-4000-8000-000000000001") == NULL);
    CHECK_STR_EQ(s.oldest->id, "00000000-0000-4000-8000-000000000002");
    emu_store_unlock(&s);
    emu_store_tick(&s, 1200, &lc, NULL, NULL); /* pops the deleted one from its queue */
    emu_store_tick(&s, 5000, &lc, NULL, NULL);
    CHECK_INT_EQ(emu_store_count(&s), 0);
    json_t *refs = emu_store_references_json(&s);
    CHECK_INT_EQ(json_integer_value(json_object_get(refs, "r")), 2); /* counts every store */
    json_decref(refs);
    emu_store_destroy(&s);
}

TEST(store_clear_frees_queued_and_deleted_notifications)
{
    emu_store s;
    emu_store_init(&s);
    emu_lifecycle lc = {10, 10, 100000, 50};
    for (int i = 1; i <= 100; i++)
        add(&s, i, EMU_KEY_TEST, "a@example.com", i % 2 ? "odd" : "even", i);
    emu_store_tick(&s, 60, &lc, NULL, NULL); /* some deleted, some sending, some created */
    CHECK_INT_EQ(emu_store_clear(&s), 100 - 10);
    CHECK_INT_EQ(emu_store_count(&s), 0);
    CHECK(s.newest == NULL && s.oldest == NULL && s.bytes == 0);
    json_t *refs = emu_store_references_json(&s);
    CHECK_INT_EQ(json_object_size(refs), 0);
    json_decref(refs);
    add(&s, 1, EMU_KEY_TEST, "a@example.com", NULL, 1);
    CHECK_INT_EQ(emu_store_count(&s), 1);
    emu_store_destroy(&s);
}

TEST(status_names_round_trip)
{
    for (int i = 0; i < EMU_STATUS_COUNT; i++)
        CHECK_INT_EQ(emu_status_from_name(emu_status_name(i)), i);
    CHECK_INT_EQ(emu_status_from_name("pending"), -1);
    CHECK(emu_status_name(EMU_STATUS_COUNT) == NULL);
}

TEST(store_indexes_references_newest_first_and_unlinks_deleted)
{
    emu_store s;
    emu_store_init(&s);
    emu_lifecycle lc = {100000, 100000, 100000, 50};
    for (int i = 1; i <= 2000; i++) /* grows the reference table too */
        add(&s, i, EMU_KEY_TEST, "a@example.com", i % 3 ? NULL : (i % 2 ? "odd" : "even"), i);
    char ref[32];
    for (int i = 0; i < 1500; i++) {
        snprintf(ref, sizeof(ref), "unique-%d", i);
        add(&s, 3000 + i, EMU_KEY_TEST, "a@example.com", ref, 3000 + i);
    }
    emu_store_lock(&s);
    emu_notification *n = emu_store_by_reference_locked(&s, "even");
    CHECK_STR_EQ(n->id, "00000000-0000-4000-8000-000000001998");
    CHECK_STR_EQ(n->rolder->id, "00000000-0000-4000-8000-000000001992");
    CHECK(emu_store_by_reference_locked(&s, "unique-1499") != NULL);
    CHECK(emu_store_by_reference_locked(&s, "EVEN") == NULL);
    emu_store_unlock(&s);
    emu_store_tick(&s, 62, &lc, NULL, NULL); /* deletes ids 1..12 (6 and 12 are "even") */
    emu_store_lock(&s);
    size_t evens = 0;
    for (n = emu_store_by_reference_locked(&s, "even"); n; n = n->rolder) {
        CHECK(n->created_us > 12);
        evens++;
    }
    CHECK_INT_EQ(evens, 333 - 2);
    emu_store_unlock(&s);
    json_t *refs = emu_store_references_json(&s);
    CHECK_INT_EQ(json_integer_value(json_object_get(refs, "even")), 333);
    CHECK_INT_EQ(json_object_size(refs), 1502);
    json_decref(refs);
    emu_store_destroy(&s);
}
