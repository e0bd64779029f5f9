"""Settings of the chaos suite's child processes: the test suite's, with the database
host and port taken from NGO_CHAOS_DB_HOST / NGO_CHAOS_DB_PORT when set (a PostgreSQL
cluster the suite starts itself, on its own port)."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

if os.environ.get("NGO_CHAOS_DB_PORT"):
    DATABASES["default"]["PORT"] = os.environ["NGO_CHAOS_DB_PORT"]
    DATABASES["default"]["HOST"] = os.environ.get("NGO_CHAOS_DB_HOST", "127.0.0.1")
