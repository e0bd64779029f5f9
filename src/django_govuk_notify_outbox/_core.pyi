"""Type stubs for the C extension django_govuk_notify_outbox._core."""

from collections.abc import Iterable

HTTP2: bool
"""Whether the runtime libcurl can speak HTTP/2 (a capability, not a requirement)."""

LIBCURL_VERSION: str
"""The runtime libcurl version, e.g. "7.88.1"."""

def parse_api_key(key: str, /) -> tuple[str, str, str]:
    """Split a Notify API key into (name, service_id, secret), counting from the end.

    Raises ValueError naming the malformed part; the message never contains the secret.
    """

def jwt_token(service_id: str, secret: str, iat: int) -> str:
    """An HS256 JWT (iss=service_id, iat), byte for byte what PyJWT produces."""

def monotonic() -> float:
    """The core's clock (CLOCK_MONOTONIC seconds): the clock of perform()'s not_after,
    the same as time.monotonic() on Linux."""

def release_free_memory() -> bool:
    """Return the C allocator's free memory to the system (glibc's malloc_trim); False
    where the C library has no such call."""

class Client:
    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout: float = ...,
        connect_timeout: float = ...,
        user_agent: str = ...,
        rate_limit_per_minute: int | None = ...,
        rate_limit_burst: int | None = ...,
        max_in_flight: int = ...,
        ca_bundle: str | None = ...,
    ) -> None: ...
    def perform(
        self,
        requests: Iterable[tuple[str, str, bytes | None]],
        /,
        *,
        iat: int | None = None,
        not_after: float | None = None,
    ) -> list[tuple[str, int, bytes, str, float]]:
        """Send (method, path_or_url, body) requests concurrently.

        Returns (outcome, status_code_or_0, body, error_text, elapsed_seconds) per
        request, in input order.

        ``iat``: sign every request's JWT with this iat (epoch seconds) instead of
        the current time. ``not_after``: a deadline on ``time.monotonic()``; a
        request not yet handed to libcurl by then (checked after any rate-limit
        and in-flight-slot wait) is not started: ("not_sent", 0, b"",
        "send-by deadline passed before the request started", 0.0). Requests
        already started are not affected.
        """
