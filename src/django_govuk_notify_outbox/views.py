"""HTTP views: Notify's delivery-status and complaint callbacks."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import conf, receipts


@csrf_exempt
@require_POST
def notify_callback(request: HttpRequest) -> HttpResponse:
    """Authenticated before the body is read; any valid callback is answered 200 (Notify
    retries anything else), an invalid one 400 naming the field."""
    settings = conf.get_settings()
    refused = receipts.authenticate(request.headers.get("Authorization"), settings)
    if refused:
        response = JsonResponse({"error": "unauthorised"}, status=refused)
        if refused == 401:
            response["WWW-Authenticate"] = "Bearer"
        return response
    length = request.headers.get("Content-Length")
    if length is not None and (not length.isdigit() or int(length) > receipts.MAX_BODY_BYTES):
        return JsonResponse({"error": "the body is too large"}, status=413)
    try:
        receipt = receipts.parse(request.body)
    except receipts.ReceiptError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    matched = receipts.apply(receipt, settings)
    return JsonResponse({"result": "recorded" if matched else "unknown notification"})
