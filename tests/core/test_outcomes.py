"""Every outcome, decided by the C core, against real local peers."""

from __future__ import annotations

import json
import socket
import struct
import time

import pytest

from django_govuk_notify_outbox.client import NotificationsAPIClient, Outcome

from .servers import API_KEY, TEMPLATE_ID, FakeNotify, RawServer, read_http_request

CREATED = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def email(address: str, **extra: object) -> dict[str, object]:
    return {"email_address": address, "template_id": TEMPLATE_ID, **extra}


def client_for(url: str, **kwargs: object) -> NotificationsAPIClient:
    kwargs.setdefault("timeout", 5)
    return NotificationsAPIClient(API_KEY, url, **kwargs)  # type: ignore[arg-type]


def stall(conn: socket.socket, server: RawServer) -> None:
    """Reads the request, then never answers."""
    request = read_http_request(conn, bytearray())
    if request:
        server.record(request)
    server.closing.wait(30)


def test_2xx_4xx_429_and_5xx_statuses_map_to_their_outcomes(notify: FakeNotify) -> None:
    client = client_for(notify.url)
    results = client.send_email_notifications(
        [
            email("ok@example.com"),
            email("invalid@example.com"),
            email("ratelimited@example.com"),
            email("boom@example.com"),
            email("unavailable@example.com"),
        ]
    )
    assert [(r.outcome, r.status_code) for r in results] == [
        (Outcome.ACCEPTED, 201),
        (Outcome.REJECTED, 400),
        (Outcome.THROTTLED, 429),
        (Outcome.UNKNOWN, 500),
        (Outcome.UNKNOWN, 503),
    ]
    assert results[0].json()["echo"] == {
        "email_address": "ok@example.com",
        "template_id": TEMPLATE_ID,
    }
    assert results[1].json()["errors"][0]["error"] == "ValidationError"
    assert results[3].json() is None
    assert all(r.error == "" and r.elapsed > 0 for r in results)


def test_results_come_back_in_input_order(notify: FakeNotify) -> None:
    client = client_for(notify.url, max_in_flight=8)
    emails = [email(f"user{i}@example.com", reference=f"r{i}") for i in range(40)]
    results = client.send_email_notifications(emails)
    assert [r.json()["reference"] for r in results] == [f"r{i}" for i in range(40)]


def test_refused_connection_is_not_sent(refused: str) -> None:
    (result,) = client_for(refused).send_email_notifications([email("a@example.com")])
    assert result.outcome == Outcome.NOT_SENT
    assert result.status_code is None
    assert "connect" in result.error.lower()


def test_unresolvable_host_is_not_sent() -> None:
    client = client_for("http://no-such-host.invalid", timeout=5, connect_timeout=3)
    (result,) = client.send_email_notifications([email("a@example.com")])
    assert result.outcome == Outcome.NOT_SENT
    assert result.error


def test_timeout_before_the_request_left_is_not_sent(raw_server: type[RawServer]) -> None:
    # A TCP peer that never answers the TLS handshake: the request is never written.
    def silent(conn: socket.socket, srv: RawServer) -> None:
        srv.closing.wait(30)

    server = raw_server(silent)
    url = server.url.replace("http://", "https://")
    client = client_for(url, timeout=5, connect_timeout=0.3)
    start = time.monotonic()
    (result,) = client.send_email_notifications([email("a@example.com")])
    assert result.outcome == Outcome.NOT_SENT
    assert "timeout" in result.error.lower()
    assert time.monotonic() - start < 3
    assert server.received == []


def test_timeout_after_the_request_was_sent_is_unknown(raw_server: type[RawServer]) -> None:
    server = raw_server(stall)
    client = client_for(server.url, timeout=0.5)
    (result,) = client.send_email_notifications([email("a@example.com")])
    assert result.outcome == Outcome.UNKNOWN
    assert "timed out" in result.error.lower()
    assert len(server.received) == 1


def test_connection_reset_after_sending_is_unknown(raw_server: type[RawServer]) -> None:
    def reset(conn: socket.socket, server: RawServer) -> None:
        request = read_http_request(conn, bytearray())
        if request:
            server.record(request)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    server = raw_server(reset)
    (result,) = client_for(server.url).send_email_notifications([email("a@example.com")])
    assert result.outcome == Outcome.UNKNOWN
    assert result.status_code is None
    assert len(server.received) == 1


def test_empty_reply_after_sending_is_unknown(raw_server: type[RawServer]) -> None:
    def close(conn: socket.socket, server: RawServer) -> None:
        request = read_http_request(conn, bytearray())
        if request:
            server.record(request)

    server = raw_server(close)
    (result,) = client_for(server.url).send_email_notifications([email("a@example.com")])
    assert result.outcome == Outcome.UNKNOWN
    assert result.error
    assert len(server.received) == 1


