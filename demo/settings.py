"""Settings of the demo project: SQLite under demo/run/, the Notify emulator.

The demo driver (demo/driver.py) starts the emulator and passes its address
and test API key through the environment before Django starts.
"""

from __future__ import annotations

import os

from demo.paths import RUN_DIR

SECRET_KEY = "demo-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "demo.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_govuk_notify_outbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": RUN_DIR / "db.sqlite3",
        # The worker writes while the driver and the admin read.
        "OPTIONS": {"timeout": 30},
    }
}

# Set by the demo driver from the emulator's startup lines (a test key, so
# the simulator addresses temp-fail@ / perm-fail@simulator.notify work).
GOVUK_NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY_TEST", "")
GOVUK_NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

GOVUK_NOTIFY_OUTBOX = {
    # The emulator moves a notification to its final status within seconds;
    # poll every 2 s so the demo ends quickly. The defaults (every 15 s at
    # first, then less often: docs/configuration.md) suit the real Notify.
    "POLL_SCHEDULE": [(10 * 60, 2.0), (60 * 60, 60.0), (24 * 3600, 1800.0)],
}
