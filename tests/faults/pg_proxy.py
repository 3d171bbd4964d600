"""A TCP proxy in front of PostgreSQL that a test switches between faults at runtime.

The shared PostgreSQL server must never be stopped, so the faults are made here, on
127.0.0.1 (an ephemeral port) between the crawl and 127.0.0.1:5432:

- ``pass_()``: forward both ways;
- ``refuse()``: the server went down: open connections are closed (FIN, as a server that
  shuts down) and new ones are reset as soon as they arrive;
- ``stall()``: the server (or a firewall) stops answering without closing anything: open
  connections stay up, new ones are accepted, nothing is forwarded either way;
- ``cut(then)``: every open connection is reset abruptly (RST), then ``then`` ("refuse" or
  "pass") applies to new ones.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from collections.abc import Iterator

PASS, REFUSE, STALL = "pass", "refuse", "stall"


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN (SO_LINGER 0): an abrupt cut."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class _Pair:
    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client, self.server = client, server
        self.closed = False

    def close(self, abrupt: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        for sock in (self.client, self.server):
            (_reset if abrupt else _close)(sock)


class PgProxy:
    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.upstream = upstream
        self.mode = PASS
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._pairs: list[_Pair] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    def url(self, database_url: str) -> str:
        """``database_url`` (on 127.0.0.1:5432) pointed at the proxy instead."""
        return database_url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{self.port}/")

    # -- switching ------------------------------------------------------------------------

    def pass_(self) -> None:
        self.mode = PASS

    def stall(self) -> None:
        self.mode = STALL

    def refuse(self) -> None:
        self.mode = REFUSE
        self._close_all(abrupt=False)

    def cut(self, then: str = REFUSE) -> None:
        self.mode = then
        self._close_all(abrupt=True)

    def _close_all(self, abrupt: bool) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            pair.close(abrupt)

    # -- running --------------------------------------------------------------------------

    def __enter__(self) -> PgProxy:
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        _close(self._listener)
        self._close_all(abrupt=True)
        for thread in self._threads:
            thread.join(timeout=2)

    def _spawn(self, target, *args) -> None:  # type: ignore[no-untyped-def]
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                ready, _, _ = select.select([self._listener], [], [], 0.1)
                if not ready:
                    continue
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == REFUSE:
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _reset(client)
                continue
            pair = _Pair(client, server)
            with self._lock:
                self._pairs.append(pair)
            self._spawn(self._pump, pair)

    def _pump(self, pair: _Pair) -> None:
        """Forward both ways while passing; hold everything (read nothing) while stalled."""
        ends = {pair.client: pair.server, pair.server: pair.client}
        while not pair.closed and not self._stopped.is_set():
            if self.mode == STALL:
                self._stopped.wait(0.05)
                continue
            try:
                ready, _, _ = select.select(list(ends), [], [], 0.05)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        raise ConnectionError("closed by one end")
                    ends[sock].sendall(data)
            except (OSError, ValueError, ConnectionError):
                pair.close()
                return

    def open_connections(self) -> int:
        with self._lock:
            return sum(1 for pair in self._pairs if not pair.closed)


@contextlib.contextmanager
def pg_proxy() -> Iterator[PgProxy]:
    with PgProxy() as proxy:
        yield proxy
