"""Include in your URLconf: ``path("notify/", include("django_govuk_notify_outbox.urls"))``,
then give Notify ``https://<your host>/notify/callback`` as the callback URL of both
the delivery-receipt and the complaint callbacks."""

from django.urls import path

from . import views

app_name = "django_govuk_notify_outbox"

urlpatterns = [
    path("callback", views.notify_callback, name="callback"),
]
