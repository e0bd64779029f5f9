"""What an outcome means for an email: pure functions, no database, no HTTP.

Each ``after_*`` function maps (the email's current state, what happened,
the database time) to a :class:`Change`: the statuses it enters, the fields
to write and the event's text, or ``None`` when the outcome no longer
applies (another writer got there first). The writer
(:mod:`.writer`) calls them under a row lock with the state it just read, so
a decision is always made on the latest state. The transitions they produce
are exactly those of :data:`statuses.TRANSITIONS` (docs/outbox.md).
"""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.utils.dateparse import parse_datetime

from .. import conf, statuses
from ..client import Outcome

ACCEPTED = Outcome.ACCEPTED.value
REJECTED = Outcome.REJECTED.value
THROTTLED = Outcome.THROTTLED.value
NOT_SENT = Outcome.NOT_SENT.value
UNKNOWN = Outcome.UNKNOWN.value

# The fields of an email the decisions read (and the writer selects under its lock).
STATE_FIELDS = (
    "pk",
    "status",
    "attempts",
    "outcome_unknown",
    "queued_at",
    "created_at",
    "attempt_started_at",
    "claim_token",
    "sent_to_notify_at",
    "polls",
    "notify_id",
)


@dataclasses.dataclass(frozen=True)
class State:
    """An email's state, as read by the writer."""

    pk: int
    status: str
    attempts: int
    outcome_unknown: bool
    queued_at: datetime
    created_at: datetime
    attempt_started_at: datetime | None
    claim_token: str
    sent_to_notify_at: datetime | None
    polls: int
    notify_id: uuid.UUID | None


@dataclasses.dataclass(frozen=True)
class Answer:
    """What Notify answered to one request, already interpreted (see :mod:`.answers`)."""

    outcome: str
    status_code: int | None
    error: str  # one line: Notify's messages, or the HTTP or transport error
    data: Any  # the parsed JSON body, or None
    refused_service: bool = False  # 401/403, or 404/405 on a fixed endpoint
    daily_limit: bool = False  # 429 TooManyRequestsError
    deadline_missed: bool = False  # not started before the claim's send-by time


@dataclasses.dataclass(frozen=True)
class Change:
    """What to write for one email."""

    path: tuple[str, ...] = ()  # statuses entered, in order; () leaves the status as it is
    fields: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    note: str = ""  # the event's detail
    pause: str = ""  # non-empty: Notify refused the service itself; pause sending
    counter: str = ""  # the SyncSummary field this change counts towards

    @property
    def status(self) -> str | None:
        return self.path[-1] if self.path else None


Decide = Callable[[State], "Change | None"]


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


def next_utc_midnight(now: datetime) -> datetime:
    """The first midnight UTC after ``now`` (when Notify's daily counters start again)."""
    day = now.astimezone(dt_timezone.utc).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=dt_timezone.utc)


def _cut(text: str) -> str:
    return text[:500]


_CLEAR_CLAIM: Mapping[str, Any] = {"attempt_started_at": None, "claim_token": "", "send_by": None}


def _unknown(state: State, now: datetime, settings: conf.OutboxSettings, why: str) -> Change:
    """The attempt may have reached Notify: look it up once no request of it can still
    arrive (LOOKUP_DELAY after its claim), and never resend before that."""
    started = state.attempt_started_at or now
    lookup_at = max(now, started + timedelta(seconds=settings.lookup_delay))
    return Change(
        path=(statuses.RETRYING_SEND_TO_NOTIFY,),
        fields={
            **_CLEAR_CLAIM,
            "outcome_unknown": True,
            "next_action_at": lookup_at,
            "last_error": _cut(f"Outcome unknown, Notify will be asked before any resend: {why}"),
        },
        note=f"Outcome unknown: {why}",
        counter="unknown",
    )


def _paused(fields: Mapping[str, Any], answer: Answer) -> Change:
    # The run records one "Sending paused" event, on the first email it concerns.
    return Change(fields=fields, pause=answer.error)


