"""Benchmark the outbox end to end (enqueue -> accepted by Notify -> final) against what a
team would otherwise run, all in one run, against the Notify emulator on PostgreSQL.

    .venv/bin/pip install --no-deps django-mailer lockfile django-gov-notify pyinstrument
    .venv/bin/python bench/bench_outbox.py                 # 1,000 emails, 0 and 50 ms, 3 runs
    .venv/bin/python bench/bench_outbox.py --latencies 50 --runs 1 --only outbox --profile /tmp/p

(the ``bench`` extra; django-gov-notify pins notifications-python-client < 9, the dev
extra 13: hence --no-deps on top of dev.) Also ``--kick SECONDS`` (Celery, Redis):
commit -> accepted at a steady 20 emails/s; ``--emails 100000 --only bulk --settings
'{"RATE_LIMIT_PER_MINUTE": null}'``: the worker's RSS while draining 100,000.

For each injected latency (emulator fault ``latency_ms``) and run it measures:

* official client, sequential: ``NotificationsAPIClient.send_email_notification`` in a loop;
* official client, 16-thread pool (one client per thread);
* django-mailer with django-gov-notify's backend: ``mailer.send_mail`` per email, then
  ``mailer.engine.send_all()`` (drain);
* enqueue, one call per email, each its own transaction: ``send_email_notification`` and
  django-mailer's ``send_mail`` in alternating blocks of 50 calls (both under the same
  load, which drifts over a run);
* the outbox, default settings (only the URL and key set): ``send_email_notification`` per
  email with the worker waiting, then ``manage.py notify_outbox_worker`` (in its own
  process) drains: time to every email accepted (the table is checked every 5 ms), then
  to every email final (the emulator finishes an email 2 s after accepting it), the
  worker's CPU per email, and HTTP requests.

Prints each figure as min/median/max over the runs, then the ratios measured within each
run. Nothing here is a test: it prints figures. The load average is printed with them.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")

SERVICE_ID = "be0c0000-0000-4000-8000-000000000001"
SECRET = "be0c0000-0000-4000-8000-0000000000a1"
TEMPLATE_ID = "be0c0000-0000-4000-8000-0000000000f1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def emulator_config() -> dict[str, Any]:
    # Notify's per-minute and daily limits are the outbox client's business (its defaults
    # keep to them); off in the emulator so the other senders are not refused.
    return {
        "services": [
            {
                "id": SERVICE_ID,
                "rate_limit": 0,
                "email_message_limit": 0,
                "api_keys": [{"name": "bench", "type": "live", "secret": SECRET}],
                "templates": [
                    {"id": TEMPLATE_ID, "subject": "((subject))", "body": "((body))"},
                ],
            }
        ]
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of each of the process's threads (main, then by thread id)."""
    out: dict[str, float] = defaultdict(float)
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = "main" if task.name == str(pid) else f"thread {task.name}"
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[name] += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return out


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def personalisation(i: int) -> dict[str, str]:
    return {"subject": f"Bench {i}", "body": f"Hello, this is email number {i}."}


def address(i: int) -> str:
    return f"bench{i}@example.gov.uk"


def fresh_tables() -> None:
    """Empty the outbox's tables. TRUNCATE on PostgreSQL: DELETE would leave dead rows
    that every later run scans (autovacuum is off on the development server)."""
    from django.db import connection

    from django_govuk_notify_outbox.models import EmailEvent, EmailMessage, SyncLease

    if connection.vendor == "postgresql":
        tables = ", ".join(m._meta.db_table for m in (EmailEvent, EmailMessage, SyncLease))
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables}")
    else:
        EmailEvent.objects.all().delete()
        EmailMessage.objects.all().delete()
        SyncLease.objects.all().delete()


