"""Reading notifications and templates: GET by id, the paginated list, templates, preview."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from govuk_notify_emulator import (
    DEFAULT_SERVICE_ID,
    TEMPLATE_ARCHIVED,
    TEMPLATE_CONDITIONAL,
    TEMPLATE_LIST,
    TEMPLATE_SMS,
    TEMPLATE_WELCOME,
    NotifyEmulator,
)
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

from .helpers import call, errors, send

ALL_KEYS = {
    "body", "completed_at", "cost_details", "cost_in_pounds", "created_at", "created_by_name",
    "email_address", "id", "is_cost_data_ready", "line_1", "line_2", "line_3", "line_4",
    "line_5", "line_6", "one_click_unsubscribe_url", "phone_number", "postage", "postcode",
    "reference", "scheduled_for", "sent_at", "status", "subject", "template", "type",
}  # fmt: skip


def test_get_by_id_has_every_field(notify_emulator: NotifyEmulator) -> None:
    nid = send(notify_emulator, reference="r1", email_address=" A@Example.com").json()["id"]
    resp = call(notify_emulator, "GET", f"/v2/notifications/{nid}")
    assert resp.status_code == 200
    n = resp.json()
    assert set(n) == ALL_KEYS
    assert n["id"] == nid
    assert n["email_address"] == "A@Example.com"
    assert n["status"] == "created"
    assert n["reference"] == "r1"
    assert n["type"] == "email"
    assert n["cost_details"] == {}
    assert n["cost_in_pounds"] == 0.0
    assert n["is_cost_data_ready"]
    assert n["completed_at"] is None
    assert n["sent_at"] is None
    assert n["created_at"].endswith("Z")
    assert len(n["created_at"]) == 27
    base = notify_emulator.base_url
    tid = n["template"]["id"]
    assert n["template"]["uri"] == f"{base}/v2/template/{tid}/version/1"


def test_get_by_id_errors(notify_emulator: NotifyEmulator) -> None:
    resp = call(notify_emulator, "GET", "/v2/notifications/not-a-uuid")
    assert resp.status_code == 400
    assert errors(resp) == [("ValidationError", "notification_id is not a valid UUID")]
    resp = call(notify_emulator, "GET", "/v2/notifications/00000000-0000-4000-8000-000000000000")
    assert resp.status_code == 404
    assert errors(resp) == [("NoResultFound", "No result found")]


def test_any_key_type_reads_any_notification_of_its_service(
    notify_emulator: NotifyEmulator,
) -> None:
    nid = send(notify_emulator).json()["id"]
    live = notify_emulator.api_keys["live"]
    assert call(notify_emulator, "GET", f"/v2/notifications/{nid}", key=live).status_code == 200


def test_list_is_newest_first_filtered_by_key_type(notify_emulator: NotifyEmulator) -> None:
    ids = [send(notify_emulator, reference=f"r{i}").json()["id"] for i in range(3)]
    send(notify_emulator, key=notify_emulator.api_keys["team"], email_address="guest@example.com")
    body = call(notify_emulator, "GET", "/v2/notifications").json()
    assert [n["id"] for n in body["notifications"]] == ids[::-1]
    team = call(notify_emulator, "GET", "/v2/notifications", key=notify_emulator.api_keys["team"])
    assert len(team.json()["notifications"]) == 1
    live = call(notify_emulator, "GET", "/v2/notifications", key=notify_emulator.api_keys["live"])
    assert live.json()["notifications"] == []
    assert "next" not in live.json()["links"]


def test_list_paginates_250_per_page_with_links(notify_emulator: NotifyEmulator) -> None:
    ids = [send(notify_emulator).json()["id"] for _ in range(260)]
    first = call(notify_emulator, "GET", "/v2/notifications?template_type=email").json()
    assert len(first["notifications"]) == 250
    base = notify_emulator.base_url
    assert first["links"]["current"] == f"{base}/v2/notifications?template_type=email"
    nxt = first["links"]["next"]
    assert parse_qs(urlsplit(nxt).query) == {"template_type": ["email"], "older_than": [ids[10]]}
    second = call(notify_emulator, "GET", nxt[len(base) :]).json()
    assert [n["id"] for n in second["notifications"]] == ids[:10][::-1]
    # an older_than already in the query is replaced where it stands
    assert (
        second["links"]["current"]
        == f"{base}/v2/notifications?template_type=email&older_than={ids[10]}"
    )
    assert (
        second["links"]["next"]
        == f"{base}/v2/notifications?template_type=email&older_than={ids[0]}"
    )
    last = second["notifications"][-1]["id"]
    third = call(notify_emulator, "GET", f"/v2/notifications?older_than={last}").json()
    assert third["notifications"] == []


def test_list_filters(notify_emulator: NotifyEmulator) -> None:
    a = send(notify_emulator, reference="wanted").json()["id"]
    send(notify_emulator, reference="other")
    assert [
        n["id"]
        for n in call(notify_emulator, "GET", "/v2/notifications?reference=wanted").json()[
            "notifications"
        ]
    ] == [a]
    delivered = call(notify_emulator, "GET", "/v2/notifications?status=delivered&status=failed")
    assert delivered.json()["notifications"] == []
    accepted = call(notify_emulator, "GET", "/v2/notifications?status=accepted")
    assert len(accepted.json()["notifications"]) == 2
    sms = call(notify_emulator, "GET", "/v2/notifications?template_type=sms")
    assert sms.json()["notifications"] == []
    email = call(notify_emulator, "GET", "/v2/notifications?template_type=email")
    assert len(email.json()["notifications"]) == 2


def test_list_query_errors(notify_emulator: NotifyEmulator) -> None:
    resp = call(notify_emulator, "GET", "/v2/notifications?foo=1")
    assert errors(resp) == [
        ("ValidationError", "Additional properties are not allowed (foo was unexpected)")
    ]
    assert errors(call(notify_emulator, "GET", "/v2/notifications?older_than=x")) == [
        ("ValidationError", "older_than is not a valid UUID")
    ]
    assert errors(call(notify_emulator, "GET", "/v2/notifications?template_type=orange")) == [
        ("ValidationError", "template_type orange is not one of [sms, email, letter]")
    ]
    resp = call(notify_emulator, "GET", "/v2/notifications?status=elephant")
    assert resp.status_code == 400
    assert errors(resp)[0][1].startswith("status elephant is not one of [cancelled, created")


def test_older_than_unknown_id_gives_empty_page(notify_emulator: NotifyEmulator) -> None:
    send(notify_emulator)
    resp = call(
        notify_emulator, "GET", "/v2/notifications?older_than=00000000-0000-4000-8000-000000000000"
    )
    assert resp.status_code == 200
    assert resp.json()["notifications"] == []


def test_get_template_and_version(notify_emulator: NotifyEmulator) -> None:
    t = call(notify_emulator, "GET", f"/v2/template/{TEMPLATE_CONDITIONAL}").json()
    assert t["id"] == TEMPLATE_CONDITIONAL
    assert t["type"] == "email"
    assert t["version"] == 2
    assert t["personalisation"] == {"name": {"required": True}, "has_account": {"required": True}}
    assert {"body", "created_at", "created_by", "letter_contact_block", "name", "postage",
            "subject", "updated_at"} <= set(t)  # fmt: skip
    v = call(notify_emulator, "GET", f"/v2/template/{TEMPLATE_CONDITIONAL}/version/2")
    assert v.json() == t
    missing = call(notify_emulator, "GET", f"/v2/template/{TEMPLATE_CONDITIONAL}/version/7")
    assert errors(missing) == [("NoResultFound", "No result found")]
    unknown = call(notify_emulator, "GET", "/v2/template/00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404
    assert call(notify_emulator, "GET", "/v2/template/nope").status_code == 400


def test_list_templates_by_type_without_archived(notify_emulator: NotifyEmulator) -> None:
    every = {t["id"] for t in call(notify_emulator, "GET", "/v2/templates").json()["templates"]}
    assert TEMPLATE_SMS in every
    assert TEMPLATE_ARCHIVED not in every
    email = call(notify_emulator, "GET", "/v2/templates?type=email").json()["templates"]
    assert TEMPLATE_SMS not in {t["id"] for t in email}
    assert all(t["type"] == "email" for t in email)
    assert errors(call(notify_emulator, "GET", "/v2/templates?type=fax")) == [
        ("ValidationError", "type fax is not one of [sms, email, letter]")
    ]


def test_preview_renders_or_names_missing_personalisation(notify_emulator: NotifyEmulator) -> None:
    resp = call(
        notify_emulator,
        "POST",
        f"/v2/template/{TEMPLATE_LIST}/preview",
        json_body={"personalisation": {"items": ["a", "b"], "total": 2}},
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["id"] == TEMPLATE_LIST
    assert body["subject"] == "Your order"
    assert "* a\n* b" in body["body"]
    resp = call(notify_emulator, "POST", f"/v2/template/{TEMPLATE_WELCOME}/preview", json_body={})
    assert errors(resp) == [("BadRequestError", "Missing personalisation: name, reference_number")]


def test_another_service_cannot_see_notifications(notify_emulator_factory: EmulatorFactory) -> None:
    other = "9c000000-0000-4000-8000-000000000001"
    secret = "9c000000-0000-4000-8000-0000000000a3"
    emulator = notify_emulator_factory(
        config={
            "services": [
                {
                    "id": DEFAULT_SERVICE_ID,
                    "api_keys": [{"name": "t", "type": "test", "secret": secret}],
                    "templates": [{"id": TEMPLATE_WELCOME, "subject": "S", "body": "B"}],
                },
                {"id": other, "api_keys": [{"name": "t", "type": "test", "secret": secret}]},
            ]
        }
    )
    mine = f"t-{DEFAULT_SERVICE_ID}-{secret}"
    theirs = f"t-{other}-{secret}"
    nid = send(emulator, key=mine, template_id=TEMPLATE_WELCOME).json()["id"]
    assert call(emulator, "GET", f"/v2/notifications/{nid}", key=theirs).status_code == 404
    assert call(emulator, "GET", "/v2/notifications", key=theirs).json()["notifications"] == []
    assert errors(send(emulator, key=theirs, template_id=TEMPLATE_WELCOME)) == [
        ("BadRequestError", "Template not found")
    ]


def test_reference_filter_pages_with_older_than(notify_emulator: NotifyEmulator) -> None:
    ids = []
    for i in range(6):
        ids.append(send(notify_emulator, reference="same").json()["id"])
        send(notify_emulator, reference=f"other-{i}")
    page = call(notify_emulator, "GET", f"/v2/notifications?reference=same&older_than={ids[3]}")
    assert [n["id"] for n in page.json()["notifications"]] == [ids[2], ids[1], ids[0]]
    other = call(notify_emulator, "GET", f"/v2/notifications?reference=same&older_than={ids[0]}")
    assert other.json()["notifications"] == []
    none = call(notify_emulator, "GET", "/v2/notifications?reference=missing")
    assert none.json()["notifications"] == []


def test_links_group_repeated_parameters_where_they_first_appear(
    notify_emulator: NotifyEmulator,
) -> None:
    send(notify_emulator, reference="y")
    ref_x = send(notify_emulator, reference="x").json()["id"]
    query = "?status=created&template_type=email&status=sending&reference=x&status=delivered"
    links = call(notify_emulator, "GET", "/v2/notifications" + query).json()["links"]
    grouped = "status=created&status=sending&status=delivered&template_type=email&reference=x"
    assert links["current"] == f"{notify_emulator.base_url}/v2/notifications?{grouped}"
    assert links["next"] == f"{links['current']}&older_than={ref_x}"


def test_ids_in_any_form_uuid_accepts_are_found(notify_emulator: NotifyEmulator) -> None:
    nid = send(notify_emulator).json()["id"]
    for form in (nid.upper(), nid.replace("-", ""), "{" + nid + "}", "urn:uuid:" + nid):
        resp = call(notify_emulator, "GET", f"/v2/notifications/{form}")
        assert resp.status_code == 200, form
        assert resp.json()["id"] == nid
    braces = "{" + TEMPLATE_WELCOME + "}"
    assert call(notify_emulator, "GET", f"/v2/template/{braces}").json()["id"] == TEMPLATE_WELCOME
    sent = send(
        notify_emulator,
        template_id=TEMPLATE_WELCOME.replace("-", ""),
        personalisation={"name": "A", "reference_number": "1"},
    )
    assert sent.status_code == 201
    assert sent.json()["template"]["id"] == TEMPLATE_WELCOME


def test_preview_with_an_empty_body(notify_emulator: NotifyEmulator) -> None:
    from govuk_notify_emulator import TEMPLATE_PLAIN

    resp = call(notify_emulator, "POST", f"/v2/template/{TEMPLATE_PLAIN}/preview", data=b"")
    assert resp.status_code == 200
    assert resp.json()["body"] == "This message has no placeholders."


def test_empty_query_pairs_are_skipped_but_an_empty_name_is_not(
    notify_emulator: NotifyEmulator,
) -> None:
    nid = send(notify_emulator, reference="pairs").json()["id"]
    for query in ("?&reference=pairs", "?reference=pairs&&template_type=email&"):
        resp = call(notify_emulator, "GET", "/v2/notifications" + query)
        assert [n["id"] for n in resp.json()["notifications"]] == [nid], query
    assert errors(call(notify_emulator, "GET", "/v2/notifications?=x")) == [
        ("ValidationError", "Additional properties are not allowed ( was unexpected)")
    ]
