"""The API key and its secret never appear in a repr, a str, an exception or
a log line of the client."""

from __future__ import annotations

import logging

import pytest

from django_govuk_notify_outbox import _core
from django_govuk_notify_outbox.client import NotificationsAPIClient
from django_govuk_notify_outbox.errors import APIError

from .servers import API_KEY, SECRET, SERVICE_ID, TEMPLATE_ID, FakeNotify

SECRET_PARTS = (API_KEY, SECRET, SECRET.replace("-", ""))


def assert_no_secret(text: str) -> None:
    for part in SECRET_PARTS:
        assert part not in text


def test_reprs_show_the_service_id_and_base_url_only(notify: FakeNotify) -> None:
    client = NotificationsAPIClient(API_KEY, notify.url)
    for obj in (client, client._core):
        for text in (repr(obj), str(obj)):
            assert SERVICE_ID in text
            assert notify.url in text
            assert_no_secret(text)
    core = _core.Client(API_KEY, notify.url)
    assert repr(core) == (
        f"<django_govuk_notify_outbox._core.Client service_id={SERVICE_ID!r} "
        f"base_url={notify.url!r}>"
    )
    assert_no_secret(str(vars(client)))


@pytest.mark.parametrize(
    ("key", "kwargs"),
    [
        (API_KEY, {"base_url": "ftp://example.com"}),
        (API_KEY, {"base_url": "http://h:99999999"}),
        (API_KEY, {"timeout": -1}),
        (API_KEY, {"connect_timeout": "x"}),
        (API_KEY, {"max_in_flight": 0}),
        (API_KEY, {"rate_limit_burst": -1}),
        (API_KEY, {"ca_bundle": 3}),
        (API_KEY[:-1] + "g", {}),  # the secret part is not a UUID
        (API_KEY[:-1], {}),  # too short
        ("x" + API_KEY[-73:].replace("-", "_", 1), {}),  # no separator
    ],
    ids=lambda value: "" if isinstance(value, str) else ",".join(map(str, value)),
)
def test_errors_for_bad_arguments_never_include_the_key(
    key: str, kwargs: dict[str, object]
) -> None:
    kwargs.setdefault("base_url", "http://127.0.0.1:9")
    with pytest.raises((ValueError, TypeError)) as excinfo:
        NotificationsAPIClient(key, **kwargs)  # type: ignore[arg-type]
    assert_no_secret(str(excinfo.value) + repr(excinfo.value))
    assert key[-36:] not in str(excinfo.value)
    core_kwargs = {k: v for k, v in kwargs.items() if k != "base_url"}
    with pytest.raises((ValueError, TypeError)) as excinfo:
        _core.Client(key, str(kwargs["base_url"]), **core_kwargs)  # type: ignore[arg-type]
    assert_no_secret(str(excinfo.value) + repr(excinfo.value))
    assert key[-36:] not in str(excinfo.value)


def test_http_errors_results_and_log_lines_never_include_the_key(
    notify: FakeNotify, caplog: pytest.LogCaptureFixture
) -> None:
    client = NotificationsAPIClient(API_KEY, notify.url)
    notify.answer("/v2/notifications/email", 403, b'{"errors":[{"error":"AuthError"}]}')
    with caplog.at_level(logging.DEBUG), pytest.raises(APIError) as excinfo:
        client.send_email_notification("a@example.com", TEMPLATE_ID)
    assert_no_secret(str(excinfo.value) + repr(excinfo.value) + repr(excinfo.value.response))
    (result,) = client.send_email_notifications(
        [{"email_address": "a@example.com", "template_id": TEMPLATE_ID}]
    )
    assert_no_secret(repr(result) + result.error)
    assert_no_secret(caplog.text)
    # The token does reach the server (so the check above is not vacuous).
    assert notify.requests[0].headers["authorization"].startswith("Bearer ")
