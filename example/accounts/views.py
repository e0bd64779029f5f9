"""The password-reset view: the reset and its email commit together or not at all."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts.models import PasswordReset
from django_govuk_notify_outbox.utils import send_email_notification


@require_http_methods(["GET", "POST"])
def request_password_reset(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST email_address=...: stores a reset and queues its
    email in one transaction, and answers 201 with both ids."""
    if request.method == "GET":
        return render(request, "accounts/password_reset.html")
    address = request.POST.get("email_address", "").strip()
    try:
        validate_email(address)
    except ValidationError:
        return JsonResponse({"error": "email_address: enter a valid email address"}, status=400)
    with transaction.atomic():
        reset = PasswordReset(email_address=address)
        reset.email = send_email_notification(
            email_address=address,
            template_id=settings.PASSWORD_RESET_TEMPLATE_ID,
            personalisation={
                "reset_link": request.build_absolute_uri(f"/password-reset/{reset.token}/"),
            },
        )
        reset.save()
    return JsonResponse({"password_reset": reset.pk, "email": str(reset.email.pk)}, status=201)
