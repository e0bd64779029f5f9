"""A newcomer's first five minutes: build the wheels with scripts/wheels as the README
says, install them in a fresh virtual environment with the README's commands, create a
brand-new Django project and follow the README's installation steps literally; then send
an email to the emulator with the worker command and see it delivered. A wrong README
step fails this test."""

from __future__ import annotations

import os
import re
import shlex
import sqlite3
import subprocess
import venv
from pathlib import Path

import pytest

from django_govuk_notify_outbox.client import NotificationsAPIClient
from tests.e2e.helpers import ROOT, emulator, spawned, wait_for
from tests.e2e.readme import installation_steps, section

pytestmark = pytest.mark.slow

PLACEHOLDER = re.compile(r"\(\(([^()?]+?)(?:\?\?[^()]*)?\)\)")


def run(argv: list[str], cwd: Path, timeout: float = 300, env: dict[str, str] | None = None) -> str:
    """Runs a command; returns its output, or fails the test showing it."""
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{shlex.join(argv)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def newcomer_env(bin_dir: Path, api_key: str) -> dict[str, str]:
    """A shell environment like a newcomer's: the fresh venv first on PATH,
    nothing of this repository's or this test run's Python settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE", "PYTHONHOME")
    }
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(bin_dir.parent)
    env["GOVUK_NOTIFY_API_KEY"] = api_key
    return env


def test_readme_has_the_four_installation_steps() -> None:
    steps = installation_steps()
    assert [s.number for s in steps] == [1, 2, 3, 4]
    shells = "".join(code for lang, code in steps[0].blocks if lang == "sh")
    assert "./scripts/wheels\n" in shells
    assert "python -m pip install dist/django_govuk_notify_outbox-0.1.0-*manylinux*.whl\n" in shells
    assert "python -m pip install dist/govuk_notify_emulator-0.1.0-*manylinux*.whl\n" in shells
    assert "pip install django-govuk-notify-outbox\n" not in shells  # another project's name
    assert "belongs to another project" in section("Installation")
    assert '"django_govuk_notify_outbox"' in steps[1].blocks[0][1]
    assert "GOVUK_NOTIFY_API_KEY" in steps[2].blocks[0][1]
    assert (
        'CELERY_BEAT_SCHEDULE = {"sync": {"task": "django_govuk_notify_outbox.tasks.sync", '
        '"schedule": 5}}' in steps[3].blocks[0][1]
    )
    assert "python manage.py migrate" in section("Installation")


def test_newcomer_installs_the_wheel_and_follows_the_readme_to_a_delivered_email(
    tmp_path: Path,
) -> None:
    steps = installation_steps()

    # Step 1: scripts/wheels (sdists, wheels built from them, repaired), then the README's
    # pip lines, run by a shell in a fresh virtual environment.
    dist = tmp_path / "dist"
    run([str(ROOT / "scripts" / "wheels")], ROOT, 900, {**os.environ, "DIST_DIR": str(dist)})
    assert list(dist.glob("django_govuk_notify_outbox-*.tar.gz"))
    assert list(dist.glob("govuk_notify_emulator-*.tar.gz"))
    venv.create(tmp_path / "venv", with_pip=True)
    bin_dir = tmp_path / "venv" / "bin"
    pip_lines = [
        line
        for lang, code in steps[0].blocks
        if lang == "sh"
        for line in code.splitlines()
        if line.startswith("python -m pip install dist/") and line.endswith(".whl")
    ]
    assert len(pip_lines) == 2
    for line in pip_lines:
        run(["bash", "-c", line], tmp_path, 600, newcomer_env(bin_dir, ""))
    run([str(bin_dir / "notify-emulator"), "--help"], tmp_path, 60, newcomer_env(bin_dir, ""))

    # A brand-new project.
    run(
        [str(bin_dir / "django-admin"), "startproject", "mysite"],
        tmp_path,
        env=newcomer_env(bin_dir, ""),
    )
    project = tmp_path / "mysite"
    settings = project / "mysite" / "settings.py"

    with emulator(tmp_path / "emulator.log") as notify:
        # Steps 2-4 literally, appended to the new settings, then the base URL.
        text = settings.read_text()
        for step in steps[1:]:
            (code,) = [c for lang, c in step.blocks if lang == "python"]
            text += "\n" + code
        text += f"\nGOVUK_NOTIFY_BASE_URL = {notify['NOTIFY_BASE_URL']!r}\n"
        settings.write_text(text)
        env = newcomer_env(bin_dir, notify["NOTIFY_API_KEY_TEST"])

        python = str(bin_dir / "python")
        run([python, "manage.py", "migrate"], project, env=env)

        client = NotificationsAPIClient(
            notify["NOTIFY_API_KEY_TEST"], base_url=notify["NOTIFY_BASE_URL"]
        )
        template = client.get_all_templates(template_type="email")["templates"][0]
        fields = PLACEHOLDER.findall(f"{template.get('subject', '')} {template['body']}")
        personalisation = {name.strip(): "Amira" for name in fields}
        run(
            [
                python,
                "manage.py",
                "shell",
                "-c",
                "from django_govuk_notify_outbox.utils import send_email_notification\n"
                f"send_email_notification(email_address='amira.patel@example.com', "
                f"template_id={template['id']!r}, personalisation={personalisation!r})\n",
            ],
            project,
            env=env,
        )

        db = project / "db.sqlite3"

        def status() -> str | None:
            with sqlite3.connect(db, timeout=10) as conn:
                (value,) = conn.execute(
                    "SELECT status FROM django_govuk_notify_outbox_emailmessage"
                ).fetchone()
            return str(value) if value == "notify-delivered" else None

        with spawned(
            [python, "manage.py", "notify_outbox_worker"], env, tmp_path / "worker.log", project
        ) as worker:
            wait_for("the email to be delivered", status, timeout=120)
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()

        stored = client.get_all_notifications()["notifications"]
        assert [n["email_address"] for n in stored] == ["amira.patel@example.com"]
