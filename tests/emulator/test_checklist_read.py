"""notify-api.md §10 items 4 and 5: GET /v2/notifications/{id} and GET /v2/notifications."""

from __future__ import annotations

import re
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from govuk_notify_emulator import DEFAULT_REPLY_TO_ID, TEMPLATE_PLAIN, NotifyEmulator
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

from .helpers import call, errors, send

# §3.1: every key of the 200 body.
NOTIFICATION_KEYS = {
    "body", "completed_at", "cost_details", "cost_in_pounds", "created_at", "created_by_name",
    "email_address", "id", "is_cost_data_ready", "line_1", "line_2", "line_3", "line_4",
    "line_5", "line_6", "one_click_unsubscribe_url", "phone_number", "postage", "postcode",
    "reference", "scheduled_for", "sent_at", "status", "subject", "template", "type",
}  # fmt: skip
# §3.2: the status enum, in the order of the validation message.
STATUSES = (
    "cancelled, created, sending, sent, delivered, pending, failed, technical-failure, "
    "temporary-failure, permanent-failure, pending-virus-check, validation-failed, "
    "virus-scan-failed, returned-letter, accepted, received"
)
NOT_FOUND = {
    "errors": [{"error": "NoResultFound", "message": "No result found"}],
    "status_code": 404,
}


@pytest.fixture(scope="module")
def frozen() -> Iterator[NotifyEmulator]:
    """An emulator whose notifications stay `created` unless a test forces a status."""
    with NotifyEmulator(args=["--created-to-sending-ms", "3600000"]) as emulator:
        yield emulator


@pytest.fixture
def emu(frozen: NotifyEmulator) -> NotifyEmulator:
    frozen.clear()
    frozen.reset_faults()
    return frozen


def send_ids(emulator: NotifyEmulator, n: int, kind: str = "test", prefix: str = "r") -> list[str]:
    """Sends n emails with the key of that kind; returns their ids, oldest first."""
    ids = []
    for i in range(n):
        resp = send(emulator, emulator.api_keys[kind], reference=f"{prefix}{i}")
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()["id"])
    return ids


def listing(emulator: NotifyEmulator, query: str = "", kind: str = "test") -> requests.Response:
    return call(emulator, "GET", "/v2/notifications" + query, key=emulator.api_keys[kind])


