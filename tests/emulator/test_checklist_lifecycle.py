"""notify-api.md §10 item 3: the lifecycle (§6, §7.2) and delivery-status callbacks (§8).

Timings are compressed through the configuration; callbacks go to a real local
HTTP server.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from govuk_notify_emulator import NotifyEmulator
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

from .helpers import call, send, wait_for

SERVICE = "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0c01"
TEMPLATE = "f2a6c3b1-00c1-4c1d-9e2f-3a4b5c6d7e01"
BEARER = "a-callback-token-of-some-length"
SMOKE = "simulate-delivered@notifications.service.gov.uk"
FINAL = ("delivered", "permanent-failure", "temporary-failure", "technical-failure")
CALLBACK_KEYS = [
    "id", "reference", "to", "status", "created_at", "completed_at", "sent_at",
    "notification_type", "template_id", "template_version",
]  # fmt: skip


class Receiver:
    """A local HTTP server recording callbacks; answers scripted statuses, then 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes, float]] = []
        self.script: list[int] = []
        self.delays: list[float] = []  # seconds to wait before answering, in order
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.received.append((dict(self.headers), body, time.monotonic()))
                    status = receiver.script.pop(0) if receiver.script else 200
                    delay = receiver.delays.pop(0) if receiver.delays else 0.0
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify/receipts"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(body) for _, body, _ in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def config(receiver_url: str | None, **top: Any) -> dict[str, Any]:
    service: dict[str, Any] = {
        "id": SERVICE,
        "api_keys": [
            {"name": "live", "type": "live", "secret": "11111111-aaaa-4aaa-8aaa-0000000000c1"},
            {"name": "test", "type": "test", "secret": "11111111-aaaa-4aaa-8aaa-0000000000c3"},
        ],
        "templates": [
            {"id": TEMPLATE, "name": "T", "type": "email", "subject": "Hi", "body": "Hello"}
        ],
    }
    if receiver_url:
        service["callback_url"] = receiver_url
        service["callback_bearer_token"] = BEARER
    return {
        "created_to_sending_ms": 50,
        "sending_to_final_ms": 150,
        "callback_retry_delay_ms": 50,
        "services": [service],
        **top,
    }


