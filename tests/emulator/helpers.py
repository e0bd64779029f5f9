"""Helpers for talking to the emulator over real HTTP: signed tokens and requests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import requests

from govuk_notify_emulator import NotifyEmulator


def split_key(api_key: str) -> tuple[str, str]:
    """(service_id, secret) of an API key, counted from the end like the official client."""
    return api_key[-73:-37], api_key[-36:]


def token(api_key: str, *, iat: int | None = None, alg: str = "HS256", **claims: Any) -> str:
    """A Notify JWT for api_key; iat defaults to now; extra claims are added."""
    service_id, secret = split_key(api_key)
    payload: dict[str, Any] = {"iss": service_id, "iat": int(time.time()) if iat is None else iat}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, secret, algorithm=alg)


def call(
    emulator: NotifyEmulator,
    method: str,
    path: str,
    *,
    key: str | None = None,
    json_body: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    **kwargs: Any,
) -> requests.Response:
    """One HTTP request to the emulator, signed with key (default: the test key)."""
    h = {"Authorization": f"Bearer {token(key or emulator.api_key)}"}
    h.update(headers or {})
    return requests.request(
        method,
        emulator.base_url + path,
        json=json_body,
        data=data,
        headers=h,
        timeout=timeout,
        **kwargs,
    )


def send(emulator: NotifyEmulator, key: str | None = None, **body: Any) -> requests.Response:
    """POST /v2/notifications/email with body (email_address and template_id defaulted)."""
    from govuk_notify_emulator import TEMPLATE_PLAIN

    body.setdefault("email_address", "someone@example.com")
    body.setdefault("template_id", TEMPLATE_PLAIN)
    return call(emulator, "POST", "/v2/notifications/email", key=key, json_body=body)


def errors(resp: requests.Response) -> list[tuple[str, str]]:
    """The (error, message) pairs of a v2 error body, after checking its status_code."""
    body = resp.json()
    assert body["status_code"] == resp.status_code
    return [(e["error"], e["message"]) for e in body["errors"]]


def wait_for(predicate: Any, timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Polls predicate() until it returns something truthy; fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)


def raw_token(payload: dict[str, Any], secret: str, header: dict[str, Any] | None = None) -> str:
    """An HS256 JWT signed by hand, for claims PyJWT refuses to encode (e.g. a numeric iss)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps(header or {"typ": "JWT", "alg": "HS256"}).encode())
    body = b64(json.dumps(payload).encode())
    mac = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"
