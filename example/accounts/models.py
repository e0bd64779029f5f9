"""A password reset remembers the email that carried its link."""

from __future__ import annotations

import secrets

from django.db import models


def new_token() -> str:
    return secrets.token_urlsafe(32)


class PasswordReset(models.Model):
    email_address = models.EmailField()
    token = models.CharField(max_length=64, default=new_token, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The outbox row: its status says whether the email reached the person.
    email = models.ForeignKey(
        "django_govuk_notify_outbox.EmailMessage", on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Password reset for {self.email_address}"
