"""``manage.py notify_outbox_health`` under each condition, and the deployment check."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import checks, observe, outbox
from django_govuk_notify_outbox.models import EmailMessage, SyncLease
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_PLAIN

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def health(*args: str) -> tuple[int, str]:
    """(exit code, message) of the command."""
    try:
        call_command("notify_outbox_health", *args, stdout=(out := _Out()))
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.text


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def _lease(**fields: Any) -> None:
    SyncLease.objects.update_or_create(pk=SyncLease.SINGLETON_ID, defaults=fields)


def test_healthy_after_a_run(emulator: Any) -> None:
    send_email_notification("a@example.gov.uk", TEMPLATE_PLAIN)
    assert outbox.sync().ran
    code, text = health()
    assert code == 0, text
    assert text.startswith("healthy: 0 waiting")


def test_unhealthy_when_the_sync_never_ran() -> None:
    code, text = health()
    assert code == 1
    assert "the sync has never run" in text


def test_unhealthy_when_the_sync_has_not_run_for_too_long() -> None:
    _lease(last_run_at=timezone.now() - timedelta(minutes=10))
    code, text = health("--max-sync-age", "300")
    assert code == 1
    assert "the sync has not run for 10 min" in text
    assert health("--max-sync-age", "900")[0] == 0


def test_an_idle_scheduled_sync_is_healthy() -> None:
    _lease(last_run_at=timezone.now() - timedelta(hours=2))
    summary = outbox.sync()  # nothing due: idle
    assert not summary.ran
    assert health("--max-sync-age", "60")[0] == 1  # the engine's idle path writes nothing
    observe.idle_heartbeat(summary)  # what the Celery task and the worker command do
    code, text = health("--max-sync-age", "60")
    assert code == 0, text


def test_unhealthy_when_the_oldest_due_email_waits_too_long() -> None:
    _lease(last_run_at=timezone.now())
    message = send_email_notification("a@example.gov.uk", TEMPLATE_PLAIN)
    EmailMessage.objects.filter(pk=message.pk).update(
        next_action_at=timezone.now() - timedelta(minutes=20)
    )
    code, text = health("--max-due-age", "600")
    assert code == 1
    assert "the oldest due email has waited 20 min" in text
    assert health("--max-due-age", "3600")[0] == 0


def test_unhealthy_while_sending_is_paused() -> None:
    _lease(
        last_run_at=timezone.now(),
        auth_paused=True,
        auth_paused_since=timezone.now(),
        auth_paused_message="HTTP 403 AuthError: Invalid token",
    )
    code, text = health()
    assert code == 1
    assert "sending is paused" in text
    assert "Invalid token" in text
    assert health("--allow-paused")[0] == 0


def test_bad_arguments_are_refused() -> None:
    code, text = health("--max-due-age", "0")
    assert code == 1
    assert "--max-due-age must be a positive number" in text


@pytest.mark.skipif(
    os.environ.get("NGO_TEST_DB", "sqlite") != "sqlite", reason="a file SQLite database"
)
def test_the_process_exit_codes(tmp_path: Path) -> None:
    """As a Kubernetes exec probe sees it: the real command's exit status."""
    env = {**os.environ, "NGO_SQLITE_PATH": str(tmp_path / "db.sqlite3"), "PYTHONPATH": str(ROOT)}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "django", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("migrate", "-v0").returncode == 0
    never = run("notify_outbox_health")
    assert never.returncode == 1
    assert "the sync has never run" in never.stderr
    assert run("notify_outbox_sync").returncode == 0  # idle: records that it looked
    ok = run("notify_outbox_health")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("healthy:")


def test_the_deploy_check_warns_when_the_sync_looks_unscheduled(settings: SettingsWrapper) -> None:
    def warnings() -> list[str]:
        return [m.id for m in checks.check_sync_scheduled() if m.id]

    assert warnings() == [checks.W_SYNC_UNSCHEDULED]
    settings.CELERY_BEAT_SCHEDULE = {
        "outbox": {"task": "django_govuk_notify_outbox.tasks.sync", "schedule": 5}
    }
    assert warnings() == []
    settings.CELERY_BEAT_SCHEDULE = {"other": {"task": "myproject.tasks.cleanup", "schedule": 60}}
    assert warnings() == [checks.W_SYNC_UNSCHEDULED]
    _lease(last_run_at=timezone.now() - timedelta(minutes=5))  # run some other way
    assert warnings() == []


def test_the_deploy_check_runs_with_check_deploy(capsys: Any) -> None:
    from django.core.management import call_command as call

    call("check", "--deploy", "--fail-level", "ERROR")  # warnings only: no exit
    captured = capsys.readouterr()
    assert checks.W_SYNC_UNSCHEDULED in captured.err + captured.out
