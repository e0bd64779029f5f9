"""URLs for the test suite: the admin, and django.contrib.auth's views (password reset)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("notify/", include("django_govuk_notify_outbox.urls")),
]
