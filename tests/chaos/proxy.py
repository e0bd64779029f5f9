"""A TCP proxy in front of the emulator that loses answers: with probability
``drop_rate`` the answer to a POST is thrown away when its first bytes arrive
from upstream (so the upstream has already stored the notification) and both
connections are closed, as a load balancer that fails after the backend did
its work would."""

from __future__ import annotations

import contextlib
import random
import selectors
import socket
import threading
from types import TracebackType


class DroppingProxy:
    def __init__(self, upstream_port: int, drop_rate: float, seed: int = 0) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.drop_rate = drop_rate
        self.dropped = 0
        self.forwarded = 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True, name="chaos-proxy")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> DroppingProxy:
        self._thread.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(5)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _drop_this_one(self) -> bool:
        with self._lock:
            drop = self._random.random() < self.drop_rate
            if drop:
                self.dropped += 1
            else:
                self.forwarded += 1
            return drop

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        awaiting_post_answer = False
        request_open = False  # client bytes seen since the last answer began
        with client, upstream, selectors.DefaultSelector() as sel:
            sel.register(client, selectors.EVENT_READ, upstream)
            sel.register(upstream, selectors.EVENT_READ, client)
            while not self._closed.is_set():
                for key, _ in sel.select(0.5):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    target: socket.socket = key.data
                    try:
                        data = source.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    if source is client:
                        if not request_open:
                            awaiting_post_answer = data.startswith(b"POST ")
                            request_open = True
                    elif request_open:
                        request_open = False
                        if awaiting_post_answer and self._drop_this_one():
                            # Reset, not a clean close: the client sees a connection
                            # broken after its request left.
                            client.setsockopt(
                                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0"
                            )
                            return
                    try:
                        target.sendall(data)
                    except OSError:
                        return
