"""What the observers read of the engine's objects, as protocols: the engine imports this
package, so this package never imports the engine's modules (not even for types)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class JobLike(Protocol):
    """engine.jobs.Job: one chunk of work."""

    @property
    def kind(self) -> str: ...

    @property
    def size(self) -> int: ...


class WrittenLike(Protocol):
    """engine.writer.Written: the changes one write made, by email id, as
    (engine.decide.State, engine.decide.Change)."""

    @property
    def changes(self) -> Mapping[int, tuple[Any, Any]]: ...


class SummaryLike(Protocol):
    """engine.run.SyncSummary."""

    @property
    def ran(self) -> bool: ...

    @property
    def reason(self) -> str: ...

    @property
    def auth_paused(self) -> bool: ...
