"""Serve simulated portals on 127.0.0.1, one port per portal (a port is a separate site).

``python -m simulator.server --portals-file data/demo-portals.yaml`` serves the bundled sample
portals until interrupted and writes a profile file pointing at them.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from simulator import hostile
from simulator.sites import Site, build_all

ORDER_KEPT = 100_000
_STOP_WAIT = 5.0  # seconds

logger = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.hits[self.path] += 1
        self.server.order.append(self.path)
        self.server.referers[self.path] = self.headers.get("Referer")
        if self.server.delay:
            time.sleep(self.server.delay)  # a slower portal: crawls long enough to share
        site = self.server.site
        page = site.pages.get(self.path)
        if page is None and site.generate is not None:
            page = site.generate(self.path)
        if page is None:
            self._send(404, b"<html><body>404</body></html>", "text/html")
            return
        if page.hang:
            while not self.server.stopping.wait(0.2):
                pass
            return
        if page.drip:
            hostile.slow_loris(self, page.drip, self.server.stopping)
            return
        if page.endless:
            hostile.endless_stream(self, self.server.stopping)
            return
        body = page.body
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        for name, value in page.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) + (1000 if page.truncate else 0)))
        self.end_headers()
        self.wfile.write(body)
        if page.truncate:
            self.wfile.flush()
            self.close_connection = True

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, site: Site, port: int, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.site = site
        self.delay = delay  # seconds before every answer
        self.hits: Counter[str] = Counter()
        # Paths in the order they were requested, the latest ORDER_KEPT: a demo server
        # runs until interrupted, and keeping every request would grow without end.
        self.order: deque[str] = deque(maxlen=ORDER_KEPT)
        self.referers: dict[str, str | None] = {}  # path -> Referer of its last request
        self.stopping = threading.Event()

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up (timeouts, cancelled oversized downloads) are expected here."""


class PortalSimulator:
    """Start/stop a set of simulated sites; ``base(key)`` is a site's root URL."""

    def __init__(
        self, sites: Iterable[Site], ports: Iterable[int] | None = None, delay: float = 0.0
    ) -> None:
        self.sites = list(sites)
        port_list = list(ports) if ports is not None else [0] * len(self.sites)
        self.servers = [_SiteServer(site, port, delay) for site, port in zip(self.sites, port_list,
                                                                              strict=True)]
        self._serving: dict[_SiteServer, threading.Thread] = {}  # server -> its loop's thread

    def __enter__(self) -> PortalSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        for server in self.servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                      daemon=True)
            thread.start()
            self._serving[server] = thread

    def stop(self) -> None:
        """Stop serving, without ever waiting forever: ``shutdown()`` blocks until the serving
        loop acknowledges, so it is only asked of a loop that is still running, and waited for
        a bounded time (a test suite that hangs in a teardown is worse than one that fails)."""
        for server in self.servers:
            server.stopping.set()  # requests held open (hang, slow) give up first
        for server in self.servers:
            thread = self._serving.pop(server, None)
            if thread is not None and thread.is_alive():
                stopper = threading.Thread(target=server.shutdown, daemon=True)
                stopper.start()
                stopper.join(_STOP_WAIT)
                thread.join(_STOP_WAIT)
                if thread.is_alive():
                    logger.warning("simulator: %s did not stop serving within %.0f s",
                                   server.site.key, _STOP_WAIT)
            server.server_close()

    def server(self, key: str) -> _SiteServer:
        for server in self.servers:
            if server.site.key == key:
                return server
        raise KeyError(key)

    def base(self, key: str) -> str:
        return f"http://127.0.0.1:{self.server(key).server_address[1]}"

    def hits(self, key: str) -> Counter[str]:
        return self.server(key).hits

    def order(self, key: str) -> list[str]:
        """The paths of one site in the order they were requested (the latest ORDER_KEPT)."""
        return list(self.server(key).order)

    def profiles(self, schedule: dict[str, object] | None = None) -> dict[str, object]:
        """A portals.yaml document pointing at the running sites."""
        portals = []
        for server in self.servers:
            site = server.site
            entry: dict[str, object] = {
                "key": site.key,
                "name": site.name,
                "sections": [{"name": site.section, "url": self.base(site.key) + site.list_path}],
            }
            if schedule:
                entry["schedule"] = schedule
            portals.append(entry)
        return {"portals": portals}

    def write_profiles(self, path: str | Path, schedule: dict[str, object] | None = None) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = "# Written by simulator.server for the local sample portals; not for real use.\n"
        path.write_text(header + yaml.safe_dump(self.profiles(schedule), allow_unicode=True,
                                                sort_keys=False), encoding="utf-8")
        return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--portals-file", default="data/demo-portals.yaml")
    parser.add_argument("--no-faults", action="store_true", help="leave out the fault links")
    args = parser.parse_args()
    with PortalSimulator(build_all(faults=not args.no_faults)) as sim:
        path = sim.write_profiles(args.portals_file)
        for server in sim.servers:
            print(f"{server.site.key}: {sim.base(server.site.key)}{server.site.list_path}")
        print(f"profiles written to {path}; Ctrl-C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
