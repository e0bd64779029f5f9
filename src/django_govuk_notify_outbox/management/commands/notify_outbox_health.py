"""``manage.py notify_outbox_health``: exit 0 when the outbox is healthy, 1 otherwise.

Unhealthy: the sync has not run (or looked for work) for --max-sync-age seconds, the
oldest due email has been due for more than --max-due-age seconds, or sending is paused
because Notify refused the key (unless --allow-paused). Made for a Kubernetes exec probe.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from ...observe import health, state


class Command(BaseCommand):
    help = (
        "Check the GOV.UK Notify outbox: exits 1 when the sync is not running, due emails "
        "wait too long, or sending is paused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-sync-age",
            type=float,
            default=health.DEFAULT_MAX_SYNC_AGE,
            help="Seconds since the sync last ran or looked for work (default %(default)s).",
        )
        parser.add_argument(
            "--max-due-age",
            type=float,
            default=health.DEFAULT_MAX_DUE_AGE,
            help="Seconds the oldest due email may have been due (default %(default)s).",
        )
        parser.add_argument(
            "--allow-paused",
            action="store_true",
            help="Do not fail while sending is paused by Notify refusing the key.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("max_sync_age", "max_due_age"):
            if options[name] <= 0:
                raise CommandError(f"--{name.replace('_', '-')} must be a positive number")
        try:
            queue = state.queue_state()
        except DatabaseError as exc:
            raise CommandError(f"unhealthy: the database cannot be read ({exc})") from None
        verdict = health.judge(
            queue,
            max_sync_age=options["max_sync_age"],
            max_due_age=options["max_due_age"],
            allow_paused=options["allow_paused"],
        )
        if not verdict.healthy:
            raise CommandError(
                "unhealthy: " + "; ".join(verdict.problems) + f" [{verdict.summary}]"
            )
        self.stdout.write(f"healthy: {verdict.summary}")
