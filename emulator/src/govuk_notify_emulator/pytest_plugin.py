"""pytest fixtures for the Notify emulator (registered through the pytest11 entry point).

* ``notify_emulator``: a running emulator with the default configuration, shared by the
  session and cleared (notifications, counters, stats) with faults reset before each test.
* ``notify_emulator_factory(config=None, args=())``: starts a dedicated emulator with
  its own configuration; every one started is stopped after the test.

Set ``NOTIFY_EMULATOR_BIN`` to run another executable (e.g. the AddressSanitizer build
``build/c/asan/notify-emulator``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from govuk_notify_emulator import NotifyEmulator

EmulatorFactory = Callable[..., NotifyEmulator]


@pytest.fixture(scope="session")
def notify_emulator_session() -> Iterator[NotifyEmulator]:
    """One emulator for the whole session (use ``notify_emulator`` in tests)."""
    with NotifyEmulator() as emulator:
        yield emulator


@pytest.fixture
def notify_emulator(notify_emulator_session: NotifyEmulator) -> NotifyEmulator:
    """The session's emulator, cleared and with every fault off."""
    if notify_emulator_session.returncode is not None:
        pytest.fail(f"the Notify emulator exited with {notify_emulator_session.returncode}")
    notify_emulator_session.wait_until_answering()  # a test may have left it refusing
    notify_emulator_session.reset_faults()
    notify_emulator_session.clear()
    return notify_emulator_session


@pytest.fixture
def notify_emulator_factory() -> Iterator[EmulatorFactory]:
    """Starts dedicated emulators: ``factory(config=..., args=[...])``."""
    started: list[NotifyEmulator] = []

    def factory(
        config: Mapping[str, Any] | str | Path | None = None, args: Sequence[str] = ()
    ) -> NotifyEmulator:
        emulator = NotifyEmulator(config=config, args=args)
        started.append(emulator)
        return emulator.start()

    yield factory
    for emulator in started:
        emulator.stop()
