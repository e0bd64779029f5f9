"""The chaos suite's machinery: sender processes (real ``notify_outbox_worker``
commands, on other "hosts" and skewed clocks), the agent that works the database,
the emulator's configuration, and the final count."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django_govuk_notify_outbox import statuses
from govuk_notify_emulator import TEMPLATE_PLAIN, NotifyEmulator

ROOT = Path(__file__).resolve().parents[2]
FIGURES_DIR = ROOT / "build" / "chaos"
FULL = os.environ.get("NGO_CHAOS_SCALE", "reduced") == "full"
SCALE = "full" if FULL else "reduced"
FAKETIME_LIBS = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/faketime/libfaketimeMT.so.1",
)

# Short windows so every rule of the guarantee is exercised in seconds: the emulator
# accepts a token for 2 s (--token-leeway-s 2), so LOOKUP_DELAY = TOKEN_WINDOW + TIMEOUT.
WINDOWS: dict[str, Any] = {
    "TIMEOUT": 2.0,
    "CONNECT_TIMEOUT": 1.0,
    "TOKEN_WINDOW": 2.0,
    "SEND_WINDOW": 1.0,
    "LOOKUP_DELAY": 4.0,
    "MAX_AGE": 600.0,
    "MAX_ATTEMPTS": 100,
    "LEASE_SECONDS": 2.0,
    "RUN_TIME_BUDGET": 5.0,
    "BACKOFF_BASE": 0.2,
    "BACKOFF_CAP": 2.0,
    "AUTH_PROBE_INTERVAL": 1.0,
    "KICK_ON_COMMIT": False,
    "POLL_SCHEDULE": [[3600, 1.0]],
    "BATCH_SIZE": 32,
    "MAX_IN_FLIGHT": 16,
    "RATE_LIMIT_PER_MINUTE": None,
}
EMULATOR_ARGS = ["--token-leeway-s", "2"]


def emulator_config(seed: int) -> dict[str, Any]:
    """One service with the test key, no server-side rate or daily limit (the suite's
    own limits are the client's), a fast lifecycle and no retention limit."""
    return {
        "threads": 4,
        "created_to_sending_ms": 100,
        "sending_to_final_ms": 200,
        "retention_ms": 0,
        "faults": {"seed": seed},
        "services": [
            {
                "id": "d6a1d5c2-7e0a-4d8e-9f3b-2c1e5a7b9d01",
                "name": "Chaos service",
                "rate_limit": 0,
                "email_message_limit": 0,
                "api_keys": [
                    {
                        "name": "chaos_test",
                        "type": "test",
                        "secret": "0f5e1f6a-3333-4a2b-8c3d-4e5f60718203",
                    }
                ],
                "templates": [
                    {
                        "id": TEMPLATE_PLAIN,
                        "name": "Plain",
                        "type": "email",
                        "subject": "A plain message",
                        "body": "This message has no placeholders.",
                        "version": 1,
                    }
                ],
            }
        ],
    }


def faketime_lib() -> str | None:
    return next((lib for lib in FAKETIME_LIBS if os.path.exists(lib)), None)


def hostname_prefix() -> list[str] | None:
    """The command prefix that runs a child in its own UTS namespace (its own hostname),
    or None when this machine does not allow it."""
    for prefix in (["unshare", "--uts"], ["unshare", "--user", "--map-root-user", "--uts"]):
        if shutil.which(prefix[0]) is None:
            return None
        done = subprocess.run([*prefix, "true"], capture_output=True)
        if done.returncode == 0:
            return prefix
    return None


@dataclass(frozen=True)
class Host:
    """Where a sender slot runs: its hostname (None: this machine's) and clock skew."""

    name: str | None = None
    skew: str | None = None  # faketime's offset, e.g. "+30s"


class Agent:
    """The agent child process (tests/chaos/agent.py)."""

    def __init__(self, env: Mapping[str, str], log: Path) -> None:
        self._log = open(log, "ab")  # noqa: SIM115 (closed by close())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.chaos.agent"],
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        assert json.loads(self._line()) == {"ready": True}

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the agent exited ({self.proc.wait()}); see its log")
        return line

    def ask(self, op: str, **args: Any) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self._line())
        if not answer["ok"]:
            raise RuntimeError(f"agent {op}: {answer['error']}")
        return answer["value"]

    def enqueue(self, n: int, prefix: str) -> None:
        if n > 0:
            self.ask("enqueue", n=n, prefix=prefix, template_id=TEMPLATE_PLAIN)

    def holder_pid(self) -> int | None:
        holder = self.ask("holder")
        if not holder:
            return None
        return int(str(holder).split(":")[1])

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()


