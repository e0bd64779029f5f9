"""Fault injection (docs/design.md §4): each fault observed from a real client."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
import requests

from govuk_notify_emulator import NotifyEmulator
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

from .helpers import call, errors, send, wait_for


def test_error_5xx_answers_notify_500_body(notify_emulator: NotifyEmulator) -> None:
    notify_emulator.faults(error_5xx_rate=1)
    resp = send(notify_emulator)
    assert resp.status_code == 500
    assert errors(resp) == [("Exception", "Internal server error")]
    assert notify_emulator.notifications() == []
    assert notify_emulator.stats()["faults"]["error_5xx"] == 1


def test_error_429_answers_rate_limit_error(notify_emulator: NotifyEmulator) -> None:
    notify_emulator.faults(error_429_rate=1)
    resp = send(notify_emulator)
    assert resp.status_code == 429
    assert errors(resp) == [
        ("RateLimitError", "Exceeded rate limit for key type TEST of 3000 requests per 60 seconds")
    ]
    assert "Retry-After" not in resp.headers


def test_drop_after_store_closes_without_response_but_stores(
    notify_emulator: NotifyEmulator,
) -> None:
    notify_emulator.faults(drop_after_store_rate=1)
    with pytest.raises(requests.ConnectionError):
        send(notify_emulator, reference="dropped-1")
    stored = notify_emulator.notifications()
    assert [n["reference"] for n in stored] == ["dropped-1"]
    assert notify_emulator.stats()["references"] == {"dropped-1": 1}


def test_stall_stores_then_answers_after_client_gave_up(notify_emulator: NotifyEmulator) -> None:
    notify_emulator.faults(stall_rate=1, stall_ms=1500)
    start = time.monotonic()
    with pytest.raises(requests.Timeout):
        call(
            notify_emulator,
            "POST",
            "/v2/notifications/email",
            json_body={"email_address": "a@example.com", "template_id": TEMPLATE_PLAIN_ID},
            timeout=0.4,
        )
    assert time.monotonic() - start < 1.4
    assert len(notify_emulator.notifications()) == 1
    # a patient client gets the stalled 201 late
    t0 = time.monotonic()
    resp = send(notify_emulator)
    assert resp.status_code == 201
    assert time.monotonic() - t0 >= 1.4


TEMPLATE_PLAIN_ID = "f2a6c3b1-0004-4c1d-9e2f-3a4b5c6d7e04"


def test_latency_and_jitter_delay_v2_but_not_control_routes(
    notify_emulator: NotifyEmulator,
) -> None:
    notify_emulator.faults(latency_ms=800, jitter_ms=100)
    t0 = time.monotonic()
    assert send(notify_emulator).status_code == 201
    elapsed = time.monotonic() - t0
    assert 0.79 <= elapsed < 3
    t0 = time.monotonic()
    notify_emulator.stats()
    assert time.monotonic() - t0 < 0.6


def test_latency_does_not_block_other_requests(notify_emulator: NotifyEmulator) -> None:
    notify_emulator.faults(latency_ms=800)
    import threading

    results: list[float] = []

    def one() -> None:
        t0 = time.monotonic()
        send(notify_emulator)
        results.append(time.monotonic() - t0)

    threads = [threading.Thread(target=one) for _ in range(8)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8
    assert time.monotonic() - t0 < 2.0  # suspended, not sleeping in the server's 2 threads


def test_refuse_connections_closes_the_listening_socket(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory()
    port = int(emulator.base_url.rsplit(":", 1)[1])
    emulator.faults(refuse_connections_ms=800)

    def refused() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        return False

    assert refused()  # faults() returns once the listening socket is closed
    wait_for(lambda: not refused(), timeout=5)
    assert send(emulator).status_code == 201
    assert emulator.stats()["faults"]["refused_periods"] == 1


def outcomes(emulator: NotifyEmulator, n: int) -> list[int]:
    return [send(emulator).status_code for _ in range(n)]


def test_seed_makes_faults_repeatable(notify_emulator: NotifyEmulator) -> None:
    notify_emulator.faults(error_5xx_rate=0.5, seed=42)
    first = outcomes(notify_emulator, 30)
    notify_emulator.faults(seed=42)
    second = outcomes(notify_emulator, 30)
    assert first == second
    assert set(first) == {201, 500}
    notify_emulator.faults(seed=7)
    assert outcomes(notify_emulator, 30) != first


def test_faults_merge_and_reject_bad_values(notify_emulator: NotifyEmulator) -> None:
    merged = notify_emulator.faults(latency_ms=5)
    merged = notify_emulator.faults(jitter_ms=2)
    assert merged["latency_ms"] == 5
    assert merged["jitter_ms"] == 2
    for bad in ({"error_5xx_rate": 2}, {"latency_ms": -1}, {"nonsense": 1}, {"seed": "x"}):
        resp = requests.put(notify_emulator.base_url + "/_emulator/faults", json=bad, timeout=5)
        assert resp.status_code == 400
        assert next(iter(bad)) in resp.json()["errors"][0]["message"]
    assert notify_emulator.faults() == merged


def test_faults_given_at_start(notify_emulator_factory: EmulatorFactory) -> None:
    emulator = notify_emulator_factory(args=["--error-429-rate", "1", "--seed", "3"])
    settings: dict[str, Any] = emulator.faults()
    assert settings["error_429_rate"] == 1
    assert settings["seed"] == 3
    assert send(emulator).status_code == 429


def test_wait_until_answering_rides_out_refused_connections(
    notify_emulator: NotifyEmulator,
) -> None:
    notify_emulator.faults(refuse_connections_ms=600)

    def refused() -> bool:
        try:
            send(notify_emulator)
        except requests.ConnectionError:
            return True
        return False

    wait_for(refused, timeout=2)
    notify_emulator.wait_until_answering(timeout=5)
    assert send(notify_emulator).status_code == 201
