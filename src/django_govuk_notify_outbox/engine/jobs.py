"""The engine's units of work. Each job is chosen and prepared with the database
(claim or select), performs its HTTP with no database access (on the HTTP
thread), then records every outcome through the one writer."""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime

from .. import conf, statuses
from ..client import Outcome, Result
from ..models import EmailEvent, EmailMessage
from . import bulk, clients, decide, writer
from .answers import decided_part, for_decision, http_event, interpret, request_text
from .clock import db_now
from .decide import ACCEPTED, UNKNOWN, Answer, State

if TYPE_CHECKING:
    from ..client import NotificationsAPIClient

logger = logging.getLogger("django_govuk_notify_outbox")

SEND_PATH = "/v2/notifications/email"
LIST_PAGE_SIZE = 250  # Notify's page size for GET /v2/notifications
LIST_WRITE_SIZE = 500  # emails a list poll writes per transaction
# A caller-given reference matches a notification created no earlier than this
# before the email's first attempt (docs/design.md §3).
LOOKUP_SLACK = timedelta(minutes=1)


class Context:
    """What every job of a run shares."""

    def __init__(self, using: str, settings: conf.OutboxSettings, run_started_at: datetime) -> None:
        self.using = using
        self.settings = settings
        self.run_started_at = run_started_at
        # The database's clock minus this host's: every JWT is signed with database
        # time, so a host whose own clock is off still passes Notify's iat check.
        self.clock_offset = run_started_at.timestamp() - time.time()
        # Emails in a look-up or poll job not yet recorded: not selected again meanwhile.
        self.busy: set[int] = set()
        # Emails claimed per send job: shrunk while sends are slowed (by the rate limit),
        # so a chunk takes about CHUNK_SECONDS and a high-priority email queued behind
        # it waits no longer than that (see SendJob.pace).
        full = send_chunk_size(settings)
        self.send_chunk = min(full, clients.remembered_pace(settings) or full)

    def iat(self) -> int:
        """Now by the database's clock, for a request's JWT."""
        return int(time.time() + self.clock_offset)

    @property
    def messages(self) -> Any:
        return EmailMessage.objects.using(self.using)


class Job:
    """One chunk of work: ``perform`` (HTTP only) then ``record`` (database only)."""

    kind = ""

    def perform(self, client: NotificationsAPIClient) -> list[Result]:
        raise NotImplementedError

    def record(
        self, results: Sequence[Result] | BaseException
    ) -> tuple[writer.Written, Job | None]:
        """Write the outcomes; may return a follow-up job."""
        raise NotImplementedError

    rows: list[dict[str, Any]]

    @property
    def size(self) -> int:
        return len(self.rows)

    @property
    def pks(self) -> list[int]:
        return [r["pk"] for r in self.rows]


# --- sending ---------------------------------------------------------------------------------


