"""Portal profiles: the declarative registry of portals, read by the spider and the scheduler.

A profile names a portal, its news sections and, only where the generic heuristics need help,
selectors and an encoding. Everything is validated on load so that a typo fails the run at
start with the file, the portal and the key to fix, instead of silently crawling nothing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.config.loading import DATA_DIR, ConfigError, load_yaml
from crawler.urls import site_of

DEFAULT_PORTALS_FILE = DATA_DIR / "portals.yaml"
DEFAULT_TIMEZONE = "Asia/Shanghai"

_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_INTERVAL_RE = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SELECTOR_KEYS = ("list_links", "next_page", "title", "dateline", "body")
_PORTAL_KEYS = {
    "key",
    "name",
    "enabled",
    "sections",
    "selectors",
    "encoding",
    "schedule",
    "allowed_domains",
    "article_url_pattern",
    "max_pages",
    "timeout",
}
_SCHEDULE_KEYS = {"interval", "cron", "timezone", "timeout"}


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
    path = portals_file(str(path) if path else None)
    data = load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("portals"), list):
        raise ConfigError(
            path,
            "portals",
            "missing or not a list",
            "put the profiles in a top-level 'portals:' list",
        )
    unknown = set(data) - {"portals", "defaults"}
    if unknown:
        raise ConfigError(
            path,
            ", ".join(sorted(unknown)),
            "unknown top-level key",
            "only 'portals' and 'defaults' are allowed",
        )
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise ConfigError(
            path, "defaults", "not a mapping", "write 'defaults:' as key: value pairs"
        )
    default_schedule = _parse_schedule(
        path, "defaults.schedule", defaults.get("schedule") or {"interval": "30m"}
    )
    portals: list[Portal] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["portals"]):
        portal = _parse_portal(path, index, raw)
        if portal.key in seen:
            raise ConfigError(
                path, f"portals[{portal.key}].key", "duplicate key", "give every portal its own key"
            )
        seen.add(portal.key)
        portals.append(portal)
    return PortalRegistry(path=path, portals=tuple(portals), default_schedule=default_schedule)


def _parse_portal(path: Path, index: int, raw: Any) -> Portal:
    where = f"portals[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(
            path, where, "not a mapping", "each portal is a mapping with key, name, sections"
        )
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise ConfigError(
            path,
            f"{where}.key",
            f"invalid key {key!r}",
            "use a short lowercase key such as 'gongkong' (a-z, 0-9, _ or -)",
        )
    where = f"portals[{key}]"
    unknown = set(raw) - _PORTAL_KEYS
    if unknown:
        raise ConfigError(
            path,
            f"{where}.{sorted(unknown)[0]}",
            "unknown key",
            f"allowed keys: {', '.join(sorted(_PORTAL_KEYS))}",
        )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            path, f"{where}.name", "missing display name", "add e.g. name: 中国工控网"
        )
    sections_raw = raw.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        raise ConfigError(
            path,
            f"{where}.sections",
            "missing or empty",
            "list the news sections, each with 'name' and 'url'",
        )
    sections = []
    for s_index, section in enumerate(sections_raw):
        s_where = f"{where}.sections[{s_index}]"
        if not isinstance(section, dict):
            raise ConfigError(
                path, s_where, "not a mapping", "write '- name: 行业动态' and 'url: https://...'"
            )
        s_name, s_url = section.get("name"), section.get("url")
        if not isinstance(s_name, str) or not s_name.strip():
            raise ConfigError(
                path, f"{s_where}.name", "missing", "give the section a name, e.g. 行业动态"
            )
        if (
            not isinstance(s_url, str)
            or urlsplit(s_url).scheme not in ("http", "https")
            or not urlsplit(s_url).hostname
        ):
            raise ConfigError(
                path,
                f"{s_where}.url",
                f"not an http(s) URL: {s_url!r}",
                "use the absolute URL of the section's list page",
            )
        sections.append(Section(name=s_name.strip(), url=s_url.strip()))
    selectors_raw = raw.get("selectors") or {}
    if not isinstance(selectors_raw, dict):
        raise ConfigError(
            path,
            f"{where}.selectors",
            "not a mapping",
            f"use keys among: {', '.join(_SELECTOR_KEYS)}",
        )
    for s_key, value in selectors_raw.items():
        if s_key not in _SELECTOR_KEYS:
            raise ConfigError(
                path,
                f"{where}.selectors.{s_key}",
                "unknown selector",
                f"use one of: {', '.join(_SELECTOR_KEYS)}",
            )
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                path,
                f"{where}.selectors.{s_key}",
                "empty or not a string",
                "give a CSS selector, or an XPath starting with '/'",
            )
        _check_selector(path, f"{where}.selectors.{s_key}", value)
    encoding = raw.get("encoding")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise ConfigError(
                path,
                f"{where}.encoding",
                f"unknown encoding {encoding!r}",
                "use e.g. gb18030, gbk or utf-8, or remove the key to detect it",
            ) from None
    schedule = None
    if raw.get("schedule") is not None:
        schedule = _parse_schedule(path, f"{where}.schedule", raw["schedule"])
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(
            path, f"{where}.enabled", "not true/false", "write enabled: true or false"
        )
    domains = raw.get("allowed_domains") or []
    if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
        raise ConfigError(
            path,
            f"{where}.allowed_domains",
            "not a list of host names",
            "write e.g. [gongkong.com]",
        )
    pattern = raw.get("article_url_pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise ConfigError(
                path,
                f"{where}.article_url_pattern",
                f"invalid regex: {exc}",
                "write a Python regular expression matching article URLs",
            ) from None
    max_pages = raw.get("max_pages")
    if max_pages is not None and (not isinstance(max_pages, int) or max_pages < 1):
        raise ConfigError(
            path, f"{where}.max_pages", "not a positive integer", "write e.g. max_pages: 5"
        )
    return Portal(
        key=key,
        name=name.strip(),
        sections=tuple(sections),
        enabled=enabled,
        selectors=PortalSelectors(**{k: v.strip() for k, v in selectors_raw.items()}),
        encoding=str(encoding) if encoding else None,
        schedule=schedule,
        allowed_domains=tuple(d.lower() for d in domains),
        article_url_pattern=pattern,
        max_pages=max_pages,
    )


def _check_selector(path: Path, where: str, value: str) -> None:
    from parsel import Selector
    from parsel.csstranslator import HTMLTranslator

    try:
        if value.lstrip().startswith(("/", "(")):
            Selector(text="<html></html>").xpath(value)
        else:
            HTMLTranslator().css_to_xpath(value)
    except Exception as exc:  # parsel raises several types for bad expressions
        raise ConfigError(
            path,
            where,
            f"invalid selector {value!r}: {exc}",
            "fix the CSS selector (or XPath starting with '/')",
        ) from None


def parse_interval(text: str) -> int | None:
    """``30m`` -> 1800; ``None`` for anything that is not <number><s|m|h|d>."""
    match = _INTERVAL_RE.match(str(text))
    if not match or int(match.group(1)) <= 0:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _parse_schedule(path: Path, where: str, raw: Any) -> Schedule:
    if not isinstance(raw, dict):
        raise ConfigError(
            path,
            where,
            "not a mapping",
            "write 'schedule: {interval: 30m}' or 'schedule: {cron: \"*/30 * * * *\"}'",
        )
    unknown = set(raw) - _SCHEDULE_KEYS
    if unknown:
        raise ConfigError(
            path,
            f"{where}.{sorted(unknown)[0]}",
            "unknown key",
            "use interval, cron, timezone or timeout",
        )
    has_interval, has_cron = raw.get("interval") is not None, raw.get("cron") is not None
    if has_interval == has_cron:
        raise ConfigError(
            path,
            where,
            "needs exactly one of 'interval' and 'cron'",
            "write interval: 30m (s/m/h/d) or cron: '*/30 * * * *'",
        )
    timezone = str(raw.get("timezone") or DEFAULT_TIMEZONE)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            path,
            f"{where}.timezone",
            f"unknown time zone {timezone!r}",
            "use an IANA name such as Asia/Shanghai",
        ) from None
    timeout = raw.get("timeout")
    timeout_seconds = None
    if timeout is not None:
        timeout_seconds = parse_interval(str(timeout))
        if timeout_seconds is None:
            raise ConfigError(
                path, f"{where}.timeout", f"invalid duration {timeout!r}", "write e.g. timeout: 20m"
            )
    if has_interval:
        seconds = parse_interval(str(raw["interval"]))
        if seconds is None:
            raise ConfigError(
                path,
                f"{where}.interval",
                f"invalid interval {raw['interval']!r}",
                "write a number and a unit: 90s, 30m, 2h or 1d",
            )
        return Schedule(
            interval_seconds=seconds, timezone=timezone, timeout_seconds=timeout_seconds
        )
    cron = str(raw["cron"]).strip()
    if len(cron.split()) != 5:
        raise ConfigError(
            path,
            f"{where}.cron",
            f"not 5 fields: {cron!r}",
            "write minute hour day month weekday, e.g. '*/30 * * * *'",
        )
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(cron, timezone=timezone)
    except ValueError as exc:
        raise ConfigError(
            path,
            f"{where}.cron",
            f"invalid cron {cron!r}: {exc}",
            "check each field's range (minute 0-59, hour 0-23, ...)",
        ) from None
    return Schedule(cron=cron, timezone=timezone, timeout_seconds=timeout_seconds)
