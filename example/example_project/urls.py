"""URLs of the example project."""

from __future__ import annotations

from accounts import views
from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("password-reset/", views.request_password_reset, name="password-reset"),
]
