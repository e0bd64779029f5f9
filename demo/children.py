"""Child processes of the demo: started in their own session, always stopped.

`Children` is a context manager; on exit (normal, error or Ctrl-C) it stops
every process it started, newest first: SIGTERM to the child's process group,
a bounded wait, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class ChildFailed(RuntimeError):
    """A child process exited early or did not become ready in time."""


class Children:
    """Starts child processes and stops them all on exit."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def __enter__(self) -> Children:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    def spawn(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], *, capture: bool = False
    ) -> subprocess.Popen[bytes]:
        """Start `argv`; stdout/stderr go to log_dir/NAME.log unless `capture`
        (then stdout is a pipe the caller reads). Returns the process."""
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (kept by the child)
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=ROOT,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if capture else log,
                stderr=log,
                start_new_session=True,
            )
        finally:
            log.close()
        self._procs.append((name, proc))
        return proc

    def check_alive(self) -> None:
        """Raises ChildFailed naming the first child that has exited."""
        for name, proc in self._procs:
            code = proc.poll()
            if code is not None:
                raise ChildFailed(
                    f"{name} exited with status {code}; see {self.log_dir / (name + '.log')}"
                )

    def stop_all(self, grace: float = 5.0) -> None:
        """Stops every child, newest first; waits at most `grace` s for each."""
        while self._procs:
            _name, proc = self._procs.pop()
            stop_process_group(proc, grace)
            if proc.stdout is not None:
                proc.stdout.close()


def stop_process_group(proc: subprocess.Popen[Any], grace: float) -> None:
    """Stops `proc` and its process group: SIGTERM, at most `grace` s, then SIGKILL."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace)


def read_startup_lines(
    proc: subprocess.Popen[bytes], ready_line: str, timeout: float
) -> dict[str, str]:
    """Reads KEY=VALUE lines from proc's stdout until `ready_line`.

    Returns the keys and values. Raises ChildFailed when the process exits
    or `timeout` seconds pass first."""
    assert proc.stdout is not None
    values: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    buffer = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChildFailed(f"no {ready_line!r} within {timeout:.0f} s")
            if not sel.select(remaining):
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise ChildFailed(f"exited with status {proc.wait()} before {ready_line!r}")
            buffer += chunk
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").strip()
                if line == ready_line:
                    return values
                key, sep, value = line.partition("=")
                if sep:
                    values[key] = value


def python_env(extra: Mapping[str, str]) -> dict[str, str]:
    """Returns os.environ plus `extra`, with the repository on PYTHONPATH."""
    env = dict(os.environ)
    env.update(extra)
    paths = [str(ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


PYTHON = sys.executable