def _retry(
    state: State, now: datetime, settings: conf.OutboxSettings, error: str, **extra: Any
) -> Change:
    """Back off and try again, or give up when out of attempts or time."""
    if state.attempts >= settings.max_attempts:
        return _failed(f"Gave up after {state.attempts} attempts: {error}", extra)
    if now - state.queued_at > timedelta(seconds=settings.max_age):
        return _failed(
            f"Gave up: not accepted by Notify within {settings.max_age:g}s: {error}", extra
        )
    delay = backoff_delay(state.attempts, settings)
    return Change(
        path=(statuses.RETRYING_SEND_TO_NOTIFY,),
        fields={
            **_CLEAR_CLAIM,
            **extra,
            "next_action_at": now + timedelta(seconds=delay),
            "last_error": _cut(error),
        },
        note=error,
        counter="retrying",
    )


def _failed(reason: str, extra: Mapping[str, Any] | None = None) -> Change:
    return Change(
        path=(statuses.FAILED_SEND_TO_NOTIFY,),
        fields={
            **_CLEAR_CLAIM,
            **(extra or {}),
            "outcome_unknown": False,
            "last_error": _cut(reason),
        },
        note=reason,
        counter="failed",
    )


def after_send(
    state: State, token: str, answer: Answer, now: datetime, settings: conf.OutboxSettings
) -> Change | None:
    """The outcome of the attempt claimed with ``token``; None when that claim is gone
    (another sender settled the attempt after its LOOKUP_DELAY)."""
    if not token or state.claim_token != token or state.status not in statuses.TO_SEND:
        return None
    if answer.outcome == ACCEPTED:
        notify_id = _notify_id(answer.data)
        if notify_id is None:
            return _unknown(state, now, settings, "accepted without a readable notification id")
        return _accepted(notify_id, now, settings, answer.data, counter="accepted")
    if answer.refused_service:
        # Refused for the service, not this email: the attempt does not count.
        return _paused(
            {
                **_CLEAR_CLAIM,
                "attempts": max(0, state.attempts - 1),
                "next_action_at": now,
                "last_error": _cut(answer.error),
            },
            answer,
        )
    if answer.outcome == REJECTED:
        return _failed(answer.error)
    if answer.deadline_missed:
        # Never started: the claim's send-by time passed first (a slow rate limit, a
        # frozen process). Nothing reached Notify; the attempt does not count.
        return Change(
            fields={**_CLEAR_CLAIM, "attempts": max(0, state.attempts - 1), "next_action_at": now},
            note="Not sent: the claim's send-by time passed before the request could start",
            counter="deferred",
        )
    if answer.outcome == THROTTLED and answer.daily_limit:
        return Change(
            path=(statuses.RETRYING_SEND_TO_NOTIFY,),
            fields={
                **_CLEAR_CLAIM,
                "attempts": max(0, state.attempts - 1),
                "next_action_at": next_utc_midnight(now) + timedelta(seconds=random.uniform(0, 60)),
                "last_error": _cut(
                    f"Daily limit reached; waiting for midnight UTC: {answer.error}"
                ),
            },
            note="Daily limit reached; waiting for midnight UTC",
            counter="retrying",
        )
    if answer.outcome in (THROTTLED, NOT_SENT):
        return _retry(state, now, settings, answer.error)
    return _unknown(state, now, settings, answer.error)


def after_recovery(
    state: State, token: str, stale_before: datetime, now: datetime
) -> Change | None:
    """A claim older than LOOKUP_DELAY whose sender never recorded its outcome (it died or
    froze): every request of it has reached Notify or never will, so look it up now."""
    if (
        not token
        or state.claim_token != token
        or state.attempt_started_at is None
        or state.attempt_started_at >= stale_before
        or state.status not in statuses.TO_SEND
    ):
        return None
    return Change(
        path=(statuses.RETRYING_SEND_TO_NOTIFY,),
        fields={
            **_CLEAR_CLAIM,
            "outcome_unknown": True,
            "next_action_at": now,
            "last_error": "The sender stopped during an attempt; outcome unknown",
        },
        note="An attempt was left unrecorded by a sender that stopped or froze; "
        "Notify will be asked before any resend",
        counter="recovered",
    )


