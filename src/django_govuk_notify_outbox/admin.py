"""The admin: a fast, read-only view of the outbox with "retry now" and "refresh status".

Built for tables of millions of rows: no full-table COUNT (a capped count and
``show_full_result_count = False``), filters and searches on indexed columns.
Actions change the database only, through the outbox engine; the next sync
run does the HTTP.

Only the declared filters, searches and sorts reach the database: any other
query-string lookup is refused (400), so nobody can probe personalisation or
bodies with ``?personalisation__regex=…`` or scan an unindexed column. Event
bodies are shown redacted unless the user may see personalisation.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from . import conf, outbox, redaction, resend, statuses
from .models import EmailEvent, EmailMessage, SyncLease, reference_digest
from .observe import dashboard
from .observe.explain import explain

if TYPE_CHECKING:
    _InlineBase = admin.TabularInline[EmailEvent, EmailMessage]
    _AdminBase = admin.ModelAdmin[EmailMessage]
else:
    _InlineBase = admin.TabularInline
    _AdminBase = admin.ModelAdmin

PERM_PERSONALISATION = "django_govuk_notify_outbox.view_personalisation"
PERM_RETRY = "django_govuk_notify_outbox.retry_emailmessage"
PERM_VIEW = "django_govuk_notify_outbox.view_emailmessage"

# The only query-string lookups the changelist accepts: those of its list_filter
# (status: its choices; created_at: DateFieldListFilter's range), both indexed.
ALLOWED_LOOKUPS = frozenset({"status__exact", "created_at__gte", "created_at__lt"})

# The changelist counts at most this many rows; beyond it pages are "10,000+".
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator whose count stops at COUNT_CAP: never a full-table COUNT(*)."""

    @cached_property
    def count(self) -> int:
        object_list: Any = self.object_list
        if isinstance(object_list, QuerySet):
            return object_list.order_by().values("pk")[:COUNT_CAP].count()
        return min(len(object_list), COUNT_CAP)


def _show_personalisation(request: HttpRequest) -> bool:
    try:
        enabled = conf.get_settings().show_personalisation_in_admin
    except Exception:
        enabled = False
    return enabled and request.user.has_perm(PERM_PERSONALISATION)


def _with_explanation(text: str, css: str = "ngo-explain") -> SafeString | str:
    """``text`` and, for a raw transport error, a readable sentence beside it."""
    sentence = explain(text)
    if not sentence:
        return text
    return format_html('{}<br><span class="{}">{}</span>', text, css, sentence)


def _details(summary: str, text: str) -> SafeString | str:
    """Long text (a body, a traceback) folded under ``summary``, so the table fits."""
    if not text:
        return ""
    return format_html(
        '<details class="ngo-fold"><summary>{}</summary><pre>{}</pre></details>', summary, text
    )


