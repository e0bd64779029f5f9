"""The README's snippets for the email backend, the throttle, the test helpers and
retention run as written."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import statuses, testing
from django_govuk_notify_outbox.models import PRIORITY_HIGH, EmailMessage
from tests.e2e.readme import section

from .conftest import outbox_settings
from .test_email_backend import EMULATOR_CONFIG, REPLY_TO_ID, TEMPLATE_SUBJECT_BODY


def blocks(title: str, language: str = "python") -> list[str]:
    usage = section("Usage")
    start = usage.index(f"### {title}\n")
    end = usage.find("\n### ", start + 1)
    text = usage[start : end if end != -1 else len(usage)]
    fence = f"```{language}\n"
    return [chunk.split("```", 1)[0] for chunk in text.split(fence)[1:]]


def run(code: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace


@pytest.mark.django_db(transaction=True)
def test_email_backend_settings_send_through_the_emulator(
    settings: SettingsWrapper, notify_emulator_factory: Any
) -> None:
    (code,) = blocks("Django's email backend")
    values = run(code)
    assert values["GOVUK_NOTIFY_OUTBOX"]["EMAIL_BACKEND_TEMPLATE_ID"] == TEMPLATE_SUBJECT_BODY
    assert REPLY_TO_ID in values["GOVUK_NOTIFY_OUTBOX"]["EMAIL_BACKEND_REPLY_TO_IDS"].values()
    settings.EMAIL_BACKEND = values["EMAIL_BACKEND"]
    outbox_settings(settings, **values["GOVUK_NOTIFY_OUTBOX"])
    emulator = notify_emulator_factory(config=EMULATOR_CONFIG)
    settings.GOVUK_NOTIFY_API_KEY = emulator.api_key
    settings.GOVUK_NOTIFY_BASE_URL = emulator.base_url
    mail.EmailMessage(
        "Hello", "Body text", to=["amira.patel@example.com"], reply_to=["help@example.gov.uk"]
    ).send()
    testing.drain()
    (notification,) = emulator.notifications()
    assert notification["subject"] == "Hello"
    assert notification["body"] == "Body text"


@pytest.mark.django_db
def test_throttle_example_stores_three_then_nothing() -> None:
    (code,) = blocks("Throttling per recipient")
    for _ in range(4):
        run(code)
    assert EmailMessage.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_testing_example_passes(notify_emulator: Any, settings: SettingsWrapper) -> None:
    (code,) = blocks("Testing your project")
    namespace = run(code)
    namespace["test_welcome_email"](notify_emulator, settings)
    (email,) = EmailMessage.objects.all()
    assert email.status not in statuses.TO_SEND


def test_retention_schedule_names_real_tasks() -> None:
    from django_govuk_notify_outbox import tasks

    (schedule,) = blocks("Retention and erasure")
    beat = run(schedule)["CELERY_BEAT_SCHEDULE"]
    assert beat["sync"]["task"] == tasks.sync.name
    assert beat["purge"]["task"] == tasks.purge.name
    assert tasks.purge.run.__code__.co_varnames[0] == "older_than_days"
    assert set(beat["purge"]["kwargs"]) == {"older_than_days"}


@pytest.mark.django_db
def test_priority_example_stores_a_high_priority_email() -> None:
    (code,) = blocks("Priority")
    run(code)
    (email,) = EmailMessage.objects.all()
    assert email.priority == PRIORITY_HIGH


def test_receipts_example_routes_the_callback_view(settings: SettingsWrapper) -> None:
    from django.urls import resolve

    from django_govuk_notify_outbox import conf, views

    urls, config = blocks("Delivery receipts")
    patterns = run(urls)["urlpatterns"]
    assert patterns[0].pattern.describe().startswith("'notify/'")
    assert resolve("/notify/callback").func is views.notify_callback  # tests/urls.py does the same
    outbox_settings(settings, **run(config)["GOVUK_NOTIFY_OUTBOX"])
    assert conf.get_settings().receipts_enabled
