"""The one writer of an email's state.

Every change to an email's status or to the fields that make up its state
(attempts, the claim, ``outcome_unknown``, ``next_action_at``,
``tracking_stopped``, ``notify_id``, …) is written here, for a whole chunk at
a time, in one transaction:

1. lock the chunk's rows and read their current state (SELECT ... FOR UPDATE:
   row locks on PostgreSQL and MariaDB; on SQLite a no-op UPDATE first takes
   the write lock before anything is read);
2. decide each email's change with a pure function of that state
   (:mod:`.decide`);
3. write every change (one UPDATE per distinct set of fields: the values all
   rows share set once, the others joined from a VALUES list, see
   :mod:`.bulk`) and every event (one bulk INSERT).

``status_changed`` is sent after the commit, once per status actually
entered.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import connections, transaction
from django.db.models import F

from .. import observe, statuses
from ..models import EmailEvent, EmailMessage
from ..signals import status_changed
from . import bulk
from .decide import STATE_FIELDS, Change, State

logger = logging.getLogger("django_govuk_notify_outbox")

# Event builder: (email id, its state, its change or None) -> the events to record.
Events = Callable[[int, State, "Change | None"], Sequence[EmailEvent]]


class Written:
    """What one :func:`apply` wrote: the changes that won, by email id."""

    def __init__(self) -> None:
        self.changes: dict[int, tuple[State, Change]] = {}
        self.missed: list[int] = []  # the decision returned None: the outcome no longer applies
        self.refused = ""  # Notify refused the service outside any one email's change

    def count(self, counter: str) -> int:
        return sum(1 for _state, change in self.changes.values() if change.counter == counter)

    @property
    def pause(self) -> str:
        """The first "service refused" text among the changes, or ""."""
        if self.refused:
            return self.refused
        for _state, change in self.changes.values():
            if change.pause:
                return change.pause
        return ""


def apply(
    using: str,
    pks: Iterable[int],
    decide: Callable[[State], Change | None],
    now: datetime,
    *,
    events: Events | None = None,
) -> Written:
    """Decide and write the change of every email in ``pks``, in one transaction."""
    ids = sorted(set(pks))
    written = Written()
    if not ids:
        return written
    entered: list[tuple[int, str, str]] = []
    new_events: list[EmailEvent] = []
    groups: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    with transaction.atomic(using=using):
        for row in _locked_rows(using, ids):
            state = State(**row)
            change = decide(state)
            if change is None:
                written.missed.append(state.pk)
            else:
                change = _checked(state, change)
                written.changes[state.pk] = (state, change)
                values = _values(state, change, now)
                groups[tuple(sorted(values))].append((state.pk, values))
                status = change.status
                if status is not None and status != state.status:
                    previous = state.status
                    for step in change.path:
                        if step != previous:
                            entered.append((state.pk, previous, step))
                            previous = step
            if events is not None:
                new_events.extend(events(state.pk, state, change))
        for group in groups.values():
            bulk.update_rows(using, EmailMessage, group)
        if new_events:
            bulk.insert_objects(using, EmailEvent, new_events)
    if entered:
        _send_signals(using, entered)
    observe.written(using, written, entered, now)
    return written


def _locked_rows(using: str, ids: list[int]) -> list[dict[str, Any]]:
    """The rows' state, read under a lock held until the transaction ends: a SELECT ...
    FOR UPDATE in primary-key order where the database has row locks, else (SQLite) a
    no-op UPDATE first, which takes the database's write lock before anything is read."""
    manager = EmailMessage.objects.using(using)
    rows = manager.filter(bulk.pk_in(ids)).order_by("pk")
    if connections[using].features.has_select_for_update:
        return bulk.read_values(rows.select_for_update(), STATE_FIELDS)
    manager.filter(pk__in=ids[:1]).update(claim_token=F("claim_token"))
    return bulk.read_values(rows, STATE_FIELDS)


def _checked(state: State, change: Change) -> Change:
    """``change`` with its path checked against the state machine (a bug otherwise)."""
    previous = state.status
    for step in change.path:
        if step != previous:
            assert statuses.can_transition(previous, step), (previous, step)
            previous = step
    return change


def _values(state: State, change: Change, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"updated_at": now, **change.fields}
    status = change.status
    if status is not None:
        values["status"] = status
        if statuses.is_final(status):
            values["next_action_at"] = None
            values.setdefault("completed_at", now)
    return values


def status_events(pk: int, state: State, change: Change | None) -> list[EmailEvent]:
    """The default events: one per status entered, else one for a note."""
    if change is None:
        return []
    status = change.status
    if status is not None and status != state.status:
        return [
            EmailEvent.new(
                message_id=pk,
                kind=EmailEvent.Kind.STATUS,
                from_status=state.status,
                to_status=status,
                detail=change.note,
            )
        ]
    if change.note:
        return [EmailEvent.new(message_id=pk, kind=EmailEvent.Kind.INFO, detail=change.note)]
    return []


def mark_status(event: EmailEvent, state: State, change: Change | None) -> EmailEvent:
    """``event`` (an HTTP exchange) also records the status change it caused."""
    if change is not None:
        status = change.status
        if status is not None and status != state.status:
            event.from_status = state.status
            event.to_status = status
        if change.note and not event.detail:
            event.detail = change.note
        elif change.note:
            event.detail = f"{event.detail}: {change.note}"[:2000]
    return event


def _send_signals(using: str, entered: Sequence[tuple[int, str, str]]) -> None:
    if not status_changed.has_listeners(EmailMessage):
        return
    messages: Mapping[int, EmailMessage] = EmailMessage.objects.using(using).in_bulk(
        {pk for pk, _f, _t in entered}
    )
    for pk, from_status, to_status in entered:
        message = messages.get(pk)
        if message is None:
            continue
        try:
            with transaction.atomic(using=using):
                status_changed.send(
                    sender=EmailMessage,
                    message=message,
                    from_status=from_status,
                    to_status=to_status,
                )
        except Exception:
            logger.exception("outbox: a status_changed receiver failed for email %s", pk)
