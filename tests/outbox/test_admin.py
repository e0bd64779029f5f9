"""The admin: list, filters, search, read-only detail with events, actions, the pause banner."""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import statuses
from django_govuk_notify_outbox.models import EmailEvent, EmailMessage, SyncLease, reference_digest
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_PLAIN, TEMPLATE_WELCOME, outbox_settings

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/django_govuk_notify_outbox/emailmessage/"


def detail_url(message: EmailMessage) -> str:
    return f"{LIST_URL}{message.pk}/change/"


@pytest.fixture
def superuser_client(client: Client) -> Client:
    user = User.objects.create_superuser("root", "root@example.gov.uk", "pw")
    client.force_login(user)
    return client


def staff_client(*codenames: str) -> Client:
    user = User.objects.create_user(f"staff-{uuid.uuid4().hex[:6]}", is_staff=True)
    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(
                content_type__app_label="django_govuk_notify_outbox", codename=codename
            )
        )
    client = Client()
    client.force_login(user)
    return client


def bulk_messages(n: int) -> None:
    now = timezone.now()
    rows = []
    for i in range(n):
        ref = f"outbox-{uuid.uuid4()}"
        rows.append(
            EmailMessage(
                email_address=f"user{i}@example.gov.uk",
                template_id=TEMPLATE_WELCOME,
                sent_reference=ref,
                sent_reference_digest=reference_digest(ref),
                status=statuses.ALL[i % len(statuses.ALL)],
                created_at=now - timedelta(minutes=i),
            )
        )
    EmailMessage.objects.bulk_create(rows, batch_size=1000)


def test_changelist_of_10000_rows_never_counts_the_whole_table(
    superuser_client: Client,
) -> None:
    bulk_messages(10_000)
    first_page = superuser_client.get(LIST_URL).content.decode()
    assert "user0@example.gov.uk" in first_page
    assert "user60@example.gov.uk" not in first_page  # 50 a page, newest first
    for url in (LIST_URL, f"{LIST_URL}?status__exact=notify-delivered", f"{LIST_URL}?p=3"):
        with CaptureQueriesContext(connection) as queries:
            response = superuser_client.get(url)
        assert response.status_code == 200
        assert len(queries) <= 10, [q["sql"] for q in queries]
        for query in queries:
            sql = query["sql"].upper()
            if "COUNT(" in sql:
                # Only a capped count: COUNT(*) over a LIMITed subquery.
                assert re.search(r"LIMIT \d+", sql), sql


def test_changelist_shows_columns_and_a_coloured_status_badge(superuser_client: Client) -> None:
    message = send_email_notification("ada@example.gov.uk", TEMPLATE_WELCOME)
    content = superuser_client.get(LIST_URL).content.decode()
    assert "ada@example.gov.uk" in content
    assert TEMPLATE_WELCOME in content
    assert 'class="ngo-status ngo-status--sending-to-notify"' in content
    assert "django_govuk_notify_outbox/admin.css" in content
    assert detail_url(message) in content


def test_filters_by_status_and_date(superuser_client: Client) -> None:
    old = send_email_notification("old@example.gov.uk", TEMPLATE_WELCOME)
    new = send_email_notification("new@example.gov.uk", TEMPLATE_WELCOME)
    EmailMessage.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=40), status=statuses.NOTIFY_DELIVERED
    )
    content = superuser_client.get(f"{LIST_URL}?status__exact=notify-delivered").content.decode()
    assert "old@example.gov.uk" in content
    assert "new@example.gov.uk" not in content
    # The date filter's "Today" link, exactly as the changelist renders it.
    page = superuser_client.get(LIST_URL).content.decode()
    today_link = re.search(r'href="(\?created_at__gte=[^"]+)"', page)
    assert today_link is not None
    today_url = LIST_URL + today_link.group(1).replace("&amp;", "&")
    content = superuser_client.get(today_url).content.decode()
    assert "new@example.gov.uk" in content
    assert "old@example.gov.uk" not in content
    assert new.pk


def test_search_by_recipient_notify_id_and_reference(superuser_client: Client) -> None:
    a = send_email_notification("findme@example.gov.uk", TEMPLATE_WELCOME)
    b = send_email_notification("other@example.gov.uk", TEMPLATE_WELCOME, reference="case-77")
    c = send_email_notification("third@example.gov.uk", TEMPLATE_WELCOME)
    notify_id = uuid.uuid4()
    EmailMessage.objects.filter(pk=c.pk).update(notify_id=notify_id)
    for term, expected, absent in [
        ("findme@example.gov.uk", "findme@", "other@"),
        ("FindMe@Example.gov.uk", "findme@", "other@"),
        ("case-77", "other@", "findme@"),
        (a.sent_reference, "findme@", "third@"),
        (str(notify_id), "third@", "findme@"),
    ]:
        content = superuser_client.get(LIST_URL, {"q": term}).content.decode()
        assert expected in content, term
        assert absent not in content, term
    assert b.pk


