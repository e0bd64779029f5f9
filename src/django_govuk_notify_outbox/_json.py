"""JSON parsing of response bodies with bounded nesting.

``json.loads`` recurses once per nesting level, so a body of 100,000 ``[``
raises RecursionError (and, deep in a caller's stack, far fewer do). A
Notify response nests a handful of levels; :func:`loads` refuses anything
deeper than :data:`MAX_DEPTH` before parsing and turns every failure into
``ValueError``, which the client maps to ``InvalidResponse``.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_DEPTH", "loads"]

MAX_DEPTH = 64
"""The deepest nesting of arrays and objects accepted (Notify's is about 4)."""

# A complete JSON string (skipped: brackets inside it do not nest) or a bracket.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _check_depth(text: str) -> None:
    """Raises ValueError when arrays/objects in text nest deeper than MAX_DEPTH."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
        elif token in ("]", "}"):
            depth -= 1


def loads(body: bytes | str) -> Any:
    """The parsed body; ValueError for anything that is not JSON this client accepts.

    Bytes are decoded as ``json.loads`` does (UTF-8, -16 or -32, detected;
    surrogatepass); undecodable bytes (UnicodeDecodeError is a ValueError),
    nesting deeper than MAX_DEPTH and every other parse failure raise
    ValueError, never RecursionError.
    """
    if isinstance(body, bytes | bytearray):
        text = bytes(body).decode(json.detect_encoding(body), "surrogatepass")
    else:
        text = body
    _check_depth(text)
    try:
        return json.loads(text)
    except RecursionError:
        # Within MAX_DEPTH, but the caller's stack was already nearly full.
        raise ValueError("JSON too deeply nested for the current stack") from None
