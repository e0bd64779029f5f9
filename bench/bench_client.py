"""Benchmark: our batch API against notifications-python-client, in one run.

    python bench/bench_client.py                  # defaults: well under 2 minutes
    python bench/bench_client.py --sends 20000 --rss-sends 1000000

A local keep-alive HTTP/1.1 server (plain asyncio, in its own process) answers
POST /v2/notifications/email with a 201 after an injected latency. For 0 ms
and 50 ms latency it measures:

* the official client, sequentially (one client, as most code uses it);
* the official client in a 16-thread pool (one client per thread: it is not
  thread-safe);
* our ``send_email_notifications`` batch API (the client-side rate limit is
  off here: the point is the transport).

Then it sends ``--rss-sends`` emails through our client at 0 ms and prints
the process RSS before and after. Not a test: it prints figures and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"bench-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
RESPONSE = (
    b'{"content":{"body":"Hello","from_email":"service@notifications.service.gov.uk",'
    b'"one_click_unsubscribe_url":null,"subject":"Hi"},'
    b'"id":"740e5834-3a29-46b4-9a6f-16142fde533a","reference":null,"sanitised_content":{},'
    b'"scheduled_for":null,"template":{"id":"f33517ff-2a88-4f6e-b855-c550268ce08a",'
    b'"uri":"http://127.0.0.1/services/x/templates/y","version":1},'
    b'"uri":"http://127.0.0.1/v2/notifications/740e5834-3a29-46b4-9a6f-16142fde533a"}\n'
)
HTTP_201 = (
    b"HTTP/1.1 201 CREATED\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(RESPONSE)).encode()
    + b"\r\n\r\n"
    + RESPONSE
)


# ---- the server (runs in a child process) ---------------------------------


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            if delay:
                await asyncio.sleep(delay)
            writer.write(HTTP_201)
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _serve(latency_ms: float) -> None:
    delay = latency_ms / 1000.0
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, delay), "127.0.0.1", 0, backlog=1024
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


class Server:
    """The benchmark server in a separate process."""

    def __init__(self, latency_ms: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(latency_ms)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# ---- the clients ------------------------------------------------------------


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def official_client(url: str) -> Any:
    from notifications_python_client.notifications import NotificationsAPIClient

    return NotificationsAPIClient(API_KEY, base_url=url)  # type: ignore[no-untyped-call]


def ours(url: str) -> Any:
    from django_govuk_notify_outbox.client import NotificationsAPIClient

    return NotificationsAPIClient(
        API_KEY, url, timeout=30, rate_limit_per_minute=None, max_in_flight=64
    )


def timed(n: int, run: Callable[[int], None]) -> float:
    start = time.perf_counter()
    run(n)
    return n / (time.perf_counter() - start)


def official_sequential(url: str) -> Callable[[int], None]:
    client = official_client(url)

    def run(n: int) -> None:
        for i in range(n):
            client.send_email_notification(f"user{i}@example.com", TEMPLATE_ID)

    return run


def official_pool(url: str, threads: int = 16) -> Callable[[int], None]:
    local = threading.local()

    def one(i: int) -> None:
        if not hasattr(local, "client"):
            local.client = official_client(url)
        local.client.send_email_notification(f"user{i}@example.com", TEMPLATE_ID)

    pool = concurrent.futures.ThreadPoolExecutor(threads)

    def run(n: int) -> None:
        list(pool.map(one, range(n)))

    return run


def our_batches(url: str, batch: int = 5000) -> Callable[[int], None]:
    client = ours(url)

    def run(n: int) -> None:
        for start in range(0, n, batch):
            emails = [
                {"email_address": f"user{i}@example.com", "template_id": TEMPLATE_ID}
                for i in range(start, min(n, start + batch))
            ]
            results = client.send_email_notifications(emails)
            bad = [r for r in results if r.status_code != 201]
            if bad:
                raise SystemExit(f"unexpected result: {bad[0]}")

    return run


def measure(latency_ms: float, counts: Sequence[int]) -> dict[str, float]:
    server = Server(latency_ms)
    try:
        n_seq, n_pool, n_ours = counts
        seq, pool, batch = (
            official_sequential(server.url),
            official_pool(server.url),
            our_batches(server.url),
        )
        # Warm up connections and code paths.
        seq(5)
        pool(32)
        batch(200)
        return {
            "official sequential": timed(n_seq, seq),
            "official 16 threads": timed(n_pool, pool),
            "ours (batch)": timed(n_ours, batch),
        }
    finally:
        server.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--sends", type=int, default=5000, help="our sends per latency (5000)")
    parser.add_argument(
        "--official-sends", type=int, default=100, help="sequential official sends at 50 ms (100)"
    )
    parser.add_argument("--rss-sends", type=int, default=100_000, help="sends for the RSS check")
    args = parser.parse_args(argv)
    if args.serve is not None:
        asyncio.run(_serve(args.serve))
        return

    print(f"cpus: {os.cpu_count()}  python: {sys.version.split()[0]}")
    table: dict[float, dict[str, float]] = {}
    for latency in (0.0, 50.0):
        seq_n = args.official_sends if latency else args.official_sends * 10
        pool_n = seq_n * 8
        print(f"latency {latency:g} ms ...", flush=True)
        table[latency] = measure(latency, (seq_n, pool_n, args.sends))
        for name, rate in table[latency].items():
            print(f"  {name:22s} {rate:9.0f} sends/s")

    print(f"RSS over {args.rss_sends} sends at 0 ms ...", flush=True)
    server = Server(0)
    try:
        run = our_batches(server.url)
        run(10_000)  # warm-up: allocator and connection pool reach steady state
        before = rss_kib()
        start = time.perf_counter()
        run(args.rss_sends)
        rss_rate = args.rss_sends / (time.perf_counter() - start)
        after = rss_kib()
    finally:
        server.close()

    rows = []
    for latency, rates in table.items():
        o = rates["ours (batch)"]
        rows.append(
            f"| {latency:g} ms | {rates['official sequential']:,.0f} | "
            f"{rates['official 16 threads']:,.0f} | {o:,.0f} | "
            f"{o / rates['official sequential']:.1f}x | {o / rates['official 16 threads']:.1f}x |"
        )
    print()
    print(
        "| latency | official sequential (sends/s) | official 16 threads | ours (batch) "
        "| vs sequential | vs 16 threads |"
    )
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("| RSS check | sends | before | after | change | sends/s |")
    print("|---|---|---|---|---|---|")
    print(
        f"| 0 ms | {args.rss_sends:,} | {before / 1024:.1f} MiB | {after / 1024:.1f} MiB | "
        f"{(after - before) / 1024:+.1f} MiB | {rss_rate:,.0f} |"
    )


if __name__ == "__main__":
    main()
