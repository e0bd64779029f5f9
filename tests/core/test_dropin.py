"""The drop-in client behaves like notifications-python-client 13.0.0.

Same calls, same local server: equal return values, equal exceptions (class
name, status_code, message, str) and byte-identical request bodies.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import notifications_python_client
import pytest
from notifications_python_client.notifications import NotificationsAPIClient as _Official

from django_govuk_notify_outbox import __version__, _core, errors
from django_govuk_notify_outbox.client import NotificationsAPIClient

from .compare import assert_same_behaviour
from .servers import API_KEY, SECRET, SERVICE_ID, STORED, TEMPLATE_ID, FakeNotify, _notification

KNOWN_ID = _notification(3, "")["id"]


def OfficialClient(api_key: str, base_url: str) -> Any:
    """The reference client (its package is untyped)."""
    return _Official(api_key, base_url=base_url)  # type: ignore[no-untyped-call]


MISSING_ID = "0f0f0f0f-0000-4000-8000-000000000000"

CALLS: dict[str, Callable[[Any], Any]] = {
    "send_minimal": lambda c: c.send_email_notification("a@example.com", TEMPLATE_ID),
    "send_all_arguments": lambda c: c.send_email_notification(
        "a@example.com",
        TEMPLATE_ID,
        personalisation={"name": "Zoë", "items": ["x", "y"], "n": 3, "tags": {"only"}},
        reference="ref-1",
        email_reply_to_id="7e7e7e7e-0000-4000-8000-000000000000",
        one_click_unsubscribe_url="https://example.com/unsubscribe",
        sanitise_content_for=["name"],
    ),
    "send_falsy_optionals_omitted": lambda c: c.send_email_notification(
        "a@example.com", TEMPLATE_ID, personalisation={}, reference="", email_reply_to_id=None
    ),
    "send_rejected_400": lambda c: c.send_email_notification("invalid@example.com", TEMPLATE_ID),
    "send_throttled_429": lambda c: c.send_email_notification("ratelimited@x.com", TEMPLATE_ID),
    "send_500_html": lambda c: c.send_email_notification("boom@example.com", TEMPLATE_ID),
    "send_503_json": lambda c: c.send_email_notification("unavailable@example.com", TEMPLATE_ID),
    "send_201_not_json": lambda c: c.send_email_notification("notjson@example.com", TEMPLATE_ID),
    "get_by_id": lambda c: c.get_notification_by_id(KNOWN_ID),
    "get_by_id_missing": lambda c: c.get_notification_by_id(MISSING_ID),
    "get_by_id_not_uuid": lambda c: c.get_notification_by_id("not-a-uuid"),
    "get_all": lambda c: c.get_all_notifications(),
    "get_all_filtered": lambda c: c.get_all_notifications(
        status="delivered", template_type="email", reference="ref-2", include_jobs=True
    ),
    "get_all_status_list": lambda c: c.get_all_notifications(status=["created", "failed"]),
    "get_all_older_than": lambda c: c.get_all_notifications(older_than=KNOWN_ID),
    "iterate_all": lambda c: list(c.get_all_notifications_iterator()),
    "iterate_by_reference": lambda c: list(c.get_all_notifications_iterator(reference="ref-4")),
    "get_template": lambda c: c.get_template(TEMPLATE_ID),
    "get_template_missing": lambda c: c.get_template(MISSING_ID),
    "get_all_templates": lambda c: c.get_all_templates(),
    "get_all_templates_email": lambda c: c.get_all_templates("email"),
    "get_all_templates_bad_type": lambda c: c.get_all_templates("pigeon"),
    "no_content_204": lambda c: c.get("/empty"),
    "plain_text_200": lambda c: c.get("/plain"),
    "unknown_route_legacy_404": lambda c: c.get("/v2/nothing-here"),
    "path_needing_quoting": lambda c: c.get_notification_by_id("a b/c"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_result_or_exception_as_the_official_client(notify: FakeNotify, name: str) -> None:
    official = OfficialClient(API_KEY, base_url=notify.url)
    ours = NotificationsAPIClient(API_KEY, base_url=notify.url)
    call = CALLS[name]
    assert_same_behaviour(official, ours, call)
    # Both sent the same requests: same method, path+query and body bytes.
    recorded = notify.requests
    assert len(recorded) % 2 == 0
    half = len(recorded) // 2
    theirs, mine = recorded[:half], recorded[half:]
    assert [(r.method, r.path, r.body) for r in mine] == [
        (r.method, r.path, r.body) for r in theirs
    ]
    assert all(r.headers["content-type"] == "application/json" for r in mine if r.body)


def test_iterator_walks_every_page(notify: FakeNotify) -> None:
    ours = NotificationsAPIClient(API_KEY, base_url=notify.url)
    rows = list(ours.get_all_notifications_iterator())
    assert len(rows) == STORED
    assert [r["reference"] for r in rows] == [f"ref-{n}" for n in range(STORED, 0, -1)]


def test_base_url_path_is_dropped_like_urljoin(notify: FakeNotify) -> None:
    url = notify.url + "/some/prefix"
    official = OfficialClient(API_KEY, base_url=url)
    ours = NotificationsAPIClient(API_KEY, base_url=url)
    assert_same_behaviour(official, ours, lambda c: c.get_template(TEMPLATE_ID))
    assert [r.path for r in notify.requests] == [f"/v2/template/{TEMPLATE_ID}"] * 2


def test_connection_refused_raises_the_same_503_as_the_official_client(refused: str) -> None:
    official = OfficialClient(API_KEY, base_url=refused)
    ours = NotificationsAPIClient(API_KEY, base_url=refused)
    got = assert_same_behaviour(official, ours, CALLS["send_minimal"])
    assert got == ("raised", "HTTP503Error", 503, "Request failed", "503 - Request failed")
    with pytest.raises(errors.HTTP503Error) as info:
        CALLS["send_minimal"](ours)
    assert info.value.outcome == "not_sent"
    assert info.value.response is None


def test_wrong_secret_gets_the_same_403(notify: FakeNotify) -> None:
    key = f"k-{SERVICE_ID}-00000000-0000-4000-8000-000000000000"
    got = assert_same_behaviour(
        OfficialClient(key, base_url=notify.url),
        NotificationsAPIClient(key, base_url=notify.url),
        CALLS["get_template"],
    )
    assert got[:3] == ("raised", "HTTPError", 403)


def test_errors_expose_response_and_outcome(notify: FakeNotify) -> None:
    ours = NotificationsAPIClient(API_KEY, base_url=notify.url)
    with pytest.raises(errors.HTTPError) as info:
        ours.send_email_notification("invalid@example.com", TEMPLATE_ID)
    e = info.value
    assert isinstance(e, errors.APIError)
    assert e.outcome == "rejected"
    assert e.response is not None
    assert e.response.status_code == 400
    assert e.response.json()["errors"][0]["error"] == "ValidationError"
    with pytest.raises(errors.HTTP503Error) as info503:
        ours.send_email_notification("unavailable@example.com", TEMPLATE_ID)
    assert info503.value.outcome == "unknown"
    with pytest.raises(errors.InvalidResponse) as invalid:
        ours.get("/plain")
    assert invalid.value.message == "No JSON response object could be decoded"


def test_every_request_carries_a_fresh_valid_jwt_and_our_user_agent(notify: FakeNotify) -> None:
    ours = NotificationsAPIClient(API_KEY, base_url=notify.url)
    ours.send_email_notifications(
        [{"email_address": "a@example.com", "template_id": TEMPLATE_ID}] * 3
    )
    ours.get_template(TEMPLATE_ID)
    now = time.time()
    for r in notify.requests:
        assert r.headers["user-agent"] == f"django-govuk-notify-outbox/{__version__}"
        assert r.claims is not None
        assert r.claims["iss"] == SERVICE_ID
        assert abs(r.claims["iat"] - now) < 5
        assert set(r.claims) == {"iss", "iat"}
        token = r.headers["authorization"][len("Bearer ") :]
        assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}


def test_jwt_token_is_identical_to_the_official_clients() -> None:
    from notifications_python_client.authentication import create_jwt_token

    for _ in range(3):
        iat = int(time.time())
        theirs = create_jwt_token(SECRET, SERVICE_ID)  # type: ignore[no-untyped-call]
        if int(time.time()) == iat:
            assert _core.jwt_token(SERVICE_ID, SECRET, iat) == theirs
            return
    pytest.fail("clock kept crossing a second boundary")


def test_official_client_version_is_the_one_we_match() -> None:
    assert notifications_python_client.__version__ == "13.0.0"
