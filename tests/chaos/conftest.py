"""Fixtures of the chaos suite: the database the senders share, the emulator, a seed."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import pytest

from .harness import EMULATOR_ARGS, emulator_config


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "chaos: the exactly-once chaos suite (PostgreSQL and MariaDB only)"
    )


@pytest.fixture
def shared_db(transactional_db: None) -> str:
    """The test database's name, which the sender processes and the agent open too.
    Chaos needs a server several processes share: PostgreSQL or MariaDB."""
    from django.db import connection

    if connection.vendor not in ("postgresql", "mysql"):
        pytest.skip("the chaos suite runs on NGO_TEST_DB=postgresql or mariadb")
    return str(connection.settings_dict["NAME"])


@pytest.fixture
def seed() -> int:
    """The run's random seed (NGO_CHAOS_SEED replays the same choices of the suite)."""
    return int(os.environ.get("NGO_CHAOS_SEED", str(time.time_ns() % 2**31)))


@pytest.fixture
def rng(seed: int) -> random.Random:
    return random.Random(seed)


@pytest.fixture
def chaos_emulator(notify_emulator_factory: Any, seed: int) -> Any:
    """A dedicated emulator: the suite's configuration, 2 s token leeway (stopped by
    the factory after the test)."""
    return notify_emulator_factory(config=emulator_config(seed), args=EMULATOR_ARGS)


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path
