"""The demo, start to finish: `./scripts/demo` runs `python -m demo`.

1. starts the Notify emulator (`python -m govuk_notify_emulator`)
   and reads its address and test API key from its startup lines;
2. migrates a fresh SQLite database under demo/run/ and creates the demo
   superuser;
3. queues the emails of demo/mix.py with `send_email_notification`, in
   transactions, exactly as an application would;
4. starts the worker command (`manage.py notify_outbox_worker`: no Celery, no
   broker) and shows a live table of emails per status until every email is
   in a final state;
5. prints a summary checked against the emulator's own statistics, and
   writes it to demo/run/summary.json;
6. unless --no-serve, serves the Django admin (runserver) next to the
   emulator's web page until Ctrl-C, then stops every child process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from demo.children import PYTHON, ChildFailed, Children, python_env, read_startup_lines
from demo.mix import Email, Template, plan
from demo.paths import RUN_DIR
from demo.progress import ProgressTable
from django_govuk_notify_outbox.statuses import ALL as STATUS_ORDER
from django_govuk_notify_outbox.statuses import FINAL

DEMO_DIR = Path(__file__).resolve().parent
SETTINGS = "demo.settings"
DEMO_USER = "demo"
DEMO_PASSWORD = "demo"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/demo",
        description="Send a realistic mix of emails through the outbox to the Notify "
        "emulator, then serve the Django admin.",
    )
    parser.add_argument(
        "--count", type=int, default=1000, help="how many emails to send (default 1000)"
    )
    parser.add_argument(
        "--no-serve", action="store_true", help="exit after the summary (no admin, no emulator)"
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="port of the Django admin (default 8000)"
    )
    parser.add_argument(
        "--emulator-port", type=int, default=0, help="port of the emulator (default: any free)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="give up when the emails are not all final after this many seconds",
    )
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error(f"--count must be at least 1, not {args.count}")
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, not {args.port}")
    if not 0 <= args.emulator_port < 65536:
        parser.error(f"--emulator-port must be between 0 and 65535, not {args.emulator_port}")
    if args.timeout <= 0:
        parser.error(f"--timeout must be positive, not {args.timeout}")
    return args


def say(message: str) -> None:
    print(message, flush=True)


def http_json(url: str) -> Any:
    """GETs `url` (the emulator's control API) and returns the parsed JSON."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def setup_django(env: dict[str, str]) -> None:
    """Configures Django in this process for the demo settings and `env`."""
    os.environ.update({k: env[k] for k in ("NOTIFY_BASE_URL", "NOTIFY_API_KEY_TEST")})
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()


def prepare_database() -> None:
    """Migrates a fresh database and creates the demo superuser."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        # Readers (this process, the admin) do not block the worker's writes.
        cursor.execute("PRAGMA journal_mode=WAL")
    user_model = get_user_model()
    user_model.objects.create_superuser(DEMO_USER, "demo@example.com", DEMO_PASSWORD)


def email_templates() -> list[Template]:
    """The emulator's email templates, read through the package's client."""
    from django.conf import settings

    from django_govuk_notify_outbox.client import NotificationsAPIClient

    client = NotificationsAPIClient(
        settings.GOVUK_NOTIFY_API_KEY, base_url=settings.GOVUK_NOTIFY_BASE_URL
    )
    response = client.get_all_templates(template_type="email")
    return [Template.from_api(t) for t in response["templates"]]


def queue(emails: Sequence[Email], batch: int = 200) -> None:
    """Queues `emails` with send_email_notification, `batch` per transaction."""
    from django.db import transaction

    from django_govuk_notify_outbox.utils import send_email_notification

    for start in range(0, len(emails), batch):
        with transaction.atomic():
            for email in emails[start : start + batch]:
                send_email_notification(
                    email_address=email.email_address,
                    template_id=email.template_id,
                    personalisation=email.personalisation or None,
                )


def status_counts() -> Counter[str]:
    """Emails per status, from the database."""
    from django.db.models import Count

    from django_govuk_notify_outbox.models import EmailMessage

    rows = EmailMessage.objects.values_list("status").annotate(n=Count("pk")).order_by()
    return Counter({status: n for status, n in rows})


def watch(children: Children, total: int, timeout: float) -> tuple[Counter[str], float]:
    """Redraws the table until every email is final. Returns the final counts
    and the seconds taken; raises ChildFailed on timeout or a dead worker."""
    table = ProgressTable(sys.stdout, STATUS_ORDER, total)
    interval = 0.25 if table.tty else 2.0
    started = time.monotonic()
    last_drawn = -interval
    while True:
        counts = status_counts()
        elapsed = time.monotonic() - started
        final = sum(n for s, n in counts.items() if s in FINAL)
        done = final == total
        if done or elapsed - last_drawn >= interval:
            table.update(counts, elapsed, final)
            last_drawn = elapsed
        if done:
            return counts, elapsed
        if elapsed > timeout:
            table.update(counts, elapsed, final)
            raise ChildFailed(f"{total - final} emails still not final after {timeout:.0f} s")
        children.check_alive()
        time.sleep(0.25)


def failure_reasons() -> Counter[str]:
    """Why emails failed: the status and the last recorded error (or, when
    every email in the group went to one address, that address), counted."""
    from django_govuk_notify_outbox.models import EmailMessage

    groups: dict[tuple[str, str], list[str]] = {}
    failed = EmailMessage.objects.filter(
        status__in=sorted(FINAL - {"notify-delivered"})
    ).values_list("status", "last_error", "email_address")
    for status, error, address in failed:
        groups.setdefault((status, error), []).append(address)
    reasons: Counter[str] = Counter()
    for (status, error), addresses in groups.items():
        detail = error or (addresses[0] if len(set(addresses)) == 1 else "")
        reasons[f"{status}: {detail}" if detail else status] = len(addresses)
    return reasons


def notify_requests(
    stats: dict[str, Any], before: dict[str, Any]
) -> tuple[int, dict[str, dict[str, int]]]:
    """Notify API requests the emulator answered since `before` (the demo's
    own template look-up is in `before`): the total, and per route."""
    routes: dict[str, dict[str, int]] = {}
    for route, outcomes in stats.get("requests", {}).items():
        if "/_emulator" in route:
            continue
        earlier = before.get("requests", {}).get(route, {})
        counts = {str(k): int(v) - int(earlier.get(k, 0)) for k, v in outcomes.items()}
        counts = {k: v for k, v in counts.items() if v}
        if counts:
            routes[route] = counts
    return sum(sum(o.values()) for o in routes.values()), routes


def build_summary(
    counts: Counter[str],
    elapsed: float,
    emails: Sequence[Email],
    stats: dict[str, Any],
    before: dict[str, Any],
) -> dict[str, Any]:
    """The facts the demo reports, from the database and the emulator."""
    from django_govuk_notify_outbox.models import EmailMessage

    total_requests, routes = notify_requests(stats, before)
    sent_refs = list(
        EmailMessage.objects.exclude(notify_id=None).values_list("sent_reference", flat=True)
    )
    references = {str(k): int(v) for k, v in stats.get("references", {}).items()}
    return {
        "emails": len(emails),
        "planned": dict(Counter(e.kind for e in emails)),
        "statuses": {s: counts.get(s, 0) for s in STATUS_ORDER},
        "sent_to_notify": len(sent_refs),
        "delivered": counts.get("notify-delivered", 0),
        "failed": sum(n for s, n in counts.items() if s in FINAL and s != "notify-delivered"),
        "failure_reasons": dict(failure_reasons().most_common()),
        "seconds": round(elapsed, 3),
        "notify_requests": total_requests,
        "notify_requests_by_route": routes,
        "emulator_stored": int(stats.get("stored", 0)),
        "emulator_references_sent_more_than_once": sorted(
            r for r, n in references.items() if n > 1
        ),
        "sent_references_missing_at_emulator": sorted(set(sent_refs) - set(references)),
    }


def print_summary(summary: dict[str, Any]) -> bool:
    """Prints the summary; returns True when the emulator saw exactly one
    notification per email it accepted."""
    s = summary
    say("")
    say(f"Done: {s['emails']:,} emails reached a final state in {s['seconds']:.1f} s")
    say(f"  sent to Notify        {s['sent_to_notify']:>7,}")
    say(f"  delivered             {s['delivered']:>7,}")
    say(f"  failed                {s['failed']:>7,}")
    for reason, n in s["failure_reasons"].items():
        say(f"    {n:>5,} x {reason}")
    say(f"  Notify requests made  {s['notify_requests']:>7,}  (by the outbox, per the emulator)")
    for route, outcomes in sorted(s["notify_requests_by_route"].items()):
        detail = ", ".join(f"{k} x{v:,}" for k, v in sorted(outcomes.items()))
        say(f"    {route}: {detail}")
    twice = s["emulator_references_sent_more_than_once"]
    missing = s["sent_references_missing_at_emulator"]
    if twice or missing or s["emulator_stored"] != s["sent_to_notify"]:
        say(
            f"  MISMATCH: the emulator stored {s['emulator_stored']:,} notifications "
            f"for {s['sent_to_notify']:,} sent emails ({len(twice)} references sent more "
            f"than once, {len(missing)} missing)"
        )
        return False
    say(
        f"  The emulator stored exactly one notification per sent email ({s['emulator_stored']:,})."
    )
    return True


def serve(children: Children, env: dict[str, str], port: int, emulator_url: str) -> None:
    """Runs the Django admin until Ctrl-C (or a child exits)."""
    children.spawn(
        "runserver",
        [PYTHON, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env,
    )
    say("")
    say(
        f"Django admin:  http://127.0.0.1:{port}/admin/"
        f"  (user {DEMO_USER}, password {DEMO_PASSWORD})"
    )
    say(f"Emulator:      {emulator_url}/")
    say("The worker keeps running: retry emails from the admin and watch them go.")
    say("Press Ctrl-C to stop.")
    while True:
        children.check_alive()
        time.sleep(0.5)


def port_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    """The whole demo; returns the exit status."""
    if not args.no_serve and not port_free(args.port):
        say(f"demo failed: port {args.port} is in use; choose another with --port")
        return 1
    if RUN_DIR.exists():
        shutil.rmtree(RUN_DIR)
    RUN_DIR.mkdir(parents=True)
    with Children(RUN_DIR) as children:
        say("Starting the GOV.UK Notify emulator")
        emulator = children.spawn(
            "emulator",
            [
                PYTHON,
                "-m",
                "govuk_notify_emulator",
                "--port",
                str(args.emulator_port),
            ],
            python_env({}),
            capture=True,
        )
        started = read_startup_lines(emulator, "NOTIFY_EMULATOR_READY=1", timeout=30)
        env = python_env(
            {
                "DJANGO_SETTINGS_MODULE": SETTINGS,
                "NGO_DEMO_RUN_DIR": str(RUN_DIR),
                "NOTIFY_BASE_URL": started["NOTIFY_BASE_URL"],
                "NOTIFY_API_KEY_TEST": started["NOTIFY_API_KEY_TEST"],
            }
        )
        base_url = started["NOTIFY_BASE_URL"]
        say(f"  {base_url} (test API key: simulator addresses fail on purpose)")

        setup_django(env)
        say(f"Creating the demo project's database: {RUN_DIR / 'db.sqlite3'}")
        prepare_database()

        emails = plan(args.count, email_templates())
        stats_before = http_json(f"{base_url}/_emulator/stats")
        kinds = Counter(e.kind for e in emails)
        say(
            f"Queueing {len(emails):,} emails with send_email_notification: "
            + ", ".join(f"{n:,} {kind}" for kind, n in kinds.most_common())
        )
        queue(emails)

        say("Starting the worker (manage.py notify_outbox_worker: no Celery, no broker)")
        children.spawn("worker", [PYTHON, "-m", "django", "notify_outbox_worker"], env)
        counts, elapsed = watch(children, len(emails), args.timeout)

        stats = http_json(f"{base_url}/_emulator/stats")
        summary = build_summary(counts, elapsed, emails, stats, stats_before)
        (RUN_DIR / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        exactly_once = print_summary(summary)

        if not args.no_serve:
            serve(children, env, args.port, base_url)
    return 0 if exactly_once else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        return run(args)
    except KeyboardInterrupt:
        say("\nStopped.")
        return 130
    except ChildFailed as exc:
        say(f"demo failed: {exc}")
        return 1
    except ImportError as exc:
        say(f"demo failed: {exc}. ./scripts/demo installs and builds what the demo needs.")
        return 1
