"""Fixtures: real local HTTP peers for the client tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .servers import FakeNotify, RawServer, refused_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    server = FakeNotify()
    yield server
    server.close()


@pytest.fixture
def refused() -> Iterator[str]:
    url, sock = refused_url()
    yield url
    sock.close()


@pytest.fixture
def raw_server() -> Iterator[type[RawServer]]:
    """A factory for RawServer; every server made is closed afterwards."""
    made: list[RawServer] = []

    class Factory(RawServer):
        def __init__(self, handler):  # type: ignore[no-untyped-def]
            super().__init__(handler)
            made.append(self)

    yield Factory
    for server in made:
        server.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl CLI."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="session")
def h2_server(tls_cert: tuple[Path, Path]) -> Iterator[str]:
    """hypercorn serving tests/core/h2app.py over TLS (HTTP/2 via ALPN)."""
    cert, key = tls_cert
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hypercorn",
            "--certfile",
            str(cert),
            "--keyfile",
            str(key),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "tests.core.h2app:app",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"hypercorn did not start: {err}")
            time.sleep(0.1)
    yield f"https://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)
