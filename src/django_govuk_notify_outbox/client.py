"""A drop-in, faster ``NotificationsAPIClient`` over the C core.

The email and reading methods have the signatures, return values and
exceptions of notifications-python-client 13.0.0. The batch methods
(``send_email_notifications``, ``get_notifications_by_ids``, ``request_many``)
send many requests concurrently and return one :class:`Result` per request,
in input order, each with the outcome the core decided (docs/design.md §1).
"""

from __future__ import annotations

import enum
import json
import logging
import math
import re
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import __version__, _core, _json
from .errors import HTTPError, InvalidResponse, Response

__all__ = ["DEFAULT_BASE_URL", "USER_AGENT", "NotificationsAPIClient", "Outcome", "Result"]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"
USER_AGENT = f"django-govuk-notify-outbox/{__version__}"

_UUID_IN_LINK = re.compile("[0-F]{8}-[0-F]{4}-[0-F]{4}-[0-F]{4}-[0-F]{12}", re.I)
_EMAIL_FIELDS = (
    "email_address",
    "template_id",
    "personalisation",
    "reference",
    "email_reply_to_id",
    "one_click_unsubscribe_url",
    "sanitise_content_for",
)
# requests.utils.requote_uri's safe set.
_URI_SAFE = "!#$%&'()*+,/:;=?@[]~"


class Outcome(str, enum.Enum):
    """What is known about a request (docs/design.md §1)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    THROTTLED = "throttled"
    NOT_SENT = "not_sent"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Result:
    """The result of one request of a batch."""

    outcome: Outcome
    status_code: int | None  # None when there was no HTTP response
    body: bytes
    error: str  # curl's error text, "" when none
    elapsed: float  # seconds

    def json(self) -> Any:
        """The parsed body, or None when it is not JSON (or nested absurdly deep)."""
        try:
            return _json.loads(self.body)
        except ValueError:
            return None


def _extended_json_encoder(obj: Any) -> Any:
    if isinstance(obj, set | frozenset):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _dumps(data: Any, what: str) -> bytes:
    """JSON with json.dumps' default separators (as the official client sends)."""
    try:
        return json.dumps(data, default=_extended_json_encoder).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} is not JSON-serialisable: {exc}") from None


def _email_body(fields: Mapping[str, Any], where: str) -> bytes:
    """The JSON body of POST /v2/notifications/email; falsy optionals left out."""
    unknown = sorted(set(fields) - set(_EMAIL_FIELDS))
    if unknown:
        raise TypeError(f"{where}: unexpected field(s) {', '.join(map(repr, unknown))}")
    for required in ("email_address", "template_id"):
        if required not in fields:
            raise TypeError(f"{where}: missing required field {required!r}")
    notification: dict[str, Any] = {
        "email_address": fields["email_address"],
        "template_id": fields["template_id"],
    }
    for name in _EMAIL_FIELDS[2:]:
        value = fields.get(name)
        if value:
            notification[name] = value
    if "personalisation" in notification:
        _dumps(notification["personalisation"], f"{where}: personalisation")
    return _dumps(notification, where)


def _encode_params(params: Any) -> str:
    """Query string the way requests encodes ``params`` (lists repeat the key)."""
    if params is None:
        return ""
    if isinstance(params, str | bytes):
        return params if isinstance(params, str) else params.decode("utf-8")
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[Any, Any]] = []
    for key, values in items:
        if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
            values = [values]
        for value in values:
            if value is not None:
                pairs.append(
                    (
                        key.encode("utf-8") if isinstance(key, str) else key,
                        value.encode("utf-8") if isinstance(value, str) else value,
                    )
                )
    return urllib.parse.urlencode(pairs, doseq=True)


def _check_seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