def test_detail_is_read_only_with_the_event_timeline(superuser_client: Client) -> None:
    message = send_email_notification(
        "ada@example.gov.uk", TEMPLATE_WELCOME, personalisation={"name": "Secret Name"}
    )
    EmailEvent.objects.create(
        message=message,
        kind="http",
        method="POST",
        path="/v2/notifications/email",
        http_status=201,
        outcome="accepted",
        duration=0.05,
        response_body='{"id": "x"}',
    )
    response = superuser_client.get(detail_url(message))
    content = response.content.decode()
    assert response.status_code == 200
    assert "/v2/notifications/email" in content
    assert 'name="_save"' not in content  # read-only: no save button
    assert "Secret Name" not in content
    assert "Hidden (1 fields)" in content
    # No add, edit or delete by hand.
    assert superuser_client.get(f"{LIST_URL}add/").status_code == 403
    assert (
        superuser_client.post(detail_url(message), {"email_address": "x@y.com"}).status_code == 403
    )
    assert superuser_client.get(f"{LIST_URL}{message.pk}/delete/").status_code == 403


def test_personalisation_needs_the_setting_and_the_permission(settings: SettingsWrapper) -> None:
    message = send_email_notification(
        "ada@example.gov.uk", TEMPLATE_WELCOME, personalisation={"name": "Secret Name"}
    )
    viewer = staff_client("view_emailmessage")
    trusted = staff_client("view_emailmessage", "view_personalisation")
    assert "Secret Name" not in viewer.get(detail_url(message)).content.decode()
    assert "Secret Name" not in trusted.get(detail_url(message)).content.decode()
    outbox_settings(settings, SHOW_PERSONALISATION_IN_ADMIN=True)
    assert "Secret Name" not in viewer.get(detail_url(message)).content.decode()
    assert "Secret Name" in trusted.get(detail_url(message)).content.decode()


def _action(client: Client, action: str, *messages: EmailMessage) -> Any:
    return client.post(
        LIST_URL,
        {"action": action, "_selected_action": [str(m.pk) for m in messages]},
        follow=True,
    )


def test_retry_now_action_requeues_a_failed_email(superuser_client: Client) -> None:
    message = send_email_notification("ada@example.gov.uk", TEMPLATE_WELCOME)
    EmailMessage.objects.filter(pk=message.pk).update(
        status=statuses.FAILED_SEND_TO_NOTIFY, attempts=10, next_action_at=None
    )
    response = _action(superuser_client, "retry_now", message)
    assert "1 email(s) queued for an immediate retry" in response.content.decode()
    stored = EmailMessage.objects.get(pk=message.pk)
    assert stored.status == statuses.RETRYING_SEND_TO_NOTIFY
    assert stored.attempts == 0
    assert EmailEvent.objects.filter(message=message, detail="Retry requested by root").exists()


def test_retry_now_in_a_status_filtered_list_counts_only_what_it_skipped(
    superuser_client: Client,
) -> None:
    failed = send_email_notification("ada@example.gov.uk", TEMPLATE_WELCOME)
    delivered = send_email_notification("bob@example.gov.uk", TEMPLATE_WELCOME)
    EmailMessage.objects.filter(pk=failed.pk).update(
        status=statuses.FAILED_SEND_TO_NOTIFY, next_action_at=None
    )
    EmailMessage.objects.filter(pk=delivered.pk).update(
        status=statuses.NOTIFY_DELIVERED, next_action_at=None
    )
    response = superuser_client.post(
        LIST_URL + "?status__exact=" + statuses.FAILED_SEND_TO_NOTIFY,
        {"action": "retry_now", "_selected_action": [str(failed.pk)]},
        follow=True,
    )
    content = response.content.decode()
    assert "1 email(s) queued for an immediate retry" in content
    assert "skipped" not in content
    response = _action(superuser_client, "retry_now", delivered)
    content = response.content.decode()
    assert "0 email(s) queued for an immediate retry" in content
    assert "1 email(s) skipped" in content


