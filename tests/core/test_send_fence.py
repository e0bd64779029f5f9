"""The fence for exactly-once delivery: a send-by deadline, a fixed iat, and
Notify's clock error classified as not_sent (docs/design.md §1)."""

from __future__ import annotations

import sys
import time

import pytest

from django_govuk_notify_outbox import _core
from django_govuk_notify_outbox.client import NotificationsAPIClient, Outcome
from django_govuk_notify_outbox.errors import HTTPError
from govuk_notify_emulator import NotifyEmulator

from .servers import API_KEY, TEMPLATE_ID, FakeNotify

DEADLINE_ERROR = "send-by deadline passed before the request started"
CLOCK_MESSAGE = "Error: Your system clock must be accurate to within 30 seconds"
EMULATOR_TEMPLATE = "f2a6c3b1-0004-4c1d-9e2f-3a4b5c6d7e04"  # no placeholders


def email(address: str) -> dict[str, object]:
    return {"email_address": address, "template_id": TEMPLATE_ID}


def test_not_after_is_on_the_clock_of_time_monotonic() -> None:
    if sys.platform.startswith("linux"):
        info = time.get_clock_info("monotonic")
        assert info.implementation == "clock_gettime(CLOCK_MONOTONIC)"
    before = time.monotonic()
    core = _core.monotonic()
    after = time.monotonic()
    assert before <= core <= after


def test_requests_whose_turn_comes_after_the_deadline_are_not_sent(notify: FakeNotify) -> None:
    # 60/min with a bucket of 1: the first request goes at once, the next
    # only about a second later, long after the deadline.
    client = NotificationsAPIClient(
        API_KEY, notify.url, rate_limit_per_minute=60, rate_limit_burst=1
    )
    results = client.send_email_notifications(
        [email(f"u{i}@example.com") for i in range(3)], not_after=time.monotonic() + 0.5
    )
    assert [r.outcome for r in results] == [Outcome.ACCEPTED, Outcome.NOT_SENT, Outcome.NOT_SENT]
    assert [r.status_code for r in results[1:]] == [None, None]
    assert [r.error for r in results[1:]] == [DEADLINE_ERROR, DEADLINE_ERROR]
    assert [r.body for r in results[1:]] == [b"", b""]
    received = [rec for rec in notify.requests if rec.method == "POST"]
    assert [rec.body for rec in received] == [
        b'{"email_address": "u0@example.com", "template_id": "' + TEMPLATE_ID.encode() + b'"}'
    ]


def test_a_request_waiting_for_an_in_flight_slot_past_the_deadline_is_not_sent(
    notify: FakeNotify,
) -> None:
    notify.answer("/slow", 200, b"{}", delay=0.6)
    client = NotificationsAPIClient(API_KEY, notify.url, max_in_flight=1)
    results = client.request_many(
        [("GET", "/slow", None), ("GET", "/slow", None), ("GET", "/v2/templates", None)],
        not_after=time.monotonic() + 0.3,
    )
    # The first was started before the deadline and is not affected by it.
    assert [r.outcome for r in results] == [Outcome.ACCEPTED, Outcome.NOT_SENT, Outcome.NOT_SENT]
    assert all(r.error == DEADLINE_ERROR for r in results[1:])
    assert [rec.path for rec in notify.requests] == ["/slow"]


def test_a_deadline_already_passed_sends_nothing_and_no_deadline_changes_nothing(
    notify: FakeNotify,
) -> None:
    client = NotificationsAPIClient(API_KEY, notify.url)
    ids = ["0f0f0f0f-0000-4000-8000-000000000000"] * 3
    results = client.get_notifications_by_ids(ids, not_after=time.monotonic() - 1)
    assert {(r.outcome, r.status_code, r.error) for r in results} == {
        (Outcome.NOT_SENT, None, DEADLINE_ERROR)
    }
    assert notify.requests == []
    results = client.get_notifications_by_ids(ids, not_after=None)
    assert {r.status_code for r in results} == {404}
    assert len(notify.requests) == 3