def ids_of(resp: requests.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [n["id"] for n in resp.json()["notifications"]]


# ---- 4. GET by id ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["nope", "1234", "f2a6c3b1-0004-4c1d-9e2f-3a4b5c6d7e0", "' or 1=1"])
def test_get_by_id_that_is_not_a_uuid_is_400(emu: NotifyEmulator, bad: str) -> None:
    resp = call(emu, "GET", f"/v2/notifications/{bad}")
    assert resp.status_code == 400
    assert resp.json() == {
        "errors": [{"error": "ValidationError", "message": "notification_id is not a valid UUID"}],
        "status_code": 400,
    }


def test_get_by_unknown_id_is_404_no_result_found(emu: NotifyEmulator) -> None:
    resp = call(emu, "GET", f"/v2/notifications/{uuid.uuid4()}")
    assert resp.status_code == 404
    assert resp.json() == NOT_FOUND


def test_get_by_id_returns_every_section_3_1_key(emu: NotifyEmulator) -> None:
    sent = send(emu, email_address="  Ann@Example.com ", reference="every-key").json()
    resp = call(emu, "GET", f"/v2/notifications/{sent['id']}")
    assert resp.status_code == 200
    got = resp.json()
    assert set(got) == NOTIFICATION_KEYS
    assert got == {
        "body": sent["content"]["body"],
        "completed_at": None,
        "cost_details": {},
        "cost_in_pounds": 0.0,
        "created_at": got["created_at"],
        "created_by_name": None,
        "email_address": "Ann@Example.com",
        "id": sent["id"],
        "is_cost_data_ready": True,
        **{f"line_{i}": None for i in range(1, 7)},
        "one_click_unsubscribe_url": None,
        "phone_number": None,
        "postage": None,
        "postcode": None,
        "reference": "every-key",
        "scheduled_for": None,
        "sent_at": None,
        "status": "created",
        "subject": got["subject"],
        "template": {
            "id": TEMPLATE_PLAIN,
            "uri": f"{emu.base_url}/v2/template/{TEMPLATE_PLAIN}/version/1",
            "version": 1,
        },
        "type": "email",
    }
    assert got["body"] == sent["content"]["body"]
    assert got["subject"] == sent["content"]["subject"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", got["created_at"])


def test_get_by_id_works_with_any_key_type_of_the_service(emu: NotifyEmulator) -> None:
    (id_,) = send_ids(emu, 1, "test")
    for kind in ("live", "team", "test"):
        resp = call(emu, "GET", f"/v2/notifications/{id_}", key=emu.api_keys[kind])
        assert resp.status_code == 200
        assert resp.json()["id"] == id_


def test_get_by_id_accepts_upper_case_uuid(emu: NotifyEmulator) -> None:
    (id_,) = send_ids(emu, 1)
    assert call(emu, "GET", f"/v2/notifications/{id_.upper()}").json()["id"] == id_


# ---- 5. list -----------------------------------------------------------------------------


def test_list_is_newest_first(emu: NotifyEmulator) -> None:
    ids = send_ids(emu, 5)
    assert ids_of(listing(emu)) == ids[::-1]


def test_list_pages_of_250_with_next_while_non_empty(emu: NotifyEmulator) -> None:
    ids = send_ids(emu, 255)
    first = listing(emu).json()
    assert [n["id"] for n in first["notifications"]] == ids[::-1][:250]
    assert first["links"] == {
        "current": f"{emu.base_url}/v2/notifications",
        "next": f"{emu.base_url}/v2/notifications?older_than={ids[5]}",
    }
    second = listing(emu, f"?older_than={ids[5]}").json()
    assert [n["id"] for n in second["notifications"]] == ids[:5][::-1]
    assert second["links"]["next"] == f"{emu.base_url}/v2/notifications?older_than={ids[0]}"
    third = listing(emu, f"?older_than={ids[0]}").json()
    assert third["notifications"] == []
    assert third["links"] == {"current": f"{emu.base_url}/v2/notifications?older_than={ids[0]}"}


def test_list_is_filtered_to_the_callers_key_type(emu: NotifyEmulator) -> None:
    by_kind = {
        "live": send_ids(emu, 2, "live", "live"),
        "test": send_ids(emu, 2, "test", "test"),
    }
    team = send(emu, emu.api_keys["team"], email_address="team.member@example.com")
    by_kind["team"] = [team.json()["id"]]
    for kind, ids in by_kind.items():
        assert ids_of(listing(emu, kind=kind)) == ids[::-1], kind
    assert ids_of(listing(emu, "?reference=live0", kind="test")) == []


def test_list_with_repeated_status_and_template_type(emu: NotifyEmulator) -> None:
    ids = send_ids(emu, 4)
    emu.set_status(ids[0], "sending")
    emu.set_status(ids[1], "delivered")
    emu.set_status(ids[2], "permanent-failure")
    resp = listing(emu, "?status=created&status=sending&template_type=email&template_type=sms")
    assert ids_of(resp) == [ids[3], ids[0]]
    current = (
        f"{emu.base_url}/v2/notifications"
        "?status=created&status=sending&template_type=email&template_type=sms"
    )
    assert resp.json()["links"] == {"current": current, "next": f"{current}&older_than={ids[0]}"}
    assert ids_of(listing(emu, "?template_type=sms")) == []


def test_list_links_group_repeated_params_where_they_first_appear(emu: NotifyEmulator) -> None:
    # Notify rebuilds the links from request.args.to_dict(flat=False) with url_for.
    (id_,) = send_ids(emu, 1)
    resp = listing(emu, "?status=created&template_type=email&status=sending")
    current = f"{emu.base_url}/v2/notifications?status=created&status=sending&template_type=email"
    assert resp.json()["links"] == {"current": current, "next": f"{current}&older_than={id_}"}


@pytest.mark.parametrize(
    ("status", "matching"),
    [
        ("failed", {"technical-failure", "temporary-failure", "permanent-failure"}),
        ("accepted", {"created", "sending"}),
        ("received", {"delivered"}),
        ("delivered", {"delivered"}),
        ("temporary-failure", {"temporary-failure"}),
    ],
)
def test_list_status_aliases_expand(emu: NotifyEmulator, status: str, matching: set[str]) -> None:
    statuses = ["created", "sending", "delivered", "technical-failure"]
    statuses += ["temporary-failure", "permanent-failure"]
    ids = send_ids(emu, len(statuses))
    for id_, s in zip(ids, statuses, strict=True):
        if s != "created":
            emu.set_status(id_, s)
    expected = [id_ for id_, s in zip(ids, statuses, strict=True) if s in matching][::-1]
    assert ids_of(listing(emu, f"?status={status}")) == expected


def test_list_reference_filter_is_exact(emu: NotifyEmulator) -> None:
    ids = send_ids(emu, 3, prefix="ref-")
    assert ids_of(listing(emu, "?reference=ref-2")) == [ids[2]]
    assert ids_of(listing(emu, "?reference=ref-")) == []


def test_list_older_than_an_unknown_id_is_an_empty_page(emu: NotifyEmulator) -> None:
    send_ids(emu, 2)
    resp = listing(emu, f"?older_than={uuid.uuid4()}")
    assert resp.status_code == 200
    assert resp.json()["notifications"] == []
    assert "next" not in resp.json()["links"]


def test_list_next_replaces_older_than_in_place(emu: NotifyEmulator) -> None:
    # Notify builds next with dict(data, older_than=last id): the key keeps its place.
    ids = send_ids(emu, 3)
    resp = listing(emu, f"?older_than={ids[2]}&status=created").json()
    assert resp["links"] == {
        "current": f"{emu.base_url}/v2/notifications?older_than={ids[2]}&status=created",
        "next": f"{emu.base_url}/v2/notifications?older_than={ids[0]}&status=created",
    }


def test_empty_list_has_current_but_no_next(emu: NotifyEmulator) -> None:
    resp = listing(emu)
    assert resp.json() == {
        "links": {"current": f"{emu.base_url}/v2/notifications"},
        "notifications": [],
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?foo=1", "Additional properties are not allowed (foo was unexpected)"),
        ("?status=elephant", f"status elephant is not one of [{STATUSES}]"),
        ("?template_type=orange", "template_type orange is not one of [sms, email, letter]"),
        ("?older_than=nope", "older_than is not a valid UUID"),
        ("?include_jobs=false", "include_jobs false is not one of [true, True]"),
    ],
)
def test_list_rejects_bad_params_with_400(emu: NotifyEmulator, query: str, message: str) -> None:
    resp = listing(emu, query)
    assert resp.status_code == 400
    assert errors(resp) == [("ValidationError", message)]


@pytest.mark.parametrize("value", ["true", "True"])
def test_list_accepts_include_jobs_true(emu: NotifyEmulator, value: str) -> None:
    ids = send_ids(emu, 1)
    assert ids_of(listing(emu, f"?include_jobs={value}")) == ids


def test_list_returns_the_same_objects_as_get_by_id(emu: NotifyEmulator) -> None:
    ids = send_ids(emu, 2)
    emu.set_status(ids[0], "delivered")
    listed: list[dict[str, Any]] = listing(emu).json()["notifications"]
    for item in listed:
        assert call(emu, "GET", f"/v2/notifications/{item['id']}").json() == item


# ---- templates (§3.3) ----------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"{}", b"null"])
def test_preview_with_an_empty_object_renders_a_template_without_placeholders(
    emu: NotifyEmulator, data: bytes
) -> None:
    resp = call(emu, "POST", f"/v2/template/{TEMPLATE_PLAIN}/preview", data=data)
    assert resp.status_code == 200
    assert resp.json()["id"] == TEMPLATE_PLAIN


def test_preview_without_a_body_renders_a_template_without_placeholders(
    emu: NotifyEmulator,
) -> None:
    # Notify: "The payload is empty when there are no place holders in the template."
    data = b""
    resp = call(emu, "POST", f"/v2/template/{TEMPLATE_PLAIN}/preview", data=data)
    assert resp.status_code == 200
    assert resp.json()["id"] == TEMPLATE_PLAIN


def test_preview_with_unparseable_json_is_invalid_json(emu: NotifyEmulator) -> None:
    resp = call(emu, "POST", f"/v2/template/{TEMPLATE_PLAIN}/preview", data=b"{")
    assert resp.status_code == 400
    assert errors(resp) == [("BadRequestError", "Invalid JSON supplied in POST data")]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/v2/template/nope", 400, "id is not a valid UUID"),
        (f"/v2/template/{uuid.UUID(int=5)}", 404, "No result found"),
        (f"/v2/template/{TEMPLATE_PLAIN}/version/0", 404, "No result found"),
        ("/v2/templates?type=foo", 400, "type foo is not one of [sms, email, letter]"),
    ],
)
def test_template_errors(emu: NotifyEmulator, path: str, status: int, message: str) -> None:
    resp = call(emu, "GET", path)
    assert resp.status_code == status
    assert [m for _, m in errors(resp)] == [message]