def _payload(row: Mapping[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "email_address": row["email_address"],
        "template_id": str(row["template_id"]),
        "reference": row["sent_reference"],
    }
    if row["personalisation"]:
        payload["personalisation"] = row["personalisation"]
    if row["email_reply_to_id"]:
        payload["email_reply_to_id"] = str(row["email_reply_to_id"])
    if row["one_click_unsubscribe_url"]:
        payload["one_click_unsubscribe_url"] = row["one_click_unsubscribe_url"]
    if row["sanitise_content_for"]:
        payload["sanitise_content_for"] = row["sanitise_content_for"]
    return payload


_PAYLOAD_FIELDS = (
    "pk",
    "email_address",
    "template_id",
    "sent_reference",
    "personalisation",
    "email_reply_to_id",
    "one_click_unsubscribe_url",
    "sanitise_content_for",
)


# How long a send job should last at most while sends are slowed: a high-priority email
# queued meanwhile is claimed within about two of them (one performing, one behind it).
CHUNK_SECONDS = 0.8


def send_chunk_size(settings: conf.OutboxSettings) -> int:
    """Emails claimed at once: a batch, but no more than the rate limit lets start within
    one SEND_WINDOW when the bucket is empty (the rest would miss their send-by time)."""
    size = settings.batch_size
    if settings.rate_limit_per_minute:
        size = min(size, max(1, int(settings.rate_limit_per_minute / 60 * settings.send_window)))
    return max(1, size)


class SendJob(Job):
    """Claim due emails (write-ahead, database clock), POST them, record the outcomes."""

    kind = "send"

    def __init__(
        self,
        ctx: Context,
        token: str,
        claimed_at: datetime,
        not_after: float,
        rows: list[dict[str, Any]],
    ) -> None:
        self.ctx = ctx
        self.token = token
        self.claimed_at = claimed_at
        self.not_after = not_after
        self.rows = rows
        self.payloads = [_payload(r) for r in rows]

    @classmethod
    def claim(cls, ctx: Context) -> SendJob | None:
        settings = ctx.settings
        local_start = time.monotonic()  # before the database reads its clock: conservative
        now = db_now(ctx.using)
        due = ctx.messages.filter(
            status__in=statuses.TO_SEND,
            outcome_unknown=False,
            claim_token="",
            next_action_at__lte=now,
        ).filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=ctx.run_started_at))
        budget = clients.send_budget(settings)
        size = min(ctx.send_chunk, budget.claimable(CHUNK_SECONDS) or ctx.send_chunk)
        candidates = [
            (row["pk"], row["queued_at"])
            for row in bulk.read_values(
                due.order_by("priority", "next_action_at"), ("pk", "queued_at"), size
            )
        ]
        if not candidates:
            return None
        too_old = now - timedelta(seconds=settings.max_age)
        expired = [pk for pk, queued in candidates if queued < too_old]
        if expired:
            writer.apply(
                ctx.using,
                expired,
                lambda s: _expired(s, too_old, settings),
                now,
                events=writer.status_events,
            )
        ready = [pk for pk, queued in candidates if queued >= too_old]
        if not ready:
            return cls(ctx, "", now, local_start, [])
        token = uuid.uuid4().hex
        ctx.messages.filter(
            bulk.pk_in(ready),
            status__in=statuses.TO_SEND,
            outcome_unknown=False,
            claim_token="",
        ).update(
            claim_token=token,
            attempt_started_at=now,
            send_by=now + timedelta(seconds=settings.send_window),
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            first_attempt_at=Coalesce(F("first_attempt_at"), now),
            next_action_at=now + timedelta(seconds=settings.lookup_delay),
            updated_at=now,
        )
        # By primary key (claim_token has no index: a scan of the whole table otherwise).
        rows = list(
            ctx.messages.filter(bulk.pk_in(ready), claim_token=token)
            .order_by("pk")
            .values(*_PAYLOAD_FIELDS)
        )
        budget.spend(len(rows))
        return cls(ctx, token, now, local_start + settings.send_window, rows)

    def perform(self, client: NotificationsAPIClient) -> list[Result]:
        if not self.payloads:
            return []
        started = time.monotonic()
        # Signed with the claim's time: Notify itself refuses any of these requests
        # that reaches it more than TOKEN_WINDOW after the claim.
        results = client.send_email_notifications(
            self.payloads, iat=int(self.claimed_at.timestamp()), not_after=self.not_after
        )
        self.elapsed = time.monotonic() - started
        # Still on the HTTP thread, which is otherwise idle: what needs no database (the
        # answers, the exchanges' events), so the recording thread has less to do. A
        # failure here is left for record() to meet again: the requests were made.
        try:
            digest = self._digest(results)
        except Exception:
            self.digested = None
            return results
        # Each body is in its event now, redacted: not kept while the chunk waits.
        results = [Result(r.outcome, r.status_code, b"", r.error, r.elapsed) for r in results]
        self.digested = (results, digest)
        return results

    elapsed = 0.0
    digested: tuple[Sequence[Result], dict[int, tuple[Answer, EmailEvent]]] | None = None

    def _digest(
        self, results: Sequence[Result] | BaseException
    ) -> dict[int, tuple[Answer, EmailEvent]]:
        """Each email's answer and the event of its exchange (not yet its status)."""
        settings = self.ctx.settings
        if isinstance(results, BaseException):
            answer = Answer(
                outcome=UNKNOWN,
                status_code=None,
                error=f"{type(results).__name__} while sending",
                data=None,
            )
            return {
                r["pk"]: (answer, EmailEvent.for_exception(r["pk"], results, "while sending"))
                for r in self.rows
            }
        digest = {}
        for row, payload, result in zip(self.rows, self.payloads, results, strict=True):
            pk = row["pk"]
            answer = interpret(result, fixed_endpoint=True)
            event = http_event(
                pk,
                "POST",
                SEND_PATH,
                result,
                answer,
                settings,
                request_body=request_text(payload, settings),
            )
            digest[pk] = (for_decision(answer), event)
        return digest

    def pace(self) -> None:
        """After this job: size the next claims so a job lasts about CHUNK_SECONDS while
        sends are slow, and grow back to a whole batch when they are fast again."""
        ctx = self.ctx
        full = send_chunk_size(ctx.settings)
        if self.elapsed > CHUNK_SECONDS and self.rows:
            ctx.send_chunk = max(1, min(full, int(len(self.rows) * CHUNK_SECONDS / self.elapsed)))
        elif len(self.rows) >= ctx.send_chunk:
            ctx.send_chunk = min(full, ctx.send_chunk * 2)
        clients.remember_pace(ctx.settings, ctx.send_chunk)

    def record(
        self, results: Sequence[Result] | BaseException
    ) -> tuple[writer.Written, Job | None]:
        ctx = self.ctx
        now = db_now(ctx.using)
        digested = self.digested
        if digested is not None and digested[0] is results:
            digest = digested[1]
        else:  # interrupted, or performed elsewhere
            digest = self._digest(results)

        def events(pk: int, state: State, change: decide.Change | None) -> list[EmailEvent]:
            event = digest[pk][1]
            if change is None:
                event.detail = (
                    f"{event.detail + ': ' if event.detail else ''}arrived after the claim "
                    "was settled by another sender; not recorded"
                )
                return [event]
            return [writer.mark_status(event, state, change)]

        written = writer.apply(
            ctx.using,
            digest,
            lambda s: decide.after_send(s, self.token, digest[s.pk][0], now, ctx.settings),
            now,
            events=events,
        )
        return written, None


