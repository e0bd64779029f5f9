"""The outbox engine: plain functions, no Celery.

``sync()`` is one bounded run: take the single-sender lease, recover attempts
a dead worker left in flight, look up emails whose last attempt has an unknown
outcome, send what is due (write-ahead first, no row locks held during HTTP),
and poll Notify for the status of emails it accepted. Everything it does is
recorded as EmailEvent rows on the email concerned. docs/outbox.md explains
the state machine and why nothing is sent twice or lost.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import conf, statuses
from .models import EmailEvent, EmailMessage, SyncLease, one_line, truncate

if TYPE_CHECKING:
    from .client import NotificationsAPIClient, Result

logger = logging.getLogger(__name__)

ACCEPTED = "accepted"
REJECTED = "rejected"
THROTTLED = "throttled"
NOT_SENT = "not_sent"
UNKNOWN = "unknown"

AUTH_STATUSES = (401, 403)
SEND_PATH = "/v2/notifications/email"
# Notify's page size for GET /v2/notifications.
LIST_PAGE_SIZE = 250
# A caller-given reference matches a notification created no earlier than this
# before the email's first attempt (docs/design.md §3).
LOOKUP_SLACK = timedelta(minutes=1)


@dataclasses.dataclass
class SyncSummary:
    """What one ``sync()`` run did."""

    ran: bool = False
    reason: str = ""
    recovered: int = 0
    looked_up: int = 0
    adopted: int = 0
    sent: int = 0
    accepted: int = 0
    retrying: int = 0
    unknown: int = 0
    failed: int = 0
    polled: int = 0
    status_changes: int = 0
    tracking_stopped: int = 0
    auth_paused: bool = False
    http_requests: int = 0
    duration: float = 0.0

    def __str__(self) -> str:
        if not self.ran:
            return f"sync skipped: {self.reason}"
        fields = dataclasses.asdict(self)
        shown = ", ".join(
            f"{k}={v}" for k, v in fields.items() if k not in ("ran", "reason", "duration") and v
        )
        paused = " (sending paused: Notify refused the API key or URL)" if self.auth_paused else ""
        return f"sync done in {self.duration:.2f}s: {shown or 'nothing to do'}{paused}"


_clients: dict[tuple[Any, ...], NotificationsAPIClient] = {}


def get_client(settings: conf.OutboxSettings) -> NotificationsAPIClient:
    """The process's client for these settings (created on first use, then reused)."""
    from .client import NotificationsAPIClient

    key = (
        settings.api_key,
        settings.base_url,
        settings.timeout,
        settings.connect_timeout,
        settings.rate_limit_per_minute,
        settings.rate_limit_burst,
        settings.max_in_flight,
    )
    client = _clients.get(key)
    if client is None:
        _clients.clear()
        client = NotificationsAPIClient(
            settings.api_key,
            settings.base_url,
            settings.timeout,
            connect_timeout=settings.connect_timeout,
            rate_limit_per_minute=settings.rate_limit_per_minute,
            rate_limit_burst=settings.rate_limit_burst,
            max_in_flight=settings.max_in_flight,
        )
        _clients[key] = client
    return client


def backoff_delay(attempts: int, settings: conf.OutboxSettings) -> float:
    """Seconds to wait before attempt ``attempts + 1``: exponential, capped, full jitter."""
    ceiling = min(settings.backoff_cap, settings.backoff_base * (2 ** max(0, attempts - 1)))
    return random.uniform(0.0, ceiling)


def poll_interval(age: timedelta, settings: conf.OutboxSettings) -> float | None:
    """Seconds until the next poll of an email accepted ``age`` ago; None: stop tracking."""
    seconds = age.total_seconds()
    for max_age, interval in settings.poll_schedule:
        if seconds < max_age:
            return interval
    return None


# --- recording -------------------------------------------------------------------------------

_HIDDEN_KEYS = ("body", "subject", "content", "sanitised_content", "personalisation")


