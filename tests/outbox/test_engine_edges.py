"""More engine behaviour against the emulator: revoked keys, tracking limits, the Celery task."""

from __future__ import annotations

import copy
import http.server
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import outbox, statuses
from django_govuk_notify_outbox.models import EmailEvent, EmailMessage, SyncLease
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import FAST, TEMPLATE_PLAIN, outbox_settings, reload, wait_for_lookups

pytestmark = pytest.mark.django_db

REVOKED_SECRET = "0f5e1f6a-9999-4a2b-8c3d-4e5f60718299"


def test_a_revoked_key_pauses_sending_until_a_working_key_is_configured(
    notify_emulator: Any, notify_emulator_factory: Any, settings: SettingsWrapper
) -> None:
    config = copy.deepcopy(notify_emulator.config())
    for name in ("host", "port"):
        config.pop(name, None)
    service = config["services"][0]
    for key in service["api_keys"]:
        key.pop("key", None)
    service["api_keys"].append(
        {"name": "old", "type": "test", "secret": REVOKED_SECRET, "revoked": True}
    )
    emulator = notify_emulator_factory(config=config)
    settings.GOVUK_NOTIFY_API_KEY = f"old-{service['id']}-{REVOKED_SECRET}"
    settings.GOVUK_NOTIFY_BASE_URL = emulator.base_url
    message = send_email_notification("r@example.gov.uk", TEMPLATE_PLAIN)
    summary = outbox.sync()
    assert summary.auth_paused
    lease = SyncLease.objects.get()
    assert "API key revoked" in lease.auth_paused_message
    assert REVOKED_SECRET not in lease.auth_paused_message
    stored = reload(message)
    assert stored.attempts == 0
    assert stored.status == statuses.SENDING_TO_NOTIFY
    assert "API key revoked" in stored.last_error
    settings.GOVUK_NOTIFY_API_KEY = emulator.api_key
    summary = outbox.sync()
    assert summary.accepted == 1
    assert not SyncLease.objects.get().auth_paused
    assert emulator.stats()["references"] == {reload(message).sent_reference: 1}


def test_a_final_email_is_never_polled(emulator: Any, settings: SettingsWrapper) -> None:
    message = send_email_notification("f@example.gov.uk", TEMPLATE_PLAIN)
    outbox.sync()
    notify_id = str(reload(message).notify_id)
    emulator.set_status(notify_id, "delivered")
    time.sleep(0.05)  # the first poll is due 10 ms after acceptance (test schedule)
    outbox.sync()
    assert reload(message).status == statuses.NOTIFY_DELIVERED
    polls_before = reload(message).polls
    by_id = emulator.stats()["requests"].get("GET /v2/notifications/{id}", {})
    for _ in range(3):
        outbox.sync()
    assert reload(message).polls == polls_before
    assert emulator.stats()["requests"].get("GET /v2/notifications/{id}", {}) == by_id


def test_tracking_stops_after_notifys_72_hour_limit(emulator: Any) -> None:
    message = send_email_notification("old@example.gov.uk", TEMPLATE_PLAIN)
    EmailMessage.objects.filter(pk=message.pk).update(
        status=statuses.NOTIFY_SENDING,
        notify_id=uuid.uuid4(),  # unknown to Notify: 404, but younger than retention
        sent_to_notify_at=timezone.now() - timedelta(hours=97),
        next_action_at=timezone.now(),
    )
    summary = outbox.sync()
    stored = reload(message)
    assert summary.tracking_stopped == 1
    assert stored.next_action_at is None
    assert stored.tracking_stopped
    assert stored.status == statuses.NOTIFY_SENDING
    assert EmailEvent.objects.filter(message=message, detail__contains="72-hour").exists()


def test_a_young_404_keeps_tracking(emulator: Any, settings: SettingsWrapper) -> None:
    outbox_settings(settings, POLL_SCHEDULE=[(3600, 30.0)])
    message = send_email_notification("young@example.gov.uk", TEMPLATE_PLAIN)
    EmailMessage.objects.filter(pk=message.pk).update(
        status=statuses.SENT_TO_NOTIFY,
        notify_id=uuid.uuid4(),
        sent_to_notify_at=timezone.now(),
        next_action_at=timezone.now(),
    )
    outbox.sync()
    stored = reload(message)
    assert stored.status == statuses.SENT_TO_NOTIFY
    assert stored.next_action_at is not None
    assert stored.next_action_at > timezone.now() + timedelta(seconds=20)
    assert "404" in stored.last_error