def _when(value: Any) -> str:
    """A compact date and time that wraps between the two (the list's columns stay narrow);
    the full timestamp in its title."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}"><span class="ngo-nowrap">{}</span> '
        '<span class="ngo-nowrap">{}</span></time>',
        value.isoformat(),
        date_format(local, "DATETIME_FORMAT"),
        date_format(local, "j M Y"),
        date_format(local, "H:i:s"),
    )


def _yes_no(value: bool, yes: str) -> str:
    """A boolean as words: False is the healthy, ordinary case, not a red cross."""
    return yes if value else "No"


class IndexedChangeList(ChangeList):
    """A changelist that sorts only by the admin's ``sortable_by`` (indexed columns):
    Django itself accepts ``?o=`` for any column of ``list_display``."""

    def get_ordering_field(self, field_name: Any) -> Any:
        if field_name not in (self.sortable_by or ()):
            return None
        return super().get_ordering_field(field_name)


class EmailEventInline(_InlineBase):
    model = EmailEvent
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ("created_at", "id")
    base_fields = (
        "created_at",
        "status_change",
        "request",
        "answer",
        "detail_text",
        "bodies",
        "exception_text",
    )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(self.base_fields)
        # Bodies are redacted again unless this user may see personalisation: events
        # recorded while SHOW_PERSONALISATION_IN_ADMIN was on hold Notify's filled-in email.
        at = fields.index("bodies")
        fields[at] = "bodies_full" if _show_personalisation(request) else "bodies_redacted"
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj)

    @admin.display(description="bodies")
    def bodies_full(self, obj: EmailEvent) -> SafeString | str:
        return format_html(
            "{}{}", _details("request", obj.request_body), _details("response", obj.response_body)
        )

    @admin.display(description="bodies")
    def bodies_redacted(self, obj: EmailEvent) -> SafeString | str:
        return format_html(
            "{}{}",
            _details(
                "request", redaction.display_text(obj.request_body, show_personalisation=False)
            ),
            _details(
                "response", redaction.display_text(obj.response_body, show_personalisation=False)
            ),
        )

    @admin.display(description="status change")
    def status_change(self, obj: EmailEvent) -> SafeString | str:
        if not (obj.from_status or obj.to_status):
            return ""
        return format_html(
            '<span class="ngo-nowrap">{}</span> → <span class="ngo-nowrap">{}</span>',
            obj.from_status or "…",
            obj.to_status or "…",
        )

    @admin.display(description="request")
    def request(self, obj: EmailEvent) -> SafeString | str:
        if not obj.method:
            return obj.get_kind_display() if obj.kind != EmailEvent.Kind.STATUS else ""
        # Break the path only after a slash or before a query, never inside a word.
        parts = obj.path.replace("?", "\x00?").replace("/", "/\x00").split("\x00")
        return format_html(
            '{} <span class="ngo-path" title="{}">{}</span>',
            obj.method,
            obj.path,
            format_html_join(mark_safe("<wbr>"), "{}", ((p,) for p in parts)),
        )

    @admin.display(description="answer")
    def answer(self, obj: EmailEvent) -> str:
        parts = [str(obj.http_status) if obj.http_status else "", obj.outcome]
        if obj.duration is not None:
            parts.append(
                f"{obj.duration * 1000:.0f} ms" if obj.duration < 1 else f"{obj.duration:.2f} s"
            )
        return " · ".join(p for p in parts if p)

    @admin.display(description="detail")
    def detail_text(self, obj: EmailEvent) -> SafeString | str:
        return _with_explanation(obj.detail)

    @admin.display(description="exception")
    def exception_text(self, obj: EmailEvent) -> SafeString | str:
        if not obj.exception_type:
            return ""
        return format_html(
            "{}: {}{}",
            obj.exception_type,
            obj.exception_message,
            _details("traceback", obj.traceback),
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The timeline is part of the email's page: view_emailmessage is enough.
        return request.user.has_perm(PERM_VIEW)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EmailMessage)
class EmailMessageAdmin(_AdminBase):
    list_display = (
        "recipient",
        "template_short",
        "status_badge",
        "attempts",
        "created",
        "updated",
        "last_error_short",
    )
    list_filter = ("status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("email_address",)  # see get_search_results: exact, indexed matches
    search_help_text = "Exact recipient address, Notify notification id, template id or reference."
    list_per_page = 50
    # Only indexed columns sort: a sort on anything else scans the whole table.
    sortable_by = ("recipient", "status_badge", "created")
    paginator = CappedCountPaginator
    show_full_result_count = False
    actions = ("retry_now", "refresh_status", "send_again")
    inlines = (EmailEventInline,)
    ordering = ("-created_at", "-id")

    base_fields = (
        "email_address",
        "template_id",
        "status_badge",
        "notify_status",
        "last_error_explained",
        "attempts",
        "outcome_unknown_text",
        "next_action_at",
        "attempt_started_at",
        "reference",
        "sent_reference",
        "notify_id",
        "email_reply_to_id",
        "one_click_unsubscribe_url",
        "created_at",
        "queued_at",
        "first_attempt_at",
        "last_attempt_at",
        "sent_to_notify_at",
        "notify_sending_at",
        "completed_at",
        "updated_at",
        "last_polled_at",
        "polls",
        "tracking_stopped_text",
        "sanitise_content_for",
        "resent_from",
        "redacted_at",
    )

    class Media:
        css = {"all": ("django_govuk_notify_outbox/admin.css",)}

    if hasattr(admin, "ShowFacets"):  # Django 5.0+: never count rows per filter choice
        show_facets = admin.ShowFacets.NEVER

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: EmailMessage) -> str:
        return format_html(
            '<span class="ngo-status ngo-status--{}">{}</span>',
            obj.status,
            statuses.LABELS.get(obj.status, obj.status),
        )

    @admin.display(description="email address", ordering="email_address")
    def recipient(self, obj: EmailMessage) -> str:
        # Breaks only before the @ when the column is narrow, never inside a word.
        local, at, domain = obj.email_address.rpartition("@")
        if not at:
            return obj.email_address
        return format_html('<span title="{}">{}<wbr>@{}</span>', obj.email_address, local, domain)

    @admin.display(description="created at", ordering="created_at")
    def created(self, obj: EmailMessage) -> str:
        return _when(obj.created_at)

    @admin.display(description="updated at")
    def updated(self, obj: EmailMessage) -> str:
        return _when(obj.updated_at)

    @admin.display(description="template id")
    def template_short(self, obj: EmailMessage) -> str:
        text = str(obj.template_id)
        return format_html('<code class="ngo-uuid" title="{}">{}…</code>', text, text[:8])

    @admin.display(description="last error")
    def last_error_short(self, obj: EmailMessage) -> str:
        if not obj.last_error:
            return ""
        return format_html(
            '<span class="ngo-last-error" title="{}">{}</span>', obj.last_error, obj.last_error
        )

    @admin.display(description="last error")
    def last_error_explained(self, obj: EmailMessage) -> SafeString | str:
        return _with_explanation(obj.last_error)

    @admin.display(description="outcome unknown")
    def outcome_unknown_text(self, obj: EmailMessage) -> str:
        return _yes_no(
            obj.outcome_unknown,
            "Yes: the last attempt may have reached Notify; it is looked up before any resend",
        )

    @admin.display(description="tracking stopped")
    def tracking_stopped_text(self, obj: EmailMessage) -> str:
        return _yes_no(
            obj.tracking_stopped, "Yes: no final status from Notify in time; no longer polled"
        )

    @admin.display(description="personalisation")
    def personalisation_json(self, obj: EmailMessage) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.personalisation, indent=2))

    @admin.display(description="personalisation")
    def personalisation_hidden(self, obj: EmailMessage) -> str:
        return f"Hidden ({len(obj.personalisation or {})} fields)"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(self.base_fields)
        shown = (
            "personalisation_json" if _show_personalisation(request) else "personalisation_hidden"
        )
        fields.insert(2, shown)
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        """Only the declared filters: no lookup on personalisation, bodies or unindexed
        columns (Django allows any local field by default)."""
        return lookup in ALLOWED_LOOKUPS

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return IndexedChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[EmailMessage], search_term: str
    ) -> tuple[QuerySet[EmailMessage], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            as_uuid = uuid.UUID(term)
        except ValueError:
            as_uuid = None
        if as_uuid is not None:
            matches = queryset.filter(notify_id=as_uuid) | queryset.filter(template_id=as_uuid)
        else:
            matches = queryset.filter(email_address=term)
            if term.lower() != term:
                matches = matches | queryset.filter(email_address=term.lower())
        matches = matches | queryset.filter(sent_reference_digest=reference_digest(term))
        return matches, False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERM_RETRY)

    @admin.action(description="Retry now (failed or retrying emails)", permissions=("retry",))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[EmailMessage]) -> None:
        # Counted first: retrying moves emails out of a status-filtered queryset.
        selected = queryset.count()
        # A redacted email has lost its personalisation: it cannot be sent again as it was.
        count = outbox.retry_now(
            queryset.filter(redacted_at__isnull=True), by=request.user.get_username()
        )
        skipped = selected - count
        self.message_user(request, f"{count} email(s) queued for an immediate retry.")
        if skipped:
            self.message_user(
                request,
                f"{skipped} email(s) skipped: only failed or retrying emails that are not "
                "redacted can be retried.",
                messages.WARNING,
            )

    @admin.action(description="Refresh status from Notify", permissions=("retry",))
    def refresh_status(self, request: HttpRequest, queryset: QuerySet[EmailMessage]) -> None:
        count = outbox.request_refresh(queryset, by=request.user.get_username())
        self.message_user(
            request,
            f"{count} email(s) will have their status fetched from Notify on the next sync run.",
        )

    @admin.action(
        description="Send again (temporary or technical failures)", permissions=("retry",)
    )
    def send_again(self, request: HttpRequest, queryset: QuerySet[EmailMessage]) -> None:
        selected = queryset.count()
        created = resend.send_again(queryset, by=request.user.get_username())
        self.message_user(request, f"{len(created)} email(s) queued to be sent again.")
        if selected - len(created):
            self.message_user(
                request,
                f"{selected - len(created)} email(s) skipped: only emails that Notify could "
                "not deliver (temporary or technical failure) and that are not redacted can "
                "be sent again.",
                messages.WARNING,
            )

    def get_urls(self) -> list[URLPattern]:
        urls: list[URLPattern] = [
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="django_govuk_notify_outbox_dashboard",
            )
        ]
        return urls + super().get_urls()

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        """The outbox at a glance (view_emailmessage): queue, sync, Notify's answers."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Outbox dashboard",
            "opts": self.model._meta,
            "legend": dashboard.legend(),
            **dashboard.context(request.GET.get("window", dashboard.DEFAULT_WINDOW)),
        }
        return TemplateResponse(request, "admin/django_govuk_notify_outbox/dashboard.html", context)

    def _pause_context(self, extra_context: dict[str, Any] | None) -> dict[str, Any]:
        paused, since, message = SyncLease.pause_state()
        context = dict(extra_context or {})
        context["ngo_auth_paused"] = paused
        context["ngo_auth_paused_since"] = since
        context["ngo_auth_paused_message"] = message
        return context

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(request, self._pause_context(extra_context))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return super().change_view(request, object_id, form_url, self._pause_context(extra_context))
