"""The chaos suite's hands in the database: a child process (``python -m
tests.chaos.agent``, settings tests.chaos.settings) that reads one JSON command a
line on stdin and answers one JSON line on stdout. It queues emails through the
public API, reads the lease holder and dumps every email for the final count.
Commands outlive a database restart: each is retried until the database answers."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from typing import Any

import django


def _handle(command: dict[str, Any]) -> Any:
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from django_govuk_notify_outbox.models import EmailEvent, EmailMessage, SyncLease
    from django_govuk_notify_outbox.utils import send_email_notification

    op = command["op"]
    if op == "migrate":
        call_command("migrate", verbosity=0, interactive=False)
        return None
    if op == "enqueue":
        with transaction.atomic():
            for i in range(int(command["n"])):
                send_email_notification(
                    f"{command['prefix']}{i}@example.gov.uk", command["template_id"]
                )
        return None
    if op == "holder":
        lease = SyncLease.objects.filter(pk=SyncLease.SINGLETON_ID).first()
        if lease is None or not lease.holder or not lease.expires_at:
            return None
        if lease.expires_at <= timezone.now():
            return None
        return lease.holder
    if op == "holder_state":
        # The holder, and its claims (made since it took the lease): open now, and all.
        lease = SyncLease.objects.filter(pk=SyncLease.SINGLETON_ID).first()
        if lease is None or not lease.holder or not lease.expires_at or not lease.acquired_at:
            return None
        if lease.expires_at <= timezone.now():
            return None
        mine = EmailMessage.objects.filter(last_attempt_at__gte=lease.acquired_at)
        return {
            "holder": lease.holder,
            "open": mine.exclude(claim_token="").count(),
            "claimed": mine.count(),
        }
    if op == "events":
        return EmailEvent.objects.filter(detail__contains=command["contains"]).count()
    if op == "statuses":
        rows = EmailMessage.objects.values("status").annotate(n=Count("pk"))
        return {r["status"]: r["n"] for r in rows}
    if op == "dump":
        return [
            {
                "pk": m["pk"],
                "status": m["status"],
                "reference": m["sent_reference"],
                "notify_id": str(m["notify_id"]) if m["notify_id"] else None,
                "attempts": m["attempts"],
                "outcome_unknown": m["outcome_unknown"],
                "last_error": m["last_error"],
            }
            for m in EmailMessage.objects.order_by("pk").values(
                "pk",
                "status",
                "sent_reference",
                "notify_id",
                "attempts",
                "outcome_unknown",
                "last_error",
            )
        ]
    raise ValueError(f"unknown op {op!r}")


def main() -> None:
    django.setup()
    from django.db import connections
    from django.db.utils import DatabaseError, InterfaceError

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        deadline = time.monotonic() + float(command.get("retry_for", 60))
        while True:
            try:
                answer: dict[str, Any] = {"ok": True, "value": _handle(command)}
                break
            except (DatabaseError, InterfaceError) as exc:  # restarting: retry
                for connection in connections.all():
                    with contextlib.suppress(Exception):
                        connection.close()
                if time.monotonic() > deadline:
                    answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                    break
                time.sleep(0.2)
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