def test_response_bodies_in_events_are_truncated(emulator: Any, settings: SettingsWrapper) -> None:
    outbox_settings(settings, EVENT_BODY_LIMIT=60)
    message = send_email_notification("t@example.gov.uk", TEMPLATE_PLAIN)
    outbox.sync()
    post = EmailEvent.objects.get(message=message, method="POST")
    assert len(post.response_body) <= 60
    assert "[truncated]" in post.response_body


def test_the_celery_task_runs_the_engine(emulator: Any) -> None:
    pytest.importorskip("celery")
    from django_govuk_notify_outbox import tasks

    message = send_email_notification("c@example.gov.uk", TEMPLATE_PLAIN)
    result = tasks.sync.apply().get()
    assert result["ran"] is True
    assert result["accepted"] == 1
    assert reload(message).status not in statuses.TO_SEND


class Interrupted(Exception):
    pass


def test_an_interrupted_batch_is_recorded_as_unknown_and_the_run_ends(
    emulator: Any, settings: SettingsWrapper
) -> None:
    import signal

    outbox_settings(settings, TIMEOUT=5.0, LOOKUP_DELAY=5.5)
    emulator.faults(stall_rate=1.0, stall_ms=3000)
    messages = [send_email_notification(f"i{n}@example.gov.uk", TEMPLATE_PLAIN) for n in range(2)]

    def interrupt(signum: int, frame: Any) -> None:
        raise Interrupted("soft time limit")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(Interrupted):
            outbox.sync()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert SyncLease.objects.get().holder == ""  # the lease was released
    for message in messages:
        stored = reload(message)
        assert stored.status == statuses.RETRYING_SEND_TO_NOTIFY
        assert stored.outcome_unknown
        assert stored.attempt_started_at is None
        assert EmailEvent.objects.filter(message=message, kind="exception").exists()
    emulator.faults(stall_rate=0.0)
    time.sleep(5.6)  # the stalled requests have landed, and the look-up is due
    outbox.sync()
    counts = emulator.stats()["references"]
    for message in messages:
        stored = reload(message)
        assert stored.status not in statuses.TO_SEND
        assert counts[stored.sent_reference] == 1


def test_a_run_that_loses_its_lease_stops_before_the_next_chunk(
    emulator: Any, settings: SettingsWrapper
) -> None:
    from django_govuk_notify_outbox.signals import status_changed

    outbox_settings(settings, BATCH_SIZE=2, MAX_IN_FLIGHT=2)
    messages = [send_email_notification(f"l{n}@example.gov.uk", TEMPLATE_PLAIN) for n in range(6)]

    def steal_lease(**kwargs: Any) -> None:
        # Another host takes the lease while this run records its first chunk.
        SyncLease.objects.update(holder="other-host:1:thief")

    status_changed.connect(steal_lease)
    try:
        summary = outbox.sync()
    finally:
        status_changed.disconnect(steal_lease)
    # The chunk already in flight behind the first one completes; no chunk starts after.
    assert summary.accepted == 4
    untouched = EmailMessage.objects.filter(status=statuses.SENDING_TO_NOTIFY, attempts=0)
    assert untouched.count() == 2
    assert SyncLease.objects.get().holder == "other-host:1:thief"  # not released by the loser
    assert emulator.stats()["stored"] == 4
    assert len(messages) == 6


def test_a_failed_look_up_is_retried_later_and_nothing_is_resent_meanwhile(
    emulator: Any, settings: SettingsWrapper
) -> None:
    emulator.faults(drop_after_store_rate=1.0, seed=11)
    message = send_email_notification("lf@example.gov.uk", TEMPLATE_PLAIN)
    outbox.sync()  # stored at Notify, but the answer was lost
    emulator.faults(drop_after_store_rate=0.0, error_5xx_rate=1.0)
    wait_for_lookups()
    for _ in range(3):
        outbox.sync()  # every look-up fails with a 5xx
    stored = reload(message)
    assert stored.outcome_unknown
    assert stored.attempts == 1  # never resent while Notify could not be asked
    assert stored.last_error.startswith("Look-up failed")
    emulator.faults(error_5xx_rate=0.0)
    time.sleep(float(FAST["LOOKUP_DELAY"]) / 4 + 0.1)  # the next look-up falls due
    outbox.sync()
    stored = reload(message)
    assert stored.status not in statuses.TO_SEND
    assert stored.attempts == 1
    assert emulator.stats()["references"] == {stored.sent_reference: 1}


