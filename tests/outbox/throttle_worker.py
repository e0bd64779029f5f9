"""A process that hammers one address through send_email_notification's throttle.

Run by test_throttle.py as ``python -m tests.outbox.throttle_worker ADDRESS LIMIT N``
with the test database in the environment. It waits for the start file, makes N
attempts (each in its own transaction) and prints "queued throttled errors".
"""

from __future__ import annotations

import os
import sys
import time

import django


def main() -> None:
    address, limit, attempts, start_file = (
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        sys.argv[4],
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from django.db import OperationalError, transaction

    from django_govuk_notify_outbox.errors import ThrottledError
    from django_govuk_notify_outbox.utils import send_email_notification

    deadline = time.monotonic() + 30
    while not os.path.exists(start_file) and time.monotonic() < deadline:
        time.sleep(0.005)
    queued = throttled = errors = 0
    for _ in range(attempts):
        try:
            with transaction.atomic():
                send_email_notification(
                    address,
                    "f2a6c3b1-0004-4c1d-9e2f-3a4b5c6d7e04",
                    throttle_max_per_minute=limit,
                )
            queued += 1
        except ThrottledError:
            throttled += 1
        except OperationalError as exc:  # reported: the test fails on any
            errors += 1
            print(f"error: {exc}", file=sys.stderr)
    print(queued, throttled, errors)


if __name__ == "__main__":
    main()
