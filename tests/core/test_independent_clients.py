"""Clients never wait for each other: each has its own connections and lock."""

from __future__ import annotations

import socket
import threading

from django_govuk_notify_outbox.client import NotificationsAPIClient, Outcome

from .servers import API_KEY, TEMPLATE_ID, FakeNotify, RawServer, read_http_request


def test_a_stalled_post_on_one_client_does_not_hold_up_another_clients_thread(
    raw_server: type[RawServer], notify: FakeNotify
) -> None:
    received = threading.Event()
    release = threading.Event()

    def stall_until_released(conn: socket.socket, server: RawServer) -> None:
        request = read_http_request(conn, bytearray())
        if request:
            server.record(request)
            received.set()
        release.wait(30)

    stalled_server = raw_server(stall_until_released)
    stalled = NotificationsAPIClient(API_KEY, stalled_server.url, timeout=30)
    fast = NotificationsAPIClient(API_KEY, notify.url)
    events: list[str] = []
    lock = threading.Lock()

    def note(event: str) -> None:
        with lock:
            events.append(event)

    def send_stalled() -> None:
        (result,) = stalled.send_email_notifications(
            [{"email_address": "slow@example.com", "template_id": TEMPLATE_ID}]
        )
        note(f"stalled done: {result.outcome}")

    def send_fast() -> None:
        for i in range(20):
            fast.send_email_notification(f"fast{i}@example.com", TEMPLATE_ID)
        note("fast done")

    slow_thread = threading.Thread(target=send_stalled)
    slow_thread.start()
    assert received.wait(10)  # the POST is at the stalled server, unanswered
    fast_thread = threading.Thread(target=send_fast)
    fast_thread.start()
    fast_thread.join(60)
    # Every fast request completed while the stalled one was still pending.
    assert events == ["fast done"]
    assert slow_thread.is_alive()
    assert notify.state.sent == 20
    release.set()  # the server closes the connection without answering
    slow_thread.join(30)
    assert events == ["fast done", f"stalled done: {Outcome.UNKNOWN}"]


def test_over_http_1_1_a_stalled_first_request_does_not_hold_back_the_rest_of_its_batch(
    raw_server: type[RawServer],
) -> None:
    # Without HTTP/2 there is nothing to multiplex, so every request gets its
    # own connection at once instead of waiting behind the first response.
    def stall(conn: socket.socket, server: RawServer) -> None:
        request = read_http_request(conn, bytearray())
        if request:
            server.record(request)
        server.closing.wait(30)

    server = raw_server(stall)
    client = NotificationsAPIClient(API_KEY, server.url, timeout=1)
    results = client.send_email_notifications(
        [{"email_address": f"u{i}@example.com", "template_id": TEMPLATE_ID} for i in range(3)]
    )
    assert [r.outcome for r in results] == [Outcome.UNKNOWN] * 3
    assert len(server.received) == 3
