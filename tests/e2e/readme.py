"""The README's installation steps, parsed so a test can follow them literally."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"

FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)
STEP = re.compile(r"^(\d+)\. ", re.MULTILINE)


@dataclass(frozen=True)
class Step:
    number: int
    text: str
    blocks: tuple[tuple[str, str], ...]  # (language, code), dedented


def section(title: str, text: str | None = None) -> str:
    """The body of the README's `## title` section."""
    text = README.read_text() if text is None else text
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE)
    if match is None:
        raise AssertionError(f"README.md has no '## {title}' section")
    return match.group(1)


def _dedent(code: str) -> str:
    lines = code.splitlines()
    indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
    return "\n".join(x[indent:] for x in lines) + "\n"


def installation_steps(text: str | None = None) -> list[Step]:
    """The numbered steps of '## Installation', with their code blocks."""
    body = section("Installation", text)
    starts = list(STEP.finditer(body))
    steps = []
    for i, start in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(body)
        chunk = body[start.start() : end]
        # The step ends at the first unindented paragraph after it.
        after = re.search(r"\n\n(?=\S)", chunk[start.end() - start.start() :])
        if after is not None and i + 1 == len(starts):
            chunk = chunk[: start.end() - start.start() + after.start()]
        blocks = tuple((m.group(1), _dedent(m.group(2))) for m in FENCE.finditer(chunk))
        steps.append(Step(int(start.group(1)), chunk, blocks))
    return steps
