"""A model linking to EmailMessage by FK and M2M, as a project using the outbox would."""

from __future__ import annotations

from django.db import models

from django_govuk_notify_outbox.models import EmailMessage


class PasswordReset(models.Model):
    username = models.CharField(max_length=150)
    email = models.ForeignKey(
        EmailMessage, on_delete=models.PROTECT, related_name="password_resets"
    )

    def __str__(self) -> str:
        return self.username


class LegalNotice(models.Model):
    title = models.CharField(max_length=200)
    emails = models.ManyToManyField(EmailMessage, related_name="legal_notices")

    def __str__(self) -> str:
        return self.title
