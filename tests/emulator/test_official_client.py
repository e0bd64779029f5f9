"""The official notifications-python-client (13.0.0) against the emulator.

Every email and reading method of ``NotificationsAPIClient`` is called as a
service would call it, and every error class it raises is provoked the way
the real service provokes it (notify-api.md §2-§4, §9).
"""

from __future__ import annotations

import socket
import time
import uuid
from typing import Any

import pytest
from notifications_python_client.errors import HTTP503Error, HTTPError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

from govuk_notify_emulator import (
    DEFAULT_REPLY_TO_ID,
    DEFAULT_SERVICE_ID,
    TEMPLATE_CONDITIONAL,
    TEMPLATE_PLAIN,
    TEMPLATE_SMS,
    TEMPLATE_WELCOME,
    NotifyEmulator,
)
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

WELCOME_VALUES = {"name": "Ann", "reference_number": "R-1"}
FAILURE_STATUSES = ("technical-failure", "temporary-failure", "permanent-failure")


def official(emulator: NotifyEmulator, key: str | None = None, timeout: float = 10) -> Any:
    """The official client for emulator, signed with key (default: the test key)."""
    return NotificationsAPIClient(  # type: ignore[no-untyped-call]
        key or emulator.api_key, base_url=emulator.base_url, timeout=timeout
    )


def send_plain(client: Any, n: int, prefix: str = "r") -> list[str]:
    """Sends n plain emails with references prefix0..; returns their ids in send order."""
    return [
        client.send_email_notification(
            f"user{i}@example.com", TEMPLATE_PLAIN, reference=f"{prefix}{i}"
        )["id"]
        for i in range(n)
    ]


def raised(call: Any) -> HTTPError:
    """The HTTPError that call() raises (fails the test when it returns)."""
    with pytest.raises(HTTPError) as info:
        call()
    return info.value