def after_lookup(
    state: State,
    found: Mapping[str, Any] | None,
    answer: Answer,
    now: datetime,
    settings: conf.OutboxSettings,
) -> Change | None:
    """The answer to "does Notify have this email?" (asked by its reference)."""
    if state.status not in statuses.TO_SEND or not state.outcome_unknown or state.claim_token:
        return None
    looked = {"last_polled_at": now}
    if answer.outcome == ACCEPTED and isinstance(answer.data, Mapping):
        if found is not None:
            notify_id = _notify_id(found)
            assert notify_id is not None  # the matcher only returns items with an id
            change = _accepted(notify_id, now, settings, found, counter="adopted")
            return dataclasses.replace(
                change,
                fields={**change.fields, **looked},
                note="found at Notify; adopted",
            )
        # Notify has answered: it does not have the email. Now, and only now, it may be
        # resent (or given up on).
        if state.attempts >= settings.max_attempts or now - state.queued_at > timedelta(
            seconds=settings.max_age
        ):
            return _failed(
                f"Not at Notify, and out of attempts or time (last: {state.attempts} attempts)",
                looked,
            )
        return Change(
            fields={**looked, "outcome_unknown": False, "next_action_at": now, "last_error": ""},
            note="not at Notify; will resend",
            counter="not_found",
        )
    if answer.refused_service:
        return _paused({**looked, "next_action_at": now, "last_error": _cut(answer.error)}, answer)
    # The question itself failed: ask again later, never resend and never give up
    # without an answer.
    delay = max(backoff_delay(max(1, state.attempts), settings), settings.lookup_delay / 4)
    return Change(
        fields={
            **looked,
            "next_action_at": now + timedelta(seconds=delay),
            "last_error": _cut(f"Look-up failed, will ask again: {answer.error}"),
        },
        note=f"Look-up failed, will ask again: {answer.error}",
        counter="lookup_failed",
    )


def after_poll(
    state: State,
    item: Mapping[str, Any] | None,
    answer: Answer,
    now: datetime,
    settings: conf.OutboxSettings,
) -> Change | None:
    """Notify's status of an accepted email (``item``: its notification), from a poll."""
    if state.status not in statuses.TRACKED:
        return None
    polled = {"last_polled_at": now, "polls": state.polls + 1}
    if item is not None:
        return _apply_notification(state, item, now, settings, polled)
    if answer.refused_service:
        return _paused(
            {"next_action_at": now + timedelta(seconds=settings.auth_probe_interval)}, answer
        )
    age = now - (state.sent_to_notify_at or state.created_at)
    if (
        answer.outcome == REJECTED
        and answer.status_code == 404
        and age >= timedelta(seconds=settings.retention)
    ):
        return _stop_tracking(
            polled, "Notify no longer has this email (past its retention); tracking stopped"
        )
    error = (
        answer.error
        if answer.outcome != REJECTED or answer.status_code != 404
        else ("Notify has no such notification (404)")
    )
    return _reschedule(state, now, settings, {**polled, "last_error": _cut(error)})


def _next_poll(age: timedelta, settings: conf.OutboxSettings) -> float | None:
    """Seconds to the next poll; with delivery receipts on, polls are only the fallback
    for a receipt that has not come (RECEIPT_POLL_FALLBACK)."""
    interval = poll_interval(age, settings)
    if interval is not None and settings.receipts_enabled:
        return max(interval, settings.receipt_poll_fallback)
    return interval


def _reschedule(
    state: State, now: datetime, settings: conf.OutboxSettings, fields: Mapping[str, Any]
) -> Change:
    interval = _next_poll(now - (state.sent_to_notify_at or state.created_at), settings)
    if interval is None:
        return _stop_tracking(
            fields, "Tracking stopped: Notify reports no final status within its 72-hour limit"
        )
    return Change(fields={**fields, "next_action_at": now + timedelta(seconds=interval)})


def _stop_tracking(fields: Mapping[str, Any], why: str) -> Change:
    return Change(
        fields={**fields, "next_action_at": None, "tracking_stopped": True},
        note=why,
        counter="tracking_stopped",
    )


def _apply_notification(
    state: State,
    item: Mapping[str, Any],
    now: datetime,
    settings: conf.OutboxSettings,
    fields: Mapping[str, Any],
) -> Change:
    raw = str(item.get("status", ""))
    new = statuses.FROM_NOTIFY.get(raw)
    if new is None:
        change = _reschedule(state, now, settings, fields)
        return dataclasses.replace(change, note=f"Notify reported an unknown status {raw!r}")
    if new == state.status or not statuses.can_transition(state.status, new):
        # Nothing new, or older than what we know: never move backwards.
        return _reschedule(state, now, settings, {**fields, "notify_status": raw})
    values: dict[str, Any] = {**fields, "notify_status": raw, "last_error": ""}
    if new == statuses.NOTIFY_SENDING or statuses.is_final(new):
        sent_at = _datetime(item.get("sent_at"))
        if sent_at is not None or new == statuses.NOTIFY_SENDING:
            values["notify_sending_at"] = sent_at or now
    if statuses.is_final(new):
        values["completed_at"] = _datetime(item.get("completed_at")) or now
        values["next_action_at"] = None
        return Change(path=(new,), fields=values, counter="status_changes")
    change = _reschedule(state, now, settings, values)
    return dataclasses.replace(change, path=(new,), counter="status_changes")


