"""A readable sentence for the raw transport errors libcurl reports (and the core's own),
shown beside them in the admin. The raw text stays: it is what to search for."""

from __future__ import annotations

# (lower-case fragment of the raw text, the sentence), first match wins.
_SENTENCES: tuple[tuple[str, str], ...] = (
    (
        "send-by deadline passed",
        "Not sent: the request could not start before its send-by time (the rate limit or "
        "slow connections held it back). Notify never saw it; it is sent again.",
    ),
    (
        "necessary data rewind wasn't possible",
        "The connection broke while the request was being sent and it could not be replayed "
        "on a new connection. Notify may or may not have received it: it is looked up "
        "before any resend.",
    ),
    (
        "timeout was reached",
        "Notify did not answer in time (the TIMEOUT setting). It may have received the "
        "request: it is looked up before any resend.",
    ),
    (
        "timed out",
        "Notify did not answer in time (the TIMEOUT setting). It may have received the "
        "request: it is looked up before any resend.",
    ),
    ("could not resolve", "The Notify host name could not be resolved (DNS)."),
    ("couldn't resolve", "The Notify host name could not be resolved (DNS)."),
    (
        "failed to connect",
        "No connection to Notify could be opened (refused or unreachable): nothing was sent.",
    ),
    (
        "couldn't connect",
        "No connection to Notify could be opened (refused or unreachable): nothing was sent.",
    ),
    ("ssl certificate problem", "Notify's TLS certificate was not trusted: nothing was sent."),
    ("peer certificate", "Notify's TLS certificate was not trusted: nothing was sent."),
    ("ssl connect error", "The TLS handshake with Notify failed: nothing was sent."),
    (
        "empty reply from server",
        "Notify closed the connection without answering. It may have received the request.",
    ),
    (
        "server returned nothing",
        "Notify closed the connection without answering. It may have received the request.",
    ),
    (
        "failure when receiving data",
        "The connection broke while Notify's answer was being read. It may have received "
        "the request.",
    ),
    ("recv failure", "The connection broke while Notify's answer was being read."),
    (
        "failed sending data",
        "The connection broke while the request was being sent. Notify may have received it.",
    ),
    ("send failure", "The connection broke while the request was being sent."),
    ("http/2", "The HTTP/2 connection to Notify failed."),
    ("weird server reply", "Notify's answer was not valid HTTP."),
    ("partial file", "Notify's answer was cut off before its end."),
    ("too large", "Notify's answer was larger than the client accepts; it was not read."),
)


def explain(text: str) -> str:
    """The sentence for a raw error text, "" when there is none."""
    if not text:
        return ""
    lowered = text.lower()
    for fragment, sentence in _SENTENCES:
        if fragment in lowered:
            return sentence
    return ""
