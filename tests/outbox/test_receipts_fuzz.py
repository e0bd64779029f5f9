"""The callback body parser takes untrusted bytes: whatever arrives, it returns a Receipt
or raises ReceiptError naming what is wrong, never anything else."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from django_govuk_notify_outbox import receipts

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = ["id", "status", "reference", "created_at", "completed_at", "sent_at",
          "notification_id", "complaint_id", "to"]  # fmt: skip
CALLBACKISH = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=8),
    JSON_VALUES | st.uuids().map(str) | st.sampled_from(receipts.DELIVERY_STATUSES),
    max_size=10,
)


def _parse(raw: bytes) -> None:
    message = ""
    try:
        parsed = receipts.parse(raw)
    except receipts.ReceiptError as exc:
        message = str(exc)
        assert message  # names what is wrong
    if not message:
        assert parsed.kind in ("delivery_status", "complaint")


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_a_receipt_or_a_receipt_error(raw: bytes) -> None:
    _parse(raw)


@settings(max_examples=400, deadline=None)
@given(CALLBACKISH)
def test_callback_shaped_json_is_a_receipt_or_a_receipt_error(body: dict[str, Any]) -> None:
    _parse(json.dumps(body).encode())


def test_deep_or_huge_bodies_are_receipt_errors() -> None:
    for raw in (b"[" * 100_000, b'{"id": "' + b"x" * (receipts.MAX_BODY_BYTES + 1) + b'"}'):
        _parse(raw)
