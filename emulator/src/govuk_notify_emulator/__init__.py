"""Start and drive the GOV.UK Notify emulator from Python (tests, demos, benchmarks).

    with NotifyEmulator() as notify:
        client = NotificationsAPIClient(notify.api_key, base_url=notify.base_url)
        ...
        assert notify.notifications()[0]["status"] == "created"

The emulator runs as a subprocess (``python -m govuk_notify_emulator``, or
the executable named by the ``NOTIFY_EMULATOR_BIN`` environment variable, e.g. an
AddressSanitizer build). Only the standard library is used here.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "DEFAULT_FAULTS",
    "DEFAULT_REPLY_TO_ID",
    "DEFAULT_SERVICE_ID",
    "TEMPLATE_ARCHIVED",
    "TEMPLATE_CONDITIONAL",
    "TEMPLATE_LIST",
    "TEMPLATE_PLAIN",
    "TEMPLATE_SMS",
    "TEMPLATE_SUBJECT_BODY",
    "TEMPLATE_WELCOME",
    "EmulatorError",
    "NotifyEmulator",
]

# The fixed ids of the default configuration (see --help and docs/emulator.md).
DEFAULT_SERVICE_ID = "d6a1d5c2-7e0a-4d8e-9f3b-2c1e5a7b9d01"
DEFAULT_REPLY_TO_ID = "a7b8c9d0-0001-4e2f-8a3b-4c5d6e7f8001"
TEMPLATE_WELCOME = "f2a6c3b1-0001-4c1d-9e2f-3a4b5c6d7e01"  # ((name)), ((reference_number))
TEMPLATE_CONDITIONAL = "f2a6c3b1-0002-4c1d-9e2f-3a4b5c6d7e02"  # ((name)), ((has_account??...))
TEMPLATE_LIST = "f2a6c3b1-0003-4c1d-9e2f-3a4b5c6d7e03"  # ((items)) as a list, ((total))
TEMPLATE_PLAIN = "f2a6c3b1-0004-4c1d-9e2f-3a4b5c6d7e04"  # no placeholders
TEMPLATE_ARCHIVED = "f2a6c3b1-0005-4c1d-9e2f-3a4b5c6d7e05"  # archived
TEMPLATE_SMS = "f2a6c3b1-0006-4c1d-9e2f-3a4b5c6d7e06"  # an sms template
TEMPLATE_SUBJECT_BODY = "f2a6c3b1-0007-4c1d-9e2f-3a4b5c6d7e07"  # ((subject)), ((body))

DEFAULT_FAULTS: dict[str, float] = {
    "latency_ms": 0.0,
    "jitter_ms": 0.0,
    "error_5xx_rate": 0.0,
    "error_429_rate": 0.0,
    "drop_after_store_rate": 0.0,
    "stall_rate": 0.0,
    "stall_ms": 0.0,
    "refuse_connections_ms": 0.0,
    "seed": 0,
}

_KEY_LINES = {
    "NOTIFY_API_KEY_LIVE": "live",
    "NOTIFY_API_KEY_TEAM": "team",
    "NOTIFY_API_KEY_TEST": "test",
}


class EmulatorError(RuntimeError):
    """The emulator did not start, or a control request failed."""


class NotifyEmulator:
    """A running Notify emulator: a context manager around its subprocess.

    ``config`` is a configuration mapping (written to a temporary JSON file) or the path
    of a JSON file; ``args`` are extra command-line flags (see ``--help``).
    """

    def __init__(
        self,
        config: Mapping[str, Any] | str | Path | None = None,
        args: Sequence[str] = (),
        *,
        startup_timeout: float = 15.0,
    ) -> None:
        self._config = config
        self._args = list(args)
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._config_file: str | None = None
        self._stderr: Any = None
        self.base_url = ""
        self.api_keys: dict[str, str] = {}

    # -- lifecycle -------------------------------------------------------------------
    def command(self) -> list[str]:
        """The command line that starts the emulator."""
        binary = os.environ.get("NOTIFY_EMULATOR_BIN")
        cmd = [binary] if binary else [sys.executable, "-m", "govuk_notify_emulator"]
        cmd += ["--port", "0"]
        if self._config is not None:
            if isinstance(self._config, Mapping):
                fd, name = tempfile.mkstemp(prefix="notify-emulator-", suffix=".json")
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(self._config, f)
                self._config_file = name
                cmd += ["--config", name]
            else:
                cmd += ["--config", str(self._config)]
        return cmd + self._args

    def start(self) -> NotifyEmulator:
        """Starts the subprocess and waits until it answers. Returns self."""
        if self._process is not None:
            raise EmulatorError("the emulator is already running")
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        self._process = subprocess.Popen(
            self.command(), stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL
        )
        try:
            self._read_startup_lines()
            self.wait_until_answering(self._startup_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_startup_lines(self) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        lines: list[str] = []
        done = threading.Event()

        def read() -> None:
            assert self._process is not None
            assert self._process.stdout is not None
            for raw in self._process.stdout:
                line = raw.decode("utf-8", "replace").strip()
                lines.append(line)
                if line == "NOTIFY_EMULATOR_READY=1":
                    break
            done.set()

        threading.Thread(target=read, daemon=True, name="notify-emulator-startup").start()
        if not done.wait(self._startup_timeout) or "NOTIFY_EMULATOR_READY=1" not in lines:
            raise EmulatorError(f"the Notify emulator did not start: {self._stderr_text()}")
        for line in lines:
            name, _, value = line.partition("=")
            if name == "NOTIFY_BASE_URL":
                self.base_url = value
            elif name in _KEY_LINES and value:
                self.api_keys[_KEY_LINES[name]] = value

    def wait_until_answering(self, timeout: float = 15.0) -> None:
        """Waits until the control API answers (e.g. after refuse_connections_ms)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._request("GET", "/_emulator/faults", timeout=1.0)
                return
            except (OSError, EmulatorError):
                if time.monotonic() > deadline:
                    raise EmulatorError("the Notify emulator does not answer") from None
                time.sleep(0.02)

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text: str = self._stderr.read().decode("utf-8", "replace").strip()
        return text or "(no output)"

    def stop(self) -> None:
        """Stops the subprocess (SIGTERM, then SIGKILL after 5 s)."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._config_file is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._config_file)
            self._config_file = None

    @property
    def returncode(self) -> int | None:
        """The exit status once stopped or crashed, else None."""
        return None if self._process is None else self._process.poll()

    def __enter__(self) -> NotifyEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- keys --------------------------------------------------------------------------
    @property
    def api_key(self) -> str:
        """The test key (nothing is really sent with it)."""
        return self.api_keys["test"]

    # -- control API -------------------------------------------------------------------
    def _request(self, method: str, path: str, body: Any = None, *, timeout: float = 10.0) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")
            raise EmulatorError(f"{method} {path} failed: {e.code} {detail}") from None

    def notifications(self) -> list[dict[str, Any]]:
        """Every stored notification, newest first (§3.1 objects plus key_type, service_id)."""
        result: list[dict[str, Any]] = self._request("GET", "/_emulator/notifications")[
            "notifications"
        ]
        return result

    def clear(self) -> int:
        """Deletes every notification and resets counters, limits and stats."""
        cleared: int = self._request("DELETE", "/_emulator/notifications")["cleared"]
        return cleared

    def set_status(self, notification_id: str, status: str) -> dict[str, Any]:
        """Forces a notification's status; returns the updated notification."""
        result: dict[str, Any] = self._request(
            "POST", f"/_emulator/notifications/{notification_id}/status", {"status": status}
        )
        return result

    def stats(self) -> dict[str, Any]:
        """Requests by route and outcome, stored count, notifications per reference."""
        result: dict[str, Any] = self._request("GET", "/_emulator/stats")
        return result

    def faults(self, **changes: float) -> dict[str, Any]:
        """Merges fault settings (none: just reads them); returns the merged settings."""
        if not changes:
            result: dict[str, Any] = self._request("GET", "/_emulator/faults")
        else:
            result = self._request("PUT", "/_emulator/faults", changes)
            refuse_ms = float(changes.get("refuse_connections_ms", 0))
            if refuse_ms > 0:
                self._wait_until_refusing(refuse_ms / 1000.0)
        return result

    def _wait_until_refusing(self, period: float) -> None:
        """The emulator closes its listening socket just after answering the PUT; wait
        (at most the refused period, capped at 5 s) until connections are refused, so the
        caller's next request meets the fault."""
        parts = urllib.parse.urlsplit(self.base_url)
        address = (parts.hostname or "127.0.0.1", parts.port or 80)
        deadline = time.monotonic() + min(period, 5.0)
        while time.monotonic() < deadline:
            try:
                socket.create_connection(address, timeout=0.5).close()
            except ConnectionRefusedError:
                return
            except OSError:
                pass
            time.sleep(0.005)

    def reset_faults(self) -> dict[str, Any]:
        """Turns every fault off and resets the seed."""
        return self.faults(**DEFAULT_FAULTS)

    def config(self) -> dict[str, Any]:
        """The running configuration (secrets included)."""
        result: dict[str, Any] = self._request("GET", "/_emulator/config")
        return result
