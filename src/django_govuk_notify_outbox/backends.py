"""A Django email backend that queues every email in the outbox.

``EMAIL_BACKEND = "django_govuk_notify_outbox.backends.EmailBackend"`` sends
``send_mail``, ``EmailMessage.send()``, ``mail_admins`` and the auth views'
emails through GOV.UK Notify, with one Notify template whose subject is
``((subject))`` and whose body is ``((body))``
(``GOVUK_NOTIFY_OUTBOX["EMAIL_BACKEND_TEMPLATE_ID"]``).

Rules (README "Django's email backend"):

* One outbox row per recipient in ``to``, ``cc`` and ``bcc`` (an address given
  twice gets one row). Notify sends each recipient their own email.
* ``reply_to`` (at most one address) maps to a reply-to id through
  ``EMAIL_BACKEND_REPLY_TO_IDS``; an address not in it is an error.
* The plain-text body is sent; HTML alternatives are ignored, since Notify
  formats the email itself. An HTML-only email (``content_subtype = "html"``)
  and attachments are errors.
* ``from_email`` and extra headers are not sent: Notify sends from the service's
  own address.
* Errors raise ``errors.UnsupportedEmailError`` (a ``ValueError``), or the
  validation errors of ``send_email_notification``; with ``fail_silently`` they
  are logged and the email is skipped, as Django documents.
* The rows are written in the caller's transaction: if it rolls back, nothing
  is sent. An email is stored whole or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from email.utils import getaddresses
from typing import Any

from django.core.mail import EmailMessage as DjangoEmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DEFAULT_DB_ALIAS, router, transaction

from . import conf
from .errors import UnsupportedEmailError
from .models import EmailMessage
from .utils import send_email_notification

logger = logging.getLogger(__name__)

__all__ = ["EmailBackend", "UnsupportedEmailError"]


def _addresses(values: Sequence[str]) -> list[str]:
    """The bare addresses of ``values`` ("Name <a@b>" -> "a@b"), without repeats."""
    seen: set[str] = set()
    result: list[str] = []
    for _, address in getaddresses([str(v) for v in values]):
        address = address.strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


class EmailBackend(BaseEmailBackend):
    """Queues Django emails in the GOV.UK Notify outbox (no network in the request)."""

    def send_messages(self, email_messages: Sequence[DjangoEmailMessage]) -> int:
        """Queue each email; the number of emails queued (skipped ones not counted)."""
        if not email_messages:
            return 0
        sent = 0
        for email in email_messages:
            try:
                if self.queue(email):
                    sent += 1
            except Exception:
                if not self.fail_silently:
                    raise
                logger.exception("outbox: a Django email could not be queued")
        return sent

    def queue(self, email: DjangoEmailMessage) -> list[EmailMessage]:
        """Store one outbox row per recipient of ``email``, all or none; the rows."""
        settings = conf.get_settings()
        template_id = settings.email_backend_template_id
        if not template_id:
            raise UnsupportedEmailError(
                "GOVUK_NOTIFY_OUTBOX['EMAIL_BACKEND_TEMPLATE_ID'] is not set: the Notify "
                "template whose subject is ((subject)) and body is ((body))"
            )
        if email.attachments:
            raise UnsupportedEmailError(
                "attachments cannot be sent through the GOV.UK Notify email backend"
            )
        if email.content_subtype == "html":
            raise UnsupportedEmailError(
                "HTML-only emails cannot be sent through the GOV.UK Notify email backend: "
                "give a plain-text body (HTML alternatives are ignored)"
            )
        reply_to_id = self._reply_to_id(email, settings.email_backend_reply_to_ids)
        recipients = _addresses(list(email.to) + list(email.cc) + list(email.bcc))
        if not recipients:
            return []
        personalisation: dict[str, Any] = {
            "subject": str(email.subject or ""),
            "body": str(email.body or ""),
        }
        # email.alternatives (HTML) are ignored: Notify formats the email itself.
        using = router.db_for_write(EmailMessage) or DEFAULT_DB_ALIAS
        with transaction.atomic(using=using):
            return [
                send_email_notification(
                    email_address=address,
                    template_id=template_id,
                    personalisation=personalisation,
                    email_reply_to_id=reply_to_id,
                )
                for address in recipients
            ]

    @staticmethod
    def _reply_to_id(email: DjangoEmailMessage, reply_to_ids: Any) -> str | None:
        addresses = _addresses(list(email.reply_to))
        if not addresses:
            return None
        if len(addresses) > 1:
            raise UnsupportedEmailError(
                "reply_to: GOV.UK Notify takes one reply-to address per email, "
                f"not {len(addresses)}"
            )
        reply_to_id = reply_to_ids.get(addresses[0].lower())
        if reply_to_id is None:
            raise UnsupportedEmailError(
                f"reply_to: {addresses[0]!r} has no reply-to id; add it to "
                "GOVUK_NOTIFY_OUTBOX['EMAIL_BACKEND_REPLY_TO_IDS'] (the id is in Notify, "
                "Settings > Reply-to email addresses)"
            )
        return str(reply_to_id)