def test_template_version_that_is_not_an_integer_is_an_unknown_route(emu: NotifyEmulator) -> None:
    resp = call(emu, "GET", f"/v2/template/{TEMPLATE_PLAIN}/version/abc")
    assert resp.status_code == 404
    assert resp.json()["result"] == "error"


# ---- ids in every form Python's uuid.UUID() accepts --------------------------------------

UUID_FORMS: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "hex": lambda s: s.replace("-", ""),
    "braces": lambda s: "{" + s + "}",
    "urn": lambda s: "urn:uuid:" + s,
}


@pytest.mark.parametrize("form", list(UUID_FORMS))
def test_ids_in_any_uuid_form_find_the_same_objects(emu: NotifyEmulator, form: str) -> None:
    spell = UUID_FORMS[form]
    ids = send_ids(emu, 3)
    got = call(emu, "GET", f"/v2/notifications/{spell(ids[1])}")
    assert got.status_code == 200
    assert got.json()["id"] == ids[1]
    assert ids_of(listing(emu, f"?older_than={spell(ids[2])}")) == [ids[1], ids[0]]
    template = call(emu, "GET", f"/v2/template/{spell(TEMPLATE_PLAIN)}")
    assert template.json()["id"] == TEMPLATE_PLAIN
    sent = send(
        emu, template_id=spell(TEMPLATE_PLAIN), email_reply_to_id=spell(DEFAULT_REPLY_TO_ID)
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["template"]["id"] == TEMPLATE_PLAIN


# ---- other services ------------------------------------------------------------------------


def test_another_services_notifications_are_invisible(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    plain = {"id": TEMPLATE_PLAIN, "name": "P", "type": "email", "subject": "S", "body": "B"}
    services = [
        {
            "id": f"5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0d0{n}",
            "api_keys": [
                {
                    "name": "test",
                    "type": "test",
                    "secret": f"11111111-aaaa-4aaa-8aaa-0000000000d{n}",
                }
            ],
            "templates": [plain],
        }
        for n in (1, 2)
    ]
    emulator = notify_emulator_factory(config={"services": services})
    keys = [s["api_keys"][0]["key"] for s in emulator.config()["services"]]
    mine = send(emulator, keys[0]).json()["id"]
    theirs = send(emulator, keys[1]).json()["id"]
    assert ids_of(call(emulator, "GET", "/v2/notifications", key=keys[0])) == [mine]
    assert ids_of(call(emulator, "GET", "/v2/notifications", key=keys[1])) == [theirs]
    resp = call(emulator, "GET", f"/v2/notifications/{theirs}", key=keys[0])
    assert resp.status_code == 404
    assert resp.json() == NOT_FOUND


def test_links_encode_query_values_as_werkzeug_does(emu: NotifyEmulator) -> None:
    # url_for: urlencode with quote_plus, so a space is '+' and !$'()*,; stay as they are.
    # The characters werkzeug 2 and 3 encode alike ('/', ':', '@' and '?' differ between them).
    reference = "a b+c&d=e~f!g$h'i(j)k*l,m;n\u00e9o%p#q"
    (id_,) = send_ids(emu, 1, prefix=reference)
    query = urllib.parse.urlencode({"reference": reference + "0"})
    links = listing(emu, "?" + query).json()["links"]
    expected = "reference=a+b%2Bc%26d%3De~f!g$h'i(j)k*l,m;n%C3%A9o%25p%23q0"
    assert links == {
        "current": f"{emu.base_url}/v2/notifications?{expected}",
        "next": f"{emu.base_url}/v2/notifications?{expected}&older_than={id_}",
    }


def test_list_uses_only_the_first_reference_and_older_than(emu: NotifyEmulator) -> None:
    ids = send_ids(emu, 4, prefix="ref-")
    resp = listing(emu, "?reference=ref-1&reference=ref-2")
    assert ids_of(resp) == [ids[1]]
    assert resp.json()["links"]["current"] == f"{emu.base_url}/v2/notifications?reference=ref-1"
    resp = listing(emu, f"?older_than={ids[2]}&older_than={ids[1]}")
    assert ids_of(resp) == [ids[1], ids[0]]


# ---- query strings as werkzeug parses them -----------------------------------------------


@pytest.mark.parametrize(
    ("query", "reference"),
    [
        ("?reference=a+b0", "a b"),
        ("?reference=a%20b0", "a b"),
        ("?reference=%zz0", "%zz"),  # an invalid escape stays as it is
        ("?reference=%25zz0", "%zz"),
        ("?reference=x0&", "x"),
    ],
)
def test_query_values_are_decoded_as_werkzeug_does(
    emu: NotifyEmulator, query: str, reference: str
) -> None:
    (id_,) = send_ids(emu, 1, prefix=reference)  # stored with reference + "0"
    send_ids(emu, 1, prefix="other")
    assert ids_of(listing(emu, query)) == [id_]


@pytest.mark.parametrize("query", ["?&reference=x0", "?reference=x0&&template_type=email"])
def test_empty_query_pairs_are_skipped(emu: NotifyEmulator, query: str) -> None:
    # werkzeug (parse_qsl) skips empty pairs.
    (id_,) = send_ids(emu, 1, prefix="x")
    assert ids_of(listing(emu, query)) == [id_]


def test_a_parameter_with_an_empty_name_is_unexpected(emu: NotifyEmulator) -> None:
    resp = listing(emu, "?=x")
    assert errors(resp) == [
        ("ValidationError", "Additional properties are not allowed ( was unexpected)")
    ]


def test_parameter_names_are_case_sensitive(emu: NotifyEmulator) -> None:
    resp = listing(emu, "?Status=created")
    assert errors(resp) == [
        ("ValidationError", "Additional properties are not allowed (Status was unexpected)")
    ]
