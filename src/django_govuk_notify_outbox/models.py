"""The outbox tables: EmailMessage, its EmailEvent timeline, and the SyncLease row."""

from __future__ import annotations

import functools
import hashlib
import traceback as traceback_module
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from django.db import models
from django.utils import timezone

from . import statuses

# Longest text kept in an event field; longer text is cut with a marker.
TEXT_LIMIT = 2000


def truncate(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, marked when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 15)] + "…[truncated]"


def one_line(text: str, limit: int = 500) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    return truncate(" ".join(text.split()), limit)


def reference_digest(reference: str) -> str:
    """SHA-256 hex of a reference: an indexable stand-in for up to 1000 characters."""
    return hashlib.sha256(reference.encode("utf-8")).hexdigest()


PRIORITY_HIGH = 0
PRIORITY_NORMAL = 1
PRIORITY_BULK = 2
PRIORITY_CHOICES = [(PRIORITY_HIGH, "high"), (PRIORITY_NORMAL, "normal"), (PRIORITY_BULK, "bulk")]
PRIORITIES: dict[str, int] = {name: value for value, name in PRIORITY_CHOICES}


class EmailMessage(models.Model):
    """One email to send through GOV.UK Notify, and everything known about it since."""

    # What the caller asked for.
    email_address = models.CharField(max_length=320)
    template_id = models.UUIDField()
    personalisation = models.JSONField(default=dict, blank=True)
    reference = models.CharField(
        max_length=1000, blank=True, default="", help_text="The caller's reference, if any."
    )
    email_reply_to_id = models.UUIDField(blank=True, null=True)
    one_click_unsubscribe_url = models.TextField(blank=True, default="")
    # Personalisation keys Notify sanitises (notifications-python-client's sanitise_content_for).
    sanitise_content_for = models.JSONField(default=list, blank=True)

    # The reference actually sent: the caller's, or outbox-<uuid>.
    sent_reference = models.CharField(max_length=1000)
    # Indexed in Meta (ngo_msg_reference): equality look-ups only, so PostgreSQL has no
    # varchar_pattern_ops twin to maintain on every write (db_index=True would add one).
    sent_reference_digest = models.CharField(max_length=64)
    reference_is_ours = models.BooleanField(default=True)

    # What is sent and with which Notify service: data, so that SMS and several
    # services fit the same outbox. Today: "email" through the "default" service.
    channel = models.CharField(max_length=16, default="email")
    service = models.CharField(max_length=64, default="default")
    priority = models.PositiveSmallIntegerField(
        choices=PRIORITY_CHOICES, default=PRIORITY_NORMAL, help_text="Claimed in this order."
    )

    status = models.CharField(
        max_length=32, choices=statuses.CHOICES, default=statuses.SENDING_TO_NOTIFY
    )
    attempts = models.PositiveIntegerField(default=0)
    # When the engine next has something to do with this email; NULL when nothing
    # (final, or tracking stopped). The sync's idle query reads only this index.
    next_action_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The claim of the attempt in flight (write-ahead, database clock): set when a
    # sender claims the email, cleared when the attempt's outcome is recorded. No
    # request of the attempt starts after send_by, and no other sender touches the
    # email before attempt_started_at + LOOKUP_DELAY (docs/outbox.md).
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, default="")
    send_by = models.DateTimeField(null=True, blank=True)
    # The last attempt may have reached Notify: look it up before any resend.
    outcome_unknown = models.BooleanField(default=False)
    notify_id = models.UUIDField(null=True, blank=True, db_index=True)
    notify_status = models.CharField(max_length=32, blank=True, default="")
    last_error = models.CharField(max_length=500, blank=True, default="")

    # Timestamps of each stage.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # Start of the max-age window: creation, or the last "retry now".
    queued_at = models.DateTimeField(default=timezone.now)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_to_notify_at = models.DateTimeField(null=True, blank=True)
    notify_sending_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    # Poll bookkeeping.
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # The last delivery-status callback from Notify (with receipts on, polls are the fallback).
    last_receipt_at = models.DateTimeField(null=True, blank=True)
    polls = models.PositiveIntegerField(default=0)
    tracking_stopped = models.BooleanField(default=False)

    # "Send again" in the admin: the email this one repeats (its history is never rewritten).
    resent_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends"
    )
    # When personalisation and request/response bodies were removed (retention.py).
    redacted_at = models.DateTimeField(null=True, blank=True)
    # The W3C traceparent of the caller's span when the email was queued (observe/tracing.py):
    # the send's span is parented to it. Ids only, never anything secret.
    traceparent = models.CharField(max_length=55, blank=True, default="")

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = (
            models.Index(fields=("status", "created_at"), name="ngo_msg_status_created"),
            # Look-ups of an email by the reference it was sent with.
            models.Index(fields=("sent_reference_digest",), name="ngo_msg_reference"),
            models.Index(fields=("email_address",), name="ngo_msg_email"),
            # Attempts left in flight by a stopped worker (checked at the start of each run).
            models.Index(fields=("attempt_started_at",), name="ngo_msg_in_flight"),
            # The admin's search by template id.
            models.Index(fields=("template_id",), name="ngo_msg_template"),
            # What to send next: claimed in priority order, then oldest due first.
            models.Index(fields=("priority", "next_action_at"), name="ngo_msg_priority_due"),
            # Final emails not yet redacted (retention.redact_finished).
            models.Index(fields=("redacted_at", "status"), name="ngo_msg_redacted"),
            # Not declared here: the partial indexes of migration 0007 (PostgreSQL and
            # SQLite; MySQL and MariaDB have none, and Django warns, W037, of any declared
            # here): ngo_msg_unknown_due (next_action_at WHERE outcome_unknown) and
            # ngo_msg_tracked_due (next_action_at WHERE notify_id and next_action_at are
            # not NULL), so the few due emails to look up, and the accepted ones to poll,
            # are found without walking a backlog of queued emails that are due too.
        )
        permissions = (
            ("view_personalisation", "Can view the personalisation of outbox emails"),
            ("retry_emailmessage", "Can retry outbox emails and refresh their status"),
        )

    def __str__(self) -> str:
        return f"{self.email_address} ({self.status})"


