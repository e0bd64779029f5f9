"""The demo (`./scripts/demo --count 200 --no-serve`): every email reaches a
final state, and the summary adds up with the database and with the
emulator's own statistics."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.helpers import PYTHON, ROOT, child_env, stop

pytestmark = pytest.mark.slow

COUNT = 200


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Runs the demo driver once; returns its run directory and output."""
    run_dir = tmp_path_factory.mktemp("demo") / "run"
    result = subprocess.run(
        [PYTHON, "-m", "demo", "--count", str(COUNT), "--no-serve", "--timeout", "180"],
        cwd=ROOT,
        env=child_env({"NGO_DEMO_RUN_DIR": str(run_dir)}),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, f"demo failed:\n{result.stdout}\n{result.stderr}"
    return run_dir, result.stdout


def test_every_email_reaches_the_final_state_its_recipient_or_template_implies(
    demo_run: tuple[Path, str],
) -> None:
    run_dir, _ = demo_run
    summary = json.loads((run_dir / "summary.json").read_text())
    planned = summary["planned"]
    statuses = summary["statuses"]
    assert summary["emails"] == COUNT == sum(planned.values())
    assert statuses["notify-delivered"] == planned["ok"]
    assert statuses["notify-temporary-failure"] == planned["temp-fail"]
    assert statuses["notify-permanent-failure"] == planned["perm-fail"]
    assert (
        statuses["failed-send-to-notify"] == planned["missing-field"] + planned["no-such-template"]
    )
    assert sum(statuses.values()) == COUNT


def test_summary_matches_the_database(demo_run: tuple[Path, str]) -> None:
    run_dir, _ = demo_run
    summary = json.loads((run_dir / "summary.json").read_text())
    with sqlite3.connect(run_dir / "db.sqlite3") as db:
        by_status = dict(
            db.execute(
                "SELECT status, COUNT(*) FROM django_govuk_notify_outbox_emailmessage "
                "GROUP BY status"
            ).fetchall()
        )
        with_notify_id = db.execute(
            "SELECT COUNT(*) FROM django_govuk_notify_outbox_emailmessage "
            "WHERE notify_id IS NOT NULL"
        ).fetchone()[0]
    assert {s: n for s, n in summary["statuses"].items() if n} == by_status
    assert summary["sent_to_notify"] == with_notify_id
    assert summary["delivered"] + summary["failed"] == COUNT


def test_the_emulator_stored_exactly_one_notification_per_sent_email(
    demo_run: tuple[Path, str],
) -> None:
    run_dir, output = demo_run
    summary = json.loads((run_dir / "summary.json").read_text())
    planned = summary["planned"]
    accepted = planned["ok"] + planned["temp-fail"] + planned["perm-fail"]
    assert summary["sent_to_notify"] == accepted
    assert summary["emulator_stored"] == accepted
    assert summary["emulator_references_sent_more_than_once"] == []
    assert summary["sent_references_missing_at_emulator"] == []
    posts = summary["notify_requests_by_route"]["POST /v2/notifications/email"]
    # One POST per email: 201 for the accepted, 400 for the two mistakes.
    assert posts.get("201") == accepted
    assert sum(posts.values()) == COUNT
    assert summary["notify_requests"] >= COUNT
    assert "exactly one notification per sent email" in output


def test_failures_are_reported_with_notifys_reasons(demo_run: tuple[Path, str]) -> None:
    run_dir, output = demo_run
    summary = json.loads((run_dir / "summary.json").read_text())
    reasons = summary["failure_reasons"]
    assert any("Missing personalisation" in r for r in reasons)
    assert any("Template not found" in r for r in reasons)
    assert "Missing personalisation" in output
    assert f"Done: {COUNT} emails reached a final state" in output


def test_progress_is_printed_as_plain_lines_when_not_on_a_terminal(
    demo_run: tuple[Path, str],
) -> None:
    _, output = demo_run
    progress = [line for line in output.splitlines() if line.startswith("[")]
    assert progress, output
    assert f"{COUNT}/{COUNT} final" in progress[-1]
    assert "\033[" not in output


def test_progress_table_is_redrawn_in_place_on_a_terminal(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [PYTHON, "-m", "demo", "--count", "20", "--no-serve", "--timeout", "120"],
        cwd=ROOT,
        env=child_env({"NGO_DEMO_RUN_DIR": str(tmp_path / "run"), "TERM": "xterm"}),
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
    )
    os.close(terminal)
    output = b""
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the demo exited
                break
            if not chunk:
                break
            output += chunk
        assert proc.wait(timeout=30) == 0, output.decode(errors="replace")
    finally:
        stop(proc)
        os.close(controller)
    text = output.decode(errors="replace")
    # Twelve lines (header, ten statuses, total) drawn, then redrawn over the
    # previous drawing by moving the cursor up twelve lines.
    assert "\033[12F" in text
    assert text.count("notify-permanent-failure") >= 2
    assert "20 of 20 final" in text
    assert not re.search(r"^\[\s*\d+\.\d+s\]", text, re.MULTILINE)
