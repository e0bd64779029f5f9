"""Notify's delivery-status and complaint callbacks (notify-api.md §8).

:func:`authenticate` runs before anything of the request body is read;
:func:`parse` validates a body; :func:`apply` records it through the engine's
one writer. The view (:mod:`.views`) only wires them together.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import router

from . import _json, conf
from .engine import decide, writer
from .engine.clock import db_now
from .engine.decide import Change, State
from .models import EmailEvent, EmailMessage, UnmatchedReceipt, reference_digest

logger = logging.getLogger("django_govuk_notify_outbox")

# Notify's bodies are a few hundred bytes; anything much larger is not Notify.
MAX_BODY_BYTES = 16 * 1024
DELIVERY_STATUSES = ("delivered", "permanent-failure", "temporary-failure", "technical-failure")


class ReceiptError(ValueError):
    """The body is not a callback Notify sends; the message names the field."""


@dataclasses.dataclass(frozen=True)
class Receipt:
    kind: str  # "delivery_status" or "complaint"
    notify_id: uuid.UUID
    reference: str
    status: str  # "" for a complaint
    body: Mapping[str, Any]


def authenticate(header: str | None, settings: conf.OutboxSettings) -> int:
    """0 when ``header`` carries the configured bearer token, else the HTTP status to
    answer: 401 without a bearer token, 403 with a wrong one (compared in constant time)."""
    token = settings.callback_bearer_token
    if token is None:
        return 403
    if not header or header[:7].lower() != "bearer ":
        return 401
    given = header[7:].strip().encode("utf-8", "surrogatepass")
    return 0 if hmac.compare_digest(given, token.encode("utf-8")) else 403


def _string(body: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise ReceiptError(f"{name} must be a string")
    return value


def _uuid(body: Mapping[str, Any], name: str) -> uuid.UUID:
    try:
        return uuid.UUID(_string(body, name))
    except ValueError:
        raise ReceiptError(f"{name} must be a UUID") from None


def parse(raw: bytes) -> Receipt:
    """The callback in ``raw``; ReceiptError naming the bad field otherwise."""
    if len(raw) > MAX_BODY_BYTES:
        raise ReceiptError(f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        body = _json.loads(raw)
    except ValueError:
        raise ReceiptError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise ReceiptError("the body must be a JSON object")
    if "complaint_id" in body:
        _uuid(body, "complaint_id")
        return Receipt(
            kind="complaint",
            notify_id=_uuid(body, "notification_id"),
            reference=_string(body, "reference", required=False),
            status="",
            body=body,
        )
    status = _string(body, "status")
    if status not in DELIVERY_STATUSES:
        raise ReceiptError(f"status must be one of {', '.join(DELIVERY_STATUSES)}")
    for name in ("created_at", "completed_at", "sent_at"):
        _string(body, name, required=False)
    return Receipt(
        kind="delivery_status",
        notify_id=_uuid(body, "id"),
        reference=_string(body, "reference", required=False),
        status=status,
        body=body,
    )


def _find(using: str, receipt: Receipt) -> int | None:
    """The email the receipt is about: by Notify id, else by the outbox's own unique
    reference (an email whose answer was lost holds no Notify id yet)."""
    manager = EmailMessage.objects.using(using)
    pk = manager.filter(notify_id=receipt.notify_id).values_list("pk", flat=True).first()
    if pk is None and receipt.reference:
        pk = (
            manager.filter(
                sent_reference_digest=reference_digest(receipt.reference), reference_is_ours=True
            )
            .values_list("pk", flat=True)
            .first()
        )
    return pk


def apply(receipt: Receipt, settings: conf.OutboxSettings) -> bool:
    """Record ``receipt``; True when it concerned an email of the outbox."""
    using = router.db_for_write(EmailMessage) or "default"
    pk = _find(using, receipt)
    if pk is None:
        UnmatchedReceipt.objects.using(using).create(
            kind=receipt.kind,
            notify_id=receipt.notify_id,
            status=receipt.status,
            reference=receipt.reference[:1000],
        )
        logger.info(
            "outbox: a %s callback for an unknown notification",
            receipt.kind,
            extra={"notify_id": str(receipt.notify_id)},
        )
        return False
    now = db_now(using)

    def decision(state: State) -> Change | None:
        if receipt.kind == "complaint":
            return Change(note="Complaint: the recipient reported this email as spam")
        return decide.after_receipt(state, receipt.body, now, settings)

    def events(pk: int, state: State, change: Change | None) -> list[EmailEvent]:
        event = EmailEvent.new(
            message_id=pk,
            kind=EmailEvent.Kind.RECEIPT,
            detail=change.note if change is not None else f"Receipt: {receipt.status}",
        )
        return [writer.mark_status(event, state, change) if change else event]

    writer.apply(using, [pk], decision, now, events=events)
    return True


__all__ = ["Receipt", "ReceiptError", "apply", "authenticate", "parse"]
