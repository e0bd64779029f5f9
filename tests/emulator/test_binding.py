"""The in-process module govuk_notify_emulator._emulator."""

from __future__ import annotations

from typing import Any

import pytest

from govuk_notify_emulator import _emulator


def test_run_prints_help_and_returns_0(capfd: pytest.CaptureFixture[str]) -> None:
    assert _emulator.run(["ignored-argv0", "--help"]) == 0
    assert "--refuse-connections-ms" in capfd.readouterr().out


def test_run_returns_2_for_bad_arguments(capfd: pytest.CaptureFixture[str]) -> None:
    assert _emulator.run(["ignored-argv0", "--port", "nope"]) == 2
    assert "--port" in capfd.readouterr().err


@pytest.mark.parametrize("argv", ["--help", ["x", 5], None])
def test_run_rejects_argv_that_is_not_a_list_of_str(argv: Any) -> None:
    with pytest.raises(TypeError, match="argv"):
        _emulator.run(argv)