def _expired(
    state: State, too_old: datetime, settings: conf.OutboxSettings
) -> decide.Change | None:
    if state.status not in statuses.TO_SEND or state.claim_token or state.outcome_unknown:
        return None
    if state.queued_at >= too_old:
        return None
    return decide.Change(
        path=(statuses.FAILED_SEND_TO_NOTIFY,),
        fields={"last_error": f"Gave up: not accepted by Notify within {settings.max_age:g}s"},
        note=f"Gave up: not accepted by Notify within {settings.max_age:g}s",
        counter="failed",
    )


# --- recovering abandoned claims -------------------------------------------------------------


def recover(ctx: Context) -> writer.Written:
    """Claims older than LOOKUP_DELAY were abandoned (the sender died or froze): every
    request of theirs has reached Notify or never will, so each becomes an unknown
    outcome to look up now. Returns what was written."""
    now = db_now(ctx.using)
    stale_before = now - timedelta(seconds=ctx.settings.lookup_delay)
    stale = dict(
        ctx.messages.filter(attempt_started_at__lt=stale_before)
        .exclude(claim_token="")
        .values_list("pk", "claim_token")[: ctx.settings.batch_size * 10]
    )
    return writer.apply(
        ctx.using,
        stale,
        lambda s: decide.after_recovery(s, stale[s.pk], stale_before, now),
        now,
        events=writer.status_events,
    )


# --- look-ups --------------------------------------------------------------------------------


class _GetJob(Job):
    """A job of one GET per email (``paths``, in ``rows`` order)."""

    ctx: Context
    paths: list[str]

    def perform(self, client: NotificationsAPIClient) -> list[Result]:
        return client.request_many([("GET", path, None) for path in self.paths], iat=self.ctx.iat())


