"""Exceptions of the drop-in client, matching notifications-python-client's.

``APIError``, ``HTTPError``, ``HTTP503Error`` and ``InvalidResponse`` have the
official client's attributes and behaviour: ``status_code`` (503 when there
was no HTTP response), ``message`` (the v2 ``errors`` list, a legacy
``message`` string, or "Request failed"), ``response`` (a small
requests-like object, or None) and ``str(e) == f"{status_code} - {message}"``.

Beyond the official client, every error carries ``outcome``: what the core
knows happened to the request ("rejected", "throttled", "not_sent",
"unknown"; None when not applicable), so a caller can tell "never sent"
from "may have been stored".
"""

from __future__ import annotations

from typing import Any

from . import _json

REQUEST_ERROR_STATUS_CODE = 503
REQUEST_ERROR_MESSAGE = "Request failed"

__all__ = [
    "REQUEST_ERROR_MESSAGE",
    "REQUEST_ERROR_STATUS_CODE",
    "APIError",
    "HTTP503Error",
    "HTTPError",
    "InvalidResponse",
    "Response",
    "ThrottledError",
    "UnsupportedEmailError",
]


class Response:
    """The parts of ``requests.Response`` that Notify error handling uses."""

    __slots__ = ("content", "status_code", "url")

    def __init__(self, status_code: int, content: bytes, url: str = "") -> None:
        self.status_code = status_code
        self.content = content
        self.url = url

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The parsed body; raises ValueError when it is not JSON (like requests).

        Nesting is bounded (``_json.MAX_DEPTH``): a hostile body raises
        ValueError, never RecursionError.
        """
        return _json.loads(self.content)

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"


class APIError(Exception):
    def __init__(
        self,
        response: Response | None = None,
        message: str | None = None,
        *,
        outcome: str | None = None,
    ) -> None:
        super().__init__()
        self.response = response
        self._message = message
        self.outcome = outcome

    def __str__(self) -> str:
        return f"{self.status_code} - {self.message}"

    @property
    def message(self) -> str | list[dict[str, Any]]:
        try:
            json_resp = self.response.json()  # type: ignore[union-attr]
            return json_resp.get("message", json_resp.get("errors"))  # type: ignore[no-any-return]
        except (TypeError, ValueError, AttributeError, KeyError):
            return self._message or REQUEST_ERROR_MESSAGE

    @property
    def status_code(self) -> int:
        if self.response is None:
            return REQUEST_ERROR_STATUS_CODE
        return self.response.status_code


class HTTPError(APIError):
    @staticmethod
    def create(response: Response | None, *, outcome: str | None = None) -> HTTPError:
        """An HTTPError, or HTTP503Error when the status is 503 or there is no response."""
        error = HTTPError(response, outcome=outcome)
        if error.status_code == 503:
            error = HTTP503Error(response, outcome=outcome)
        return error


class HTTP503Error(HTTPError):
    """A 503, or a failure without an HTTP response: the caller may retry."""


class InvalidResponse(APIError):
    """A 2xx response whose body is not JSON (or nests deeper than 64 levels)."""


class ThrottledError(ValueError):
    """``send_email_notification(..., throttle_max_per_minute=N)``: the address has
    already been queued N emails this minute. Nothing was stored."""


class UnsupportedEmailError(ValueError):
    """``backends.EmailBackend``: the Django email cannot be sent through Notify (an
    attachment, an HTML-only body, or a reply-to address with no configured id)."""
