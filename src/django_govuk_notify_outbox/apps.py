"""The Django app config. Nothing here touches the network, threads or the database."""

from __future__ import annotations

from django.apps import AppConfig


class NotifyOutboxConfig(AppConfig):
    name = "django_govuk_notify_outbox"
    verbose_name = "GOV.UK Notify outbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .observe import logs

        logs.install()  # every record of the package's logger has email_id, notify_id, outcome
