"""The README's one-line shell examples run as written: each `python manage.py ...` line
(through `python -m django`, the project here being the test settings on a file SQLite
database) and the emulator's `curl` line."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.readme import FENCE, README

ROOT = Path(__file__).resolve().parents[2]


def shell_lines(prefix: str) -> list[str]:
    """Every line of the README's sh blocks that starts with ``prefix`` (comments cut)."""
    lines = []
    for match in FENCE.finditer(README.read_text()):
        if match.group(1) != "sh":
            continue
        for line in match.group(2).splitlines():
            line = line.strip()
            if line.startswith(prefix):
                lines.append(line.split("#", 1)[0].strip())
    return lines


@pytest.fixture
def project(tmp_path: Path, notify_emulator: Any) -> dict[str, str]:
    """The environment of a project on a fresh, migrated SQLite file, sending to the emulator."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "NGO_TEST_DB": "sqlite",
        "NGO_SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "GOVUK_NOTIFY_API_KEY": notify_emulator.api_key,
        "GOVUK_NOTIFY_BASE_URL": notify_emulator.base_url,
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--verbosity", "0"],
        env=env, cwd=ROOT, check=True, timeout=120,
    )  # fmt: skip
    return env


def _argv(line: str) -> list[str]:
    words = shlex.split(line)
    assert words[:2] == ["python", "manage.py"], line
    return [sys.executable, "-m", "django", *words[2:]]


def test_every_management_command_line_runs_as_written(project: dict[str, str]) -> None:
    lines = shell_lines("python manage.py ")
    names = {shlex.split(line)[2] for line in lines}
    assert {"notify_outbox_purge", "notify_outbox_erase", "notify_outbox_worker",
            "notify_outbox_sync", "notify_outbox_health"} <= names  # fmt: skip
    for line in lines:
        argv = _argv(line)
        if argv[3] == "notify_outbox_worker":
            # A daemon: it runs until SIGTERM, then stops cleanly after its run.
            worker = subprocess.Popen(
                argv, env=project, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            try:
                with pytest.raises(subprocess.TimeoutExpired):
                    worker.wait(2)
            finally:
                worker.send_signal(signal.SIGTERM)
                out, err = worker.communicate(timeout=60)
            assert worker.returncode == 0, err
            assert b"worker stopped" in out
            continue
        done = subprocess.run(argv, env=project, cwd=ROOT, capture_output=True, timeout=120)
        assert done.returncode == 0, (line, done.stdout.decode(), done.stderr.decode())
        if argv[3] == "notify_outbox_health":
            # The README runs it after the worker and the sync: the outbox is healthy.
            assert done.stdout.startswith(b"healthy"), done.stdout


def test_the_emulator_curl_line_runs_as_written(notify_emulator: Any) -> None:
    (line,) = shell_lines('curl -X PUT "$NOTIFY_BASE_URL/_emulator/faults"')
    env = {**os.environ, "NOTIFY_BASE_URL": notify_emulator.base_url}
    try:
        done = subprocess.run(["sh", "-c", line], env=env, capture_output=True, timeout=30)
        assert done.returncode == 0, done.stderr
        faults = notify_emulator.faults()
        assert faults["error_5xx_rate"] == 0.2
        assert faults["latency_ms"] == 300
    finally:
        notify_emulator.faults(error_5xx_rate=0, latency_ms=0)
