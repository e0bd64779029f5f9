"""The demo's live table of emails per status.

On a terminal the table is redrawn in place; otherwise (a pipe, a log file,
CI) one plain line is printed per update.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

BAR_WIDTH = 40


class ProgressTable:
    """Draws counts per status; `update()` replaces the previous drawing."""

    def __init__(self, out: TextIO, statuses: Sequence[str], total: int) -> None:
        self.out = out
        self.statuses = list(statuses)
        self.total = total
        self.tty = out.isatty()
        self._lines_drawn = 0

    def update(self, counts: Mapping[str, int], elapsed: float, final: int) -> None:
        """Shows `counts` (status -> emails), `final` of them in a final state."""
        if self.tty:
            self._redraw(counts, elapsed, final)
        else:
            parts = " ".join(f"{s}={counts.get(s, 0)}" for s in self.statuses if counts.get(s))
            self.out.write(f"[{elapsed:6.1f}s] {final}/{self.total} final  {parts}\n")
            self.out.flush()

    def _redraw(self, counts: Mapping[str, int], elapsed: float, final: int) -> None:
        width = max(len(s) for s in self.statuses)
        lines = [f"  {'status':<{width}}  {'emails':>7}"]
        for status in self.statuses:
            n = counts.get(status, 0)
            bar = "█" * (round(BAR_WIDTH * n / self.total) if self.total else 0)
            lines.append(f"  {status:<{width}}  {n:>7,}  {bar}")
        lines.append(f"  {final:,} of {self.total:,} final after {elapsed:.1f} s")
        # Move to the start of the previous drawing, then overwrite each line.
        if self._lines_drawn:
            self.out.write(f"\033[{self._lines_drawn}F")
        self.out.write("".join(f"\033[2K{line}\n" for line in lines))
        self.out.flush()
        self._lines_drawn = len(lines)