def test_truncated_accepted_response_is_unknown(raw_server: type[RawServer]) -> None:
    def truncated(conn: socket.socket, server: RawServer) -> None:
        request = read_http_request(conn, bytearray())
        if request:
            server.record(request)
            conn.sendall(b'HTTP/1.1 201 Created\r\nContent-Length: 100\r\n\r\n{"id":')

    server = raw_server(truncated)
    (result,) = client_for(server.url).send_email_notifications([email("a@example.com")])
    assert result.outcome == Outcome.UNKNOWN
    assert result.status_code == 201


def _close_second_request(conn: socket.socket, server: RawServer) -> None:
    """Answers the first request of a connection, keeps it alive, then reads
    the second request and closes without a byte of response."""
    buf = bytearray()
    request = read_http_request(conn, buf)
    if not request:
        return
    server.record(request)
    conn.sendall(CREATED)
    request = read_http_request(conn, buf)
    if request:
        server.record(request)


def test_post_on_a_dropped_keepalive_connection_is_unknown_and_never_resent(
    raw_server: type[RawServer],
) -> None:
    stray: list[bytes] = []

    def recording(conn: socket.socket, server: RawServer) -> None:
        buf = bytearray()
        conn.settimeout(2)
        try:
            request = read_http_request(conn, buf)
            if request is None:
                stray.append(bytes(buf))
                return
            server.record(request)
            conn.sendall(CREATED)
            request = read_http_request(conn, buf)
            if request:
                server.record(request)  # then close without answering
        except TimeoutError:
            stray.append(bytes(buf))

    server = raw_server(recording)
    client = client_for(server.url, max_in_flight=1)
    (first,) = client.send_email_notifications([email("first@example.com")])
    assert first.outcome == Outcome.ACCEPTED
    (second,) = client.send_email_notifications([email("second@example.com")])
    time.sleep(0.3)  # let any (wrong) re-send arrive
    assert second.outcome == Outcome.UNKNOWN
    assert "rewind" in second.error.lower()
    bodies = [r.split(b"\r\n\r\n", 1)[1] for r in server.received]
    assert [json.loads(b)["email_address"] for b in bodies] == [
        "first@example.com",
        "second@example.com",
    ]
    # curl opens a new connection to retry, but cannot rewind the body, so
    # not one byte of the request is written on it.
    assert server.connections == 2
    deadline = time.monotonic() + 3
    while not stray and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stray == [b""]


def test_get_on_a_dropped_keepalive_connection_is_retried_by_curl(
    raw_server: type[RawServer],
) -> None:
    # The control for the test above: the server really triggers curl's
    # silent retry, which is harmless for a GET.
    server = raw_server(_close_second_request)
    client = client_for(server.url, max_in_flight=1)
    assert [r.outcome for r in client.request_many([("GET", "/a", None)])] == [Outcome.ACCEPTED]
    assert [r.outcome for r in client.request_many([("GET", "/b", None)])] == [Outcome.ACCEPTED]
    assert len(server.received) == 3
    assert server.connections == 2


def test_responses_over_http11_reuse_connections(notify: FakeNotify) -> None:
    client = client_for(notify.url, max_in_flight=4)
    for _ in range(3):
        results = client.send_email_notifications([email(f"u{i}@example.com") for i in range(8)])
        assert all(r.outcome == Outcome.ACCEPTED for r in results)
    ports = {r.client_port for r in notify.requests}
    assert len(notify.requests) == 24
    assert len(ports) <= 4


def test_client_side_rate_limit_paces_a_batch_without_429() -> None:
    from .servers import FakeNotify

    server = FakeNotify()
    try:
        # 600/min = 10/s, burst 5: 4 at once (keeping Notify's and our reserve),
        # then one per ~0.1 s.
        client = client_for(server.url, rate_limit_per_minute=600, rate_limit_burst=8)
        start = time.monotonic()
        results = client.send_email_notifications([email(f"u{i}@example.com") for i in range(10)])
        elapsed = time.monotonic() - start
        assert all(r.outcome == Outcome.ACCEPTED for r in results)
        # 5 go at once (8 - 1 - reserve 2), 5 more need about 0.1 s each.
        assert 0.4 < elapsed < 2.0
        # GETs are not rate limited by Notify, so not by us either.
        start = time.monotonic()
        client.get_notifications_by_ids(["x"] * 20)
        assert time.monotonic() - start < 0.5
    finally:
        server.close()


@pytest.mark.parametrize("bad", [None, 0])
def test_rate_limit_can_be_turned_off(notify: FakeNotify, bad: int | None) -> None:
    client = client_for(notify.url, rate_limit_per_minute=bad, rate_limit_burst=2)
    start = time.monotonic()
    results = client.send_email_notifications([email(f"u{i}@example.com") for i in range(20)])
    assert all(r.outcome == Outcome.ACCEPTED for r in results)
    assert time.monotonic() - start < 1.0
