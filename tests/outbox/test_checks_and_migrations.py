"""System checks for the settings, and models agreeing with the committed migrations."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import conf
from django_govuk_notify_outbox.checks import check_settings

GOOD_KEY = "my_key-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"


def ids(settings: SettingsWrapper) -> list[str | None]:
    return [m.id for m in check_settings()]


def test_good_settings_pass_the_checks(settings: SettingsWrapper) -> None:
    settings.GOVUK_NOTIFY_API_KEY = GOOD_KEY
    settings.GOVUK_NOTIFY_OUTBOX = {}
    assert check_settings() == []


def test_a_missing_key_is_e001(settings: SettingsWrapper) -> None:
    del settings.GOVUK_NOTIFY_API_KEY
    messages = check_settings()
    assert [m.id for m in messages] == ["django_govuk_notify_outbox.E001"]
    assert messages[0].hint


@pytest.mark.parametrize(
    "key",
    [
        "not-a-key",
        GOOD_KEY[:-1] + "x",  # secret is not a UUID
        "name-zzzzzzzz-ab16-4eb0-8407-a37497a57506-" + SECRET,  # service id is not a UUID
        12345,
    ],
)
def test_a_malformed_key_is_e002_and_the_secret_is_never_shown(
    settings: SettingsWrapper, key: Any
) -> None:
    settings.GOVUK_NOTIFY_API_KEY = key
    messages = check_settings()
    assert [m.id for m in messages] == ["django_govuk_notify_outbox.E002"]
    text = f"{messages[0].msg} {messages[0].hint}"
    assert SECRET[:8] not in text
    if isinstance(key, str):
        assert key[-36:] not in text


@pytest.mark.parametrize("url", ["ftp://notify.example", "not a url", "https://", 42])
def test_a_bad_base_url_is_e003(settings: SettingsWrapper, url: Any) -> None:
    settings.GOVUK_NOTIFY_API_KEY = GOOD_KEY
    settings.GOVUK_NOTIFY_BASE_URL = url
    assert ids(settings) == ["django_govuk_notify_outbox.E003"]


def test_plain_http_to_a_remote_host_is_warned_about(settings: SettingsWrapper) -> None:
    settings.GOVUK_NOTIFY_API_KEY = GOOD_KEY
    settings.GOVUK_NOTIFY_BASE_URL = "http://notify.example.com"
    assert ids(settings) == ["django_govuk_notify_outbox.W001"]
    settings.GOVUK_NOTIFY_BASE_URL = "http://127.0.0.1:8080"
    assert ids(settings) == []


@pytest.mark.parametrize(
    ("outbox", "named"),
    [
        ({"BATCH_SIZE": 0}, "BATCH_SIZE"),
        ({"BATCH_SIZE": "100"}, "BATCH_SIZE"),
        ({"MAX_ATTEMPTS": True}, "MAX_ATTEMPTS"),
        ({"TIMEOUT": -1}, "TIMEOUT"),
        ({"BACKOFF_BASE": -1}, "BACKOFF_BASE"),
        ({"NO_SUCH_SETTING": 1}, "NO_SUCH_SETTING"),
        ({"POLL_SCHEDULE": [(60, 5), (30, 10)]}, "POLL_SCHEDULE"),
        ({"POLL_SCHEDULE": [(60, 0)]}, "POLL_SCHEDULE"),
        # Claims must not outlive their guarantee (docs/outbox.md).
        ({"LOOKUP_DELAY": 20}, "LOOKUP_DELAY"),  # below TOKEN_WINDOW + TIMEOUT
        ({"SEND_WINDOW": 40}, "LOOKUP_DELAY"),  # below SEND_WINDOW + TIMEOUT
        ({"MAX_AGE": 100}, "MAX_AGE"),  # below 4 x LOOKUP_DELAY
        ({"LEASE_SECONDS": 0}, "LEASE_SECONDS"),
        ({"BACKOFF_BASE": 10, "BACKOFF_CAP": 5}, "BACKOFF_CAP"),
        ({"KICK_ON_COMMIT": "yes"}, "KICK_ON_COMMIT"),
        ({"MAX_AGE": 8 * 24 * 3600}, "MAX_AGE"),
    ],
)
def test_invalid_outbox_settings_are_e004_naming_the_setting(
    settings: SettingsWrapper, outbox: dict[str, Any], named: str
) -> None:
    settings.GOVUK_NOTIFY_API_KEY = GOOD_KEY
    settings.GOVUK_NOTIFY_OUTBOX = outbox
    messages = check_settings()
    assert [m.id for m in messages] == ["django_govuk_notify_outbox.E004"]
    assert named in messages[0].msg
    with pytest.raises(ImproperlyConfigured, match=named):
        conf.get_settings()


def test_defaults_are_the_documented_ones(settings: SettingsWrapper) -> None:
    settings.GOVUK_NOTIFY_API_KEY = GOOD_KEY
    settings.GOVUK_NOTIFY_OUTBOX = {}
    del settings.GOVUK_NOTIFY_BASE_URL
    s = conf.get_settings()
    assert s.base_url == "https://api.notifications.service.gov.uk"
    assert s.max_attempts == 10
    assert s.max_age == 24 * 3600
    assert s.lease_seconds == 3
    assert s.lookup_delay == 45
    assert s.send_window == 10
    assert s.token_window == 30
    assert s.show_personalisation_in_admin is False


@pytest.mark.django_db  # Django 6.1's check also runs the database checks
def test_manage_py_check_reports_the_errors(settings: SettingsWrapper) -> None:
    settings.GOVUK_NOTIFY_API_KEY = "broken"
    from django.core.management.base import SystemCheckError

    with pytest.raises(SystemCheckError, match=r"django_govuk_notify_outbox\.E002"):
        call_command("check")


@pytest.mark.django_db
def test_models_and_migrations_agree() -> None:
    out = StringIO()
    try:
        call_command(
            "makemigrations",
            "django_govuk_notify_outbox",
            "testapp",
            check=True,
            dry_run=True,
            stdout=out,
        )
    except SystemExit as exc:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"models and migrations disagree:\n{out.getvalue()}  (exit {exc.code})")


@pytest.mark.django_db
def test_the_migrated_tables_have_the_indexes_the_engine_uses_and_no_others() -> None:
    """Partial due indexes where the database has partial indexes (PostgreSQL, SQLite);
    no twin of an index, and nothing Django warns about (models.W037) on any database."""
    from django.core import checks
    from django.db import connection

    from django_govuk_notify_outbox.models import EmailMessage

    table = EmailMessage._meta.db_table
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    indexes = {
        name: tuple(c["columns"])
        for name, c in found.items()
        if c["index"] and not c["primary_key"]
    }
    partial = {"ngo_msg_unknown_due", "ngo_msg_tracked_due"}
    if connection.features.supports_partial_indexes:
        assert partial <= set(indexes)
    else:
        assert not partial & set(indexes)
    assert indexes["ngo_msg_reference"] == ("sent_reference_digest",)
    on_digest = [n for n, cols in indexes.items() if cols == ("sent_reference_digest",)]
    assert on_digest == ["ngo_msg_reference"]  # PostgreSQL: no varchar_pattern_ops twin
    warnings = checks.run_checks(app_configs=None, databases=["default"])
    assert not [w for w in warnings if w.id == "models.W037"]