def child_env(
    emulator: NotifyEmulator, base_url: str, outbox: Mapping[str, Any], db_name: str, **extra: str
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.chaos.settings",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
            "NGO_TEST_DB_NAME": db_name,
            "GOVUK_NOTIFY_API_KEY": emulator.api_key,
            "GOVUK_NOTIFY_BASE_URL": base_url,
            "NGO_OUTBOX_SETTINGS": json.dumps(dict(outbox)),
            **extra,
        }
    )
    return env


class Senders:
    """``count`` worker processes, slot i on ``hosts[i % len(hosts)]``; any can be
    SIGKILLed (and restarted), SIGSTOPped and SIGCONTed."""

    def __init__(
        self, count: int, env: Mapping[str, str], log_dir: Path, hosts: Sequence[Host] = (Host(),)
    ) -> None:
        self.env = dict(env)
        self.log_dir = log_dir
        self.hosts = [hosts[i % len(hosts)] for i in range(count)]
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * count
        self.stopped: dict[int, float] = {}  # pid -> when to SIGCONT (monotonic)
        self.started = 0
        self._uts = hostname_prefix() if any(h.name for h in self.hosts) else None

    def command(self, host: Host) -> tuple[list[str], dict[str, str]]:
        argv = [sys.executable, "-m", "django", "notify_outbox_worker", "--interval", "0.2"]
        env = dict(self.env)
        if host.name:
            assert self._uts is not None, "no UTS namespace for a second hostname"
            # exec keeps the pid: the lease holder's pid is the pid we signal.
            argv = [*self._uts, "--", "sh", "-c", 'hostname "$0" && exec "$@"', host.name, *argv]
        if host.skew:
            lib = faketime_lib()
            assert lib is not None, "libfaketime is not installed (apt-get install faketime)"
            # The wall clock only: a monotonic clock has no absolute value to be wrong
            # about, and libfaketime's shifted one breaks timed waits of threads.
            env.update(
                {"LD_PRELOAD": lib, "FAKETIME": host.skew, "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
            )
        return argv, env

    def start(self, slot: int) -> None:
        argv, env = self.command(self.hosts[slot])
        with open(self.log_dir / f"sender-{slot}.log", "ab") as log:
            self.procs[slot] = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        self.started += 1

    def start_all(self) -> None:
        for slot in range(len(self.procs)):
            self.start(slot)

    def slot_of(self, pid: int | None) -> int | None:
        for slot, proc in enumerate(self.procs):
            if proc is not None and proc.pid == pid and proc.poll() is None:
                return slot
        return None

    def kill(self, slot: int) -> float:
        """SIGKILL the slot's process and start a new one; returns the kill time (epoch)."""
        proc = self.procs[slot]
        assert proc is not None
        proc.send_signal(signal.SIGKILL)
        killed = time.time()
        proc.wait(10)
        self.stopped.pop(proc.pid, None)
        self.start(slot)
        return killed

    def stop(self, slot: int, seconds: float) -> None:
        proc = self.procs[slot]
        assert proc is not None
        proc.send_signal(signal.SIGSTOP)
        self.stopped[proc.pid] = time.monotonic() + seconds

    def resume_due(self, everyone: bool = False) -> None:
        now = time.monotonic()
        for pid, until in list(self.stopped.items()):
            if everyone or now >= until:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
                del self.stopped[pid]

    def check_alive(self) -> None:
        for slot, proc in enumerate(self.procs):
            if proc is not None and proc.poll() is not None:
                raise AssertionError(
                    f"sender {slot} exited by itself ({proc.returncode}):\n" + self.log_tail(slot)
                )

    def log_tail(self, slot: int, lines: int = 40) -> str:
        path = self.log_dir / f"sender-{slot}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop_all(self) -> None:
        self.resume_due(everyone=True)
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 15
        for proc in self.procs:
            if proc is None:
                continue
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def running(senders: Senders, agent: Agent) -> Iterator[None]:
    try:
        yield
    finally:
        senders.stop_all()
        agent.close()


# --- the count ---------------------------------------------------------------------------


@dataclass
class Figures:
    scenario: str
    database: str
    scale: str = SCALE
    emails: int = 0
    senders: int = 0
    senders_started: int = 0
    kills: int = 0
    holder_kills: int = 0
    stops: int = 0
    restarts: int = 0
    duplicates: int = 0
    lost: int = 0
    not_final: int = 0
    failed: int = 0
    failed_but_at_notify: int = 0
    wrong_notify_id: int = 0
    takeover_median_s: float | None = None
    takeover_p90_s: float | None = None
    chaos_s: float = 0.0
    drain_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def write(self) -> None:
        FIGURES_DIR.mkdir(parents=True, exist_ok=True)
        path = FIGURES_DIR / f"{self.database}-{self.scenario}-{self.scale}.json"
        path.write_text(json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n")
        print(f"\nchaos figures ({path.relative_to(ROOT)}): {json.dumps(self.__dict__)}")


def created_at(item: Mapping[str, Any]) -> float:
    return datetime.fromisoformat(str(item["created_at"]).replace("Z", "+00:00")).timestamp()


def takeovers(
    kill_times: Sequence[float], notifications: Sequence[Mapping[str, Any]]
) -> list[float]:
    """For each SIGKILL of the lease holder: seconds until the emulator stored the next
    notification (a request already at the emulator when the holder died, within the
    first 50 ms, is not a takeover)."""
    stored = sorted(created_at(n) for n in notifications)
    out = []
    for killed in kill_times:
        later = [t for t in stored if t > killed + 0.05]
        if later:
            out.append(later[0] - killed)
    return out


def p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def count(figures: Figures, rows: Sequence[Mapping[str, Any]], emulator: NotifyEmulator) -> None:
    """Fill in the guarantee's figures from every email and every stored notification."""
    notifications = emulator.notifications()
    by_reference: dict[str, list[str]] = {}
    for item in notifications:
        by_reference.setdefault(str(item.get("reference")), []).append(str(item["id"]))
    ours = {str(r["reference"]) for r in rows}
    figures.emails = len(rows)
    figures.duplicates = sum(1 for ref, ids in by_reference.items() if len(ids) > 1 and ref in ours)
    figures.extra["stored_not_ours"] = sum(1 for ref in by_reference if ref not in ours)
    final = statuses.FINAL
    for row in rows:
        at_notify = by_reference.get(str(row["reference"]), [])
        if row["status"] not in final:
            figures.not_final += 1
        if row["status"] == statuses.FAILED_SEND_TO_NOTIFY:
            figures.failed += 1
            if at_notify:
                figures.failed_but_at_notify += 1
        elif row["status"] in final and row["notify_id"] not in at_notify:
            figures.wrong_notify_id += 1
        if row["status"] != statuses.FAILED_SEND_TO_NOTIFY and not at_notify:
            figures.lost += 1
    stats = emulator.stats()
    figures.extra["emulator_faults"] = stats.get("faults", {})
    figures.extra["post_answers"] = stats.get("requests", {}).get("POST /v2/notifications/email")


def stuck(rows: Sequence[Mapping[str, Any]], limit: int = 10) -> str:
    """A description of the emails that are not final, for a failure message."""
    left = [r for r in rows if r["status"] not in statuses.FINAL]
    more = f"\n... and {len(left) - limit} more" if len(left) > limit else ""
    return json.dumps(left[:limit], indent=1) + more


def drain(agent: Agent, senders: Senders, timeout: float) -> tuple[float, list[dict[str, Any]]]:
    """Wait (chaos over) until every email is final; returns (seconds, every email)."""
    started = time.monotonic()
    while True:
        senders.check_alive()
        counts: dict[str, int] = agent.ask("statuses")
        if all(s in statuses.FINAL for s in counts):
            break
        if time.monotonic() - started > timeout:
            break
        time.sleep(0.5)
    return time.monotonic() - started, agent.ask("dump")


def assert_guarantee(figures: Figures, rows: Sequence[Mapping[str, Any]]) -> None:
    problems = {
        "references stored more than once at Notify": figures.duplicates,
        "emails not final after the drain": figures.not_final,
        "emails lost (not at Notify and not failed)": figures.lost,
        "emails marked failed that Notify has": figures.failed_but_at_notify,
        "emails whose notification id is not Notify's for its reference": figures.wrong_notify_id,
    }
    bad = {k: v for k, v in problems.items() if v}
    assert not bad, f"{bad}\nfigures: {figures}\nnot final: {stuck(rows)}"


def pick(rng: random.Random, low: float, high: float) -> float:
    return rng.uniform(low, high)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None