class LookupJob(_GetJob):
    """Ask Notify, by reference, about emails whose last attempt has an unknown outcome."""

    kind = "lookup"

    def __init__(self, ctx: Context, rows: list[dict[str, Any]]) -> None:
        self.ctx = ctx
        self.rows = rows
        self.paths = [
            "/v2/notifications?reference=" + quote(r["sent_reference"], safe="") for r in rows
        ]

    @classmethod
    def select(cls, ctx: Context, limit: int) -> LookupJob | None:
        now = db_now(ctx.using)
        rows = list(
            ctx.messages.filter(
                outcome_unknown=True,
                claim_token="",
                status__in=statuses.TO_SEND,
                next_action_at__lte=now,
            )
            .filter(Q(last_polled_at__isnull=True) | Q(last_polled_at__lt=ctx.run_started_at))
            .exclude(pk__in=ctx.busy)
            .order_by("next_action_at")
            .values(
                "pk",
                "sent_reference",
                "reference_is_ours",
                "email_address",
                "template_id",
                "first_attempt_at",
                "created_at",
            )[:limit]
        )
        return cls(ctx, rows) if rows else None

    def record(
        self, results: Sequence[Result] | BaseException
    ) -> tuple[writer.Written, Job | None]:
        ctx = self.ctx
        now = db_now(ctx.using)
        answers = _answers(self.rows, self.paths, results, fixed_endpoint=True)
        found = self._matches(answers)

        def events(pk: int, state: State, change: decide.Change | None) -> list[EmailEvent]:
            path, result, answer = answers[pk]
            event = http_event(pk, "GET", path, result, answer, ctx.settings, detail="look-up")
            return [writer.mark_status(event, state, change)]

        written = writer.apply(
            ctx.using,
            answers,
            lambda s: decide.after_lookup(s, found.get(s.pk), answers[s.pk][2], now, ctx.settings),
            now,
            events=events,
        )
        return written, None

    def _matches(
        self, answers: Mapping[int, tuple[str, Result, Answer]]
    ) -> dict[int, Mapping[str, Any]]:
        """The notification each email is, if Notify has it (the oldest match that no
        other email has adopted)."""
        candidates: dict[int, list[Mapping[str, Any]]] = {}
        for row in self.rows:
            answer = answers[row["pk"]][2]
            if answer.outcome != ACCEPTED or not isinstance(answer.data, Mapping):
                continue
            items = answer.data.get("notifications")
            if isinstance(items, list):
                candidates[row["pk"]] = [i for i in items if _matches(row, i)]
        ids = {str(i.get("id")) for items in candidates.values() for i in items}
        owned = {
            str(n): pk
            for pk, n in self.ctx.messages.filter(notify_id__in=_uuids(ids)).values_list(
                "pk", "notify_id"
            )
        }
        found: dict[int, Mapping[str, Any]] = {}
        for pk, items in candidates.items():
            for item in reversed(items):  # newest first from Notify: adopt the oldest
                if owned.get(str(item.get("id")), pk) == pk:
                    found[pk] = item
                    break
        return found


def _answers(
    rows: Sequence[Mapping[str, Any]],
    paths: Sequence[str],
    results: Sequence[Result] | BaseException,
    *,
    fixed_endpoint: bool,
) -> dict[int, tuple[str, Result, Answer]]:
    """Each email's request, result and its meaning; a job whose HTTP failed as a whole
    gives every email an unknown answer with the exception's name."""
    if isinstance(results, BaseException):
        failed = Result(
            Outcome.UNKNOWN, None, b"", f"{type(results).__name__}: {results}"[:200], 0.0
        )
        results = [failed] * len(rows)
    return {
        r["pk"]: (path, result, interpret(result, fixed_endpoint=fixed_endpoint))
        for r, path, result in zip(rows, paths, results, strict=True)
    }


def _uuids(texts: set[str]) -> list[uuid.UUID]:
    out = []
    for text in texts:
        try:
            out.append(uuid.UUID(text))
        except ValueError:
            continue
    return out


