"""notify-api.md §10 item 2: POST /v2/notifications/email, each check in §2.2's order.

Every expected body and message below is copied from notify-api.md (section named).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from govuk_notify_emulator import NotifyEmulator
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

from .helpers import call, errors

SERVICE = "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0b01"  # trial mode, daily limit 2
RATE_SERVICE = "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0b02"  # rate limit 3/min: one token
OTHER_SERVICE = "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0b03"  # live, daily limit 1
REPLY_TO = "a7b8c9d0-0001-4e2f-8a3b-4c5d6e7f8b01"
ORDERED = "f2a6c3b1-00b1-4c1d-9e2f-3a4b5c6d7e01"  # subject ((Zeta)); body alpha, zeta, beta
FILL = "f2a6c3b1-00b2-4c1d-9e2f-3a4b5c6d7e02"  # body ((x)) only
PLAIN = "f2a6c3b1-00b3-4c1d-9e2f-3a4b5c6d7e03"
SMS = "f2a6c3b1-00b4-4c1d-9e2f-3a4b5c6d7e04"
ARCHIVED = "f2a6c3b1-00b5-4c1d-9e2f-3a4b5c6d7e05"
OTHER_TEMPLATE = "f2a6c3b1-00b6-4c1d-9e2f-3a4b5c6d7e06"
SMOKE = [
    "simulate-delivered@notifications.service.gov.uk",
    "simulate-delivered-2@notifications.service.gov.uk",
    "simulate-delivered-3@notifications.service.gov.uk",
]
TEAM_ONLY = "Can\u2019t send to this recipient using a team-only API key"
TRIAL = (
    "Can\u2019t send to this recipient when service is in trial mode \u2013 "
    "see https://www.notifications.service.gov.uk/trial-mode"
)


def keys(n: int) -> list[dict[str, str]]:
    return [
        {"name": kind, "type": kind, "secret": f"11111111-aaaa-4aaa-8aaa-0000000{n}00b{i}"}
        for i, kind in enumerate(("live", "team", "test"))
    ]


def template(id_: str, subject: str, body: str, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "name": id_[-4:], "type": "email", "subject": subject, "body": body, **extra}


CONFIG = {
    "services": [
        {
            "id": SERVICE,
            "restricted": True,
            "rate_limit": 0,
            "email_message_limit": 2,
            "email_reply_to_ids": [REPLY_TO],
            "team_members": ["me@example.com"],
            "guest_list": ["guest@example.com"],
            "api_keys": keys(1),
            "templates": [
                template(
                    ORDERED, "((Zeta)) news", "((alpha)) and ((zeta)) then ((beta)) ((alpha))"
                ),
                template(FILL, "Filled", "((x))"),
                template(PLAIN, "Plain", "Hello"),
                template(SMS, "", "Code ((code))", type="sms"),
                template(ARCHIVED, "Old", "Old", archived=True),
            ],
        },
        {
            "id": RATE_SERVICE,
            "rate_limit": 3,
            "team_members": ["me@example.com"],
            "api_keys": keys(2),
            "templates": [template(PLAIN, "Plain", "Hello")],
        },
        {
            "id": OTHER_SERVICE,
            "email_message_limit": 1,
            "api_keys": keys(3),
            "templates": [template(OTHER_TEMPLATE, "Other", "Other")],
        },
    ]
}


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[NotifyEmulator]:
    with NotifyEmulator(config=CONFIG, args=["--created-to-sending-ms", "3600000"]) as emulator:
        yield emulator


@pytest.fixture
def emu(module_emulator: NotifyEmulator) -> NotifyEmulator:
    """The module's emulator with notifications, buckets and daily counts cleared."""
    module_emulator.clear()
    module_emulator.reset_faults()
    return module_emulator


def key(emulator: NotifyEmulator, kind: str, service: str = SERVICE) -> str:
    """The full API key string of that type for service, from the running configuration."""
    for entry in emulator.config()["services"]:
        if entry["id"] == service:
            return next(str(k["key"]) for k in entry["api_keys"] if k["type"] == kind)
    raise KeyError(service)


def post_raw(emulator: NotifyEmulator, api_key: str, data: bytes) -> requests.Response:
    return call(emulator, "POST", "/v2/notifications/email", key=api_key, data=data)