def wait_until_refused(emulator: NotifyEmulator) -> None:
    """Waits until the emulator's port refuses connections (the fault applies just after PUT)."""
    port = int(emulator.base_url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 2
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return
        assert time.monotonic() < deadline, "the port never refused connections"
        time.sleep(0.005)


# ---- sending ---------------------------------------------------------------------


def test_send_email_with_every_option_returns_notifys_201_body(
    notify_emulator: NotifyEmulator,
) -> None:
    client = official(notify_emulator)
    resp = client.send_email_notification(
        "Ann@Example.com",
        TEMPLATE_WELCOME,
        personalisation=WELCOME_VALUES,
        reference="order-1",
        email_reply_to_id=DEFAULT_REPLY_TO_ID,
        one_click_unsubscribe_url="https://example.com/unsubscribe?u=1",
    )
    root = notify_emulator.base_url + "/"
    assert str(uuid.UUID(resp["id"])) == resp["id"]
    assert resp == {
        "content": {
            "body": "Dear Ann,\n\nYour reference is R-1.\n\nThanks",
            "from_email": "emulated.service@notifications.service.gov.uk",
            "one_click_unsubscribe_url": "https://example.com/unsubscribe?u=1",
            "subject": "Hello Ann",
        },
        "id": resp["id"],
        "reference": "order-1",
        "sanitised_content": {},
        "scheduled_for": None,
        "template": {
            "id": TEMPLATE_WELCOME,
            "uri": f"{root}services/{DEFAULT_SERVICE_ID}/templates/{TEMPLATE_WELCOME}",
            "version": 1,
        },
        "uri": f"{root}v2/notifications/{resp['id']}",
    }


def test_send_email_stores_the_notification_as_sent(notify_emulator: NotifyEmulator) -> None:
    client = official(notify_emulator)
    resp = client.send_email_notification(
        "ann@example.com", TEMPLATE_WELCOME, personalisation=WELCOME_VALUES, reference="stored-1"
    )
    (stored,) = notify_emulator.notifications()
    assert stored["id"] == resp["id"]
    assert stored["email_address"] == "ann@example.com"
    assert stored["reference"] == "stored-1"
    assert stored["body"] == resp["content"]["body"]
    assert stored["subject"] == "Hello Ann"
    assert stored["key_type"] == "test"
    assert stored["service_id"] == DEFAULT_SERVICE_ID
    assert stored["one_click_unsubscribe_url"] is None


def test_send_email_without_optional_arguments_has_null_reference(
    notify_emulator: NotifyEmulator,
) -> None:
    resp = official(notify_emulator).send_email_notification("a@example.com", TEMPLATE_PLAIN)
    assert resp["reference"] is None
    assert resp["content"]["one_click_unsubscribe_url"] is None


# ---- reading notifications -------------------------------------------------------


def test_get_notification_by_id_returns_every_field_of_the_stored_notification(
    notify_emulator: NotifyEmulator,
) -> None:
    client = official(notify_emulator)
    sent = client.send_email_notification(
        "ann@example.com",
        TEMPLATE_WELCOME,
        personalisation=WELCOME_VALUES,
        reference="get-1",
        one_click_unsubscribe_url="https://example.com/u",
    )
    got = client.get_notification_by_id(sent["id"])
    (stored,) = notify_emulator.notifications()
    del stored["key_type"], stored["service_id"]
    assert got == stored
    assert got["id"] == sent["id"]
    assert got["type"] == "email"
    assert got["one_click_unsubscribe_url"] == "https://example.com/u"
    assert got["template"] == {
        "id": TEMPLATE_WELCOME,
        "uri": f"{notify_emulator.base_url}/v2/template/{TEMPLATE_WELCOME}/version/1",
        "version": 1,
    }


def test_get_all_notifications_is_newest_first_with_links(notify_emulator: NotifyEmulator) -> None:
    client = official(notify_emulator)
    ids = send_plain(client, 3)
    page = client.get_all_notifications()
    assert [n["id"] for n in page["notifications"]] == ids[::-1]
    assert page["links"] == {
        "current": f"{notify_emulator.base_url}/v2/notifications",
        "next": f"{notify_emulator.base_url}/v2/notifications?older_than={ids[0]}",
    }


def test_get_all_notifications_filters_by_status(notify_emulator: NotifyEmulator) -> None:
    client = official(notify_emulator)
    ids = send_plain(client, 5)
    notify_emulator.set_status(ids[0], "delivered")
    notify_emulator.set_status(ids[4], "created")  # forced: the lifecycle leaves it alone
    for id_, status in zip(ids[1:4], FAILURE_STATUSES, strict=True):
        notify_emulator.set_status(id_, status)
    delivered = client.get_all_notifications(status="delivered")["notifications"]
    assert [n["id"] for n in delivered] == [ids[0]]
    failed = client.get_all_notifications(status="failed")["notifications"]
    assert [n["id"] for n in failed] == ids[1:4][::-1]
    assert {n["status"] for n in failed} == set(FAILURE_STATUSES)
    both = client.get_all_notifications(status=["delivered", "permanent-failure"])
    assert [n["id"] for n in both["notifications"]] == [ids[3], ids[0]]


def test_get_all_notifications_filters_by_template_type(notify_emulator: NotifyEmulator) -> None:
    client = official(notify_emulator)
    ids = send_plain(client, 2)
    emails = client.get_all_notifications(template_type="email")["notifications"]
    assert [n["id"] for n in emails] == ids[::-1]
    assert client.get_all_notifications(template_type="sms")["notifications"] == []


def test_get_all_notifications_filters_by_reference(notify_emulator: NotifyEmulator) -> None:
    client = official(notify_emulator)
    ids = send_plain(client, 3, prefix="ref-")
    found = client.get_all_notifications(reference="ref-1")["notifications"]
    assert [n["id"] for n in found] == [ids[1]]
    assert client.get_all_notifications(reference="ref-9")["notifications"] == []


def test_get_all_notifications_older_than_returns_strictly_older(
    notify_emulator: NotifyEmulator,
) -> None:
    client = official(notify_emulator)
    ids = send_plain(client, 4)
    older = client.get_all_notifications(older_than=ids[2])["notifications"]
    assert [n["id"] for n in older] == [ids[1], ids[0]]
    unknown = client.get_all_notifications(older_than=str(uuid.uuid4()))
    assert unknown["notifications"] == []


def test_get_all_notifications_iterator_pages_past_250(notify_emulator: NotifyEmulator) -> None:
    client = official(notify_emulator)
    ids = send_plain(client, 262)
    assert len(client.get_all_notifications()["notifications"]) == 250
    assert [n["id"] for n in client.get_all_notifications_iterator()] == ids[::-1]
    filtered = list(client.get_all_notifications_iterator(template_type="email", older_than=ids[5]))
    assert [n["id"] for n in filtered] == ids[:5][::-1]


# ---- templates -------------------------------------------------------------------


def test_get_template_returns_notifys_template_object(notify_emulator: NotifyEmulator) -> None:
    template = official(notify_emulator).get_template(TEMPLATE_WELCOME)
    assert template == {
        "body": "Dear ((name)),\n\nYour reference is ((reference_number)).\n\nThanks",
        "created_at": template["created_at"],
        "created_by": template["created_by"],
        "id": TEMPLATE_WELCOME,
        "letter_contact_block": None,
        "name": "Welcome",
        "personalisation": {"name": {"required": True}, "reference_number": {"required": True}},
        "postage": None,
        "subject": "Hello ((name))",
        "type": "email",
        "updated_at": None,
        "version": 1,
    }


def test_get_template_version_returns_that_version(notify_emulator: NotifyEmulator) -> None:
    client = official(notify_emulator)
    assert client.get_template_version(TEMPLATE_CONDITIONAL, 2) == client.get_template(
        TEMPLATE_CONDITIONAL
    )
    assert client.get_template_version(TEMPLATE_CONDITIONAL, 2)["version"] == 2


def test_get_all_templates_filters_by_type(notify_emulator: NotifyEmulator) -> None:
    client = official(notify_emulator)
    everything = client.get_all_templates()["templates"]
    emails = client.get_all_templates(template_type="email")["templates"]
    sms = client.get_all_templates(template_type="sms")["templates"]
    assert {t["id"] for t in sms} == {TEMPLATE_SMS}
    assert TEMPLATE_WELCOME in {t["id"] for t in emails}
    assert {t["type"] for t in emails} == {"email"}
    assert sorted(t["id"] for t in everything) == sorted(t["id"] for t in emails + sms)
    assert client.get_template(TEMPLATE_WELCOME) in emails


def test_post_template_preview_fills_in_personalisation(notify_emulator: NotifyEmulator) -> None:
    preview = official(notify_emulator).post_template_preview(TEMPLATE_WELCOME, WELCOME_VALUES)
    assert preview == {
        "body": "Dear Ann,\n\nYour reference is R-1.\n\nThanks",
        "html": None,
        "id": TEMPLATE_WELCOME,
        "postage": None,
        "subject": "Hello Ann",
        "type": "email",
        "version": 1,
    }


# ---- errors ----------------------------------------------------------------------


def test_400_validation_error_lists_every_error(notify_emulator: NotifyEmulator) -> None:
    client = official(notify_emulator)
    err = raised(lambda: client.send_email_notification("not-an-email", "not-a-uuid"))
    assert type(err) is HTTPError
    assert err.status_code == 400
    assert sorted(err.message, key=lambda e: e["message"]) == [
        {"error": "ValidationError", "message": "email_address Not a valid email address"},
        {"error": "ValidationError", "message": "template_id is not a valid UUID"},
    ]
    assert str(err) == f"400 - {err.message}"


def test_400_bad_request_error_for_missing_personalisation(
    notify_emulator: NotifyEmulator,
) -> None:
    client = official(notify_emulator)
    err = raised(lambda: client.send_email_notification("a@example.com", TEMPLATE_WELCOME))
    assert (type(err), err.status_code) == (HTTPError, 400)
    assert err.message == [
        {"error": "BadRequestError", "message": "Missing personalisation: name, reference_number"}
    ]
    preview = raised(lambda: client.post_template_preview(TEMPLATE_WELCOME, {"name": "A"}))
    assert preview.message == [
        {"error": "BadRequestError", "message": "Missing personalisation: reference_number"}
    ]


def test_403_for_a_key_the_service_does_not_have(notify_emulator: NotifyEmulator) -> None:
    wrong = notify_emulator.api_key[:-36] + str(uuid.uuid4())
    client = official(notify_emulator, key=wrong)
    for call in (
        lambda: client.send_email_notification("a@example.com", TEMPLATE_PLAIN),
        lambda: client.get_all_notifications(),
        lambda: client.get_template(TEMPLATE_PLAIN),
    ):
        err = raised(call)
        assert (type(err), err.status_code) == (HTTPError, 403)
        assert err.message == [
            {"error": "AuthError", "message": "Invalid token: API key not found"}
        ]
    assert notify_emulator.notifications() == []


def test_404_for_unknown_notification_and_template(notify_emulator: NotifyEmulator) -> None:
    client = official(notify_emulator)
    missing = str(uuid.uuid4())
    for call in (
        lambda: client.get_notification_by_id(missing),
        lambda: client.get_template(missing),
        lambda: client.get_template_version(TEMPLATE_WELCOME, 7),
    ):
        err = raised(call)
        assert (type(err), err.status_code) == (HTTPError, 404)
        assert err.message == [{"error": "NoResultFound", "message": "No result found"}]
        assert str(err) == "404 - [{'error': 'NoResultFound', 'message': 'No result found'}]"


def test_400_for_a_notification_id_that_is_not_a_uuid(notify_emulator: NotifyEmulator) -> None:
    err = raised(lambda: official(notify_emulator).get_notification_by_id("nope"))
    assert err.status_code == 400
    assert err.message == [
        {"error": "ValidationError", "message": "notification_id is not a valid UUID"}
    ]


def test_429_rate_limit_error(notify_emulator: NotifyEmulator) -> None:
    notify_emulator.faults(error_429_rate=1)
    client = official(notify_emulator, key=notify_emulator.api_keys["live"])
    err = raised(lambda: client.send_email_notification("a@example.com", TEMPLATE_PLAIN))
    assert (type(err), err.status_code) == (HTTPError, 429)
    assert err.message == [
        {
            "error": "RateLimitError",
            "message": "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
        }
    ]


def test_500_fault_is_an_http_error_with_notifys_body(notify_emulator: NotifyEmulator) -> None:
    # The 5xx fault answers 500; the official client keeps HTTP503Error for 503 only.
    notify_emulator.faults(error_5xx_rate=1)
    client = official(notify_emulator)
    for call in (
        lambda: client.send_email_notification("a@example.com", TEMPLATE_PLAIN),
        lambda: client.get_all_notifications(),
    ):
        err = raised(call)
        assert (type(err), err.status_code) == (HTTPError, 500)
        assert err.message == [{"error": "Exception", "message": "Internal server error"}]
        assert err.status_code in range(500, 599)
    assert notify_emulator.notifications() == []


def test_refused_connection_is_http503_request_failed(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory()
    client = official(emulator, timeout=2)
    emulator.faults(refuse_connections_ms=3000)
    wait_until_refused(emulator)
    err = raised(lambda: client.send_email_notification("a@example.com", TEMPLATE_PLAIN))
    assert type(err) is HTTP503Error
    assert (err.status_code, err.message, str(err)) == (
        503,
        "Request failed",
        "503 - Request failed",
    )


def test_closed_port_is_http503_request_failed() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client: Any = NotificationsAPIClient(  # type: ignore[no-untyped-call]
        "k-" + DEFAULT_SERVICE_ID + "-" + str(uuid.uuid4()), base_url=f"http://127.0.0.1:{port}"
    )
    err = raised(lambda: client.get_notification_by_id(str(uuid.uuid4())))
    assert type(err) is HTTP503Error
    assert str(err) == "503 - Request failed"


def test_timeout_on_a_stalled_response_is_http503_but_the_email_is_stored(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory()
    emulator.faults(stall_rate=1, stall_ms=3000)
    client = official(emulator, timeout=0.3)
    err = raised(
        lambda: client.send_email_notification("a@example.com", TEMPLATE_PLAIN, reference="t1")
    )
    assert type(err) is HTTP503Error
    assert str(err) == "503 - Request failed"
    assert [n["reference"] for n in emulator.notifications()] == ["t1"]


def test_dropped_connection_after_store_is_http503(notify_emulator: NotifyEmulator) -> None:
    notify_emulator.faults(drop_after_store_rate=1)
    client = official(notify_emulator)
    err = raised(
        lambda: client.send_email_notification("a@example.com", TEMPLATE_PLAIN, reference="d1")
    )
    assert type(err) is HTTP503Error
    assert (err.status_code, err.message) == (503, "Request failed")
    assert [n["reference"] for n in notify_emulator.notifications()] == ["d1"]


def test_non_json_2xx_is_invalid_response(notify_emulator: NotifyEmulator) -> None:
    # The emulator's own web page at / is HTML: the only 2xx that is not JSON.
    with pytest.raises(InvalidResponse) as info:
        official(notify_emulator).get("/")
    assert info.value.status_code == 200
    assert info.value.message == "No JSON response object could be decoded"


def test_unknown_route_is_an_http_error_with_the_legacy_string_message(
    notify_emulator: NotifyEmulator,
) -> None:
    err = raised(lambda: official(notify_emulator).get("/v2/no-such-route"))
    assert (type(err), err.status_code) == (HTTPError, 404)
    assert err.message == (
        "The requested URL was not found on the server. If you entered the URL manually "
        "please check your spelling and try again."
    )
