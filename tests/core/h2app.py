"""A tiny ASGI app for the HTTP/2 tests, served by hypercorn over TLS.

It records, for every request, the HTTP version and the client's port (one
port = one connection); GET /_stats returns the records.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

RECORDS: list[dict[str, Any]] = []
# Requests being handled right now: each record notes how many were, so a test
# can tell concurrent requests from sequential ones without timing anything.
IN_FLIGHT = 0


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    global IN_FLIGHT
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    if scope["path"] == "/_stats":
        status, payload = 200, json.dumps(RECORDS).encode()
    else:
        RECORDS.append(
            {
                "http_version": scope["http_version"],
                "client_port": scope["client"][1] if scope.get("client") else None,
                "path": scope["path"],
                "method": scope["method"],
                "user_agent": headers.get("user-agent", ""),
                "body_len": len(body),
                "in_flight": IN_FLIGHT + 1,
            }
        )
        IN_FLIGHT += 1
        try:
            await asyncio.sleep(0.05)  # keep requests in flight at the same time
        finally:
            IN_FLIGHT -= 1
        status = 201 if scope["method"] == "POST" else 200
        payload = json.dumps({"id": len(RECORDS), "http_version": scope["http_version"]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": payload})
