"""Django settings for bench/bench_outbox.py and its worker processes.

PostgreSQL on 127.0.0.1:5432 (database ``ngo_bench``, created by the bench) unless
NGO_BENCH_DB is ``sqlite``. The emulator's URL and key come from the environment.
"""

from __future__ import annotations

import json
import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django_govuk_notify_outbox",
]
try:
    import mailer  # noqa: F401

    INSTALLED_APPS.append("mailer")
except ImportError:  # the bench extra is not installed: django-mailer is skipped
    pass

if os.environ.get("NGO_BENCH_DB", "postgresql") == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("NGO_BENCH_SQLITE", "/tmp/ngo_bench.sqlite3"),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("NGO_BENCH_DB_NAME", "ngo_bench"),
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "USER": "postgres",
        }
    }

GOVUK_NOTIFY_API_KEY = os.environ.get(
    "GOVUK_NOTIFY_API_KEY",
    "bench-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0",
)
GOVUK_NOTIFY_BASE_URL = os.environ.get("GOVUK_NOTIFY_BASE_URL", "http://127.0.0.1:1")
GOVUK_NOTIFY_OUTBOX = json.loads(os.environ.get("NGO_OUTBOX_SETTINGS", "{}"))
GOVUK_NOTIFY_PLAIN_EMAIL_TEMPLATE_ID = os.environ.get("NGO_BENCH_TEMPLATE", "")

# django-mailer queues in the database; its sender uses django-gov-notify's backend.
EMAIL_BACKEND = "mailer.backend.DbBackend"
MAILER_EMAIL_BACKEND = "bench_backend.EmulatorNotifyBackend"
DEFAULT_FROM_EMAIL = "bench@example.gov.uk"
MAILER_EMAIL_MAX_BATCH = 25  # each send_all() call: so the bench can stop on time
MAILER_LOCK_PATH = "/tmp/ngo_bench_mailer"

if os.environ.get("NGO_CELERY_BROKER_URL"):
    CELERY_BROKER_URL = os.environ["NGO_CELERY_BROKER_URL"]
    CELERY_TASK_DEFAULT_QUEUE = os.environ.get("NGO_CELERY_QUEUE", "celery")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
