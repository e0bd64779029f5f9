"""The control API and the web page."""

from __future__ import annotations

import re

import requests

from govuk_notify_emulator import (
    DEFAULT_SERVICE_ID,
    TEMPLATE_WELCOME,
    NotifyEmulator,
)

from .helpers import call, send


def test_notifications_lists_every_key_type_newest_first(notify_emulator: NotifyEmulator) -> None:
    a = send(notify_emulator).json()["id"]
    b = send(notify_emulator, key=notify_emulator.api_keys["live"]).json()["id"]
    listed = notify_emulator.notifications()
    assert [n["id"] for n in listed] == [b, a]
    assert [n["key_type"] for n in listed] == ["normal", "test"]
    assert {n["service_id"] for n in listed} == {DEFAULT_SERVICE_ID}
    assert listed[0]["status"] == "created"


def test_clear_removes_notifications_counters_and_stats(notify_emulator: NotifyEmulator) -> None:
    nid = send(notify_emulator, reference="x").json()["id"]
    assert notify_emulator.clear() == 1
    assert notify_emulator.notifications() == []
    stats = notify_emulator.stats()
    assert stats["stored"] == 0
    assert stats["stored_total"] == 0
    assert stats["references"] == {}
    assert "POST /v2/notifications/email" not in stats["requests"]
    assert call(notify_emulator, "GET", f"/v2/notifications/{nid}").status_code == 404


def test_stats_count_requests_by_route_and_outcome_and_references(
    notify_emulator: NotifyEmulator,
) -> None:
    send(notify_emulator, reference="dup")
    send(notify_emulator, reference="dup")
    send(notify_emulator, reference="once")
    send(notify_emulator, template_id="nope")
    call(notify_emulator, "GET", "/v2/notifications")
    requests.get(notify_emulator.base_url + "/v2/notifications", timeout=5)
    requests.get(notify_emulator.base_url + "/nowhere", timeout=5)
    stats = notify_emulator.stats()
    assert stats["requests"]["POST /v2/notifications/email"] == {"201": 3, "400": 1}
    assert stats["requests"]["GET /v2/notifications"] == {"200": 1, "401": 1}
    assert stats["requests"]["GET (unknown)"] == {"404": 1}
    assert stats["stored"] == 3
    assert stats["references"] == {"dup": 2, "once": 1}
    assert stats["stored_bytes"] > 0


def test_config_shows_services_keys_and_port(notify_emulator: NotifyEmulator) -> None:
    config = notify_emulator.config()
    assert config["port"] == int(notify_emulator.base_url.rsplit(":", 1)[1])
    service = config["services"][0]
    assert service["id"] == DEFAULT_SERVICE_ID
    assert {k["key"] for k in service["api_keys"]} == set(notify_emulator.api_keys.values())
    assert TEMPLATE_WELCOME in {t["id"] for t in service["templates"]}


def test_web_page_lists_notifications_escaped_and_refreshes(
    notify_emulator: NotifyEmulator,
) -> None:
    send(
        notify_emulator,
        template_id=TEMPLATE_WELCOME,
        personalisation={"name": "<script>alert(1)</script>", "reference_number": "R&D"},
        email_address="page@example.com",
    )
    resp = requests.get(notify_emulator.base_url + "/", timeout=5)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    html = resp.text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "R&amp;D" in html
    assert "page@example.com" in html
    assert "created" in html
    assert 'http-equiv="refresh"' in html
    assert "http://" not in html.split("<body>")[0]  # no external assets


def test_unknown_control_route_and_method(notify_emulator: NotifyEmulator) -> None:
    resp = requests.get(notify_emulator.base_url + "/_emulator/nothing", timeout=5)
    assert resp.status_code == 404
    resp = requests.post(notify_emulator.base_url + "/_emulator/stats", timeout=5)
    assert resp.status_code == 405
    assert resp.json() == {
        "message": "The method is not allowed for the requested URL.",
        "result": "error",
    }


def status_cells(html: str) -> list[tuple[str, str]]:
    """The (class, text) of each status cell on the web page, top to bottom."""
    cells: list[tuple[str, str]] = re.findall(
        r'<td class="status ([a-z-]+)"><span>([a-z-]+)</span></td>', html
    )
    return cells


def test_web_page_colours_each_status(notify_emulator: NotifyEmulator) -> None:
    ids = [send(notify_emulator).json()["id"] for _ in range(4)]
    for nid, status in zip(ids[1:], ("delivered", "permanent-failure", "sending"), strict=True):
        notify_emulator.set_status(nid, status)
    html = requests.get(notify_emulator.base_url + "/", timeout=5).text
    assert status_cells(html) == [
        ("st-sending", "sending"),
        ("st-failed", "permanent-failure"),
        ("st-delivered", "delivered"),
        ("st-created", "created"),
    ]
    style = html.split("</style>")[0]
    colours = {name: re.search(rf"\.{name} span\{{background:(#[0-9a-f]+)", style) for name in
               ("st-created", "st-sending", "st-delivered", "st-failed")}  # fmt: skip
    assert all(colours.values())
    assert len({m.group(1) for m in colours.values() if m}) == 4  # four different colours
    assert "Showing only the newest" not in html


def test_web_page_says_when_it_shows_only_the_newest_500(notify_emulator: NotifyEmulator) -> None:
    for _ in range(501):
        assert send(notify_emulator).status_code == 201
    html = requests.get(notify_emulator.base_url + "/", timeout=5).text
    assert len(status_cells(html)) == 500
    assert "Showing only the newest 500 of 501 notifications" in html
