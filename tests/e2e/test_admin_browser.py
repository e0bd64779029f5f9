"""The admin, seen in headless Chromium: the demo serves it (its own
runserver, worker and emulator), a browser logs in, filters the outbox by
status, reads an email's event timeline and runs "retry now". The
screenshots land in docs/screenshots/ for the README. Ctrl-C then stops the
demo and every process it started."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import PYTHON, ROOT, child_env, free_port, stop, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# The README's screenshots are refreshed with NGO_UPDATE_SCREENSHOTS=1;
# otherwise they go to the test's temporary directory.
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
OUTBOX = "/admin/django_govuk_notify_outbox/emailmessage/"


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """The demo with 40 emails, serving the admin; yields (admin URL, process, log)."""
    port = free_port()
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [PYTHON, "-m", "demo", "--count", "40", "--port", str(port)],
            cwd=ROOT,
            env=child_env({"NGO_DEMO_RUN_DIR": str(tmp_path / "run")}),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(
            "the demo to serve the admin",
            lambda: True if "Press Ctrl-C to stop." in log.read_text() else None,
            timeout=180,
        )
        yield f"http://127.0.0.1:{port}", proc, log
    finally:
        stop(proc)


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")
def test_admin_shows_failed_emails_their_timeline_and_retries_them(
    demo_server: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, demo, log = demo_server
    emulator_url = re.search(r"Emulator:\s+(http://\S+?)/?$", log.read_text(), re.MULTILINE)
    assert emulator_url is not None, log.read_text()
    update = os.environ.get("NGO_UPDATE_SCREENSHOTS") == "1"
    shots = README_SCREENSHOTS if update else log.parent / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            page.goto(f"{base}/admin/login/?next={OUTBOX}")
            page.fill("#id_username", "demo")
            page.fill("#id_password", "demo")
            page.click("input[type=submit]")
            expect(page.locator("#result_list")).to_be_visible()
            assert page.locator("#result_list tbody tr").count() == 40
            page.screenshot(path=shots / "admin-list.png")

            # Filtered by status: the two emails Notify rejected.
            page.goto(f"{base}{OUTBOX}?status__exact=failed-send-to-notify")
            rows = page.locator("#result_list tbody tr")
            expect(rows).to_have_count(2)
            expect(rows.first).to_contain_text("Failed to send to Notify")
            page.screenshot(path=shots / "admin-filtered.png", full_page=True)

            # One email's detail page and its event timeline.
            rows.first.locator("th a").click()
            body = page.locator("#content")
            expect(body).to_contain_text("Failed to send to Notify")
            expect(body).to_contain_text(re.compile("Missing personalisation|Template not found"))
            expect(body).to_contain_text("POST")
            expect(body).to_contain_text("400")
            detail_url = page.url
            page.screenshot(path=shots / "admin-detail.png", full_page=True)

            # "Retry now" on both: the admin queues them; the demo's worker sends.
            page.goto(f"{base}{OUTBOX}?status__exact=failed-send-to-notify")
            page.check("#action-toggle")
            page.select_option("select[name=action]", "retry_now")
            page.click("button[name=index]")
            expect(page.locator("ul.messagelist")).to_contain_text(
                "2 email(s) queued for an immediate retry."
            )

            # Notify rejects them again (nothing about them changed): the
            # timeline shows the retry request, a second POST, and the email
            # is failed once more.
            def retried() -> bool | None:
                page.goto(detail_url)
                text = page.locator("#content").inner_text()
                done = (
                    "Retry requested by demo" in text
                    and text.count("/v2/notifications/email") == 2
                    and text.count("retrying-send-to-notify") >= 2  # to, then from it
                    and "Failed to send to Notify" in page.locator(".ngo-status").inner_text()
                )
                return True if done else None

            wait_for("the retried email to be attempted again", retried, timeout=60, every=1)
            page.screenshot(path=shots / "admin-retry.png", full_page=True)

            # The emulator's own page lists what Notify received.
            page.goto(f"{emulator_url.group(1)}/")
            expect(page.locator("body")).to_contain_text("temp-fail@simulator.notify")
            expect(page.locator("body")).to_contain_text("permanent-failure")
            page.screenshot(path=shots / "emulator.png")
        finally:
            browser.close()

    # Ctrl-C stops the demo and every process it started.
    os.killpg(demo.pid, signal.SIGINT)
    assert demo.wait(timeout=30) == 130, log.read_text()
    assert "Stopped." in log.read_text()
    for url in (base, emulator_url.group(1)):
        port = int(url.rsplit(":", 1)[1].strip("/"))
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"{url} still answers after Ctrl-C"
