"""The per-recipient throttle: at most N emails queued for one address per clock minute.

Public forms that send email (password reset, "email me a link") are abused to
flood an inbox and to spend the service's Notify quota. ``send_email_notification(...,
throttle_max_per_minute=N)`` asks :func:`consume` first, inside the transaction that
stores the email.

The count lives in one ``RecipientThrottle`` row per normalised address (keyed by its
SHA-256, never the address) and is taken with a single conditional ``UPDATE``, so two
concurrent requests can never both take the last place: the database serialises the
writes to that row (a row lock on PostgreSQL and MariaDB, the write lock on SQLite),
and the second ``UPDATE`` sees the first one's count. The row is written in the
caller's transaction: if it rolls back, the place is given back with the email.
"""

from __future__ import annotations

import hashlib

from django.db import connections
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from .errors import ThrottledError
from .models import RecipientThrottle

__all__ = ["ThrottledError", "consume", "normalise_address", "throttle_key"]

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def normalise_address(email_address: str) -> str:
    """The mailbox an address reaches: lower case, without a ``+tag``, and for Gmail
    (gmail.com, googlemail.com) without dots in the local part and as gmail.com."""
    local, _, domain = email_address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    domain = domain.rstrip(".")
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def throttle_key(email_address: str) -> str:
    """The key of the address's throttle row: SHA-256 hex of the normalised address."""
    return hashlib.sha256(normalise_address(email_address).encode("utf-8")).hexdigest()


def current_window() -> int:
    """The current clock minute, as minutes since the Unix epoch."""
    return int(timezone.now().timestamp() // 60)


def _take(key: str, window: int, limit: int, using: str) -> bool:
    """One conditional UPDATE: take a place in ``window``; False when none is left or
    the row does not exist."""
    rows = RecipientThrottle.objects.using(using).filter(
        Q(key=key) & (~Q(window=window) | Q(count__lt=limit))
    )
    updated = rows.update(
        count=Case(When(window=window, then=F("count") + 1), default=Value(1)),
        window=window,
    )
    return updated == 1


def consume(email_address: str, limit: int, *, using: str) -> None:
    """Take one of ``limit`` places this minute for ``email_address``'s mailbox, in the
    current transaction; raise ThrottledError (nothing written) when none is left."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError("throttle_max_per_minute must be a positive integer")
    key = throttle_key(email_address)
    window = current_window()
    # Make sure the row exists, locking it: an upsert takes the row lock whether it
    # inserts or finds the row (a plain INSERT that meets a duplicate only takes a
    # shared lock on MariaDB, and two of those deadlock on the UPDATE that follows).
    # MariaDB's ON DUPLICATE KEY UPDATE names no conflict target; the others need one.
    with_target = connections[using].features.supports_update_conflicts_with_target
    RecipientThrottle.objects.using(using).bulk_create(
        [RecipientThrottle(key=key, window=window, count=0)],
        update_conflicts=True,
        unique_fields=["key"] if with_target else None,
        update_fields=["key"],
    )
    if not _take(key, window, limit, using):
        raise ThrottledError(
            f"email_address has already been queued {limit} emails this minute "
            f"(throttle_max_per_minute={limit}); nothing was queued"
        )


def forget(email_address: str, *, using: str) -> int:
    """Delete the address's throttle row (erasure); the number of rows deleted."""
    deleted, _ = (
        RecipientThrottle.objects.using(using).filter(key=throttle_key(email_address)).delete()
    )
    return deleted


def delete_stale(*, using: str) -> int:
    """Delete throttle rows of past minutes (they no longer limit anything)."""
    deleted, _ = RecipientThrottle.objects.using(using).filter(window__lt=current_window()).delete()
    return deleted
