"""Priority under the rate limit: N bulk emails queued, then one "high" email now and
then while they drain; prints how long each high email took to be accepted by Notify.

    .venv/bin/python bench/bench_priority.py                # 20,000 bulk, 4 high ones
    .venv/bin/python bench/bench_priority.py --bulk 5000 --high 3

Default settings (Notify's 3,000 a minute and burst of 1,000, client side), PostgreSQL,
the emulator on loopback, the worker command in its own process. Prints figures; it is
not a test.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

import bench_outbox as bench


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bulk", type=int, default=20000, help="bulk emails queued first")
    parser.add_argument("--high", type=int, default=4, help="high emails, one at a time")
    parser.add_argument("--start", type=float, default=5.0, help="seconds before the first")
    parser.add_argument("--gap", type=float, default=6.0, help="seconds between high emails")
    args = parser.parse_args()

    import django
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = 'ngo_bench'").fetchone():
            c.execute("CREATE DATABASE ngo_bench")
    from govuk_notify_emulator import NotifyEmulator

    with NotifyEmulator(config=bench.emulator_config(), args=["--retention-ms", "0"]) as notify:
        os.environ.update(
            {
                "GOVUK_NOTIFY_API_KEY": notify.api_keys["live"],
                "GOVUK_NOTIFY_BASE_URL": notify.base_url,
                "NGO_BENCH_TEMPLATE": bench.TEMPLATE_ID,
                "NGO_OUTBOX_SETTINGS": "{}",
            }
        )
        django.setup()
        from django.core.management import call_command

        from django_govuk_notify_outbox import statuses, utils
        from django_govuk_notify_outbox.models import EmailMessage

        call_command("migrate", verbosity=0)
        bench.fresh_tables()
        worker = subprocess.Popen(
            [sys.executable, str(bench.HERE / "outbox_worker.py")],
            env=dict(os.environ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=bench.ROOT,
        )
        try:
            assert worker.stdin is not None
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
            utils.send_email_notifications(
                [
                    {
                        "email_address": bench.address(i),
                        "template_id": bench.TEMPLATE_ID,
                        "personalisation": bench.personalisation(i),
                        "priority": "bulk",
                    }
                    for i in range(args.bulk)
                ]
            )
            bench.analyse()
            worker.stdin.write("go\n")
            worker.stdin.flush()
            waiting = list(statuses.TO_SEND)
            time.sleep(args.start)
            print(f"{args.bulk:,} bulk emails queued; load average {os.getloadavg()[0]:.1f}")
            for n in range(args.high):
                left = EmailMessage.objects.filter(status__in=waiting).count()
                queued = time.perf_counter()
                high = utils.send_email_notification(
                    "reset@example.gov.uk",
                    bench.TEMPLATE_ID,
                    bench.personalisation(n),
                    priority="high",
                )
                while EmailMessage.objects.filter(pk=high.pk, status__in=waiting).exists():
                    time.sleep(0.01)
                took = time.perf_counter() - queued
                print(f"high email {n + 1}: accepted {took:.2f} s after queueing,", end=" ")
                print(f"{left:,} bulk waiting")
                time.sleep(args.gap)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
