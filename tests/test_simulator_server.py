"""The simulated portals serve the demo until interrupted: what they record must stay bounded."""

from __future__ import annotations

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
