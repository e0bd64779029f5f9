from __future__ import annotations

from django.contrib import admin

from accounts.models import PasswordReset


@admin.register(PasswordReset)
class PasswordResetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["email_address", "created_at", "email"]
    raw_id_fields = ["email"]
