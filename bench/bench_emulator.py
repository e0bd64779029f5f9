"""Benchmark the Notify emulator: POST /v2/notifications/email per second with keep-alive,
and the memory each stored notification costs.

    .venv/bin/python bench/bench_emulator.py [--seconds 5] [--connections 64] [--threads 2]

Uses wrk (``apt-get install wrk``) with a Lua script that sends one pre-signed JWT (Notify
accepts a token repeatedly within its ±30 s iat window, so a run must stay under ~30 s).
The baseline, measured in the same run against the same server, is GET /_emulator/faults:
a route with no authentication, JSON parsing or storage. Prints requests per second, the
ratio to the baseline, and bytes per stored notification (RSS growth and the store's own
accounting). NOTIFY_EMULATOR_BIN selects the executable (default: the Python module).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jwt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from govuk_notify_emulator import TEMPLATE_WELCOME, NotifyEmulator  # noqa: E402

SERVICE_ID = "be0c0000-0000-4000-8000-000000000001"
SECRET = "be0c0000-0000-4000-8000-0000000000a1"

LUA_POST = """
wrk.method = "POST"
wrk.body = '{"email_address":"bench@example.com","template_id":"%(template)s",' ..
           '"personalisation":{"name":"Bench","reference_number":"R-1"},"reference":"bench"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
"""


def rss_bytes(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(match.group(1)) * 1024 if match else 0


def run_wrk(
    url: str, script: str | None, seconds: float, connections: int, threads: int
) -> tuple[float, str]:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script or "")
        path = f.name
    try:
        if script:
            cmd += ["-s", path]
        out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(path)
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return (float(match.group(1)) if match else 0.0), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds",
        type=float,
        default=6.0,
        help="length of the baseline run; the POST runs take the same in total (<= 20)",
    )
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--server-threads", type=int, default=2, help="emulator --threads")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    seconds = min(args.seconds, 20.0)
    server_args = ["--threads", str(args.server_threads), "--retention-ms", "0"]
    # Notify's per-minute and daily limits would turn most requests into 429s: off here.
    config = {
        "services": [
            {
                "id": SERVICE_ID,
                "rate_limit": 0,
                "email_message_limit": 0,
                "api_keys": [{"name": "bench", "type": "live", "secret": SECRET}],
                "templates": [
                    {
                        "id": TEMPLATE_WELCOME,
                        "subject": "Hello ((name))",
                        "body": "Dear ((name)),\n\nYour reference is ((reference_number)).",
                    }
                ],
            }
        ]
    }
    with NotifyEmulator(config=config, args=server_args) as emulator:
        assert emulator._process is not None
        pid = emulator._process.pid
        live = emulator.api_keys["live"]
        service_id, secret = live[-73:-37], live[-36:]

        base_rate, _ = run_wrk(
            emulator.base_url + "/_emulator/faults", None, seconds, args.connections, args.threads
        )
        emulator.clear()
        token = jwt.encode({"iss": service_id, "iat": int(time.time())}, secret, algorithm="HS256")
        script = LUA_POST % {"template": TEMPLATE_WELCOME, "token": token}
        # Two POST runs back to back: the second shows memory per notification stays flat
        # as the store grows.
        runs = []
        for _ in range(2):
            stored_before = emulator.stats()["stored"]
            rss_before = rss_bytes(pid)
            rate, out = run_wrk(
                emulator.base_url + "/v2/notifications/email",
                script,
                seconds / 2,
                args.connections,
                args.threads,
            )
            stats = emulator.stats()
            grown = stats["stored"] - stored_before
            runs.append((rate, out, grown, (rss_bytes(pid) - rss_before) / max(grown, 1)))
        post_rate = sum(r[0] for r in runs) / len(runs)
        out = runs[-1][1]
        stored = stats["stored"]
        codes = stats["requests"].get("POST /v2/notifications/email", {})
        latency = re.search(r"99%\s+(\S+)", out)

    print(
        f"emulator: {args.server_threads} server threads, wrk -t{args.threads} "
        f"-c{args.connections} -d{seconds:g}s, keep-alive"
    )
    print(f"baseline  GET /_emulator/faults         {base_rate:10.0f} req/s")
    print(
        f"measured  POST /v2/notifications/email  {post_rate:10.0f} req/s "
        f"(ratio to baseline {post_rate / base_rate if base_rate else 0:.2f}; "
        f"p99 {latency.group(1) if latency else '?'})"
    )
    print(f"responses by status: {codes}")
    print(f"stored notifications: {stored}")
    for i, (_, _, grown, per) in enumerate(runs, 1):
        print(f"memory, run {i}: {grown} notifications stored, {per:.0f} bytes RSS growth each")
    if stored:
        print(f"store records: {stats['stored_bytes'] / stored:.0f} bytes per notification")
    target = 20000
    print(f"target {target} req/s: {'met' if post_rate >= target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
