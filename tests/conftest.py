"""Shared pytest configuration for the whole suite (kept generic)."""

from __future__ import annotations

import os

import pytest


def pytest_report_header() -> str:
    return f"database: {os.environ.get('NGO_TEST_DB', 'sqlite')}"


@pytest.fixture
def db_vendor() -> str:
    """The database backend the suite runs on: sqlite, postgresql or mysql."""
    from django.db import connection

    return connection.vendor