class _NotNotify(http.server.BaseHTTPRequestHandler):
    """A web server that is not Notify: 404 for every request (a wrong base URL)."""

    def _not_found(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b'{"message": "The requested URL was not found on the server.", "result": "error"}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _not_found

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_wrong_base_url_pauses_sending_instead_of_failing_every_email(
    emulator: Any, settings: SettingsWrapper
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotNotify)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.GOVUK_NOTIFY_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}"
        messages = [
            send_email_notification(f"u{n}@example.gov.uk", TEMPLATE_PLAIN) for n in range(3)
        ]
        summary = outbox.sync()
        assert summary.auth_paused
        assert "404" in SyncLease.objects.get().auth_paused_message
        for message in messages:
            stored = reload(message)
            assert stored.status == statuses.SENDING_TO_NOTIFY
            assert stored.attempts == 0
        assert outbox.sync().auth_paused  # the probe still gets a 404
    finally:
        server.shutdown()
        server.server_close()
    settings.GOVUK_NOTIFY_BASE_URL = emulator.base_url
    summary = outbox.sync()
    assert summary.accepted == 3
    assert not SyncLease.objects.get().auth_paused


def test_the_daily_limit_waits_for_midnight_utc_without_spending_attempts(
    notify_emulator: Any, notify_emulator_factory: Any, settings: SettingsWrapper
) -> None:
    config = copy.deepcopy(notify_emulator.config())
    for name in ("host", "port"):
        config.pop(name, None)
    service = config["services"][0]
    for key in service["api_keys"]:
        key.pop("key", None)
    service["email_message_limit"] = 2
    emulator = notify_emulator_factory(config=config)
    settings.GOVUK_NOTIFY_API_KEY = emulator.api_keys["live"]
    settings.GOVUK_NOTIFY_BASE_URL = emulator.base_url
    messages = [send_email_notification(f"d{n}@example.gov.uk", TEMPLATE_PLAIN) for n in range(3)]
    summary = outbox.sync()
    assert summary.accepted == 2
    limited = [reload(m) for m in messages if reload(m).status == statuses.RETRYING_SEND_TO_NOTIFY]
    assert len(limited) == 1
    (stored,) = limited
    assert stored.attempts == 0
    assert "Daily limit reached" in stored.last_error
    assert "TooManyRequestsError" in stored.last_error
    now = timezone.now()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert stored.next_action_at is not None
    assert midnight <= stored.next_action_at <= midnight + timedelta(seconds=60)


class _Hostile(http.server.BaseHTTPRequestHandler):
    """Answers every request 2xx with a body nested 100,000 levels deep."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b"[" * 100_000
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_poison_response_never_stops_the_line(emulator: Any, settings: SettingsWrapper) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.GOVUK_NOTIFY_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}"
        messages = [
            send_email_notification(f"p{n}@example.gov.uk", TEMPLATE_PLAIN) for n in range(3)
        ]
        summary = outbox.sync()  # no RecursionError: every run completes
        assert summary.sent == 3
        for message in messages:
            stored = reload(message)
            # Accepted, but its id cannot be read: an unknown outcome, looked up, never resent.
            assert stored.status == statuses.RETRYING_SEND_TO_NOTIFY
            assert stored.outcome_unknown
            assert "readable notification id" in stored.last_error
        wait_for_lookups()
        summary = outbox.sync()
        assert summary.looked_up == 3
        assert summary.lookup_failed == 3  # the look-up's answer cannot be read either
        assert all(reload(m).outcome_unknown for m in messages)
        assert all(reload(m).attempts == 1 for m in messages)
    finally:
        server.shutdown()
        server.server_close()
