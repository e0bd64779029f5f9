"""The cost of queueing email, on the test database: send_email_notification makes one
INSERT and no savepoint; send_email_notifications validates every item first, then one
bulk INSERT, all or nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from django_govuk_notify_outbox import statuses
from django_govuk_notify_outbox.errors import ThrottledError
from django_govuk_notify_outbox.models import EmailMessage
from django_govuk_notify_outbox.utils import send_email_notification, send_email_notifications

from .conftest import TEMPLATE_WELCOME

pytestmark = pytest.mark.django_db(transaction=True)


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"].strip().split()[0].upper() for q in queries.captured_queries]


def test_send_email_notification_is_one_insert_and_no_savepoint() -> None:
    with CaptureQueriesContext(connection) as queries:
        send_email_notification("one@example.gov.uk", TEMPLATE_WELCOME, {"name": "A"})
    assert _statements(queries) == ["INSERT"]
    with transaction.atomic(), CaptureQueriesContext(connection) as inside:
        send_email_notification("two@example.gov.uk", TEMPLATE_WELCOME, {"name": "B"})
    assert [s for s in _statements(inside) if s not in ("BEGIN", "COMMIT")] == ["INSERT"]
    assert not any("SAVEPOINT" in q["sql"].upper() for q in inside.captured_queries)


def _items(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "email_address": f"bulk{i}@example.gov.uk",
            "template_id": TEMPLATE_WELCOME,
            "personalisation": {"name": f"N{i}", "reference_number": str(i)},
            **extra,
        }
        for i in range(n)
    ]


def test_send_email_notifications_stores_every_item_with_one_insert() -> None:
    # 25: within one INSERT on SQLite too (Django keeps to its 999 parameters there).
    items = _items(25)
    items[3]["reference"] = "caller-ref"
    items[4]["priority"] = "high"
    with CaptureQueriesContext(connection) as queries:
        messages = send_email_notifications(items)
    assert [s for s in _statements(queries) if s not in ("BEGIN", "COMMIT")] == ["INSERT"]
    assert [m.email_address for m in messages] == [i["email_address"] for i in items]
    stored = {m.pk: m for m in EmailMessage.objects.all()}
    assert set(stored) == {m.pk for m in messages}
    for message in messages:
        row = stored[message.pk]
        assert row.status == statuses.SENDING_TO_NOTIFY
        assert row.next_action_at is not None
        assert row.template_id == uuid.UUID(TEMPLATE_WELCOME)
    assert stored[messages[3].pk].sent_reference == "caller-ref"
    assert not stored[messages[3].pk].reference_is_ours
    assert stored[messages[4].pk].priority < stored[messages[5].pk].priority
    assert len({stored[m.pk].sent_reference for m in messages}) == 25


@pytest.mark.parametrize(
    ("change", "error", "text"),
    [
        ({"email_address": "not an address"}, ValueError, "items[7]: email_address"),
        ({"template_id": "nope"}, ValueError, "items[7]: template_id"),
        ({"personalisation": "x"}, TypeError, "items[7]: personalisation"),
        ({"priority": "urgent"}, ValueError, "items[7]: priority"),
        ({"colour": "blue"}, TypeError, "items[7]: unexpected argument 'colour'"),
    ],
)
def test_one_bad_item_stores_nothing_and_names_its_index_and_argument(
    change: dict[str, Any], error: type[Exception], text: str
) -> None:
    items = _items(10)
    items[7].update(change)
    with pytest.raises(error) as caught:
        send_email_notifications(items)
    assert str(caught.value).startswith(text)
    assert not EmailMessage.objects.exists()


def test_a_missing_argument_and_a_non_mapping_are_named() -> None:
    items: list[Any] = _items(3)
    del items[1]["template_id"]
    with pytest.raises(TypeError, match=r"^items\[1\]: template_id is required"):
        send_email_notifications(items)
    with pytest.raises(TypeError, match=r"^items\[2\] must be a mapping"):
        send_email_notifications([*_items(2), "someone@example.gov.uk"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="list of mappings"):
        send_email_notifications({"email_address": "a@example.gov.uk"})  # type: ignore[arg-type]
    assert not EmailMessage.objects.exists()


def test_a_throttled_item_stores_nothing() -> None:
    items = _items(3, throttle_max_per_minute=2)
    for item in items:
        item["email_address"] = "same@example.gov.uk"
    with pytest.raises(ThrottledError, match=r"^items\[2\]: "):
        send_email_notifications(items)
    assert not EmailMessage.objects.exists()
    assert len(send_email_notifications(items[:2])) == 2


def test_a_rolled_back_transaction_stores_none_of_the_items() -> None:
    def fails() -> None:
        with transaction.atomic():
            send_email_notifications(_items(5))
            raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        fails()
    assert not EmailMessage.objects.exists()
    assert send_email_notifications([]) == []


def test_the_readme_example_stores_every_email_with_its_priority() -> None:
    from django_govuk_notify_outbox.models import PRIORITIES

    from .test_readme_project_fit import blocks, run

    (code,) = blocks("Many emails at once")
    values = run(code)
    assert len(values["messages"]) == 500
    assert set(EmailMessage.objects.values_list("priority", flat=True)) == {PRIORITIES["bulk"]}
