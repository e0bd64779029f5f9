"""Secrets never show: the settings' repr, Django's DEBUG page for a failed sync, logs.

And the redaction rule for event bodies (django_govuk_notify_outbox.redaction).
"""

from __future__ import annotations

import json
import logging
import pprint
import re
import sys
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.views.debug import ExceptionReporter, technical_500_response
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import conf, outbox, redaction
from django_govuk_notify_outbox.models import EmailEvent
from django_govuk_notify_outbox.outbox import sync
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_WELCOME, outbox_settings

WELCOME_PERSONALISATION = {"name": "Ada", "reference_number": "R-1"}
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def secrets_of(key: str) -> list[str]:
    """The whole key and its secret part (the last 36 characters)."""
    return [key, key[-36:]]


def assert_no_secret(text: str, key: str) -> None:
    for secret in secrets_of(key):
        assert secret not in text
    assert not JWT.search(text), JWT.search(text)


def test_the_settings_repr_and_str_show_the_key_name_and_service_id_only(
    settings: SettingsWrapper,
) -> None:
    key: str = settings.GOVUK_NOTIFY_API_KEY
    loaded = conf.get_settings()
    for text in (repr(loaded), str(loaded), pprint.pformat(loaded), f"{loaded}"):
        assert_no_secret(text, key)
        assert key[-73:-37] in text  # the service id, to tell keys apart
    api_key = loaded.api_key
    assert isinstance(api_key, conf.ApiKey)
    args = (api_key, api_key)
    logged = logging.LogRecord("x", logging.ERROR, __file__, 1, "key %s %r", args, None)
    for text in (repr(api_key), str(api_key), f"{api_key}", logged.getMessage()):
        assert_no_secret(text, key)
    # Still the key wherever the key is needed.
    assert api_key == key
    assert api_key.reveal() == key
    assert type(api_key.reveal()) is str
    built = conf.OutboxSettings(api_key=key)
    assert isinstance(built.api_key, conf.ApiKey)
    assert_no_secret(repr(built), key)


def _fail_on_event_insert(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
) -> Any:
    # The events' INSERT (a COPY on PostgreSQL).
    if sql.lstrip().upper().startswith(("INSERT", "COPY")) and "emailevent" in sql.lower():
        raise OperationalError("simulated: the event table is unavailable")
    return execute(sql, params, many, context)


@pytest.mark.django_db
def test_the_debug_page_of_a_failed_sync_shows_no_key_secret_or_jwt(
    emulator: Any, settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    """A run against the emulator fails while recording (a database error after the HTTP):
    Django's technical 500 page, which shows every frame's locals, has no secret."""
    settings.DEBUG = True
    key: str = settings.GOVUK_NOTIFY_API_KEY
    send_email_notification(
        "ada@example.gov.uk", TEMPLATE_WELCOME, personalisation=WELCOME_PERSONALISATION
    )
    exc_info: Any = None
    with caplog.at_level(logging.DEBUG), connection.execute_wrapper(_fail_on_event_insert):
        try:
            sync()
        except OperationalError:
            exc_info = sys.exc_info()
    assert exc_info is not None, "the run did not fail"
    exc_type, exc_value, tb = exc_info
    # The failure came after the HTTP request: Notify has the email.
    assert sum(emulator.stats()["references"].values()) == 1
    names = []
    walk = tb
    while walk is not None:
        names.append(walk.tb_frame.f_code.co_name)
        walk = walk.tb_next
    assert names[1] == "sync"  # raised inside the engine, the settings and client in scope
    # The page as a view calling sync() would show it: from sync()'s frame on (this
    # test's own frame holds the key, a view's would not).
    tb = tb.tb_next
    request = RequestFactory().get("/admin/")
    reporter = ExceptionReporter(request, exc_type, exc_value, tb)
    html = reporter.get_traceback_html()
    assert "simulated: the event table is unavailable" in html
    assert "OutboxSettings(" in html  # the settings are on the page, their key hidden
    assert_no_secret(html, key)
    assert_no_secret(reporter.get_traceback_text(), key)
    page = technical_500_response(request, exc_type, exc_value, tb)
    assert page.status_code == 500
    assert_no_secret(page.content.decode(), key)
    assert_no_secret(caplog.text, key)


# --- the redaction rule for event bodies ------------------------------------------------------

POST_201 = {
    "content": {
        "body": "Dear Zaphod Secret, your reset link is https://example.gov.uk/reset/abc",
        "from_email": "service@notifications.service.gov.uk",
        "one_click_unsubscribe_url": None,
        "subject": "Reset for Zaphod Secret",
    },
    "id": "740e5834-3a29-46b4-9a6f-16142fde533a",
    "reference": "outbox-1",
    "sanitised_content": {},
    "scheduled_for": None,
    "template": {"id": TEMPLATE_WELCOME, "uri": "https://x/t", "version": 1},
    "uri": "https://x/v2/notifications/740e5834-3a29-46b4-9a6f-16142fde533a",
}
GET_ONE = {
    "body": "Dear Zaphod Secret",
    "subject": "Reset for Zaphod Secret",
    "personalisation": {"name": "Zaphod Secret"},
    "email_address": "z@example.gov.uk",
    "status": "delivered",
}


@pytest.mark.parametrize("limit", [40, 100, 300, 2000, 100_000])
@pytest.mark.parametrize("body", [POST_201, {"notifications": [GET_ONE] * 30}, GET_ONE])
def test_bodies_are_redacted_whatever_their_length(body: dict[str, Any], limit: int) -> None:
    raw = json.dumps(body).encode()
    text = redaction.response_text(raw, show_personalisation=False, limit=limit)
    assert len(text) <= limit
    assert "Zaphod" not in text
    assert "reset/abc" not in text
    # Displayed again (e.g. to a user without the permission): still nothing personal.
    assert "Zaphod" not in redaction.display_text(text, show_personalisation=False)
    # The engine passes the body as it parsed it (answers.interpret): the same text.
    for show in (False, True):
        assert redaction.response_text(
            raw, show_personalisation=show, limit=limit, parsed=json.loads(raw)
        ) == redaction.response_text(raw, show_personalisation=show, limit=limit)


def test_a_long_body_is_cut_as_valid_json_so_it_can_be_redacted_when_displayed() -> None:
    body = {"notifications": [GET_ONE] * 30}
    raw = json.dumps(body).encode()
    stored = redaction.response_text(raw, show_personalisation=True, limit=2000)
    assert len(stored) <= 2000
    kept = json.loads(stored)  # still JSON, though cut
    assert "[truncated]" in stored
    assert kept["notifications"][0]["personalisation"] == {"name": "Zaphod Secret"}
    shown = redaction.display_text(stored, show_personalisation=False)
    assert "Zaphod" not in shown
    assert json.loads(shown)["notifications"][0]["personalisation"] == "(hidden: 1 keys)"
    assert redaction.display_text(stored, show_personalisation=True) == stored


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps(POST_201)[:150].encode(),  # cut mid-way by a proxy
        b'{"body": "Dear Zaphod Secret", ',
        b'["Zaphod Secret",',
        b"\xff\xfe{" + b'"subject": "Zaphod Secret' * 3,
        ("[" * 100_000).encode(),  # deeper than the JSON parser goes
    ],
)
@pytest.mark.parametrize("show", [False, True])
def test_a_json_body_that_does_not_parse_is_never_kept(raw: bytes, show: bool) -> None:
    text = redaction.response_text(raw, show_personalisation=show, limit=2000)
    assert "Zaphod" not in text
    assert f"{len(raw)} bytes" in text or "bytes" in text
    assert "not kept" in text


