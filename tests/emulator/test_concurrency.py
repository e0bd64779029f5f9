"""Many clients at once, with every fault firing, while the control API clears and reads:
the emulator keeps answering and its counts stay consistent."""

from __future__ import annotations

import threading
import time
import uuid

import requests

from govuk_notify_emulator import TEMPLATE_PLAIN
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

from .helpers import token


def test_concurrent_clients_with_faults_and_a_refused_period(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory(
        args=["--created-to-sending-ms", "20", "--sending-to-final-ms", "20", "--threads", "2"]
    )
    emulator.faults(
        latency_ms=2,
        jitter_ms=5,
        error_5xx_rate=0.1,
        drop_after_store_rate=0.1,
        stall_rate=0.05,
        stall_ms=150,
        seed=5,
    )
    outcomes: dict[str, int] = {}
    references: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 3.0

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            ref = f"soak-{uuid.uuid4()}"
            headers = {"Authorization": f"Bearer {token(emulator.api_key)}"}
            body = {
                "email_address": "a@example.com",
                "template_id": TEMPLATE_PLAIN,
                "reference": ref,
            }
            try:
                resp = session.post(
                    emulator.base_url + "/v2/notifications/email",
                    json=body,
                    headers=headers,
                    timeout=1,
                )
                outcome = str(resp.status_code)
                session.get(emulator.base_url + "/v2/notifications", headers=headers, timeout=1)
            except requests.RequestException as e:
                outcome = type(e).__name__
                session = requests.Session()
            with lock:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if outcome == "201":
                    references.append(ref)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    emulator.faults(refuse_connections_ms=300)
    for t in threads:
        t.join()
    emulator.wait_until_answering()
    emulator.reset_faults()
    assert emulator.returncode is None
    assert outcomes.get("201", 0) > 50, outcomes
    assert outcomes.get("500", 0) > 0, outcomes
    stats = emulator.stats()
    counted = stats["references"]
    # every 201 was stored exactly once; dropped/stalled ones were stored too
    assert all(counted.get(ref) == 1 for ref in references)
    assert stats["stored"] == sum(counted.values())
    assert stats["faults"]["refused_periods"] == 1
    # the page and the full list still render with everything in flight finished
    assert requests.get(emulator.base_url + "/", timeout=5).status_code == 200
    assert len(emulator.notifications()) == stats["stored"]