def _check_count(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, not {value!r}")
    return value


def _check_base_url(base_url: Any) -> str:
    if not isinstance(base_url, str) or not base_url:
        raise ValueError("base_url must be an http:// or https:// URL with a host")
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"base_url must be an http:// or https:// URL with a host, not {base_url!r}"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ValueError(f"base_url has an invalid port: {base_url!r}") from None
    return base_url


class NotificationsAPIClient:
    """GOV.UK Notify client: a drop-in for notifications-python-client's.

    Thread-safe (batches of one client from several threads are serialised;
    each client has its own connections, so clients never wait for each
    other) and fork-safe (connections are never shared with a forked child).
    Responses are capped at 64 MiB each and 64 MiB together across a
    client's transfers in flight; a response over a cap is cut off (its
    Result has an empty body and an error naming the cap; a cut-off 2xx is
    ``unknown``). Bodies nested deeper than 64 levels are not JSON to it.

    ``timeout`` bounds each whole request and ``connect_timeout`` its
    connection set-up (TCP and TLS). ``rate_limit_per_minute`` and
    ``rate_limit_burst`` mirror Notify's token bucket (3000/min, 1000 tokens)
    for this client object, slightly on the safe side, so that a batch never
    provokes a 429 by itself; processes that share an API key type share
    Notify's bucket, so give each its share. ``None`` or 0 turns the
    client-side limit off. At most ``max_in_flight`` requests (and as many
    connections) are open at once; HTTP/2 is used when the server offers it,
    multiplexing them over one connection. ``ca_bundle`` is a PEM file of
    trusted CAs (default: the system's).
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30,
        *,
        connect_timeout: float = 10.0,
        rate_limit_per_minute: int | None = 3000,
        rate_limit_burst: int | None = 1000,
        max_in_flight: int = 64,
        ca_bundle: str | None = None,
    ) -> None:
        if not isinstance(api_key, str):
            raise ValueError(f"api_key must be a str, not {type(api_key).__name__}")
        try:
            _name, service_id, _secret = _core.parse_api_key(api_key)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        self.base_url = _check_base_url(base_url)
        self.timeout = _check_seconds(timeout, "timeout")
        connect = min(_check_seconds(connect_timeout, "connect_timeout"), self.timeout)
        rate = 0 if rate_limit_per_minute is None else rate_limit_per_minute
        burst = 0 if rate_limit_burst is None else rate_limit_burst
        _check_count(rate, "rate_limit_per_minute", 0)
        _check_count(burst, "rate_limit_burst", 0)
        _check_count(max_in_flight, "max_in_flight", 1)
        if ca_bundle is not None and not isinstance(ca_bundle, str):
            raise ValueError("ca_bundle must be a path (str) or None")
        self.service_id = service_id
        self._core = _core.Client(
            api_key,
            self.base_url,
            timeout=self.timeout,
            connect_timeout=connect,
            user_agent=USER_AGENT,
            rate_limit_per_minute=rate,
            rate_limit_burst=burst,
            max_in_flight=max_in_flight,
            ca_bundle=ca_bundle,
        )

    def __repr__(self) -> str:
        return f"<NotificationsAPIClient base_url={self.base_url!r} service_id={self.service_id!r}>"

    # ---- batches ---------------------------------------------------------

    def _url(self, path: str, params: Any = None) -> str:
        """urljoin(base_url, path) plus params, normalised like requests."""
        url = urllib.parse.urljoin(str(self.base_url), str(path))
        query = _encode_params(params)
        if query:
            url += ("&" if urllib.parse.urlsplit(url).query else "?") + query
        return urllib.parse.quote(url, safe=_URI_SAFE)

    def _perform(
        self,
        requests: Sequence[tuple[str, str, bytes | None]],
        *,
        iat: int | None = None,
        not_after: float | None = None,
    ) -> list[Result]:
        raw = self._core.perform(requests, iat=iat, not_after=not_after)
        return [
            Result(Outcome(outcome), status or None, body, error, elapsed)
            for outcome, status, body, error, elapsed in raw
        ]

    # The batch methods take two keyword-only options (docs/design.md §1):
    # ``iat`` (int, epoch seconds) signs every request's JWT with that iat
    # instead of the current time; ``not_after`` (a ``time.monotonic()``
    # value) is a send-by deadline: a request not started by then is not
    # started at all, and its Result is not_sent with the error "send-by
    # deadline passed before the request started".

    def request_many(
        self,
        requests: Sequence[tuple[str, str, Any | None]],
        *,
        iat: int | None = None,
        not_after: float | None = None,
    ) -> list[Result]:
        """Send (method, path, json_data_or_None) requests concurrently.

        Paths are joined to base_url like the official client (urljoin). Returns
        one Result per request, in input order.
        """
        prepared = []
        for i, (method, path, data) in enumerate(requests):
            body = None if data is None else _dumps(data, f"requests[{i}] data")
            prepared.append((str(method).upper(), self._url(path), body))
        return self._perform(prepared, iat=iat, not_after=not_after)

    def send_email_notifications(
        self,
        notifications: Sequence[Mapping[str, Any]],
        *,
        iat: int | None = None,
        not_after: float | None = None,
    ) -> list[Result]:
        """POST each email (send_email_notification's keyword arguments as a mapping)."""
        url = self._url("/v2/notifications/email")
        prepared = [
            ("POST", url, _email_body(fields, f"notifications[{i}]"))
            for i, fields in enumerate(notifications)
        ]
        return self._perform(prepared, iat=iat, not_after=not_after)

    def get_notifications_by_ids(
        self,
        ids: Sequence[str],
        *,
        iat: int | None = None,
        not_after: float | None = None,
    ) -> list[Result]:
        """GET /v2/notifications/{id} for each id."""
        return self._perform(
            [("GET", self._url(f"/v2/notifications/{id_}"), None) for id_ in ids],
            iat=iat,
            not_after=not_after,
        )

    # ---- the official client's interface ---------------------------------

    def request(self, method: str, url: str, data: Any = None, params: Any = None) -> Any:
        logger.debug("API request %s %s", method, url)
        body = None if data is None else _dumps(data, "data")
        full_url = self._url(url, params)
        (result,) = self._perform([(method.upper(), full_url, body)])
        return self._process(method, full_url, result)

    def _process(self, method: str, url: str, result: Result) -> Any:
        outcome = str(result.outcome)
        if result.error or result.status_code is None:
            # No complete HTTP response: like a requests ConnectionError/Timeout.
            error = HTTPError.create(None, outcome=outcome)
        elif result.status_code >= 400:
            error = HTTPError.create(
                Response(result.status_code, result.body, url), outcome=outcome
            )
        else:
            if result.status_code == 204:
                return None
            try:
                return _json.loads(result.body)
            except ValueError:
                raise InvalidResponse(
                    Response(result.status_code, result.body, url),
                    message="No JSON response object could be decoded",
                    outcome=outcome,
                ) from None
        logger.warning(
            "API %s request on %s failed with %s '%s'",
            method,
            url,
            error.status_code,
            error.message,
        )
        raise error

    def get(self, url: str, params: Any = None) -> Any:
        return self.request("GET", url, params=params)

    def post(self, url: str, data: Any) -> Any:
        return self.request("POST", url, data=data)

    def put(self, url: str, data: Any) -> Any:
        return self.request("PUT", url, data=data)

    def delete(self, url: str, data: Any = None) -> Any:
        return self.request("DELETE", url, data=data)

    def send_email_notification(
        self,
        email_address: str,
        template_id: str,
        personalisation: dict[str, Any] | None = None,
        reference: str | None = None,
        email_reply_to_id: str | None = None,
        one_click_unsubscribe_url: str | None = None,
        sanitise_content_for: list[str] | None = None,
    ) -> Any:
        body = _email_body(
            {
                "email_address": email_address,
                "template_id": template_id,
                "personalisation": personalisation,
                "reference": reference,
                "email_reply_to_id": email_reply_to_id,
                "one_click_unsubscribe_url": one_click_unsubscribe_url,
                "sanitise_content_for": sanitise_content_for,
            },
            "notification",
        )
        url = self._url("/v2/notifications/email")
        (result,) = self._perform([("POST", url, body)])
        return self._process("POST", url, result)

    def get_notification_by_id(self, id: str) -> Any:
        return self.get(f"/v2/notifications/{id}")

    def get_all_notifications(
        self,
        status: str | None = None,
        template_type: str | None = None,
        reference: str | None = None,
        older_than: str | None = None,
        include_jobs: bool | None = None,
    ) -> Any:
        data: dict[str, Any] = {}
        if status:
            data.update({"status": status})
        if template_type:
            data.update({"template_type": template_type})
        if reference:
            data.update({"reference": reference})
        if older_than:
            data.update({"older_than": older_than})
        if include_jobs:
            data.update({"include_jobs": include_jobs})
        return self.get("/v2/notifications", params=data)

    def get_all_notifications_iterator(
        self,
        status: str | None = None,
        template_type: str | None = None,
        reference: str | None = None,
        older_than: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        result = self.get_all_notifications(status, template_type, reference, older_than)
        notifications = result.get("notifications")
        while notifications:
            yield from notifications
            next_link = result["links"].get("next")
            match = _UUID_IN_LINK.search(next_link)
            if not match:
                break
            result = self.get_all_notifications(status, template_type, reference, match.group(0))
            notifications = result.get("notifications")

    def get_template(self, template_id: str) -> Any:
        return self.get(f"/v2/template/{template_id}")

    def get_template_version(self, template_id: str, version: int) -> Any:
        return self.get(f"/v2/template/{template_id}/version/{version}")

    def get_all_templates(self, template_type: str | None = None) -> Any:
        _template_type = f"?type={template_type}" if template_type else ""
        return self.get(f"/v2/templates{_template_type}")

    def post_template_preview(self, template_id: str, personalisation: dict[str, Any]) -> Any:
        return self.post(
            f"/v2/template/{template_id}/preview", data={"personalisation": personalisation}
        )
