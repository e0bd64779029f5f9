"""notify-api.md §10 item 6 and "Server conventions": the bytes and headers of responses.

Every response body must be exactly what Flask's jsonify sends: compact, key-sorted,
ASCII-escaped JSON followed by a newline, with Notify's after_request headers and no
Retry-After.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from govuk_notify_emulator import (
    TEMPLATE_PLAIN,
    TEMPLATE_WELCOME,
    NotifyEmulator,
)

from .helpers import call, send, token

SECURITY_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Content-Type,Authorization",
    "Access-Control-Allow-Methods": "GET,PUT,POST,DELETE",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Permitted-Cross-Domain-Policies": "none",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "Cache-Control": "no-store, no-cache, private, must-revalidate",
}
LEGACY_404 = {
    "message": "The requested URL was not found on the server. If you entered the URL "
    "manually please check your spelling and try again.",
    "result": "error",
}
LEGACY_405 = {"message": "The method is not allowed for the requested URL.", "result": "error"}


def flask_bytes(obj: Any) -> bytes:
    """What Flask's jsonify sends outside debug mode for obj."""
    return (
        json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"
    ).encode()


Request = Callable[[NotifyEmulator], requests.Response]


def sent_id(emulator: NotifyEmulator) -> str:
    resp = send(emulator, reference="caf\u00e9 \u2019quoted\u2019")
    assert resp.status_code == 201
    return str(resp.json()["id"])


REQUESTS: dict[str, Request] = {
    "201 send": lambda e: send(
        e,
        template_id=TEMPLATE_WELCOME,
        personalisation={"name": "Zo\u00eb \u2013 \U0001f600", "reference_number": "<1>"},
        reference="\u00e9t\u00e9",
    ),
    "200 get by id": lambda e: call(e, "GET", f"/v2/notifications/{sent_id(e)}"),
    "200 list": lambda e: (sent_id(e), call(e, "GET", "/v2/notifications?status=created"))[1],
    "200 template": lambda e: call(e, "GET", f"/v2/template/{TEMPLATE_WELCOME}"),
    "200 template version": lambda e: call(e, "GET", f"/v2/template/{TEMPLATE_WELCOME}/version/1"),
    "200 templates": lambda e: call(e, "GET", "/v2/templates?type=email"),
    "200 preview": lambda e: call(
        e,
        "POST",
        f"/v2/template/{TEMPLATE_WELCOME}/preview",
        json_body={"personalisation": {"name": "\u00c5sa", "reference_number": "1"}},
    ),
    "400 validation": lambda e: send(e, email_address="x", template_id="y", foo=1),
    "400 team key": lambda e: send(e, e.api_keys["team"], email_address="s@example.com"),
    "400 invalid json": lambda e: call(e, "POST", "/v2/notifications/email", data=b"{"),
    "400 bad uuid": lambda e: call(e, "GET", "/v2/notifications/nope"),
    "401": lambda e: requests.get(e.base_url + "/v2/notifications", timeout=5),
    "403": lambda e: requests.get(
        e.base_url + "/v2/notifications", headers={"Authorization": "Bearer x"}, timeout=5
    ),
    "404 v2": lambda e: call(e, "GET", f"/v2/notifications/{uuid.uuid4()}"),
    "404 legacy": lambda e: requests.get(e.base_url + "/v2/nope", timeout=5),
    "405 legacy": lambda e: requests.delete(e.base_url + "/v2/notifications", timeout=5),
    "429 fault": lambda e: (e.faults(error_429_rate=1), send(e))[1],
    "500 fault": lambda e: (e.faults(error_5xx_rate=1), send(e))[1],
}


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[NotifyEmulator]:
    with NotifyEmulator(args=["--created-to-sending-ms", "3600000"]) as emulator:
        yield emulator


@pytest.fixture
def emu(module_emulator: NotifyEmulator) -> NotifyEmulator:
    module_emulator.clear()
    module_emulator.reset_faults()
    return module_emulator


@pytest.mark.parametrize("name", list(REQUESTS))
def test_body_is_compact_sorted_ascii_json_ending_in_newline(
    emu: NotifyEmulator, name: str
) -> None:
    resp = REQUESTS[name](emu)
    assert resp.status_code == int(name[:3])
    assert resp.content == flask_bytes(resp.json())
    assert resp.content.isascii()
    assert resp.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("name", list(REQUESTS))
