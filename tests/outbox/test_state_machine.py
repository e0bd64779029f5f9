"""The state machine: the pure decisions (no database) and the one writer."""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

import pytest

from django_govuk_notify_outbox import conf, statuses
from django_govuk_notify_outbox.engine import decide, writer
from django_govuk_notify_outbox.engine.clock import db_now
from django_govuk_notify_outbox.engine.decide import Answer, State
from django_govuk_notify_outbox.models import EmailEvent, EmailMessage
from django_govuk_notify_outbox.signals import status_changed
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_WELCOME


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


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=dt_timezone.utc)
SETTINGS = conf.OutboxSettings(api_key="k", max_attempts=3)
TOKEN = "claim-1"


def state(status: str, **changes: Any) -> State:
    values: dict[str, Any] = {
        "pk": 1,
        "status": status,
        "attempts": 1,
        "outcome_unknown": False,
        "queued_at": NOW - timedelta(minutes=5),
        "created_at": NOW - timedelta(minutes=5),
        "attempt_started_at": NOW - timedelta(seconds=1) if status in statuses.TO_SEND else None,
        "claim_token": TOKEN if status in statuses.TO_SEND else "",
        "sent_to_notify_at": None if status in statuses.TO_SEND else NOW - timedelta(minutes=1),
        "polls": 0,
        "notify_id": None if status in statuses.TO_SEND else uuid.uuid4(),
    }
    values.update(changes)
    return State(**values)


def answer(outcome: str, status_code: int | None = None, data: Any = None, **flags: Any) -> Answer:
    return Answer(outcome=outcome, status_code=status_code, error="e", data=data, **flags)


ANSWERS = [
    answer("accepted", 201, {"id": str(uuid.uuid4())}),
    answer("accepted", 201, {"no": "id"}),
    answer("rejected", 400),
    answer("rejected", 403, refused_service=True),
    answer("throttled", 429),
    answer("throttled", 429, daily_limit=True),
    answer("not_sent"),
    answer("not_sent", deadline_missed=True),
    answer("unknown", 500),
]
NOTIFY_ITEMS = [{"id": str(uuid.uuid4()), "status": raw} for raw in statuses.FROM_NOTIFY]


def decisions() -> list[tuple[State, decide.Change | None]]:
    """Every decision function over every status and every kind of answer."""
    out: list[tuple[State, decide.Change | None]] = []
    for status, attempts, unknown in itertools.product(statuses.ALL, (1, 3), (False, True)):
        s = state(status, attempts=attempts, outcome_unknown=unknown)
        for a in ANSWERS:
            out.append((s, decide.after_send(s, TOKEN, a, NOW, SETTINGS)))
        looked = state(status, attempts=attempts, outcome_unknown=True, claim_token="")
        ok = answer("accepted", 200, {"notifications": []})
        for found in (None, NOTIFY_ITEMS[0]):
            out.append((looked, decide.after_lookup(looked, found, ok, NOW, SETTINGS)))
        out.append(
            (looked, decide.after_lookup(looked, None, answer("unknown", 500), NOW, SETTINGS))
        )
        for item in [None, *NOTIFY_ITEMS]:
            for a in (answer("accepted", 200, item), answer("rejected", 404), answer("unknown")):
                out.append((s, decide.after_poll(s, item, a, NOW, SETTINGS)))
        out.append((s, decide.after_recovery(s, TOKEN, NOW, NOW)))
        out.append((s, decide.after_retry_now(state(status, claim_token=""), NOW)))
    return out


def test_every_decision_follows_the_transition_table() -> None:
    seen: set[tuple[str, str]] = set()
    for s, change in decisions():
        if change is None:
            continue
        previous = s.status
        for step in change.path:
            if step != previous:
                assert statuses.can_transition(previous, step), (s, change)
                seen.add((previous, step))
                previous = step
    # The decisions reach every transition of the table, and nothing else.
    allowed = {(a, b) for a, targets in statuses.TRANSITIONS.items() for b in targets if a != b}
    assert seen == allowed