def _matches(row: Mapping[str, Any], item: Any) -> bool:
    if not isinstance(item, Mapping) or item.get("reference") != row["sent_reference"]:
        return False
    try:
        uuid.UUID(str(item.get("id")))
    except ValueError:
        return False
    if row["reference_is_ours"]:
        return True
    since = (row["first_attempt_at"] or row["created_at"]) - LOOKUP_SLACK
    created = parse_datetime(str(item.get("created_at", "")))
    address = str(item.get("email_address", "")).strip().lower()
    template = (
        (item.get("template") or {}).get("id", "")
        if isinstance(item.get("template"), Mapping)
        else ""
    )
    return (
        address == str(row["email_address"]).lower()
        and str(template) == str(row["template_id"])
        and created is not None
        and created >= since
    )


# --- polls -----------------------------------------------------------------------------------


class PollJob(_GetJob):
    """GET the status of accepted emails, one request each."""

    kind = "poll"

    def __init__(self, ctx: Context, rows: list[dict[str, Any]]) -> None:
        self.ctx = ctx
        self.rows = rows
        self.paths = [f"/v2/notifications/{r['notify_id']}" for r in rows]

    @classmethod
    def select(cls, ctx: Context, limit: int) -> Job | None:
        now = db_now(ctx.using)
        settings = ctx.settings
        due = _due_polls(ctx, now)
        rows = bulk.read_values(
            due.order_by("next_action_at"), _POLL_FIELDS, settings.list_poll_threshold
        )
        if not rows:
            return None
        if len(rows) >= settings.list_poll_threshold:
            return ListPollJob.select(ctx, due)
        return cls(ctx, rows[:limit])

    def record(
        self, results: Sequence[Result] | BaseException
    ) -> tuple[writer.Written, Job | None]:
        ctx = self.ctx
        now = db_now(ctx.using)
        answers = _answers(self.rows, self.paths, results, fixed_endpoint=False)

        def item(pk: int) -> Mapping[str, Any] | None:
            answer = answers[pk][2]
            if answer.outcome == ACCEPTED and isinstance(answer.data, Mapping):
                return answer.data
            return None

        def events(pk: int, state: State, change: decide.Change | None) -> list[EmailEvent]:
            path, result, answer = answers[pk]
            event = http_event(pk, "GET", path, result, answer, ctx.settings, detail="poll")
            return [writer.mark_status(event, state, change)]

        written = writer.apply(
            ctx.using,
            answers,
            lambda s: decide.after_poll(s, item(s.pk), answers[s.pk][2], now, ctx.settings),
            now,
            events=events,
        )
        return written, None


def _due_polls(ctx: Context, now: datetime) -> Any:
    return (
        ctx.messages.filter(
            status__in=statuses.TRACKED, next_action_at__lte=now, notify_id__isnull=False
        )
        .filter(Q(last_polled_at__isnull=True) | Q(last_polled_at__lt=ctx.run_started_at))
        .exclude(pk__in=ctx.busy)
    )


_POLL_FIELDS = ("pk", "notify_id", "sent_to_notify_at", "created_at")


