"""The dashboard and the admin at 1400 px, in headless Chromium: the demo's outbox (its
own runserver, worker and emulator) after it sent its 40 emails. Nothing overflows the
page, the template id stays on one line, the dashboard's chart is drawn. The dashboard's
screenshot lands in docs/screenshots/ for the README with NGO_UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.helpers import wait_for
from tests.e2e.test_admin_browser import (  # noqa: F401  (the fixture)
    CHROMIUM,
    CHROMIUM_ARGS,
    OUTBOX,
    README_SCREENSHOTS,
    demo_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH = 1400
OVERFLOWS = "document.documentElement.scrollWidth > document.documentElement.clientWidth"
# The table inside its (scrollable) container needs no horizontal scroll.
FITS = "(s) => { const e = document.querySelector(s); return e.scrollWidth <= e.clientWidth; }"


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")
def test_the_dashboard_and_the_admin_fit_1400_px(
    demo_server: tuple[str, subprocess.Popen[bytes], Path],  # noqa: F811
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, _demo, log = demo_server
    update = os.environ.get("NGO_UPDATE_SCREENSHOTS") == "1"
    shots = README_SCREENSHOTS if update else log.parent / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            page.goto(f"{base}/admin/login/?next={OUTBOX}")
            page.fill("#id_username", "demo")
            page.fill("#id_password", "demo")
            page.click("input[type=submit]")
            expect(page.locator("#result_list")).to_be_visible()

            # The list: no horizontal scroll, one line per template id, a last-error column.
            assert not page.evaluate(OVERFLOWS)
            assert page.evaluate(FITS, ".results")
            uuid_cell = page.locator("#result_list td.field-template_short").first
            line = page.evaluate(
                "parseFloat(getComputedStyle(document.querySelector('.ngo-uuid')).lineHeight) || 20"
            )
            box = uuid_cell.locator("code").bounding_box()
            assert box is not None
            assert box["height"] < 1.6 * line
            expect(page.locator("#result_list thead")).to_contain_text("Last error")

            # A failed email's page and its timeline: no horizontal scroll either.
            page.goto(f"{base}{OUTBOX}?status__exact=failed-send-to-notify")
            page.locator("#result_list tbody tr th a").first.click()
            expect(page.locator("#content")).to_contain_text("Failed to send to Notify")
            assert not page.evaluate(OVERFLOWS)
            assert page.evaluate(FITS, ".inline-group .tabular")
            expect(page.locator(".ngo-fold").first).to_be_attached()

            # The dashboard, linked from the outbox's admin index.
            page.goto(f"{base}/admin/django_govuk_notify_outbox/")
            page.click("text=Outbox dashboard")
            expect(page.locator("#ngo-dashboard")).to_be_visible()

            def drawn() -> bool | None:
                page.goto(f"{base}{OUTBOX}dashboard/?window=1h")
                series = page.locator("svg.ngo-chart polyline")
                names = {series.nth(i).get_attribute("data-series") for i in range(series.count())}
                return True if {"queued", "accepted", "delivered"} <= names else None

            wait_for("the demo's emails to reach the dashboard", drawn, timeout=90, every=2)
            expect(page.locator("#ngo-answers")).to_contain_text("accepted")
            expect(page.locator("#ngo-latency")).to_contain_text("send")
            assert not page.evaluate(OVERFLOWS)
            page.screenshot(path=shots / "admin-dashboard.png", full_page=True)
        finally:
            browser.close()
