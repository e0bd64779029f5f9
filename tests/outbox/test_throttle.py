"""The per-recipient throttle (throttle_max_per_minute), sanitise_content_for, and the
API key alias."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.db import connection, transaction
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import conf, statuses
from django_govuk_notify_outbox.errors import ThrottledError
from django_govuk_notify_outbox.models import EmailMessage, RecipientThrottle
from django_govuk_notify_outbox.throttle import normalise_address, throttle_key
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_PLAIN, TEMPLATE_WELCOME, reload, sync_until_settled

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("Amira.Patel@Example.COM", "amira.patel@example.com"),
        ("amira+news@example.com", "amira@example.com"),
        ("amira+a+b@example.com", "amira@example.com"),
        ("a.m.i.r.a@gmail.com", "amira@gmail.com"),
        ("A.Mira+x@GoogleMail.com", "amira@gmail.com"),
        ("a.mira@example.com", "a.mira@example.com"),  # dots matter outside Gmail
    ],
)
def test_addresses_are_normalised_to_their_mailbox(address: str, mailbox: str) -> None:
    assert normalise_address(address) == mailbox
    assert throttle_key(address) == throttle_key(mailbox)


@pytest.mark.django_db
def test_going_over_the_limit_raises_and_stores_nothing() -> None:
    for address in ("amira@gmail.com", "Amira+1@gmail.com", "a.mira@googlemail.com"):
        send_email_notification(address, TEMPLATE_PLAIN, throttle_max_per_minute=3)
    before = EmailMessage.objects.count()
    with pytest.raises(ThrottledError, match="throttle_max_per_minute=3") as caught:
        send_email_notification("AMIRA@gmail.com", TEMPLATE_PLAIN, throttle_max_per_minute=3)
    assert isinstance(caught.value, ValueError)
    assert EmailMessage.objects.count() == before == 3
    # Another mailbox is not affected; nor is a call without the keyword.
    send_email_notification("other@gmail.com", TEMPLATE_PLAIN, throttle_max_per_minute=3)
    send_email_notification("amira@gmail.com", TEMPLATE_PLAIN)
    assert EmailMessage.objects.count() == 5
    # The throttle table holds a digest, never the address.
    assert not RecipientThrottle.objects.filter(key__contains="amira").exists()


@pytest.mark.django_db
def test_a_new_minute_gives_new_places() -> None:
    send_email_notification("x@example.com", TEMPLATE_PLAIN, throttle_max_per_minute=1)
    with pytest.raises(ThrottledError):
        send_email_notification("x@example.com", TEMPLATE_PLAIN, throttle_max_per_minute=1)
    RecipientThrottle.objects.update(window=int(timezone.now().timestamp() // 60) - 1)
    send_email_notification("x@example.com", TEMPLATE_PLAIN, throttle_max_per_minute=1)
    assert EmailMessage.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_email_gives_its_place_back() -> None:
    def view() -> None:
        with transaction.atomic():
            send_email_notification("x@example.com", TEMPLATE_PLAIN, throttle_max_per_minute=1)
            raise RuntimeError("the view failed")

    with pytest.raises(RuntimeError):
        view()
    send_email_notification("x@example.com", TEMPLATE_PLAIN, throttle_max_per_minute=1)
    assert EmailMessage.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [0, -1, 1.5, "3", True])
def test_a_bad_limit_is_a_clear_error(bad: Any) -> None:
    with pytest.raises(ValueError, match="throttle_max_per_minute must be a positive integer"):
        send_email_notification("x@example.com", TEMPLATE_PLAIN, throttle_max_per_minute=bad)
    assert not EmailMessage.objects.exists()


def _worker_env(tmp_path: Path) -> tuple[dict[str, str], Path | None]:
    """The environment that points a worker process at the database of this test."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    if connection.vendor == "sqlite":
        # A file database of its own, migrated here: processes cannot share :memory:.
        db = tmp_path / "throttle.sqlite3"
        env["NGO_TEST_DB"] = "sqlite"
        env["NGO_SQLITE_PATH"] = str(db)
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        return env, db
    env["NGO_TEST_DB_NAME"] = str(connection.settings_dict["NAME"])
    return env, None