class EmailEvent(models.Model):
    """One thing that happened to an email: an HTTP exchange, an exception, a status change."""

    class Kind(models.TextChoices):
        HTTP = "http", "HTTP request"
        EXCEPTION = "exception", "Exception"
        STATUS = "status", "Status change"
        INFO = "info", "Information"
        RECEIPT = "receipt", "Delivery receipt"

    message = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    method = models.CharField(max_length=8, blank=True, default="")
    path = models.TextField(blank=True, default="")
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, blank=True, default="")
    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    request_body = models.TextField(blank=True, default="")
    response_body = models.TextField(blank=True, default="")
    exception_type = models.CharField(max_length=200, blank=True, default="")
    exception_message = models.TextField(blank=True, default="")
    traceback = models.TextField(blank=True, default="")
    from_status = models.CharField(max_length=32, blank=True, default="")
    to_status = models.CharField(max_length=32, blank=True, default="")
    detail = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("created_at", "id")
        indexes = (models.Index(fields=("message", "created_at"), name="ngo_event_message"),)

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def new(cls, **values: Any) -> EmailEvent:
        """An unsaved event of ``values`` (field names as attributes: ``message_id``), the
        other fields at their defaults. Built with Django's positional constructor, which
        takes about two thirds of the time keywords take: the engine builds one per request."""
        args = [values.pop(name) if name in values else make() for name, make in _event_fields()]
        event: EmailEvent = cast(Any, cls)(*args)  # the stubs know keyword construction only
        if values:
            raise TypeError(f"EmailEvent has no field {', '.join(sorted(values))}")
        return event

    @classmethod
    def for_exception(cls, message_id: int, exc: BaseException, detail: str = "") -> EmailEvent:
        """An unsaved exception event for ``exc`` (its type, message and traceback)."""
        return cls.new(
            message_id=message_id,
            kind=cls.Kind.EXCEPTION,
            exception_type=f"{type(exc).__module__}.{type(exc).__qualname__}",
            exception_message=truncate(str(exc)),
            traceback=truncate(
                "".join(traceback_module.format_exception(type(exc), exc, exc.__traceback__)),
                8000,
            ),
            detail=detail,
        )


