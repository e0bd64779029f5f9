"""The engine's public entry points (kept here for existing imports); see :mod:`.engine`."""

from .engine import (
    SyncSummary,
    backoff_delay,
    due_count,
    poll_interval,
    request_refresh,
    retry_now,
    sync,
)

__all__ = [
    "SyncSummary",
    "backoff_delay",
    "due_count",
    "poll_interval",
    "request_refresh",
    "retry_now",
    "sync",
]
