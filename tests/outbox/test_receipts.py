"""Notify's delivery-status callbacks: authenticated before parsing, validated, applied
through the one writer (idempotent, never backwards), with polling as the fallback."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import conf, outbox, statuses
from django_govuk_notify_outbox.engine import decide
from django_govuk_notify_outbox.models import EmailEvent, EmailMessage, UnmatchedReceipt
from django_govuk_notify_outbox.utils import send_email_notification
from govuk_notify_emulator import DEFAULT_SERVICE_ID, TEMPLATE_PLAIN

from .conftest import database_is_shared, outbox_settings, reload

TOKEN = "receipts-bearer-token-0123"
SECRET = "c0000000-0000-4000-8000-0000000000b7"
URL = "/notify/callback"


@pytest.fixture
def receipts_on(settings: SettingsWrapper) -> None:
    # Polls only long after acceptance: a status seen here came by receipt.
    outbox_settings(settings, CALLBACK_BEARER_TOKEN=TOKEN, RECEIPT_POLL_FALLBACK=3600.0)


def post(body: Any, token: str | None = TOKEN, raw: bytes | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    data = raw if raw is not None else json.dumps(body).encode()
    return Client().post(URL, data=data, content_type="application/json", headers=headers)


def receipt(
    notify_id: Any, status: str = "delivered", reference: str | None = None
) -> dict[str, Any]:
    return {
        "id": str(notify_id),
        "reference": reference,
        "to": "ada@example.gov.uk",
        "status": status,
        "created_at": "2026-12-01T12:00:00.000000Z",
        "completed_at": "2026-12-01T12:00:03.000000Z",
        "sent_at": "2026-12-01T12:00:01.000000Z",
        "notification_type": "email",
        "template_id": TEMPLATE_PLAIN,
        "template_version": 1,
    }


def tracked(status: str = statuses.SENT_TO_NOTIFY) -> EmailMessage:
    message = send_email_notification("ada@example.gov.uk", TEMPLATE_PLAIN)
    EmailMessage.objects.filter(pk=message.pk).update(
        status=status, notify_id=uuid.uuid4(), next_action_at=None
    )
    return reload(message)


@pytest.mark.django_db
@pytest.mark.usefixtures("receipts_on")
class TestTheCallbackView:
    def test_no_token_is_401_and_nothing_is_parsed(self) -> None:
        response = post(None, token=None, raw=b"{not json")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"

    def test_a_wrong_token_is_403_and_nothing_is_recorded(self) -> None:
        message = tracked()
        assert post(receipt(message.notify_id), token=TOKEN + "x").status_code == 403
        assert post(receipt(message.notify_id), token="").status_code in (401, 403)
        assert reload(message).status == statuses.SENT_TO_NOTIFY
        assert not UnmatchedReceipt.objects.exists()

    def test_receipts_are_refused_when_no_token_is_configured(
        self, settings: SettingsWrapper
    ) -> None:
        outbox_settings(settings, CALLBACK_BEARER_TOKEN=None)
        assert post(receipt(uuid.uuid4())).status_code == 403

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"status": "bogus"}, "status"),
            ({"id": "not-a-uuid"}, "id"),
            ({"id": None}, "id"),
            ({"completed_at": 5}, "completed_at"),
        ],
    )
    def test_a_bad_body_is_400_naming_the_field(self, change: dict[str, Any], field: str) -> None:
        response = post({**receipt(uuid.uuid4()), **change})
        assert response.status_code == 400
        assert response.json()["error"].startswith(field)

    def test_an_unknown_notification_is_answered_200_and_recorded(self) -> None:
        notify_id = uuid.uuid4()
        response = post(receipt(notify_id, "permanent-failure", reference="theirs"))
        assert response.status_code == 200
        row = UnmatchedReceipt.objects.get()
        assert row.notify_id == notify_id
        assert row.status == "permanent-failure"

    def test_a_receipt_is_applied_once_and_never_backwards(self) -> None:
        message = tracked()
        assert post(receipt(message.notify_id, "delivered")).status_code == 200
        stored = reload(message)
        assert stored.status == statuses.NOTIFY_DELIVERED
        assert stored.next_action_at is None
        assert stored.last_receipt_at is not None
        # Repeated, and an older or contradicting update: recorded, nothing changes.
        for status in ("delivered", "temporary-failure"):
            assert post(receipt(message.notify_id, status)).status_code == 200
            assert reload(message).status == statuses.NOTIFY_DELIVERED
        events = EmailEvent.objects.filter(message=message, kind="receipt")
        assert events.count() == 3
        assert [e.to_status for e in events] == [statuses.NOTIFY_DELIVERED, "", ""]

    def test_a_complaint_is_recorded_on_its_email(self) -> None:
        message = tracked(statuses.NOTIFY_DELIVERED)
        body = {
            "notification_id": str(message.notify_id),
            "complaint_id": str(uuid.uuid4()),
            "reference": None,
            "to": "ada@example.gov.uk",
            "complaint_date": "2026-12-01T13:00:00.000000Z",
        }
        assert post(body).status_code == 200
        event = EmailEvent.objects.get(message=message, kind="receipt")
        assert "Complaint" in event.detail
        assert reload(message).status == statuses.NOTIFY_DELIVERED

    def test_with_receipts_on_polls_wait_for_the_fallback(self) -> None:
        settings = conf.get_settings()
        assert decide.poll_interval(timedelta(0), settings) == 0.01  # the schedule alone
        now = datetime.now(dt_timezone.utc)
        state = decide.State(
            pk=1, status=statuses.SENT_TO_NOTIFY, attempts=1, outcome_unknown=False,
            queued_at=now, created_at=now, attempt_started_at=None, claim_token="",
            sent_to_notify_at=now, polls=0, notify_id=uuid.uuid4(),
        )  # fmt: skip
        failed = decide.Answer("unknown", None, "e", None)
        change = decide.after_poll(state, None, failed, now, settings)
        assert change is not None
        assert change.fields["next_action_at"] >= now + timedelta(seconds=3600)


# --- end to end, with the emulator's own callbacks --------------------------------------------


class LateProxy:
    """A TCP port that refuses connections until ``open()``, then forwards to ``target``."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.host = target[0]  # the live server allows its own host name
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()  # nothing listens here yet: connections are refused
        self.listener: socket.socket | None = None

    def open(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        assert self.listener is not None
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()


def _emulator(factory: Callable[..., Any], callback_url: str, settings: SettingsWrapper) -> Any:
    emulator = factory(
        config={
            "created_to_sending_ms": 50,
            "sending_to_final_ms": 100,
            "callback_retry_delay_ms": 400,
            "callback_max_retries": 5,
            "services": [
                {
                    "id": DEFAULT_SERVICE_ID,
                    "callback_url": callback_url,
                    "callback_bearer_token": TOKEN,
                    "api_keys": [{"name": "t", "type": "test", "secret": SECRET}],
                    "templates": [{"id": TEMPLATE_PLAIN, "subject": "S", "body": "B"}],
                }
            ],
        }
    )
    settings.GOVUK_NOTIFY_API_KEY = f"t-{DEFAULT_SERVICE_ID}-{SECRET}"
    settings.GOVUK_NOTIFY_BASE_URL = emulator.base_url
    return emulator


def wait(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def settled(emulator: Any) -> None:
    """Wait until every callback the emulator queued was delivered or given up, so none
    reaches the live server once the test is over."""

    def done() -> bool:
        counts = emulator.stats()["callbacks"]
        return bool(counts["succeeded"] + counts["failed"] == counts["queued"])

    wait(done, timeout=30.0)


@pytest.fixture
def live_receiver(live_server: Any) -> Any:
    """The live server for Notify's callbacks, on a database its threads do not share
    with the test: on in-memory SQLite, Django gives the server's threads the test's
    own connection, and a callback handled while the test queries would interleave two
    transactions on one connection."""
    if not database_is_shared():
        pytest.skip("the callback receiver needs a database of its own: NGO_TEST_DB, or a file")
    return live_server


@pytest.fixture
def late_proxy(live_receiver: Any) -> Iterator[LateProxy]:
    host, port = live_receiver.thread.host, live_receiver.thread.port
    proxy = LateProxy((host, port))
    yield proxy
    proxy.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("receipts_on")
def test_the_emulators_receipts_finish_emails_without_polls(
    notify_emulator_factory: Any, live_receiver: Any, settings: SettingsWrapper
) -> None:
    emulator = _emulator(notify_emulator_factory, live_receiver.url + URL, settings)
    messages = [
        send_email_notification(address, TEMPLATE_PLAIN)
        for address in (
            "ada@example.gov.uk",
            "perm-fail@simulator.notify",
            "temp-fail@simulator.notify",
        )
    ]
    assert outbox.sync().accepted == 3
    finals = {
        statuses.NOTIFY_DELIVERED,
        statuses.NOTIFY_PERMANENT_FAILURE,
        statuses.NOTIFY_TEMPORARY_FAILURE,
    }
    wait(lambda: {reload(m).status for m in messages} == finals)
    settled(emulator)
    for message in messages:
        stored = reload(message)
        assert stored.polls == 0
        assert EmailEvent.objects.filter(message=message, kind="receipt").count() == 1
    assert emulator.stats()["stored"] == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("receipts_on")
def test_receipts_arrive_after_the_receiver_was_down_for_a_while(
    notify_emulator_factory: Any, late_proxy: LateProxy, settings: SettingsWrapper
) -> None:
    emulator = _emulator(
        notify_emulator_factory, f"http://{late_proxy.host}:{late_proxy.port}{URL}", settings
    )
    message = send_email_notification("ada@example.gov.uk", TEMPLATE_PLAIN)
    assert outbox.sync().accepted == 1
    time.sleep(1.0)  # the first callbacks are refused: the emulator retries them
    assert reload(message).status == statuses.SENT_TO_NOTIFY
    late_proxy.open()
    wait(lambda: reload(message).status == statuses.NOTIFY_DELIVERED)
    settled(emulator)
    assert reload(message).polls == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("receipts_on")
def test_a_receipt_adopts_an_email_whose_answer_was_lost(
    notify_emulator_factory: Any, live_receiver: Any, settings: SettingsWrapper
) -> None:
    emulator = _emulator(notify_emulator_factory, live_receiver.url + URL, settings)
    outbox_settings(settings, LOOKUP_DELAY=3600.0, MAX_AGE=4 * 3600.0)  # no look-up in time
    emulator.faults(drop_after_store_rate=1.0, seed=1)
    message = send_email_notification("ada@example.gov.uk", TEMPLATE_PLAIN)
    outbox.sync()
    assert reload(message).outcome_unknown
    wait(lambda: reload(message).status == statuses.NOTIFY_DELIVERED)
    settled(emulator)
    stored = reload(message)
    assert stored.notify_id is not None
    assert not stored.outcome_unknown
    assert emulator.stats()["references"] == {stored.sent_reference: 1}
