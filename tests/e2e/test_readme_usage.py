"""The README's usage examples run as written: the fire-and-forget call
stores one email in the caller's transaction, and the model examples are
valid Python using the real app label and model name."""

from __future__ import annotations

import ast
import uuid

import pytest
from django.apps import apps
from django.db import transaction

from django_govuk_notify_outbox.models import EmailMessage
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
    assert email.template_id == uuid.UUID("f33517ff-2a88-4f6e-b855-c550268ce08a")
    assert email.personalisation == {"first_name": "Amira", "reference_number": "300241"}
    assert email.reference == email.sent_reference == "application-300241"
    assert email.status == "sending-to-notify"


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


def test_model_examples_refer_to_the_real_email_model() -> None:
    (code,) = python_blocks("Attaching emails to your own models")
    tree = ast.parse(code)  # valid Python
    targets = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("django_govuk_notify_outbox.")
    }
    assert targets == {"django_govuk_notify_outbox.EmailMessage"}
    assert apps.get_model("django_govuk_notify_outbox.EmailMessage") is EmailMessage
    statuses = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "notify" in node.value
    } - targets
    assert statuses <= {s for s, _ in EmailMessage._meta.get_field("status").choices}  # type: ignore[union-attr]
