"""HTTP/2 multiplexing, interrupts, fork and threads, against real peers."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from django_govuk_notify_outbox import _core
from django_govuk_notify_outbox.client import USER_AGENT, NotificationsAPIClient, Outcome

from .servers import API_KEY, TEMPLATE_ID, FakeNotify, RawServer, read_http_request


def email(address: str, **extra: object) -> dict[str, object]:
    return {"email_address": address, "template_id": TEMPLATE_ID, **extra}


def h2_stats(url: str, cert: Path) -> list[dict[str, Any]]:
    import ssl

    ctx = ssl.create_default_context(cafile=str(cert))
    with urllib.request.urlopen(f"{url}/_stats", context=ctx, timeout=5) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


@pytest.mark.skipif(not _core.HTTP2, reason="the runtime libcurl has no HTTP/2")
def test_concurrent_requests_share_one_http2_connection(
    h2_server: str, tls_cert: tuple[Path, Path]
) -> None:
    cert, _ = tls_cert
    before = len(h2_stats(h2_server, cert))
    client = NotificationsAPIClient(API_KEY, h2_server, timeout=10, ca_bundle=str(cert))
    results = client.send_email_notifications([email(f"u{i}@example.com") for i in range(40)])
    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * 40
    assert all(r.json()["http_version"] == "2" for r in results)
    records = h2_stats(h2_server, cert)[before:]
    assert len(records) == 40
    assert {r["http_version"] for r in records} == {"2"}
    assert len({r["client_port"] for r in records}) == 1  # one connection
    assert {r["user_agent"] for r in records} == {USER_AGENT}
    # The requests were multiplexed: the server was handling many at once.
    assert max(r["in_flight"] for r in records) >= 10


def test_tls_peer_that_fails_verification_is_not_sent(h2_server: str) -> None:
    client = NotificationsAPIClient(API_KEY, h2_server, timeout=5)  # no ca_bundle
    (result,) = client.send_email_notifications([email("a@example.com")])
    assert result.outcome == Outcome.NOT_SENT
    assert "certificate" in result.error.lower()


def _stall(conn: socket.socket, server: RawServer) -> None:
    if read_http_request(conn, bytearray()):
        server.closing.wait(30)


def test_ctrl_c_interrupts_a_waiting_batch_within_a_second(
    raw_server: type[RawServer], notify: FakeNotify
) -> None:
    server = raw_server(_stall)
    client = NotificationsAPIClient(API_KEY, server.url, timeout=30)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        client.send_email_notifications([email(f"u{i}@example.com") for i in range(5)])
    waited = time.monotonic() - start
    timer.join()
    assert waited < 0.3 + 1.5
    # The lock was released and the process state is intact.
    other = NotificationsAPIClient(API_KEY, notify.url)
    assert other.send_email_notification("a@example.com", TEMPLATE_ID)["echo"]


class SoftTimeLimitExceeded(Exception):
    """Stands in for Celery's exception, raised from a signal handler the same way."""


def test_a_signal_handler_exception_like_celerys_soft_time_limit_ends_the_batch(
    raw_server: type[RawServer],
) -> None:
    server = raw_server(_stall)
    client = NotificationsAPIClient(API_KEY, server.url, timeout=30)

    def handler(signum: int, frame: Any) -> None:
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        start = time.monotonic()
        with pytest.raises(SoftTimeLimitExceeded):
            client.request_many([("GET", "/v2/notifications", None)] * 3)
        assert time.monotonic() - start < 0.3 + 1.5
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_client_keeps_working_in_a_forked_child_and_in_the_parent(notify: FakeNotify) -> None:
    client = NotificationsAPIClient(API_KEY, notify.url)
    assert client.send_email_notification("parent1@example.com", TEMPLATE_ID)
    parent_ports = {r.client_port for r in notify.requests}
    pid = os.fork()
    if pid == 0:  # the child: must not touch the parent's connections
        code = 1
        try:
            results = client.send_email_notifications(
                [email(f"child{i}@example.com") for i in range(5)]
            )
            code = 0 if all(r.outcome == Outcome.ACCEPTED for r in results) else 3
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert client.send_email_notification("parent2@example.com", TEMPLATE_ID)
    child = [r for r in notify.requests if b"child" in r.body]
    assert len(child) == 5
    assert not {r.client_port for r in child} & parent_ports
    last = notify.requests[-1]
    assert b"parent2" in last.body
    assert last.client_port in parent_ports  # the parent still reuses its connection


