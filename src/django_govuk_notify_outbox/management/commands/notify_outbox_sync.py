"""``manage.py notify_outbox_sync``: one outbox run, then print its summary."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ... import engine as outbox
from ... import observe, retention


class Command(BaseCommand):
    help = "Run the GOV.UK Notify outbox once: send what is due, poll statuses, print a summary."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = outbox.sync()
        if summary.ran:
            retention.redact_finished()  # no query unless REDACT_WHEN_FINAL is on
        observe.idle_heartbeat(summary)  # a cron-run sync shows as scheduled, even idle
        self.stdout.write(str(summary))