def test_a_final_status_is_never_left_or_downgraded() -> None:
    for status in statuses.FINAL - {statuses.FAILED_SEND_TO_NOTIFY}:
        s = state(status)
        for item in NOTIFY_ITEMS:
            assert decide.after_poll(s, item, answer("accepted", 200, item), NOW, SETTINGS) is None
    sending = state(statuses.NOTIFY_SENDING)
    older = {"id": str(sending.notify_id), "status": "created"}
    change = decide.after_poll(sending, older, answer("accepted", 200, older), NOW, SETTINGS)
    assert change is not None
    assert change.status is None


def test_an_unknown_outcome_is_never_failed_or_resent_without_notifys_answer() -> None:
    old = state(
        statuses.RETRYING_SEND_TO_NOTIFY,
        attempts=99,
        outcome_unknown=True,
        claim_token="",
        queued_at=NOW - timedelta(days=30),
    )
    change = decide.after_lookup(old, None, answer("unknown", 502), NOW, SETTINGS)
    assert change is not None
    assert change.status is None
    assert change.fields["next_action_at"] > NOW
    assert "outcome_unknown" not in change.fields
    # Only Notify's "not found" ends it.
    ok = answer("accepted", 200, {"notifications": []})
    gave_up = decide.after_lookup(old, None, ok, NOW, SETTINGS)
    assert gave_up is not None
    assert gave_up.status == statuses.FAILED_SEND_TO_NOTIFY


def test_an_outcome_for_a_claim_that_was_settled_by_another_sender_is_not_applied() -> None:
    taken_over = state(statuses.RETRYING_SEND_TO_NOTIFY, claim_token="", outcome_unknown=True)
    for a in ANSWERS:
        assert decide.after_send(taken_over, TOKEN, a, NOW, SETTINGS) is None
        assert (
            decide.after_send(state(statuses.SENDING_TO_NOTIFY), "other", a, NOW, SETTINGS) is None
        )


def test_a_missed_send_by_time_and_a_refused_key_spend_no_attempt() -> None:
    s = state(statuses.SENDING_TO_NOTIFY, attempts=2)
    for a in (
        answer("not_sent", deadline_missed=True),
        answer("rejected", 401, refused_service=True),
    ):
        change = decide.after_send(s, TOKEN, a, NOW, SETTINGS)
        assert change is not None
        assert change.status is None
        assert change.fields["attempts"] == 1
        assert change.fields["claim_token"] == ""


def test_unknown_outcomes_are_looked_up_only_after_lookup_delay_from_the_claim() -> None:
    s = state(statuses.SENDING_TO_NOTIFY, attempt_started_at=NOW - timedelta(seconds=2))
    change = decide.after_send(s, TOKEN, answer("unknown", 504), NOW, SETTINGS)
    assert change is not None
    assert change.status == statuses.RETRYING_SEND_TO_NOTIFY
    assert s.attempt_started_at is not None
    assert change.fields["next_action_at"] == s.attempt_started_at + timedelta(
        seconds=SETTINGS.lookup_delay
    )


# --- the writer -------------------------------------------------------------------------------


def _claimed(token: str = TOKEN) -> EmailMessage:
    message = send_email_notification("ada@example.gov.uk", TEMPLATE_WELCOME, {"name": "Ada"})
    EmailMessage.objects.filter(pk=message.pk).update(
        claim_token=token, attempt_started_at=db_now("default"), attempts=1
    )
    return message


def _send_outcome(a: Answer) -> decide.Decide:
    return lambda s: decide.after_send(s, TOKEN, a, db_now("default"), SETTINGS)


@pytest.mark.django_db
def test_of_two_writers_of_the_same_claim_only_the_first_wins() -> None:
    message = _claimed()
    accepted = answer("accepted", 201, {"id": str(uuid.uuid4())})
    first = writer.apply("default", [message.pk], _send_outcome(accepted), db_now("default"))
    second = writer.apply(
        "default", [message.pk], _send_outcome(answer("unknown")), db_now("default")
    )
    assert list(first.changes) == [message.pk]
    assert second.missed == [message.pk]
    assert not second.changes
    stored = EmailMessage.objects.get(pk=message.pk)
    assert stored.status == statuses.SENT_TO_NOTIFY
    assert stored.claim_token == ""
    assert stored.attempt_started_at is None


