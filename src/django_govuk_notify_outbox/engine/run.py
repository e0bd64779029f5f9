"""``sync()``: one bounded run of the engine.

Take the single-sender lease (kept alive by a heartbeat), settle abandoned
claims, then pick jobs in turn — look-ups, sends, polls, so none starves —
and pipeline them: while the HTTP thread performs one job, this thread
prepares the next and records the one before (docs/outbox.md).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from urllib.parse import urlencode

from django.db import connections, router

from .. import conf, observe
from ..client import NotificationsAPIClient, Result
from ..models import EmailEvent, EmailMessage, SyncLease
from . import lease
from .answers import interpret
from .clients import get_client, http_thread
from .clock import db_now, now_value
from .decide import ACCEPTED
from .jobs import Context, Job, LookupJob, PollJob, SendJob, recover
from .writer import Written

logger = logging.getLogger("django_govuk_notify_outbox")

# Jobs queued on the HTTP thread at once: one performing, one ready behind it.
PIPELINE_DEPTH = 2
# Seconds a job maker that found nothing rests while the others have work.
EMPTY_BACKOFF = 1.0


@dataclasses.dataclass
class SyncSummary:
    """What one ``sync()`` run did."""

    ran: bool = False
    reason: str = ""
    recovered: int = 0
    looked_up: int = 0
    adopted: int = 0
    not_found: int = 0
    lookup_failed: int = 0
    sent: int = 0
    accepted: int = 0
    deferred: int = 0
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

    def add(self, written: Written) -> None:
        for state_change in written.changes.values():
            counter = state_change[1].counter
            if counter and hasattr(self, counter) and counter != "ran":
                setattr(self, counter, getattr(self, counter) + 1)


def _using() -> str:
    return router.db_for_write(EmailMessage) or "default"


def is_due(using: str | None = None) -> bool:
    """The idle check: one indexed query."""
    alias = using or _using()
    return EmailMessage.objects.using(alias).filter(next_action_at__lte=now_value(alias)).exists()


@observe.sync_observed
def sync(*, client: NotificationsAPIClient | None = None) -> SyncSummary:
    """One bounded run of the outbox; returns what it did.

    Idle (nothing due): one indexed query, no HTTP. Another sender holding the
    lease: returns at once. ``client`` defaults to one built from the settings.
    """
    started = time.monotonic()
    using = _using()
    if not is_due(using):
        return SyncSummary(reason="nothing due")
    if connections[using].in_atomic_block:
        logger.warning(
            "outbox: sync() called inside a transaction; its write-ahead marks are not "
            "durable until that transaction commits. Call it outside transaction.atomic()."
        )
    settings = conf.get_settings()
    holder = lease.new_holder()
    if not lease.acquire(using, holder, settings):
        return SyncSummary(reason="another run holds the lease")
    try:
        with lease.Heartbeat(using, holder, settings) as heartbeat:
            run = _Run(using, client or get_client(settings), settings, heartbeat, started)
            run.execute()
            run.summary.duration = time.monotonic() - started
            return run.summary
    finally:
        lease.release(using, holder)


class _Run:
    def __init__(
        self,
        using: str,
        client: NotificationsAPIClient,
        settings: conf.OutboxSettings,
        heartbeat: lease.Heartbeat,
        started: float,
    ) -> None:
        self.using = using
        self.client = client
        self.settings = settings
        self.heartbeat = heartbeat
        self.summary = SyncSummary(ran=True)
        self.ends_at = started + settings.run_time_budget
        self.ctx = Context(using, settings, db_now(using))
        self.paused = False
        self.turn = 0
        # Per job maker (look-ups, sends, polls): not asked again before this time after
        # it found nothing, while the others have work. Their queries find few rows
        # among many due ones (a send backlog): asked every chunk they would dominate.
        self.empty_until = [0.0, 0.0, 0.0]

    def may_start(self) -> bool:
        return time.monotonic() < self.ends_at and not self.paused and self.heartbeat.beat()

    def execute(self) -> None:
        self._note(recover(self.ctx))
        state = SyncLease.objects.using(self.using).get(pk=SyncLease.SINGLETON_ID)
        if state.auth_paused and not self._probe(state):
            self.summary.auth_paused = True
            return
        pending: deque[tuple[Job, Future[list[Result] | Exception]]] = deque()  # oldest first
        executor = http_thread()
        try:
            while True:
                job = self._next_job(idle=not pending) if self.may_start() else None
                if job is not None:
                    self._hold(job)
                    pending.append((job, executor.submit(_perform, job, self.client)))
                if pending and (job is None or len(pending) >= PIPELINE_DEPTH):
                    done, future = pending[0]
                    follow = self._record(done, future)
                    pending.popleft()
                    if follow is not None and self.may_start():
                        self._hold(follow)
                        pending.append((follow, executor.submit(_perform, follow, self.client)))
                elif not pending:
                    return
        except BaseException as exc:
            # Interrupted (Ctrl-C, Celery's soft time limit) or broken: requests of the
            # pending sends may have left, so each is an unknown outcome, looked up after
            # LOOKUP_DELAY from its claim. Recorded now so the admin shows it; if even
            # that fails, the claims are settled the same way by the next run.
            logger.exception("outbox: the run was interrupted")
            for job, future in pending:
                future.cancel()
                if job.kind == "send":
                    try:
                        self._note(job.record(exc)[0])
                    except Exception:
                        logger.exception("outbox: could not record an interrupted chunk")
            raise

    # -- choosing work ------------------------------------------------------------------------

    def _next_job(self, *, idle: bool) -> Job | None:
        """Look-ups, sends and polls in turn, so none starves the others. ``idle``: no job
        is pending, so the makers resting after an empty answer are asked too (with a job
        pending, it is recorded first: they are asked once it is)."""
        limit = max(1, min(self.settings.batch_size, self.settings.max_in_flight))
        makers: list[Callable[[], Job | None]] = [
            lambda: LookupJob.select(self.ctx, limit),
            lambda: SendJob.claim(self.ctx),
            lambda: PollJob.select(self.ctx, limit),
        ]
        now = time.monotonic()
        skipped = []
        for offset in range(len(makers)):
            index = (self.turn + offset) % len(makers)
            if self.empty_until[index] > now:
                skipped.append(index)
                continue
            job = makers[index]()
            if job is not None:
                self.turn = index + 1
                return job
            self.empty_until[index] = now + EMPTY_BACKOFF
        if not idle:
            return None
        # Nothing else to do: ask the makers resting after an empty answer after all.
        for index in skipped:
            job = makers[index]()
            if job is not None:
                self.turn = index + 1
                return job
        return None

    def _hold(self, job: Job) -> None:
        if job.kind != "send":
            self.ctx.busy.update(job.pks)

    def _record(self, job: Job, future: Future[list[Result] | Exception]) -> Job | None:
        self.ctx.busy.difference_update(job.pks)
        # Raises only when this thread is interrupted while it waits.
        outcome = future.result()
        if isinstance(outcome, Exception):
            logger.error(
                "outbox: a %s job of %d emails failed", job.kind, job.size, exc_info=outcome
            )
        else:
            self.summary.http_requests += len(outcome)
        written, follow = job.record(outcome)
        observe.recorded(job, outcome, written)
        if isinstance(job, SendJob):
            job.pace()
            self.summary.sent += job.size
        else:
            answered = len(written.changes) + len(written.missed)
            counted = "looked_up" if job.kind == "lookup" else "polled"
            setattr(self.summary, counted, getattr(self.summary, counted) + answered)
        self._note(written)
        return follow

    def _note(self, written: Written) -> None:
        self.summary.add(written)
        text = written.pause
        if text and not self.paused:
            if lease.pause(self.using, text) and written.changes:
                EmailEvent.objects.using(self.using).create(
                    message_id=min(written.changes),
                    kind=EmailEvent.Kind.INFO,
                    detail=f"Sending paused: Notify refused the request ({text})",
                )
            self.paused = True
            self.summary.auth_paused = True

    # -- the auth pause -----------------------------------------------------------------------

    def _probe(self, state: SyncLease) -> bool:
        """While paused: True when Notify accepts the key again (checked at most every
        AUTH_PROBE_INTERVAL with a GET that sends nothing)."""
        now = db_now(self.using)
        if not lease.probe_due(state, now, self.settings):
            return False
        path = "/v2/notifications?" + urlencode({"reference": "outbox-auth-check"})
        (result,) = self.client.request_many([("GET", path, None)], iat=self.ctx.iat())
        self.summary.http_requests += 1
        answer = interpret(result, fixed_endpoint=True)
        if answer.outcome == ACCEPTED:
            lease.resume(self.using)
            return True
        if answer.refused_service:
            lease.pause(self.using, answer.error)
        else:
            lease.mark_probed(self.using, now)
        return False


def _perform(job: Job, client: NotificationsAPIClient) -> list[Result] | Exception:
    """On the HTTP thread: the job's HTTP, its failure returned rather than raised."""
    observe.performing(job)
    try:
        return job.perform(client)
    except Exception as exc:
        return exc


def due_count() -> int:
    """How many emails are due for the engine now (for the admin and commands)."""
    using = _using()
    return EmailMessage.objects.using(using).filter(next_action_at__lte=db_now(using)).count()
