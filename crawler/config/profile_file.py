"""The YAML shape of ``portals.yaml`` as pydantic models, and the fixes shown for each key.

Declared once here, so that adding a profile key is one line and not another hand-written
check. Values the crawl cannot use (a selector that does not parse, a cron with a minute of
99, an unknown encoding or time zone) are rejected by validators that raise
:class:`~crawler.config.errors.Problem` with the wording users know; everything else is worded
by :data:`FIXES` through the shared adapter. :mod:`crawler.config.profiles` turns a validated
file into the frozen ``Portal``/``Schedule`` values the spider and scheduler use.

Over 300 lines because it is the whole file format in one place (every key, its validator
and its fix text): a newcomer adding a key reads one file.
"""

from __future__ import annotations

import codecs
import re
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)

from crawler.config.errors import Fix, Problem, none_is

DEFAULT_TIMEZONE = "Asia/Shanghai"
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
SELECTOR_KEYS = ("list_links", "next_page", "title", "dateline", "body")
_INTERVAL_RE = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> int | None:
    """``30m`` -> 1800; ``None`` for anything that is not <number><s|m|h|d>."""
    match = _INTERVAL_RE.match(str(text))
    if not match or int(match.group(1)) <= 0:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _duration(problem: str, fix: str) -> BeforeValidator:
    def seconds(value: Any) -> int:
        parsed = parse_interval(str(value))
        if parsed is None:
            raise Problem(f"{problem} {value!r}", fix)
        return parsed

    return BeforeValidator(seconds)


def _zone(value: Any) -> str:
    name = str(value or DEFAULT_TIMEZONE)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Problem(
            f"unknown time zone {name!r}", "use an IANA name such as Asia/Shanghai"
        ) from None
    return name


def _cron_fields(value: Any) -> str:
    cron = str(value).strip()
    if len(cron.split()) != 5:
        raise Problem(
            f"not 5 fields: {cron!r}", "write minute hour day month weekday, e.g. '*/30 * * * *'"
        )
    return cron


class ScheduleSpec(BaseModel):
    """``{interval: 30m}`` or ``{cron: "*/30 * * * *"}``, with ``timezone`` and ``timeout``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interval: Annotated[
        int | None,
        _duration("invalid interval", "write a number and a unit: 90s, 30m, 2h or 1d"),
    ] = None
    cron: Annotated[str | None, BeforeValidator(lambda v: v if v is None else _cron_fields(v))] = (
        None
    )
    timezone: Annotated[str, BeforeValidator(_zone)] = DEFAULT_TIMEZONE
    timeout: Annotated[
        int | None, _duration("invalid duration", "write e.g. timeout: 20m")
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _interval_or_cron(cls, data: Any) -> Any:
        """Checked first, as it always was: with both or neither, no other key means much."""
        if isinstance(data, dict) and (data.get("interval") is None) == (data.get("cron") is None):
            raise Problem(
                "needs exactly one of 'interval' and 'cron'",
                "write interval: 30m (s/m/h/d) or cron: '*/30 * * * *'",
            )
        return data

    @model_validator(mode="after")
    def _cron_in_range(self) -> ScheduleSpec:
        if self.cron is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(self.cron, timezone=self.timezone)
            except ValueError as exc:
                raise Problem(
                    f"invalid cron {self.cron!r}: {exc}",
                    "check each field's range (minute 0-59, hour 0-23, ...)",
                    ("cron",),
                ) from None
        return self


def _selector(value: str) -> str:
    """Parsed once here, so a broken selector stops the start, not every page of the crawl."""
    from parsel import Selector
    from parsel.csstranslator import HTMLTranslator

    try:
        if value.lstrip().startswith(("/", "(")):
            Selector(text="<html></html>").xpath(value)
        else:
            HTMLTranslator().css_to_xpath(value)
    except Exception as exc:  # parsel raises several types for bad expressions
        raise Problem(
            f"invalid selector {value!r}: {exc}",
            "fix the CSS selector (or XPath starting with '/')",
        ) from None
    return value


_Selector = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, min_length=1),
    AfterValidator(_selector),
]


class SelectorSpec(BaseModel):
    """CSS or XPath (XPath when it starts with ``/`` or ``(``) overriding a heuristic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    list_links: _Selector | None = None
    next_page: _Selector | None = None
    title: _Selector | None = None
    dateline: _Selector | None = None
    body: _Selector | None = None


def _http_url(value: Any) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise Problem(
            f"not an http(s) URL: {value!r}", "use the absolute URL of the section's list page"
        )
    return value.strip()


_Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]


