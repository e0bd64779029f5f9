"""The public API: ``send_email_notification``, a drop-in for the official client's method.

It validates, stores one EmailMessage in the caller's transaction and returns
it. Nothing goes over the network here: the outbox engine sends it later (and,
when enabled, a Celery task is kicked once the transaction commits).
"""

from __future__ import annotations

import inspect
import re
import string
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.db import DEFAULT_DB_ALIAS, router, transaction

from . import kick, observe, statuses, throttle, validation
from .engine.clock import DbNow
from .errors import ThrottledError
from .models import PRIORITIES, EmailMessage, reference_digest

__all__ = ["send_email_notification", "send_email_notifications", "validate_email_address"]

# Rows per INSERT of send_email_notifications: well under PostgreSQL's 65,535 parameters.
BULK_INSERT_ROWS = 1000

# notifications-utils recipient_validation/email_address.py, ported.
_VALID_LOCAL_CHARS = r"a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-"
_EMAIL_REGEX = re.compile(rf"^[{_VALID_LOCAL_CHARS}]+@([^.@][^@\s]+)$")
_HOSTNAME_PART = re.compile(r"^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$", re.IGNORECASE)
_TLD_PART = re.compile(r"^([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)$", re.IGNORECASE)
_OBSCURE_WHITESPACE = "\u180e\u200b\u200c\u200d\u2060\ufeff\u00a0\u202f"

MAX_REFERENCE_LENGTH = 1000


def _strip_whitespace(value: str) -> str:
    for character in _OBSCURE_WHITESPACE:
        value = value.replace(character, "")
    return value.strip(string.whitespace)


def validate_email_address(email_address: str) -> str:
    """The address stripped of surrounding and invisible whitespace; ValueError if Notify
    would reject it ("Not a valid email address")."""
    if not isinstance(email_address, str):
        raise TypeError(f"email_address must be a string, not {type(email_address).__name__}")
    validation.check_text("email_address", email_address)
    address = _strip_whitespace(email_address)
    match = _EMAIL_REGEX.match(address)
    if not match or len(address) > 320 or ".." in address:
        raise ValueError("email_address is not a valid email address")
    try:
        hostname = match.group(1).encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("email_address is not a valid email address") from None
    parts = hostname.split(".")
    if len(hostname) > 253 or len(parts) < 2:
        raise ValueError("email_address is not a valid email address")
    for part in parts:
        if not part or len(part) > 63 or not _HOSTNAME_PART.match(part):
            raise ValueError("email_address is not a valid email address")
    if not _TLD_PART.match(parts[-1]):
        raise ValueError("email_address is not a valid email address")
    return address


def _uuid(name: str, value: Any, *, optional: bool) -> uuid.UUID | None:
    if value is None or (optional and value == ""):
        if optional:
            return None
        raise TypeError(f"{name} is required")
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a UUID string, not {type(value).__name__}")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError(f"{name} is not a valid UUID") from None


def _personalisation(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"personalisation must be a dict, not {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"personalisation keys must be strings, not {type(key).__name__}")
    return validation.check_personalisation(value)


def _reference(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"reference must be a string, not {type(value).__name__}")
    validation.check_text("reference", value)
    if len(value) > MAX_REFERENCE_LENGTH:
        raise ValueError(
            f"reference is too long: {len(value)} characters, at most {MAX_REFERENCE_LENGTH}"
        )
    return value


def _priority(value: Any) -> int:
    if not isinstance(value, str):
        raise TypeError(f"priority must be a string, not {type(value).__name__}")
    try:
        return PRIORITIES[value]
    except KeyError:
        raise ValueError(
            f"priority must be one of {', '.join(map(repr, PRIORITIES))}, not {value!r}"
        ) from None


def _unsubscribe_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"one_click_unsubscribe_url must be a string, not {type(value).__name__}")
    validation.check_url_length("one_click_unsubscribe_url", value)
    validation.check_text("one_click_unsubscribe_url", value)
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError("one_click_unsubscribe_url is not a valid https url: control character")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValueError("one_click_unsubscribe_url is not a valid https url") from None
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError("one_click_unsubscribe_url is not a valid https url")
    return value


