"""Every setting of the app, read in one place.

``GOVUK_NOTIFY_API_KEY`` (required) and ``GOVUK_NOTIFY_BASE_URL`` are
top-level Django settings; everything else lives in the ``GOVUK_NOTIFY_OUTBOX``
dict. :func:`get_settings` reads them on every call so ``override_settings``
works; it raises ``ImproperlyConfigured`` naming the bad setting.
docs/configuration.md documents each one.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"

# (email age up to, seconds between polls). Older than the last row: tracking stops.
DEFAULT_POLL_SCHEDULE: tuple[tuple[float, float], ...] = (
    # Most emails are final within seconds: shown so within about 3 s.
    (30, 3.0),
    (10 * 60, 15.0),
    (60 * 60, 60.0),
    (6 * 3600, 300.0),
    (24 * 3600, 1800.0),
    # Notify times out "sending" after 72 h in a nightly job; one more day of slack.
    (96 * 3600, 3600.0),
)


class ApiKey(str):
    """A GOV.UK Notify API key: a ``str`` (pass it wherever the key is needed) whose
    ``repr``, ``str`` and format show the key name and service id, never the secret.

    Django's DEBUG page and error trackers show frame locals with ``repr``, and
    only cleanse *settings* by name, so a plain ``str`` key in a local would be
    shown whole. ``reveal()`` returns the plain key.
    """

    __slots__ = ()

    @property
    def key_name(self) -> str:
        return str.__str__(self)[:-74] if len(self) >= 74 else ""

    @property
    def service_id(self) -> str:
        return str.__str__(self)[-73:-37] if len(self) >= 74 else ""

    def reveal(self) -> str:
        """The whole key as a plain ``str`` (for the HTTP client only)."""
        return str.__str__(self)

    def __repr__(self) -> str:
        if not self.service_id:
            return "<ApiKey (malformed; hidden)>"
        return f"<ApiKey {self.key_name}-{self.service_id}-(secret hidden)>"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return format(repr(self), format_spec)


@dataclasses.dataclass(frozen=True, repr=False)
class OutboxSettings:
    """The validated settings. Times are seconds. Its repr never shows the API key's
    secret (``api_key`` is an :class:`ApiKey`)."""

    api_key: str = dataclasses.field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 10.0
    connect_timeout: float = 5.0
    # 500: what the default rate limit starts within one SEND_WINDOW (50/s x 10 s); two
    # chunks in the pipeline hold Notify's burst of 1,000, spent 100 requests at a time.
    # Each chunk costs a fixed dozen statements and commits: fewer, larger chunks drain
    # faster (1,000 emails at 0 ms: ~15 % sooner than with chunks of 250).
    batch_size: int = 500
    max_in_flight: int = 100
    max_attempts: int = 10
    max_age: float = 24 * 3600.0
    backoff_base: float = 5.0
    backoff_cap: float = 900.0
    lookup_delay: float = 45.0
    send_window: float = 10.0
    token_window: float = 30.0
    lease_seconds: float = 3.0
    run_time_budget: float = 25.0
    auth_probe_interval: float = 30.0
    kick_on_commit: bool | None = None
    poll_schedule: tuple[tuple[float, float], ...] = DEFAULT_POLL_SCHEDULE
    list_poll_threshold: int = 20
    list_poll_max_pages: int = 20
    retention: float = 7 * 24 * 3600.0
    rate_limit_per_minute: int | None = 3000
    rate_limit_burst: int = 1000
    show_personalisation_in_admin: bool = False
    event_body_limit: int = 2000
    callback_bearer_token: str | None = dataclasses.field(default=None, repr=False)
    receipt_poll_fallback: float = 900.0
    # backends.EmailBackend: the template with ((subject)) and ((body)), and reply-to ids.
    email_backend_template_id: str | None = None
    email_backend_reply_to_ids: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # retention.redact_finished: remove personalisation and bodies once an email is final.
    redact_when_final: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.api_key, ApiKey):
            object.__setattr__(self, "api_key", ApiKey(self.api_key))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr
        )
        return f"OutboxSettings(api_key={self.api_key!r}, {shown})"

    __str__ = __repr__

    @property
    def receipts_enabled(self) -> bool:
        """Delivery-status callbacks are configured: polling becomes the fallback."""
        return self.callback_bearer_token is not None

    @property
    def kick_enabled(self) -> bool:
        """Whether to kick the Celery sync task after a commit that queued email."""
        if self.kick_on_commit is not None:
            return self.kick_on_commit
        return celery_configured()


# Keys of GOVUK_NOTIFY_OUTBOX -> (field, accepted types).
_NUMBER = (int, float)
_KEYS: dict[str, tuple[str, tuple[type, ...]]] = {
    "TIMEOUT": ("timeout", _NUMBER),
    "CONNECT_TIMEOUT": ("connect_timeout", _NUMBER),
    "BATCH_SIZE": ("batch_size", (int,)),
    "MAX_IN_FLIGHT": ("max_in_flight", (int,)),
    "MAX_ATTEMPTS": ("max_attempts", (int,)),
    "MAX_AGE": ("max_age", _NUMBER),
    "BACKOFF_BASE": ("backoff_base", _NUMBER),
    "BACKOFF_CAP": ("backoff_cap", _NUMBER),
    "LOOKUP_DELAY": ("lookup_delay", _NUMBER),
    "SEND_WINDOW": ("send_window", _NUMBER),
    "TOKEN_WINDOW": ("token_window", _NUMBER),
    "LEASE_SECONDS": ("lease_seconds", _NUMBER),
    "RUN_TIME_BUDGET": ("run_time_budget", _NUMBER),
    "AUTH_PROBE_INTERVAL": ("auth_probe_interval", _NUMBER),
    "KICK_ON_COMMIT": ("kick_on_commit", (bool, type(None))),
    "POLL_SCHEDULE": ("poll_schedule", (list, tuple)),
    "LIST_POLL_THRESHOLD": ("list_poll_threshold", (int,)),
    "LIST_POLL_MAX_PAGES": ("list_poll_max_pages", (int,)),
    "RETENTION": ("retention", _NUMBER),
    "RATE_LIMIT_PER_MINUTE": ("rate_limit_per_minute", (int, type(None))),
    "RATE_LIMIT_BURST": ("rate_limit_burst", (int,)),
    "SHOW_PERSONALISATION_IN_ADMIN": ("show_personalisation_in_admin", (bool,)),
    "EVENT_BODY_LIMIT": ("event_body_limit", (int,)),
    "CALLBACK_BEARER_TOKEN": ("callback_bearer_token", (str, type(None))),
    "RECEIPT_POLL_FALLBACK": ("receipt_poll_fallback", _NUMBER),
    "EMAIL_BACKEND_TEMPLATE_ID": ("email_backend_template_id", (str, type(None))),
    "EMAIL_BACKEND_REPLY_TO_IDS": ("email_backend_reply_to_ids", (dict,)),
    "REDACT_WHEN_FINAL": ("redact_when_final", (bool,)),
}

# The key setting of uktrade's django-govuk-notify-outbox 2.x, accepted as an alias.
API_KEY_ALIAS = "DJANGO_GOVUK_NOTIFY_OUTBOX__API_KEY"

_POSITIVE = {
    "timeout",
    "receipt_poll_fallback",
    "send_window",
    "connect_timeout",
    "batch_size",
    "max_in_flight",
    "max_attempts",
    "max_age",
    "lease_seconds",
    "run_time_budget",
    "list_poll_threshold",
    "list_poll_max_pages",
    "retention",
    "rate_limit_burst",
    "event_body_limit",
}
_NON_NEGATIVE = {
    "backoff_base",
    "backoff_cap",
    "lookup_delay",
    "token_window",
    "auth_probe_interval",
}


@functools.cache
def _celery_importable() -> bool:
    # Looked up once per process: find_spec searches sys.path (file system calls), and
    # the kick asks on every send_email_notification.
    return importlib.util.find_spec("celery") is not None


def celery_configured() -> bool:
    """True when Celery is importable and the project configured a broker."""
    if not _celery_importable():
        return False
    return bool(getattr(django_settings, "CELERY_BROKER_URL", None))


def _poll_schedule(value: Any) -> tuple[tuple[float, float], ...]:
    rows: list[tuple[float, float]] = []
    for row in value:
        if (
            not isinstance(row, (list, tuple))
            or len(row) != 2
            or not all(isinstance(x, _NUMBER) and not isinstance(x, bool) for x in row)
            or row[0] <= 0
            or row[1] <= 0
        ):
            raise ImproperlyConfigured(
                "GOVUK_NOTIFY_OUTBOX['POLL_SCHEDULE'] must be a list of "
                "(max_age_seconds, interval_seconds) pairs of positive numbers"
            )
        rows.append((float(row[0]), float(row[1])))
    if not rows or [r[0] for r in rows] != sorted(r[0] for r in rows):
        raise ImproperlyConfigured(
            "GOVUK_NOTIFY_OUTBOX['POLL_SCHEDULE'] must be non-empty and sorted by age"
        )
    return tuple(rows)


def _uuid_text(name: str, value: Any) -> str:
    try:
        return str(uuid.UUID(value))
    except (TypeError, ValueError, AttributeError):
        raise ImproperlyConfigured(f"GOVUK_NOTIFY_OUTBOX[{name!r}] must be a UUID") from None


def _reply_to_address(address: Any) -> str:
    if not isinstance(address, str) or "@" not in address:
        raise ImproperlyConfigured(
            "GOVUK_NOTIFY_OUTBOX['EMAIL_BACKEND_REPLY_TO_IDS'] keys must be email addresses"
        )
    return address.strip().lower()


def parse_outbox_dict(api_key: str, base_url: str, raw: Mapping[str, Any]) -> OutboxSettings:
    """Validate the GOVUK_NOTIFY_OUTBOX dict; raises ImproperlyConfigured naming the key."""
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured("GOVUK_NOTIFY_OUTBOX must be a dict")
    values: dict[str, Any] = {}
    for key in raw:
        value: Any = raw[key]
        if key not in _KEYS:
            raise ImproperlyConfigured(
                f"GOVUK_NOTIFY_OUTBOX[{key!r}] is not a setting; known: {', '.join(sorted(_KEYS))}"
            )
        field, types = _KEYS[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = " or ".join("None" if t is type(None) else t.__name__ for t in types)
            raise ImproperlyConfigured(f"GOVUK_NOTIFY_OUTBOX[{key!r}] must be {names}")
        number: Any = value
        if field == "poll_schedule":
            value = _poll_schedule(value)
        elif field == "email_backend_template_id" and value is not None:
            value = _uuid_text(key, value)
        elif field == "email_backend_reply_to_ids":
            value = {
                _reply_to_address(address): _uuid_text(f"{key}[{address!r}]", reply_to)
                for address, reply_to in number.items()
            }
        elif field in _POSITIVE and number is not None and number <= 0:
            raise ImproperlyConfigured(f"GOVUK_NOTIFY_OUTBOX[{key!r}] must be positive")
        elif (field in _NON_NEGATIVE or field == "rate_limit_per_minute") and (
            number is not None and number < 0
        ):
            raise ImproperlyConfigured(f"GOVUK_NOTIFY_OUTBOX[{key!r}] must not be negative")
        values[field] = value
    result = OutboxSettings(api_key=api_key, base_url=base_url, **values)
    # The exactly-once rules (docs/outbox.md, "Why no email is sent twice"): a claimed
    # attempt is settled by a look-up only once no request of it can still reach Notify.
    for window, name in (
        (result.token_window, "TOKEN_WINDOW"),
        (result.send_window, "SEND_WINDOW"),
    ):
        if result.lookup_delay < window + result.timeout:
            raise ImproperlyConfigured(
                f"GOVUK_NOTIFY_OUTBOX['LOOKUP_DELAY'] must be at least {name} + TIMEOUT "
                f"({window + result.timeout:g}s): a look-up sooner could miss a request "
                "that is still on its way to Notify"
            )
    token = result.callback_bearer_token
    if token is not None and (len(token) < 10 or token != token.strip()):
        raise ImproperlyConfigured(
            "GOVUK_NOTIFY_OUTBOX['CALLBACK_BEARER_TOKEN'] must be at least 10 characters "
            "with no surrounding whitespace, as Notify requires"
        )
    if result.max_age < 4 * result.lookup_delay:
        raise ImproperlyConfigured(
            "GOVUK_NOTIFY_OUTBOX['MAX_AGE'] must be at least 4 * LOOKUP_DELAY "
            f"({4 * result.lookup_delay:g}s), so an email gets several attempts"
        )
    if result.max_age >= result.retention:
        raise ImproperlyConfigured(
            "GOVUK_NOTIFY_OUTBOX['MAX_AGE'] must be less than RETENTION: a look-up cannot "
            "find a notification Notify has deleted"
        )
    if result.backoff_cap < result.backoff_base:
        raise ImproperlyConfigured(
            "GOVUK_NOTIFY_OUTBOX['BACKOFF_CAP'] must not be less than BACKOFF_BASE"
        )
    return result


def api_key_setting() -> Any:
    """GOVUK_NOTIFY_API_KEY, or else its alias DJANGO_GOVUK_NOTIFY_OUTBOX__API_KEY, as set."""
    key = getattr(django_settings, "GOVUK_NOTIFY_API_KEY", None)
    if not key:
        key = getattr(django_settings, API_KEY_ALIAS, None)
    return key


def _api_key() -> ApiKey:
    """The API key setting as an ApiKey: no frame ever holds it as a plain str."""
    value = api_key_setting()
    key = ApiKey(value) if value and isinstance(value, str) else None
    del value
    if key is None:
        raise ImproperlyConfigured("GOVUK_NOTIFY_API_KEY must be set to a GOV.UK Notify API key")
    return key


def get_settings() -> OutboxSettings:
    """The current settings; raises ImproperlyConfigured when they are missing or invalid."""
    api_key = _api_key()
    base_url = getattr(django_settings, "GOVUK_NOTIFY_BASE_URL", None) or DEFAULT_BASE_URL
    if not isinstance(base_url, str):
        raise ImproperlyConfigured("GOVUK_NOTIFY_BASE_URL must be a string")
    raw = getattr(django_settings, "GOVUK_NOTIFY_OUTBOX", None) or {}
    return parse_outbox_dict(api_key, base_url, raw)
