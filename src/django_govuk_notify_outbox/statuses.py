"""The ten outbox statuses, which are final, and the transitions allowed between them.

Every status change goes through :meth:`EmailMessage.transition`, which asks
:func:`can_transition` first; nothing else writes ``status``.
"""

from __future__ import annotations

SENDING_TO_NOTIFY = "sending-to-notify"
RETRYING_SEND_TO_NOTIFY = "retrying-send-to-notify"
FAILED_SEND_TO_NOTIFY = "failed-send-to-notify"
SENT_TO_NOTIFY = "sent-to-notify"
NOTIFY_CREATED = "notify-created"
NOTIFY_SENDING = "notify-sending"
NOTIFY_DELIVERED = "notify-delivered"
NOTIFY_TEMPORARY_FAILURE = "notify-temporary-failure"
NOTIFY_TECHNICAL_FAILURE = "notify-technical-failure"
NOTIFY_PERMANENT_FAILURE = "notify-permanent-failure"

ALL: tuple[str, ...] = (
    SENDING_TO_NOTIFY,
    RETRYING_SEND_TO_NOTIFY,
    FAILED_SEND_TO_NOTIFY,
    SENT_TO_NOTIFY,
    NOTIFY_CREATED,
    NOTIFY_SENDING,
    NOTIFY_DELIVERED,
    NOTIFY_TEMPORARY_FAILURE,
    NOTIFY_TECHNICAL_FAILURE,
    NOTIFY_PERMANENT_FAILURE,
)

LABELS: dict[str, str] = {
    SENDING_TO_NOTIFY: "Sending to Notify",
    RETRYING_SEND_TO_NOTIFY: "Retrying send to Notify",
    FAILED_SEND_TO_NOTIFY: "Failed to send to Notify",
    SENT_TO_NOTIFY: "Sent to Notify",
    NOTIFY_CREATED: "Notify: created",
    NOTIFY_SENDING: "Notify: sending",
    NOTIFY_DELIVERED: "Notify: delivered",
    NOTIFY_TEMPORARY_FAILURE: "Notify: temporary failure",
    NOTIFY_TECHNICAL_FAILURE: "Notify: technical failure",
    NOTIFY_PERMANENT_FAILURE: "Notify: permanent failure",
}

CHOICES: list[tuple[str, str]] = [(s, LABELS[s]) for s in ALL]

FINAL: frozenset[str] = frozenset(
    {
        FAILED_SEND_TO_NOTIFY,
        NOTIFY_DELIVERED,
        NOTIFY_TEMPORARY_FAILURE,
        NOTIFY_TECHNICAL_FAILURE,
        NOTIFY_PERMANENT_FAILURE,
    }
)

# Not yet accepted by Notify: the engine sends (or looks up) these.
TO_SEND: frozenset[str] = frozenset({SENDING_TO_NOTIFY, RETRYING_SEND_TO_NOTIFY})

# Accepted by Notify and not final: the engine polls these.
TRACKED: frozenset[str] = frozenset({SENT_TO_NOTIFY, NOTIFY_CREATED, NOTIFY_SENDING})

# "Retry now" in the admin applies to these.
RETRYABLE: frozenset[str] = frozenset({FAILED_SEND_TO_NOTIFY, RETRYING_SEND_TO_NOTIFY})

# Notify's email statuses (notify-api.md §6) -> ours. "pending" is SMS-only but
# means the same as "sending"; anything else is unknown and changes nothing.
FROM_NOTIFY: dict[str, str] = {
    "created": NOTIFY_CREATED,
    "sending": NOTIFY_SENDING,
    "pending": NOTIFY_SENDING,
    "delivered": NOTIFY_DELIVERED,
    "temporary-failure": NOTIFY_TEMPORARY_FAILURE,
    "technical-failure": NOTIFY_TECHNICAL_FAILURE,
    "permanent-failure": NOTIFY_PERMANENT_FAILURE,
}

_NOTIFY_FINALS = frozenset(
    {
        NOTIFY_DELIVERED,
        NOTIFY_TEMPORARY_FAILURE,
        NOTIFY_TECHNICAL_FAILURE,
        NOTIFY_PERMANENT_FAILURE,
    }
)

# from -> the statuses it may move to. Polls can skip states, so a tracked
# email may jump to any later notify-* status.
TRANSITIONS: dict[str, frozenset[str]] = {
    SENDING_TO_NOTIFY: frozenset({SENT_TO_NOTIFY, RETRYING_SEND_TO_NOTIFY, FAILED_SEND_TO_NOTIFY}),
    RETRYING_SEND_TO_NOTIFY: frozenset(
        {SENT_TO_NOTIFY, RETRYING_SEND_TO_NOTIFY, FAILED_SEND_TO_NOTIFY}
    ),
    FAILED_SEND_TO_NOTIFY: frozenset({RETRYING_SEND_TO_NOTIFY}),
    SENT_TO_NOTIFY: frozenset({NOTIFY_CREATED, NOTIFY_SENDING}) | _NOTIFY_FINALS,
    NOTIFY_CREATED: frozenset({NOTIFY_SENDING}) | _NOTIFY_FINALS,
    NOTIFY_SENDING: _NOTIFY_FINALS,
    NOTIFY_DELIVERED: frozenset(),
    NOTIFY_TEMPORARY_FAILURE: frozenset(),
    NOTIFY_TECHNICAL_FAILURE: frozenset(),
    NOTIFY_PERMANENT_FAILURE: frozenset(),
}


def is_final(status: str) -> bool:
    """True when nothing more will happen to an email in this status."""
    return status in FINAL


def can_transition(from_status: str, to_status: str) -> bool:
    """True when the state machine allows moving from ``from_status`` to ``to_status``."""
    return to_status in TRANSITIONS.get(from_status, frozenset())
