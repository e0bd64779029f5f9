"""Who may talk to the emulator: no CORS outside /v2/, Host and Origin limited to loopback
names (DNS rebinding, cross-site requests), a warning when listening beyond loopback,
callbacks only over http(s); and the daily limit held under concurrency."""

from __future__ import annotations

import subprocess
import threading
import uuid
from typing import Any

import pytest
import requests

from govuk_notify_emulator import DEFAULT_SERVICE_ID, TEMPLATE_PLAIN, EmulatorError, NotifyEmulator
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

from .helpers import send, token
from .test_cli import command

SERVICE = "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0c01"
LIVE_SECRET = "11111111-aaaa-4aaa-8aaa-000000000c01"
BIG_TEMPLATE = "f2a6c3b1-00c1-4c1d-9e2f-3a4b5c6d7ec1"


def port(emulator: NotifyEmulator) -> int:
    return int(emulator.base_url.rsplit(":", 1)[1])


def get(emulator: NotifyEmulator, path: str, **headers: str) -> requests.Response:
    return requests.get(emulator.base_url + path, headers=headers, timeout=10)


# ---- CORS --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/_emulator/config", "/_emulator/notifications"])
def test_the_page_and_the_control_api_allow_no_other_origin(
    notify_emulator: NotifyEmulator, path: str
) -> None:
    for method in ("GET", "OPTIONS"):
        resp = requests.request(method, notify_emulator.base_url + path, timeout=10)
        assert not [h for h in resp.headers if h.lower().startswith("access-control-")], (
            method,
            path,
            resp.headers,
        )


def test_v2_keeps_notifys_cors_headers(notify_emulator: NotifyEmulator) -> None:
    resp = send(notify_emulator)
    assert resp.status_code == 201
    assert resp.headers["Access-Control-Allow-Origin"] == "*"  # as Notify's after_request


# ---- Host (DNS rebinding) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}", "localhost.evil",
     "10.0.0.1:{port}", "[::2]:{port}", "128.0.0.1", "127.0.0.256", "0x7f.0.0.1", "", "a b"],
)  # fmt: skip
def test_a_request_for_another_host_is_refused(notify_emulator: NotifyEmulator, host: str) -> None:
    resp = get(notify_emulator, "/_emulator/config", Host=host.format(port=port(notify_emulator)))
    assert resp.status_code in (400, 403), host
    assert notify_emulator.api_key not in resp.text
    assert LIVE_SECRET not in resp.text


@pytest.mark.parametrize(
    "host", ["localhost:{port}", "LOCALHOST", "127.0.0.1:{port}", "127.9.8.7", "[::1]:{port}"]
)
def test_loopback_names_are_answered(notify_emulator: NotifyEmulator, host: str) -> None:
    resp = get(notify_emulator, "/_emulator/config", Host=host.format(port=port(notify_emulator)))
    assert resp.status_code == 200
    assert resp.json()["services"][0]["id"] == DEFAULT_SERVICE_ID


def test_a_rebound_page_cannot_force_a_status(notify_emulator: NotifyEmulator) -> None:
    nid = send(notify_emulator).json()["id"]
    resp = requests.post(
        f"{notify_emulator.base_url}/_emulator/notifications/{nid}/status",
        json={"status": "delivered"},
        headers={"Host": f"attacker.example:{port(notify_emulator)}"},
        timeout=10,
    )
    assert resp.status_code == 403
    assert "localhost" in resp.json()["message"]
    assert notify_emulator.notifications()[0]["status"] == "created"


# ---- Origin (cross-site requests) --------------------------------------------------------


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://evil.example:8000", "null", "file://", "http://"]
)
def test_a_cross_site_request_changes_nothing(notify_emulator: NotifyEmulator, origin: str) -> None:
    nid = send(notify_emulator).json()["id"]
    # A "simple" request a page can send without a preflight: text/plain POST.
    resp = requests.post(
        f"{notify_emulator.base_url}/_emulator/notifications/{nid}/status",
        data='{"status": "delivered"}',
        headers={"Origin": origin, "Content-Type": "text/plain"},
        timeout=10,
    )
    assert resp.status_code == 403
    resp = requests.put(
        notify_emulator.base_url + "/_emulator/faults",
        data='{"error_5xx_rate": 1}',
        headers={"Origin": origin, "Content-Type": "text/plain"},
        timeout=10,
    )
    assert resp.status_code == 403
    assert notify_emulator.notifications()[0]["status"] == "created"
    assert notify_emulator.faults()["error_5xx_rate"] == 0


def test_its_own_page_origin_is_answered(notify_emulator: NotifyEmulator) -> None:
    for origin in (notify_emulator.base_url, f"http://localhost:{port(notify_emulator)}"):
        assert get(notify_emulator, "/_emulator/faults", Origin=origin).status_code == 200


# ---- --host beyond loopback --------------------------------------------------------------