def _sanitise_content_for(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise TypeError(
            f"sanitise_content_for must be a list of strings, not {type(value).__name__}"
        )
    for item in value:
        if not isinstance(item, str):
            raise TypeError(
                f"sanitise_content_for must be a list of strings, not of {type(item).__name__}"
            )
    return list(value)


def send_email_notification(
    email_address: str,
    template_id: str | uuid.UUID,
    personalisation: Mapping[str, Any] | None = None,
    reference: str | None = None,
    email_reply_to_id: str | uuid.UUID | None = None,
    one_click_unsubscribe_url: str | None = None,
    sanitise_content_for: list[str] | None = None,
    *,
    priority: str = "normal",
    throttle_max_per_minute: int | None = None,
) -> EmailMessage:
    """Store an email for sending through GOV.UK Notify and return its EmailMessage.

    Validates every argument first (ValueError/TypeError naming the argument,
    nothing stored), then inserts one row in status ``sending-to-notify`` inside
    the caller's transaction: if it rolls back, nothing is ever sent.

    ``priority`` ("high", "normal" or "bulk") orders sending: a password reset
    sent "high" overtakes a queued mailshot sent "bulk".

    ``throttle_max_per_minute`` (optional, keyword only): at most this many emails
    for the same mailbox (see throttle.normalise_address) are queued per clock
    minute; one more raises ``errors.ThrottledError`` and stores nothing.
    """
    message = _build(
        email_address,
        template_id,
        personalisation,
        reference,
        email_reply_to_id,
        one_click_unsubscribe_url,
        sanitise_content_for,
        priority=priority,
        throttle_max_per_minute=throttle_max_per_minute,
    )
    using = router.db_for_write(EmailMessage) or DEFAULT_DB_ALIAS
    if throttle_max_per_minute is None:
        # One INSERT, no savepoint: the row is the record of its creation.
        message.save(using=using, force_insert=True)
    else:
        # The throttle's count and the row: both or neither.
        with transaction.atomic(using=using):
            throttle.consume(message.email_address, throttle_max_per_minute, using=using)
            message.save(using=using, force_insert=True)
    message.next_action_at = message.created_at
    kick.after_commit(using)
    return message


def _build(
    email_address: str,
    template_id: str | uuid.UUID,
    personalisation: Mapping[str, Any] | None = None,
    reference: str | None = None,
    email_reply_to_id: str | uuid.UUID | None = None,
    one_click_unsubscribe_url: str | None = None,
    sanitise_content_for: list[str] | None = None,
    *,
    priority: str = "normal",
    throttle_max_per_minute: int | None = None,
) -> EmailMessage:
    """The validated, unsaved EmailMessage (ValueError/TypeError naming the argument)."""
    address = validate_email_address(email_address)
    template = _uuid("template_id", template_id, optional=False)
    assert template is not None
    values = _personalisation(personalisation)
    ref = _reference(reference)
    reply_to = _uuid("email_reply_to_id", email_reply_to_id, optional=True)
    unsubscribe = _unsubscribe_url(one_click_unsubscribe_url)
    rank = _priority(priority)
    sanitise = _sanitise_content_for(sanitise_content_for)
    if throttle_max_per_minute is not None and (
        isinstance(throttle_max_per_minute, bool)
        or not isinstance(throttle_max_per_minute, int)
        or throttle_max_per_minute < 1
    ):
        raise ValueError("throttle_max_per_minute must be a positive integer")

    sent_reference = ref if ref is not None else f"outbox-{uuid.uuid4()}"
    message = EmailMessage(
        email_address=address,
        template_id=template,
        personalisation=values,
        reference=ref or "",
        email_reply_to_id=reply_to,
        one_click_unsubscribe_url=unsubscribe or "",
        sanitise_content_for=sanitise,
        sent_reference=sent_reference,
        sent_reference_digest=reference_digest(sent_reference),
        reference_is_ours=ref is None,
        status=statuses.SENDING_TO_NOTIFY,
        priority=rank,
        traceparent=observe.enqueued(),
    )
    # Due at once by the database's clock, the one every engine decision uses.
    message.next_action_at = DbNow()
    return message


# The parameters of send_email_notification an item of send_email_notifications may give.
_ARGUMENTS = frozenset(inspect.signature(_build).parameters)
_REQUIRED = ("email_address", "template_id")


def send_email_notifications(items: Sequence[Mapping[str, Any]]) -> list[EmailMessage]:
    """Store many emails at once; return their EmailMessages, in order.

    Each item is a mapping of :func:`send_email_notification`'s arguments (by name,
    ``priority`` and ``throttle_max_per_minute`` included). Every item is validated
    first: a ValueError/TypeError names the item's index and the argument, and nothing
    is stored. Then one bulk INSERT (very long lists: one per 1,000 items) in one
    transaction: all or nothing. One kick after the commit.
    """
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence):
        raise TypeError(
            f"send_email_notifications takes a list of mappings, not {type(items).__name__}"
        )
    messages: list[EmailMessage] = []
    throttled: list[tuple[str, int, int]] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise TypeError(f"items[{index}] must be a mapping, not {type(item).__name__}")
        unknown = sorted(str(k) for k in item if k not in _ARGUMENTS)
        if unknown:
            raise TypeError(f"items[{index}]: unexpected argument {unknown[0]!r}")
        for name in _REQUIRED:
            if name not in item:
                raise TypeError(f"items[{index}]: {name} is required")
        try:
            message = _build(**item)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"items[{index}]: {exc}") from None
        messages.append(message)
        limit = item.get("throttle_max_per_minute")
        if limit is not None:
            throttled.append((message.email_address, limit, index))
    if not messages:
        return messages
    using = router.db_for_write(EmailMessage) or DEFAULT_DB_ALIAS
    with transaction.atomic(using=using):
        for address, limit, index in throttled:
            try:
                throttle.consume(address, limit, using=using)
            except ThrottledError as exc:
                raise ThrottledError(f"items[{index}]: {exc}") from None
        EmailMessage.objects.using(using).bulk_create(messages, batch_size=BULK_INSERT_ROWS)
    for message in messages:
        message.next_action_at = message.created_at
    kick.after_commit(using)
    return messages