def post(emulator: NotifyEmulator, kind: str = "live", **body: Any) -> requests.Response:
    body.setdefault("email_address", "me@example.com")
    body.setdefault("template_id", PLAIN)
    return call(
        emulator, "POST", "/v2/notifications/email", key=key(emulator, kind), json_body=body
    )


def bad_request(resp: requests.Response, message: str) -> None:
    assert resp.status_code == 400
    assert resp.json() == {
        "errors": [{"error": "BadRequestError", "message": message}],
        "status_code": 400,
    }


# ---- 2a. token bucket --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["live", "team", "test"])
def test_rate_limit_429_comes_before_json_parsing_per_key_type(
    emu: NotifyEmulator, kind: str
) -> None:
    api_key = key(emu, kind, RATE_SERVICE)
    bad_request(post_raw(emu, api_key, b"{"), "Invalid JSON supplied in POST data")
    resp = post_raw(emu, api_key, b"{")
    assert resp.status_code == 429
    label = {"live": "LIVE", "team": "TEAM", "test": "TEST"}[kind]
    assert resp.json() == {
        "errors": [
            {
                "error": "RateLimitError",
                "message": f"Exceeded rate limit for key type {label} of 3 requests per 60 seconds",
            }
        ],
        "status_code": 429,
    }
    assert "Retry-After" not in resp.headers


def test_rate_limit_buckets_are_per_key_type_and_gets_are_not_limited(emu: NotifyEmulator) -> None:
    live, team = key(emu, "live", RATE_SERVICE), key(emu, "team", RATE_SERVICE)
    body = f'{{"email_address":"me@example.com","template_id":"{PLAIN}"}}'.encode()
    assert post_raw(emu, live, body).status_code == 201
    assert post_raw(emu, live, body).status_code == 429
    assert post_raw(emu, team, body).status_code == 201
    for _ in range(5):
        assert call(emu, "GET", "/v2/notifications", key=live).status_code == 200


# ---- 2b. daily limit ---------------------------------------------------------------------


def test_daily_limit_429_comes_before_json_parsing(emu: NotifyEmulator) -> None:
    assert post(emu).status_code == 201
    assert post(emu, "team").status_code == 201  # live and team share the day's count
    for api_key in (key(emu, "live"), key(emu, "team")):
        resp = post_raw(emu, api_key, b"{")
        assert resp.status_code == 429
        assert resp.json() == {
            "errors": [
                {
                    "error": "TooManyRequestsError",
                    "message": "Exceeded send limits (email: 2) for today",
                }
            ],
            "status_code": 429,
        }
        assert "Retry-After" not in resp.headers


def test_daily_limit_skips_test_keys_and_rejected_requests(emu: NotifyEmulator) -> None:
    for _ in range(3):
        assert post(emu, "test", email_address="anyone@example.com").status_code == 201
    assert post(emu, template_id=ARCHIVED).status_code == 400
    assert post(emu, email_address="stranger@example.com").status_code == 400
    assert post(emu).status_code == 201
    assert post(emu).status_code == 201
    assert post(emu).status_code == 429
    assert post(emu, "test").status_code == 201  # test keys are never daily-limited


def test_daily_limit_does_not_count_smoke_test_addresses(emu: NotifyEmulator) -> None:
    api_key = key(emu, "live", OTHER_SERVICE)

    def send_to(address: str) -> int:
        body = {"email_address": address, "template_id": OTHER_TEMPLATE}
        resp = call(emu, "POST", "/v2/notifications/email", key=api_key, json_body=body)
        return resp.status_code

    assert [send_to(address) for address in SMOKE * 2] == [201] * 6
    assert send_to("anyone@example.com") == 201
    assert send_to("anyone@example.com") == 429
    assert send_to(SMOKE[0]) == 429  # the limit is checked before the recipient


# ---- 3. JSON -----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"{", b"not json", b"{'a': 1}", b'{"a":1,}'])
def test_unparseable_body_is_invalid_json(emu: NotifyEmulator, data: bytes) -> None:
    resp = post_raw(emu, key(emu, "live"), data)
    bad_request(resp, "Invalid JSON supplied in POST data")


@pytest.mark.parametrize("data", [b"null", b"[]", b"{}", b"false", b"0", b'""'])
def test_falsy_json_is_treated_as_an_empty_object(emu: NotifyEmulator, data: bytes) -> None:
    resp = post_raw(emu, key(emu, "live"), data)
    assert resp.status_code == 400
    assert errors(resp) == [
        ("ValidationError", "email_address is a required property"),
        ("ValidationError", "template_id is a required property"),
    ]


