"""The state machine: allowed transitions, refused ones, and conditional writes."""

from __future__ import annotations

from typing import Any

import pytest

from django_govuk_notify_outbox import statuses
from django_govuk_notify_outbox.models import EmailEvent, EmailMessage
from django_govuk_notify_outbox.signals import status_changed
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_WELCOME

pytestmark = pytest.mark.django_db


def test_there_are_exactly_the_ten_documented_statuses() -> None:
    assert statuses.ALL == (
        "sending-to-notify",
        "retrying-send-to-notify",
        "failed-send-to-notify",
        "sent-to-notify",
        "notify-created",
        "notify-sending",
        "notify-delivered",
        "notify-temporary-failure",
        "notify-technical-failure",
        "notify-permanent-failure",
    )
    assert set(statuses.TRANSITIONS) == set(statuses.ALL)


def test_final_statuses_allow_nothing_but_retrying_a_failed_send() -> None:
    for status in statuses.FINAL:
        allowed = statuses.TRANSITIONS[status]
        if status == statuses.FAILED_SEND_TO_NOTIFY:
            assert allowed == {statuses.RETRYING_SEND_TO_NOTIFY}
        else:
            assert allowed == frozenset()


def test_notify_statuses_map_onto_ours() -> None:
    assert statuses.FROM_NOTIFY["created"] == statuses.NOTIFY_CREATED
    assert statuses.FROM_NOTIFY["sending"] == statuses.NOTIFY_SENDING
    assert statuses.FROM_NOTIFY["delivered"] == statuses.NOTIFY_DELIVERED
    assert statuses.FROM_NOTIFY["temporary-failure"] == statuses.NOTIFY_TEMPORARY_FAILURE
    assert statuses.FROM_NOTIFY["technical-failure"] == statuses.NOTIFY_TECHNICAL_FAILURE
    assert statuses.FROM_NOTIFY["permanent-failure"] == statuses.NOTIFY_PERMANENT_FAILURE


def _message(status: str) -> EmailMessage:
    message = send_email_notification("a@example.gov.uk", TEMPLATE_WELCOME)
    EmailMessage.objects.filter(pk=message.pk).update(status=status)
    return EmailMessage.objects.get(pk=message.pk)


ALL_PAIRS = [(a, b) for a in statuses.ALL for b in statuses.ALL]


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_every_transition_is_written_exactly_when_the_table_allows_it(
    from_status: str, to_status: str
) -> None:
    message = _message(from_status)
    changes: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        changes.append(kwargs)

    status_changed.connect(receiver)
    try:
        won = message.transition(to_status)
    finally:
        status_changed.disconnect(receiver)
    stored = EmailMessage.objects.get(pk=message.pk)
    if statuses.can_transition(from_status, to_status):
        assert won
        assert stored.status == to_status
        assert len(changes) == 1
        assert changes[0]["from_status"] == from_status
        assert changes[0]["to_status"] == to_status
        if statuses.is_final(to_status):
            assert stored.next_action_at is None
            assert stored.completed_at is not None
    else:
        assert not won
        assert stored.status == from_status
        assert changes == []
        refused = EmailEvent.objects.filter(message=message, detail__startswith="Refused")
        assert refused.count() == 1
        assert refused.get().to_status == to_status


def test_a_tracked_email_can_jump_straight_to_a_final_notify_status() -> None:
    message = _message(statuses.SENT_TO_NOTIFY)
    assert message.transition(statuses.NOTIFY_DELIVERED)
    assert EmailMessage.objects.get(pk=message.pk).status == statuses.NOTIFY_DELIVERED


def test_two_writers_of_the_same_transition_cannot_both_win() -> None:
    message = _message(statuses.SENDING_TO_NOTIFY)
    other_copy = EmailMessage.objects.get(pk=message.pk)
    assert message.transition(statuses.SENT_TO_NOTIFY)
    assert not other_copy.transition(statuses.FAILED_SEND_TO_NOTIFY)
    assert EmailMessage.objects.get(pk=message.pk).status == statuses.SENT_TO_NOTIFY


def test_each_status_change_is_recorded_as_an_event() -> None:
    message = _message(statuses.SENDING_TO_NOTIFY)
    message.transition(statuses.SENT_TO_NOTIFY)
    message.transition(statuses.NOTIFY_SENDING)
    message.transition(statuses.NOTIFY_DELIVERED)
    changes = list(
        EmailEvent.objects.filter(message=message, kind="status").values_list(
            "from_status", "to_status"
        )
    )
    assert changes == [
        ("sending-to-notify", "sent-to-notify"),
        ("sent-to-notify", "notify-sending"),
        ("notify-sending", "notify-delivered"),
    ]


def test_a_failing_signal_receiver_does_not_undo_the_transition() -> None:
    message = _message(statuses.SENDING_TO_NOTIFY)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("receiver bug")

    status_changed.connect(broken)
    try:
        assert message.transition(statuses.SENT_TO_NOTIFY)
    finally:
        status_changed.disconnect(broken)
    assert EmailMessage.objects.get(pk=message.pk).status == statuses.SENT_TO_NOTIFY