def test_text_that_is_not_json_is_kept_cut_to_the_limit() -> None:
    page = b"<html><body>502 Bad Gateway</body></html>" * 100
    text = redaction.response_text(page, show_personalisation=False, limit=200)
    assert text.startswith("<html><body>502 Bad Gateway")
    assert len(text) <= 200
    assert text.endswith("[truncated]")


def test_request_payloads_follow_the_same_rule() -> None:
    payload = {
        "email_address": "z@example.gov.uk",
        "template_id": TEMPLATE_WELCOME,
        "personalisation": {"name": "Zaphod Secret", "notes": "x" * 5000},
    }
    hidden = redaction.request_text(payload, show_personalisation=False, limit=2000)
    assert json.loads(hidden)["personalisation"] == "(hidden: 2 keys)"
    shown = redaction.request_text(payload, show_personalisation=True, limit=2000)
    assert len(shown) <= 2000
    assert json.loads(shown)["personalisation"]["name"] == "Zaphod Secret"
    assert "Zaphod" not in redaction.display_text(shown, show_personalisation=False)


@pytest.mark.parametrize("depth", [300, 5000])
def test_deep_json_is_redacted_or_not_kept(depth: int) -> None:
    deep = '{"a": [' * depth + '{"personalisation": {"name": "Zaphod"}}' + "]}" * depth
    for limit in (None, 2000):
        text = redaction.redact_json_text(deep, show_personalisation=False, limit=limit)
        assert "Zaphod" not in text


@pytest.mark.django_db
def test_events_recorded_with_the_setting_on_are_shown_redacted_without_the_permission(
    emulator: Any, settings: SettingsWrapper
) -> None:
    """The engine stores Notify's filled-in body while SHOW_PERSONALISATION_IN_ADMIN is on;
    the redaction used by the admin hides it again."""
    outbox_settings(settings, SHOW_PERSONALISATION_IN_ADMIN=True)
    message = send_email_notification(
        "ada@example.gov.uk", TEMPLATE_WELCOME, personalisation=WELCOME_PERSONALISATION
    )
    outbox.sync()
    post = EmailEvent.objects.get(message=message, method="POST")
    assert "Ada" in post.response_body  # Notify's filled-in body, kept as allowed
    for stored in (post.request_body, post.response_body):
        assert "Ada" not in redaction.display_text(stored, show_personalisation=False)
