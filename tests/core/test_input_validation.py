"""Bad input is refused before any network I/O, with errors naming the argument
and never containing the key or its secret."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pytest

from django_govuk_notify_outbox import _core
from django_govuk_notify_outbox.client import NotificationsAPIClient

from .servers import API_KEY, SECRET, SERVICE_ID, TEMPLATE_ID, FakeNotify


@pytest.mark.parametrize(
    ("key", "part"),
    [
        ("", "too short"),
        ("short-key", "too short"),
        (f"name-{SERVICE_ID}-{SECRET[:-1]}", "missing separator"),
        (f"name-{SERVICE_ID}x{SECRET}", "missing separator"),
        (f"namex{SERVICE_ID}-{SECRET}", "missing separator"),
        (f"name-{SERVICE_ID[:-1]}g-{SECRET}", "service id"),
        (f"name-{SERVICE_ID}-{SECRET[:-1]}z", "secret key"),
        (f"name-{SERVICE_ID}-{SECRET} ", "secret key"),
    ],
)
def test_malformed_api_key_names_the_part_and_hides_the_secret(key: str, part: str) -> None:
    with pytest.raises(ValueError, match="api_key") as info:
        NotificationsAPIClient(key, "http://127.0.0.1:9")
    message = str(info.value)
    assert part in message
    assert SECRET[:8] not in message
    assert key[-36:] not in message or len(key) < 36
    with pytest.raises(ValueError, match=part):
        _core.parse_api_key(key)


def test_api_key_must_be_a_string() -> None:
    with pytest.raises(ValueError, match="api_key"):
        NotificationsAPIClient(None, "http://127.0.0.1:9")  # type: ignore[arg-type]


def test_key_name_with_hyphens_is_accepted() -> None:
    name, service_id, secret = _core.parse_api_key(f"my-key-2024-{SERVICE_ID}-{SECRET}")
    assert (name, service_id, secret) == ("my-key-2024", SERVICE_ID, SECRET)


@pytest.mark.parametrize(
    "url",
    ["", "ftp://example.com", "not a url", "http://", "https:///path", "//host/x", "http://h:x/"],
)
def test_bad_base_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        NotificationsAPIClient(API_KEY, url)


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "30", None, True])
def test_bad_timeout_is_refused(timeout: Any) -> None:
    with pytest.raises(ValueError, match="timeout"):
        NotificationsAPIClient(API_KEY, "http://127.0.0.1:9", timeout)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"connect_timeout": 0}, "connect_timeout"),
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"rate_limit_per_minute": -1}, "rate_limit_per_minute"),
        ({"rate_limit_burst": 1.5}, "rate_limit_burst"),
    ],
)
def test_bad_limits_are_refused(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        NotificationsAPIClient(API_KEY, "http://127.0.0.1:9", **kwargs)


@pytest.mark.parametrize("value", [datetime.date(2024, 1, 1), decimal.Decimal(1), object()])
def test_personalisation_that_is_not_json_is_a_type_error_and_nothing_is_sent(
    notify: FakeNotify, value: Any
) -> None:
    client = NotificationsAPIClient(API_KEY, notify.url)
    with pytest.raises(TypeError, match="personalisation"):
        client.send_email_notification("a@example.com", TEMPLATE_ID, personalisation={"x": value})
    with pytest.raises(TypeError, match=r"notifications\[1\]: personalisation"):
        client.send_email_notifications(
            [
                {"email_address": "a@example.com", "template_id": TEMPLATE_ID},
                {
                    "email_address": "b@example.com",
                    "template_id": TEMPLATE_ID,
                    "personalisation": {"x": value},
                },
            ]
        )
    assert notify.requests == []


def test_unknown_or_missing_email_fields_are_refused(notify: FakeNotify) -> None:
    client = NotificationsAPIClient(API_KEY, notify.url)
    with pytest.raises(TypeError, match="unexpected field"):
        client.send_email_notifications(
            [{"email_address": "a@b.c", "template_id": TEMPLATE_ID, "to": 1}]
        )
    with pytest.raises(TypeError, match="template_id"):
        client.send_email_notifications([{"email_address": "a@b.c"}])
    assert notify.requests == []


def test_repr_and_errors_never_show_the_secret(notify: FakeNotify) -> None:
    client = NotificationsAPIClient(API_KEY, notify.url)
    assert SECRET not in repr(client)
    assert SECRET not in repr(client._core)
    assert SECRET not in str(vars(client))


def test_empty_batch_does_nothing(notify: FakeNotify) -> None:
    client = NotificationsAPIClient(API_KEY, notify.url)
    assert client.send_email_notifications([]) == []
    assert client.request_many([]) == []
    assert notify.requests == []


def test_perform_rejects_malformed_requests_without_sending(notify: FakeNotify) -> None:
    core = _core.Client(API_KEY, notify.url)
    with pytest.raises(TypeError, match="requests"):
        core.perform([("GET", "/x")])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="body"):
        core.perform([("POST", "/x", "not bytes")])  # type: ignore[list-item]
    assert notify.requests == []