@pytest.mark.django_db
def test_each_status_entered_is_one_event_and_one_signal() -> None:
    message = _claimed()
    received: list[tuple[str, str]] = []

    def receiver(
        sender: Any, message: EmailMessage, from_status: str, to_status: str, **kw: Any
    ) -> None:
        received.append((from_status, to_status))

    item = {"id": str(uuid.uuid4()), "status": "delivered"}
    status_changed.connect(receiver)
    try:
        writer.apply(
            "default",
            [message.pk],
            _send_outcome(answer("accepted", 201, item)),
            db_now("default"),
            events=writer.status_events,
        )
        # The same status again changes nothing and signals nothing.
        writer.apply(
            "default",
            [message.pk],
            lambda s: decide.after_poll(
                s, item, answer("accepted", 200, item), db_now("default"), SETTINGS
            ),
            db_now("default"),
            events=writer.status_events,
        )
    finally:
        status_changed.disconnect(receiver)
    assert received == [
        (statuses.SENDING_TO_NOTIFY, statuses.SENT_TO_NOTIFY),
        (statuses.SENT_TO_NOTIFY, statuses.NOTIFY_DELIVERED),
    ]
    stored = EmailMessage.objects.get(pk=message.pk)
    assert stored.status == statuses.NOTIFY_DELIVERED
    assert stored.next_action_at is None
    status_events = EmailEvent.objects.filter(message=message, kind="status")
    assert [(e.from_status, e.to_status) for e in status_events] == [
        (statuses.SENDING_TO_NOTIFY, statuses.NOTIFY_DELIVERED)
    ]


@pytest.mark.django_db
def test_a_failing_signal_receiver_does_not_undo_the_change() -> None:
    message = _claimed()

    def receiver(**kwargs: Any) -> None:
        EmailMessage.objects.create(email_address=None)  # type: ignore[misc]  # IntegrityError

    status_changed.connect(receiver)
    try:
        writer.apply(
            "default",
            [message.pk],
            _send_outcome(answer("rejected", 400)),
            db_now("default"),
        )
    finally:
        status_changed.disconnect(receiver)
    assert EmailMessage.objects.get(pk=message.pk).status == statuses.FAILED_SEND_TO_NOTIFY


def test_a_send_decides_the_same_on_the_part_of_its_answer_a_chunk_keeps() -> None:
    """A chunk waiting for its record keeps only answers.DECIDED_KEYS of Notify's body."""
    from django_govuk_notify_outbox.engine.answers import for_decision

    full = {
        "id": str(uuid.uuid4()),
        "reference": "outbox-1",
        "content": {"body": "Dear Zaphod", "subject": "Hello", "from_email": "a@b.gov.uk"},
        "template": {"id": str(uuid.uuid4()), "version": 1, "uri": "https://x/t"},
        "uri": "https://x/n",
    }
    bodies = [full, {**full, "status": "delivered", "completed_at": "2026-12-02T10:00:01Z"}]
    bodies += [{**full, "status": "sending", "sent_at": "2026-12-02T10:00:00Z"}, {"no": "id"}]
    sending = state(statuses.SENDING_TO_NOTIFY)
    for body in bodies:
        whole = answer("accepted", 201, body)
        kept = for_decision(whole)
        assert set(kept.data) <= {"id", "status", "sent_at", "completed_at"}
        assert "content" not in kept.data
        assert decide.after_send(sending, TOKEN, kept, NOW, SETTINGS) == decide.after_send(
            sending, TOKEN, whole, NOW, SETTINGS
        )
    for a in ANSWERS:
        random.seed(7)  # a retry's delay has jitter: the same draw for both
        on_kept = decide.after_send(sending, TOKEN, for_decision(a), NOW, SETTINGS)
        random.seed(7)
        assert on_kept == decide.after_send(sending, TOKEN, a, NOW, SETTINGS)