def _redact(value: Any) -> Any:
    """``value`` with every personalised field (filled-in body, subject…) replaced."""
    if isinstance(value, dict):
        return {
            k: ("(hidden)" if k in _HIDDEN_KEYS and v not in (None, {}, "") else _redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _body_text(body: bytes, settings: conf.OutboxSettings) -> str:
    """A response body fit for an event: personalised fields hidden unless allowed, truncated."""
    text = body.decode("utf-8", "replace")
    if not settings.show_personalisation_in_admin:
        with contextlib.suppress(ValueError):
            text = json.dumps(_redact(json.loads(text)), sort_keys=True)
    return truncate(text, settings.event_body_limit)


def _http_event(
    message_id: int,
    method: str,
    path: str,
    result: Result,
    settings: conf.OutboxSettings,
    *,
    request_body: str = "",
    detail: str = "",
) -> EmailEvent:
    return EmailEvent(
        message_id=message_id,
        kind=EmailEvent.Kind.HTTP,
        method=method,
        path=path,
        http_status=result.status_code,
        outcome=str(result.outcome),
        duration=result.elapsed,
        request_body=request_body,
        response_body=_body_text(result.body, settings),
        detail=detail or (one_line(result.error) if result.error else ""),
    )


def _info(message_id: int, detail: str) -> EmailEvent:
    return EmailEvent(message_id=message_id, kind=EmailEvent.Kind.INFO, detail=detail)


def _error_text(result: Result) -> str:
    """One line describing a failed request: Notify's messages, else the HTTP or curl error."""
    data = _json(result)
    if isinstance(data, dict) and isinstance(data.get("errors"), list):
        parts = [
            f"{e.get('error', '')}: {e.get('message', '')}"
            for e in data["errors"]
            if isinstance(e, dict)
        ]
        if parts:
            return one_line(f"HTTP {result.status_code} " + "; ".join(parts))
    if result.status_code:
        return one_line(f"HTTP {result.status_code} ({result.outcome})")
    return one_line(f"{result.outcome}: {result.error or 'no response'}")


def _json(result: Result) -> Any:
    try:
        return json.loads(result.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def _is_auth_error(result: Result) -> bool:
    """401/403: Notify refused the API key."""
    return str(result.outcome) == REJECTED and result.status_code in AUTH_STATUSES


def _daily_limit_reached(result: Result) -> bool:
    """A 429 for Notify's daily message limit (TooManyRequestsError), not its rate limit."""
    data = _json(result)
    errors = data.get("errors") if isinstance(data, dict) else None
    return isinstance(errors, list) and any(
        isinstance(e, dict) and e.get("error") == "TooManyRequestsError" for e in errors
    )


def _next_utc_midnight(now: datetime) -> datetime:
    """The first midnight UTC after ``now`` (when Notify's daily counters start again)."""
    day = now.astimezone(dt_timezone.utc).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=dt_timezone.utc)


def _refused_service(result: Result) -> bool:
    """Refused by the service rather than for this email: a 401/403 (the API key), or a
    404/405 from an endpoint that always exists (GOVUK_NOTIFY_BASE_URL is wrong)."""
    return str(result.outcome) == REJECTED and result.status_code in (*AUTH_STATUSES, 404, 405)


# --- the lease -------------------------------------------------------------------------------


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _acquire_lease(holder: str, settings: conf.OutboxSettings) -> bool:
    """True when this run took the lease (a conditional UPDATE on the single row)."""
    now = timezone.now()
    values = {
        "holder": holder,
        "acquired_at": now,
        "expires_at": now + timedelta(seconds=settings.lease_seconds),
    }
    free = Q(expires_at__isnull=True) | Q(expires_at__lt=now)
    if SyncLease.objects.filter(free, pk=SyncLease.SINGLETON_ID).update(**values):
        return True
    if SyncLease.objects.filter(pk=SyncLease.SINGLETON_ID).exists():
        return False
    try:
        with transaction.atomic():
            SyncLease.objects.create(pk=SyncLease.SINGLETON_ID)
    except IntegrityError:
        pass
    return bool(SyncLease.objects.filter(free, pk=SyncLease.SINGLETON_ID).update(**values))


def _renew_lease(holder: str, settings: conf.OutboxSettings) -> bool:
    """True while this run still holds the lease; extends it by LEASE_SECONDS."""
    expires = timezone.now() + timedelta(seconds=settings.lease_seconds)
    return bool(
        SyncLease.objects.filter(pk=SyncLease.SINGLETON_ID, holder=holder).update(
            expires_at=expires
        )
    )


def _release_lease(holder: str) -> None:
    now = timezone.now()
    SyncLease.objects.filter(pk=SyncLease.SINGLETON_ID, holder=holder).update(
        holder="", expires_at=now, last_run_at=now
    )


# --- the auth pause --------------------------------------------------------------------------


def _pause_for_auth(result: Result, message_id: int | None) -> None:
    now = timezone.now()
    text = _error_text(result)
    updated = SyncLease.objects.filter(pk=SyncLease.SINGLETON_ID, auth_paused=False).update(
        auth_paused=True, auth_paused_since=now, auth_paused_message=text, auth_checked_at=now
    )
    if not updated:
        SyncLease.objects.filter(pk=SyncLease.SINGLETON_ID).update(
            auth_paused_message=text, auth_checked_at=now
        )
    logger.error(
        "outbox: GOV.UK Notify refused the outbox's requests (%s). Sending is paused; every "
        "email stays queued without spending its attempts until a later run succeeds. "
        "Check GOVUK_NOTIFY_API_KEY and GOVUK_NOTIFY_BASE_URL.",
        text,
    )
    if message_id is not None and updated:
        EmailEvent.objects.create(
            message_id=message_id,
            kind=EmailEvent.Kind.INFO,
            detail=f"Sending paused: Notify refused the request ({text})",
        )


def _resume_after_auth() -> None:
    if SyncLease.objects.filter(pk=SyncLease.SINGLETON_ID, auth_paused=True).update(
        auth_paused=False, auth_paused_message="", auth_checked_at=timezone.now()
    ):
        logger.warning("outbox: GOV.UK Notify accepts the API key again; sending resumed")


def _probe_auth(
    client: NotificationsAPIClient,
    lease: SyncLease,
    settings: conf.OutboxSettings,
    summary: SyncSummary,
) -> bool:
    """While paused: True when Notify accepts the key again (checked at most every
    AUTH_PROBE_INTERVAL with a GET that sends nothing)."""
    now = timezone.now()
    if lease.auth_checked_at and now < lease.auth_checked_at + timedelta(
        seconds=settings.auth_probe_interval
    ):
        return False
    path = "/v2/notifications?" + urlencode({"reference": "outbox-auth-check"})
    (result,) = client.request_many([("GET", path, None)])
    summary.http_requests += 1
    if str(result.outcome) == ACCEPTED:
        _resume_after_auth()
        return True
    if _refused_service(result):
        _pause_for_auth(result, None)
    else:
        SyncLease.objects.filter(pk=SyncLease.SINGLETON_ID).update(auth_checked_at=now)
    return False


# --- the run ---------------------------------------------------------------------------------


class _Run:
    """State of one sync run."""

    def __init__(
        self, client: NotificationsAPIClient, settings: conf.OutboxSettings, holder: str
    ) -> None:
        self.client = client
        self.settings = settings
        self.holder = holder
        self.summary = SyncSummary(ran=True)
        self.deadline = time.monotonic() + settings.run_time_budget
        self.paused = False
        self.lost_lease = False
        # Each email is attempted at most once per run, whatever its back-off.
        self.attempted: set[int] = set()
        self.asked: set[int] = set()

    def time_left(self) -> bool:
        return time.monotonic() < self.deadline and not self.paused and not self.lost_lease

    def renew(self) -> bool:
        if not _renew_lease(self.holder, self.settings):
            logger.error("outbox: lost the sync lease mid-run; stopping this run")
            self.lost_lease = True
        return not self.lost_lease

    def chunk(self) -> int:
        # One chunk is at most one wave of concurrent requests, so it ends within TIMEOUT.
        return max(1, min(self.settings.batch_size, self.settings.max_in_flight))

    # -- recovery -----------------------------------------------------------------------------

    def recover(self) -> None:
        """Attempts left in flight by a dead run become unknown outcomes (look up first)."""
        stale = list(
            EmailMessage.objects.filter(
                attempt_started_at__isnull=False, status__in=statuses.TO_SEND
            )[: self.settings.batch_size * 10]
        )
        for message in stale:
            started = message.attempt_started_at
            assert started is not None
            ok = message.transition(
                statuses.RETRYING_SEND_TO_NOTIFY,
                where={"attempt_started_at": started},
                attempt_started_at=None,
                outcome_unknown=True,
                next_action_at=started + timedelta(seconds=self.settings.lookup_delay),
                last_error="The worker stopped during an attempt; outcome unknown",
            )
            if ok:
                self.summary.recovered += 1
                EmailEvent.objects.create(
                    message=message,
                    kind=EmailEvent.Kind.INFO,
                    detail="An attempt was left in flight by a stopped worker; "
                    "Notify will be asked before any resend",
                )

    # -- look-ups -----------------------------------------------------------------------------

    def lookups(self) -> None:
        """Ask Notify about emails whose last attempt has an unknown outcome."""
        while self.time_left():
            now = timezone.now()
            batch = list(
                EmailMessage.objects.filter(
                    outcome_unknown=True,
                    attempt_started_at__isnull=True,
                    status__in=statuses.TO_SEND,
                    next_action_at__lte=now,
                )
                .exclude(pk__in=self.asked)
                .order_by("next_action_at")[: self.chunk()]
            )
            if not batch or not self.renew():
                return
            self.asked.update(m.pk for m in batch)
            requests = [
                ("GET", "/v2/notifications?reference=" + quote(m.sent_reference, safe=""), None)
                for m in batch
            ]
            results = self.client.request_many(requests)
            self.summary.http_requests += len(results)
            # Recording is database-only: one short transaction per chunk.
            with transaction.atomic():
                for message, request, result in zip(batch, requests, results, strict=True):
                    self.summary.looked_up += 1
                    self._record_lookup(message, request[1], result)
                    if self.paused:
                        return

    def _match(self, message: EmailMessage, data: Any) -> dict[str, Any] | None:
        if not isinstance(data, dict) or not isinstance(data.get("notifications"), list):
            return None
        since = (message.first_attempt_at or message.created_at) - LOOKUP_SLACK
        candidates = []
        for item in data["notifications"]:
            if not isinstance(item, dict) or item.get("reference") != message.sent_reference:
                continue
            if not message.reference_is_ours:
                created = parse_datetime(str(item.get("created_at", "")))
                address = str(item.get("email_address", "")).strip().lower()
                template = (item.get("template") or {}).get("id", "")
                if (
                    address != message.email_address.lower()
                    or str(template) != str(message.template_id)
                    or created is None
                    or created < since
                ):
                    continue
            candidates.append(item)
        for item in reversed(candidates):  # newest first from Notify: adopt the oldest
            try:
                notify_id = uuid.UUID(str(item.get("id")))
            except ValueError:
                continue
            owned = EmailMessage.objects.filter(notify_id=notify_id).exclude(pk=message.pk)
            if not owned.exists():
                return item
        return None

    def _record_lookup(self, message: EmailMessage, path: str, result: Result) -> None:
        now = timezone.now()
        outcome = str(result.outcome)
        event = _http_event(message.pk, "GET", path, result, self.settings, detail="look-up")
        if outcome == ACCEPTED:
            item = self._match(message, _json(result))
            if item is not None:
                event.detail = "look-up: found at Notify; adopted"
                event.save()
                if message.transition(
                    statuses.SENT_TO_NOTIFY,
                    notify_id=uuid.UUID(str(item["id"])),
                    outcome_unknown=False,
                    sent_to_notify_at=now,
                    next_action_at=now,
                    last_error="",
                ):
                    self.summary.adopted += 1
                    self._apply_status(message, item, now)
                return
            event.detail = "look-up: not at Notify; will resend"
            event.save()
            self._after_not_found(message, now)
            return
        event.save()
        if _refused_service(result):
            self._auth_error(message, result)
            return
        delay = backoff_delay(message.attempts, self.settings)
        EmailMessage.objects.filter(pk=message.pk, outcome_unknown=True).update(
            next_action_at=now + timedelta(seconds=max(delay, self.settings.lookup_delay)),
            last_error=f"Look-up failed: {_error_text(result)}"[:500],
            updated_at=now,
        )
        self._give_up_if_too_old(message, now, unknown=True)

    def _after_not_found(self, message: EmailMessage, now: datetime) -> None:
        EmailMessage.objects.filter(pk=message.pk).update(
            outcome_unknown=False, next_action_at=now, updated_at=now
        )
        message.outcome_unknown = False
        message.next_action_at = now

    def _give_up_if_too_old(self, message: EmailMessage, now: datetime, *, unknown: bool) -> bool:
        if now - message.queued_at <= timedelta(seconds=self.settings.max_age):
            return False
        reason = (
            "Gave up: Notify could not be asked whether the last attempt arrived "
            f"within {self.settings.max_age:.0f}s (retry now looks it up first)"
            if unknown
            else f"Gave up: not accepted by Notify within {self.settings.max_age:.0f}s"
        )
        if message.transition(
            statuses.FAILED_SEND_TO_NOTIFY, expected=message.status, last_error=reason
        ):
            self.summary.failed += 1
            return True
        return False

    # -- sending ------------------------------------------------------------------------------

    def sends(self) -> None:
        """Send due emails in chunks: write-ahead, HTTP without locks, record each outcome."""
        while self.time_left():
            now = timezone.now()
            due = list(
                EmailMessage.objects.filter(
                    status__in=statuses.TO_SEND,
                    outcome_unknown=False,
                    attempt_started_at__isnull=True,
                    next_action_at__lte=now,
                )
                .exclude(pk__in=self.attempted)
                .order_by("next_action_at")[: self.chunk()]
            )
            if not due:
                return
            self.attempted.update(m.pk for m in due)
            ready = [m for m in due if not self._exhausted(m, now)]
            if not ready:
                continue
            if not self.renew():
                return
            claimed = self._write_ahead(ready)
            if claimed:
                self._send(claimed)

    def _exhausted(self, message: EmailMessage, now: datetime) -> bool:
        if message.attempts >= self.settings.max_attempts:
            if message.transition(
                statuses.FAILED_SEND_TO_NOTIFY,
                last_error=f"Gave up after {message.attempts} attempts: {message.last_error}"[:500],
            ):
                self.summary.failed += 1
            return True
        return self._give_up_if_too_old(message, now, unknown=False)

    def _write_ahead(self, messages: Sequence[EmailMessage]) -> list[EmailMessage]:
        """Mark the chunk as being attempted (one short transaction); return the claimed rows."""
        now = timezone.now()
        ids = [m.pk for m in messages]
        with transaction.atomic():
            EmailMessage.objects.filter(
                pk__in=ids,
                status__in=statuses.TO_SEND,
                outcome_unknown=False,
                attempt_started_at__isnull=True,
            ).update(
                attempts=F("attempts") + 1,
                attempt_started_at=now,
                last_attempt_at=now,
                next_action_at=now + timedelta(seconds=self.settings.lease_seconds),
                updated_at=now,
            )
            EmailMessage.objects.filter(pk__in=ids, first_attempt_at__isnull=True).update(
                first_attempt_at=now
            )
        return list(EmailMessage.objects.filter(pk__in=ids, attempt_started_at=now).order_by("pk"))

    def _payload(self, message: EmailMessage) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "email_address": message.email_address,
            "template_id": str(message.template_id),
            "reference": message.sent_reference,
        }
        if message.personalisation:
            payload["personalisation"] = message.personalisation
        if message.email_reply_to_id:
            payload["email_reply_to_id"] = str(message.email_reply_to_id)
        if message.one_click_unsubscribe_url:
            payload["one_click_unsubscribe_url"] = message.one_click_unsubscribe_url
        if message.sanitise_content_for:
            payload["sanitise_content_for"] = list(message.sanitise_content_for)
        return payload

    def _request_text(self, payload: dict[str, Any]) -> str:
        shown = dict(payload)
        if "personalisation" in shown and not self.settings.show_personalisation_in_admin:
            shown["personalisation"] = f"(hidden: {len(payload['personalisation'])} keys)"
        return truncate(json.dumps(shown, sort_keys=True), self.settings.event_body_limit)

    def _send(self, messages: list[EmailMessage]) -> None:
        payloads = [self._payload(m) for m in messages]
        try:
            results = self.client.send_email_notifications(payloads)
        except BaseException as exc:
            # Interrupted (Ctrl-C, Celery's soft time limit) or broken: requests may have
            # left, so each email's outcome is unknown. Record that, then end the run.
            logger.exception("outbox: sending a batch of %d emails failed", len(messages))
            with transaction.atomic():
                for message in messages:
                    EmailEvent.for_exception(message.pk, exc, "while sending").save()
                    self._record_unknown(message, f"{type(exc).__name__} while sending")
            raise
        self.summary.sent += len(messages)
        self.summary.http_requests += len(results)
        # Recording is database-only: one short transaction per chunk.
        with transaction.atomic():
            EmailEvent.objects.bulk_create(
                [
                    _http_event(
                        message.pk,
                        "POST",
                        SEND_PATH,
                        result,
                        self.settings,
                        request_body=self._request_text(payload),
                    )
                    for message, payload, result in zip(messages, payloads, results, strict=True)
                ]
            )
            for message, result in zip(messages, results, strict=True):
                self._record_send(message, result)

    def _record_send(self, message: EmailMessage, result: Result) -> None:
        now = timezone.now()
        outcome = str(result.outcome)
        started = message.attempt_started_at
        if outcome == ACCEPTED:
            data = _json(result)
            try:
                notify_id = uuid.UUID(str(data["id"]))
            except (TypeError, KeyError, ValueError):
                # Notify stored it but we cannot tell its id: the look-up will find it.
                self._record_unknown(message, "Accepted without a readable notification id")
                return
            interval = poll_interval(timedelta(0), self.settings) or 0.0
            if message.transition(
                statuses.SENT_TO_NOTIFY,
                where={"attempt_started_at": started},
                notify_id=notify_id,
                attempt_started_at=None,
                outcome_unknown=False,
                sent_to_notify_at=now,
                next_action_at=now + timedelta(seconds=interval),
                last_error="",
            ):
                self.summary.accepted += 1
            return
        if _refused_service(result):
            self._auth_error(message, result)
            return
        error = _error_text(result)
        if outcome == REJECTED:
            if message.transition(
                statuses.FAILED_SEND_TO_NOTIFY,
                where={"attempt_started_at": started},
                attempt_started_at=None,
                last_error=error,
            ):
                self.summary.failed += 1
            return
        if outcome == THROTTLED and _daily_limit_reached(result):
            # Notify's daily limit resets at midnight UTC: wait for it without spending
            # attempts (retrying sooner cannot succeed).
            if message.transition(
                statuses.RETRYING_SEND_TO_NOTIFY,
                where={"attempt_started_at": started},
                attempts=max(0, message.attempts - 1),
                attempt_started_at=None,
                next_action_at=_next_utc_midnight(now) + timedelta(seconds=random.uniform(0, 60)),
                last_error=f"Daily limit reached; waiting for midnight UTC: {error}"[:500],
            ):
                self.summary.retrying += 1
            return
        if outcome in (THROTTLED, NOT_SENT):
            if message.attempts >= self.settings.max_attempts:
                if message.transition(
                    statuses.FAILED_SEND_TO_NOTIFY,
                    where={"attempt_started_at": started},
                    attempt_started_at=None,
                    last_error=f"Gave up after {message.attempts} attempts: {error}"[:500],
                ):
                    self.summary.failed += 1
                return
            delay = backoff_delay(message.attempts, self.settings)
            if message.transition(
                statuses.RETRYING_SEND_TO_NOTIFY,
                where={"attempt_started_at": started},
                attempt_started_at=None,
                next_action_at=now + timedelta(seconds=delay),
                last_error=error,
            ):
                self.summary.retrying += 1
            return
        self._record_unknown(message, error)

    def _record_unknown(self, message: EmailMessage, error: str) -> None:
        started = message.attempt_started_at or timezone.now()
        lookup_at = started + timedelta(seconds=self.settings.lookup_delay)
        if message.transition(
            statuses.RETRYING_SEND_TO_NOTIFY,
            where={"attempt_started_at": message.attempt_started_at},
            attempt_started_at=None,
            outcome_unknown=True,
            next_action_at=max(lookup_at, timezone.now()),
            last_error=f"Outcome unknown, Notify will be asked before any resend: {error}"[:500],
        ):
            self.summary.unknown += 1

    def _auth_error(self, message: EmailMessage, result: Result) -> None:
        """Refused by the service (key or base URL): the attempt does not count, the email
        stays queued, sending pauses."""
        now = timezone.now()
        if message.attempt_started_at is not None:
            EmailMessage.objects.filter(
                pk=message.pk, attempt_started_at=message.attempt_started_at
            ).update(
                attempts=F("attempts") - 1,
                attempt_started_at=None,
                next_action_at=now,
                last_error=_error_text(result),
                updated_at=now,
            )
        else:
            EmailMessage.objects.filter(pk=message.pk).update(
                next_action_at=now, last_error=_error_text(result), updated_at=now
            )
        if not self.paused:
            _pause_for_auth(result, message.pk)
        self.paused = True
        self.summary.auth_paused = True

    # -- polling ------------------------------------------------------------------------------

    def polls(self) -> None:
        """Fetch the Notify status of accepted emails that are due a poll."""
        if not self.time_left():
            return
        now = timezone.now()
        limit = self.settings.list_poll_max_pages * LIST_PAGE_SIZE
        due = list(
            EmailMessage.objects.filter(
                status__in=statuses.TRACKED, next_action_at__lte=now, notify_id__isnull=False
            ).order_by("next_action_at")[:limit]
        )
        if not due:
            return
        if len(due) >= self.settings.list_poll_threshold:
            due = self._poll_by_list(due)
        for start in range(0, len(due), self.chunk()):
            if not self.time_left() or not self.renew():
                return
            self._poll_by_ids(due[start : start + self.chunk()])

    def _poll_by_list(self, due: list[EmailMessage]) -> list[EmailMessage]:
        """Page through GET /v2/notifications (250 a page); return the due emails not seen."""
        by_id = {str(m.notify_id): m for m in due}
        oldest = min((m.sent_to_notify_at or m.created_at) for m in due) - LOOKUP_SLACK
        older_than = ""
        for _ in range(self.settings.list_poll_max_pages):
            if not by_id or not self.time_left() or not self.renew():
                break
            query = {"template_type": "email"}
            if older_than:
                query["older_than"] = older_than
            path = "/v2/notifications?" + urlencode(query)
            (result,) = self.client.request_many([("GET", path, None)])
            self.summary.http_requests += 1
            data = _json(result)
            if str(result.outcome) != ACCEPTED or not isinstance(data, dict):
                if _refused_service(result):
                    self._auth_error_on_poll(result, due[0])
                logger.warning("outbox: listing notifications failed: %s", _error_text(result))
                break
            items = [i for i in data.get("notifications") or [] if isinstance(i, dict)]
            now = timezone.now()
            with transaction.atomic():
                for item in items:
                    message = by_id.pop(str(item.get("id")), None)
                    if message is not None:
                        self.summary.polled += 1
                        self._apply_status(message, item, now)
            if not items:
                break
            created = parse_datetime(str(items[-1].get("created_at", "")))
            if created is None or created < oldest:
                break
            older_than = str(items[-1].get("id", ""))
        return list(by_id.values())

    def _poll_by_ids(self, messages: list[EmailMessage]) -> None:
        ids = [str(m.notify_id) for m in messages]
        results = self.client.get_notifications_by_ids(ids)
        self.summary.http_requests += len(results)
        now = timezone.now()
        with transaction.atomic():
            EmailEvent.objects.bulk_create(
                [
                    _http_event(
                        message.pk,
                        "GET",
                        f"/v2/notifications/{notify_id}",
                        result,
                        self.settings,
                        detail="poll",
                    )
                    for message, notify_id, result in zip(messages, ids, results, strict=True)
                ]
            )
            for message, result in zip(messages, results, strict=True):
                self.summary.polled += 1
                data = _json(result)
                if str(result.outcome) == ACCEPTED and isinstance(data, dict):
                    self._apply_status(message, data, now)
                elif str(result.outcome) == REJECTED and result.status_code == 404:
                    self._not_found(message, now)
                elif _is_auth_error(result):
                    self._auth_error_on_poll(result, message)
                    return
                else:
                    self._reschedule_poll(message, now, error=_error_text(result))

    def _auth_error_on_poll(self, result: Result, message: EmailMessage) -> None:
        now = timezone.now()
        EmailMessage.objects.filter(pk=message.pk).update(
            next_action_at=now + timedelta(seconds=self.settings.auth_probe_interval)
        )
        if not self.paused:
            _pause_for_auth(result, message.pk)
        self.paused = True
        self.summary.auth_paused = True

    def _age(self, message: EmailMessage, now: datetime) -> timedelta:
        return now - (message.sent_to_notify_at or message.created_at)

    def _not_found(self, message: EmailMessage, now: datetime) -> None:
        if self._age(message, now) >= timedelta(seconds=self.settings.retention):
            self._stop_tracking(
                message, "Notify no longer has this email (past its retention); tracking stopped"
            )
            return
        self._reschedule_poll(message, now, error="Notify has no such notification (404)")

    def _stop_tracking(self, message: EmailMessage, why: str) -> None:
        EmailMessage.objects.filter(pk=message.pk, status=message.status).update(
            next_action_at=None, tracking_stopped=True, updated_at=timezone.now()
        )
        _info(message.pk, why).save()
        self.summary.tracking_stopped += 1

    def _reschedule_poll(self, message: EmailMessage, now: datetime, *, error: str = "") -> None:
        interval = poll_interval(self._age(message, now), self.settings)
        if interval is None:
            self._stop_tracking(
                message,
                "Tracking stopped: Notify reports no final status within its 72-hour limit",
            )
            return
        values: dict[str, Any] = {
            "next_action_at": now + timedelta(seconds=interval),
            "last_polled_at": now,
            "polls": F("polls") + 1,
        }
        if error:
            values["last_error"] = error[:500]
        EmailMessage.objects.filter(pk=message.pk, status=message.status).update(**values)

    def _apply_status(self, message: EmailMessage, item: dict[str, Any], now: datetime) -> None:
        raw = str(item.get("status", ""))
        new = statuses.FROM_NOTIFY.get(raw)
        if new is None:
            _info(message.pk, f"Notify reported an unknown status {raw!r}").save()
            self._reschedule_poll(message, now)
            return
        if new != message.status and statuses.can_transition(message.status, new):
            interval = poll_interval(self._age(message, now), self.settings)
            fields: dict[str, Any] = {
                "notify_status": raw,
                "last_polled_at": now,
                "polls": message.polls + 1,
                "last_error": "",
            }
            if not statuses.is_final(new):
                if interval is None:
                    fields["next_action_at"] = None
                    fields["tracking_stopped"] = True
                else:
                    fields["next_action_at"] = now + timedelta(seconds=interval)
            if new == statuses.NOTIFY_SENDING or statuses.is_final(new):
                sent_at = parse_datetime(str(item.get("sent_at") or ""))
                if sent_at is not None:
                    fields["notify_sending_at"] = sent_at
            if statuses.is_final(new):
                completed = parse_datetime(str(item.get("completed_at") or ""))
                fields["completed_at"] = completed or now
            if message.transition(new, **fields):
                self.summary.status_changes += 1
            return
        EmailMessage.objects.filter(pk=message.pk).update(notify_status=raw)
        self._reschedule_poll(message, now)


def sync(*, client: NotificationsAPIClient | None = None) -> SyncSummary:
    """One bounded run of the outbox; returns what it did.

    Idle (nothing due): one indexed query, no HTTP. Another run holding the
    lease: returns at once. ``client`` defaults to one built from the settings.
    """
    started = time.monotonic()
    if not EmailMessage.objects.filter(next_action_at__lte=timezone.now()).exists():
        return SyncSummary(reason="nothing due")
    if connection.in_atomic_block:
        logger.warning(
            "outbox: sync() called inside a transaction; its write-ahead marks are not "
            "durable until that transaction commits. Call it outside transaction.atomic()."
        )
    settings = conf.get_settings()
    holder = _holder()
    if not _acquire_lease(holder, settings):
        return SyncSummary(reason="another run holds the lease")
    try:
        run = _Run(client or get_client(settings), settings, holder)
        lease = SyncLease.objects.get(pk=SyncLease.SINGLETON_ID)
        run.recover()
        if lease.auth_paused and not _probe_auth(run.client, lease, settings, run.summary):
            run.summary.auth_paused = True
            run.summary.duration = time.monotonic() - started
            return run.summary
        # Unknown outcomes are looked up (and resent when not found) before new sends go.
        run.lookups()
        run.sends()
        run.lookups()
        run.sends()
        run.polls()
        run.summary.duration = time.monotonic() - started
        return run.summary
    finally:
        _release_lease(holder)


# --- admin actions (database only; the next run does the HTTP) --------------------------------


def retry_now(queryset: QuerySet[EmailMessage], *, by: str = "") -> int:
    """Queue failed or retrying emails for an immediate attempt; returns how many.

    Attempts and the max-age window start again. An email whose last outcome is
    unknown keeps that flag, so Notify is still asked before it is resent.
    """
    now = timezone.now()
    count = 0
    for message in queryset.filter(
        status__in=statuses.RETRYABLE, attempt_started_at__isnull=True
    ).iterator():
        if message.transition(
            statuses.RETRYING_SEND_TO_NOTIFY,
            attempts=0,
            queued_at=now,
            next_action_at=now,
            last_error="",
        ):
            _info(message.pk, f"Retry requested{f' by {by}' if by else ''}").save()
            count += 1
    if count:
        _kick_if_enabled()
    return count


def request_refresh(queryset: QuerySet[EmailMessage], *, by: str = "") -> int:
    """Ask the next run to poll Notify for these emails' status; returns how many."""
    now = timezone.now()
    count = 0
    ids = list(
        queryset.filter(
            notify_id__isnull=False,
            status__in=statuses.TRACKED,
        ).values_list("pk", flat=True)
    )
    if ids:
        count = EmailMessage.objects.filter(pk__in=ids, status__in=statuses.TRACKED).update(
            next_action_at=now, tracking_stopped=False, updated_at=now
        )
        EmailEvent.objects.bulk_create(
            [_info(pk, f"Status refresh requested{f' by {by}' if by else ''}") for pk in ids]
        )
        _kick_if_enabled()
    return count


def _kick_if_enabled() -> None:
    from .utils import _kick_after_commit, _kick_enabled

    if _kick_enabled():
        _kick_after_commit("default")


def due_count() -> int:
    """How many emails are due for the engine now (for the admin and commands)."""
    return EmailMessage.objects.filter(next_action_at__lte=timezone.now()).count()


def ids_of(messages: Iterable[EmailMessage]) -> list[int]:
    return [m.pk for m in messages]
