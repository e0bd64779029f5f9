"""Template rendering through real HTTP, as notifications-utils renders it.

The subject is PlainTextEmailTemplate.subject (list values joined "a, b and
c", smartypants typography) in the POST response, GET and the preview;
content.body is the filled-in body stripped; the "Your message is empty."
and size rules apply to the stripped body (notify-api.md §2.2, §2.4, §3.1);
sanitise_content_for (§2.5); token claim order (§1.3); and the numbers and
encodings Python's json reads.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from govuk_notify_emulator import DEFAULT_SERVICE_ID, NotifyEmulator

from .helpers import call, errors, raw_token, send, split_key

CLOCK = "Error: Your system clock must be accurate to within 30 seconds"
GENERAL = (
    "Invalid token: make sure your API token matches the example at "
    "https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"
)

T_SUBJECT = "f0000000-0000-4000-8000-000000000001"
T_VALUE = "f0000000-0000-4000-8000-000000000002"
T_GREETING = "f0000000-0000-4000-8000-000000000003"
T_CONDITIONAL = "f0000000-0000-4000-8000-000000000004"
T_TWO = "f0000000-0000-4000-8000-000000000005"

CONFIG: dict[str, Any] = {
    "services": [
        {
            "id": DEFAULT_SERVICE_ID,
            "api_keys": [
                {"name": "t", "type": "test", "secret": "f0000000-0000-4000-8000-0000000000a1"}
            ],
            "templates": [
                {
                    "id": T_SUBJECT,
                    "subject": 'Hello "((name))" , it\'s ((items)) - ok',
                    "body": "Dear ((name)),\n\n((items))",
                },
                {"id": T_VALUE, "subject": "S", "body": "((value))"},
                {"id": T_GREETING, "subject": "S", "body": "Hi ((value))"},
                {"id": T_CONDITIONAL, "subject": "S", "body": "((show??Shown text))"},
                {"id": T_TWO, "subject": "S", "body": "((a)) ((b))"},
            ],
        }
    ]
}


@pytest.fixture(scope="module")
def emu() -> Iterator[NotifyEmulator]:
    with NotifyEmulator(config=CONFIG) as emulator:
        yield emulator


def post(emu: NotifyEmulator, template_id: str, **personalisation: Any) -> requests.Response:
    return send(emu, template_id=template_id, personalisation=personalisation)


def get_notification(emu: NotifyEmulator, nid: str) -> dict[str, Any]:
    resp = call(emu, "GET", f"/v2/notifications/{nid}")
    assert resp.status_code == 200
    body: dict[str, Any] = resp.json()
    return body


def test_subject_gets_smart_quotes_en_dash_and_list_values_joined(emu: NotifyEmulator) -> None:
    resp = post(emu, T_SUBJECT, name="Tom & Jerry", items=["a", "b", "c"])
    assert resp.status_code == 201, resp.text
    content = resp.json()["content"]
    # straight quotes become curly, " , " loses its space, " - " an en dash
    assert content["subject"] == "Hello \u201cTom & Jerry\u201d, it\u2019s a, b and c \u2013 ok"
    # the body keeps raw values; a list value is inserted as "\n\n* a\n* b..."
    assert content["body"] == "Dear Tom & Jerry,\n\n\n\n* a\n* b\n* c"


def test_subject_of_two_list_values_is_joined_with_and(emu: NotifyEmulator) -> None:
    resp = post(emu, T_SUBJECT, name="Ann", items=["x", "y"])
    assert resp.status_code == 201, resp.text
    assert resp.json()["content"]["subject"] == "Hello \u201cAnn\u201d, it\u2019s x and y \u2013 ok"


def test_get_subject_is_the_plain_text_subject_unescaped(emu: NotifyEmulator) -> None:
    # Notify reads a notification back through PlainTextEmailTemplate, as it sent it
    resp = post(emu, T_SUBJECT, name="Tom & Jerry <3", items="one")
    assert resp.status_code == 201, resp.text
    subject = "Hello \u201cTom & Jerry <3\u201d, it\u2019s one \u2013 ok"
    assert resp.json()["content"]["subject"] == subject
    got = get_notification(emu, resp.json()["id"])
    assert got["subject"] == subject
    assert got["body"] == "Dear Tom & Jerry <3,\n\none"
    listed = call(emu, "GET", "/v2/notifications").json()["notifications"]
    assert [n["subject"] for n in listed if n["id"] == resp.json()["id"]] == [subject]


def test_body_is_stripped_after_filling_in(emu: NotifyEmulator) -> None:
    resp = post(emu, T_VALUE, value="  \n padded value \t\n ")
    assert resp.status_code == 201, resp.text
    assert resp.json()["content"]["body"] == "padded value"
    assert get_notification(emu, resp.json()["id"])["body"] == "padded value"


@pytest.mark.parametrize(
    ("template_id", "personalisation"),
    [
        (T_VALUE, {"value": ""}),
        (T_VALUE, {"value": " \n\t "}),
        (T_CONDITIONAL, {"show": "no"}),
        (T_TWO, {"a": "", "b": ""}),
    ],
)
def test_message_made_only_of_empty_values_is_empty(
    emu: NotifyEmulator, template_id: str, personalisation: dict[str, Any]
) -> None:
    resp = send(emu, template_id=template_id, personalisation=personalisation)
    assert resp.status_code == 400
    assert errors(resp) == [("BadRequestError", "Your message is empty.")]


def test_message_with_template_text_around_an_empty_value_is_not_empty(
    emu: NotifyEmulator,
) -> None:
    resp = post(emu, T_GREETING, value="")
    assert resp.status_code == 201, resp.text
    assert resp.json()["content"]["body"] == "Hi"
    shown = post(emu, T_CONDITIONAL, show="yes")
    assert shown.status_code == 201, shown.text
    assert shown.json()["content"]["body"] == "Shown text"


def too_long(size: int) -> str:
    return (
        "Your message is too long. Emails cannot be longer than 2000000 bytes. "
        f"Your message is {size} bytes."
    )


def test_size_limit_counts_the_stripped_body(emu: NotifyEmulator) -> None:
    # 2,000,000 bytes once the surrounding whitespace is stripped: accepted
    ok = post(emu, T_VALUE, value="x" * 2_000_000 + "\n\n  ")
    assert ok.status_code == 201, ok.text[:200]
    over = post(emu, T_VALUE, value="x" * 2_000_001)
    assert over.status_code == 400
    assert errors(over) == [("BadRequestError", too_long(2_000_001))]


def test_size_limit_counts_utf8_bytes_not_characters(emu: NotifyEmulator) -> None:
    # 1,000,000 two-byte characters are exactly 2,000,000 bytes
    ok = post(emu, T_VALUE, value="\u00e9" * 1_000_000)
    assert ok.status_code == 201, ok.text[:200]
    over = post(emu, T_VALUE, value="\u00e9" * 1_000_000 + "!")
    assert over.status_code == 400
    assert errors(over) == [("BadRequestError", too_long(2_000_001))]


def test_listed_value_has_urls_removed_domains_broken_and_markdown_escaped(
    emu: NotifyEmulator,
) -> None:
    value = "see https://example.com/a?b=1 and *me* at www.gov.uk"
    resp = send(
        emu,
        template_id=T_VALUE,
        personalisation={"Value": value},
        sanitise_content_for=["value"],
    )
    assert resp.status_code == 201, resp.text
    sanitised = "see  and \\*me\\* at www\\. gov\\. uk"
    body = resp.json()
    assert body["content"]["body"] == sanitised
    assert body["sanitised_content"] == {"Value": {"sanitised": sanitised, "unsanitised": value}}
    assert get_notification(emu, body["id"])["body"] == sanitised


def test_sanitise_keys_match_like_placeholders(emu: NotifyEmulator) -> None:
    resp = send(
        emu,
        template_id=T_TWO,
        personalisation={"A": "#1", "b": "#2"},
        sanitise_content_for=[" a_", "-B-"],
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["content"]["body"] == "\\#1 \\#2"
    assert resp.json()["sanitised_content"] == {
        "A": {"sanitised": "\\#1", "unsanitised": "#1"},
        "b": {"sanitised": "\\#2", "unsanitised": "#2"},
    }


def test_unlisted_and_unchanged_values_are_not_sanitised_or_reported(
    emu: NotifyEmulator,
) -> None:
    resp = send(
        emu,
        template_id=T_TWO,
        personalisation={"a": "plain", "b": "*bold* example.com"},
        sanitise_content_for=["a", "missing"],
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["content"]["body"] == "plain *bold* example.com"
    assert resp.json()["sanitised_content"] == {}


def test_value_that_sanitises_to_nothing_makes_the_message_empty(emu: NotifyEmulator) -> None:
    resp = send(
        emu,
        template_id=T_VALUE,
        personalisation={"value": "https://example.com/only-a-link"},
        sanitise_content_for=["value"],
    )
    assert resp.status_code == 400
    assert errors(resp) == [("BadRequestError", "Your message is empty.")]


# ---- claim order: PyJWT checks iat, nbf, exp, aud in turn, then the client library's iat age ----


@pytest.mark.parametrize(
    ("claims", "status", "message"),
    [
        # an undecodable nbf is seen before the old iat: the next key is tried
        ({"iat": -45, "nbf": "x"}, 403, "Invalid token: API key not found"),
        # an expired exp is seen before the old iat: the general message
        ({"iat": -45, "exp": -60}, 403, GENERAL),
        # a future nbf is seen before an undecodable exp: the clock error
        ({"nbf": 100, "exp": None}, 403, CLOCK),
        # an undecodable nbf is seen before an expired exp and an audience
        ({"nbf": [], "exp": -60, "aud": "x"}, 403, "Invalid token: API key not found"),
        # an iat in the future is seen before an undecodable nbf
        ({"iat": 100, "nbf": "x"}, 403, CLOCK),
        # nbf and exp within the leeway are accepted
        ({"nbf": 20, "exp": -20}, 200, None),
    ],
)
def test_token_claims_are_checked_in_pyjwt_order(
    emu: NotifyEmulator, claims: dict[str, Any], status: int, message: str | None
) -> None:
    service_id, secret = split_key(emu.api_key)
    now = int(time.time())
    payload: dict[str, Any] = {"iss": service_id, "iat": now}
    for claim, value in claims.items():
        payload[claim] = now + value if isinstance(value, int) else value
    resp = requests.get(
        emu.base_url + "/v2/notifications",
        headers={"Authorization": "Bearer " + raw_token(payload, secret)},
        timeout=10,
    )
    assert resp.status_code == status, resp.text
    if message is not None:
        assert errors(resp) == [("AuthError", message)]


# ---- numbers Python's json reads (Flask's get_json) beyond what JSON strictly allows ----


def raw_post(emu: NotifyEmulator, body: str) -> requests.Response:
    return call(emu, "POST", "/v2/notifications/email", data=body.encode())


@pytest.mark.parametrize(
    ("literal", "text"),
    [("NaN", "nan"), ("-Infinity", "-inf"), ("1e400", "inf"), ("-100000000000000000000", None)],
)
def test_python_only_numbers_are_typed_as_numbers_in_validation_messages(
    emu: NotifyEmulator, literal: str, text: str | None
) -> None:
    shown = text or literal
    resp = raw_post(
        emu,
        f'{{"email_address":"a@example.com","template_id":"{T_VALUE}",'
        f'"reference":{literal},"personalisation":{literal}}}',
    )
    assert resp.status_code == 400
    assert errors(resp) == [
        ("ValidationError", f"reference {shown} is not of type string"),
        ("ValidationError", f"personalisation {shown} is not of type object"),
    ]


def test_python_only_numbers_inside_lists_render_as_python_str(emu: NotifyEmulator) -> None:
    resp = raw_post(
        emu,
        f'{{"email_address":"a@example.com","template_id":"{T_VALUE}",'
        '"personalisation":{"value":[NaN, 123456789012345678901234567890]}}',
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["content"]["body"] == "* nan\n* 123456789012345678901234567890"


def test_preview_subject_is_the_plain_text_subject(emu: NotifyEmulator) -> None:
    # Notify previews a PlainTextEmailTemplate: typography, no HTML escaping
    resp = call(
        emu,
        "POST",
        f"/v2/template/{T_SUBJECT}/preview",
        json_body={"personalisation": {"name": "Tom & Jerry", "items": ["a", "b"]}},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["subject"] == "Hello \u201cTom & Jerry\u201d, it\u2019s a and b \u2013 ok"
    assert resp.json()["body"] == "Dear Tom & Jerry,\n\n\n\n* a\n* b"