def _accepted(
    notify_id: uuid.UUID,
    now: datetime,
    settings: conf.OutboxSettings,
    item: Any,
    *,
    counter: str,
) -> Change:
    """Notify holds the email as ``notify_id``; ``item`` may already carry a later status."""
    interval = _next_poll(timedelta(0), settings) or 0.0
    fields: dict[str, Any] = {
        **_CLEAR_CLAIM,
        "notify_id": notify_id,
        "outcome_unknown": False,
        "sent_to_notify_at": now,
        "next_action_at": now + timedelta(seconds=interval),
        "last_error": "",
    }
    path: tuple[str, ...] = (statuses.SENT_TO_NOTIFY,)
    raw = str(item.get("status", "")) if isinstance(item, Mapping) else ""
    later = statuses.FROM_NOTIFY.get(raw)
    if later is not None and statuses.can_transition(statuses.SENT_TO_NOTIFY, later):
        path += (later,)
        fields["notify_status"] = raw
        if statuses.is_final(later):
            fields["next_action_at"] = None
            fields["completed_at"] = _datetime(item.get("completed_at")) or now
        if later == statuses.NOTIFY_SENDING or statuses.is_final(later):
            fields["notify_sending_at"] = _datetime(item.get("sent_at")) or now
    return Change(path=path, fields=fields, counter=counter)


def after_receipt(
    state: State,
    item: Mapping[str, Any],
    now: datetime,
    settings: conf.OutboxSettings,
) -> Change | None:
    """A delivery-status callback from Notify (``item``: its body). Idempotent and safe
    out of order: a status is applied only when the state machine moves forward to it, so
    a final status is never left and an older update never overwrites a newer one. A
    receipt for an email whose last outcome is unknown proves Notify has it: adopted."""
    raw = str(item.get("status", ""))
    fields = {"last_receipt_at": now}
    if state.status in statuses.TRACKED:
        change = _apply_notification(state, item, now, settings, fields)
        return dataclasses.replace(change, note=f"Delivery receipt: {raw}")
    notify_id = _notify_id(item)
    if (
        state.status in statuses.TO_SEND
        and state.outcome_unknown
        and not state.claim_token
        and notify_id is not None
    ):
        change = _accepted(notify_id, now, settings, item, counter="adopted")
        return dataclasses.replace(
            change,
            fields={**change.fields, **fields},
            note=f"Delivery receipt: {raw}; the email was at Notify: adopted",
        )
    return Change(fields=fields, note=f"Delivery receipt: {raw} (no change: {state.status})")


def after_retry_now(state: State, now: datetime) -> Change | None:
    """ "Retry now" from the admin: attempts and the max-age window start again. An
    unknown outcome stays unknown, so Notify is still asked before any resend."""
    if state.status not in statuses.RETRYABLE or state.claim_token:
        return None
    return Change(
        path=(statuses.RETRYING_SEND_TO_NOTIFY,),
        fields={"attempts": 0, "queued_at": now, "next_action_at": now, "last_error": ""},
        counter="retried",
    )


def after_erasure(state: State) -> Change | None:
    """A right-to-erasure request for an email not yet sent: it is stopped."""
    if state.status not in statuses.TO_SEND:
        return None
    return _failed("Erased on request")


def after_refresh_request(state: State, now: datetime) -> Change | None:
    """ "Refresh status from Notify" from the admin: poll at the next run."""
    if state.status not in statuses.TRACKED or state.notify_id is None:
        return None
    return Change(fields={"next_action_at": now, "tracking_stopped": False}, counter="refreshed")


def _notify_id(data: Any) -> uuid.UUID | None:
    if not isinstance(data, Mapping):
        return None
    try:
        return uuid.UUID(str(data["id"]))
    except (KeyError, ValueError):
        return None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None