def analyse() -> None:
    """Refresh the planner's statistics after queueing, as autovacuum would."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# ---- the comparisons ---------------------------------------------------------------------


def official_sequential(api_key: str, base_url: str, count: int, seconds: float) -> float:
    from notifications_python_client.notifications import NotificationsAPIClient

    client = NotificationsAPIClient(api_key, base_url=base_url)
    started = time.perf_counter()
    sent = 0
    while sent < count and time.perf_counter() - started < seconds:
        client.send_email_notification(address(sent), TEMPLATE_ID, personalisation(sent))
        sent += 1
    return sent / (time.perf_counter() - started)


def official_pool(api_key: str, base_url: str, count: int, threads: int = 16) -> float:
    from notifications_python_client.notifications import NotificationsAPIClient

    local = threading.local()

    def send(i: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = NotificationsAPIClient(api_key, base_url=base_url)
        client.send_email_notification(address(i), TEMPLATE_ID, personalisation(i))

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        started = time.perf_counter()
        list(pool.map(send, range(count)))
        return count / (time.perf_counter() - started)


def django_mailer(count: int, drain_seconds: float) -> float | None:
    """Drain emails/s, or None without the bench extra."""
    try:
        import mailer
        from mailer import engine
        from mailer.models import Message
    except ImportError:
        return None
    Message.objects.all().delete()
    for i in range(count):
        p = personalisation(i)
        mailer.send_mail(p["subject"], p["body"], "bench@example.gov.uk", [address(i)])
    # Drain what send_all() gets through in about drain_seconds (it is sequential).
    started = time.perf_counter()
    sent = 0
    while Message.objects.exists() and time.perf_counter() - started < drain_seconds:
        before = Message.objects.count()
        engine.send_all()
        sent += before - Message.objects.count()
    rate = sent / (time.perf_counter() - started)
    Message.objects.all().delete()
    return rate


def enqueue_interleaved(count: int, block: int = 50) -> tuple[float, float] | None:
    """Seconds per call of ``send_email_notification`` and of django-mailer's ``send_mail``
    (None without the bench extra), measured in alternating blocks of ``block`` calls, so
    both see the same machine: the database's and the host's load drift over a run."""
    try:
        import mailer
        from mailer.models import Message
    except ImportError:
        return None
    from django_govuk_notify_outbox import utils

    fresh_tables()
    Message.objects.all().delete()
    spent = {"outbox": 0.0, "mailer": 0.0}
    for start in range(0, count, block):
        numbers = range(start, min(count, start + block))
        began = time.perf_counter()
        for i in numbers:
            utils.send_email_notification(address(i), TEMPLATE_ID, personalisation(i))
        spent["outbox"] += time.perf_counter() - began
        began = time.perf_counter()
        for i in numbers:
            p = personalisation(i)
            mailer.send_mail(p["subject"], p["body"], "bench@example.gov.uk", [address(i)])
        spent["mailer"] += time.perf_counter() - began
    fresh_tables()
    Message.objects.all().delete()
    return spent["outbox"] / count, spent["mailer"] / count


def outbox(
    env: dict[str, str], count: int, *, bulk: bool, profile: str = "", timeout: float = 300
) -> dict[str, float]:
    from django.db import connection

    from django_govuk_notify_outbox import statuses, utils
    from django_govuk_notify_outbox.models import EmailMessage

    fresh_tables()
    cmd = [sys.executable, str(HERE / "outbox_worker.py")]
    if profile:
        cmd += ["--profile", profile]
    worker = subprocess.Popen(
        cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert worker.stdin is not None
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        if bulk:
            utils.send_email_notifications(
                [
                    {
                        "email_address": address(i),
                        "template_id": TEMPLATE_ID,
                        "personalisation": personalisation(i),
                    }
                    for i in range(count)
                ]
            )
        else:
            for i in range(count):
                utils.send_email_notification(address(i), TEMPLATE_ID, personalisation(i))
        per_call = (time.perf_counter() - started) / count
        analyse()
        rss_before = rss_mib(worker.pid)
        cpu_before = cpu_seconds(worker.pid)
        go = time.perf_counter()
        worker.stdin.write("go\n")
        worker.stdin.flush()
        accepted_after = final_after = 0.0
        to_send = list(statuses.TO_SEND)
        not_final = [s for s in statuses.ALL if s not in statuses.FINAL]
        rss_peak = rss_before
        samples: list[tuple[int, float]] = []  # (emails accepted, worker RSS)
        sampled_at = 0.0
        while time.perf_counter() - go < timeout:
            # Every 5 ms until all are accepted (a drain of 1,000 takes a few hundred ms:
            # a coarser poll would add a noticeable share to it), then every 20 ms.
            time.sleep(0.02 if accepted_after else 0.005)
            now = time.perf_counter() - go
            if count >= 10000 and now - sampled_at >= 1.0:
                sampled_at = now
                left = EmailMessage.objects.filter(status__in=to_send).count()
                samples.append((count - left, rss_mib(worker.pid)))
            if not accepted_after and not EmailMessage.objects.filter(status__in=to_send).exists():
                accepted_after = now
            if accepted_after and not EmailMessage.objects.filter(status__in=not_final).exists():
                final_after = now
                break
            rss_peak = max(rss_peak, rss_mib(worker.pid))
        cpu = cpu_seconds(worker.pid) - cpu_before
        if os.environ.get("NGO_BENCH_THREADS"):
            print("  worker CPU by thread:", dict(thread_cpu(worker.pid)), flush=True)
        rss_after = rss_mib(worker.pid)
        connection.close()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
    if samples:
        shown = [samples[0]] + [
            next((s for s in samples if s[0] >= count * q // 4), samples[-1]) for q in (1, 2, 3, 4)
        ]
        print(
            "  worker RSS while draining: "
            + ", ".join(f"{n} accepted: {rss:.1f} MiB" for n, rss in shown),
            flush=True,
        )
    failed = EmailMessage.objects.exclude(status=statuses.NOTIFY_DELIVERED).count()
    return {
        "enqueue_per_call": per_call,
        "accepted_rate": count / accepted_after if accepted_after else 0.0,
        "final_after": final_after,
        "cpu_per_email": cpu / count,
        "not_delivered": failed,
        "rss_before": rss_before,
        "rss_growth": max(rss_peak, rss_after) - rss_before,
    }


def kick_latency(env: dict[str, str], rate: float, seconds: float) -> dict[str, float]:
    """Emails queued one per transaction at ``rate`` a second for ``seconds`` with the
    kick on, a Celery worker (solo pool, Redis) running the sync task: the seconds from
    each commit to its acceptance (``sent_to_notify_at``, the database's clock on this
    host), as p50, p99 and max."""
    import uuid

    from django.db import transaction

    from django_govuk_notify_outbox import kick, statuses, utils
    from django_govuk_notify_outbox.models import EmailMessage

    fresh_tables()
    queue = f"ngo-bench-{uuid.uuid4().hex[:8]}"
    env = {**env, "NGO_CELERY_BROKER_URL": "redis://127.0.0.1:6379/14", "NGO_CELERY_QUEUE": queue}
    os.environ.update({k: env[k] for k in ("NGO_CELERY_BROKER_URL", "NGO_CELERY_QUEUE")})
    from django.conf import settings

    settings.CELERY_BROKER_URL = env["NGO_CELERY_BROKER_URL"]
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    settings.GOVUK_NOTIFY_OUTBOX = {**settings.GOVUK_NOTIFY_OUTBOX, "KICK_ON_COMMIT": True}
    import celery_app

    celery_app.app.conf.broker_url = env["NGO_CELERY_BROKER_URL"]
    celery_app.app.conf.task_default_queue = queue
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "celery_app",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        env={**env, "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT / 'src'}"},
        cwd=HERE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    committed: dict[int, float] = {}
    try:
        time.sleep(5)  # the worker connects to the broker
        kick.reset()
        started = time.time()
        i = 0
        while time.time() - started < seconds:
            due = started + i / rate
            if due > time.time():
                time.sleep(due - time.time())
            with transaction.atomic():
                message = utils.send_email_notification(address(i), TEMPLATE_ID, personalisation(i))
            committed[message.pk] = time.time()
            i += 1
        deadline = time.time() + 30
        while EmailMessage.objects.filter(status__in=list(statuses.TO_SEND)).exists():
            if time.time() > deadline:
                break
            time.sleep(0.02)
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
    accepted = dict(
        EmailMessage.objects.filter(sent_to_notify_at__isnull=False).values_list(
            "pk", "sent_to_notify_at"
        )
    )
    delays = sorted(accepted[pk].timestamp() - t for pk, t in committed.items() if pk in accepted)
    missing = len(committed) - len(delays)
    if not delays:
        return {"p50": 0.0, "p99": 0.0, "max": 0.0, "missing": float(missing)}
    return {
        "p50": delays[len(delays) // 2],
        "p99": delays[min(len(delays) - 1, int(len(delays) * 0.99))],
        "max": delays[-1],
        "missing": float(missing),
    }


# ---- reporting ---------------------------------------------------------------------------


def spread(values: Sequence[float], fmt: str) -> str:
    if not values:
        return "-"
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=1000, help="emails per drain")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latencies", default="0,50", help="injected latency, ms (comma list)")
    parser.add_argument(
        "--only", default="sequential,pool,mailer,outbox,bulk", help="what to measure"
    )
    parser.add_argument("--seq-seconds", type=float, default=4.0, help="sequential runs' length")
    parser.add_argument("--profile", default="", help="profile the outbox worker into FILE")
    parser.add_argument("--settings", default="{}", help="GOVUK_NOTIFY_OUTBOX (JSON)")
    parser.add_argument(
        "--kick",
        type=float,
        default=0,
        help="then SECONDS of 20 emails/s with the kick on (Celery + Redis): commit -> accepted",
    )
    parser.add_argument("--kick-rate", type=float, default=20.0, help="emails/s for --kick")
    args = parser.parse_args()
    only = set(args.only.split(","))

    import django
    import psycopg

    if os.environ.get("NGO_BENCH_DB", "postgresql") == "postgresql":
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
            if not c.execute("SELECT 1 FROM pg_database WHERE datname = 'ngo_bench'").fetchone():
                c.execute("CREATE DATABASE ngo_bench")
    from govuk_notify_emulator import NotifyEmulator

    with NotifyEmulator(config=emulator_config(), args=["--retention-ms", "0"]) as emulator:
        api_key = emulator.api_keys["live"]
        os.environ.update(
            {
                "GOVUK_NOTIFY_API_KEY": api_key,
                "GOVUK_NOTIFY_BASE_URL": emulator.base_url,
                "NGO_BENCH_TEMPLATE": TEMPLATE_ID,
                "NGO_OUTBOX_SETTINGS": args.settings,
            }
        )
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        env = dict(os.environ)
        figures: dict[tuple[int, str], list[float]] = defaultdict(list)
        ratios: dict[tuple[int, str], list[float]] = defaultdict(list)
        loads = []
        for latency in (int(x) for x in args.latencies.split(",")):
            for run in range(args.runs):
                emulator.reset_faults()
                emulator.faults(latency_ms=latency)
                emulator.clear()
                loads.append(os.getloadavg()[0])
                got: dict[str, float] = {}

                def measure(
                    name: str,
                    fn: Callable[[], float],
                    got: dict[str, float] = got,
                    latency: int = latency,
                ) -> None:
                    value = fn()
                    got[name] = value
                    figures[(latency, name)].append(value)

                if "sequential" in only:
                    measure(
                        "official sequential /s",
                        lambda: official_sequential(
                            api_key, emulator.base_url, args.emails, args.seq_seconds
                        ),
                    )
                if "pool" in only:
                    measure(
                        "official 16-thread pool /s",
                        lambda: official_pool(api_key, emulator.base_url, args.emails),
                    )
                if "mailer" in only:
                    mailed = django_mailer(min(args.emails, 500), args.seq_seconds)
                    if mailed is not None:
                        measure("django-mailer + django-gov-notify drain /s", lambda r=mailed: r)
                    pair = enqueue_interleaved(args.emails)
                    if pair is not None:
                        ours, theirs = pair
                        measure("enqueue ms/call: outbox", lambda v=ours: v * 1000)
                        measure("enqueue ms/call: django-mailer", lambda v=theirs: v * 1000)
                for kind in ("outbox", "bulk"):
                    if kind not in only:
                        continue
                    emulator.clear()
                    before = emulator.stats()["requests"]
                    profile = (
                        f"{args.profile}.{latency}ms.{run}.{kind}.pstats"
                        if args.profile.endswith(".pstats")
                        else f"{args.profile}.{latency}ms.{run}.{kind}"
                    )
                    profile = profile if args.profile else ""
                    o = outbox(env, args.emails, bulk=kind == "bulk", profile=profile)
                    after = emulator.stats()["requests"]
                    gets = sum(
                        sum(v.values()) if isinstance(v, dict) else v
                        for k, v in after.items()
                        if k.startswith("GET /v2/")
                    ) - sum(
                        sum(v.values()) if isinstance(v, dict) else v
                        for k, v in before.items()
                        if k.startswith("GET /v2/")
                    )
                    label = "outbox" if kind == "outbox" else "outbox, bulk enqueue"
                    measure(f"{label} enqueue ms/call", lambda o=o: o["enqueue_per_call"] * 1000)
                    measure(f"{label} drain: accepted /s", lambda o=o: o["accepted_rate"])
                    measure(f"{label} drain: all final after s", lambda o=o: o["final_after"])
                    measure(f"{label} worker CPU ms/email", lambda o=o: o["cpu_per_email"] * 1000)
                    measure(f"{label} GETs/email", lambda gets=gets: gets / args.emails)
                    measure(f"{label} worker RSS growth MiB", lambda o=o: o["rss_growth"])
                    if o["not_delivered"]:
                        print(f"  !! {o['not_delivered']} emails not delivered", flush=True)
                pool = got.get("official 16-thread pool /s")
                if pool and "outbox drain: accepted /s" in got:
                    ratios[(latency, "outbox drain / pool")].append(
                        got["outbox drain: accepted /s"] / pool
                    )
                mailer_enqueue = got.get("enqueue ms/call: django-mailer")
                if mailer_enqueue:
                    ratios[(latency, "outbox enqueue / django-mailer enqueue")].append(
                        got["enqueue ms/call: outbox"] / mailer_enqueue
                    )
                print(
                    f"latency {latency} ms, run {run + 1}: "
                    + json.dumps({k: round(v, 4) for k, v in got.items()}),
                    flush=True,
                )
        if args.kick:
            emulator.reset_faults()
            for latency in (int(x) for x in args.latencies.split(",")):
                emulator.faults(latency_ms=latency)
                k = kick_latency(env, args.kick_rate, args.kick)
                for name, value in k.items():
                    figures[
                        (latency, f"kick, {args.kick_rate:g}/s: commit->accepted {name}")
                    ].append(value)
                print(f"kick at {latency} ms: {k}", flush=True)
    print(
        f"\n{args.emails} emails per drain, {args.runs} runs, PostgreSQL, emulator on loopback; "
        f"load average at the runs' starts {spread(loads, '{:.2f}')} (min/median/max)"
    )
    for (latency, name), values in figures.items():
        print(f"{latency:3d} ms  {name:48s} {spread(values, '{:.2f}')}")
    for (latency, name), values in ratios.items():
        print(f"{latency:3d} ms  ratio {name:42s} {spread(values, '{:.2f}')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
