"""Statuses over time: created -> sending -> final, the compressed 72-hour timeout,
retention, and forced statuses."""

from __future__ import annotations

from typing import Any

from govuk_notify_emulator import NotifyEmulator
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

from .helpers import call, errors, send, wait_for

FAST = [
    "--created-to-sending-ms", "100",
    "--sending-to-final-ms", "200",
    "--sending-timeout-ms", "600",
]  # fmt: skip


def status_of(emulator: NotifyEmulator, nid: str) -> dict[str, Any]:
    resp = call(emulator, "GET", f"/v2/notifications/{nid}")
    assert resp.status_code == 200
    result: dict[str, Any] = resp.json()
    return result


def test_test_key_outcomes_follow_simulator_addresses(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory(args=FAST)
    ids = {
        address: send(emulator, email_address=address).json()["id"]
        for address in (
            "ok@example.com",
            "temp-fail@simulator.notify",
            "perm-fail@simulator.notify",
        )
    }
    seen_sending = wait_for(
        lambda: status_of(emulator, ids["ok@example.com"])["status"] in ("sending", "delivered")
    )
    assert seen_sending
    final = {
        a: wait_for(lambda nid=nid: (n := status_of(emulator, nid))["completed_at"] and n)
        for a, nid in ids.items()
    }
    assert final["ok@example.com"]["status"] == "delivered"
    assert final["temp-fail@simulator.notify"]["status"] == "temporary-failure"
    assert final["perm-fail@simulator.notify"]["status"] == "permanent-failure"
    for n in final.values():
        assert n["created_at"] < n["sent_at"] <= n["completed_at"]


def test_live_key_to_simulator_address_is_delivered(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory(args=FAST)
    live = emulator.api_keys["live"]
    nid = send(emulator, key=live, email_address="perm-fail@simulator.notify").json()["id"]
    n = wait_for(lambda: (x := status_of(emulator, nid))["completed_at"] and x)
    assert n["status"] == "delivered"


def test_forced_sending_times_out_to_temporary_failure(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory(args=FAST)
    nid = send(emulator).json()["id"]
    forced = emulator.set_status(nid, "sending")
    assert forced["status"] == "sending"
    assert forced["sent_at"] is not None
    n = wait_for(lambda: (x := status_of(emulator, nid))["status"] != "sending" and x, timeout=5)
    assert n["status"] == "temporary-failure"
    assert n["completed_at"] is not None


def test_forced_final_status_stays(notify_emulator: NotifyEmulator) -> None:
    nid = send(notify_emulator).json()["id"]
    n = notify_emulator.set_status(nid, "technical-failure")
    assert n["status"] == "technical-failure"
    assert n["completed_at"] is not None
    assert status_of(notify_emulator, nid)["status"] == "technical-failure"


def test_force_status_errors(notify_emulator: NotifyEmulator) -> None:
    nid = send(notify_emulator).json()["id"]
    resp = call(
        notify_emulator,
        "POST",
        f"/_emulator/notifications/{nid}/status",
        json_body={"status": "lost"},
    )
    assert resp.status_code == 400
    assert "status must be one of" in errors(resp)[0][1]
    resp = call(
        notify_emulator,
        "POST",
        "/_emulator/notifications/00000000-0000-4000-8000-000000000000/status",
        json_body={"status": "delivered"},
    )
    assert resp.status_code == 404


def test_retention_deletes_and_older_than_deleted_gives_empty_page(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory(args=["--retention-ms", "700"])
    old = send(emulator).json()["id"]
    wait_for(
        lambda: call(emulator, "GET", f"/v2/notifications/{old}").status_code == 404, timeout=5
    )
    send(emulator)
    page = call(emulator, "GET", f"/v2/notifications?older_than={old}").json()
    assert page["notifications"] == []
    assert len(call(emulator, "GET", "/v2/notifications").json()["notifications"]) == 1