def start_process(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        command("--port", "0", *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline().strip() for _ in range(5)]
    assert lines[-1] == "NOTIFY_EMULATOR_READY=1", lines
    return proc, lines[0].partition("=")[2]


def stop_process(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    _, err = proc.communicate(timeout=10)
    return err


def test_listening_on_loopback_prints_no_warning() -> None:
    proc, _ = start_process("--host", "127.0.0.1")
    assert "warning" not in stop_process(proc)


def test_listening_beyond_loopback_warns_and_answers_any_host() -> None:
    proc, base_url = start_process("--host", "0.0.0.0")
    try:
        local = "http://127.0.0.1:" + base_url.rsplit(":", 1)[1]
        resp = requests.get(
            local + "/_emulator/faults", headers={"Host": "devbox.internal"}, timeout=10
        )
        assert resp.status_code == 200  # --host said so
    finally:
        err = stop_process(proc)
    assert "warning: listening on 0.0.0.0, beyond loopback" in err
    assert "/_emulator/config" in err


# ---- callbacks ---------------------------------------------------------------------------


def callback_config(url: str) -> dict[str, Any]:
    return {
        "services": [
            {
                "id": SERVICE,
                "api_keys": [{"name": "live", "type": "live", "secret": LIVE_SECRET}],
                "callback_url": url,
                "callback_bearer_token": "callback-bearer-token-123",
            }
        ]
    }


@pytest.mark.parametrize(
    "url",
    ["gopher://127.0.0.1:9/_payload", "file:///etc/passwd", "dict://127.0.0.1:11211/stat",
     "ftp://127.0.0.1/", "http://", "https:///path", "127.0.0.1:9/receipts"],
)  # fmt: skip
def test_a_callback_url_must_be_http_or_https(url: str) -> None:
    with pytest.raises(EmulatorError, match=r"services\[0\]\.callback_url must be an http"):
        NotifyEmulator(config=callback_config(url)).start()


def test_http_and_https_callback_urls_are_accepted(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    for url in ("http://127.0.0.1:9/receipts", "HTTPS://localhost/receipts"):
        emulator = notify_emulator_factory(config=callback_config(url))
        assert emulator.config()["services"][0]["callback_url"] == url


# ---- the daily limit under concurrency ---------------------------------------------------


def test_concurrent_sends_never_pass_the_daily_limit(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    limit = 3
    emulator = notify_emulator_factory(
        config={
            "services": [
                {
                    "id": SERVICE,
                    "rate_limit": 0,
                    "email_message_limit": limit,
                    "api_keys": [{"name": "live", "type": "live", "secret": LIVE_SECRET}],
                    "templates": [
                        {
                            "id": BIG_TEMPLATE,
                            "name": "Big",
                            "type": "email",
                            "subject": "Big",
                            "body": "((x))",
                        },
                    ],
                }
            ]
        },
        args=["--threads", "8", "--created-to-sending-ms", "3600000"],
    )
    api_key = f"live-{SERVICE}-{LIVE_SECRET}"
    # A large personalisation makes each request spend a while between the limit check and
    # the store, where concurrent requests used to pass the same check.
    body = {
        "email_address": "someone@example.com",
        "template_id": BIG_TEMPLATE,
        "personalisation": {"x": "words and more words " * 40_000},
    }
    for attempt in range(3):
        emulator.clear()
        statuses = send_at_once(emulator.base_url, api_key, body, 16)
        assert sorted(statuses) == [201] * limit + [429] * (16 - limit), attempt
        assert len(emulator.notifications()) == limit


def send_at_once(base_url: str, api_key: str, body: dict[str, Any], n: int) -> list[int]:
    """n clients POST body at the same moment; returns their status codes."""
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(n)

    def client() -> None:
        start.wait()
        resp = requests.post(
            base_url + "/v2/notifications/email",
            json={**body, "reference": str(uuid.uuid4())},
            headers={"Authorization": f"Bearer {token(api_key)}"},
            timeout=60,
        )
        with lock:
            statuses.append(resp.status_code)

    threads = [threading.Thread(target=client) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_a_rejected_send_gives_its_daily_place_back(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    emulator = notify_emulator_factory(
        config={
            "services": [
                {
                    "id": SERVICE,
                    "email_message_limit": 1,
                    "api_keys": [{"name": "live", "type": "live", "secret": LIVE_SECRET}],
                    "templates": [
                        {"id": TEMPLATE_PLAIN, "name": "P", "type": "email", "subject": "S",
                         "body": "B"},
                    ],
                }
            ]
        }
    )  # fmt: skip
    api_key = f"live-{SERVICE}-{LIVE_SECRET}"
    assert send(emulator, api_key, template_id=str(uuid.uuid4())).status_code == 400
    assert send(emulator, api_key, email_address="not an address").status_code == 400
    assert send(emulator, api_key).status_code == 201
    assert send(emulator, api_key).status_code == 429
