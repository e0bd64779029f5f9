"""The management commands, run in-process."""

from __future__ import annotations

import threading
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from django_govuk_notify_outbox import statuses
from django_govuk_notify_outbox.models import EmailMessage
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_PLAIN

pytestmark = pytest.mark.django_db


def test_sync_command_prints_the_summary(emulator: Any) -> None:
    send_email_notification("cmd@example.gov.uk", TEMPLATE_PLAIN)
    out = StringIO()
    call_command("notify_outbox_sync", stdout=out)
    assert "accepted=1" in out.getvalue()
    assert EmailMessage.objects.get().status not in statuses.TO_SEND


def test_sync_command_says_when_there_is_nothing_to_do() -> None:
    out = StringIO()
    call_command("notify_outbox_sync", stdout=out)
    assert out.getvalue().strip() == "sync skipped: nothing due"


def test_worker_once_does_one_run_and_exits(emulator: Any) -> None:
    send_email_notification("once@example.gov.uk", TEMPLATE_PLAIN)
    out = StringIO()
    call_command("notify_outbox_worker", "--once", stdout=out)
    assert "accepted=1" in out.getvalue()
    assert "worker stopped" in out.getvalue()
    # Its thread returning freed memory to the system every second ends with it.
    assert not [t for t in threading.enumerate() if t.name == "notify-outbox-memory"]


def test_worker_rejects_a_negative_interval() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="interval"):
        call_command("notify_outbox_worker", "--interval", "-1")
