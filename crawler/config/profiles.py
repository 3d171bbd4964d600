"""Portal profiles: the declarative registry of portals, read by the spider and the scheduler.

A profile names a portal, its news sections and, only where the generic heuristics need help,
selectors and an encoding. Everything is validated on load so that a typo fails the run at
start with the file, the portal and the key to fix, instead of silently crawling nothing.
The YAML shape and its checks are the pydantic models of :mod:`crawler.config.profile_file`;
this module holds what the spider and the scheduler use: frozen ``Portal`` and ``Schedule``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from crawler.config.errors import config_error
from crawler.config.loading import DATA_DIR, ConfigError, load_yaml
from crawler.config.profile_file import (
    DEFAULT_TIMEZONE,
    FIXES,
    PortalSpec,
    ProfilesFile,
    ScheduleSpec,
    parse_interval,
    portal_key,
)
from crawler.urls import site_of

DEFAULT_PORTALS_FILE = DATA_DIR / "portals.yaml"

__all__ = [
    "DEFAULT_PORTALS_FILE",
    "DEFAULT_TIMEZONE",
    "Portal",
    "PortalRegistry",
    "PortalSelectors",
    "Schedule",
    "Section",
    "load_portals",
    "parse_interval",
    "portals_file",
]


@dataclass(frozen=True)
class Schedule:
    """When the scheduler runs a portal: every ``interval_seconds`` or on a 5-field ``cron``."""

    interval_seconds: int | None = None
    cron: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    timeout_seconds: int | None = None  # kill a crawl running longer than this

    def describe(self) -> str:
        when = f"every {self.interval_seconds}s" if self.interval_seconds else f"cron '{self.cron}'"
        return f"{when} ({self.timezone})"


@dataclass(frozen=True)
class Section:
    name: str
    url: str


@dataclass(frozen=True)
class PortalSelectors:
    """CSS or XPath (XPath when it starts with ``/`` or ``(``) overriding a heuristic."""

    list_links: str | None = None
    next_page: str | None = None
    title: str | None = None
    dateline: str | None = None
    body: str | None = None


@dataclass(frozen=True)
class Portal:
    key: str
    name: str
    sections: tuple[Section, ...]
    enabled: bool = True
    selectors: PortalSelectors = field(default_factory=PortalSelectors)
    encoding: str | None = None
    schedule: Schedule | None = None
    allowed_domains: tuple[str, ...] = ()
    article_url_pattern: str | None = None
    max_pages: int | None = None

    @property
    def domains(self) -> tuple[str, ...]:
        """Hosts whose links count as on-site: configured, or the sections' registrable hosts."""
        if self.allowed_domains:
            return self.allowed_domains
        return tuple(dict.fromkeys(site_of(section.url) for section in self.sections))


@dataclass(frozen=True)
class PortalRegistry:
    path: Path
    portals: tuple[Portal, ...]
    default_schedule: Schedule

    def get(self, key: str) -> Portal:
        for portal in self.portals:
            if portal.key == key:
                return portal
        known = ", ".join(p.key for p in self.portals)
        raise ConfigError(
            self.path,
            f"portals[{key}]",
            "no such portal",
            f"use one of: {known}, or add a profile with key '{key}'",
        )

    def enabled(self) -> tuple[Portal, ...]:
        return tuple(p for p in self.portals if p.enabled)

    def schedule_for(self, portal: Portal) -> Schedule:
        return portal.schedule or self.default_schedule


def portals_file(setting: str | None = None) -> Path:
    """The profile file in effect: explicit setting, then env ``PORTALS_FILE``, then bundled."""
    chosen = setting or os.environ.get("PORTALS_FILE") or ""
    return Path(chosen) if chosen else DEFAULT_PORTALS_FILE


def load_portals(path: str | Path | None = None) -> PortalRegistry:
    """Read and validate the profile file (``ConfigError`` naming file, portal, key and fix)."""
    path = portals_file(str(path) if path else None)
    data = load_yaml(path)
    try:
        spec = ProfilesFile.model_validate(data)
    except ValidationError as exc:
        raise config_error(path, exc, FIXES, key=portal_key(data)) from None
    return PortalRegistry(
        path=path,
        portals=tuple(_portal(p) for p in spec.portals),
        default_schedule=_schedule(spec.defaults.schedule),
    )


def _schedule(spec: ScheduleSpec) -> Schedule:
    return Schedule(
        interval_seconds=spec.interval,
        cron=spec.cron,
        timezone=spec.timezone,
        timeout_seconds=spec.timeout,
    )


def _portal(spec: PortalSpec) -> Portal:
    return Portal(
        key=spec.key,
        name=spec.name,
        sections=tuple(Section(name=s.name, url=s.url) for s in spec.sections),
        enabled=spec.enabled,
        selectors=PortalSelectors(**spec.selectors.model_dump()),
        encoding=spec.encoding,
        schedule=_schedule(spec.schedule) if spec.schedule is not None else None,
        allowed_domains=tuple(d.lower() for d in spec.allowed_domains),
        article_url_pattern=spec.article_url_pattern,
        max_pages=spec.max_pages,
    )
