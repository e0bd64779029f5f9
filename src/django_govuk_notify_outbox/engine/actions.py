"""The admin's actions: database only, through the one writer; the next run does the HTTP."""

from __future__ import annotations

from django.db.models import QuerySet

from .. import kick
from ..models import EmailEvent, EmailMessage
from . import decide, writer
from .clock import db_now
from .decide import Change, State


def _by(by: str) -> str:
    return f" by {by}" if by else ""


def _apply(queryset: QuerySet[EmailMessage], make: decide.Decide, note: str) -> int:
    using = queryset.db
    now = db_now(using)
    pks = list(queryset.values_list("pk", flat=True))

    def events(pk: int, state: State, change: Change | None) -> list[EmailEvent]:
        if change is None:
            return []
        return [
            *writer.status_events(pk, state, change),
            EmailEvent.new(message_id=pk, kind=EmailEvent.Kind.INFO, detail=note),
        ]

    written = writer.apply(using, pks, make, now, events=events)
    if written.changes:
        kick.after_commit(using)
    return len(written.changes)


def retry_now(queryset: QuerySet[EmailMessage], *, by: str = "") -> int:
    """Queue failed or retrying emails for an immediate attempt; returns how many.

    Attempts and the max-age window start again. An email whose last outcome is
    unknown keeps that flag, so Notify is still asked before it is resent.
    """
    now = db_now(queryset.db)
    return _apply(queryset, lambda s: decide.after_retry_now(s, now), f"Retry requested{_by(by)}")


def request_refresh(queryset: QuerySet[EmailMessage], *, by: str = "") -> int:
    """Ask the next run to poll Notify for these emails' status; returns how many."""
    now = db_now(queryset.db)
    return _apply(
        queryset,
        lambda s: decide.after_refresh_request(s, now),
        f"Status refresh requested{_by(by)}",
    )