def test_refresh_status_action_schedules_a_poll(superuser_client: Client) -> None:
    message = send_email_notification("ada@example.gov.uk", TEMPLATE_WELCOME)
    EmailMessage.objects.filter(pk=message.pk).update(
        status=statuses.NOTIFY_SENDING,
        notify_id=uuid.uuid4(),
        next_action_at=timezone.now() + timedelta(hours=2),
    )
    response = _action(superuser_client, "refresh_status", message)
    assert "1 email(s) will have their status fetched" in response.content.decode()
    stored = EmailMessage.objects.get(pk=message.pk)
    assert stored.next_action_at is not None
    assert stored.next_action_at <= timezone.now()


def test_actions_need_the_retry_permission() -> None:
    message = send_email_notification("ada@example.gov.uk", TEMPLATE_WELCOME)
    EmailMessage.objects.filter(pk=message.pk).update(
        status=statuses.FAILED_SEND_TO_NOTIFY, next_action_at=None
    )
    viewer = staff_client("view_emailmessage")
    content = viewer.get(LIST_URL).content.decode()
    assert "retry_now" not in content
    _action(viewer, "retry_now", message)
    assert EmailMessage.objects.get(pk=message.pk).status == statuses.FAILED_SEND_TO_NOTIFY
    operator = staff_client("view_emailmessage", "retry_emailmessage")
    assert "retry_now" in operator.get(LIST_URL).content.decode()
    _action(operator, "retry_now", message)
    assert EmailMessage.objects.get(pk=message.pk).status == statuses.RETRYING_SEND_TO_NOTIFY


def test_the_auth_pause_banner_shows_while_sending_is_paused(superuser_client: Client) -> None:
    message = send_email_notification("ada@example.gov.uk", TEMPLATE_WELCOME)
    assert "Sending is paused" not in superuser_client.get(LIST_URL).content.decode()
    SyncLease.objects.create(
        pk=SyncLease.SINGLETON_ID,
        auth_paused=True,
        auth_paused_since=timezone.now(),
        auth_paused_message="HTTP 403 AuthError: Invalid token: API key not found",
    )
    for url in (LIST_URL, detail_url(message)):
        content = superuser_client.get(url).content.decode()
        assert "Sending is paused" in content
        assert "API key not found" in content


# --- what the query string can reach ---------------------------------------------------------

RESET_LINK = "https://example.gov.uk/reset/C0ffee"


def _reset_email() -> EmailMessage:
    return send_email_notification(
        "ada@example.gov.uk", TEMPLATE_WELCOME, personalisation={"link": RESET_LINK}
    )


def test_a_view_only_user_cannot_probe_personalisation_through_lookups() -> None:
    """The audit's request: a right and a wrong guess get the same error, no row count."""
    message = _reset_email()
    viewer = staff_client("view_emailmessage")
    answers = []
    for guess in ("C", "X"):
        response = viewer.get(
            LIST_URL,
            {
                "id__exact": str(message.pk),
                "personalisation__link__regex": rf"^{RESET_LINK[:-6]}{guess}",
            },
        )
        assert response.status_code == 400
        content = response.content.decode()
        assert "ada@example.gov.uk" not in content
        assert not re.search(r"\b[01] (result|email message)", content)
        answers.append(content)
    assert answers[0] == answers[1]


@pytest.mark.parametrize(
    "query",
    [
        {"personalisation__icontains": "reset"},
        {"personalisation__link__startswith": "https"},
        {"personalisation__has_key": "link"},
        {"id__exact": "1"},
        {"pk": "1"},
        {"template_id__exact": TEMPLATE_WELCOME},
        {"attempts__gt": "0"},
        {"last_error__contains": "x"},
        {"email_address__startswith": "ada"},
        {"sent_reference__startswith": "outbox-"},
        {"one_click_unsubscribe_url__contains": "x"},
        {"events__response_body__contains": "Dear"},
        {"events__request_body__icontains": "link"},
        {"status__in": "sending-to-notify"},
        {"status__exact": "sending-to-notify", "updated_at__gte": "2000-01-01"},
        {"_to_field": "personalisation"},
    ],
)
def test_every_undeclared_lookup_is_refused(query: dict[str, str]) -> None:
    _reset_email()
    for client in (staff_client("view_emailmessage"), staff_client(*ALL_PERMISSIONS)):
        response = client.get(LIST_URL, query)
        assert response.status_code == 400, query
        assert "ada@example.gov.uk" not in response.content.decode()


ALL_PERMISSIONS = ("view_emailmessage", "retry_emailmessage", "view_personalisation")


