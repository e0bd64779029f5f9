""" "Send again": a new email with the same content as one Notify could not deliver.

For ``notify-temporary-failure`` (e.g. a full inbox) and ``notify-technical-failure``
(a problem between Notify and its provider) the same email may get through later.
The original is never changed (history is not rewritten); the new email is linked
to it by ``resent_from`` and both timelines record the link.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.db.models import QuerySet

from . import statuses
from .models import EmailEvent, EmailMessage
from .utils import send_email_notification

__all__ = ["RESENDABLE", "send_again"]

# Final statuses after which sending the same email again may succeed.
RESENDABLE: frozenset[str] = frozenset(
    {statuses.NOTIFY_TEMPORARY_FAILURE, statuses.NOTIFY_TECHNICAL_FAILURE}
)


def send_again(queryset: QuerySet[EmailMessage], *, by: str = "") -> list[EmailMessage]:
    """Queue a new email for each selected email in a RESENDABLE status that has not
    been redacted; the new emails. Each gets a new reference (``outbox-<uuid>``), so
    Notify's look-up by reference can never mistake it for the original."""
    using = router.db_for_write(EmailMessage) or DEFAULT_DB_ALIAS
    created: list[EmailMessage] = []
    originals = queryset.filter(status__in=RESENDABLE, redacted_at__isnull=True).order_by("pk")
    with transaction.atomic(using=using):
        for original in originals:
            new = send_email_notification(
                email_address=original.email_address,
                template_id=original.template_id,
                personalisation=original.personalisation,
                email_reply_to_id=original.email_reply_to_id,
                one_click_unsubscribe_url=original.one_click_unsubscribe_url or None,
                sanitise_content_for=list(original.sanitise_content_for or []) or None,
            )
            EmailMessage.objects.using(using).filter(pk=new.pk).update(resent_from=original)
            new.resent_from = original
            who = f" by {by}" if by else ""
            EmailEvent.objects.using(using).bulk_create(
                [
                    EmailEvent(
                        message=new,
                        kind=EmailEvent.Kind.INFO,
                        detail=f"Sent again{who}: a copy of email {original.pk} "
                        f"({original.status})",
                    ),
                    EmailEvent(
                        message=original,
                        kind=EmailEvent.Kind.INFO,
                        detail=f"Sent again{who} as email {new.pk}",
                    ),
                ]
            )
            created.append(new)
    return created