@functools.cache
def _event_fields() -> tuple[tuple[str, Callable[[], Any]], ...]:
    """(attribute name, default factory) of EmailEvent's columns, in the model's order."""
    return tuple((f.attname, f.get_default) for f in EmailEvent._meta.concrete_fields)


class SyncLease(models.Model):
    """The single row that lets one sync run at a time, and the auth-pause state."""

    SINGLETON_ID = 1

    holder = models.CharField(max_length=200, blank=True, default="")
    acquired_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    auth_paused = models.BooleanField(default=False)
    auth_paused_since = models.DateTimeField(null=True, blank=True)
    auth_paused_message = models.TextField(blank=True, default="")
    auth_checked_at = models.DateTimeField(null=True, blank=True)
    # The last time a sync looked for work and found none (observe/: written at most
    # every few seconds per process), so an idle outbox still shows that it is scheduled.
    last_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "sync lease"

    def __str__(self) -> str:
        return f"sync lease held by {self.holder or 'nobody'} until {self.expires_at}"

    @classmethod
    def get(cls) -> SyncLease:
        """The singleton row, created when missing."""
        lease, _ = cls.objects.get_or_create(pk=cls.SINGLETON_ID)
        return lease

    @classmethod
    def pause_state(cls) -> tuple[bool, datetime | None, str]:
        """(paused, since, message) of the auth pause, without creating the row."""
        row = cls.objects.filter(pk=cls.SINGLETON_ID).first()
        if row is None:
            return (False, None, "")
        return (row.auth_paused, row.auth_paused_since, row.auth_paused_message)


class RecipientThrottle(models.Model):
    """How many emails one normalised address was queued in one clock minute (throttle.py).

    ``key`` is the SHA-256 of the normalised address, never the address itself.
    """

    key = models.CharField(max_length=64, unique=True)
    window = models.BigIntegerField(help_text="Minutes since the Unix epoch.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "recipient throttle"

    def __str__(self) -> str:
        return f"{self.count} in minute {self.window}"


class OutboxStat(models.Model):
    """A rollup the engine maintains for the admin's dashboard (observe/rollup.py): how
    many of one thing happened in one minute (``width`` 60) or one hour (3600).

    ``name`` is "status" (an email entered the status ``label``), "answer" (Notify
    answered a request: "<request> <outcome> <HTTP status>") or "latency" (a request
    took at most "<request> <bound>" seconds).
    """

    width = models.PositiveIntegerField(help_text="Seconds: 60 or 3600.")
    bucket = models.DateTimeField(help_text="Start of the minute or hour.")
    name = models.CharField(max_length=16)
    label = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "outbox statistic"
        constraints = (
            models.UniqueConstraint(
                fields=("width", "bucket", "name", "label"), name="ngo_stat_unique"
            ),
        )

    def __str__(self) -> str:
        return f"{self.name} {self.label}: {self.count} at {self.bucket:%Y-%m-%d %H:%M}"


class UnmatchedReceipt(models.Model):
    """A callback from Notify for a notification id the outbox does not hold (yet).

    Notify retries a callback that is not answered 2xx, so these are answered 200 and
    kept here to be looked at; the poll fallback settles the email if it appears later."""

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=16)  # "delivery_status" or "complaint"
    notify_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=32, blank=True, default="")
    reference = models.CharField(max_length=1000, blank=True, default="")

    class Meta:
        ordering = ("-received_at", "-id")

    def __str__(self) -> str:
        return f"{self.kind} for {self.notify_id} ({self.status or 'complaint'})"
