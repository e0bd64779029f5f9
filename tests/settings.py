"""Django settings for the test suite.

NGO_TEST_DB selects the database: sqlite (default), postgresql or mariadb,
each the local server described in the README's Development section.
"""

from __future__ import annotations

import json
import os

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_govuk_notify_outbox",
    "tests.testapp",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

STATIC_URL = "/static/"

_DB = os.environ.get("NGO_TEST_DB", "sqlite")
# One test database per test run, so runs started at the same time on the shared
# local server do not create or destroy each other's database.
_TEST_DB_NAME = f"ngo_test_{os.getpid()}"
if _DB == "postgresql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "test",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "USER": "postgres",
            "TEST": {"NAME": _TEST_DB_NAME},
        }
    }
elif _DB == "mariadb":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": "test",
            "HOST": "127.0.0.1",
            "PORT": "3306",
            "USER": "root",
            "PASSWORD": "",
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {"NAME": _TEST_DB_NAME, "CHARSET": "utf8mb4"},
        }
    }
elif _DB == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("NGO_SQLITE_PATH", ":memory:"),
            # A file, so other processes can share the test database (default: memory).
            "TEST": {"NAME": os.environ.get("NGO_SQLITE_TEST_PATH")},
        }
    }
else:
    raise RuntimeError(f"NGO_TEST_DB must be sqlite, postgresql or mariadb, not {_DB!r}")

# A subprocess started by a test (e.g. the outbox worker) reaches the test
# database and the emulator through these.
if os.environ.get("NGO_TEST_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["NGO_TEST_DB_NAME"]

# A syntactically valid key; tests that talk to the emulator override it.
GOVUK_NOTIFY_API_KEY = os.environ.get(
    "GOVUK_NOTIFY_API_KEY",
    "tests-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0",
)
if os.environ.get("GOVUK_NOTIFY_BASE_URL"):
    GOVUK_NOTIFY_BASE_URL = os.environ["GOVUK_NOTIFY_BASE_URL"]
if os.environ.get("NGO_OUTBOX_SETTINGS"):
    GOVUK_NOTIFY_OUTBOX = json.loads(os.environ["NGO_OUTBOX_SETTINGS"])
if os.environ.get("NGO_CELERY_BROKER_URL"):
    CELERY_BROKER_URL = os.environ["NGO_CELERY_BROKER_URL"]
    CELERY_TASK_DEFAULT_QUEUE = os.environ.get("NGO_CELERY_QUEUE", "celery")
