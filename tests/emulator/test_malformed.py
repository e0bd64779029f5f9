"""Malformed input of every kind gets Notify's error bodies; the server never dies or hangs."""

from __future__ import annotations

import errno
import random
import socket
from typing import Any

import pytest
import requests

from govuk_notify_emulator import NotifyEmulator

from .helpers import call, errors, send

NOT_FOUND = (
    "The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again."
)


def test_unknown_route_has_legacy_404_body(notify_emulator: NotifyEmulator) -> None:
    for path in (
        "/nope",
        "/v2/nope",
        "/v2/notifications/email/extra",
        "/v2/template/x/version/y",
        "/v2/notifications/",
        "/v2//notifications",
    ):
        resp = requests.get(notify_emulator.base_url + path, timeout=5)
        assert resp.status_code == 404, path
        assert resp.text == f'{{"message":"{NOT_FOUND}","result":"error"}}\n'


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v2/notifications"),
        ("PUT", "/v2/notifications/email"),
        ("GET", "/v2/template/f2a6c3b1-0004-4c1d-9e2f-3a4b5c6d7e04/preview"),
        ("PATCH", "/v2/templates"),
    ],
)
def test_wrong_method_has_legacy_405_body(
    notify_emulator: NotifyEmulator, method: str, path: str
) -> None:
    resp = call(notify_emulator, method, path)
    assert resp.status_code == 405
    assert resp.json() == {
        "message": "The method is not allowed for the requested URL.",
        "result": "error",
    }


def test_random_bytes_bodies(notify_emulator: NotifyEmulator) -> None:
    rng = random.Random(1234)
    for _ in range(50):
        data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 300)))
        resp = call(notify_emulator, "POST", "/v2/notifications/email", data=data)
        assert resp.status_code == 400
        assert resp.json()["errors"][0]["error"] in ("BadRequestError", "ValidationError")


def test_bad_utf8_inside_json_string(notify_emulator: NotifyEmulator) -> None:
    data = b'{"email_address": "a\xff@example.com", "template_id": "x"}'
    resp = call(notify_emulator, "POST", "/v2/notifications/email", data=data)
    assert errors(resp) == [("BadRequestError", "Invalid JSON supplied in POST data")]


@pytest.mark.parametrize("body", ["[]", "null", "0", '""', "{}", "[1,2]", '"text"', "12"])
def test_json_that_is_not_an_object(notify_emulator: NotifyEmulator, body: str) -> None:
    resp = call(notify_emulator, "POST", "/v2/notifications/email", data=body.encode())
    assert resp.status_code == 400
    assert resp.json()["errors"]


def test_wrong_types_everywhere(notify_emulator: NotifyEmulator) -> None:
    resp = send(
        notify_emulator,
        email_address=12345,
        template_id=["x"],
        personalisation="not_a_dict",
        reference={"a": 1},
    )
    got = errors(resp)
    assert ("ValidationError", "email_address 12345 is not of type string") in got
    assert ("ValidationError", "personalisation not_a_dict is not of type object") in got


def test_huge_body_is_rejected_not_crashing(notify_emulator: NotifyEmulator) -> None:
    data = b"{" + b" " * (13 * 1024 * 1024) + b"}"
    resp = call(notify_emulator, "POST", "/v2/notifications/email", data=data, timeout=30)
    assert resp.status_code == 413
    assert resp.json()["errors"][0]["error"] == "BadRequestError"
    assert send(notify_emulator).status_code == 201


def test_garbage_on_the_socket_and_half_requests(notify_emulator: NotifyEmulator) -> None:
    host, port = notify_emulator.base_url[len("http://") :].split(":")
    for payload in (
        b"\x00\x01\x02garbage\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /v2/notifications/email HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
    ):
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            # The server may answer and close before the whole payload is written.
            try:
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)
                while sock.recv(65536):
                    pass
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                pass
            except OSError as e:
                if e.errno != errno.ENOTCONN:
                    raise
    assert notify_emulator.returncode is None
    assert send(notify_emulator).status_code == 201


def test_odd_authorization_headers(notify_emulator: NotifyEmulator) -> None:
    for value in (
        "Bearer",
        "Bearer ",
        "Bearer  x.y.z",
        "Bearer " + "A" * 20000,
        "Bearer \u00e9".encode().decode("latin-1"),
    ):
        resp = requests.get(
            notify_emulator.base_url + "/v2/notifications",
            headers={"Authorization": value},
            timeout=5,
        )
        assert resp.status_code in (400, 401, 403, 431), value[:20]
    assert notify_emulator.returncode is None


def test_random_requests_always_get_a_json_answer(notify_emulator: NotifyEmulator) -> None:
    rng = random.Random(99)
    nid = send(notify_emulator).json()["id"]
    tid = "f2a6c3b1-0001-4c1d-9e2f-3a4b5c6d7e01"
    paths = [
        "/v2/notifications", "/v2/notifications/email", f"/v2/notifications/{nid}",
        "/v2/notifications/sms", "/v2/templates", f"/v2/template/{tid}",
        f"/v2/template/{tid}/version/1", f"/v2/template/{tid}/preview", "/v2/x",
        "/_emulator/faults", f"/_emulator/notifications/{nid}/status",
    ]  # fmt: skip
    queries = ["", "?status=created", "?status=%ff", "?older_than=" + nid, "?a&b=&&=c", "?type=sms",
               "?reference=" + "r" * 2000, "?template_type=email&template_type=x"]  # fmt: skip
    values: list[Any] = [None, True, 0, -1.5, "", "x" * 300, [], {}, ["a", {"b": None}], "\u2019"]
    keys = [
        "email_address", "template_id", "personalisation", "reference", "email_reply_to_id",
        "one_click_unsubscribe_url", "scheduled_for", "sanitise_content_for", "status", "seed",
    ]  # fmt: skip
    for _ in range(300):
        method = rng.choice(["GET", "POST", "PUT", "DELETE", "PATCH"])
        path = rng.choice(paths) + rng.choice(queries)
        body = {rng.choice(keys): rng.choice(values) for _ in range(rng.randrange(0, 5))}
        if rng.random() < 0.5:
            body.setdefault("email_address", rng.choice(["a@example.com", "bad", "x@y"]))
            body.setdefault("template_id", tid)
        if path.startswith("/_emulator/faults") and method == "PUT":
            body = {}  # keep faults off
        resp = call(notify_emulator, method, path, json_body=body)
        assert resp.status_code in (200, 201, 400, 404, 405), (method, path, body)
        parsed = resp.json()
        assert isinstance(parsed, dict)
    assert notify_emulator.returncode is None


def test_options_is_authenticated_then_answered_like_flask(notify_emulator: NotifyEmulator) -> None:
    url = notify_emulator.base_url + "/v2/notifications/email"
    assert requests.options(url, timeout=5).status_code == 401
    resp = call(notify_emulator, "OPTIONS", "/v2/notifications/email")
    assert (resp.status_code, resp.content) == (200, b"")
    assert resp.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert requests.options(notify_emulator.base_url + "/v2/nowhere", timeout=5).status_code == 404