def test_two_threads_using_clients_at_once_are_serialised_safely(notify: FakeNotify) -> None:
    shared = NotificationsAPIClient(API_KEY, notify.url, max_in_flight=8)
    errors: list[BaseException] = []
    seen: dict[str, list[str]] = {}

    def work(name: str, client: NotificationsAPIClient) -> None:
        try:
            refs: list[str] = []
            for batch in range(5):
                emails = [
                    email(f"{name}{i}@example.com", reference=f"{name}-{batch}-{i}")
                    for i in range(10)
                ]
                results = client.send_email_notifications(emails)
                refs += [r.json()["reference"] for r in results]
                refs.append(
                    client.send_email_notification(
                        f"{name}@example.com", TEMPLATE_ID, reference=f"{name}-single-{batch}"
                    )["reference"]
                )
            seen[name] = refs
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=("a", shared)),
        threading.Thread(target=work, args=("b", shared)),
        threading.Thread(target=work, args=("c", NotificationsAPIClient(API_KEY, notify.url))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    for name in "abc":
        expected = []
        for batch in range(5):
            expected += [f"{name}-{batch}-{i}" for i in range(10)] + [f"{name}-single-{batch}"]
        assert seen[name] == expected
    assert notify.state.sent == 3 * 55


def test_ctrl_c_interrupts_a_thread_waiting_for_another_threads_batch(
    raw_server: type[RawServer],
) -> None:
    server = raw_server(_stall)
    client = NotificationsAPIClient(API_KEY, server.url, timeout=3)
    worker = threading.Thread(
        target=client.request_many, args=([("GET", "/v2/notifications", None)],)
    )
    worker.start()
    time.sleep(0.2)  # the worker now holds the lock, waiting on the stalled server
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        client.request_many([("GET", "/v2/notifications", None)])
    assert time.monotonic() - start < 0.2 + 1.5
    timer.join()
    worker.join(10)
    assert not worker.is_alive()


def test_using_a_client_from_a_signal_handler_mid_batch_raises_instead_of_deadlocking(
    raw_server: type[RawServer],
) -> None:
    server = raw_server(_stall)
    client = NotificationsAPIClient(API_KEY, server.url, timeout=5)

    def handler(signum: int, frame: Any) -> None:
        client.get_template(TEMPLATE_ID)

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(RuntimeError, match="signal handler"):
            client.request_many([("GET", "/v2/notifications", None)])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_another_client_works_from_a_signal_handler_mid_batch(
    raw_server: type[RawServer], notify: FakeNotify
) -> None:
    # Each client has its own connections and lock, so a signal handler may
    # use a different client while this thread's batch on the first waits.
    server = raw_server(_stall)
    client = NotificationsAPIClient(API_KEY, server.url, timeout=1)
    other = NotificationsAPIClient(API_KEY, notify.url)
    seen: list[str] = []

    def handler(signum: int, frame: Any) -> None:
        seen.append(other.get_template(TEMPLATE_ID)["id"])

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        (result,) = client.request_many([("GET", "/v2/notifications", None)])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert seen == [TEMPLATE_ID]
    assert result.outcome == Outcome.UNKNOWN  # timed out after the request was sent
    assert other.get_template(TEMPLATE_ID)["id"] == TEMPLATE_ID


def test_child_forked_while_another_thread_runs_a_batch_does_not_deadlock(
    raw_server: type[RawServer], notify: FakeNotify
) -> None:
    stalled = raw_server(_stall)
    busy = NotificationsAPIClient(API_KEY, stalled.url, timeout=3)
    client = NotificationsAPIClient(API_KEY, notify.url)
    worker = threading.Thread(
        target=busy.request_many, args=([("GET", "/v2/notifications", None)],)
    )
    worker.start()
    time.sleep(0.3)  # the worker holds the process lock and the multi handle
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.alarm(10)  # a deadlock would end the child, not hang the suite
            result = client.send_email_notification("forked@example.com", TEMPLATE_ID)
            code = 0 if result["echo"]["email_address"] == "forked@example.com" else 3
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    worker.join(10)
    assert os.waitstatus_to_exitcode(status) == 0
