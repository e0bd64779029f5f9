"""The exactly-once guarantee under chaos, with real sender processes on PostgreSQL and
MariaDB: SIGKILLed senders, frozen lease holders, a slow rate limit, a second host
with a skewed clock, faults at Notify and between, a Notify that loses every answer
for longer than MAX_AGE, and (PostgreSQL) the database restarted under the senders.

Every scenario ends the chaos, lets the senders drain, then counts: no reference
stored twice at Notify, every email final, none lost, none marked failed that Notify
has, and every adopted id Notify's own. NGO_CHAOS_SCALE=full runs them at full scale;
each writes its figures to build/chaos/ (docs/outbox.md, "Chaos suite")."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import pytest

from .harness import (
    FULL,
    WINDOWS,
    Agent,
    Figures,
    Host,
    Senders,
    assert_guarantee,
    child_env,
    count,
    drain,
    faketime_lib,
    hostname_prefix,
    median,
    p90,
    running,
    takeovers,
)
from .pgcluster import PrivateCluster, postgres_bin
from .proxy import DroppingProxy

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(3600 if FULL else 300)]


def _database() -> str:
    return os.environ.get("NGO_TEST_DB", "sqlite")


def _scaled(reduced: float, full: float) -> float:
    return full if FULL else reduced


class Producer:
    """Queues ``total`` emails evenly over ``seconds`` (several a tick, through the agent)."""

    def __init__(self, agent: Agent, total: int, seconds: float, prefix: str) -> None:
        self.agent = agent
        self.total = total
        self.seconds = max(0.001, seconds)
        self.prefix = prefix
        self.queued = 0
        self.started = time.monotonic()

    def tick(self) -> None:
        elapsed = time.monotonic() - self.started
        due = min(self.total, int(self.total * min(1.0, elapsed / self.seconds)) + 1)
        if due > self.queued:
            self.agent.enqueue(due - self.queued, f"{self.prefix}{self.queued}-")
            self.queued = due

    def finish(self) -> None:
        """Queue whatever the last tick left."""
        if self.queued < self.total:
            self.agent.enqueue(self.total - self.queued, f"{self.prefix}{self.queued}-")
            self.queued = self.total


def test_senders_killed_on_two_hosts_through_every_fault(
    shared_db: str, chaos_emulator: Any, rng: random.Random, seed: int, log_dir: Path
) -> None:
    """4 senders (two of them on two other hosts, one of those with its clock 30 s ahead
    or behind), one SIGKILLed every few seconds and restarted (every other kill the
    lease holder), while the emulator answers 5xx, 429, drops answers after storing,
    stalls past TIMEOUT, and a proxy loses a share of the answers after Notify stored
    the email."""
    if hostname_prefix() is None:
        pytest.skip("needs `unshare --uts` (root or user namespaces) for a second hostname")
    if faketime_lib() is None:
        pytest.skip("needs libfaketime: apt-get install faketime")
    figures = Figures("kills-hosts-faults", _database(), senders=4)
    emails = int(_scaled(200, 8000))
    chaos_s = _scaled(14, 240)
    with DroppingProxy(int(chaos_emulator.base_url.rsplit(":", 1)[1]), 0.05, seed) as proxy:
        env = child_env(chaos_emulator, proxy.base_url, WINDOWS, shared_db)
        agent = Agent(env, log_dir / "agent.log")
        skew = rng.choice(["+30s", "-30s"])
        hosts = [Host(), Host("chaos-host-b", skew), Host(), Host("chaos-host-c")]
        senders = Senders(4, env, log_dir, hosts)
        with running(senders, agent):
            senders.start_all()
            chaos_emulator.faults(
                latency_ms=5,
                jitter_ms=30,
                error_5xx_rate=0.04,
                error_429_rate=0.04,
                drop_after_store_rate=0.04,
                stall_rate=0.02,
                stall_ms=3000,
            )
            # Emails keep arriving for as long as senders are killed, so there is always
            # work for the next holder to take over.
            producer = Producer(agent, emails, chaos_s, f"kill{seed}-")
            holder_kills: list[float] = []
            started = time.monotonic()
            next_kill = started + rng.uniform(1.5, 3.0)
            while time.monotonic() - started < chaos_s:
                producer.tick()
                if time.monotonic() >= next_kill:
                    holder = senders.slot_of(agent.holder_pid())
                    wants_holder = figures.kills % 2 == 0
                    if wants_holder and holder is None:
                        time.sleep(0.05)  # between runs: wait for the next holder
                        continue
                    slot = holder if wants_holder else rng.randrange(4)
                    killed = senders.kill(slot)  # type: ignore[arg-type]
                    figures.kills += 1
                    if slot == holder:
                        holder_kills.append(killed)
                    next_kill = time.monotonic() + rng.uniform(1.5, 3.0)
                senders.check_alive()
                time.sleep(0.05)
            producer.finish()
            figures.chaos_s = time.monotonic() - started
            chaos_emulator.reset_faults()
            proxy.drop_rate = 0.0
            figures.drain_s, rows = drain(agent, senders, _scaled(90, 600))
            figures.senders_started = senders.started
        figures.holder_kills = len(holder_kills)
        figures.extra["proxy_dropped_post_answers"] = proxy.dropped
        figures.extra["seed"] = seed
        figures.extra["skewed_clock"] = skew
    count(figures, rows, chaos_emulator)
    times = takeovers(holder_kills, chaos_emulator.notifications())
    figures.takeover_median_s = median(times)
    figures.takeover_p90_s = p90(times) if times else None
    figures.extra["takeovers_s"] = [round(t, 3) for t in times]
    figures.write()
    assert_guarantee(figures, rows)
    assert len(times) >= 2, figures
    assert figures.takeover_median_s is not None, figures
    assert figures.takeover_median_s <= 5.0, figures


def test_a_rate_limit_slower_than_the_lease_and_the_claim(
    shared_db: str, chaos_emulator: Any, seed: int, log_dir: Path
) -> None:
    """No fault at all, but a client-side rate limit (60 a minute, a burst of 1) so slow
    that a batch of 16 would outlast the 1 s lease and the 1 s send-by time of its claim:
    3 senders hand the lease to each other between runs."""
    outbox = {
        **WINDOWS,
        "RATE_LIMIT_PER_MINUTE": 60,
        "RATE_LIMIT_BURST": 1,
        "LEASE_SECONDS": 1.0,
        "BATCH_SIZE": 16,
        "RUN_TIME_BUDGET": 3.0,
    }
    figures = Figures("slow-rate-limit", _database(), senders=3)
    emails = int(_scaled(8, 120))
    env = child_env(chaos_emulator, chaos_emulator.base_url, outbox, shared_db)
    agent = Agent(env, log_dir / "agent.log")
    senders = Senders(3, env, log_dir)
    with running(senders, agent):
        agent.enqueue(emails, f"rate{seed}-")
        started = time.monotonic()
        senders.start_all()
        figures.drain_s, rows = drain(agent, senders, _scaled(90, 900))
        figures.senders_started = senders.started
        figures.extra["deferred_events"] = agent.ask("events", contains="send-by time passed")
    figures.chaos_s = time.monotonic() - started
    count(figures, rows, chaos_emulator)
    figures.extra["seed"] = seed
    figures.write()
    assert_guarantee(figures, rows)
    assert figures.failed == 0, figures  # nothing failed: a slow limit only slows


def test_the_lease_holder_frozen_at_every_phase(
    shared_db: str, chaos_emulator: Any, rng: random.Random, seed: int, log_dir: Path
) -> None:
    """The current lease holder SIGSTOPped for longer than every timeout (LEASE_SECONDS,
    SEND_WINDOW, TOKEN_WINDOW, TIMEOUT and LOOKUP_DELAY), then SIGCONTed, over and over.
    With the emulator's latency (0.2-0.5 s a request) and a rate limit of 5 a second
    (burst 1, so a claim of 5 spends ~1 s waiting for tokens), a random moment of the
    holder falls in every phase: before its claim, after it and before the HTTP, in a
    rate-limit wait, mid-request, and after the answer and before recording it."""
    outbox = {
        **WINDOWS,
        "RATE_LIMIT_PER_MINUTE": 300,
        "RATE_LIMIT_BURST": 1,
        "LEASE_SECONDS": 1.0,
        "RUN_TIME_BUDGET": 3.0,
    }
    figures = Figures("frozen-holder", _database(), senders=4)
    emails = int(_scaled(70, 1000))
    chaos_s = _scaled(18, 180)
    env = child_env(chaos_emulator, chaos_emulator.base_url, outbox, shared_db)
    agent = Agent(env, log_dir / "agent.log")
    senders = Senders(4, env, log_dir)
    with running(senders, agent):
        senders.start_all()
        chaos_emulator.faults(latency_ms=200, jitter_ms=300)
        producer = Producer(agent, emails, chaos_s * 0.9, f"stop{seed}-")
        phases = {"before its first claim": 0, "a claim open": 0, "between chunks": 0}
        started = time.monotonic()
        next_stop = started + rng.uniform(0.5, 1.5)
        at_takeover = False  # this stop: the moment a new holder appears, or any moment
        last_holder = None
        while time.monotonic() - started < chaos_s:
            producer.tick()
            senders.resume_due()
            state = agent.ask("holder_state")
            holder = state["holder"] if state else None
            fresh, last_holder = holder != last_holder, holder
            ready = time.monotonic() >= next_stop and len(senders.stopped) < 2
            if state and ready and (fresh or not at_takeover):
                slot = senders.slot_of(int(str(holder).split(":")[1]))
                if slot is not None and senders.procs[slot].pid not in senders.stopped:  # type: ignore[union-attr]
                    senders.stop(slot, rng.uniform(4.5, 6.5))
                    figures.stops += 1
                    if not state["claimed"]:
                        phases["before its first claim"] += 1
                    elif state["open"]:
                        phases["a claim open"] += 1
                    else:
                        phases["between chunks"] += 1
                    next_stop = time.monotonic() + rng.uniform(0.3, 1.5)
                    at_takeover = rng.random() < 0.3
            senders.check_alive()
            time.sleep(0.01)
        producer.finish()
        figures.chaos_s = time.monotonic() - started
        senders.resume_due(everyone=True)
        chaos_emulator.reset_faults()
        figures.drain_s, rows = drain(agent, senders, _scaled(90, 900))
        figures.senders_started = senders.started
        figures.extra["deferred_events"] = agent.ask("events", contains="send-by time passed")
        figures.extra["unrecorded_late_answers"] = agent.ask(
            "events", contains="settled by another sender"
        )
        figures.extra["recovered_events"] = agent.ask("events", contains="left unrecorded")
    figures.extra["stopped_with"] = phases
    figures.extra["seed"] = seed
    count(figures, rows, chaos_emulator)
    figures.write()
    assert_guarantee(figures, rows)
    assert figures.stops >= 4, figures


def test_notify_loses_every_answer_for_longer_than_max_age(
    shared_db: str, chaos_emulator: Any, seed: int, log_dir: Path
) -> None:
    """Every answer is lost (each POST stored, then its connection closed; each look-up
    and poll too) for longer than MAX_AGE. No email may be given up on while Notify may
    have it: once answers come back, each is found and adopted, none sent twice."""
    outbox = {**WINDOWS, "MAX_AGE": 16.0, "MAX_ATTEMPTS": 3}
    figures = Figures("answers-lost-past-max-age", _database(), senders=2)
    emails = int(_scaled(40, 600))
    env = child_env(chaos_emulator, chaos_emulator.base_url, outbox, shared_db)
    agent = Agent(env, log_dir / "agent.log")
    senders = Senders(2, env, log_dir)
    with running(senders, agent):
        chaos_emulator.faults(drop_after_store_rate=1.0)
        agent.enqueue(emails, f"lost{seed}-")
        started = time.monotonic()
        senders.start_all()
        while time.monotonic() - started < float(outbox["MAX_AGE"]) + 2:
            senders.check_alive()
            time.sleep(0.2)
        figures.chaos_s = time.monotonic() - started
        figures.extra["stored_during_the_outage"] = chaos_emulator.stats()["stored"]
        chaos_emulator.reset_faults()
        figures.drain_s, rows = drain(agent, senders, _scaled(90, 600))
        figures.senders_started = senders.started
    figures.extra["seed"] = seed
    count(figures, rows, chaos_emulator)
    figures.write()
    assert_guarantee(figures, rows)
    assert figures.extra["stored_during_the_outage"] > 0, figures


@pytest.mark.skipif(_database() != "postgresql", reason="restarts a PostgreSQL cluster")
def test_postgresql_restarted_immediately_under_the_senders(
    chaos_emulator: Any, rng: random.Random, seed: int, log_dir: Path
) -> None:
    """3 senders on a cluster of the test's own, restarted with ``pg_ctl restart -m
    immediate`` (every backend killed, crash recovery) every few seconds."""
    if postgres_bin() is None:
        pytest.skip("PostgreSQL's initdb and pg_ctl are not installed")
    figures = Figures("postgresql-restarts", "postgresql", senders=3)
    emails = int(_scaled(150, 4000))
    chaos_s = _scaled(12, 180)
    with PrivateCluster() as cluster:
        env = child_env(
            chaos_emulator,
            chaos_emulator.base_url,
            WINDOWS,
            "chaos",
            NGO_CHAOS_DB_PORT=str(cluster.port),
            NGO_TEST_DB="postgresql",
        )
        agent = Agent(env, log_dir / "agent.log")
        senders = Senders(3, env, log_dir)
        with running(senders, agent):
            agent.ask("migrate")
            senders.start_all()
            producer = Producer(agent, emails, chaos_s * 0.9, f"pg{seed}-")
            started = time.monotonic()
            next_restart = started + rng.uniform(1.5, 3.0)
            while time.monotonic() - started < chaos_s:
                producer.tick()
                if time.monotonic() >= next_restart:
                    cluster.restart_immediate()
                    next_restart = time.monotonic() + rng.uniform(1.5, 3.0)
                senders.check_alive()
                time.sleep(0.05)
            producer.finish()
            figures.chaos_s = time.monotonic() - started
            figures.restarts = cluster.restarts
            figures.drain_s, rows = drain(agent, senders, _scaled(90, 600))
            figures.senders_started = senders.started
    figures.extra["seed"] = seed
    count(figures, rows, chaos_emulator)
    figures.write()
    assert_guarantee(figures, rows)
    assert figures.restarts >= 3, figures


@pytest.mark.parametrize(
    "skew",
    [
        None,
        "+30s",
    ],
    ids=["accurate-clock", "clock-30s-ahead"],
)
def test_a_lone_sender_settles_unknown_outcomes_whatever_its_clock(
    shared_db: str, chaos_emulator: Any, seed: int, log_dir: Path, skew: str | None
) -> None:
    """The only sender, on a host whose clock is outside Notify's token window (here 2 s;
    Notify's is 30 s): every answer to its sends is lost, so every email is an unknown
    outcome that only a look-up can settle, then each is polled until final. The engine
    takes every time from the database, so the host's clock should decide nothing."""
    figures = Figures(f"lone-sender-{skew or 'accurate'}", _database(), senders=1)
    env = child_env(chaos_emulator, chaos_emulator.base_url, WINDOWS, shared_db)
    agent = Agent(env, log_dir / "agent.log")
    senders = Senders(1, env, log_dir, [Host(skew=skew)])
    with running(senders, agent):
        chaos_emulator.faults(drop_after_store_rate=1.0)
        agent.enqueue(5, f"lone{seed}-")
        senders.start_all()
        deadline = time.monotonic() + 20
        while chaos_emulator.stats()["stored"] < 5:
            senders.check_alive()
            assert time.monotonic() < deadline, "the sender never sent"
            time.sleep(0.1)
        chaos_emulator.reset_faults()
        figures.drain_s, rows = drain(agent, senders, 8)
    count(figures, rows, chaos_emulator)
    assert_guarantee(figures, rows)
