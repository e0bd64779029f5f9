"""The outbox engine: plain functions, no Celery (docs/outbox.md).

- :mod:`.decide`: pure; what an outcome means for an email's state.
- :mod:`.writer`: the one writer of an email's state (row locks, bulk writes, events).
- :mod:`.jobs`: claim / send, recover, look up, poll (HTTP on a thread, no database there).
- :mod:`.lease`: the single-sender heartbeat lease and the auth pause.
- :mod:`.run`: ``sync()``, one bounded, pipelined run.
- :mod:`.actions`: the admin's actions.
"""

from .actions import request_refresh, retry_now
from .decide import backoff_delay, poll_interval
from .run import SyncSummary, due_count, sync

__all__ = [
    "SyncSummary",
    "backoff_delay",
    "due_count",
    "poll_interval",
    "request_refresh",
    "retry_now",
    "sync",
]
