"""POST /v2/notifications/email through real HTTP, in the order of notify-api.md §2.2."""

from __future__ import annotations

import json
import time

import requests

from govuk_notify_emulator import (
    DEFAULT_REPLY_TO_ID,
    DEFAULT_SERVICE_ID,
    TEMPLATE_ARCHIVED,
    TEMPLATE_CONDITIONAL,
    TEMPLATE_LIST,
    TEMPLATE_PLAIN,
    TEMPLATE_SMS,
    TEMPLATE_WELCOME,
    NotifyEmulator,
)
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

from .helpers import call, errors, send, token

NOTIFY_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Content-Type,Authorization",
    "Access-Control-Allow-Methods": "GET,PUT,POST,DELETE",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Permitted-Cross-Domain-Policies": "none",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "Cache-Control": "no-store, no-cache, private, must-revalidate",
    "Content-Type": "application/json",
}


def test_created_response_has_notify_shape_and_url_root_from_host(
    notify_emulator: NotifyEmulator,
) -> None:
    resp = call(
        notify_emulator,
        "POST",
        "/v2/notifications/email",
        json_body={
            "email_address": "  Someone@Example.com ",
            "template_id": TEMPLATE_WELCOME,
            "personalisation": {"Name": "Ann", "reference number": "R-1"},
            "reference": "my-ref",
            "one_click_unsubscribe_url": "https://example.com/unsub",
        },
        headers={"Host": "localhost:1234"},
    )
    assert resp.status_code == 201
    body = resp.json()
    nid = body["id"]
    assert body == {
        "content": {
            "body": "Dear Ann,\n\nYour reference is R-1.\n\nThanks",
            "from_email": "emulated.service@notifications.service.gov.uk",
            "one_click_unsubscribe_url": "https://example.com/unsub",
            "subject": "Hello Ann",
        },
        "id": nid,
        "reference": "my-ref",
        "sanitised_content": {},
        "scheduled_for": None,
        "template": {
            "id": TEMPLATE_WELCOME,
            "uri": f"http://localhost:1234/services/{DEFAULT_SERVICE_ID}/templates/{TEMPLATE_WELCOME}",
            "version": 1,
        },
        "uri": f"http://localhost:1234/v2/notifications/{nid}",
    }
    for name, value in NOTIFY_HEADERS.items():
        assert resp.headers[name] == value
    assert "Retry-After" not in resp.headers


def test_json_is_compact_sorted_ascii_with_trailing_newline(
    notify_emulator: NotifyEmulator,
) -> None:
    resp = send(
        notify_emulator,
        template_id=TEMPLATE_WELCOME,
        personalisation={"name": "Zoë \u2019", "reference_number": "\x7f"},
    )
    assert resp.status_code == 201
    parsed = resp.json()
    expected = json.dumps(parsed, separators=(",", ":"), sort_keys=True, ensure_ascii=True) + "\n"
    assert resp.text == expected
    assert "\\u2019" in resp.text
    assert "\\u00eb" in resp.text


def test_invalid_json_and_empty_body(notify_emulator: NotifyEmulator) -> None:
    for data in (b"", b"{not json", b"\xff\xfe{}"):
        resp = call(notify_emulator, "POST", "/v2/notifications/email", data=data)
        assert resp.status_code == 400
        assert errors(resp) == [("BadRequestError", "Invalid JSON supplied in POST data")]


def test_schema_errors_are_all_listed(notify_emulator: NotifyEmulator) -> None:
    resp = call(notify_emulator, "POST", "/v2/notifications/email", json_body={"template": 1})
    assert resp.status_code == 400
    got = errors(resp)
    assert ("ValidationError", "email_address is a required property") in got
    assert ("ValidationError", "template_id is a required property") in got
    assert (
        "ValidationError",
        "Additional properties are not allowed (template was unexpected)",
    ) in got


def test_bad_email_and_template_id(notify_emulator: NotifyEmulator) -> None:
    resp = send(notify_emulator, email_address="not-an-email", template_id="nope")
    assert sorted(errors(resp)) == [
        ("ValidationError", "email_address Not a valid email address"),
        ("ValidationError", "template_id is not a valid UUID"),
    ]


