"""Reading Notify's answers: what a result means (:class:`Answer`) and how it is
recorded as an event. No database writes here."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import _json, conf, redaction
from ..models import EmailEvent, one_line
from .decide import ACCEPTED, NOT_SENT, REJECTED, THROTTLED, Answer

if TYPE_CHECKING:
    from ..client import Result

AUTH_STATUSES = (401, 403)
DEADLINE_TEXT = "send-by deadline passed"


def parse_json(body: bytes) -> Any:
    """The parsed body, or None when it is not JSON (or nests too deeply to parse)."""
    try:
        return _json.loads(body)
    except ValueError:
        return None


def error_text(result: Result, data: Any) -> str:
    """One line describing a failed request: Notify's messages, else the HTTP or curl error."""
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


def interpret(result: Result, *, fixed_endpoint: bool) -> Answer:
    """What ``result`` means. ``fixed_endpoint``: the route always exists at Notify, so a
    404/405 means GOVUK_NOTIFY_BASE_URL is wrong rather than "no such email"."""
    outcome = str(result.outcome)
    data = parse_json(result.body) if result.body else None
    refused = outcome == REJECTED and (
        result.status_code in AUTH_STATUSES or (fixed_endpoint and result.status_code in (404, 405))
    )
    daily = outcome == THROTTLED and _daily_limit(data)
    missed = (
        outcome == NOT_SENT and result.status_code in (None, 0) and DEADLINE_TEXT in result.error
    )
    return Answer(
        outcome=outcome,
        status_code=result.status_code or None,
        error=error_text(result, data) if outcome != ACCEPTED else "",
        data=data,
        refused_service=refused,
        daily_limit=daily,
        deadline_missed=missed,
    )


# What the decisions read of a notification Notify returned (decide._notify_id,
# decide._accepted, decide.after_poll): no more is kept while an answer waits.
DECIDED_KEYS = ("id", "status", "sent_at", "completed_at")


def decided_part(item: Mapping[str, Any]) -> dict[str, Any]:
    """Of a notification, only what the decisions read."""
    return {k: item[k] for k in DECIDED_KEYS if k in item}


def for_decision(answer: Answer) -> Answer:
    """``answer`` with only what the decisions read of its body: a chunk's answers wait
    for their record, and Notify's whole notification (content, template, links) is
    about 1.4 KB in Python objects, most of a chunk's memory otherwise."""
    data = answer.data
    if data is None:
        return answer
    return dataclasses.replace(
        answer, data=decided_part(data) if isinstance(data, Mapping) else None
    )


def _daily_limit(data: Any) -> bool:
    """A 429 for Notify's daily message limit (TooManyRequestsError), not its rate limit."""
    errors = data.get("errors") if isinstance(data, dict) else None
    return isinstance(errors, list) and any(
        isinstance(e, dict) and e.get("error") == "TooManyRequestsError" for e in errors
    )


def body_text(body: bytes, settings: conf.OutboxSettings, parsed: Any = None) -> str:
    """A response body fit for an event: personalised fields hidden unless allowed, then
    cut (one rule whatever its length: :func:`redaction.response_text`). ``parsed``: the
    body as :func:`interpret` parsed it, if it did."""
    return redaction.response_text(
        body,
        show_personalisation=settings.show_personalisation_in_admin,
        limit=settings.event_body_limit,
        parsed=parsed,
    )


def request_text(payload: dict[str, Any], settings: conf.OutboxSettings) -> str:
    return redaction.request_text(
        payload,
        show_personalisation=settings.show_personalisation_in_admin,
        limit=settings.event_body_limit,
    )


def http_event(
    message_id: int,
    method: str,
    path: str,
    result: Result,
    answer: Answer,
    settings: conf.OutboxSettings,
    *,
    request_body: str = "",
    detail: str = "",
) -> EmailEvent:
    return EmailEvent.new(
        message_id=message_id,
        kind=EmailEvent.Kind.HTTP,
        method=method,
        path=path,
        http_status=result.status_code or None,
        outcome=str(result.outcome),
        duration=result.elapsed,
        request_body=request_body,
        response_body=body_text(result.body, settings, answer.data),
        detail=detail or (one_line(result.error) if result.error else ""),
    )
