"""Retention and erasure: purge old emails, redact finished ones, erase one recipient.

* :func:`purge` deletes final emails older than a cut-off, with their events, in
  bounded batches. An email another model still refers to through a ``PROTECT``
  (or ``RESTRICT``) foreign key cannot be deleted: it is redacted instead.
* :func:`redact_finished` removes personalisation and request/response bodies
  from final emails, a bounded batch at a time, when ``REDACT_WHEN_FINAL`` is on.
* :func:`erase_recipient` redacts every email and event for one address (a
  right-to-erasure request), and stops any of its emails not yet sent.

Redacting keeps the row, its status and its timeline (what happened and when)
and removes what was written to the recipient: ``personalisation``, each
event's ``request_body`` and ``response_body``, and the one-click unsubscribe
URL. ``redacted_at`` records when.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS, models, router, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from . import conf, statuses, throttle
from .engine import decide, writer
from .engine.clock import db_now
from .models import EmailEvent, EmailMessage

__all__ = [
    "ERASED_ADDRESS",
    "ErasureResult",
    "PurgeResult",
    "erase_recipient",
    "purge",
    "redact",
    "redact_finished",
]

DEFAULT_BATCH_SIZE = 1000
ERASED_ADDRESS = "erased@erased.invalid"

Progress = Callable[["PurgeResult"], None]


@dataclasses.dataclass
class PurgeResult:
    """What :func:`purge` did so far."""

    deleted: int = 0
    events_deleted: int = 0
    redacted: int = 0
    batches: int = 0


@dataclasses.dataclass
class ErasureResult:
    """What :func:`erase_recipient` did."""

    emails: int = 0
    events: int = 0
    stopped: int = 0


def _using() -> str:
    return router.db_for_write(EmailMessage) or DEFAULT_DB_ALIAS


def _protecting_relations() -> list[models.ForeignObjectRel]:
    """Relations from other models to EmailMessage that forbid deleting it."""
    result = []
    for relation in EmailMessage._meta.related_objects:
        on_delete = getattr(relation, "on_delete", None)
        if on_delete in (models.PROTECT, models.RESTRICT):
            result.append(relation)
    return result


def _protected_ids(ids: list[int], using: str) -> set[int]:
    """Those of ``ids`` still referred to through a PROTECT or RESTRICT foreign key."""
    protected: set[int] = set()
    for relation in _protecting_relations():
        field = relation.field
        rows = relation.related_model._default_manager.using(using).filter(
            **{f"{field.name}__in": ids}
        )
        protected.update(rows.values_list(field.attname, flat=True))
    return protected


def redact(ids: Iterable[int], *, using: str | None = None) -> int:
    """Remove personalisation, unsubscribe URLs and event bodies of the emails ``ids``;
    the number of emails redacted."""
    using = using or _using()
    ids = list(ids)
    if not ids:
        return 0
    with transaction.atomic(using=using):
        EmailEvent.objects.using(using).filter(message_id__in=ids).exclude(
            request_body="", response_body=""
        ).update(request_body="", response_body="")
        return (
            EmailMessage.objects.using(using)
            .filter(pk__in=ids)
            .update(personalisation={}, one_click_unsubscribe_url="", redacted_at=timezone.now())
        )


def purge(
    older_than: timedelta,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> PurgeResult:
    """Delete final emails created more than ``older_than`` ago, and their events.

    Works in batches of ``batch_size`` emails, one short transaction each, calling
    ``progress`` after each. Emails that a PROTECT/RESTRICT foreign key still refers
    to are redacted instead (once). Emails not yet final are never touched.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    if older_than < timedelta(0):
        raise ValueError("older_than must not be negative")
    using = _using()
    cutoff = timezone.now() - older_than
    result = PurgeResult()
    last_id = 0
    while True:
        ids = list(
            EmailMessage.objects.using(using)
            .filter(status__in=statuses.FINAL, created_at__lt=cutoff, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        last_id = ids[-1]
        with transaction.atomic(using=using):
            protected = _protected_ids(ids, using)
            deletable = [pk for pk in ids if pk not in protected]
            if deletable:
                try:
                    with transaction.atomic(using=using):
                        _, per_model = (
                            EmailMessage.objects.using(using).filter(pk__in=deletable).delete()
                        )
                except (ProtectedError, RestrictedError):
                    # Referred to since the check above: keep them all, redacted.
                    protected.update(deletable)
                    per_model = {}
                result.deleted += per_model.get(EmailMessage._meta.label, 0)
                result.events_deleted += per_model.get(EmailEvent._meta.label, 0)
            unredacted = EmailMessage.objects.using(using).filter(
                pk__in=protected, redacted_at__isnull=True
            )
            result.redacted += redact(unredacted.values_list("pk", flat=True), using=using)
        result.batches += 1
        if progress is not None:
            progress(result)
    throttle.delete_stale(using=using)
    return result


def redact_finished(*, batch_size: int = DEFAULT_BATCH_SIZE, max_batches: int = 1) -> int:
    """With ``REDACT_WHEN_FINAL`` on, redact up to ``max_batches`` batches of final
    emails not yet redacted; the number redacted (0 when the setting is off)."""
    if not conf.get_settings().redact_when_final:
        return 0
    using = _using()
    total = 0
    for _ in range(max_batches):
        ids = list(
            EmailMessage.objects.using(using)
            .filter(redacted_at__isnull=True, status__in=statuses.FINAL)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        total += redact(ids, using=using)
    return total


def erase_recipient(email_address: str) -> ErasureResult:
    """Redact every email and event for ``email_address`` (any letter case): the
    address is replaced by ``erased@erased.invalid``, personalisation and bodies are
    removed. Emails not yet sent are stopped (``failed-send-to-notify``, "Erased on
    request"); tracking of emails Notify has is stopped. The timeline is kept."""
    if not isinstance(email_address, str) or not email_address.strip():
        raise ValueError("email_address must be a non-empty string")
    address = email_address.strip()
    using = _using()
    result = ErasureResult()
    with transaction.atomic(using=using):
        rows = EmailMessage.objects.using(using).filter(email_address__iexact=address)
        unsent = list(rows.filter(status__in=statuses.TO_SEND).values_list("pk", flat=True))
        written = writer.apply(
            using, unsent, decide.after_erasure, db_now(using), events=writer.status_events
        )
        result.stopped = len(written.changes)
        ids = list(rows.values_list("pk", flat=True))
        result.events = (
            EmailEvent.objects.using(using)
            .filter(message_id__in=ids)
            .exclude(request_body="", response_body="")
            .count()
        )
        redact(ids, using=using)
        result.emails = (
            EmailMessage.objects.using(using)
            .filter(pk__in=ids)
            .update(
                email_address=ERASED_ADDRESS,
                next_action_at=None,
                tracking_stopped=models.Case(
                    models.When(status__in=statuses.TRACKED, then=models.Value(True)),
                    default=models.F("tracking_stopped"),
                ),
            )
        )
        throttle.forget(address, using=using)
        EmailEvent.objects.using(using).bulk_create(
            [
                EmailEvent.new(message_id=pk, kind=EmailEvent.Kind.INFO, detail="Erased on request")
                for pk in ids
            ]
        )
    return result
