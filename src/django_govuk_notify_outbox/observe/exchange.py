"""The Notify requests of a recorded job, one :class:`Exchange` each: what every
observer (metrics, rollup, spans, logs) reads. Nothing secret: no key, JWT, body or
personalisation, only ids, the route template and the outcome."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..client import Result
    from .protocols import JobLike as Job
    from .protocols import WrittenLike as Written

# (method, route template) of each kind of request the engine makes.
ROUTES: dict[str, tuple[str, str]] = {
    "send": ("POST", "/v2/notifications/email"),
    "lookup": ("GET", "/v2/notifications"),
    "poll": ("GET", "/v2/notifications/{notification_id}"),
    "list": ("GET", "/v2/notifications"),
}


@dataclasses.dataclass(frozen=True)
class Exchange:
    """One Notify request of a job."""

    request: str  # send, lookup, poll or list
    method: str
    route: str
    outcome: str  # accepted, rejected, throttled, not_sent or unknown
    http_status: int | None
    duration: float  # seconds
    email_id: int | None  # None for a list page
    notify_id: str  # "" when not known
    status: str  # the status the email entered because of it, "" when none
    error: str  # the transport error, "" when none


def request_name(job: Job) -> str:
    return "list" if type(job).__name__ == "ListPollJob" else job.kind


def exchanges(job: Job, outcome: Sequence[Result] | BaseException, done: Written) -> list[Exchange]:
    """The requests of ``job`` with what each caused; a job whose HTTP failed as a whole
    counts as one unknown request per email."""
    name = request_name(job)
    method, route = ROUTES.get(name, ("GET", ""))
    rows: list[dict[str, Any]] = list(getattr(job, "rows", []))
    if isinstance(outcome, BaseException):
        return [
            Exchange(
                name,
                method,
                route,
                "unknown",
                None,
                0.0,
                row.get("pk"),
                "",
                _entered(done, row.get("pk")),
                type(outcome).__name__,
            )
            for row in rows
        ]
    if name == "list":
        return [
            Exchange(
                name,
                method,
                route,
                str(r.outcome),
                r.status_code or None,
                r.elapsed,
                None,
                "",
                "",
                r.error,
            )
            for r in outcome
        ]
    out = []
    for row, result in zip(rows, outcome, strict=False):
        pk = row.get("pk")
        out.append(
            Exchange(
                request=name,
                method=method,
                route=route,
                outcome=str(result.outcome),
                http_status=result.status_code or None,
                duration=result.elapsed,
                email_id=pk,
                notify_id=_notify_id(done, pk, row),
                status=_entered(done, pk),
                error=result.error,
            )
        )
    return out


def _entered(done: Written, pk: Any) -> str:
    found = done.changes.get(pk) if isinstance(pk, int) else None
    if found is None:
        return ""
    state, change = found
    status = change.status
    return status if status is not None and status != state.status else ""


def _notify_id(done: Written, pk: Any, row: dict[str, Any]) -> str:
    found = done.changes.get(pk) if isinstance(pk, int) else None
    value: Any = None
    if found is not None:
        value = found[1].fields.get("notify_id") or found[0].notify_id
    value = value or row.get("notify_id")
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value) if value else ""
