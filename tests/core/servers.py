"""Small real HTTP peers for the client tests (no mocks of our own code).

* :class:`FakeNotify` - an HTTP/1.1 keep-alive server speaking enough of the
  Notify v2 API (notify-api.md) for the drop-in and batch methods. It checks
  every bearer token with PyJWT, records each request and can be told to
  answer a given path with a chosen status/body.
* :class:`RawServer` - a raw TCP server whose per-connection behaviour is a
  Python function (close after reading, stall, ...).
* :func:`refused_url` - a port with a bound socket that is not listening.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"test_key-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def _compact(obj: Any) -> bytes:
    return (json.dumps(obj, sort_keys=True, separators=(",", ":")) + "\n").encode()


def _error(status: int, error: str, message: str) -> tuple[int, bytes]:
    return status, _compact(
        {"errors": [{"error": error, "message": message}], "status_code": status}
    )


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int
    claims: dict[str, Any] | None = None


@dataclass
class FakeState:
    requests: list[Recorded] = field(default_factory=list)
    overrides: dict[str, tuple[int, bytes, float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0


def _notification(n: int, root: str) -> dict[str, Any]:
    nid = str(uuid.uuid5(NAMESPACE, f"notification-{n}"))
    return {
        "body": f"Hello {n}",
        "completed_at": None,
        "cost_details": {},
        "cost_in_pounds": 0.0,
        "created_at": f"2024-05-17T15:58:{n:02d}.342838Z",
        "created_by_name": None,
        "email_address": f"user{n}@example.com",
        "id": nid,
        "is_cost_data_ready": True,
        "line_1": None,
        "line_2": None,
        "line_3": None,
        "line_4": None,
        "line_5": None,
        "line_6": None,
        "one_click_unsubscribe_url": None,
        "phone_number": None,
        "postage": None,
        "postcode": None,
        "reference": f"ref-{n}",
        "scheduled_for": None,
        "sent_at": None,
        "status": "created",
        "subject": "Subject",
        "template": {
            "id": TEMPLATE_ID,
            "uri": f"{root}v2/template/{TEMPLATE_ID}/version/1",
            "version": 1,
        },
        "type": "email",
    }


STORED = 5  # notifications the fake lists, newest (highest n) first
PAGE = 2


def fake_notify_response(
    state: FakeState, method: str, target: str, body: bytes, root: str
) -> tuple[int, bytes]:
    """The fake's answer (status, JSON body) for an authenticated request."""
    parts = urlsplit(target)
    path, query = parts.path, parse_qs(parts.query)
    if method == "POST" and path == "/v2/notifications/email":
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return _error(400, "BadRequestError", "Invalid JSON supplied in POST data")
        data = data or {}
        email = data.get("email_address", "")
        if "email_address" not in data:
            return _error(400, "ValidationError", "email_address is a required property")
        if email.startswith("invalid"):
            return _error(400, "ValidationError", "email_address Not a valid email address")
        if email.startswith("ratelimited"):
            return _error(
                429,
                "RateLimitError",
                "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
            )
        if email.startswith("boom"):
            return 500, b"<html><body>Internal Server Error</body></html>"
        if email.startswith("unavailable"):
            return _error(503, "EventletTimeout", "Timeout serving request")
        if email.startswith("notjson"):
            return 201, b"created, but not JSON"
        with state.lock:
            state.sent += 1
        nid = str(uuid.uuid5(NAMESPACE, body.decode("utf-8", "replace")))
        tid = data.get("template_id")
        return 201, _compact(
            {
                "content": {
                    "body": "Hello",
                    "from_email": "service@notifications.service.gov.uk",
                    "one_click_unsubscribe_url": data.get("one_click_unsubscribe_url"),
                    "subject": "Subject",
                },
                "id": nid,
                "reference": data.get("reference"),
                "sanitised_content": {},
                "scheduled_for": None,
                "template": {
                    "id": tid,
                    "uri": f"{root}services/{SERVICE_ID}/templates/{tid}",
                    "version": 1,
                },
                "uri": f"{root}v2/notifications/{nid}",
                "echo": data,
            }
        )
    if method == "GET" and path == "/v2/notifications":
        unknown = sorted(
            set(query) - {"status", "template_type", "reference", "older_than", "include_jobs"}
        )
        if unknown:
            return _error(
                400,
                "ValidationError",
                f"Additional properties are not allowed ({', '.join(unknown)} was unexpected)",
            )
        rows = [_notification(n, root) for n in range(STORED, 0, -1)]
        if "reference" in query:
            rows = [r for r in rows if r["reference"] == query["reference"][0]]
        if "older_than" in query:
            ids = [r["id"] for r in rows]
            older = query["older_than"][0]
            rows = rows[ids.index(older) + 1 :] if older in ids else []
        page = rows[:PAGE]
        current = f"{root}v2/notifications" + (f"?{parts.query}" if parts.query else "")
        links = {"current": current}
        if page:
            params = {k: v for k, v in query.items() if k != "older_than"}
            params["older_than"] = [page[-1]["id"]]
            qs = "&".join(f"{k}={v}" for k, vals in params.items() for v in vals)
            links["next"] = f"{root}v2/notifications?{qs}"
        return 200, _compact({"links": links, "notifications": page})
    m = re.fullmatch(r"/v2/notifications/([^/]+)", path)
    if method == "GET" and m:
        nid = m.group(1)
        if not UUID_RE.match(nid):
            return _error(400, "ValidationError", "notification_id is not a valid UUID")
        for n in range(1, STORED + 1):
            row = _notification(n, root)
            if row["id"] == nid:
                return 200, _compact(row)
        return _error(404, "NoResultFound", "No result found")
    m = re.fullmatch(r"/v2/template/([^/]+)", path)
    if method == "GET" and m:
        if m.group(1) != TEMPLATE_ID:
            return _error(404, "NoResultFound", "No result found")
        return 200, _compact(
            {
                "body": "Hello ((name))",
                "created_at": "2024-01-01T00:00:00.000000Z",
                "created_by": "someone@example.com",
                "id": TEMPLATE_ID,
                "letter_contact_block": None,
                "name": "Welcome",
                "personalisation": {"name": {"required": True}},
                "postage": None,
                "subject": "Hi",
                "type": "email",
                "updated_at": None,
                "version": 1,
            }
        )
    if method == "GET" and path == "/v2/templates":
        kind = query.get("type", [None])[0]
        if kind not in (None, "email", "sms", "letter"):
            return _error(400, "ValidationError", f"type {kind} is not one of [sms, email, letter]")
        rows = [{"id": TEMPLATE_ID, "type": "email", "name": "Welcome"}]
        return 200, _compact({"templates": [r for r in rows if kind in (None, r["type"])]})
    if path == "/empty":
        return 204, b""
    if path == "/plain":
        return 200, b"plain text, not JSON"
    return 404, _compact(
        {
            "message": "The requested URL was not found on the server. If you entered the URL "
            "manually please check your spelling and try again.",
            "result": "error",
        }
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _FakeServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        rec = Recorded(self.command, self.path, headers, body, self.client_address[1])
        with state.lock:
            state.requests.append(rec)
            override = state.overrides.get(urlsplit(self.path).path)
        root = f"http://{headers.get('host', '')}/"
        auth = headers.get("authorization", "")
        if override:
            status, payload, delay = override
            if delay:
                time.sleep(delay)
        elif not auth.startswith("Bearer "):
            status, payload = _error(
                401, "AuthError", "Unauthorized: authentication token must be provided"
            )
        else:
            try:
                rec.claims = jwt.decode(auth[7:], SECRET, algorithms=["HS256"], leeway=30)
            except jwt.InvalidTokenError:
                status, payload = _error(403, "AuthError", "Invalid token: API key not found")
            else:
                status, payload = fake_notify_response(state, self.command, self.path, body, root)
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if status != 204:
            self.wfile.write(payload)

    do_GET = _handle
    do_POST = _handle
    do_PUT = _handle
    do_DELETE = _handle


class _FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    state: FakeState


class FakeNotify:
    """A running fake Notify on 127.0.0.1 (HTTP/1.1, keep-alive)."""

    def __init__(self) -> None:
        self.server = _FakeServer(("127.0.0.1", 0), _Handler)
        self.server.state = FakeState()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def state(self) -> FakeState:
        return self.server.state

    @property
    def requests(self) -> list[Recorded]:
        with self.state.lock:
            return list(self.state.requests)

    def answer(self, path: str, status: int, body: bytes, delay: float = 0.0) -> None:
        """Answer every request for path with status and body (after delay seconds)."""
        with self.state.lock:
            self.state.overrides[path] = (status, body, delay)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def read_http_request(conn: socket.socket, buf: bytearray) -> bytes | None:
    """Reads one HTTP/1.1 request (headers + Content-Length body) from conn.

    Returns the raw request, or None when the peer closed first. buf keeps
    bytes read past the request.
    """
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head_end = buf.index(b"\r\n\r\n") + 4
    head = bytes(buf[:head_end])
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    length = int(m.group(1)) if m else 0
    while len(buf) < head_end + length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buf += chunk
    request = bytes(buf[: head_end + length])
    del buf[: head_end + length]
    return request


class RawServer:
    """A TCP server on 127.0.0.1 calling handler(conn, server) per connection."""

    def __init__(self, handler: Callable[[socket.socket, RawServer], None]) -> None:
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.received: list[bytes] = []
        self.connections = 0
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def record(self, request: bytes) -> None:
        with self.lock:
            self.received.append(request)

    def _serve(self) -> None:
        while not self.closing.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self.handler(conn, self)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.closing.set()
        self.sock.close()


def refused_url() -> tuple[str, socket.socket]:
    """A URL whose port refuses connections: bound, never listening.

    Keep the returned socket open for as long as the URL is used.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return f"http://127.0.0.1:{sock.getsockname()[1]}", sock
