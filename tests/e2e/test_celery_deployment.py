"""The example project deployed as in production: PostgreSQL, a real
`celery worker` and `celery beat` on Redis (and on RabbitMQ), runserver for
the view. Emails sent by the view inside its transaction reach
notify-delivered with nothing but Celery running the sync."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg
import pytest
import redis
from kombu.connection import Connection

from django_govuk_notify_outbox.client import NotificationsAPIClient
from tests.e2e.helpers import (
    PYTHON,
    ROOT,
    child_env,
    emulator,
    free_port,
    http_json,
    spawned,
    wait_for,
    wait_for_port,
)

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "example"
BROKERS = {"redis": "redis://127.0.0.1:6379/0", "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//"}
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """Creates a PostgreSQL database for one test and always drops it."""
    name = f"ngo_example_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**PG, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(**PG, autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def broker_queue(broker: str, name: str) -> Iterator[str]:
    """A task queue name used by one test; the broker forgets it afterwards."""
    try:
        yield name
    finally:
        if broker == "redis":
            client = redis.Redis.from_url(BROKERS["redis"])
            with client:
                keys = list(client.scan_iter(match=f"*{name}*"))
                if keys:
                    client.delete(*keys)
        else:
            connection = Connection(BROKERS[broker], connect_timeout=10)  # type: ignore[no-untyped-call]
            # A queue never declared has nothing to delete.
            with connection, contextlib.suppress(Exception):
                connection.default_channel.queue_delete(name)  # type: ignore[no-untyped-call]


def statuses(database: str, ids: list[str]) -> dict[str, str]:
    """Outbox status of each EmailMessage id, read straight from PostgreSQL."""
    with psycopg.connect(**{**PG, "dbname": database}) as conn:  # type: ignore[arg-type]
        rows = conn.execute(
            "SELECT id::text, status FROM django_govuk_notify_outbox_emailmessage "
            "WHERE id::text = ANY(%s)",
            (ids,),
        ).fetchall()
    return dict(rows)


def submit_form(url: str, fields: dict[str, str]) -> tuple[int, bytes]:
    """GETs the form at `url` like a browser (cookie and CSRF token), then
    POSTs `fields` with the token. Returns the status and body of the POST."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with opener.open(url, timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None, page
    data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token.group(1)}).encode()
    with opener.open(urllib.request.Request(url, data=data, method="POST"), timeout=30) as answer:
        return answer.status, answer.read()


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_emails_sent_by_a_view_are_delivered_by_celery_beat_and_worker(
    broker: str, tmp_path: Path
) -> None:
    queue = f"ngo-e2e-{uuid.uuid4().hex[:8]}"
    with (
        emulator(tmp_path / "emulator.log") as notify,
        fresh_database() as database,
        broker_queue(broker, queue),
    ):
        client = NotificationsAPIClient(
            notify["NOTIFY_API_KEY_TEST"], base_url=notify["NOTIFY_BASE_URL"]
        )
        templates = client.get_all_templates(template_type="email")["templates"]
        (plain,) = [t for t in templates if t["name"] == "Plain"]
        env = child_env(
            {
                "DJANGO_SETTINGS_MODULE": "example_project.settings",
                "DJANGO_SECRET_KEY": uuid.uuid4().hex,
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
                "POSTGRES_DB": database,
                "MESSAGE_BROKER": broker,
                "TASK_QUEUE": queue,
                "GOVUK_NOTIFY_API_KEY": notify["NOTIFY_API_KEY_TEST"],
                "GOVUK_NOTIFY_BASE_URL": notify["NOTIFY_BASE_URL"],
                "PASSWORD_RESET_TEMPLATE_ID": plain["id"],
            }
        )
        env["PYTHONPATH"] = f"{EXAMPLE}:{env['PYTHONPATH']}"
        migrate = subprocess.run(
            [PYTHON, "manage.py", "migrate", "--no-input"],
            cwd=EXAMPLE,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr

        celery = [PYTHON, "-m", "celery", "-A", "example_project"]
        port = free_port()
        worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
        with (
            spawned(
                [
                    *celery,
                    "worker",
                    "--loglevel=INFO",
                    "--concurrency=2",
                    "--without-gossip",
                    "--without-mingle",
                    f"--hostname=ngo-e2e-{uuid.uuid4().hex[:8]}@%h",
                ],
                env,
                worker_log,
                EXAMPLE,
            ) as worker,
            spawned(
                [
                    *celery,
                    "beat",
                    "--loglevel=INFO",
                    f"--schedule={tmp_path / 'beat-schedule'}",
                    "--pidfile=",
                ],
                env,
                beat_log,
                EXAMPLE,
            ) as beat,
            spawned(
                [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                env,
                tmp_path / "runserver.log",
                EXAMPLE,
            ),
        ):
            wait_for_port(port)
            ids = []
            for name in ("amira", "ben", "chloe"):
                status, body = submit_form(
                    f"http://127.0.0.1:{port}/password-reset/",
                    {"email_address": f"{name}@example.com"},
                )
                assert status == 201, body
                ids.append(json.loads(body)["email"])

            def all_delivered() -> dict[str, str] | None:
                found = statuses(database, ids)
                done = len(found) == 3 and set(found.values()) == {"notify-delivered"}
                return found if done else None

            def logs() -> str:
                return f"worker:\n{worker_log.read_text()}\nbeat:\n{beat_log.read_text()}"

            try:
                wait_for("the three emails to be delivered", all_delivered, timeout=120)
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{logs()}") from None
            assert worker.poll() is None, logs()
            assert beat.poll() is None, logs()
            # The kick and its follow-up may deliver everything before Beat's first tick
            # (every 5 s): wait for Beat to schedule the sync too.
            try:
                wait_for(
                    "Beat to send the sync task",
                    lambda: (
                        True
                        if "Sending due task sync (django_govuk_notify_outbox.tasks.sync)"
                        in beat_log.read_text()
                        else None
                    ),
                    timeout=30,
                )
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{logs()}") from None
            assert "django_govuk_notify_outbox.tasks.sync" in worker_log.read_text(), logs()

        # Each reset and its email were committed together.
        with psycopg.connect(**{**PG, "dbname": database}) as conn:  # type: ignore[arg-type]
            resets = conn.execute(
                "SELECT r.email_address, m.email_address FROM accounts_passwordreset r "
                "JOIN django_govuk_notify_outbox_emailmessage m ON m.id = r.email_id "
                "ORDER BY r.email_address"
            ).fetchall()
        assert resets == [(f"{n}@example.com",) * 2 for n in ("amira", "ben", "chloe")]

        # Exactly one notification per email at Notify.
        stored = http_json(f"{notify['NOTIFY_BASE_URL']}/_emulator/notifications")
        addresses = sorted(n["email_address"] for n in stored["notifications"])
        assert addresses == ["amira@example.com", "ben@example.com", "chloe@example.com"]
