"""``manage.py notify_outbox_worker``: run the outbox in a loop, for projects without Celery.

Stops cleanly on SIGTERM or SIGINT: the current run finishes (it is bounded
by RUN_TIME_BUDGET), the lease is released, then the command exits.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from ... import _core, observe, retention
from ... import engine as outbox

logger = logging.getLogger(__name__)

# Seconds between returns of the C allocator's free memory to the system while the
# worker lives. A run frees and allocates megabytes a second (response bodies, events,
# result rows); glibc keeps what is freed in the middle of its heap, so without this the
# worker's RSS creeps up as the heap fragments (docs/design.md, "Memory").
RELEASE_MEMORY_EVERY = 1.0


def _release_memory(done: threading.Event) -> None:
    while not done.wait(RELEASE_MEMORY_EVERY):
        _core.release_free_memory()


class Command(BaseCommand):
    help = "Run the GOV.UK Notify outbox in a loop (Ctrl-C or SIGTERM stops it cleanly)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait between runs (default 1).",
        )
        parser.add_argument("--once", action="store_true", help="Do one run, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        interval: float = options["interval"]
        if interval < 0:
            raise CommandError("--interval must not be negative")
        observe.warm()
        # What is loaded by now (Django, the project, the engine) lives as long as the
        # process: frozen, the garbage collector's full passes no longer walk it, and a
        # run is not stalled for tens of milliseconds in the middle of a chunk.
        gc.freeze()
        stop = threading.Event()
        done = threading.Event()
        releaser = threading.Thread(
            target=_release_memory, args=(done,), name="notify-outbox-memory", daemon=True
        )
        releaser.start()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            if stop.is_set():
                raise KeyboardInterrupt
            self.stderr.write(f"signal {signum}: stopping after the current run")
            stop.set()

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            while True:
                started = time.monotonic()
                try:
                    summary = outbox.sync()
                    if summary.ran:
                        retention.redact_finished()  # no query unless REDACT_WHEN_FINAL is on
                    observe.idle_heartbeat(summary)  # the health check: running, even idle
                    if summary.ran or options["once"]:
                        self.stdout.write(str(summary))
                except Exception:
                    logger.exception("outbox: a sync run failed; the next run will retry")
                finally:
                    close_old_connections()
                if options["once"] or stop.is_set():
                    break
                stop.wait(max(0.0, interval - (time.monotonic() - started)))
                if stop.is_set():
                    break
        finally:
            done.set()
            releaser.join()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("worker stopped")
