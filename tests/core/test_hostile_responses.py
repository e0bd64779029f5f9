"""A hostile or broken endpoint cannot wedge the caller: absurdly nested
JSON, undecodable bytes and huge bodies map to the documented outcomes and
exceptions, and response memory stays bounded."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_govuk_notify_outbox import _json
from django_govuk_notify_outbox.client import NotificationsAPIClient, Outcome, Result
from django_govuk_notify_outbox.errors import APIError, HTTP503Error, HTTPError, InvalidResponse

from .servers import API_KEY, TEMPLATE_ID, RawServer, read_http_request

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024
CAP = 64 * MiB  # the client's limit on response bytes held by transfers in flight


def answering(status: int, body: bytes) -> Any:
    """A RawServer handler answering every request with status and body."""

    def handler(conn: socket.socket, server: RawServer) -> None:
        buf = bytearray()
        while (request := read_http_request(conn, buf)) is not None:
            server.record(request)
            head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            conn.sendall(head + body)

    return handler


DEEP = b"[" * 100_000


def test_a_deeply_nested_2xx_body_is_an_invalid_response(raw_server: type[RawServer]) -> None:
    server = raw_server(answering(200, DEEP))
    client = NotificationsAPIClient(API_KEY, server.url)
    with pytest.raises(InvalidResponse) as excinfo:
        client.get_template(TEMPLATE_ID)
    assert excinfo.value.status_code == 200
    assert str(excinfo.value) == "200 - No JSON response object could be decoded"
    (result,) = client.request_many([("GET", "/v2/templates", None)])
    assert result.outcome == Outcome.ACCEPTED
    assert result.json() is None


def test_a_deeply_nested_error_body_is_the_usual_http_error(raw_server: type[RawServer]) -> None:
    server = raw_server(answering(400, b'{"errors":' + DEEP))
    client = NotificationsAPIClient(API_KEY, server.url)
    with pytest.raises(HTTPError) as excinfo:
        client.send_email_notification("a@example.com", TEMPLATE_ID)
    assert str(excinfo.value) == "400 - Request failed"
    assert excinfo.value.outcome == "rejected"


def test_nesting_up_to_the_limit_still_parses() -> None:
    ok = b'{"a":' * 32 + b"[" * 32 + b"1" + b"]" * 32 + b"}" * 32
    assert _json.loads(ok) is not None
    with pytest.raises(ValueError, match="nested deeper"):
        _json.loads(b"[" * 65 + b"]" * 65)
    # Brackets inside strings do not nest.
    assert _json.loads(json.dumps(["[" * 1000]).encode()) == ["[" * 1000]


def test_undecodable_bytes_are_not_json() -> None:
    assert Result(Outcome.ACCEPTED, 200, b'{"a": "\xff"}', "", 0.0).json() is None
    with pytest.raises(UnicodeDecodeError):
        _json.loads(b'{"a": "\xff"}')


# ---- arbitrary responses: only the documented exceptions ------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _nested(n: int, kind: int) -> bytes:
    if kind == 0:
        return b"[" * n
    if kind == 1:
        return b'{"a":' * n + b"1" + b"}" * n
    return b'{"errors":' + b"[" * n + b'"x"' + b"]" * n + b"}"


_bodies = st.one_of(
    st.binary(max_size=400),
    _json_values.map(lambda v: json.dumps(v).encode()),
    _json_values.map(lambda v: json.dumps(v).encode("utf-16")),
    st.builds(_nested, st.integers(0, 20_000), st.integers(0, 2)),
    st.sampled_from(
        [
            b"",
            b"\xef\xbb\xbf{}",
            b'"\xed\xa0\x80"',
            b"1" * 10_000,
            b'{"message": "\\ud800"}',
            b'{"errors": [{"error": "AuthError", "message": "x"}], "status_code": 403}',
            b"\x00\x00\x00[",
            b"NaN",
        ]
    ),
)

_client = NotificationsAPIClient(API_KEY, "http://127.0.0.1:9")


def _map(status: int | None, body: bytes, error: str, outcome: Outcome) -> None:
    """The client's response -> value/exception mapping; only documented exceptions."""
    result = Result(outcome, status, body, error, 0.001)
    result.json()  # never raises
    raised: APIError | None = None
    try:
        _client._process("POST", "http://127.0.0.1:9/v2/notifications/email", result)
    except (HTTPError, InvalidResponse) as exc:
        raised = exc
    if raised is not None:
        assert isinstance(raised, HTTP503Error | HTTPError | InvalidResponse)
        assert isinstance(raised.status_code, int)
        assert str(raised).startswith(f"{raised.status_code} - ")
        assert repr(raised)
        _ = raised.message  # may be None (as the official client's), must not raise