def post(emulator: NotifyEmulator, address: str, kind: str = "test", **body: Any) -> str:
    resp = send(
        emulator, emulator.api_keys[kind], email_address=address, template_id=TEMPLATE, **body
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def get(emulator: NotifyEmulator, id_: str) -> dict[str, Any]:
    resp = call(emulator, "GET", f"/v2/notifications/{id_}")
    assert resp.status_code == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


def when(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def final(emulator: NotifyEmulator, id_: str) -> dict[str, Any]:
    """The notification once it has reached a final status (polled over GET)."""
    result: dict[str, Any] = wait_for(
        lambda: (n := get(emulator, id_))["status"] in FINAL and n, timeout=5
    )
    return result


# ---- lifecycle ---------------------------------------------------------------------------


SIMULATED = {
    "anyone@example.com": "delivered",
    "temp-fail@simulator.notify": "temporary-failure",
    "perm-fail@simulator.notify": "permanent-failure",
    "Perm-Fail@Simulator.Notify": "permanent-failure",
}


def test_test_key_notifications_reach_the_simulated_statuses(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory(config=config(None, created_to_sending_ms=400))
    ids = {post(emulator, address): status for address, status in SIMULATED.items()}
    for id_ in ids:
        first = get(emulator, id_)
        assert (first["status"], first["sent_at"], first["completed_at"]) == ("created", None, None)
    for id_, status in ids.items():
        done = final(emulator, id_)
        assert done["status"] == status
        assert done["sent_at"] is not None
        assert done["completed_at"] is not None
        created, sent, completed = (
            when(done[k]) for k in ("created_at", "sent_at", "completed_at")
        )
        assert created <= sent <= completed


def test_notification_passes_through_sending_with_sent_at_but_no_completed_at(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory(config=config(None, sending_to_final_ms=800))
    id_ = post(emulator, "anyone@example.com")
    sending = wait_for(lambda: (n := get(emulator, id_))["status"] == "sending" and n)
    assert sending["sent_at"] is not None
    assert sending["completed_at"] is None
    assert final(emulator, id_)["sent_at"] == sending["sent_at"]


def test_live_key_to_a_simulator_address_is_delivered(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory(config=config(None))
    assert final(emulator, post(emulator, "perm-fail@simulator.notify", "live"))["status"] == (
        "delivered"
    )


def test_left_in_sending_times_out_to_temporary_failure(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory(
        config=config(None, created_to_sending_ms=3_600_000, sending_timeout_ms=300)
    )
    id_ = post(emulator, "anyone@example.com")
    emulator.set_status(id_, "sending")
    assert final(emulator, id_)["status"] == "temporary-failure"


def test_retention_deletes_the_notification(notify_emulator_factory: EmulatorFactory) -> None:
    emulator = notify_emulator_factory(config=config(None, retention_ms=300))
    id_ = post(emulator, "anyone@example.com")
    wait_for(lambda: call(emulator, "GET", f"/v2/notifications/{id_}").status_code == 404)
    listed = call(emulator, "GET", f"/v2/notifications?older_than={id_}").json()
    assert listed["notifications"] == []


def test_completed_at_is_set_only_for_completed_statuses(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory(config=config(None, created_to_sending_ms=3_600_000))
    completed = {
        "created": False,
        "sending": False,
        "delivered": True,
        "permanent-failure": True,
        "temporary-failure": True,
        "technical-failure": True,
    }
    for status, is_completed in completed.items():
        id_ = post(emulator, "anyone@example.com")
        emulator.set_status(id_, "sending")
        emulator.set_status(id_, status)
        got = get(emulator, id_)
        assert got["status"] == status
        assert (got["completed_at"] is not None) is is_completed, status
        if is_completed:
            assert when(got["completed_at"]) >= when(got["sent_at"])


# ---- callbacks ---------------------------------------------------------------------------


def test_callback_posts_the_section_8_body_with_the_bearer_token(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    emulator = notify_emulator_factory(config=config(receiver.url))
    id_ = post(emulator, " Someone@Example.com", reference="cb-\u00e9-1")
    wait_for(lambda: receiver.received)
    done = get(emulator, id_)
    ((headers, raw, _),) = receiver.received
    assert headers["Authorization"] == f"Bearer {BEARER}"
    assert headers["Content-Type"] == "application/json"
    body = json.loads(raw)
    assert list(body) == CALLBACK_KEYS
    assert body == {
        "id": id_,
        "reference": "cb-\u00e9-1",
        "to": "Someone@Example.com",
        "status": "delivered",
        "created_at": done["created_at"],
        "completed_at": done["completed_at"],
        "sent_at": done["sent_at"],
        "notification_type": "email",
        "template_id": TEMPLATE,
        "template_version": 1,
    }
    assert raw == json.dumps(body).encode()  # default layout, unsorted, ASCII-escaped


@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("temp-fail@simulator.notify", "temporary-failure"),
        ("perm-fail@simulator.notify", "permanent-failure"),
    ],
)
def test_callback_for_each_failure_status_with_null_reference(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver, address: str, status: str
) -> None:
    emulator = notify_emulator_factory(config=config(receiver.url))
    id_ = post(emulator, address)
    (body,) = wait_for(receiver.bodies)
    assert (body["id"], body["status"], body["reference"]) == (id_, status, None)
    assert isinstance(body["template_version"], int)


def test_callback_is_retried_on_5xx_and_429_then_succeeds(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    receiver.script = [500, 503, 429]
    emulator = notify_emulator_factory(config=config(receiver.url))
    id_ = post(emulator, "anyone@example.com")
    wait_for(lambda: len(receiver.received) >= 4)
    time.sleep(0.3)  # no attempt after the success
    bodies = receiver.bodies()
    assert len(bodies) == 4
    assert all(b == bodies[0] for b in bodies)
    assert bodies[0]["id"] == id_
    times = [t for _, _, t in receiver.received]
    assert all(later - earlier >= 0.04 for earlier, later in itertools.pairwise(times))


def test_callback_is_not_retried_on_other_4xx(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    receiver.script = [400]
    emulator = notify_emulator_factory(config=config(receiver.url))
    post(emulator, "anyone@example.com")
    wait_for(lambda: receiver.received)
    time.sleep(0.25)
    assert len(receiver.received) == 1


def test_callback_gives_up_after_max_retries(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    receiver.script = [500] * 10
    emulator = notify_emulator_factory(config=config(receiver.url, callback_max_retries=2))
    post(emulator, "anyone@example.com")
    wait_for(lambda: len(receiver.received) >= 3)
    time.sleep(0.25)
    assert len(receiver.received) == 3  # 1 + 2 retries


def test_callback_retried_when_the_receiver_refuses_connections(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    # The first attempts go to a closed port; the service then points at the receiver.
    closed = Receiver()
    url = closed.url
    closed.close()
    emulator = notify_emulator_factory(
        config=config(url, callback_retry_delay_ms=100, callback_max_retries=3)
    )
    post(emulator, "anyone@example.com")
    wait_for(lambda: emulator.stats()["callbacks"]["retried"] >= 1)
    assert emulator.stats()["callbacks"]["succeeded"] == 0


def test_no_callback_for_smoke_test_addresses(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    emulator = notify_emulator_factory(config=config(receiver.url))
    post(emulator, SMOKE)
    post(emulator, SMOKE, "live")
    id_ = post(emulator, "anyone@example.com")  # a control that does get one
    (body,) = wait_for(receiver.bodies)
    assert body["id"] == id_
    time.sleep(0.3)
    assert len(receiver.received) == 1


def test_no_callback_for_technical_failure(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    emulator = notify_emulator_factory(config=config(receiver.url, created_to_sending_ms=3_600_000))
    quiet = post(emulator, "anyone@example.com")
    emulator.set_status(quiet, "technical-failure")
    loud = post(emulator, "anyone@example.com")
    emulator.set_status(loud, "delivered")
    (body,) = wait_for(receiver.bodies)
    assert body["id"] == loud
    time.sleep(0.3)
    assert len(receiver.received) == 1


def test_callback_that_times_out_is_retried(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    receiver.delays = [1.0]  # longer than the callback timeout below
    emulator = notify_emulator_factory(config=config(receiver.url, callback_timeout_ms=200))
    id_ = post(emulator, "anyone@example.com")
    wait_for(lambda: len(receiver.received) >= 2)
    bodies = receiver.bodies()
    assert [b["id"] for b in bodies] == [id_, id_]
    wait_for(lambda: emulator.stats()["callbacks"]["succeeded"] == 1)
    assert emulator.stats()["callbacks"]["retried"] >= 1


def test_callback_after_the_sending_timeout_reports_temporary_failure(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver
) -> None:
    emulator = notify_emulator_factory(
        config=config(receiver.url, created_to_sending_ms=3_600_000, sending_timeout_ms=300)
    )
    id_ = post(emulator, "anyone@example.com")
    emulator.set_status(id_, "sending")
    (body,) = wait_for(receiver.bodies)
    assert (body["id"], body["status"]) == (id_, "temporary-failure")
    assert body["completed_at"] == get(emulator, id_)["completed_at"]


@pytest.mark.parametrize("success", [201, 204])
def test_any_2xx_answer_is_a_delivered_callback(
    notify_emulator_factory: EmulatorFactory, receiver: Receiver, success: int
) -> None:
    receiver.script = [success]
    emulator = notify_emulator_factory(config=config(receiver.url))
    post(emulator, "anyone@example.com")
    wait_for(lambda: emulator.stats()["callbacks"]["succeeded"] == 1)
    time.sleep(0.2)
    assert len(receiver.received) == 1
