"""The single-sender lease and the auth pause, both on the one SyncLease row.

One sender at a time keeps the client-side rate limit coherent. The lease is
short (LEASE_SECONDS, 3 s by default) and kept alive by a heartbeat thread
while a run works, so a sender that dies or freezes is replaced within
seconds. Taking over from a frozen sender is safe: its claimed emails keep
their claim until no request of theirs can still reach Notify
(docs/outbox.md). Times are the database's.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, connections, transaction
from django.db.models import Q

from .. import conf
from ..models import SyncLease
from .clock import db_now

logger = logging.getLogger("django_govuk_notify_outbox")


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(using: str, holder: str, settings: conf.OutboxSettings) -> bool:
    """True when ``holder`` took the lease (a conditional UPDATE on the single row)."""
    now = db_now(using)
    values = {
        "holder": holder,
        "acquired_at": now,
        "expires_at": now + timedelta(seconds=settings.lease_seconds),
    }
    free = Q(expires_at__isnull=True) | Q(expires_at__lt=now)
    manager = SyncLease.objects.using(using)
    if manager.filter(free, pk=SyncLease.SINGLETON_ID).update(**values):
        return True
    if manager.filter(pk=SyncLease.SINGLETON_ID).exists():
        return False
    try:
        with transaction.atomic(using=using):
            manager.create(pk=SyncLease.SINGLETON_ID)
    except IntegrityError:
        pass
    return bool(manager.filter(free, pk=SyncLease.SINGLETON_ID).update(**values))


def renew(using: str, holder: str, settings: conf.OutboxSettings) -> bool:
    """True while ``holder`` still holds the lease; extends it by LEASE_SECONDS."""
    expires = db_now(using) + timedelta(seconds=settings.lease_seconds)
    return bool(
        SyncLease.objects.using(using)
        .filter(pk=SyncLease.SINGLETON_ID, holder=holder)
        .update(expires_at=expires)
    )


def release(using: str, holder: str) -> None:
    now = db_now(using)
    SyncLease.objects.using(using).filter(pk=SyncLease.SINGLETON_ID, holder=holder).update(
        holder="", expires_at=now, last_run_at=now
    )


class Heartbeat:
    """Renews the lease every LEASE_SECONDS / 3 from its own thread (and its own database
    connection) while the run works; ``lost`` is set when a renewal fails.

    Inside a transaction (sync() called within atomic(), as some tests do) a second
    connection could not see or update the row, so the run renews it itself between
    chunks instead (:meth:`beat`)."""

    def __init__(self, using: str, holder: str, settings: conf.OutboxSettings) -> None:
        self.using = using
        self.holder = holder
        self.settings = settings
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._inline = connections[using].in_atomic_block

    def __enter__(self) -> Heartbeat:
        if not self._inline:
            self._thread = threading.Thread(
                target=self._loop, name="notify-outbox-lease", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def beat(self) -> bool:
        """Between chunks: renew from the run's own connection when there is no thread.
        Returns False once the lease is lost."""
        if self._inline and not self.lost.is_set() and not self._renew():
            self.lost.set()
        return not self.lost.is_set()

    def _renew(self) -> bool:
        try:
            ok = renew(self.using, self.holder, self.settings)
        except Exception:
            logger.warning("outbox: could not renew the sync lease", exc_info=True)
            ok = False
        if not ok:
            logger.error("outbox: lost the sync lease; this run starts no more work")
        return ok

    def _loop(self) -> None:
        interval = max(0.05, self.settings.lease_seconds / 3)
        try:
            while not self._stop.wait(interval):
                if not self._renew():
                    self.lost.set()
                    return
        finally:
            connections.close_all()


# --- the auth pause --------------------------------------------------------------------------


def pause(using: str, text: str) -> bool:
    """Pause sending because Notify refused the service (key or URL). True when this call
    started the pause (it was not paused already)."""
    now = db_now(using)
    manager = SyncLease.objects.using(using)
    started = bool(
        manager.filter(pk=SyncLease.SINGLETON_ID, auth_paused=False).update(
            auth_paused=True, auth_paused_since=now, auth_paused_message=text, auth_checked_at=now
        )
    )
    if not started:
        manager.filter(pk=SyncLease.SINGLETON_ID).update(
            auth_paused_message=text, auth_checked_at=now
        )
    logger.error(
        "outbox: GOV.UK Notify refused the outbox's requests (%s). Sending is paused; every "
        "email stays queued without spending its attempts until a later run succeeds. "
        "Check GOVUK_NOTIFY_API_KEY and GOVUK_NOTIFY_BASE_URL.",
        text,
        extra={"notify_outcome": "rejected"},
    )
    return started


def resume(using: str) -> None:
    if (
        SyncLease.objects.using(using)
        .filter(pk=SyncLease.SINGLETON_ID, auth_paused=True)
        .update(auth_paused=False, auth_paused_message="", auth_checked_at=db_now(using))
    ):
        logger.warning("outbox: GOV.UK Notify accepts the API key again; sending resumed")


def probe_due(lease: SyncLease, now: datetime, settings: conf.OutboxSettings) -> bool:
    return lease.auth_checked_at is None or now >= lease.auth_checked_at + timedelta(
        seconds=settings.auth_probe_interval
    )


def mark_probed(using: str, now: datetime) -> None:
    SyncLease.objects.using(using).filter(pk=SyncLease.SINGLETON_ID).update(auth_checked_at=now)
