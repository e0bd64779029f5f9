"""Signals other code can hook.

``status_changed`` is sent after every status transition has been written,
with ``sender=EmailMessage`` and the keyword arguments ``message`` (the
EmailMessage, already carrying the new status), ``from_status`` and
``to_status``. Receivers run in the engine's process, inside a savepoint of
the transaction that records the change; an exception in one is logged and
does not undo the transition. Keep receivers quick and do network calls
elsewhere (e.g. queue a task with ``transaction.on_commit``).
"""

from __future__ import annotations

from django.dispatch import Signal

status_changed = Signal()
