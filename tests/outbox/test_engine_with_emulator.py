"""The engine against the Notify emulator: sending, outcomes, faults, look-ups, polling.

The invariant checked throughout: every email ends up at Notify exactly once
(the emulator's per-reference counts), whatever faults it injects.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import outbox, statuses
from django_govuk_notify_outbox.client import NotificationsAPIClient
from django_govuk_notify_outbox.models import EmailEvent, EmailMessage, SyncLease
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import (
    FAST,
    TEMPLATE_ARCHIVED,
    TEMPLATE_PLAIN,
    TEMPLATE_WELCOME,
    outbox_settings,
    reload,
    sync_until_settled,
    wait_for_lookups,
)

pytestmark = pytest.mark.django_db


def queue(n: int, **kwargs: Any) -> list[EmailMessage]:
    return [
        send_email_notification(
            kwargs.get("email_address", f"person{i}@example.gov.uk"),
            kwargs.get("template_id", TEMPLATE_WELCOME),
            personalisation=kwargs.get(
                "personalisation", {"name": f"Person {i}", "reference_number": str(i)}
            ),
            reference=kwargs.get("reference"),
        )
        for i in range(n)
    ]


def references(emulator: Any) -> dict[str, int]:
    return dict(emulator.stats().get("references", {}))


def assert_each_sent_exactly_once(emulator: Any, messages: list[EmailMessage]) -> None:
    counts = references(emulator)
    for message in messages:
        stored = reload(message)
        assert stored.status not in statuses.TO_SEND, (stored.status, stored.last_error)
        assert stored.status != statuses.FAILED_SEND_TO_NOTIFY, stored.last_error
        assert counts.get(stored.sent_reference) == 1, stored.sent_reference
        assert stored.notify_id is not None
    ids = {str(n["id"]) for n in emulator.notifications()}
    assert {str(reload(m).notify_id) for m in messages} <= ids


def wait_for_connections(emulator: Any, *, accepted: bool, timeout: float = 10.0) -> None:
    """Wait until the emulator's port accepts (or refuses) TCP connections."""
    parts = urlsplit(emulator.base_url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((parts.hostname, parts.port), timeout=1):
                if accepted:
                    return
        except OSError:
            if not accepted:
                return
        assert time.monotonic() < deadline, "the emulator never changed"
        time.sleep(0.02)


def run_until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        outbox.sync()
        time.sleep(0.05)


def test_emails_are_sent_once_and_tracked_to_delivered(emulator: Any) -> None:
    messages = queue(5)
    summary = outbox.sync()
    assert summary.ran
    assert summary.accepted == 5
    for message in messages:
        stored = reload(message)
        assert stored.status in (statuses.SENT_TO_NOTIFY, *statuses.TRACKED, *statuses.FINAL)
        assert stored.attempts == 1
        assert stored.attempt_started_at is None
        assert stored.sent_to_notify_at is not None
    assert_each_sent_exactly_once(emulator, messages)
    run_until(lambda: all(reload(m).status == statuses.NOTIFY_DELIVERED for m in messages))
    delivered = reload(messages[0])
    assert delivered.next_action_at is None
    assert delivered.completed_at is not None
    # One event per HTTP exchange, each carrying the status change it caused.
    events = list(EmailEvent.objects.filter(message=delivered))
    assert {e.kind for e in events} == {"http"}
    entered = [e.to_status for e in events if e.to_status]
    assert entered[0] == statuses.SENT_TO_NOTIFY
    assert entered[-1] == statuses.NOTIFY_DELIVERED
    assert events[0].from_status == statuses.SENDING_TO_NOTIFY


def test_simulator_addresses_end_in_temporary_and_permanent_failure(emulator: Any) -> None:
    temp = send_email_notification("temp-fail@simulator.notify", TEMPLATE_PLAIN)
    perm = send_email_notification("perm-fail@simulator.notify", TEMPLATE_PLAIN)
    run_until(
        lambda: (
            reload(temp).status == statuses.NOTIFY_TEMPORARY_FAILURE
            and reload(perm).status == statuses.NOTIFY_PERMANENT_FAILURE
        )
    )


def test_a_rejected_email_fails_with_notifys_message(emulator: Any) -> None:
    archived = send_email_notification("a@example.gov.uk", TEMPLATE_ARCHIVED, {"name": "x"})
    missing = send_email_notification("b@example.gov.uk", TEMPLATE_WELCOME)  # no personalisation
    unknown_template = send_email_notification("c@example.gov.uk", str(uuid.uuid4()))
    outbox.sync()
    for message, text in [
        (archived, "Template has been deleted"),
        (missing, "Missing personalisation"),
        (unknown_template, "Template not found"),
    ]:
        stored = reload(message)
        assert stored.status == statuses.FAILED_SEND_TO_NOTIFY
        assert text in stored.last_error
        assert stored.next_action_at is None
        assert stored.attempts == 1
    assert emulator.stats().get("stored", 0) == 0


def test_a_rolled_back_transaction_sends_nothing(emulator: Any) -> None:
    def view() -> None:
        with transaction.atomic():
            queue(1)
            raise RuntimeError("the caller's view failed")

    with pytest.raises(RuntimeError):
        view()
    outbox.sync()
    assert emulator.notifications() == []


def test_dropped_connections_after_storing_never_duplicate(
    emulator: Any, settings: SettingsWrapper
) -> None:
    emulator.faults(drop_after_store_rate=1.0, seed=1)
    messages = queue(6)
    summary = outbox.sync()
    assert summary.unknown == 6
    for message in messages:
        stored = reload(message)
        assert stored.status == statuses.RETRYING_SEND_TO_NOTIFY
        assert stored.outcome_unknown
    emulator.faults(drop_after_store_rate=0.0)
    sync_until_settled()
    assert_each_sent_exactly_once(emulator, messages)
    assert all(reload(m).attempts == 1 for m in messages)  # adopted, not resent
    assert EmailEvent.objects.filter(detail="look-up: found at Notify; adopted").count() == 6


def test_stalled_responses_time_out_as_unknown_and_the_look_up_adopts(
    emulator: Any, settings: SettingsWrapper
) -> None:
    outbox_settings(settings, TIMEOUT=1.0)
    emulator.faults(stall_rate=1.0, stall_ms=2500, seed=2)
    messages = queue(3)
    summary = outbox.sync()
    assert summary.unknown == 3
    emulator.faults(stall_rate=0.0)
    sync_until_settled()
    assert_each_sent_exactly_once(emulator, messages)


def test_the_look_up_waits_for_the_lookup_delay(emulator: Any, settings: SettingsWrapper) -> None:
    outbox_settings(settings, LOOKUP_DELAY=3.5)
    emulator.faults(drop_after_store_rate=1.0, seed=3)
    (message,) = queue(1)
    outbox.sync()
    emulator.faults(drop_after_store_rate=0.0)
    before = reload(message)
    assert before.outcome_unknown
    assert before.next_action_at is not None
    assert before.last_attempt_at is not None
    assert before.next_action_at >= before.last_attempt_at + timedelta(seconds=3.5)
    summary = outbox.sync()
    assert summary.looked_up == 0  # too early: nothing asked, nothing resent
    time.sleep(3.6)
    summary = outbox.sync()
    assert summary.looked_up == 1
    assert summary.adopted == 1
    assert_each_sent_exactly_once(emulator, [message])


def test_unknown_outcome_not_found_at_notify_is_resent_once(
    emulator: Any, settings: SettingsWrapper
) -> None:
    emulator.faults(error_5xx_rate=1.0, seed=4)
    messages = queue(4)
    outbox.sync()
    assert all(reload(m).outcome_unknown for m in messages)
    emulator.faults(error_5xx_rate=0.0)
    wait_for_lookups()
    summary = outbox.sync()
    assert summary.looked_up == 4
    assert summary.adopted == 0
    assert summary.accepted == 4
    assert_each_sent_exactly_once(emulator, messages)
    assert all(reload(m).attempts == 2 for m in messages)


def test_a_storm_of_5xx_drops_and_429s_still_sends_each_email_exactly_once(
    emulator: Any, settings: SettingsWrapper
) -> None:
    outbox_settings(settings, MAX_ATTEMPTS=50)
    emulator.faults(error_5xx_rate=0.25, error_429_rate=0.2, drop_after_store_rate=0.2, seed=5)
    messages = queue(40)
    for _ in range(12):
        outbox.sync()
    emulator.faults(error_5xx_rate=0.0, error_429_rate=0.0, drop_after_store_rate=0.0)
    sync_until_settled()
    assert_each_sent_exactly_once(emulator, messages)


def test_throttling_is_retried_with_backoff_until_max_attempts(
    emulator: Any, settings: SettingsWrapper
) -> None:
    outbox_settings(settings, MAX_ATTEMPTS=3)
    emulator.faults(error_429_rate=1.0, seed=6)
    (message,) = queue(1)
    summary = outbox.sync()
    assert summary.retrying == 1
    assert reload(message).attempts == 1  # one attempt per run, whatever the back-off
    for _ in range(4):
        outbox.sync()
    stored = reload(message)
    assert stored.status == statuses.FAILED_SEND_TO_NOTIFY
    assert stored.attempts == 3
    assert "Gave up after 3 attempts" in stored.last_error
    assert "429" in stored.last_error
    assert emulator.notifications() == []


def test_backoff_delays_the_next_attempt(emulator: Any, settings: SettingsWrapper) -> None:
    outbox_settings(settings, BACKOFF_BASE=60.0, BACKOFF_CAP=60.0)
    emulator.faults(error_429_rate=1.0, seed=7)
    (message,) = queue(1)
    before = timezone.now()
    outbox.sync()
    stored = reload(message)
    assert stored.status == statuses.RETRYING_SEND_TO_NOTIFY
    assert stored.attempts == 1  # only one attempt: the next is not due yet
    assert stored.next_action_at is not None
    assert before <= stored.next_action_at <= before + timedelta(seconds=61)
    assert not outbox.sync().ran or reload(message).attempts == 1


def test_an_email_older_than_max_age_fails_without_being_sent(
    emulator: Any, settings: SettingsWrapper
) -> None:
    outbox_settings(settings, MAX_AGE=60.0)
    (message,) = queue(1)
    EmailMessage.objects.filter(pk=message.pk).update(
        queued_at=timezone.now() - timedelta(seconds=61)
    )
    outbox.sync()
    stored = reload(message)
    assert stored.status == statuses.FAILED_SEND_TO_NOTIFY
    assert stored.attempts == 0
    assert "max age" not in stored.last_error or "within" in stored.last_error
    assert emulator.notifications() == []


def test_refused_connections_are_not_sent_and_are_resent(
    notify_emulator_factory: Any, settings: SettingsWrapper
) -> None:
    # A dedicated emulator: this one closes its listening socket.
    emulator = notify_emulator_factory()
    settings.GOVUK_NOTIFY_API_KEY = emulator.api_key
    settings.GOVUK_NOTIFY_BASE_URL = emulator.base_url
    messages = queue(3)
    emulator.faults(refuse_connections_ms=1500)
    wait_for_connections(emulator, accepted=False)
    time.sleep(0.3)  # the emulator closes kept-alive connections 100 ms after the listener
    summary = outbox.sync()
    assert summary.retrying == 3
    for message in messages:
        stored = reload(message)
        assert stored.status == statuses.RETRYING_SEND_TO_NOTIFY
        assert not stored.outcome_unknown  # nothing left: safe to resend at once
    wait_for_connections(emulator, accepted=True)
    sync_until_settled()
    assert_each_sent_exactly_once(emulator, messages)


def test_an_attempt_left_in_flight_by_a_dead_worker_is_looked_up_not_resent(
    emulator: Any,
) -> None:
    (message,) = queue(1)
    # The dead worker's request reached Notify; then it died before recording anything.
    client = NotificationsAPIClient(emulator.api_key, emulator.base_url)
    client.send_email_notification(
        message.email_address,
        str(message.template_id),
        personalisation=message.personalisation,
        reference=message.sent_reference,
    )
    # Its claim is older than LOOKUP_DELAY: no request of it can still reach Notify.
    started = timezone.now() - timedelta(seconds=float(FAST["LOOKUP_DELAY"]) + 1)
    EmailMessage.objects.filter(pk=message.pk).update(
        attempts=1,
        attempt_started_at=started,
        first_attempt_at=started,
        claim_token="dead-sender-claim",
        next_action_at=started + timedelta(seconds=float(FAST["LOOKUP_DELAY"])),
    )
    SyncLease.objects.create(
        pk=SyncLease.SINGLETON_ID, holder="dead:1:x", expires_at=timezone.now()
    )
    summary = outbox.sync()
    assert summary.recovered == 1
    assert summary.adopted == 1
    assert_each_sent_exactly_once(emulator, [message])


def test_a_callers_reference_is_matched_on_recipient_and_template_too(
    emulator: Any,
) -> None:
    shared = "case-2026-001"
    first = send_email_notification("one@example.gov.uk", TEMPLATE_PLAIN, reference=shared)
    second = send_email_notification("two@example.gov.uk", TEMPLATE_PLAIN, reference=shared)
    emulator.faults(drop_after_store_rate=1.0, seed=8)
    outbox.sync()
    emulator.faults(drop_after_store_rate=0.0)
    sync_until_settled()
    notifications = emulator.notifications()
    assert sorted(n["email_address"] for n in notifications) == [
        "one@example.gov.uk",
        "two@example.gov.uk",
    ]
    by_address = {n["email_address"]: n["id"] for n in notifications}
    assert str(reload(first).notify_id) == by_address["one@example.gov.uk"]
    assert str(reload(second).notify_id) == by_address["two@example.gov.uk"]


def test_a_wrong_api_key_pauses_sending_without_spending_attempts(
    emulator: Any, settings: SettingsWrapper
) -> None:
    good_key = settings.GOVUK_NOTIFY_API_KEY
    settings.GOVUK_NOTIFY_API_KEY = good_key[:-36] + str(uuid.uuid4())
    messages = queue(3)
    summary = outbox.sync()
    assert summary.auth_paused
    lease = SyncLease.objects.get()
    assert lease.auth_paused
    assert lease.auth_paused_since is not None
    assert "403" in lease.auth_paused_message
    assert good_key[-36:] not in lease.auth_paused_message
    for message in messages:
        stored = reload(message)
        assert stored.status == statuses.SENDING_TO_NOTIFY
        assert stored.attempts == 0
    assert EmailEvent.objects.filter(detail__startswith="Sending paused").count() == 1
    # Still wrong: nothing is sent, nothing spent.
    assert outbox.sync().auth_paused
    assert all(reload(m).attempts == 0 for m in messages)
    settings.GOVUK_NOTIFY_API_KEY = good_key
    summary = outbox.sync()
    assert not summary.auth_paused
    assert summary.accepted == 3
    assert not SyncLease.objects.get().auth_paused
    assert_each_sent_exactly_once(emulator, messages)


def test_the_list_endpoint_is_used_when_many_emails_are_due_a_poll(
    emulator: Any, settings: SettingsWrapper
) -> None:
    outbox_settings(settings, LIST_POLL_THRESHOLD=5, POLL_SCHEDULE=[(3600, 60.0)])
    messages = queue(8)
    outbox.sync()
    time.sleep(0.5)
    EmailMessage.objects.update(next_action_at=timezone.now())
    before = emulator.stats()["requests"]
    summary = outbox.sync()
    after = emulator.stats()["requests"]
    assert summary.polled == 8
    by_id = sum(after.get("GET /v2/notifications/{id}", {}).values()) - sum(
        before.get("GET /v2/notifications/{id}", {}).values()
    )
    listing = sum(after.get("GET /v2/notifications", {}).values()) - sum(
        before.get("GET /v2/notifications", {}).values()
    )
    assert by_id == 0
    assert 1 <= listing <= 2
    assert all(reload(m).polls == 1 for m in messages)


def test_the_list_poll_reads_the_oldest_due_emails_not_the_newest_end_of_the_list(
    emulator: Any, settings: SettingsWrapper
) -> None:
    # One list page (250) per run; 300 emails accepted, only the 12 oldest due a poll:
    # the page must start just above them, not at the newest end of Notify's list.
    outbox_settings(
        settings,
        LIST_POLL_THRESHOLD=5,
        LIST_POLL_MAX_PAGES=1,
        POLL_SCHEDULE=[(3600, 3600.0)],
        BATCH_SIZE=50,
        MAX_IN_FLIGHT=50,
    )
    messages = queue(300)
    sync_until_settled()
    assert not EmailMessage.objects.exclude(status=statuses.SENT_TO_NOTIFY).exists()
    oldest = [m.pk for m in messages[:12]]
    EmailMessage.objects.filter(pk__in=oldest).update(next_action_at=timezone.now())
    before = emulator.stats()["requests"]
    summary = outbox.sync()
    after = emulator.stats()["requests"]

    def count(route: str) -> int:
        return int(sum(after.get(route, {}).values()) - sum(before.get(route, {}).values()))

    assert summary.polled == 12
    assert count("GET /v2/notifications/{id}") == 0
    assert count("GET /v2/notifications") == 1
    assert {reload(m).polls for m in messages[:12]} == {1}
    assert {reload(m).polls for m in messages[12:]} == {0}


def test_a_404_past_retention_ends_tracking_without_failing(emulator: Any) -> None:
    (message,) = queue(1)
    long_ago = timezone.now() - timedelta(days=8)
    EmailMessage.objects.filter(pk=message.pk).update(
        status=statuses.NOTIFY_SENDING,
        notify_id=uuid.uuid4(),
        sent_to_notify_at=long_ago,
        next_action_at=timezone.now(),
    )
    summary = outbox.sync()
    stored = reload(message)
    assert summary.tracking_stopped == 1
    assert stored.status == statuses.NOTIFY_SENDING
    assert stored.next_action_at is None
    assert stored.tracking_stopped
    assert EmailEvent.objects.filter(message=message, detail__contains="retention").exists()


def test_events_never_hold_personalisation_by_default(emulator: Any) -> None:
    (message,) = queue(1, personalisation={"name": "Zaphod Secret", "reference_number": "42"})
    run_until(lambda: reload(message).status == statuses.NOTIFY_DELIVERED)
    for event in EmailEvent.objects.filter(message=message):
        for text in (event.request_body, event.response_body, event.detail):
            assert "Zaphod" not in text
    post = EmailEvent.objects.get(message=message, method="POST")
    assert post.http_status == 201
    assert json.loads(post.request_body)["personalisation"] == "(hidden: 2 keys)"


def test_personalisation_is_recorded_when_the_setting_allows(
    emulator: Any, settings: SettingsWrapper
) -> None:
    outbox_settings(settings, SHOW_PERSONALISATION_IN_ADMIN=True)
    (message,) = queue(1, personalisation={"name": "Zaphod Secret", "reference_number": "42"})
    outbox.sync()
    post = EmailEvent.objects.get(message=message, method="POST")
    assert "Zaphod Secret" in post.request_body


def test_api_key_never_appears_in_events(emulator: Any, settings: SettingsWrapper) -> None:
    queue(2)
    run_until(lambda: not EmailMessage.objects.filter(next_action_at__isnull=False).exists())
    secret = settings.GOVUK_NOTIFY_API_KEY[-36:]
    for event in EmailEvent.objects.all():
        for value in vars(event).values():
            assert secret not in str(value)


def test_a_high_priority_email_overtakes_queued_bulk_ones(
    emulator: Any, settings: SettingsWrapper
) -> None:
    outbox_settings(settings, BATCH_SIZE=10, MAX_IN_FLIGHT=10)
    bulk = [
        send_email_notification(f"bulk{n}@example.gov.uk", TEMPLATE_PLAIN, priority="bulk")
        for n in range(40)
    ]
    normal = send_email_notification("normal@example.gov.uk", TEMPLATE_PLAIN)
    high = send_email_notification("reset@example.gov.uk", TEMPLATE_PLAIN, priority="high")
    outbox.sync()
    # Notify's list is newest first. Queued last, the high and normal emails went in the
    # first chunk of ten (its requests are concurrent, so their order within it is not).
    created = [n["email_address"] for n in reversed(emulator.notifications())]
    assert {high.email_address, normal.email_address} <= set(created[:10])
    assert len(created) == len(bulk) + 2
