"""Checks on the text and personalisation given to ``send_email_notification``.

Every check raises ``ValueError`` (``TypeError`` for a wrong type) naming the
argument, and the personalisation key when there is one, before anything is
stored. The limits, and why (docs/configuration.md, "Limits on what is sent"):

* No NUL character or lone surrogate in any text, at any depth: PostgreSQL
  cannot store either (a bare ``DataError``), and Notify could not send them.
* Personalisation, file uploads left out, at most 2,000,000 bytes of JSON:
  Notify refuses an email whose filled-in body is longer than that.
* Each file upload (a value ``{"file": <base64>, ...}``) at most 2 MiB once
  decoded, as in Notify's own client (``prepare_upload``); at most 10 files.
* Nesting at most 31 levels of dicts and lists, the personalisation itself
  the first (MariaDB's JSON columns refuse deeper), checked without recursion.
* ``one_click_unsubscribe_url`` at most 8,000 characters: the shortest URI
  length every HTTP implementation is asked to support (RFC 9110 §4.1);
  Notify's schema sets no length.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

MAX_PERSONALISATION_BYTES = 2_000_000
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FILES = 10
# Levels of dicts and lists, the personalisation dict being the first: MariaDB's JSON
# columns refuse more than 31.
MAX_DEPTH = 31
MAX_URL_LENGTH = 8000

_SCALARS = (int, float, bool, type(None))
# Keys JSON accepts besides strings (it writes them as strings).
_KEY_SCALARS = (int, float, bool, type(None))


def _name(path: tuple[Any, ...]) -> str:
    """``personalisation['a'][0]``, each key cut to 40 characters."""
    parts = []
    for key in path[1:]:
        shown = repr(key)
        parts.append(f"[{shown if len(shown) <= 40 else shown[:37] + '...'}]")
    return str(path[0]) + "".join(parts)


def check_text(name: str, value: str) -> None:
    """ValueError naming ``name`` when ``value`` holds a NUL character or a lone surrogate."""
    if "\x00" in value:
        raise ValueError(f"{name} contains a NUL character (\\x00)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(value[exc.start])
        raise ValueError(
            f"{name} contains a lone surrogate (U+{code:04X}) at position {exc.start}: "
            "not valid Unicode text"
        ) from None


def check_url_length(name: str, value: str) -> None:
    if len(value) > MAX_URL_LENGTH:
        raise ValueError(f"{name} is too long: {len(value)} characters, at most {MAX_URL_LENGTH}")


def _decoded_size(content: str) -> int:
    """Bytes that base64 ``content`` decodes to (whitespace and padding left out)."""
    length = len(content) - sum(content.count(c) for c in " \t\r\n")
    return length * 3 // 4 - content[-2:].count("=")


def _is_file(value: Any) -> bool:
    return isinstance(value, dict) and "file" in value


def check_personalisation(value: Mapping[str, Any]) -> dict[str, Any]:
    """The personalisation as plain JSON data; raises naming the argument and the key.

    ``value`` is a Mapping whose keys have been checked to be strings.
    """
    root = dict(value)
    files = 0
    file_chars = 0
    # (value, path, depth); iterative so that no nesting can exhaust the stack.
    stack: list[tuple[Any, tuple[Any, ...], int]] = [(root, ("personalisation",), 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, (dict, list, tuple)) and depth >= MAX_DEPTH:
            raise ValueError(f"{_name(path)} is nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, str):
            check_text(_name(path), item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"{_name(path)} is {item!r}: not valid JSON")
        elif isinstance(item, _SCALARS):
            continue
        elif isinstance(item, dict):
            if depth == 1 and _is_file(item):
                files += 1
                content = item["file"]
                if isinstance(content, str):
                    size = _decoded_size(content)
                    if size > MAX_FILE_BYTES:
                        raise ValueError(
                            f"{_name(path)} is a file larger than 2MB "
                            f"({size} bytes; at most {MAX_FILE_BYTES})"
                        )
                    file_chars += len(content)
            for key, child in item.items():
                if isinstance(key, str):
                    check_text(f"{_name((*path, key))} (the key)", key)
                elif not isinstance(key, _KEY_SCALARS):
                    raise TypeError(
                        f"{_name(path)} has a key of type {type(key).__name__}: "
                        "keys must be strings"
                    )
                stack.append((child, (*path, key), depth + 1))
        elif isinstance(item, (list, tuple)):
            stack.extend((child, (*path, i), depth + 1) for i, child in enumerate(item))
        else:
            raise TypeError(
                f"{_name(path)} is not JSON-serialisable: {type(item).__name__} "
                "(use strings, numbers, booleans, None, lists and dicts)"
            )
    if files > MAX_FILES:
        raise ValueError(f"personalisation has {files} files: at most {MAX_FILES}")
    try:
        text = json.dumps(root, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"personalisation is not valid JSON: {exc}") from None
    size = len(text.encode("utf-8")) - file_chars
    if size > MAX_PERSONALISATION_BYTES:
        raise ValueError(
            f"personalisation is too large: {size} bytes of JSON (files left out), at most "
            f"{MAX_PERSONALISATION_BYTES}: Notify refuses emails longer than that"
        )
    result: dict[str, Any] = json.loads(text)
    return result
