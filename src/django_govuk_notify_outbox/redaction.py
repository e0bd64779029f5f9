"""What of a request or response body may be kept in an event, and shown in the admin.

One rule for every body, whatever its length: personalisation and Notify's
filled-in content (``body``, ``subject``, ``content``, ``sanitised_content``,
``personalisation``, at any depth) are replaced by a short ``(hidden: …)``
marker unless showing personalisation is allowed; *then* the result is cut
to the limit, in a way that keeps it valid JSON, so it can be redacted again
when it is displayed. A body that looks like JSON but cannot be parsed (cut
by a proxy, say), or that quotes a hidden key, may hold personal data and is
never kept: a placeholder with its size is. Text that is not JSON at all (an
HTML error page) is kept, cut to the limit.

Pure functions, no Django: the engine calls :func:`request_text` and
:func:`response_text` when it records an event, the admin calls
:func:`display_text` when it shows one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "HIDDEN_KEYS",
    "display_text",
    "redact",
    "redact_json_text",
    "request_text",
    "response_text",
]

# Keys whose values hold personalisation or the email as Notify filled it in.
HIDDEN_KEYS = frozenset({"body", "subject", "content", "sanitised_content", "personalisation"})

TRUNCATED = "…[truncated]"
# (longest string, longest list) tried in turn when a body does not fit its limit.
_SHORTEN_STEPS = ((500, 100), (100, 20), (20, 5), (20, 1))


def _marker(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"(hidden: {len(value)} keys)"
    if isinstance(value, str):
        return f"(hidden: {len(value)} characters)"
    if isinstance(value, list):
        return f"(hidden: {len(value)} items)"
    return "(hidden)"


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def redact(value: Any) -> Any:
    """A copy of ``value`` (parsed JSON) with every value under a hidden key replaced by a
    marker. Iterative, so no depth of nesting can exhaust the stack."""
    root: list[Any] = [None]
    # (source container, destination container, key or index in the destination)
    stack: list[tuple[Any, list[Any] | dict[str, Any], Any]] = [(value, root, 0)]
    while stack:
        source, parent, slot = stack.pop()
        if isinstance(source, dict):
            copy: dict[str, Any] = {}
            parent[slot] = copy
            for key, item in source.items():
                if key in HIDDEN_KEYS and not _is_empty(item):
                    copy[key] = _marker(item)
                else:
                    copy[key] = None
                    stack.append((item, copy, key))
        elif isinstance(source, list):
            items: list[Any] = [None] * len(source)
            parent[slot] = items
            stack.extend((item, items, i) for i, item in enumerate(source))
        else:
            parent[slot] = source
    return root[0]


def _shorten(value: Any, text_cap: int, list_cap: int) -> Any:
    """``value`` with strings cut to ``text_cap`` characters and lists to ``list_cap`` items."""
    root: list[Any] = [None]
    stack: list[tuple[Any, list[Any] | dict[str, Any], Any]] = [(value, root, 0)]
    while stack:
        source, parent, slot = stack.pop()
        if isinstance(source, dict):
            copy: dict[str, Any] = {}
            parent[slot] = copy
            for key, item in source.items():
                copy[key] = None
                stack.append((item, copy, key))
        elif isinstance(source, list):
            kept = source[:list_cap]
            items: list[Any] = [None] * len(kept)
            if len(source) > list_cap:
                items.append(f"{TRUNCATED} {len(source) - list_cap} more items")
            parent[slot] = items
            stack.extend((item, items, i) for i, item in enumerate(kept))
        elif isinstance(source, str) and len(source) > text_cap:
            parent[slot] = source[:text_cap] + TRUNCATED
        else:
            parent[slot] = source
    return root[0]


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(TRUNCATED))] + TRUNCATED


def _fit(value: Any, limit: int | None) -> str:
    """``value`` as JSON of at most ``limit`` characters, still valid JSON when possible."""
    text = _dumps(value)
    if limit is None or len(text) <= limit:
        return text
    for text_cap, list_cap in _SHORTEN_STEPS:
        shortened = _dumps(_shorten(value, text_cap, list_cap))
        if len(shortened) <= limit:
            return shortened
    return _cut(f"(a JSON body of {len(text)} characters, too long to keep) {TRUNCATED}", limit)


def _looks_like_json(text: str) -> bool:
    """JSON, or text quoting a hidden key: what may hold personal data if kept."""
    if text.lstrip(" \t\r\n\ufeff\ufffd")[:1] in ("{", "[", '"'):
        return True
    return any(f'"{key}"' in text for key in HIDDEN_KEYS)


def _unreadable(text: str, limit: int | None) -> str:
    placeholder = (
        f"(an unreadable JSON body of {len(text.encode('utf-8', 'replace'))} bytes, "
        "not kept: it may hold personal data)"
    )
    return placeholder if limit is None else _cut(placeholder, limit)


def _parse(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except (ValueError, RecursionError):
        return False, None


def redact_json_text(text: str, *, show_personalisation: bool, limit: int | None) -> str:
    """``text`` fit for an event or the admin, at most ``limit`` characters (None: no limit).

    JSON is redacted (unless ``show_personalisation``) and then cut so it stays
    JSON; JSON-looking text that does not parse becomes a placeholder with its
    size; other text is kept, cut to the limit.
    """
    parsed, value = _parse(text)
    if parsed:
        return _value_text(value, text, show_personalisation=show_personalisation, limit=limit)
    if _looks_like_json(text):
        return _unreadable(text, limit)
    return text if limit is None else _cut(text, limit)


def _value_text(value: Any, text: str, *, show_personalisation: bool, limit: int | None) -> str:
    try:
        return _fit(value if show_personalisation else redact(value), limit)
    except RecursionError:
        return _unreadable(text, limit)


def response_text(
    body: bytes, *, show_personalisation: bool, limit: int, parsed: Any = None
) -> str:
    """A response body as kept in an event (see :func:`redact_json_text`). ``parsed``: the
    body already parsed, when the caller has it (None: parsed here)."""
    text = body.decode("utf-8", "replace")
    if parsed is not None:
        return _value_text(parsed, text, show_personalisation=show_personalisation, limit=limit)
    return redact_json_text(text, show_personalisation=show_personalisation, limit=limit)


def request_text(payload: Mapping[str, Any], *, show_personalisation: bool, limit: int) -> str:
    """A request payload as kept in an event: the same rule as for responses."""
    value = dict(payload)
    return _fit(value if show_personalisation else redact(value), limit)


def display_text(stored: str, *, show_personalisation: bool) -> str:
    """An event body as the admin shows it: redacted again unless this user may see
    personalisation (it may have been stored while SHOW_PERSONALISATION_IN_ADMIN was on)."""
    if show_personalisation or not stored:
        return stored
    return redact_json_text(stored, show_personalisation=False, limit=None)
