"""Signals other code can hook.

``status_changed`` is sent after every status transition has been written,
with ``sender=EmailMessage`` and the keyword arguments ``message`` (the
EmailMessage, already carrying the new status), ``from_status`` and
``to_status``. Receivers run in the engine's process; an exception in one is
logged and does not undo the transition.
"""

from __future__ import annotations

from django.dispatch import Signal

status_changed = Signal()
