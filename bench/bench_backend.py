"""django-gov-notify's email backend, pointed at the emulator (it always uses the real
Notify URL otherwise)."""

from __future__ import annotations

from django.conf import settings
from django_gov_notify.backends import NotifyEmailBackend
from notifications_python_client.notifications import NotificationsAPIClient


class EmulatorNotifyBackend(NotifyEmailBackend):  # type: ignore[misc]
    def open(self) -> None:
        if self.client:
            return
        self.client = NotificationsAPIClient(self.api_key, base_url=settings.GOVUK_NOTIFY_BASE_URL)