def test_content_type_is_not_checked(emu: NotifyEmulator) -> None:
    body = f'{{"email_address":"me@example.com","template_id":"{PLAIN}"}}'.encode()
    resp = call(
        emu,
        "POST",
        "/v2/notifications/email",
        key=key(emu, "live"),
        data=body,
        headers={"Content-Type": "text/plain"},
    )
    assert resp.status_code == 201


# ---- 4. schema ---------------------------------------------------------------------------


def test_schema_lists_every_error(emu: NotifyEmulator) -> None:
    long_ref = "a" * 1001
    resp = post(
        emu,
        email_address=12345,
        template_id="nope",
        reference=long_ref,
        personalisation="not_a_dict",
        one_click_unsubscribe_url="http://example.com/u",
        email_reply_to_id="x",
        template=PLAIN,
        foo=1,
    )
    assert resp.status_code == 400
    assert sorted(errors(resp)) == sorted(
        [
            ("ValidationError", "email_address 12345 is not of type string"),
            ("ValidationError", "template_id is not a valid UUID"),
            ("ValidationError", f"reference {long_ref} is too long"),
            ("ValidationError", "personalisation not_a_dict is not of type object"),
            ("ValidationError", "one_click_unsubscribe_url is not a valid https url"),
            ("ValidationError", "email_reply_to_id is not a valid UUID"),
            (
                "ValidationError",
                "Additional properties are not allowed (foo, template were unexpected)",
            ),
        ]
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"email_address": None}, "email_address None is not of type string"),
        ({"email_address": "not-an-email"}, "email_address Not a valid email address"),
        ({"email_address": "a..b@example.com"}, "email_address Not a valid email address"),
        ({"email_address": "a@localhost"}, "email_address Not a valid email address"),
        ({"template_id": "1234"}, "template_id is not a valid UUID"),
        ({"reference": "r" * 1001}, f"reference {'r' * 1001} is too long"),
        ({"template": PLAIN}, "Additional properties are not allowed (template was unexpected)"),
        (
            {"one_click_unsubscribe_url": "ftp://example.com"},
            "one_click_unsubscribe_url is not a valid https url",
        ),
        (
            {"scheduled_for": "2020-01-01T10:00:00"},
            "scheduled_for datetime can not be in the past",
        ),
        (
            {"scheduled_for": "not a date"},
            "scheduled_for datetime format is invalid. It must be a valid ISO8601 date time "
            "format, https://en.wikipedia.org/wiki/ISO_8601",
        ),
    ],
)
def test_schema_error_messages(emu: NotifyEmulator, body: dict[str, Any], message: str) -> None:
    resp = post(emu, **body)
    assert resp.status_code == 400
    assert errors(resp) == [("ValidationError", message)]


def test_reference_of_1000_characters_is_accepted(emu: NotifyEmulator) -> None:
    resp = post(emu, reference="r" * 1000)
    assert resp.status_code == 201
    assert resp.json()["reference"] == "r" * 1000


# ---- 7. template -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template_id", "message"),
    [
        (str(uuid.uuid4()), "Template not found"),
        (OTHER_TEMPLATE, "Template not found"),
        (SMS, "sms template is not suitable for email notification"),
        (ARCHIVED, "Template has been deleted"),
    ],
    ids=["unknown", "another-services", "sms", "archived"],
)
def test_template_errors(emu: NotifyEmulator, template_id: str, message: str) -> None:
    bad_request(post(emu, template_id=template_id), message)


def test_missing_personalisation_lists_subject_first_then_body_order(emu: NotifyEmulator) -> None:
    bad_request(post(emu, template_id=ORDERED), "Missing personalisation: Zeta, alpha, beta")


def test_null_personalisation_value_counts_as_missing(emu: NotifyEmulator) -> None:
    resp = post(emu, template_id=ORDERED, personalisation={"zeta": None, "beta": 1})
    bad_request(resp, "Missing personalisation: Zeta, alpha")


def test_personalisation_keys_match_ignoring_case_spaces_underscores_hyphens(
    emu: NotifyEmulator,
) -> None:
    resp = post(emu, template_id=ORDERED, personalisation={"ZE TA": "z", "Al_pha": "a", "be-ta": 3})
    assert resp.status_code == 201
    assert resp.json()["content"]["subject"] == "z news"
    assert resp.json()["content"]["body"] == "a and z then 3 a"


