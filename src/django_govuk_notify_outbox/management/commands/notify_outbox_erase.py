"""``manage.py notify_outbox_erase ADDRESS``: a right-to-erasure request for one address."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import retention


class Command(BaseCommand):
    help = (
        "Erase one recipient from the outbox: replace the address, remove personalisation "
        "and request/response bodies of every email and event, stop unsent emails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email_address")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = retention.erase_recipient(options["email_address"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Erased {result.emails} emails ({result.events} events with bodies redacted, "
            f"{result.stopped} unsent emails stopped)"
        )
