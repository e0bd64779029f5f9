"""URLs of the demo project: the Django admin, and / redirects to the outbox."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "",
        RedirectView.as_view(url="/admin/django_govuk_notify_outbox/emailmessage/"),
    ),
]
