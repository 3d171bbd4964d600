"""What a crawl walks: the sections of the chosen portals, each with its portal's rules.

Chosen from the spider's arguments (``-a portal=``, ``-a url=``, ``-a section=``) and the
profile file; a ``-a url=`` without a portal gets a profile-less portal named after its host.
Every worker of a shared crawl builds the same list, so a queued request can name its target by
portal key and section URL (``PortalSpider.dump_cb_kwargs``).
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crawler.config.profiles import Portal, Section, load_portals
from crawler.config.spider_args import PortalSpiderParams
from crawler.extraction import Selectors
from crawler.urls import strip_tracking

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    """One section to walk, with what the callbacks need to know about its portal."""

    portal: Portal
    section: Section

    @property
    def key(self) -> tuple[str, str]:
        """What ``section_walks`` knows the section by."""
        return (self.portal.key, self.section.url)

    @functools.cached_property
    def selectors(self) -> Selectors | None:
        """The profile's field selectors in extraction's terms, built once, not per page;
        None when the profile has none."""
        chosen = self.portal.selectors
        if not (chosen.title or chosen.dateline or chosen.body):
            return None
        return Selectors(title=chosen.title, dateline=chosen.dateline, body=chosen.body)


def select_targets(params: PortalSpiderParams, portals_file: str | None) -> list[Target]:
    """The sections this crawl walks, in the order they are started."""
    if params.url and not params.portals:
        portal = ad_hoc_portal(params.url, params.section)
        return [Target(portal, portal.sections[0])]
    registry = load_portals(portals_file or None)
    portals = [registry.get(k) for k in params.portals] if params.portals else list(
        registry.enabled())
    targets: list[Target] = []
    for portal in portals:
        sections = portal.sections
        if params.url:
            sections = (Section(params.section or "新闻", params.url),)
        targets.extend(Target(portal, s) for s in sections)
    return targets


def dump_target(cb_kwargs: dict[str, Any]) -> dict[str, Any]:
    """``cb_kwargs`` as plain data for a request queued in Redis: the target's portal key and
    section URL instead of the ``Target``."""
    target = cb_kwargs.get("target")
    if isinstance(target, Target):
        return {**cb_kwargs, "target": (target.portal.key, target.section.url)}
    return cb_kwargs


def load_target(data: dict[str, Any], targets: list[Target]) -> dict[str, Any]:
    """``dump_target`` undone with this worker's targets."""
    ref = data.get("target")
    if not isinstance(ref, tuple):
        return data
    for target in targets:
        if (target.portal.key, target.section.url) == ref:
            return {**data, "target": target}
    raise ValueError(f"no section {ref[1]} of portal {ref[0]} in this crawl")


def ad_hoc_portal(url: str, section: str | None) -> Portal:
    """A profile-less portal for ``-a url=``: key and name from the host, generic rules only.

    A port other than the scheme's default is part of the key: two sites on one host (local
    test sites, intranet portals) are two portals, not one whose rows mix.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "unknown").lower()
    site = host[4:] if host.startswith("www.") else host
    with contextlib.suppress(ValueError):  # an out-of-range port: the host alone
        if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
            site = f"{site}:{parts.port}"
    return Portal(key=site, name=site, sections=(Section(section or "新闻", strip_tracking(url)),))
