"""Run the same call on the official client and on ours, and compare.

Usable against any peer (the local fake here, or the Notify emulator):

    official = notifications_python_client.NotificationsAPIClient(key, base_url=url)
    ours = django_govuk_notify_outbox.client.NotificationsAPIClient(key, base_url=url)
    assert_same_behaviour(official, ours, lambda c: c.get_template(template_id))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def behaviour(client: Any, call: Callable[[Any], Any]) -> tuple[Any, ...]:
    """("returned", value) or ("raised", class name, status_code, message, str(e))."""
    try:
        return ("returned", call(client))
    except Exception as exc:
        return (
            "raised",
            type(exc).__name__,
            getattr(exc, "status_code", None),
            getattr(exc, "message", None),
            str(exc),
        )


def assert_same_behaviour(official: Any, ours: Any, call: Callable[[Any], Any]) -> tuple[Any, ...]:
    """Asserts both clients return equal values or raise equal exceptions."""
    expected = behaviour(official, call)
    got = behaviour(ours, call)
    assert got == expected
    return got