def test_email_reply_to_id_not_found_names_it_and_the_service(emu: NotifyEmulator) -> None:
    missing = str(uuid.uuid4())
    resp = post(emu, email_reply_to_id=missing)
    bad_request(
        resp, f"email_reply_to_id {missing} does not exist in database for service id {SERVICE}"
    )
    assert post(emu, email_reply_to_id=REPLY_TO).status_code == 201


# ---- 9. allow-lists ----------------------------------------------------------------------


def test_team_key_to_someone_outside_the_team_is_refused(emu: NotifyEmulator) -> None:
    resp = post(emu, "team", email_address="stranger@example.com")
    bad_request(resp, TEAM_ONLY)
    assert b"Can\\u2019t send to this recipient using a team-only API key" in resp.content


def test_live_key_on_a_trial_service_to_a_stranger_is_refused(emu: NotifyEmulator) -> None:
    resp = post(emu, "live", email_address="stranger@example.com")
    bad_request(resp, TRIAL)
    assert b"Can\\u2019t" in resp.content
    assert b"trial mode \\u2013 see" in resp.content


@pytest.mark.parametrize("kind", ["live", "team"])
@pytest.mark.parametrize("address", ["me@example.com", "guest@example.com", "ME@Example.com"])
def test_team_members_and_guest_list_are_allowed(
    emu: NotifyEmulator, kind: str, address: str
) -> None:
    assert post(emu, kind, email_address=address).status_code == 201


def test_test_key_may_send_to_anyone_on_a_trial_service(emu: NotifyEmulator) -> None:
    assert post(emu, "test", email_address="stranger@example.com").status_code == 201


def test_live_key_on_a_live_service_may_send_to_anyone(emu: NotifyEmulator) -> None:
    api_key = key(emu, "live", OTHER_SERVICE)
    resp = call(
        emu,
        "POST",
        "/v2/notifications/email",
        key=api_key,
        json_body={"email_address": "stranger@example.com", "template_id": OTHER_TEMPLATE},
    )
    assert resp.status_code == 201


# ---- 10. smoke-test addresses ------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        *SMOKE,
        "Simulate-Delivered@Notifications.Service.Gov.UK",
        " simulate-delivered-2@notifications.service.gov.uk\u200b ",
    ],
)
def test_smoke_test_address_gets_201_but_is_not_stored(emu: NotifyEmulator, address: str) -> None:
    resp = post(emu, "test", email_address=address, reference="smoke")
    assert resp.status_code == 201
    body = resp.json()
    assert body["reference"] == "smoke"
    assert body["uri"] == f"{emu.base_url}/v2/notifications/{body['id']}"
    assert emu.notifications() == []
    got = call(emu, "GET", f"/v2/notifications/{body['id']}", key=key(emu, "test"))
    assert got.status_code == 404
    assert got.json() == {
        "errors": [{"error": "NoResultFound", "message": "No result found"}],
        "status_code": 404,
    }
    second = post(emu, "test", email_address=address)
    assert second.json()["id"] != body["id"]


def test_similar_address_is_not_a_smoke_test(emu: NotifyEmulator) -> None:
    resp = post(emu, "test", email_address="simulate-delivered-4@notifications.service.gov.uk")
    assert resp.status_code == 201
    assert [n["id"] for n in emu.notifications()] == [resp.json()["id"]]


def test_smoke_test_address_is_still_fully_validated(emu: NotifyEmulator) -> None:
    resp = post(emu, "test", email_address=SMOKE[0], template_id=ORDERED)
    bad_request(resp, "Missing personalisation: Zeta, alpha, beta")


def test_smoke_test_address_with_a_team_key_meets_the_allow_list_first(
    emu: NotifyEmulator,
) -> None:
    bad_request(post(emu, "team", email_address=SMOKE[0]), TEAM_ONLY)
    bad_request(post(emu, "live", email_address=SMOKE[0]), TRIAL)


# ---- 12. size ----------------------------------------------------------------------------


def test_message_of_2000000_bytes_is_accepted(emu: NotifyEmulator) -> None:
    resp = post(emu, template_id=FILL, personalisation={"x": "a" * 2_000_000})
    assert resp.status_code == 201


