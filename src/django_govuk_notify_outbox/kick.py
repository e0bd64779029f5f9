"""The on-commit kick: queue the Celery sync task once a transaction that stored
email commits, so it leaves within about a second instead of at the next Beat
tick. Coalesced: one kick per transaction, and at most one per process in
flight at a time."""

from __future__ import annotations

import logging
import threading
import time

from django.db import connections, router, transaction

from . import conf

logger = logging.getLogger("django_govuk_notify_outbox")

SYNC_TASK = "django_govuk_notify_outbox.tasks.sync"

# Kicks closer together than this are merged: the later one is queued with a
# countdown to the end of the window, and any more within it are dropped (the
# deferred task will find their emails).
COALESCE_SECONDS = 0.5

# After a run that sent or polled, a follow-up task is queued for the next email due
# within this many seconds (its first poll, 3 s after acceptance by default), so
# Notify's answer shows without waiting for Beat; later ones are Beat's.
FOLLOW_UP_HORIZON = 10.0

_lock = threading.Lock()
_last_kick = -COALESCE_SECONDS
_deferred_until = 0.0
_follow_up_at = 0.0


def _kick() -> None:
    """Queue the Celery sync task; never raises (the email is safely stored anyway)."""
    global _last_kick, _deferred_until
    with _lock:
        now = time.monotonic()
        if _deferred_until > now:
            return
        countdown = _last_kick + COALESCE_SECONDS - now
        if countdown > 0:
            _deferred_until = _last_kick = now + countdown
        else:
            _last_kick, countdown = now, 0.0
    try:
        # By name, through the project's Celery app: this module never imports the
        # tasks (which import the engine, which imports this module).
        from celery import current_app

        current_app.send_task(SYNC_TASK, retry=False, countdown=countdown or None)
    except Exception:
        logger.warning(
            "outbox: could not kick the sync task; the scheduled sync will send the email",
            exc_info=True,
        )


def reset() -> None:
    """Forget earlier kicks, so the next one is queued at once (for test suites)."""
    global _last_kick, _deferred_until, _follow_up_at
    with _lock:
        _last_kick, _deferred_until, _follow_up_at = -COALESCE_SECONDS, 0.0, 0.0


def follow_up() -> None:
    """After a run that sent or polled (from the Celery task): queue one more run for
    when the next email falls due, if that is within FOLLOW_UP_HORIZON; never raises."""
    global _follow_up_at
    if not enabled():
        return
    try:
        from .engine.clock import db_now
        from .models import EmailMessage

        using = router.db_for_write(EmailMessage) or "default"
        upcoming = (
            EmailMessage.objects.using(using)
            .filter(next_action_at__isnull=False)
            .order_by("next_action_at")
            .values_list("next_action_at", flat=True)
            .first()
        )
        if upcoming is None:
            return
        countdown = max(COALESCE_SECONDS, (upcoming - db_now(using)).total_seconds())
        if countdown > FOLLOW_UP_HORIZON:
            return
        with _lock:
            at = time.monotonic() + countdown
            if time.monotonic() < _follow_up_at <= at + COALESCE_SECONDS:
                return  # one is queued for then already
            _follow_up_at = at
        from celery import current_app

        current_app.send_task(SYNC_TASK, retry=False, countdown=countdown)
    except Exception:
        logger.warning("outbox: could not queue the follow-up sync task", exc_info=True)


def enabled() -> bool:
    """Whether to kick Celery; False (logged) when the settings are broken: storing the
    email must not fail because of them (``manage.py check`` reports them)."""
    try:
        return conf.get_settings().kick_enabled
    except Exception as exc:
        logger.warning(
            "outbox: the outbox settings are invalid (%s); not kicking the sync task", exc
        )
        return False


def after_commit(using: str) -> None:
    """Kick once the current transaction on ``using`` commits (at once outside one)."""
    if not enabled():
        return
    connection = connections[using]
    if connection.in_atomic_block:
        # Once per transaction: skip when a kick is already waiting for this commit.
        for entry in connection.run_on_commit:
            if entry[1] is _kick:
                return
    transaction.on_commit(_kick, using=using, robust=True)
