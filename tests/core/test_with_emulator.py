"""The client against the Notify emulator: a real peer with Notify's token
bucket, validation and error bodies."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django_govuk_notify_outbox.client import NotificationsAPIClient, Outcome
from govuk_notify_emulator import NotifyEmulator

from .compare import assert_same_behaviour

SERVICE = "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0001"
TEMPLATE = "f2a6c3b1-0004-4c1d-9e2f-3a4b5c6d7e04"
RATE = 600  # per minute: Notify's bucket holds min(ceil(600/3)+1, 1000) = 201 tokens


def _config() -> dict[str, Any]:
    return {
        "services": [
            {
                "id": SERVICE,
                "rate_limit": RATE,
                "api_keys": [
                    {
                        "name": "live",
                        "type": "live",
                        "secret": "11111111-aaaa-4aaa-8aaa-000000000001",
                    }
                ],
                "templates": [
                    {
                        "id": TEMPLATE,
                        "name": "Plain",
                        "type": "email",
                        "subject": "Hello",
                        "body": "Hello",
                        "version": 1,
                    }
                ],
            }
        ]
    }


def _emails(n: int) -> list[dict[str, Any]]:
    return [
        {"email_address": f"user{i}@example.com", "template_id": TEMPLATE, "reference": f"r{i}"}
        for i in range(n)
    ]


def test_a_batch_beyond_notifys_burst_is_paced_and_never_throttled(
    notify_emulator_factory: Any,
) -> None:
    emulator: NotifyEmulator = notify_emulator_factory(config=_config())
    key = emulator.api_keys["live"]
    client = NotificationsAPIClient(
        key, emulator.base_url, rate_limit_per_minute=RATE, rate_limit_burst=201
    )
    results = client.send_email_notifications(_emails(230))
    assert Counter(r.outcome for r in results) == {Outcome.ACCEPTED: 230}


def test_without_the_client_side_limit_the_same_batch_is_throttled(
    notify_emulator_factory: Any,
) -> None:
    # The control for the test above: the emulator really enforces the bucket.
    emulator: NotifyEmulator = notify_emulator_factory(config=_config())
    client = NotificationsAPIClient(
        emulator.api_keys["live"], emulator.base_url, rate_limit_per_minute=None
    )
    results = client.send_email_notifications(_emails(230))
    counts = Counter(r.outcome for r in results)
    assert counts[Outcome.THROTTLED] > 0
    throttled = next(r for r in results if r.outcome == Outcome.THROTTLED)
    assert throttled.json()["errors"][0]["error"] == "RateLimitError"


def test_same_behaviour_as_the_official_client_against_the_emulator(
    notify_emulator: NotifyEmulator,
) -> None:
    from notifications_python_client.notifications import NotificationsAPIClient as Official

    key = notify_emulator.api_keys["test"]
    official = Official(key, base_url=notify_emulator.base_url)  # type: ignore[no-untyped-call]
    ours = NotificationsAPIClient(key, notify_emulator.base_url)
    for call in (
        lambda c: c.send_email_notification("nope", TEMPLATE),
        lambda c: c.get_notification_by_id("not-a-uuid"),
        lambda c: c.get_notification_by_id("0f0f0f0f-0000-4000-8000-000000000000"),
        lambda c: c.get_all_notifications(status="elephant"),
        lambda c: c.get_all_templates(),
    ):
        assert_same_behaviour(official, ours, call)