class SectionSpec(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: _Text
    url: Annotated[str, BeforeValidator(_http_url)]


def _encoding(value: Any) -> str | None:
    if not value:
        return None
    try:
        codecs.lookup(str(value))
    except LookupError:
        raise Problem(
            f"unknown encoding {value!r}",
            "use e.g. gb18030, gbk or utf-8, or remove the key to detect it",
        ) from None
    return str(value)


def _regex(value: Any) -> Any:
    if value is not None:
        try:
            re.compile(value)
        except (re.error, TypeError) as exc:
            raise Problem(
                f"invalid regex: {exc}", "write a Python regular expression matching article URLs"
            ) from None
    return value


class PortalSpec(BaseModel):
    """One portal: ``key``, ``name``, ``sections``; everything else only where needed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Annotated[str, StringConstraints(strict=True, pattern=KEY_RE.pattern)]
    name: _Text
    sections: Annotated[list[SectionSpec], Field(min_length=1)]
    enabled: StrictBool = True
    selectors: Annotated[SelectorSpec, none_is({})] = SelectorSpec()
    encoding: Annotated[str | None, BeforeValidator(_encoding)] = None
    schedule: ScheduleSpec | None = None
    allowed_domains: Annotated[list[Annotated[str, Field(strict=True)]], none_is([])] = []
    article_url_pattern: Annotated[str | None, BeforeValidator(_regex)] = None
    max_pages: Annotated[StrictInt, Field(ge=1)] | None = None
    # Accepted and not read (never was); kept so that files carrying it still load. The crawl
    # timeout a portal gets is ``schedule.timeout``.
    timeout: Any = None


_DEFAULT_SCHEDULE = {"interval": "30m"}


class DefaultsSpec(BaseModel):
    """``defaults:``: only the schedule of portals without their own is read."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    schedule: Annotated[ScheduleSpec, BeforeValidator(lambda v: v or _DEFAULT_SCHEDULE)] = Field(
        default_factory=lambda: ScheduleSpec.model_validate(_DEFAULT_SCHEDULE)
    )


class ProfilesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    portals: list[PortalSpec]
    defaults: Annotated[DefaultsSpec, none_is({})] = DefaultsSpec()

    @model_validator(mode="after")
    def _keys_are_unique(self) -> ProfilesFile:
        seen: set[str] = set()
        for index, portal in enumerate(self.portals):
            if portal.key in seen:
                raise Problem("duplicate key", "give every portal its own key",
                              ("portals", index, "key"))
            seen.add(portal.key)
        return self


PORTAL_KEYS = tuple(sorted(PortalSpec.model_fields))
_NO_PORTALS = Fix("put the profiles in a top-level 'portals:' list", "missing or not a list")
_SCHEDULE_MAPPING = Fix(
    "write 'schedule: {interval: 30m}' or 'schedule: {cron: \"*/30 * * * *\"}'", "not a mapping"
)
_SCHEDULE_KEY = Fix("use interval, cron, timezone or timeout", "unknown key")
_SELECTOR = Fix("give a CSS selector, or an XPath starting with '/'", "empty or not a string")
_DOMAINS = Fix("write e.g. [gongkong.com]", "not a list of host names")

# Key pattern -> fix for config_error; typed patterns (``type:key``) are tried first.
FIXES: dict[str, str | Fix] = {
    "model_type:<root>": Fix(_NO_PORTALS.fix, _NO_PORTALS.problem, "portals"),
    "missing:portals": _NO_PORTALS,
    "list_type:portals": _NO_PORTALS,
    "extra_forbidden:portals[*].selectors.*": Fix(
        f"use one of: {', '.join(SELECTOR_KEYS)}", "unknown selector"
    ),
    "extra_forbidden:portals[*].schedule.*": _SCHEDULE_KEY,
    "extra_forbidden:defaults.schedule.*": _SCHEDULE_KEY,
    "extra_forbidden:portals[*].*": Fix(f"allowed keys: {', '.join(PORTAL_KEYS)}", "unknown key"),
    "extra_forbidden:*": Fix("only 'portals' and 'defaults' are allowed", "unknown top-level key"),
    "model_type:portals[*]": Fix(
        "each portal is a mapping with key, name, sections", "not a mapping"
    ),
    "portals[*].key": Fix(
        "use a short lowercase key such as 'gongkong' (a-z, 0-9, _ or -)", "invalid key {input}"
    ),
    "portals[*].name": Fix("add e.g. name: 中国工控网", "missing display name"),
    "portals[*].sections": Fix(
        "list the news sections, each with 'name' and 'url'", "missing or empty"
    ),
    "portals[*].sections[*]": Fix(
        "write '- name: 行业动态' and 'url: https://...'", "not a mapping"
    ),
    "portals[*].sections[*].name": Fix("give the section a name, e.g. 行业动态", "missing"),
    "portals[*].selectors": Fix(f"use keys among: {', '.join(SELECTOR_KEYS)}", "not a mapping"),
    "portals[*].selectors.*": _SELECTOR,
    "portals[*].enabled": Fix("write enabled: true or false", "not true/false"),
    "portals[*].allowed_domains": _DOMAINS,
    "portals[*].allowed_domains[*]": _DOMAINS,
    "portals[*].max_pages": Fix("write e.g. max_pages: 5", "not a positive integer"),
    "portals[*].schedule": _SCHEDULE_MAPPING,
    "defaults.schedule": _SCHEDULE_MAPPING,
    "defaults": Fix("write 'defaults:' as key: value pairs", "not a mapping"),
}


def portal_key(data: Any) -> Any:
    """Renders an error's location the way users find it: ``portals[gongkong].sections[0].url``.

    A portal is shown by its key when it has a valid one (the index when not: that is the
    error then), because nobody counts list entries in a YAML file.
    """

    def render(loc: tuple[int | str, ...]) -> str:
        shown = ""
        for depth, part in enumerate(loc):
            if depth == 1 and loc[0] == "portals" and isinstance(part, int):
                shown += f"[{_valid_key_at(data, part) or part}]"
            elif isinstance(part, int):
                shown += f"[{part}]"
            else:
                shown += f".{part}" if shown else str(part)
        return shown or "<root>"

    return render


def _valid_key_at(data: Any, index: int) -> str | None:
    try:
        key = data["portals"][index]["key"]
    except (TypeError, KeyError, IndexError):
        return None
    return key if isinstance(key, str) and KEY_RE.match(key) else None
