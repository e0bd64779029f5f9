"""Structured log records: every record of the "django_govuk_notify_outbox" logger
carries ``email_id``, ``notify_id`` and ``outcome`` (None when not about one email), so a
JSON formatter or ``%(email_id)s`` in a format string works on all of them."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from .exchange import Exchange

LOGGER_NAME = "django_govuk_notify_outbox"
FIELDS = ("email_id", "notify_id", "outcome")

logger = logging.getLogger(LOGGER_NAME)


class ContextFilter(logging.Filter):
    """Gives every record the structured fields, None when the call did not set them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, None)
        return True


def install() -> None:
    """Adds the filter to the package's logger (once; called from AppConfig.ready)."""
    if not any(isinstance(f, ContextFilter) for f in logger.filters):
        logger.addFilter(ContextFilter())


def log_exchanges(exchanges: Sequence[Exchange]) -> None:
    """One record per Notify request: INFO when it changed the email's status or was
    not accepted, DEBUG otherwise (a poll that found nothing new)."""
    for x in exchanges:
        level = logging.INFO if (x.status or x.outcome != "accepted") else logging.DEBUG
        if not logger.isEnabledFor(level):
            continue
        logger.log(
            level,
            "outbox: %s %s email %s: %s%s%s",
            x.request,
            x.route,
            x.email_id if x.email_id is not None else "-",
            x.outcome,
            f" (HTTP {x.http_status})" if x.http_status else (f" ({x.error})" if x.error else ""),
            f", now {x.status}" if x.status else "",
            extra={
                "email_id": x.email_id,
                "notify_id": x.notify_id or None,
                "outcome": x.outcome,
                "http_status": x.http_status,
                "request": x.request,
                "status": x.status or None,
            },
        )
