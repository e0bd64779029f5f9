"""Settings of the example project, in production shape.

Everything that differs between environments comes from the environment
(names without a CELERY_ prefix: Celery reads some CELERY_* variables itself):

    DJANGO_SECRET_KEY             required unless DJANGO_DEBUG=1
    DJANGO_DEBUG                  "1" for development
    DJANGO_ALLOWED_HOSTS          comma-separated
    POSTGRES_DB / POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_HOST / POSTGRES_PORT
    MESSAGE_BROKER                "redis" (default) or "rabbitmq"
    TASK_QUEUE                    default "celery"
    REDIS_URL                     default redis://127.0.0.1:6379/0
    RABBITMQ_URL                  default amqp://guest:guest@127.0.0.1:5672//
    GOVUK_NOTIFY_API_KEY          your Notify API key
    GOVUK_NOTIFY_BASE_URL         optional: the Notify emulator in development and tests
    PASSWORD_RESET_TEMPLATE_ID    the Notify template of the password-reset email
"""

from __future__ import annotations

import os

DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "development-only-not-secret" if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set (or DJANGO_DEBUG=1 for development)")
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]

USE_TZ = True
TIME_ZONE = "Europe/London"
ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Installation step 2.
    "django_govuk_notify_outbox",
    "accounts",
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
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", "static")

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("POSTGRES_DB", "example"),
        "USER": os.environ.get("POSTGRES_USER", "postgres"),
        "PASSWORD": os.environ.get("POSTGRES_PASSWORD", ""),
        "HOST": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        "PORT": os.environ.get("POSTGRES_PORT", "5432"),
        "CONN_MAX_AGE": 60,
    }
}

# Celery: the broker is Redis or RabbitMQ; results are not needed.
BROKERS = {
    "redis": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    "rabbitmq": os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}
_broker = os.environ.get("MESSAGE_BROKER", "redis")
if _broker not in BROKERS:
    raise RuntimeError(f"MESSAGE_BROKER must be redis or rabbitmq, not {_broker!r}")
CELERY_BROKER_URL = BROKERS[_broker]
# One queue per deployment when several share a broker.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("TASK_QUEUE", "celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# A restarted worker must not lose a sync that was running: the outbox is
# idempotent, so acknowledging late is safe.
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# Installation step 3.
GOVUK_NOTIFY_API_KEY = os.environ.get("GOVUK_NOTIFY_API_KEY", "")
if os.environ.get("GOVUK_NOTIFY_BASE_URL"):
    GOVUK_NOTIFY_BASE_URL = os.environ["GOVUK_NOTIFY_BASE_URL"]

# Installation step 4.
CELERY_BEAT_SCHEDULE = {
    "sync": {"task": "django_govuk_notify_outbox.tasks.sync", "schedule": 5},
}

PASSWORD_RESET_TEMPLATE_ID = os.environ.get("PASSWORD_RESET_TEMPLATE_ID", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