class ListPollJob(Job):
    """Page through GET /v2/notifications (250 a page, newest first) for many due emails
    at once; the due emails not seen are polled one by one afterwards.

    The oldest due emails come first: the job takes the due emails in order of creation
    from the oldest, as many as the pages can cover, and starts paging just above the
    newest of them (``older_than`` = the next email of ours Notify accepted), not at the
    newest end of Notify's list."""

    kind = "poll"

    def __init__(self, ctx: Context, rows: list[dict[str, Any]], start_after: str = "") -> None:
        self.ctx = ctx
        self.rows = rows
        self.start_after = start_after
        # Filled by perform() on the HTTP thread, read by record() after it.
        self.seen: dict[str, Mapping[str, Any]] = {}
        self.failures: list[Answer] = []

    @classmethod
    def select(cls, ctx: Context, due: Any) -> ListPollJob | None:
        covered = ctx.settings.list_poll_max_pages * LIST_PAGE_SIZE
        rows = bulk.read_values(due.order_by("created_at"), _POLL_FIELDS, covered)
        if not rows:
            return None
        ours = ctx.messages.filter(notify_id__isnull=False)
        # The emails of ours Notify lists between the oldest due one and the top of the
        # window: at most as many as the pages hold.
        top = (
            ours.filter(created_at__gte=rows[0]["created_at"])
            .order_by("created_at")
            .values_list("created_at", flat=True)[covered - 1 : covered]
        )
        if top:
            rows = [r for r in rows if r["created_at"] <= top[0]]
        # The cursor: an email accepted in a later chunk than every due one (so Notify
        # created it after them: a chunk's requests start once the one before has
        # finished), the first such by creation (the created_at index).
        newest = rows[-1]["created_at"]
        accepted = max(
            (r["sent_to_notify_at"] for r in rows if r["sent_to_notify_at"]), default=None
        )
        later = ours.filter(created_at__gt=newest)
        if accepted is not None:
            later = later.filter(sent_to_notify_at__gt=accepted)
        after = later.order_by("created_at").values_list("notify_id")[:1]
        return cls(ctx, rows, str(after[0][0]) if after else "")

    def perform(self, client: NotificationsAPIClient) -> list[Result]:
        wanted = {str(r["notify_id"]) for r in self.rows}
        oldest = min((r["sent_to_notify_at"] or r["created_at"]) for r in self.rows) - LOOKUP_SLACK
        older_than = self.start_after
        results: list[Result] = []
        for _ in range(self.ctx.settings.list_poll_max_pages):
            query = {"template_type": "email"}
            if older_than:
                query["older_than"] = older_than
            (result,) = client.request_many(
                [("GET", "/v2/notifications?" + urlencode(query), None)], iat=self.ctx.iat()
            )
            answer = interpret(result, fixed_endpoint=True)
            # Only what record() needs is kept: the page's bytes and the notifications
            # of other emails are dropped here, so memory stays flat at volume.
            results.append(dataclasses.replace(result, body=b""))
            if answer.outcome != ACCEPTED or not isinstance(answer.data, Mapping):
                self.failures.append(dataclasses.replace(answer, data=None))
                break
            items = [i for i in answer.data.get("notifications") or [] if isinstance(i, Mapping)]
            for item in items:
                key = str(item.get("id"))
                if key in wanted:
                    # What decide.after_poll reads of a notification, no more.
                    self.seen[key] = decided_part(item)
                    wanted.discard(key)
            if not items or not wanted:
                break
            created = parse_datetime(str(items[-1].get("created_at", "")))
            if created is None or created < oldest:
                break
            older_than = str(items[-1].get("id", ""))
        return results

    def record(
        self, results: Sequence[Result] | BaseException
    ) -> tuple[writer.Written, Job | None]:
        ctx = self.ctx
        if isinstance(results, BaseException):
            self.seen.clear()  # nothing learnt: the emails stay due for the next run
        now = db_now(ctx.using)
        refused: Answer | None = None
        for answer in self.failures:
            logger.warning("outbox: listing notifications failed: %s", answer.error)
            if answer.refused_service:
                refused = answer
        seen = self.seen
        by_pk = {r["pk"]: seen.get(str(r["notify_id"])) for r in self.rows}
        matched = [pk for pk, i in by_pk.items() if i is not None]
        ok = Answer(outcome=ACCEPTED, status_code=200, error="", data=None)
        written = writer.Written()
        # A few thousand emails: written a part at a time, so memory stays flat.
        for start in range(0, len(matched), LIST_WRITE_SIZE):
            part = writer.apply(
                ctx.using,
                matched[start : start + LIST_WRITE_SIZE],
                lambda s: decide.after_poll(s, by_pk[s.pk], ok, now, ctx.settings),
                now,
                events=writer.status_events,
            )
            written.changes.update(part.changes)
            written.missed.extend(part.missed)
        if refused is not None:
            written.refused = refused.error
            return written, None
        rest = [r for r in self.rows if by_pk[r["pk"]] is None]
        limit = max(1, ctx.settings.max_in_flight)
        return written, (PollJob(ctx, rest[: limit * 4]) if rest else None)
