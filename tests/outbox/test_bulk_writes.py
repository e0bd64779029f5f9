"""The writer's bulk UPDATE (engine.bulk) on the test database: values shared by every row
and values of each row's own, NULLs, UUIDs, times, booleans, text with quotes; one
statement per chunk."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_govuk_notify_outbox import statuses
from django_govuk_notify_outbox.engine import bulk
from django_govuk_notify_outbox.models import EmailEvent, EmailMessage
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_PLAIN

pytestmark = pytest.mark.django_db


def test_each_row_gets_its_own_values_in_one_statement() -> None:
    messages = [send_email_notification(f"b{i}@example.gov.uk", TEMPLATE_PLAIN) for i in range(7)]
    untouched = send_email_notification("untouched@example.gov.uk", TEMPLATE_PLAIN)
    now = timezone.now().replace(microsecond=123456)
    ids = [uuid.uuid4() for _ in messages]
    rows = [
        (
            m.pk,
            {
                "status": statuses.SENT_TO_NOTIFY,  # shared
                "claim_token": "",  # shared
                "notify_id": ids[i],  # each its own
                "polls": i * 3,
                "sent_to_notify_at": None if i % 2 else now + timedelta(seconds=i),
                "tracking_stopped": i % 3 == 0,
                "last_error": f'it\'s "{i}" %s; --',
                "personalisation": {"n": i, "quote": "it's"} if i % 2 else {},
            },
        )
        for i, m in enumerate(messages)
    ]
    with CaptureQueriesContext(connection) as queries:
        bulk.update_rows("default", EmailMessage, rows)
    assert len(queries) == 1
    for i, m in enumerate(messages):
        m.refresh_from_db()
        assert m.status == statuses.SENT_TO_NOTIFY
        assert m.notify_id == ids[i]
        assert m.polls == i * 3
        assert m.sent_to_notify_at == (None if i % 2 else now + timedelta(seconds=i))
        assert m.tracking_stopped is (i % 3 == 0)
        assert m.last_error == f'it\'s "{i}" %s; --'
        assert m.personalisation == ({"n": i, "quote": "it's"} if i % 2 else {})
    untouched.refresh_from_db()
    assert untouched.status == statuses.SENDING_TO_NOTIFY
    assert untouched.notify_id is None


def test_values_shared_by_every_row_make_a_plain_update() -> None:
    messages = [send_email_notification(f"s{i}@example.gov.uk", TEMPLATE_PLAIN) for i in range(3)]
    with CaptureQueriesContext(connection) as queries:
        bulk.update_rows(
            "default", EmailMessage, [(m.pk, {"polls": 5, "last_error": "x"}) for m in messages]
        )
    assert len(queries) == 1
    assert "case" not in queries[0]["sql"].lower()
    assert set(EmailMessage.objects.values_list("polls", "last_error")) == {(5, "x")}


def test_a_chunk_larger_than_one_statement_is_split() -> None:
    count = bulk.ROWS_PER_STATEMENT + 3
    EmailMessage.objects.bulk_create(
        [
            EmailMessage(
                email_address=f"c{i}@example.gov.uk",
                template_id=uuid.UUID(TEMPLATE_PLAIN),
                sent_reference=f"r{i}",
                sent_reference_digest=f"d{i}",
            )
            for i in range(count)
        ]
    )
    pks = list(EmailMessage.objects.order_by("pk").values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        bulk.update_rows("default", EmailMessage, [(pk, {"polls": i}) for i, pk in enumerate(pks)])
    assert len(queries) == 2
    assert list(EmailMessage.objects.order_by("pk").values_list("polls", flat=True)) == list(
        range(count)
    )


def test_events_are_inserted_many_rows_per_statement_with_every_field() -> None:
    from django_govuk_notify_outbox.models import EmailEvent

    message = send_email_notification("events@example.gov.uk", TEMPLATE_PLAIN)
    events = [
        EmailEvent(
            message_id=message.pk,
            kind=EmailEvent.Kind.HTTP,
            method="POST",
            path=f"/v2/notifications/email?{i}",
            http_status=201 if i % 2 else None,
            duration=i / 10,
            request_body='{"a": "it\'s %s"}',
            from_status=statuses.SENDING_TO_NOTIFY,
            to_status=statuses.SENT_TO_NOTIFY,
            detail=f"event {i}",
        )
        for i in range(150)
    ]
    with CaptureQueriesContext(connection) as queries:
        bulk.insert_objects("default", EmailEvent, events)
    if connection.vendor == "postgresql":
        assert [q["sql"].split(" ", 1)[0] for q in queries] == ["COPY"]
    else:
        per_statement = (connection.features.max_query_params or 65535) // 16
        assert len(queries) == -(-150 // min(150, per_statement))
    stored = list(EmailEvent.objects.filter(message=message).order_by("id"))
    assert [e.detail for e in stored] == [f"event {i}" for i in range(150)]
    assert stored[3].http_status == 201
    assert stored[4].http_status is None
    assert stored[5].duration == 0.5
    assert stored[0].request_body == '{"a": "it\'s %s"}'
    assert stored[0].created_at is not None


def test_rows_read_with_integer_timestamps_equal_djangos_own_values() -> None:
    """read_values (timestamps as integers on PostgreSQL) returns what values() does, to
    the microsecond, NULLs, times before 1970 and far ahead included."""
    from datetime import datetime
    from datetime import timezone as dt_timezone

    messages = [send_email_notification(f"t{i}@example.gov.uk", TEMPLATE_PLAIN) for i in range(5)]
    times = [
        None,
        datetime(1969, 7, 20, 20, 17, 40, 999999, tzinfo=dt_timezone.utc),
        datetime(2026, 12, 2, 1, 2, 3, 456789, tzinfo=dt_timezone.utc),
        datetime(2099, 12, 31, 23, 59, 59, 1, tzinfo=dt_timezone.utc),
        timezone.now(),
    ]
    for message, when in zip(messages, times, strict=True):
        EmailMessage.objects.filter(pk=message.pk).update(sent_to_notify_at=when)
    fields = ("pk", "status", "sent_to_notify_at", "created_at", "attempt_started_at")
    queryset = EmailMessage.objects.filter(pk__in=[m.pk for m in messages]).order_by("pk")
    read = bulk.read_values(queryset, fields)
    assert read == list(queryset.values(*fields))
    assert [r["sent_to_notify_at"] for r in read] == times
    assert bulk.read_values(queryset, fields, 2) == list(queryset.values(*fields)[:2])


def test_an_event_built_positionally_equals_one_built_by_keywords() -> None:
    message = send_email_notification("positional@example.gov.uk", TEMPLATE_PLAIN)
    values = {
        "message_id": message.pk,
        "kind": EmailEvent.Kind.HTTP,
        "method": "POST",
        "http_status": 201,
        "duration": 0.25,
        "response_body": '{"id": "x"}',
        "detail": "look-up",
    }
    by_keywords = EmailEvent(**values)
    positional = EmailEvent.new(**values)
    for field in EmailEvent._meta.concrete_fields:
        if field.name != "created_at":
            assert getattr(positional, field.attname) == getattr(by_keywords, field.attname)
    assert positional.pk is None
    assert abs((positional.created_at - by_keywords.created_at).total_seconds()) < 60
    positional.save()
    assert EmailEvent.objects.get(pk=positional.pk).response_body == '{"id": "x"}'
    with pytest.raises(TypeError, match="no field colour, size"):
        EmailEvent.new(message_id=message.pk, size=1, colour="red")


def test_varying_times_and_ids_are_written_exactly_whatever_their_form() -> None:
    """On PostgreSQL integers, UUIDs and UTC times go as an array's text (bulk._pg_array);
    times in other zones, and everything else, through the driver's own adapter."""
    utc = dt_timezone.utc
    times = [
        datetime(1, 1, 1, tzinfo=utc),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=utc),
        datetime(2026, 12, 2, 4, 50, 50, tzinfo=utc),  # no microseconds: none in ISO text
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=utc),
        None,
    ]
    elsewhere = [
        datetime(2026, 6, 1, 12, 0, tzinfo=dt_timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 6, 1, 12, 0, tzinfo=dt_timezone(timedelta(hours=-3))),
    ]
    for chunk in (times, elsewhere, times + elsewhere):
        messages = [
            send_email_notification(f"t{i}@example.gov.uk", TEMPLATE_PLAIN)
            for i in range(len(chunk))
        ]
        ids = [uuid.uuid4() for _ in chunk]
        rows = [
            (m.pk, {"next_action_at": t, "notify_id": n, "polls": i * 7})
            for i, (m, t, n) in enumerate(zip(messages, chunk, ids, strict=True))
        ]
        bulk.update_rows("default", EmailMessage, rows)
        for i, (m, t, n) in enumerate(zip(messages, chunk, ids, strict=True)):
            m.refresh_from_db()
            assert (m.next_action_at, m.notify_id, m.polls) == (t, n, i * 7)
    assert bulk._pg_array([1, None, 3]) == "{1,NULL,3}"
    assert bulk._pg_array([True, 2]) == [True, 2]  # a bool is not written as an integer
    assert bulk._pg_array(elsewhere) == elsewhere
