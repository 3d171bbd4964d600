"""The simulated portals serve the demo until interrupted and the tests until they end: what
they record stays bounded, and stopping them never hangs a test run."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest

import simulator.server as server
from simulator.server import PortalSimulator
from simulator.sites import build_gkong


def test_a_long_running_simulator_keeps_only_the_latest_request_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server, "ORDER_KEPT", 5)
    site = build_gkong(n_articles=3, per_page=3)
    with PortalSimulator([site]) as sim:
        paths = [f"/page-{k}.html" for k in range(8)]
        for path in paths:
            with pytest.raises(urllib.error.HTTPError):  # not pages of the site: 404s
                urllib.request.urlopen(sim.base(site.key) + path, timeout=10)
        assert sim.order(site.key) == paths[-5:]
        assert sum(sim.hits(site.key).values()) == 8  # counted all the same


def test_stopping_never_waits_forever_for_a_loop_that_is_not_running() -> None:
    # socketserver's shutdown() waits until the serving loop says it stopped: asked of a loop
    # that never ran (or died), it waited forever and hung the test run in a teardown.
    sim = PortalSimulator([build_gkong(n_articles=3, per_page=3)])
    stopping = threading.Thread(target=sim.stop, daemon=True)
    started = time.monotonic()
    stopping.start()
    stopping.join(10)
    assert not stopping.is_alive(), "stop() hung"
    assert time.monotonic() - started < 5


def test_a_stopped_simulator_no_longer_answers() -> None:
    site = build_gkong(n_articles=3, per_page=3)
    sim = PortalSimulator([site])
    sim.start()
    base = sim.base(site.key)
    with urllib.request.urlopen(base + site.list_path, timeout=10) as answer:
        assert answer.status == 200
    sim.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base + site.list_path, timeout=5)