def _order_by_columns(client: Client, order: str) -> str:
    """The ORDER BY clauses of the changelist's queries for ``?o=order``."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST_URL, {"o": order}).status_code == 200
    return " | ".join(
        q["sql"].upper().split("ORDER BY", 1)[1].lower().replace("`", '"')
        for q in queries
        if "emailmessage" in q["sql"] and "ORDER BY" in q["sql"].upper()
    )


def test_sorting_is_only_by_indexed_columns(superuser_client: Client) -> None:
    bulk_messages(30)
    # The changelist's columns: 0 the action checkbox, 1 email_address, 2 template_id,
    # 3 status, 4 attempts, 5 created_at, 6 updated_at. 1, 3 and 5 are indexed.
    assert "email_address" in _order_by_columns(superuser_client, "1")
    assert '"status"' in _order_by_columns(superuser_client, "-3")
    for index, column in ((2, "template_id"), (4, "attempts"), (6, "updated_at")):
        for order in (str(index), f"-{index}", f"1.{index}"):
            assert column not in _order_by_columns(superuser_client, order), order


def test_view_emailmessage_alone_shows_the_timeline() -> None:
    message = send_email_notification("ada@example.gov.uk", TEMPLATE_WELCOME)
    EmailEvent.objects.create(
        message=message,
        kind="http",
        method="POST",
        path="/v2/notifications/email",
        http_status=201,
        outcome="accepted",
        detail="Accepted by Notify",
    )
    content = staff_client("view_emailmessage").get(detail_url(message)).content.decode()
    assert "Accepted by Notify" in content
    assert "/v2/notifications/email" in content


def _event_with_personal_bodies(message: EmailMessage) -> None:
    """An event as the engine records it while SHOW_PERSONALISATION_IN_ADMIN is on."""
    EmailEvent.objects.create(
        message=message,
        kind="http",
        method="POST",
        path="/v2/notifications/email",
        http_status=201,
        outcome="accepted",
        request_body=json.dumps({"personalisation": {"link": RESET_LINK}, "reference": "r-1"}),
        response_body=json.dumps(
            {"content": {"body": f"Reset: {RESET_LINK}", "subject": "Reset Zaphod"}, "id": "n-1"}
        ),
    )


def test_event_bodies_are_shown_redacted_without_the_personalisation_permission(
    settings: SettingsWrapper,
) -> None:
    message = _reset_email()
    _event_with_personal_bodies(message)
    viewer = staff_client("view_emailmessage")
    trusted = staff_client("view_emailmessage", "view_personalisation")
    for on in (False, True):
        outbox_settings(settings, SHOW_PERSONALISATION_IN_ADMIN=on)
        content = viewer.get(detail_url(message)).content.decode()
        assert "reset/C0ffee" not in content
        assert "Zaphod" not in content
        assert "(hidden: 1 keys)" in html.unescape(content)  # the personalisation
        assert "(hidden: 2 keys)" in html.unescape(content)  # Notify's filled-in content
        assert "r-1" in content  # the rest of the body is shown
    trusted_content = trusted.get(detail_url(message)).content.decode()
    assert "reset/C0ffee" in trusted_content
    assert "Zaphod" in trusted_content
    outbox_settings(settings, SHOW_PERSONALISATION_IN_ADMIN=False)
    assert "reset/C0ffee" not in trusted.get(detail_url(message)).content.decode()


@pytest.mark.parametrize("term", [RESET_LINK, "C0ffee", "ada@", "%", ".*"])
def test_search_matches_only_exact_indexed_values_never_personalisation(term: str) -> None:
    _reset_email()
    viewer = staff_client("view_emailmessage")
    with CaptureQueriesContext(connection) as queries:
        response = viewer.get(LIST_URL, {"q": term})
    assert response.status_code == 200
    assert "ada@example.gov.uk" not in response.content.decode()
    for query in queries:
        sql = query["sql"].lower()
        if "from" in sql and "emailmessage" in sql and " where " in sql:
            where = sql.split(" where ", 1)[1]
            for column in ("personalisation", "last_error", "like"):
                assert column not in where, sql


def test_search_by_template_id_finds_its_emails_through_its_index() -> None:
    _reset_email()
    other = send_email_notification("bo@example.gov.uk", TEMPLATE_PLAIN)
    viewer = staff_client("view_emailmessage")
    content = viewer.get(LIST_URL, {"q": TEMPLATE_WELCOME}).content.decode()
    assert "ada@example.gov.uk" in content
    assert other.email_address not in content
    index_names = {index.name for index in EmailMessage._meta.indexes}
    assert "ngo_msg_template" in index_names