def test_template_errors(notify_emulator: NotifyEmulator) -> None:
    assert errors(send(notify_emulator, template_id="00000000-0000-4000-8000-000000000000")) == [
        ("BadRequestError", "Template not found")
    ]
    assert errors(send(notify_emulator, template_id=TEMPLATE_SMS)) == [
        ("BadRequestError", "sms template is not suitable for email notification")
    ]
    assert errors(send(notify_emulator, template_id=TEMPLATE_ARCHIVED)) == [
        ("BadRequestError", "Template has been deleted")
    ]


def test_missing_personalisation_lists_names_subject_first(notify_emulator: NotifyEmulator) -> None:
    resp = send(notify_emulator, template_id=TEMPLATE_WELCOME, personalisation={"name": None})
    assert errors(resp) == [("BadRequestError", "Missing personalisation: name, reference_number")]


def test_conditional_and_list_placeholders(notify_emulator: NotifyEmulator) -> None:
    yes = send(
        notify_emulator,
        template_id=TEMPLATE_CONDITIONAL,
        personalisation={"name": "Ann", "has_account": True},
    ).json()
    no = send(
        notify_emulator,
        template_id=TEMPLATE_CONDITIONAL,
        personalisation={"name": "Ann", "has_account": False},
    ).json()
    assert "You already have an account." in yes["content"]["body"]
    assert "You already have an account." not in no["content"]["body"]
    listed = send(
        notify_emulator,
        template_id=TEMPLATE_LIST,
        personalisation={"items": ["apples", "pears"], "total": 2},
    ).json()
    assert "* apples\n* pears" in listed["content"]["body"]


def test_empty_message(notify_emulator_factory: EmulatorFactory) -> None:
    tid = "3c1e0000-0000-4000-8000-000000000001"
    emulator = notify_emulator_factory(
        config={
            "services": [
                {
                    "id": DEFAULT_SERVICE_ID,
                    "api_keys": [
                        {
                            "name": "t",
                            "type": "test",
                            "secret": "3c1e0000-0000-4000-8000-0000000000aa",
                        }
                    ],
                    "templates": [{"id": tid, "subject": "S", "body": "((x))"}],
                }
            ]
        }
    )
    resp = send(emulator, template_id=tid, personalisation={"x": " "})
    assert errors(resp) == [("BadRequestError", "Your message is empty.")]


def test_reply_to_id(notify_emulator: NotifyEmulator) -> None:
    assert send(notify_emulator, email_reply_to_id=DEFAULT_REPLY_TO_ID).status_code == 201
    unknown = "aaaaaaaa-0000-4000-8000-000000000000"
    assert errors(send(notify_emulator, email_reply_to_id=unknown)) == [
        (
            "BadRequestError",
            f"email_reply_to_id {unknown} does not exist in database for service id "
            f"{DEFAULT_SERVICE_ID}",
        )
    ]


def test_team_key_only_sends_to_team_and_guest_list(notify_emulator: NotifyEmulator) -> None:
    team = notify_emulator.api_keys["team"]
    resp = send(notify_emulator, key=team, email_address="stranger@example.com")
    assert errors(resp) == [
        ("BadRequestError", "Can\u2019t send to this recipient using a team-only API key")
    ]
    assert "Can\\u2019t" in resp.text
    assert (
        send(notify_emulator, key=team, email_address="Team.Member@example.com").status_code == 201
    )
    assert send(notify_emulator, key=team, email_address="guest@example.com").status_code == 201


def test_live_key_on_trial_service(notify_emulator_factory: EmulatorFactory) -> None:
    sid = "7a000000-0000-4000-8000-000000000001"
    secret = "7a000000-0000-4000-8000-0000000000aa"
    emulator = notify_emulator_factory(
        config={
            "services": [
                {
                    "id": sid,
                    "restricted": True,
                    "team_members": ["me@example.com"],
                    "api_keys": [{"name": "live", "type": "live", "secret": secret}],
                    "templates": [{"id": TEMPLATE_PLAIN, "subject": "S", "body": "B"}],
                }
            ]
        }
    )
    key = f"live-{sid}-{secret}"
    assert errors(send(emulator, key=key, email_address="x@example.com")) == [
        (
            "BadRequestError",
            "Can\u2019t send to this recipient when service is in trial mode \u2013 see "
            "https://www.notifications.service.gov.uk/trial-mode",
        )
    ]
    assert send(emulator, key=key, email_address="me@example.com").status_code == 201


