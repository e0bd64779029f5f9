"""The Celery app of bench/bench_outbox.py --kick (configured from bench_settings)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")

from celery import Celery  # noqa: E402

app = Celery("ngo_bench")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["django_govuk_notify_outbox"])