def test_every_request_of_a_batch_is_signed_with_the_given_iat(notify: FakeNotify) -> None:
    client = NotificationsAPIClient(API_KEY, notify.url)
    iat = int(time.time()) - 7
    results = client.request_many(
        [("GET", "/v2/templates", None), ("POST", "/v2/notifications/email", email("a@b.com"))],
        iat=iat,
    )
    assert [r.outcome for r in results] == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    results = client.get_notifications_by_ids(["x"], iat=iat + 1)
    assert results[0].status_code == 400
    claims = [rec.claims for rec in notify.requests]
    assert claims == [
        {"iss": "26785a09-ab16-4eb0-8407-a37497a57506", "iat": iat},
        {"iss": "26785a09-ab16-4eb0-8407-a37497a57506", "iat": iat},
        {"iss": "26785a09-ab16-4eb0-8407-a37497a57506", "iat": iat + 1},
    ]
    # Without iat, the current time is used.
    before = int(time.time())
    client.send_email_notifications([email("b@b.com")])
    after = int(time.time())
    last = notify.requests[-1].claims
    assert last is not None
    assert before <= last["iat"] <= after


def test_bad_iat_and_not_after_are_refused_naming_the_argument(notify: FakeNotify) -> None:
    client = NotificationsAPIClient(API_KEY, notify.url)
    with pytest.raises(TypeError, match="iat"):
        client.request_many([("GET", "/v2/templates", None)], iat="now")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="iat"):
        client.request_many([("GET", "/v2/templates", None)], iat=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="iat"):
        client.request_many([("GET", "/v2/templates", None)], iat=-1)
    with pytest.raises(TypeError, match="not_after"):
        client.request_many([("GET", "/v2/templates", None)], not_after="soon")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not_after"):
        client.request_many([("GET", "/v2/templates", None)], not_after=float("nan"))
    assert notify.requests == []


def test_notifys_clock_error_is_not_sent_and_nothing_is_stored(
    notify_emulator: NotifyEmulator,
) -> None:
    client = NotificationsAPIClient(notify_emulator.api_keys["live"], notify_emulator.base_url)
    fields = {"email_address": "clock@example.com", "template_id": EMULATOR_TEMPLATE}
    (skewed,) = client.send_email_notifications([fields], iat=int(time.time()) - 40)
    assert skewed.outcome == Outcome.NOT_SENT
    assert skewed.status_code == 403
    assert skewed.json() == {
        "errors": [{"error": "AuthError", "message": CLOCK_MESSAGE}],
        "status_code": 403,
    }
    assert notify_emulator.notifications() == []
    # Any other 403 stays rejected.
    bad_key = client_with_wrong_secret(notify_emulator)
    (wrong,) = bad_key.send_email_notifications([fields])
    assert (wrong.outcome, wrong.status_code) == (Outcome.REJECTED, 403)
    # The control: the same request with the current time is accepted.
    (ok,) = client.send_email_notifications([fields])
    assert ok.outcome == Outcome.ACCEPTED
    assert len(notify_emulator.notifications()) == 1


def test_the_drop_in_client_raises_the_clock_error_with_outcome_not_sent(
    notify_emulator: NotifyEmulator,
) -> None:
    client = NotificationsAPIClient(notify_emulator.api_keys["live"], notify_emulator.base_url)
    results = client.request_many([("GET", "/v2/notifications", None)], iat=int(time.time()) + 40)
    assert [(r.outcome, r.status_code) for r in results] == [(Outcome.NOT_SENT, 403)]
    # The single-request method raises the official client's HTTPError for it.
    with pytest.raises(HTTPError) as excinfo:
        client._process("GET", notify_emulator.base_url + "/v2/notifications", results[0])
    assert excinfo.value.status_code == 403
    assert excinfo.value.outcome == "not_sent"
    assert excinfo.value.message == [{"error": "AuthError", "message": CLOCK_MESSAGE}]


def client_with_wrong_secret(emulator: NotifyEmulator) -> NotificationsAPIClient:
    key = emulator.api_keys["live"]
    wrong = key[:-12] + ("0" * 12 if not key.endswith("0" * 12) else "1" * 12)
    return NotificationsAPIClient(wrong, emulator.base_url)
