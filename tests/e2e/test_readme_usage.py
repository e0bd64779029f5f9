"""The README's examples run as written and its tables match the code: the fire-and-forget call
stores one email in the caller's transaction, and the model examples are
valid Python using the real app label and model name."""

from __future__ import annotations

import ast
import re
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import ProtectedError
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import conf, statuses
from django_govuk_notify_outbox.models import EmailMessage
from govuk_notify_emulator import TEMPLATE_WELCOME, NotifyEmulator
from tests.e2e.readme import section

FENCE = "```python\n"


def python_blocks(title: str) -> list[str]:
    """The python code blocks of the README's `### title` subsection."""
    usage = section("Usage")
    start = usage.index(f"### {title}\n")
    end = usage.find("\n### ", start + 1)
    text = usage[start : end if end != -1 else len(usage)]
    return [chunk.split("```", 1)[0] for chunk in text.split(FENCE)[1:]]


@pytest.mark.django_db(transaction=True)
def test_fire_and_forget_example_stores_one_email_ready_to_send() -> None:
    (code,) = python_blocks("Fire and forget")
    exec(compile(code, "README.md", "exec"), {})

    (email,) = EmailMessage.objects.all()
    assert email.email_address == "amira.patel@example.com"
    assert email.template_id == uuid.UUID(TEMPLATE_WELCOME)
    assert email.personalisation == {"name": "Amira", "reference_number": "300241"}
    assert email.reference == email.sent_reference == "application-300241"
    assert email.status == "sending-to-notify"


@pytest.mark.django_db(transaction=True)
def test_fire_and_forget_example_is_accepted_by_the_emulator(
    notify_emulator: NotifyEmulator, settings: SettingsWrapper
) -> None:
    settings.GOVUK_NOTIFY_API_KEY = notify_emulator.api_key
    settings.GOVUK_NOTIFY_BASE_URL = notify_emulator.base_url
    (code,) = python_blocks("Fire and forget")
    exec(compile(code, "README.md", "exec"), {})
    call_command("notify_outbox_sync")

    (email,) = EmailMessage.objects.all()
    assert email.status == "sent-to-notify", email.last_error
    (sent,) = notify_emulator.notifications()
    assert sent["reference"] == "application-300241"
    assert "Amira" in sent["body"]


@pytest.mark.django_db(transaction=True)
def test_the_emulator_example_runs_as_written() -> None:
    text = section("The emulator")
    (code,) = [c.split("```", 1)[0] for c in text.split(FENCE)[1:]]
    exec(compile(code, "README.md", "exec"), {})
    (email,) = EmailMessage.objects.all()
    assert email.email_address == "amira.patel@example.com"


@pytest.mark.django_db(transaction=True)
def test_fire_and_forget_example_sends_nothing_when_the_transaction_rolls_back() -> None:
    (code,) = python_blocks("Fire and forget")

    class Rollback(Exception):
        pass

    def send_then_fail() -> None:
        with transaction.atomic():
            exec(compile(code, "README.md", "exec"), {})
            assert EmailMessage.objects.count() == 1  # stored, inside the transaction
            raise Rollback

    with pytest.raises(Rollback):
        send_then_fail()

    assert not EmailMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_model_examples_run_as_written() -> None:
    """The models are defined as if in the test app's own module, their tables created,
    and the example's functions run; the models are unregistered afterwards."""
    (code,) = python_blocks("Attaching emails to your own models")
    namespace: dict[str, Any] = {"__name__": "tests.testapp.readme_models"}
    exec(compile(code, "README.md", "exec"), namespace)
    models = [namespace["PasswordResetRequest"], namespace["Newsletter"]]
    try:
        with connection.schema_editor() as editor:
            for model in models:
                editor.create_model(model)
        try:
            reset = namespace["request_password_reset"]("amira.patel@example.com", "Amira")
            assert reset.email.status == statuses.SENDING_TO_NOTIFY
            assert reset.email.personalisation == {"name": "Amira", "reference_number": "300241"}
            newsletter = namespace["Newsletter"].objects.create(subject="December")
            newsletter.emails.add(reset.email)
            assert namespace["who_to_remove"](newsletter) == []
            EmailMessage.objects.filter(pk=reset.email.pk).update(
                status=statuses.NOTIFY_PERMANENT_FAILURE
            )
            assert namespace["who_to_remove"](newsletter) == ["amira.patel@example.com"]
            with pytest.raises(ProtectedError):
                EmailMessage.objects.filter(pk=reset.email.pk).delete()
        finally:
            with connection.schema_editor() as editor:
                for model in reversed(models):
                    editor.delete_model(model)
    finally:
        for model in models:
            apps.all_models["testapp"].pop(model._meta.model_name, None)
        apps.clear_cache()


def table_rows(text: str, header: str) -> list[list[str]]:
    """The rows of the markdown table whose header line starts with `header`."""
    lines = text[text.index(header) :].splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_status_table_and_diagrams_describe_exactly_the_ten_statuses() -> None:
    text = section("Email status descriptions")
    rows = table_rows(text, "| status | final | meaning |")
    assert [row[0].strip("`") for row in rows] == list(statuses.ALL)
    assert {row[0].strip("`") for row in rows if row[1] == "yes"} == statuses.FINAL
    diagrams = re.findall(r"```mermaid\n(.*?)```", text, re.DOTALL)
    assert len(diagrams) == 2
    named = [set(re.findall(r'state "([a-z-]+)" as', d)) for d in diagrams]
    assert named[0] == set(statuses.ALL[:4])
    assert named[1] == {"sent-to-notify", *statuses.ALL[4:]}


def test_configuration_table_lists_every_setting_with_its_default() -> None:
    rows = table_rows(section("Configuration"), "| key | default | what it does |")
    documented = {row[0].strip("`"): row[1] for row in rows}
    defaults = conf.OutboxSettings(api_key="-")
    assert set(documented) == set(conf._KEYS)
    for key, (field, _types) in conf._KEYS.items():
        value = getattr(defaults, field)
        match = re.match(r"`([^`]*)`", documented[key])
        assert match is not None, f"{key}: no default shown"
        shown = match.group(1)
        if isinstance(value, tuple):
            assert ast.literal_eval(shown) == [tuple(map(int, row)) for row in value], key
        else:
            assert ast.literal_eval(shown) == value, key
