"""Bad input to send_email_notification: a clear error naming the argument, nothing stored.

Run on every database (NGO_TEST_DB=sqlite|postgresql|mariadb): NUL characters and
lone surrogates are what PostgreSQL refuses with a bare DataError, and SQLite stores.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from django_govuk_notify_outbox import validation
from django_govuk_notify_outbox.models import EmailEvent, EmailMessage
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_WELCOME

pytestmark = pytest.mark.django_db

VALID: dict[str, Any] = {"email_address": "someone@example.gov.uk", "template_id": TEMPLATE_WELCOME}
NUL = "\x00"
SURROGATE = "\ud800"
URL = "https://example.gov.uk/unsubscribe?t=1"


def nested(depth: int, leaf: Any = "x") -> Any:
    """``leaf`` inside ``depth`` levels of alternating dicts and lists (built iteratively)."""
    value = leaf
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


def a_file(size: int) -> dict[str, Any]:
    return {"file": base64.b64encode(b"\x01" * size).decode("ascii"), "filename": "a.pdf"}


def cyclic() -> dict[str, Any]:
    loop: dict[str, Any] = {}
    loop["again"] = loop
    return {"loop": loop}


# (id, arguments changed, error type, pattern the message must match)
CASES: list[tuple[str, dict[str, Any], type[Exception], str]] = [
    # NUL characters and lone surrogates in every text argument, at any depth.
    (
        "address-nul-local",
        {"email_address": f"so{NUL}me@example.gov.uk"},
        ValueError,
        r"^email_address contains a NUL",
    ),
    (
        "address-nul-domain",
        {"email_address": f"some@exa{NUL}mple.gov.uk"},
        ValueError,
        r"^email_address contains a NUL",
    ),
    (
        "address-surrogate",
        {"email_address": f"some@exa{SURROGATE}mple.gov.uk"},
        ValueError,
        r"^email_address contains a lone surrogate",
    ),
    ("reference-nul", {"reference": f"case{NUL}1"}, ValueError, r"^reference contains a NUL"),
    (
        "reference-surrogate",
        {"reference": f"case{SURROGATE}1"},
        ValueError,
        r"^reference contains a lone surrogate",
    ),
    (
        "url-nul",
        {"one_click_unsubscribe_url": f"{URL}{NUL}"},
        ValueError,
        r"^one_click_unsubscribe_url contains a NUL",
    ),
    (
        "url-surrogate",
        {"one_click_unsubscribe_url": f"{URL}{SURROGATE}"},
        ValueError,
        r"^one_click_unsubscribe_url contains a lone surrogate",
    ),
    (
        "url-control",
        {"one_click_unsubscribe_url": f"{URL}\x01"},
        ValueError,
        r"^one_click_unsubscribe_url",
    ),
    ("template-nul", {"template_id": TEMPLATE_WELCOME[:-1] + NUL}, ValueError, r"^template_id"),
    (
        "reply-to-surrogate",
        {"email_reply_to_id": SURROGATE * 36},
        ValueError,
        r"^email_reply_to_id",
    ),
    (
        "value-nul",
        {"personalisation": {"name": f"Ada{NUL}"}},
        ValueError,
        r"^personalisation\['name'\] contains a NUL",
    ),
    (
        "value-surrogate",
        {"personalisation": {"name": f"Ada{SURROGATE}"}},
        ValueError,
        r"^personalisation\['name'\] contains a lone surrogate",
    ),
    (
        "value-low-surrogate",
        {"personalisation": {"name": "\udfff"}},
        ValueError,
        r"personalisation\['name'\].*U\+DFFF",
    ),
    (
        "key-nul",
        {"personalisation": {f"na{NUL}me": "Ada"}},
        ValueError,
        r"^personalisation\['na\\x00me'\] \(the key\) contains a NUL",
    ),
    (
        "key-surrogate",
        {"personalisation": {f"na{SURROGATE}me": "Ada"}},
        ValueError,
        r"^personalisation\['na\\ud800me'\] \(the key\) contains a lone",
    ),
    (
        "list-item-nul",
        {"personalisation": {"items": ["a", f"b{NUL}"]}},
        ValueError,
        r"^personalisation\['items'\]\[1\] contains a NUL",
    ),
    (
        "deep-value-surrogate",
        {"personalisation": {"a": {"b": [{"c": SURROGATE}]}}},
        ValueError,
        r"^personalisation\['a'\]\['b'\]\[0\]\['c'\] contains a lone",
    ),
    (
        "deep-key-nul",
        {"personalisation": {"a": {f"b{NUL}": 1}}},
        ValueError,
        r"^personalisation\['a'\]\['b\\x00'\] \(the key\)",
    ),
    (
        "file-name-nul",
        {"personalisation": {"doc": {**a_file(10), "filename": f"a{NUL}.pdf"}}},
        ValueError,
        r"^personalisation\['doc'\]\['filename'\] contains a NUL",
    ),
    # Sizes: Notify's limits.
    (
        "value-3mb",
        {"personalisation": {"notes": "x" * 3_000_000}},
        ValueError,
        r"^personalisation is too large: \d+ bytes",
    ),
    (
        "just-over-2mb",
        {"personalisation": {"notes": "x" * (validation.MAX_PERSONALISATION_BYTES - 12)}},
        ValueError,
        r"^personalisation is too large",
    ),
    (
        "2mb-in-multibyte",
        {"personalisation": {"notes": "é" * 1_000_001}},
        ValueError,
        r"^personalisation is too large",
    ),
    (
        "many-keys-over-2mb",
        {"personalisation": {f"k{i}": "v" * 100 for i in range(25_000)}},
        ValueError,
        r"^personalisation is too large",
    ),
    (
        "file-over-2mib",
        {"personalisation": {"doc": a_file(validation.MAX_FILE_BYTES + 1)}},
        ValueError,
        r"^personalisation\['doc'\] is a file larger than 2MB",
    ),
    (
        "eleven-files",
        {"personalisation": {f"doc{i}": a_file(10) for i in range(11)}},
        ValueError,
        r"^personalisation has 11 files",
    ),
    (
        "url-10mb",
        {"one_click_unsubscribe_url": URL + "x" * 10_000_000},
        ValueError,
        r"^one_click_unsubscribe_url is too long",
    ),
    (
        "url-8001",
        {"one_click_unsubscribe_url": URL + "x" * (8001 - len(URL))},
        ValueError,
        r"^one_click_unsubscribe_url is too long: 8001",
    ),
    ("reference-1001", {"reference": "r" * 1001}, ValueError, r"^reference is too long"),
    # Nesting: bounded, and checked without recursion.
    (
        "depth-32",
        {"personalisation": {"deep": nested(31)}},
        ValueError,
        r"nested deeper than 31 levels",
    ),
    (
        "depth-100000",
        {"personalisation": {"deep": nested(100_000)}},
        ValueError,
        r"^personalisation\['deep'\].* nested deeper than 31 levels",
    ),
    (
        "cycle",
        {"personalisation": cyclic()},
        ValueError,
        r"^personalisation\['loop'\]\['again'\].* nested deeper",
    ),
    # Values JSON cannot hold.
    (
        "nan-nested",
        {"personalisation": {"a": [1.0, float("nan")]}},
        ValueError,
        r"^personalisation\['a'\]\[1\] is nan",
    ),
    (
        "infinity",
        {"personalisation": {"a": float("inf")}},
        ValueError,
        r"^personalisation\['a'\] is inf",
    ),
    (
        "huge-int",
        {"personalisation": {"a": 10**5000}},
        ValueError,
        r"^personalisation is not valid JSON",
    ),
    (
        "bytes-value",
        {"personalisation": {"a": b"bytes"}},
        TypeError,
        r"^personalisation\['a'\] is not JSON-serialisable: bytes",
    ),
    (
        "set-value",
        {"personalisation": {"a": {1, 2}}},
        TypeError,
        r"^personalisation\['a'\] is not JSON-serialisable: set",
    ),
    (
        "object-nested",
        {"personalisation": {"a": [{"b": object()}]}},
        TypeError,
        r"^personalisation\['a'\]\[0\]\['b'\] is not JSON",
    ),
    (
        "tuple-key-nested",
        {"personalisation": {"a": {(1, 2): "x"}}},
        TypeError,
        r"^personalisation\['a'\] has a key of type tuple",
    ),
    ("int-key", {"personalisation": {1: "x"}}, TypeError, r"^personalisation keys must be strings"),
    # Wrong types.
    (
        "address-bytes",
        {"email_address": b"someone@example.gov.uk"},
        TypeError,
        r"^email_address must be a string",
    ),
    ("address-none", {"email_address": None}, TypeError, r"^email_address must be a string"),
    ("template-int", {"template_id": 42}, TypeError, r"^template_id"),
    (
        "personalisation-list",
        {"personalisation": [("a", 1)]},
        TypeError,
        r"^personalisation must be a dict",
    ),
    (
        "personalisation-str",
        {"personalisation": "name=Ada"},
        TypeError,
        r"^personalisation must be a dict",
    ),
    ("reference-int", {"reference": 7}, TypeError, r"^reference must be a string"),
    ("reply-to-int", {"email_reply_to_id": 7}, TypeError, r"^email_reply_to_id"),
    (
        "url-bytes",
        {"one_click_unsubscribe_url": URL.encode()},
        TypeError,
        r"^one_click_unsubscribe_url must be a string",
    ),
]


@pytest.mark.parametrize(
    ("changes", "error", "pattern"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_gets_a_clear_error_and_stores_nothing(
    changes: dict[str, Any], error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error) as caught:
        send_email_notification(**{**VALID, **changes})
    assert type(caught.value) is error
    message = str(caught.value)
    assert re.search(pattern, message), message
    assert len(message) < 400  # never the (possibly huge) value itself
    assert not EmailMessage.objects.exists()
    assert not EmailEvent.objects.exists()


# (id, arguments) at the limits, which must be stored as given.
AT_THE_LIMITS: list[tuple[str, dict[str, Any]]] = [
    ("depth-31", {"personalisation": {"deep": nested(30)}}),
    ("2mb", {"personalisation": {"notes": "x" * (validation.MAX_PERSONALISATION_BYTES - 13)}}),
    ("file-of-2mib", {"personalisation": {"doc": a_file(validation.MAX_FILE_BYTES)}}),
    ("ten-files", {"personalisation": {f"doc{i}": a_file(10) for i in range(10)}}),
    ("url-8000", {"one_click_unsubscribe_url": URL + "x" * (8000 - len(URL))}),
    (
        "unicode-everywhere",
        {"personalisation": {"naïve café": ["😀", {"ключ": "значение"}]}, "reference": "réf-😀"},
    ),
    (
        "numbers-none-bools",
        {"personalisation": {"a": 1, "b": 2.5, "c": None, "d": True, "e": [1, {"f": False}]}},
    ),
]


@pytest.mark.parametrize(
    "changes", [c[1] for c in AT_THE_LIMITS], ids=[c[0] for c in AT_THE_LIMITS]
)
def test_input_at_the_limits_is_stored_unchanged(changes: dict[str, Any]) -> None:
    message = send_email_notification(**{**VALID, **changes})
    stored = EmailMessage.objects.get(pk=message.pk)
    if "personalisation" in changes:
        assert stored.personalisation == changes["personalisation"]
    if "one_click_unsubscribe_url" in changes:
        assert stored.one_click_unsubscribe_url == changes["one_click_unsubscribe_url"]
    if "reference" in changes:
        assert stored.reference == changes["reference"]
