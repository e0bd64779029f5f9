"""Helpers of the end-to-end tests: child processes that are always stopped,
the emulator started by its command line, bounded waits."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from demo.children import stop_process_group

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """os.environ plus `extra`, with the repository first on PYTHONPATH."""
    env = dict(os.environ)
    env.update(extra)
    paths = [str(ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def stop(proc: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """Stops `proc` and its process group: SIGTERM, bounded wait, SIGKILL."""
    stop_process_group(proc, grace)


@contextlib.contextmanager
def spawned(
    argv: Sequence[str], env: Mapping[str, str], log: Path, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    """Runs `argv` in its own session, output to `log`; always stopped on exit."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop(proc)


@contextlib.contextmanager
def emulator(log: Path, timeout: float = 30.0) -> Iterator[dict[str, str]]:
    """Runs `python -m govuk_notify_emulator --port 0`; yields
    its startup values (NOTIFY_BASE_URL, NOTIFY_API_KEY_TEST, ...)."""
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            [PYTHON, "-m", "govuk_notify_emulator", "--port", "0"],
            cwd=ROOT,
            env=child_env({}),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            start_new_session=True,
        )
    try:
        assert proc.stdout is not None
        values: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        buffer = b""
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while "NOTIFY_EMULATOR_READY" not in values:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"the emulator was not ready within {timeout} s"
                if not sel.select(remaining):
                    continue
                chunk = os.read(proc.stdout.fileno(), 4096)
                assert chunk, f"the emulator exited early: {log.read_text()}"
                buffer += chunk
                *lines, rest = buffer.split(b"\n")
                buffer = rest
                for line in lines:
                    key, _, value = line.decode().strip().partition("=")
                    values[key] = value
        yield values
    finally:
        stop(proc)
        if proc.stdout is not None:
            proc.stdout.close()


def http_json(
    url: str, method: str = "GET", body: Any = None, headers: Mapping[str, str] | None = None
) -> Any:
    """Sends a JSON request and returns the parsed JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def wait_for(what: str, check: Callable[[], T | None], timeout: float, every: float = 0.5) -> T:
    """Calls `check` until it returns something other than None (returned) or
    `timeout` seconds pass (AssertionError naming `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None:
            return result
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(every)


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Waits until something accepts connections on 127.0.0.1:`port`."""

    def accepting() -> bool | None:
        with socket.socket() as s:
            s.settimeout(1)
            return True if s.connect_ex(("127.0.0.1", port)) == 0 else None

    wait_for(f"port {port}", accepting, timeout)
