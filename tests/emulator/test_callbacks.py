"""Delivery-receipt callbacks to a real local HTTP server (notify-api.md §8)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from govuk_notify_emulator import DEFAULT_SERVICE_ID, TEMPLATE_PLAIN, NotifyEmulator
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

from .helpers import send, wait_for

TOKEN = "callback-bearer-token-123"
SECRET = "c0000000-0000-4000-8000-0000000000a3"


class Receiver:
    """A local HTTP server that records callbacks and answers with scripted statuses."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.script: list[int] = []  # statuses to answer, in order; then 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.received.append((dict(self.headers), json.loads(body)))
                    status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/receipts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def start(factory: EmulatorFactory, receiver: Receiver) -> NotifyEmulator:
    return factory(
        config={
            "created_to_sending_ms": 50,
            "sending_to_final_ms": 100,
            "callback_retry_delay_ms": 100,
            "services": [
                {
                    "id": DEFAULT_SERVICE_ID,
                    "callback_url": receiver.url,
                    "callback_bearer_token": TOKEN,
                    "api_keys": [{"name": "t", "type": "test", "secret": SECRET}],
                    "templates": [{"id": TEMPLATE_PLAIN, "subject": "S", "body": "B"}],
                }
            ],
        }
    )


def test_receipt_has_notify_body_and_bearer_token(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    emulator = start(notify_emulator_factory, receiver)
    nid = send(emulator, email_address="perm-fail@simulator.notify", reference="ref-9").json()["id"]
    wait_for(lambda: receiver.received)
    headers, body = receiver.received[0]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/json"
    assert list(body) == [
        "id", "reference", "to", "status", "created_at", "completed_at", "sent_at",
        "notification_type", "template_id", "template_version",
    ]  # fmt: skip
    assert body["id"] == nid
    assert body["reference"] == "ref-9"
    assert body["to"] == "perm-fail@simulator.notify"
    assert body["status"] == "permanent-failure"
    assert body["notification_type"] == "email"
    assert body["template_id"] == TEMPLATE_PLAIN
    assert body["template_version"] == 1
    n = emulator.notifications()[0]
    assert body["completed_at"] == n["completed_at"]
    assert body["sent_at"] == n["sent_at"]


def test_receipt_is_retried_on_5xx_and_429_then_stops_on_success(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    receiver.script = [500, 429, 503]
    emulator = start(notify_emulator_factory, receiver)
    send(emulator)
    wait_for(lambda: len(receiver.received) >= 4, timeout=10)
    assert len({b["id"] for _, b in receiver.received}) == 1
    wait_for(lambda: emulator.stats()["callbacks"]["succeeded"] == 1)
    assert emulator.stats()["callbacks"]["attempts"] == 4
    assert len(receiver.received) == 4


def test_receipt_gives_up_after_five_retries(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    receiver.script = [500] * 10
    emulator = start(notify_emulator_factory, receiver)
    send(emulator)
    wait_for(lambda: emulator.stats()["callbacks"]["failed"] == 1, timeout=10)
    assert len(receiver.received) == 6


def test_receipt_is_not_retried_on_other_4xx(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    receiver.script = [400]
    emulator = start(notify_emulator_factory, receiver)
    send(emulator)
    wait_for(lambda: emulator.stats()["callbacks"]["failed"] == 1)
    assert len(receiver.received) == 1


def test_no_receipt_for_smoke_test_addresses_or_technical_failure(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    emulator = start(notify_emulator_factory, receiver)
    send(emulator, email_address="simulate-delivered@notifications.service.gov.uk")
    nid = send(emulator).json()["id"]
    emulator.set_status(nid, "technical-failure")
    marker = send(emulator, email_address="marker@example.com").json()["id"]
    wait_for(lambda: receiver.received)
    wait_for(lambda: emulator.stats()["callbacks"]["succeeded"] >= 1)
    assert [b["id"] for _, b in receiver.received] == [marker]


def test_connection_refused_receipts_are_retried(notify_emulator_factory: EmulatorFactory) -> None:
    dead = Receiver()
    dead.close()  # nothing listens on its port any more
    emulator = start(notify_emulator_factory, dead)
    send(emulator)
    stats = wait_for(lambda: (s := emulator.stats()["callbacks"])["failed"] == 1 and s, timeout=10)
    assert stats["attempts"] == 6
    assert stats["retried"] == 5