@settings(max_examples=400, deadline=None, database=None)
@given(
    status=st.one_of(st.none(), st.integers(100, 999)),
    body=_bodies,
    error=st.sampled_from(["", "Recv failure: Connection reset by peer"]),
    outcome=st.sampled_from(list(Outcome)),
)
def test_any_status_and_body_map_only_to_documented_exceptions(
    status: int | None, body: bytes, error: str, outcome: Outcome
) -> None:
    _map(status, body, error, outcome)


class _Scripted:
    """A keep-alive server whose next answer the test sets."""

    def __init__(self, factory: type[RawServer]) -> None:
        self.status = 200
        self.body = b""
        self.server = factory(self._handle)

    def _handle(self, conn: socket.socket, server: RawServer) -> None:
        buf = bytearray()
        while read_http_request(conn, buf) is not None:
            head = f"HTTP/1.1 {self.status} X\r\nContent-Length: {len(self.body)}\r\n\r\n"
            conn.sendall(head.encode() + self.body)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# 204 and 304 never have a body in HTTP, so a peer sending one desynchronises the
# connection; every other final status is fair game.
@given(status=st.integers(200, 599).filter(lambda s: s not in (204, 304)), body=_bodies)
def test_any_response_from_a_real_peer_maps_only_to_documented_exceptions(
    raw_server: type[RawServer], status: int, body: bytes
) -> None:
    peer = _Scripted(raw_server)
    peer.status, peer.body = status, body
    client = NotificationsAPIClient(API_KEY, peer.server.url, timeout=5)
    raised: APIError | None = None
    try:
        client.get_template(TEMPLATE_ID)
    except (HTTPError, InvalidResponse) as exc:
        raised = exc
    if raised is not None:
        assert raised.status_code == status
        assert str(raised).startswith(f"{status} - ")
    (result,) = client.request_many([("GET", "/v2/templates", None)])
    assert result.status_code == status
    assert result.body == body
    result.json()


# ---- response memory is bounded across concurrent transfers ------------------------

HUGE = 80 * MiB  # more than the per-response cap: no response can complete
CHUNK = b"x" * MiB


def _huge(conn: socket.socket, server: RawServer) -> None:
    request = read_http_request(conn, bytearray())
    if request is None:
        return
    server.record(request)
    if b" /small " in request.split(b"\r\n", 1)[0]:
        conn.sendall(
            b'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 12\r\n\r\n{"ok": true}'
        )
        return
    status = b"201 Created" if request.startswith(b"POST") else b"200 OK"
    conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: %d\r\n\r\n" % HUGE)
    for _ in range(HUGE // MiB):
        conn.sendall(CHUNK)  # OSError once the client gives up: the server's loop ends


_MEASURE = """
import json, resource, sys
from django_govuk_notify_outbox.client import NotificationsAPIClient
url, key = sys.argv[1], sys.argv[2]
client = NotificationsAPIClient(key, url, timeout=60, max_in_flight=16, rate_limit_per_minute=None)
reqs = [("POST", "/v2/notifications/email", {"email_address": "a@b.c", "template_id": "t"})] * 8
reqs += [("GET", "/v2/notifications/%d" % i, None) for i in range(8)]
client.request_many([("GET", "/small", None)])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
results = client.request_many(reqs)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
# The cut-off transfers gave their room back: the next batch is whole.
small = [r.json() for r in client.request_many([("GET", "/small", None)] * 4)]
print(json.dumps({"before": before, "after": after, "small": small,
                  "results": [[r.outcome.value, r.status_code, len(r.body), r.error]
                              for r in results]}))
"""


def test_sixteen_huge_responses_at_once_stay_within_the_clients_memory_cap(
    raw_server: type[RawServer],
) -> None:
    server = raw_server(_huge)
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, server.url, API_KEY],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(proc.stdout)
    results = report["results"]
    # Every response was cut off: a POST whose 201 could not be read is unknown.
    assert {tuple(r[:3]) for r in results[:8]} == {("unknown", 201, 0)}
    assert {tuple(r[:3]) for r in results[8:]} == {("unknown", 200, 0)}
    errors = {r[3] for r in results}
    assert errors <= {
        "response cut off: the client's limit on response bytes held by transfers in "
        "flight was reached",
        "response cut off: larger than the per-response limit (64 MiB)",
    }
    assert any("in flight" in e for e in errors)  # the shared cap, not only each one's
    # 16 transfers kept to their own 64 MiB cap alone would have held up to 1 GiB.
    grown = report["after"] - report["before"]
    assert grown < 1.5 * CAP, f"peak RSS grew by {grown / MiB:.0f} MiB"
    assert report["small"] == [{"ok": True}] * 4
    assert len(server.received) == 1 + 16 + 4