def test_every_response_has_notifys_headers_and_no_retry_after(
    emu: NotifyEmulator, name: str
) -> None:
    resp = REQUESTS[name](emu)
    for header, value in SECURITY_HEADERS.items():
        assert resp.headers.get(header) == value, header
    assert "Retry-After" not in resp.headers
    assert "WWW-Authenticate" not in resp.headers


def test_non_ascii_is_escaped_as_python_does(emu: NotifyEmulator) -> None:
    resp = send(
        emu, email_address="s@example.com", template_id=TEMPLATE_PLAIN, key=emu.api_keys["team"]
    )
    assert b"Can\\u2019t send to this recipient" in resp.content
    resp = send(
        emu,
        template_id=TEMPLATE_WELCOME,
        personalisation={"name": "\U0001f600", "reference_number": 1},
    )
    assert b"\\ud83d\\ude00" in resp.content


def test_status_code_field_equals_the_http_status(emu: NotifyEmulator) -> None:
    for name in ("400 validation", "401", "403", "404 v2", "429 fault", "500 fault"):
        emu.reset_faults()
        resp = REQUESTS[name](emu)
        assert resp.json()["status_code"] == resp.status_code, name


@pytest.mark.parametrize("path", ["/v2/nope", "/nope", "/v2/template", "/v2/notifications/email/x"])
def test_unknown_routes_get_the_legacy_404_without_authentication(
    emu: NotifyEmulator, path: str
) -> None:
    resp = requests.get(emu.base_url + path, timeout=5)
    assert resp.status_code == 404
    assert resp.json() == LEGACY_404
    assert resp.content == flask_bytes(LEGACY_404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v2/notifications"),
        ("PUT", "/v2/notifications/email"),
        ("POST", "/v2/templates"),
    ],
)
def test_wrong_methods_get_the_legacy_405(emu: NotifyEmulator, method: str, path: str) -> None:
    resp = requests.request(method, emu.base_url + path, timeout=5)
    assert resp.status_code == 405
    assert resp.json() == LEGACY_405


def test_429_from_the_token_bucket_has_no_retry_after(emu: NotifyEmulator) -> None:
    emu.faults(error_429_rate=1)
    resp = send(emu)
    assert resp.status_code == 429
    assert resp.json()["errors"][0]["error"] == "RateLimitError"
    assert {k.lower() for k in resp.headers}.isdisjoint({"retry-after", "x-ratelimit-remaining"})


def test_datetimes_are_utc_with_six_fraction_digits_and_z(emu: NotifyEmulator) -> None:
    id_ = sent_id(emu)
    emu.set_status(id_, "sending")
    emu.set_status(id_, "delivered")
    got = call(emu, "GET", f"/v2/notifications/{id_}").json()

    pattern = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
    for field in ("created_at", "sent_at", "completed_at"):
        assert got[field] is not None, field
        assert re.fullmatch(pattern, got[field]), (field, got[field])


def test_head_is_answered_like_get_without_a_body(emu: NotifyEmulator) -> None:
    anonymous = requests.head(emu.base_url + "/v2/notifications", timeout=5)
    assert (anonymous.status_code, anonymous.content) == (401, b"")
    signed = requests.head(
        emu.base_url + "/v2/notifications",
        headers={"Authorization": f"Bearer {token(emu.api_key)}"},
        timeout=5,
    )
    assert (signed.status_code, signed.content) == (200, b"")


def test_options_on_a_v2_route_is_authenticated_then_answered(emu: NotifyEmulator) -> None:
    # Flask adds OPTIONS to every route: the v2 auth hook runs, then the default response.
    anonymous = requests.options(emu.base_url + "/v2/notifications", timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"] == [
        {"error": "AuthError", "message": "Unauthorized: authentication token must be provided"}
    ]
    signed = requests.options(
        emu.base_url + "/v2/notifications",
        headers={"Authorization": f"Bearer {token(emu.api_key)}"},
        timeout=5,
    )
    assert (signed.status_code, signed.content) == (200, b"")
    assert "GET" in signed.headers["Allow"]
