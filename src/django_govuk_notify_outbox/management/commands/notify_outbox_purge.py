"""``manage.py notify_outbox_purge --older-than DAYS``: delete old final emails."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import retention


class Command(BaseCommand):
    help = (
        "Delete final outbox emails created more than DAYS days ago, with their events, in "
        "batches; emails other models still refer to (PROTECT) are redacted instead. With "
        "REDACT_WHEN_FINAL on, also redacts every final email not yet redacted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=float, required=True, metavar="DAYS")
        parser.add_argument(
            "--batch-size", type=int, default=retention.DEFAULT_BATCH_SIZE, metavar="N"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days: float = options["older_than"]
        batch_size: int = options["batch_size"]
        if days < 0:
            raise CommandError("--older-than must not be negative")
        if batch_size < 1:
            raise CommandError("--batch-size must be positive")

        def progress(result: retention.PurgeResult) -> None:
            self.stdout.write(
                f"batch {result.batches}: {result.deleted} emails deleted "
                f"({result.events_deleted} events), {result.redacted} redacted"
            )

        result = retention.purge(timedelta(days=days), batch_size=batch_size, progress=progress)
        redacted = 0
        while True:
            done = retention.redact_finished(batch_size=batch_size)
            if not done:
                break
            redacted += done
            self.stdout.write(f"{redacted} final emails redacted (REDACT_WHEN_FINAL)")
        self.stdout.write(
            f"Done: {result.deleted} emails and {result.events_deleted} events deleted, "
            f"{result.redacted} kept (referred to) and redacted"
            + (f", {redacted} final emails redacted" if redacted else "")
        )