@pytest.mark.parametrize(
    ("value", "size"), [("a" * 2_000_001, 2_000_001), ("\u00e9" * 1_000_001, 2_000_002)]
)
def test_message_over_2000000_utf8_bytes_is_too_long(
    emu: NotifyEmulator, value: str, size: int
) -> None:
    resp = post(emu, template_id=FILL, personalisation={"x": value})
    bad_request(
        resp,
        "Your message is too long. Emails cannot be longer than 2000000 bytes. "
        f"Your message is {size} bytes.",
    )
    assert emu.notifications() == []


def test_size_is_checked_after_the_allow_list(emu: NotifyEmulator) -> None:
    resp = post(
        emu,
        email_address="stranger@example.com",
        template_id=FILL,
        personalisation={"x": "a" * 2_000_001},
    )
    bad_request(resp, TRIAL)


def test_template_is_checked_before_reply_to_and_reply_to_before_allow_list(
    emu: NotifyEmulator,
) -> None:
    missing = str(uuid.uuid4())
    resp = post(
        emu, email_address="stranger@example.com", template_id=ARCHIVED, email_reply_to_id=missing
    )
    bad_request(resp, "Template has been deleted")
    resp = post(emu, email_address="stranger@example.com", email_reply_to_id=missing)
    bad_request(
        resp, f"email_reply_to_id {missing} does not exist in database for service id {SERVICE}"
    )


def test_schema_is_checked_before_the_template(emu: NotifyEmulator) -> None:
    resp = post(emu, template_id=ARCHIVED, reference=5)
    assert errors(resp) == [("ValidationError", "reference 5 is not of type string")]


# ---- 13. the 201 -------------------------------------------------------------------------


def test_201_body_has_the_section_2_4_shape(emu: NotifyEmulator) -> None:
    resp = post(
        emu,
        template_id=ORDERED,
        personalisation={"zeta": "Z", "alpha": "A", "beta": "B"},
        reference="shape",
        email_reply_to_id=REPLY_TO,
        one_click_unsubscribe_url="https://example.com/unsub",
        sanitise_content_for=["alpha"],
    )
    assert resp.status_code == 201
    body = resp.json()
    root = emu.base_url + "/"
    assert body == {
        "content": {
            "body": "A and Z then B A",
            "from_email": body["content"]["from_email"],
            "one_click_unsubscribe_url": "https://example.com/unsub",
            "subject": "Z news",
        },
        "id": body["id"],
        "reference": "shape",
        "sanitised_content": {},
        "scheduled_for": None,
        "template": {
            "id": ORDERED,
            "uri": f"{root}services/{SERVICE}/templates/{ORDERED}",
            "version": 1,
        },
        "uri": f"{root}v2/notifications/{body['id']}",
    }
    assert body["content"]["from_email"].endswith("@notifications.service.gov.uk")
    assert str(uuid.UUID(body["id"])) == body["id"]
    (stored,) = emu.notifications()
    assert (stored["id"], stored["status"]) == (body["id"], "created")


def test_201_uris_are_built_from_the_host_header(emu: NotifyEmulator) -> None:
    resp = call(
        emu,
        "POST",
        "/v2/notifications/email",
        key=key(emu, "live"),
        json_body={"email_address": "me@example.com", "template_id": PLAIN},
        headers={"Host": "localhost:8443"},
    )
    body = resp.json()
    assert body["uri"] == f"http://localhost:8443/v2/notifications/{body['id']}"
    assert body["template"]["uri"] == (
        f"http://localhost:8443/services/{SERVICE}/templates/{PLAIN}"
    )


def test_scheduled_for_is_ignored_and_returned_null(emu: NotifyEmulator) -> None:
    from datetime import UTC, datetime, timedelta

    when = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    resp = post(emu, scheduled_for=when)
    assert resp.status_code == 201
    assert resp.json()["scheduled_for"] is None


@pytest.mark.parametrize("value", ["", "   "])
def test_message_that_fills_in_empty_is_refused(emu: NotifyEmulator, value: str) -> None:
    bad_request(post(emu, template_id=FILL, personalisation={"x": value}), "Your message is empty.")


# ---- bucket capacity and sender (§5.1, §2.4) -----------------------------------------------


