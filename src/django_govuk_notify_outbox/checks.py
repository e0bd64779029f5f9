"""System checks for the settings (``manage.py check``). Messages never include the key."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import conf

E_KEY_MISSING = "django_govuk_notify_outbox.E001"
E_KEY_MALFORMED = "django_govuk_notify_outbox.E002"
E_BASE_URL = "django_govuk_notify_outbox.E003"
E_SETTINGS = "django_govuk_notify_outbox.E004"
W_INSECURE_BASE_URL = "django_govuk_notify_outbox.W001"
E_EMAIL_BACKEND = "django_govuk_notify_outbox.E005"
W_API_KEY_ALIAS = "django_govuk_notify_outbox.W002"
W_SYNC_UNSCHEDULED = "django_govuk_notify_outbox.W003"
# A sync seen within this long counts as scheduled (some other way than Celery Beat).
RECENT_RUN_SECONDS = 3600.0
EMAIL_BACKEND = "django_govuk_notify_outbox.backends.EmailBackend"


def _parse_api_key(key: str) -> None:
    """Raise ValueError naming the malformed part of ``key`` (never echoing it)."""
    try:
        from ._core import parse_api_key
    except ImportError:
        # The C extension is not built; apply the same rules (notify-api.md §1.1).
        if len(key) < 74 or key[-37] != "-" or key[-74] != "-":
            raise ValueError("API key must look like {key_name}-{service_id}-{secret}") from None
        for part, text in (("service id", key[-73:-37]), ("secret", key[-36:])):
            try:
                uuid.UUID(text)
            except ValueError:
                raise ValueError(f"API key {part} is not a UUID") from None
        return
    parse_api_key(key)


@checks.register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Errors for a missing or malformed API key, a bad base URL and invalid outbox settings."""
    errors: list[checks.CheckMessage] = []
    key = conf.api_key_setting()
    if getattr(settings, conf.API_KEY_ALIAS, None):
        errors.append(
            checks.Warning(
                f"{conf.API_KEY_ALIAS} is an alias of GOVUK_NOTIFY_API_KEY"
                + (
                    ", which is also set and takes precedence."
                    if getattr(settings, "GOVUK_NOTIFY_API_KEY", None)
                    else "."
                ),
                hint="Rename the setting to GOVUK_NOTIFY_API_KEY.",
                id=W_API_KEY_ALIAS,
            )
        )
    if not key:
        errors.append(
            checks.Error(
                "GOVUK_NOTIFY_API_KEY is not set.",
                hint="Set it to the API key from GOV.UK Notify (API integration > API keys).",
                id=E_KEY_MISSING,
            )
        )
    elif not isinstance(key, str):
        errors.append(
            checks.Error(
                "GOVUK_NOTIFY_API_KEY must be a string.",
                hint="Read it from the environment, e.g. os.environ['GOVUK_NOTIFY_API_KEY'].",
                id=E_KEY_MALFORMED,
            )
        )
    else:
        try:
            _parse_api_key(key)
        except ValueError as exc:
            errors.append(
                checks.Error(
                    f"GOVUK_NOTIFY_API_KEY is malformed: {exc}",
                    hint="Copy the whole key: {key_name}-{service_id}-{secret}, "
                    "the last two parts being UUIDs.",
                    id=E_KEY_MALFORMED,
                )
            )
    base_url = getattr(settings, "GOVUK_NOTIFY_BASE_URL", None)
    if base_url is not None:
        parts = urlsplit(base_url) if isinstance(base_url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            errors.append(
                checks.Error(
                    "GOVUK_NOTIFY_BASE_URL is not an http(s) URL.",
                    hint=f"Leave it unset for the real service ({conf.DEFAULT_BASE_URL}).",
                    id=E_BASE_URL,
                )
            )
        elif parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            errors.append(
                checks.Warning(
                    "GOVUK_NOTIFY_BASE_URL uses plain http to a remote host.",
                    hint="Use https; plain http is meant for a local emulator.",
                    id=W_INSECURE_BASE_URL,
                )
            )
    raw = getattr(settings, "GOVUK_NOTIFY_OUTBOX", None) or {}
    try:
        parsed = conf.parse_outbox_dict("-", conf.DEFAULT_BASE_URL, raw)
        if getattr(settings, "EMAIL_BACKEND", "") == EMAIL_BACKEND and (
            not parsed.email_backend_template_id
        ):
            errors.append(
                checks.Error(
                    f"EMAIL_BACKEND is {EMAIL_BACKEND} but "
                    "GOVUK_NOTIFY_OUTBOX['EMAIL_BACKEND_TEMPLATE_ID'] is not set.",
                    hint="Create a Notify email template whose subject is ((subject)) and "
                    "whose body is ((body)), and set its id.",
                    id=E_EMAIL_BACKEND,
                )
            )
    except ImproperlyConfigured as exc:
        errors.append(
            checks.Error(
                str(exc),
                hint="See docs/configuration.md for every setting and its default.",
                id=E_SETTINGS,
            )
        )
    return errors


@checks.register(deploy=True)
def check_sync_scheduled(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``check --deploy``: a warning when nothing seems to run the sync: no Celery Beat
    entry for the sync task and no run (or idle check) within the last hour."""
    from django.db import DatabaseError

    from .observe import health, state

    if health.beat_schedules_sync(getattr(settings, "CELERY_BEAT_SCHEDULE", None)):
        return []
    try:
        since = state.queue_state().since_last_seen
    except DatabaseError:
        since = None
    if since is not None and since <= RECENT_RUN_SECONDS:
        return []
    return [
        checks.Warning(
            "The outbox's sync looks unscheduled: CELERY_BEAT_SCHEDULE has no entry for "
            f"{health.SYNC_TASK} and no sync has run in the last hour, so queued emails "
            "are never sent.",
            hint='Add {"task": "django_govuk_notify_outbox.tasks.sync", "schedule": 5} to '
            "CELERY_BEAT_SCHEDULE, or run `manage.py notify_outbox_worker` (README: Running "
            "without Celery).",
            id=W_SYNC_UNSCHEDULED,
        )
    ]