@pytest.mark.django_db(transaction=True)
def test_concurrent_processes_never_queue_more_than_the_limit(tmp_path: Path) -> None:
    limit, processes, attempts = 5, 6, 10
    env, sqlite_file = _worker_env(tmp_path)
    start = tmp_path / "start"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.outbox.throttle_worker",
                # The same mailbox, spelt differently by each process.
                f"Flood.Target+{i}@GoogleMail.com" if i % 2 else "floodtarget@gmail.com",
                str(limit),
                str(attempts),
                str(start),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(processes)
    ]
    start.touch()
    totals = [0, 0, 0]
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        for index, value in enumerate(out.split()):
            totals[index] += int(value)
    queued, throttled, errors = totals
    assert errors == 0
    assert queued + throttled == processes * attempts
    if sqlite_file is not None:
        import sqlite3

        with sqlite3.connect(sqlite_file) as db:
            created = [
                row[0]
                for row in db.execute(
                    "SELECT created_at FROM django_govuk_notify_outbox_emailmessage"
                )
            ]
        minutes = {str(value)[:16] for value in created}  # 'YYYY-MM-DD HH:MM'
    else:
        created_at = list(EmailMessage.objects.values_list("created_at", flat=True))
        created = created_at
        minutes = {value.strftime("%Y-%m-%d %H:%M") for value in created_at}
    assert len(created) == queued
    # The run may straddle a minute boundary: each clock minute allows `limit`.
    assert limit <= queued <= limit * len(minutes)


@pytest.mark.django_db
def test_sanitise_content_for_is_stored_and_sent(emulator: Any) -> None:
    message = send_email_notification(
        "amira.patel@example.com",
        TEMPLATE_WELCOME,
        {"name": "*Amira* www.example.com", "reference_number": "300241"},
        None,
        None,
        None,
        ["name"],
    )
    assert reload(message).sanitise_content_for == ["name"]
    sync_until_settled()
    message = reload(message)
    assert message.status not in statuses.TO_SEND, message.last_error
    (notification,) = emulator.notifications()
    assert "*Amira*" not in notification["body"]
    assert "\\*Amira\\*" in notification["body"]
    assert "300241" in notification["body"]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["name", [1], {"name": True}])
def test_sanitise_content_for_must_be_a_list_of_strings(bad: Any) -> None:
    with pytest.raises(TypeError, match="sanitise_content_for must be a list of strings"):
        send_email_notification("x@example.com", TEMPLATE_PLAIN, sanitise_content_for=bad)


def test_the_signature_is_the_official_clients_then_keywords() -> None:
    import inspect

    from notifications_python_client.notifications import NotificationsAPIClient

    ours = inspect.signature(send_email_notification).parameters
    official = list(inspect.signature(NotificationsAPIClient.send_email_notification).parameters)
    assert official[0] == "self"
    positional = [
        name for name, p in ours.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    assert positional == official[1:]
    assert ours["throttle_max_per_minute"].kind == inspect.Parameter.KEYWORD_ONLY


ALIAS_KEY = "tests-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"


def test_the_uktrade_api_key_setting_is_an_alias_with_a_warning(
    settings: SettingsWrapper,
) -> None:
    del settings.GOVUK_NOTIFY_API_KEY
    settings.DJANGO_GOVUK_NOTIFY_OUTBOX__API_KEY = ALIAS_KEY
    assert conf.get_settings().api_key == ALIAS_KEY
    messages = {m.id: m for m in run_checks()}
    assert "django_govuk_notify_outbox.E001" not in messages
    warning = messages["django_govuk_notify_outbox.W002"]
    assert "alias of GOVUK_NOTIFY_API_KEY" in warning.msg
    assert ALIAS_KEY not in warning.msg
    assert ALIAS_KEY not in (warning.hint or "")
    settings.GOVUK_NOTIFY_API_KEY = ALIAS_KEY.replace("tests-", "other-")
    assert conf.get_settings().api_key == settings.GOVUK_NOTIFY_API_KEY
    assert (
        "takes precedence" in {m.id: m for m in run_checks()}["django_govuk_notify_outbox.W002"].msg
    )
