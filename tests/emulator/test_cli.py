"""The command line: startup lines, --help, and clear errors for bad flags and config."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from govuk_notify_emulator import NotifyEmulator


def command(*args: str) -> list[str]:
    binary = os.environ.get("NOTIFY_EMULATOR_BIN")
    base = [binary] if binary else [sys.executable, "-m", "govuk_notify_emulator"]
    return [*base, *args]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=20)


def test_help_documents_every_flag_and_default_ids() -> None:
    out = run("--help")
    assert out.returncode == 0
    for flag in (
        "--host", "--port", "--threads", "--config", "--created-to-sending-ms",
        "--sending-to-final-ms", "--sending-timeout-ms", "--retention-ms",
        "--callback-retry-delay-ms", "--callback-max-retries", "--callback-timeout-ms",
        "--latency-ms", "--jitter-ms", "--error-5xx-rate", "--error-429-rate",
        "--drop-after-store-rate", "--stall-rate", "--stall-ms", "--refuse-connections-ms",
        "--seed",
    ):  # fmt: skip
        assert flag in out.stdout
    assert "f2a6c3b1-0001-4c1d-9e2f-3a4b5c6d7e01" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "--port"),
        (["--error-5xx-rate", "1.5"], "--error-5xx-rate"),
        (["--bogus"], "--bogus"),
        (["--threads"], "--threads needs a value"),
        (["--config", "/nonexistent/file.json"], "/nonexistent/file.json"),
    ],
)
def test_bad_arguments_exit_2_naming_the_argument(args: list[str], message: str) -> None:
    out = run(*args)
    assert out.returncode == 2
    assert message in out.stderr
    assert out.stdout == ""


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"services": [{"id": "nope"}]}, "services[0].id"),
        (
            {
                "services": [
                    {
                        "id": "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0001",
                        "api_keys": [{"name": "a", "type": "gold", "secret": "x"}],
                    }
                ]
            },
            "services[0].api_keys[0].type",
        ),
        ({"retention_ms": -1}, "retention_ms"),
        ({"faults": {"stall_rate": 3}}, "stall_rate"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_config_names_the_field(tmp_path: Path, config: dict[str, object], field: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    out = run("--config", str(path))
    assert out.returncode == 2
    assert field in out.stderr


def test_startup_lines_and_clean_stop_on_sigterm() -> None:
    proc = subprocess.Popen(command("--port", "0"), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = [proc.stdout.readline().rstrip("\n") for _ in range(5)]
    assert re.fullmatch(r"NOTIFY_BASE_URL=http://127\.0\.0\.1:\d+", lines[0])
    for line, name in zip(lines[1:4], ("LIVE", "TEAM", "TEST"), strict=False):
        assert re.fullmatch(rf"NOTIFY_API_KEY_{name}=[a-z_]+-[0-9a-f-]{{36}}-[0-9a-f-]{{36}}", line)
    assert lines[4] == "NOTIFY_EMULATOR_READY=1"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    proc.stdout.close()


def test_sigint_stops_cleanly() -> None:
    proc = subprocess.Popen(command(), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    while proc.stdout.readline().strip() != "NOTIFY_EMULATOR_READY=1":
        pass
    proc.send_signal(signal.SIGINT)
    assert proc.wait(10) == 0
    proc.stdout.close()


def test_launcher_reports_startup_failure() -> None:
    with pytest.raises(Exception, match="--seed"):
        NotifyEmulator(args=["--seed", "abc"]).start()


def test_flags_override_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"created_to_sending_ms": 1234, "threads": 1}))
    with NotifyEmulator(config=path, args=["--created-to-sending-ms", "77"]) as emulator:
        config = emulator.config()
    assert config["created_to_sending_ms"] == 77
    assert config["threads"] == 1