def test_smoke_test_address_is_accepted_but_not_stored(notify_emulator: NotifyEmulator) -> None:
    resp = send(notify_emulator, email_address="simulate-delivered@notifications.service.gov.uk")
    assert resp.status_code == 201
    nid = resp.json()["id"]
    assert call(notify_emulator, "GET", f"/v2/notifications/{nid}").status_code == 404
    assert notify_emulator.notifications() == []


def test_message_over_2000000_bytes(notify_emulator: NotifyEmulator) -> None:
    big = "x" * 2_000_001
    resp = send(
        notify_emulator,
        template_id=TEMPLATE_WELCOME,
        personalisation={"name": "A", "reference_number": big},
    )
    size = len("Dear A,\n\nYour reference is .\n\nThanks") + len(big)
    assert errors(resp) == [
        (
            "BadRequestError",
            "Your message is too long. Emails cannot be longer than 2000000 bytes. "
            f"Your message is {size} bytes.",
        )
    ]


def _limited(factory: EmulatorFactory, **service: object) -> tuple[NotifyEmulator, dict[str, str]]:
    sid = "8b000000-0000-4000-8000-000000000001"
    keys = {
        "live": "8b000000-0000-4000-8000-0000000000a1",
        "test": "8b000000-0000-4000-8000-0000000000a3",
    }
    emulator = factory(
        config={
            "services": [
                {
                    "id": sid,
                    "api_keys": [{"name": k, "type": k, "secret": v} for k, v in keys.items()],
                    "templates": [{"id": TEMPLATE_PLAIN, "subject": "S", "body": "B"}],
                    **service,
                }
            ]
        }
    )
    return emulator, {k: f"{k}-{sid}-{v}" for k, v in keys.items()}


def test_rate_limit_per_key_type_even_for_invalid_requests(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator, keys = _limited(notify_emulator_factory, rate_limit=3)  # capacity 2
    assert send(emulator, key=keys["live"]).status_code == 201
    resp = call(emulator, "POST", "/v2/notifications/email", key=keys["live"], data=b"nonsense")
    assert resp.status_code == 429
    assert errors(resp) == [
        ("RateLimitError", "Exceeded rate limit for key type LIVE of 3 requests per 60 seconds")
    ]
    assert "Retry-After" not in resp.headers
    assert send(emulator, key=keys["test"]).status_code == 201  # its own bucket


def test_daily_limit_counts_live_but_not_test_keys(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator, keys = _limited(notify_emulator_factory, email_message_limit=2)
    assert send(emulator, key=keys["live"]).status_code == 201
    assert send(emulator, key=keys["live"]).status_code == 201
    resp = send(emulator, key=keys["live"])
    assert errors(resp) == [("TooManyRequestsError", "Exceeded send limits (email: 2) for today")]
    for _ in range(3):
        assert send(emulator, key=keys["test"]).status_code == 201


def test_one_token_is_reusable_within_its_window(notify_emulator: NotifyEmulator) -> None:
    t = token(notify_emulator.api_key)
    session = requests.Session()
    for _ in range(3):
        resp = session.post(
            notify_emulator.base_url + "/v2/notifications/email",
            json={"email_address": "a@example.com", "template_id": TEMPLATE_PLAIN},
            headers={"Authorization": f"Bearer {t}"},
            timeout=5,
        )
        assert resp.status_code == 201
    assert len(notify_emulator.notifications()) == 3
    time.sleep(0)


def test_sms_and_letter_posts_spend_the_same_rate_limit_bucket(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator, keys = _limited(notify_emulator_factory, rate_limit=6)  # capacity 3
    sms = call(emulator, "POST", "/v2/notifications/sms", key=keys["live"], json_body={})
    assert errors(sms) == [("BadRequestError", "Service is not allowed to send text messages")]
    letter = call(emulator, "POST", "/v2/notifications/letter", key=keys["live"], json_body={})
    assert errors(letter) == [("BadRequestError", "Service is not allowed to send letters")]
    resp = send(emulator, key=keys["live"])
    assert resp.status_code == 429
    assert errors(resp)[0][0] == "RateLimitError"