@pytest.mark.parametrize(("rate", "capacity"), [(60, 21), (300, 101)])
def test_full_bucket_allows_capacity_minus_one_back_to_back(
    notify_emulator_factory: EmulatorFactory, rate: int, capacity: int
) -> None:
    # capacity = min(ceil(rate/3)+1, 1000); a request is refused when fewer than 1 token
    # would remain, so a full bucket lets capacity-1 through; refill is rate/60 per second.
    config = {
        "services": [
            {
                "id": RATE_SERVICE,
                "rate_limit": rate,
                "api_keys": keys(4),
                "templates": [template(PLAIN, "Plain", "Hello")],
            }
        ]
    }
    emulator = notify_emulator_factory(config=config)
    api_key = key(emulator, "live", RATE_SERVICE)
    start = time.monotonic()
    statuses = [post_raw(emulator, api_key, b"{").status_code for _ in range(capacity + 10)]
    refilled = int((time.monotonic() - start) * rate / 60) + 1
    passed = statuses.count(400)
    assert capacity - 1 <= passed <= capacity - 1 + refilled
    assert statuses[: capacity - 1] == [400] * (capacity - 1)
    assert statuses[capacity - 1 :].count(429) == len(statuses) - passed


def test_from_email_is_the_senders_local_part_at_the_email_domain(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    config = {
        "email_domain": "notify.example.gov.uk",
        "services": [
            {
                "id": RATE_SERVICE,
                "email_sender_local_part": "my.service",
                "api_keys": keys(5),
                "templates": [template(PLAIN, "Plain", "Hello")],
            }
        ],
    }
    emulator = notify_emulator_factory(config=config)
    resp = call(
        emulator,
        "POST",
        "/v2/notifications/email",
        key=key(emulator, "test", RATE_SERVICE),
        json_body={"email_address": "a@example.com", "template_id": PLAIN},
    )
    assert resp.json()["content"]["from_email"] == "my.service@notify.example.gov.uk"


# ---- email address syntax (§2.1) -----------------------------------------------------------

LABEL = "a" * 63
VALID_ADDRESSES = [
    "first.last@example.com",
    "a+b@example.co.uk",
    "x@sub-domain.example.com",
    "UPPER@EXAMPLE.COM",
    "o'brien@example.com",
    "{}|~`^#$%&*!/=?@example.com",
    "a@1.example.com",
    "a@a-b--c.example",
    "a@xn--bcher-kva.example",
    "a@b\u00fccher.example",  # IDNA-encoded before the label checks
    "a@\u0440\u0444.example",
    "a@example.xn--p1ai",
    " a@example.com\n",  # surrounding whitespace is stripped
    "a@exa\u200bmple.com",  # zero-width and full-width spaces are removed everywhere
    "a\u00a0@example.com",
    "a" * 308 + "@example.com",  # 320 characters
    f"a@{LABEL}.{LABEL}.{LABEL}.{'a' * 57}.com",  # a 253-character hostname
]
INVALID_ADDRESSES = [
    "a@b",
    "@example.com",
    "a@",
    "a@b@example.com",
    "a b@example.com",
    "a\n@example.com",
    "a@exa mple.com",
    "a@.example.com",
    "a@example..com",
    "a..b@example.com",
    "a@example.com.",
    "a@-example.com",
    "a@example-.com",
    "a@exa_mple.com",
    "\u00e9@example.com",
    '"a"@example.com',
    "a(b)@example.com",
    "a@[127.0.0.1]",
    "a@127.0.0.1",
    "a@example.c",
    "a@example.123",
    "a@example.co-uk",
    "a@example.xn--",
    f"a@{'a' * 64}.com",
    "a" * 309 + "@example.com",  # 321 characters
    f"a@{LABEL}.{LABEL}.{LABEL}.{'a' * 58}.com",  # a 254-character hostname
]


@pytest.mark.parametrize("address", VALID_ADDRESSES)
def test_valid_email_addresses_are_accepted(emu: NotifyEmulator, address: str) -> None:
    resp = post(emu, "test", email_address=address)
    assert resp.status_code == 201, resp.text


@pytest.mark.parametrize("address", INVALID_ADDRESSES)
def test_invalid_email_addresses_are_refused(emu: NotifyEmulator, address: str) -> None:
    resp = post(emu, "test", email_address=address)
    assert resp.status_code == 400
    assert errors(resp) == [("ValidationError", "email_address Not a valid email address")]


@pytest.mark.parametrize("other", ["sms", "letter"])
def test_rate_limit_bucket_is_shared_with_sms_and_letter_posts(
    emu: NotifyEmulator, other: str
) -> None:
    # §5.1: one bucket per service and key type, spent by sms, email and letter posts.
    api_key = key(emu, "live", RATE_SERVICE)
    resp = call(emu, "POST", f"/v2/notifications/{other}", key=api_key, json_body={})
    assert resp.status_code == 400  # spends the bucket's only token
    resp = post_raw(emu, api_key, b"{")
    assert resp.status_code == 429
    assert errors(resp)[0][0] == "RateLimitError"
    resp = call(emu, "POST", f"/v2/notifications/{other}", key=api_key, json_body={})
    assert resp.status_code == 429


def test_token_bucket_is_checked_before_the_daily_limit(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    config = {
        "services": [
            {
                "id": RATE_SERVICE,
                "rate_limit": 3,  # one token
                "email_message_limit": 1,
                "api_keys": keys(6),
                "templates": [template(PLAIN, "Plain", "Hello")],
            }
        ]
    }
    emulator = notify_emulator_factory(config=config)
    api_key = key(emulator, "live", RATE_SERVICE)
    body = f'{{"email_address":"a@example.com","template_id":"{PLAIN}"}}'.encode()
    assert post_raw(emulator, api_key, body).status_code == 201  # spends both limits
    resp = post_raw(emulator, api_key, body)
    assert resp.status_code == 429
    assert errors(resp) == [
        ("RateLimitError", "Exceeded rate limit for key type LIVE of 3 requests per 60 seconds")
    ]


# ---- JSON numbers (§2.2 step 3: Python's json parses any valid JSON) ----------------------


@pytest.mark.parametrize(
    "value", [1.0, -0.0, 1e20, 1 / 3, 1e-7, True, {"a": 1, "b": [1, "x"]}], ids=repr
)
def test_personalisation_values_render_as_python_str(emu: NotifyEmulator, value: Any) -> None:
    resp = post(emu, "test", template_id=FILL, personalisation={"x": value})
    assert resp.status_code == 201, resp.text
    assert resp.json()["content"]["body"] == str(value)


@pytest.mark.parametrize("value", [10**20, -(10**25)], ids=["1e20", "-1e25"])
def test_integers_beyond_64_bits_are_valid_json(emu: NotifyEmulator, value: int) -> None:
    resp = post(emu, "test", template_id=FILL, personalisation={"x": value})
    assert resp.status_code == 201, resp.text
    assert resp.json()["content"]["body"] == str(value)
    resp = post(emu, "test", reference=value)
    assert errors(resp) == [("ValidationError", f"reference {value} is not of type string")]


def raw_email(personalisation_x: str) -> bytes:
    """A request body whose personalisation value x is the raw JSON text given."""
    return (
        f'{{"email_address":"a@example.com","template_id":"{FILL}",'
        f'"personalisation":{{"x":{personalisation_x}}}}}'
    ).encode()


@pytest.mark.parametrize(
    ("literal", "text"), [("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf")]
)
def test_python_json_constants_are_accepted(emu: NotifyEmulator, literal: str, text: str) -> None:
    resp = post_raw(emu, key(emu, "test"), raw_email(literal))
    assert resp.status_code == 201, resp.text
    assert resp.json()["content"]["body"] == text


def test_duplicate_keys_keep_the_last_value_and_whitespace_is_ignored(emu: NotifyEmulator) -> None:
    body = b" \n\t" + raw_email('"first","x":"last"') + b"\r\n "
    resp = post_raw(emu, key(emu, "test"), body)
    assert resp.status_code == 201, resp.text
    assert resp.json()["content"]["body"] == "last"


def test_utf8_byte_order_mark_is_accepted(emu: NotifyEmulator) -> None:
    # json.loads(bytes) detects the encoding and accepts a UTF-8 BOM.
    resp = post_raw(emu, key(emu, "test"), b"\xef\xbb\xbf" + raw_email('"bom"'))
    assert resp.status_code == 201, resp.text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_bodies_are_accepted(emu: NotifyEmulator, encoding: str) -> None:
    body = raw_email('"wide \\u00e9"').decode().encode(encoding)
    resp = post_raw(emu, key(emu, "test"), body)
    assert resp.status_code == 201, resp.text
    assert resp.json()["content"]["body"] == "wide \u00e9"


def test_trailing_garbage_is_invalid_json(emu: NotifyEmulator) -> None:
    bad_request(
        post_raw(emu, key(emu, "test"), raw_email('"x"') + b" x"),
        "Invalid JSON supplied in POST data",
    )
