"""Our NotificationsAPIClient is a drop-in for notifications-python-client 13.0.0.

The same calls go through the official client and through ours against the same
Notify emulator: return values are equal dicts (whole dicts for reads of the same
data; structure and stable fields for sends, whose id differs per call) and
exceptions are equal in class name, status_code, message and str(e) — for every
email and reading method and every error class, including 5xx, 429, refused
connections and timeouts.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from notifications_python_client.notifications import NotificationsAPIClient as Official

from django_govuk_notify_outbox.client import NotificationsAPIClient as Ours
from govuk_notify_emulator import (
    DEFAULT_REPLY_TO_ID,
    DEFAULT_SERVICE_ID,
    TEMPLATE_ARCHIVED,
    TEMPLATE_CONDITIONAL,
    TEMPLATE_LIST,
    TEMPLATE_PLAIN,
    TEMPLATE_SMS,
    TEMPLATE_WELCOME,
    NotifyEmulator,
)
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

from .compare import behaviour

Call = Callable[[Any], Any]
WELCOME = {"name": "Ann", "reference_number": "R-1"}


def clients(emulator: NotifyEmulator, kind: str = "test", timeout: float = 10) -> tuple[Any, Any]:
    """(official, ours) for emulator with the key of that kind."""
    key = emulator.api_keys[kind]
    official = Official(key, base_url=emulator.base_url, timeout=timeout)  # type: ignore[no-untyped-call]
    return official, Ours(key, emulator.base_url, timeout=timeout)


def same(official: Any, ours: Any, call: Call) -> tuple[Any, ...]:
    """Asserts both clients behave identically for call; returns the behaviour."""
    expected = behaviour(official, call)
    assert behaviour(ours, call) == expected
    return expected


def same_error(official: Any, ours: Any, call: Call, cls: str, status: int) -> tuple[Any, ...]:
    """Asserts both raise the same exception, of class cls with that status_code."""
    result = same(official, ours, call)
    assert result[:3] == ("raised", cls, status), result
    return result


def without_id(sent: dict[str, Any]) -> dict[str, Any]:
    """A 201 body with its per-call id taken out of the id and uri fields."""
    result = dict(sent)
    result["uri"] = sent["uri"].replace(sent["id"], "<id>")
    result["id"] = "<id>"
    return result


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


@pytest.fixture(scope="module")
def frozen() -> Iterator[NotifyEmulator]:
    """An emulator whose notifications stay `created`, so two reads see the same data."""
    with NotifyEmulator(args=["--created-to-sending-ms", "3600000"]) as emulator:
        yield emulator


@pytest.fixture
def emu(frozen: NotifyEmulator) -> NotifyEmulator:
    frozen.clear()
    frozen.reset_faults()
    return frozen


# ---- sending ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"email_address": "a@example.com", "template_id": TEMPLATE_PLAIN},
        {
            "email_address": "Ann@Example.com",
            "template_id": TEMPLATE_WELCOME,
            "personalisation": WELCOME,
            "reference": "order-\u00e9-1",
            "email_reply_to_id": DEFAULT_REPLY_TO_ID,
            "one_click_unsubscribe_url": "https://example.com/unsubscribe?a=1&b=2",
        },
        {
            "email_address": "b@example.com",
            "template_id": TEMPLATE_LIST,
            "personalisation": {"items": ["eggs", "milk"], "total": 3.5},
            "reference": "",
        },
        {
            "email_address": "c@example.com",
            "template_id": TEMPLATE_CONDITIONAL,
            "personalisation": {"name": "C", "has_account": True},
        },
    ],
    ids=["minimal", "every-option", "list-personalisation", "conditional"],
)
def test_send_email_returns_the_same_201_body(emu: NotifyEmulator, kwargs: dict[str, Any]) -> None:
    official, ours = clients(emu)
    expected = official.send_email_notification(**kwargs)
    got = ours.send_email_notification(**kwargs)
    assert got["id"] != expected["id"]
    assert without_id(got) == without_id(expected)
    stored = {n["id"]: n for n in emu.notifications()}
    a, b = stored[expected["id"]], stored[got["id"]]
    for n in (a, b):
        del n["id"], n["created_at"]
    assert a == b


def test_send_email_with_sanitise_content_for_is_sent_alike(emu: NotifyEmulator) -> None:
    official, ours = clients(emu)
    call: Call = lambda c: without_id(  # noqa: E731
        c.send_email_notification(
            "a@example.com", TEMPLATE_WELCOME, WELCOME, sanitise_content_for=["name"]
        )
    )
    assert same(official, ours, call)[0] == "returned"


# ---- reading ---------------------------------------------------------------------


def test_get_notification_by_id_returns_equal_dicts_in_every_status(emu: NotifyEmulator) -> None:
    official, ours = clients(emu)
    sent = official.send_email_notification(
        "a@example.com", TEMPLATE_WELCOME, WELCOME, "ref", None, "https://example.com/u"
    )
    for status in ("created", "sending", "delivered", "permanent-failure"):
        if status != "created":
            emu.set_status(sent["id"], status)
        result = same(official, ours, lambda c: c.get_notification_by_id(sent["id"]))
        assert result[0] == "returned"
        assert result[1]["status"] == status


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"status": "created"},
        {"status": "failed"},
        {"status": ["delivered", "technical-failure"]},
        {"template_type": "email"},
        {"template_type": "sms"},
        {"reference": "ref-2"},
        {"reference": "no such reference"},
        {"older_than": "<third>"},
        {"older_than": str(uuid.UUID(int=7))},
        {"include_jobs": True},
        {"status": "created", "template_type": "email", "older_than": "<third>"},
    ],
    ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()) or "no-filter",
)
def test_get_all_notifications_returns_equal_dicts(
    emu: NotifyEmulator, filters: dict[str, Any]
) -> None:
    official, ours = clients(emu)
    ids = [
        official.send_email_notification("a@example.com", TEMPLATE_PLAIN, reference=f"ref-{i}")[
            "id"
        ]
        for i in range(5)
    ]
    emu.set_status(ids[0], "delivered")
    emu.set_status(ids[1], "technical-failure")
    emu.set_status(ids[3], "temporary-failure")
    filters = {k: ids[2] if v == "<third>" else v for k, v in filters.items()}
    result = same(official, ours, lambda c: c.get_all_notifications(**filters))
    assert result[0] == "returned"


def test_get_all_notifications_iterator_yields_the_same_past_250(emu: NotifyEmulator) -> None:
    official, ours = clients(emu)
    results = ours.send_email_notifications(
        [{"email_address": f"u{i}@example.com", "template_id": TEMPLATE_PLAIN} for i in range(260)]
    )
    assert {r.status_code for r in results} == {201}
    expected = list(official.get_all_notifications_iterator())
    assert len(expected) == 260
    assert list(ours.get_all_notifications_iterator()) == expected
    older = expected[100]["id"]
    assert list(ours.get_all_notifications_iterator(status="created", older_than=older)) == list(
        official.get_all_notifications_iterator(status="created", older_than=older)
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_template(TEMPLATE_WELCOME),
        lambda c: c.get_template(TEMPLATE_SMS),
        lambda c: c.get_template_version(TEMPLATE_CONDITIONAL, 2),
        lambda c: c.get_all_templates(),
        lambda c: c.get_all_templates("email"),
        lambda c: c.get_all_templates(template_type="sms"),
        lambda c: c.post_template_preview(TEMPLATE_WELCOME, WELCOME),
        lambda c: c.post_template_preview(TEMPLATE_LIST, {"items": ["a", "b"], "total": 1}),
    ],
    ids=[
        "template",
        "sms-template",
        "version",
        "all-templates",
        "email-templates",
        "sms-templates",
        "preview",
        "preview-list",
    ],
)
def test_template_methods_return_equal_dicts(emu: NotifyEmulator, call: Call) -> None:
    official, ours = clients(emu)
    assert same(official, ours, call)[0] == "returned"


# ---- HTTP errors -----------------------------------------------------------------

MISSING = str(uuid.UUID(int=0xF0F0))


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (lambda c: c.send_email_notification("nope", TEMPLATE_PLAIN), 400),
        (
            lambda c: c.send_email_notification(
                "a@example.com", "not-a-uuid", reference="r" * 1001
            ),
            400,
        ),
        (lambda c: c.send_email_notification("a@example.com", TEMPLATE_WELCOME), 400),
        (lambda c: c.send_email_notification("a@example.com", TEMPLATE_ARCHIVED), 400),
        (lambda c: c.send_email_notification("a@example.com", TEMPLATE_SMS, {"code": 1}), 400),
        (lambda c: c.send_email_notification("a@example.com", MISSING), 400),
        (
            lambda c: c.send_email_notification(
                "a@example.com", TEMPLATE_PLAIN, email_reply_to_id=MISSING
            ),
            400,
        ),
        (
            lambda c: c.send_email_notification(
                "a@example.com", TEMPLATE_PLAIN, one_click_unsubscribe_url="http://insecure"
            ),
            400,
        ),
        (
            lambda c: c.send_email_notification(
                "a@example.com", TEMPLATE_WELCOME, {"name": "x" * 2_000_001, "reference_number": 1}
            ),
            400,
        ),
        (lambda c: c.get_notification_by_id("not-a-uuid"), 400),
        (lambda c: c.get_notification_by_id(MISSING), 404),
        (lambda c: c.get_all_notifications(status="elephant"), 400),
        (lambda c: c.get_all_notifications(template_type="orange"), 400),
        (lambda c: c.get_all_notifications(older_than="nope"), 400),
        (lambda c: c.get_template(MISSING), 404),
        (lambda c: c.get_template("nope"), 400),
        (lambda c: c.get_template_version(TEMPLATE_WELCOME, 99), 404),
        (lambda c: c.get_all_templates("letter"), 200),
        (lambda c: c.post_template_preview(TEMPLATE_WELCOME, {"name": "A"}), 400),
        (lambda c: c.post_template_preview(MISSING, {}), 404),
        (lambda c: c.send_email_notification(None, TEMPLATE_PLAIN), 400),
        (lambda c: c.send_email_notification(12345, 123), 400),
        (lambda c: c.send_email_notification("a@example.com", TEMPLATE_PLAIN, "x"), 400),
        (lambda c: c.send_email_notification("a@example.com", TEMPLATE_PLAIN, reference=7), 400),
        (lambda c: c.get_all_notifications(status=["created", "elephant"]), 400),
        (lambda c: c.get_all_notifications(include_jobs="false"), 400),
        (lambda c: c.get_all_templates("sms&x=1"), 400),
        (lambda c: c.post_template_preview(TEMPLATE_WELCOME, "not an object"), 400),
    ],
)
def test_http_errors_are_equal_exceptions(emu: NotifyEmulator, call: Call, status: int) -> None:
    official, ours = clients(emu)
    result = same(official, ours, call)
    if status >= 400:
        assert result[:3] == ("raised", "HTTPError", status), result
        assert result[4] == f"{status} - {result[3]}"
        assert isinstance(result[3], list)
    else:
        assert result[0] == "returned"


def test_team_key_recipient_error_is_equal(emu: NotifyEmulator) -> None:
    official, ours = clients(emu, "team")
    result = same_error(
        official,
        ours,
        lambda c: c.send_email_notification("stranger@example.com", TEMPLATE_PLAIN),
        "HTTPError",
        400,
    )
    assert result[3] == [
        {
            "error": "BadRequestError",
            "message": "Can\u2019t send to this recipient using a team-only API key",
        }
    ]


@pytest.mark.parametrize(
    "key",
    [
        f"wrong-{DEFAULT_SERVICE_ID}-{uuid.UUID(int=1)}",
        f"unknown-{uuid.UUID(int=2)}-{uuid.UUID(int=3)}",
    ],
    ids=["wrong-secret", "unknown-service"],
)
def test_403_auth_errors_are_equal(emu: NotifyEmulator, key: str) -> None:
    official = Official(key, base_url=emu.base_url)  # type: ignore[no-untyped-call]
    ours = Ours(key, emu.base_url)
    for call in (
        lambda c: c.send_email_notification("a@example.com", TEMPLATE_PLAIN),
        lambda c: c.get_notification_by_id(MISSING),
        lambda c: c.get_all_notifications(),
        lambda c: c.get_template(TEMPLATE_PLAIN),
        lambda c: c.get_all_templates(),
        lambda c: c.post_template_preview(TEMPLATE_PLAIN, {}),
    ):
        result = same_error(official, ours, call, "HTTPError", 403)
        assert result[3][0]["error"] == "AuthError"


# ---- 429 ---------------------------------------------------------------------------

EVERY_METHOD: list[Call] = [
    lambda c: c.send_email_notification("a@example.com", TEMPLATE_PLAIN),
    lambda c: c.get_notification_by_id(MISSING),
    lambda c: c.get_all_notifications(),
    lambda c: list(c.get_all_notifications_iterator()),
    lambda c: c.get_template(TEMPLATE_PLAIN),
    lambda c: c.get_template_version(TEMPLATE_PLAIN, 1),
    lambda c: c.get_all_templates(),
    lambda c: c.post_template_preview(TEMPLATE_PLAIN, {}),
]


def test_429_fault_is_an_equal_exception_for_every_method(emu: NotifyEmulator) -> None:
    emu.faults(error_429_rate=1)
    official, ours = clients(emu, "live")
    for call in EVERY_METHOD:
        result = same_error(official, ours, call, "HTTPError", 429)
        assert result[3] == [
            {
                "error": "RateLimitError",
                "message": "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
            }
        ]


def limited_config(**service: Any) -> dict[str, Any]:
    return {
        "services": [
            {
                "id": DEFAULT_SERVICE_ID,
                "api_keys": [
                    {
                        "name": "live",
                        "type": "live",
                        "secret": "11111111-aaaa-4aaa-8aaa-0000000000d1",
                    }
                ],
                "templates": [
                    {
                        "id": TEMPLATE_PLAIN,
                        "name": "P",
                        "type": "email",
                        "subject": "S",
                        "body": "B",
                    }
                ],
                **service,
            }
        ]
    }


def test_token_bucket_429_is_an_equal_exception(notify_emulator_factory: EmulatorFactory) -> None:
    emulator = notify_emulator_factory(config=limited_config(rate_limit=3))
    official, ours = clients(emulator, "live")
    send: Call = lambda c: c.send_email_notification("a@example.com", TEMPLATE_PLAIN)  # noqa: E731
    official.send_email_notification("a@example.com", TEMPLATE_PLAIN)  # the only token
    result = same_error(official, ours, send, "HTTPError", 429)
    assert result[3] == [
        {
            "error": "RateLimitError",
            "message": "Exceeded rate limit for key type LIVE of 3 requests per 60 seconds",
        }
    ]


def test_daily_limit_429_is_an_equal_exception(notify_emulator_factory: EmulatorFactory) -> None:
    emulator = notify_emulator_factory(config=limited_config(email_message_limit=1))
    official, ours = clients(emulator, "live")
    ours.send_email_notification("a@example.com", TEMPLATE_PLAIN)
    send: Call = lambda c: c.send_email_notification("a@example.com", TEMPLATE_PLAIN)  # noqa: E731
    result = same_error(official, ours, send, "HTTPError", 429)
    assert result[3] == [
        {"error": "TooManyRequestsError", "message": "Exceeded send limits (email: 1) for today"}
    ]


# ---- 5xx, refused connections, timeouts -----------------------------------------------


def test_5xx_fault_is_an_equal_exception_for_every_method(emu: NotifyEmulator) -> None:
    emu.faults(error_5xx_rate=1)
    official, ours = clients(emu)
    for call in EVERY_METHOD:
        result = same_error(official, ours, call, "HTTPError", 500)
        assert result[3] == [{"error": "Exception", "message": "Internal server error"}]
    assert emu.notifications() == []


def test_refused_connection_is_an_equal_http503_error(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory()
    official, ours = clients(emulator, timeout=2)
    emulator.faults(refuse_connections_ms=4000)
    wait_until_refused(emulator)
    for call in EVERY_METHOD:
        result = same_error(official, ours, call, "HTTP503Error", 503)
        assert result[3:] == ("Request failed", "503 - Request failed")


def test_closed_port_is_an_equal_http503_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    key = f"k-{DEFAULT_SERVICE_ID}-{uuid.UUID(int=9)}"
    official = Official(key, base_url=url)  # type: ignore[no-untyped-call]
    ours = Ours(key, url)
    for call in EVERY_METHOD:
        result = same_error(official, ours, call, "HTTP503Error", 503)
        assert result[4] == "503 - Request failed"


def test_timeout_on_a_stalled_response_is_an_equal_http503_error(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory()
    emulator.faults(stall_rate=1, stall_ms=2500)
    official, ours = clients(emulator, timeout=0.1)
    for call in EVERY_METHOD:
        result = same_error(official, ours, call, "HTTP503Error", 503)
        assert result[3:] == ("Request failed", "503 - Request failed")
    # each timed-out POST was stored once, as Notify would have stored it
    assert len(emulator.notifications()) == 2


def test_connection_dropped_after_store_is_an_equal_http503_error(emu: NotifyEmulator) -> None:
    emu.faults(drop_after_store_rate=1)
    official, ours = clients(emu)
    call: Call = lambda c: c.send_email_notification(  # noqa: E731
        "a@example.com", TEMPLATE_PLAIN, reference="dropped"
    )
    result = same_error(official, ours, call, "HTTP503Error", 503)
    assert result[3:] == ("Request failed", "503 - Request failed")
    assert emu.stats()["references"] == {"dropped": 2}


# ---- other responses ---------------------------------------------------------------


def test_non_json_2xx_is_an_equal_invalid_response(emu: NotifyEmulator) -> None:
    # The emulator's web page at / is HTML: a 200 that is not JSON.
    official, ours = clients(emu)
    result = same_error(official, ours, lambda c: c.get("/"), "InvalidResponse", 200)
    assert result[3:] == (
        "No JSON response object could be decoded",
        "200 - No JSON response object could be decoded",
    )


@pytest.mark.parametrize(
    ("call", "status", "message"),
    [
        (
            lambda c: c.get("/v2/nope"),
            404,
            "The requested URL was not found on the server. If you entered the URL manually "
            "please check your spelling and try again.",
        ),
        (
            lambda c: c.delete("/v2/notifications"),
            405,
            "The method is not allowed for the requested URL.",
        ),
        (
            lambda c: c.put("/v2/notifications/email", {"a": 1}),
            405,
            "The method is not allowed for the requested URL.",
        ),
    ],
    ids=["legacy-404", "legacy-405-delete", "legacy-405-put"],
)
def test_legacy_error_bodies_give_equal_string_messages(
    emu: NotifyEmulator, call: Call, status: int, message: str
) -> None:
    official, ours = clients(emu)
    result = same_error(official, ours, call, "HTTPError", status)
    assert result[3:] == (message, f"{status} - {message}")


def test_generic_request_methods_return_equal_dicts(emu: NotifyEmulator) -> None:
    official, ours = clients(emu)
    body = {"email_address": "a@example.com", "template_id": TEMPLATE_PLAIN, "reference": "g"}
    sent = ours.post("/v2/notifications/email", body)
    assert sent["reference"] == "g"
    for call in (
        lambda c: c.get(f"/v2/notifications/{sent['id']}"),
        lambda c: c.get("/v2/notifications", params={"reference": "g", "status": ["created"]}),
        lambda c: c.request("GET", "/v2/templates", params={"type": "email"}),
        lambda c: c.post(f"/v2/template/{TEMPLATE_PLAIN}/preview", {"personalisation": {}}),
    ):
        assert same(official, ours, call)[0] == "returned"


# ---- awkward arguments: the same request on the wire, so the same answer ------------------

AWKWARD_TEXT = [
    "a b",
    "a+b",
    "a&b=c",
    "caf\u00e9 \u2019x\u2019",
    "100%",
    "x/y?z",
    "#frag",
    "~*'()!",
]


@pytest.mark.parametrize("reference", AWKWARD_TEXT)
def test_awkward_references_round_trip_alike(emu: NotifyEmulator, reference: str) -> None:
    official, ours = clients(emu)
    sent = [
        c.send_email_notification("a@example.com", TEMPLATE_PLAIN, reference=reference)
        for c in (official, ours)
    ]
    assert [s["reference"] for s in sent] == [reference, reference]
    result = same(official, ours, lambda c: c.get_all_notifications(reference=reference))
    assert result[0] == "returned"
    assert {n["id"] for n in result[1]["notifications"]} == {s["id"] for s in sent}


@pytest.mark.parametrize(
    "value", ["a b", "../templates", "x#y", "x?status=created", "%2F", "\u00e9", " ", "1/2"]
)
def test_awkward_ids_in_paths_get_the_same_answer(emu: NotifyEmulator, value: str) -> None:
    official, ours = clients(emu)
    for call in (
        lambda c: c.get_notification_by_id(value),
        lambda c: c.get_template(value),
        lambda c: c.get_template_version(TEMPLATE_PLAIN, value),
        lambda c: c.get_all_templates(value),
        lambda c: c.post_template_preview(value, {}),
    ):
        same(official, ours, call)


@pytest.mark.parametrize(
    "personalisation",
    [
        {"name": "\u00c5sa \u2013 \U0001f600", "reference_number": "<b>&amp;</b>"},
        {"name": ["a", "b"], "reference_number": {"nested": [1, None, True]}},
        {"name": ("x", "y"), "reference_number": 1.5},
        {"NAME": "upper", "reference number": 0},
    ],
    ids=["unicode", "nested", "tuple", "insensitive-keys"],
)
def test_personalisation_values_are_sent_alike(
    emu: NotifyEmulator, personalisation: dict[str, Any]
) -> None:
    official, ours = clients(emu)
    send: Call = lambda c: without_id(  # noqa: E731
        c.send_email_notification("a@example.com", TEMPLATE_WELCOME, personalisation)
    )
    assert same(official, ours, send)[0] == "returned"
    preview: Call = lambda c: c.post_template_preview(TEMPLATE_WELCOME, personalisation)  # noqa: E731
    assert same(official, ours, preview)[0] == "returned"


def test_set_personalisation_values_are_sent_as_lists_alike(emu: NotifyEmulator) -> None:
    official, ours = clients(emu)
    values = {"name": {"only"}, "reference_number": 1}
    send: Call = lambda c: without_id(  # noqa: E731
        c.send_email_notification("a@example.com", TEMPLATE_WELCOME, values)
    )
    result = same(official, ours, send)
    assert result[0] == "returned"
    assert "only" in result[1]["content"]["body"]


@pytest.mark.parametrize("suffix", ["/", "/some/path", "/some/path/"])
def test_a_path_in_base_url_is_dropped_alike(emu: NotifyEmulator, suffix: str) -> None:
    key = emu.api_keys["test"]
    url = emu.base_url + suffix
    official = Official(key, base_url=url)  # type: ignore[no-untyped-call]
    ours = Ours(key, url)
    assert same(official, ours, lambda c: c.get_template(TEMPLATE_PLAIN))[0] == "returned"
    result = same(official, ours, lambda c: c.get_all_notifications())
    assert result[1]["links"]["current"] == emu.base_url + "/v2/notifications"


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), 10**20], ids=["nan", "infinity", "big-int"]
)
def test_values_json_writes_beyond_the_standard_are_sent_alike(
    emu: NotifyEmulator, value: Any
) -> None:
    # json.dumps writes NaN, Infinity and big integers; whatever Notify answers, both agree.
    official, ours = clients(emu)
    values = {"name": value, "reference_number": 1}
    same(official, ours, lambda c: c.post_template_preview(TEMPLATE_WELCOME, values))
    send: Call = lambda c: without_id(  # noqa: E731
        c.send_email_notification("a@example.com", TEMPLATE_WELCOME, values)
    )
    same(official, ours, send)
