"""The ``portal`` spider's ``-a`` arguments, parsed once into a typed model with clear errors."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_MAX_PAGES = 5
MAX_MAX_PAGES = 1000

_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n", ""}


class SpiderArgumentError(ValueError):
    """A ``-a name=value`` argument is wrong; the message says which and how to fix it."""


# Every argument the spider takes, with the example shown when a name is misspelt.
ARGUMENTS = {
    "portal": "portal=KEY[,KEY]",
    "url": "url=SECTION_URL",
    "section": "section=NAME",
    "max_pages": "max_pages=N",
    "refresh": "refresh=1",
}


def unknown_argument_message(name: str) -> str:
    """Name the closest valid argument first: ``-a max_page=1`` is a typo, not a new idea."""
    close = difflib.get_close_matches(name.lower(), ARGUMENTS, n=1, cutoff=0.6)
    hint = f"did you mean -a {ARGUMENTS[close[0]]}? " if close else ""
    return (f"unknown argument -a {name}=...; {hint}valid arguments: "
            + ", ".join(ARGUMENTS.values()))


@dataclass(frozen=True)
class PortalSpiderParams:
    portals: tuple[str, ...] = ()  # empty: every enabled profile
    url: str | None = None  # zero-config: a news-section list page without a profile
    section: str | None = None  # section name for -a url= crawls
    max_pages: int | None = None  # None: profile's value, then PORTAL_MAX_PAGES
    refresh: bool = False  # re-download articles already stored

    @classmethod
    def from_kwargs(cls, **kwargs: object) -> PortalSpiderParams:
        unknown = sorted(set(kwargs) - set(ARGUMENTS))
        if unknown:
            raise SpiderArgumentError(unknown_argument_message(unknown[0]))
        portals: tuple[str, ...] = ()
        raw_portal = kwargs.get("portal")
        if raw_portal is not None:
            portals = tuple(p.strip() for p in str(raw_portal).split(",") if p.strip())
            if not portals:
                raise SpiderArgumentError("-a portal= is empty; give a key such as portal=gongkong")
        url = kwargs.get("url")
        if url is not None:
            url = str(url).strip()
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise SpiderArgumentError(
                    f"-a url={url!r} is not an absolute http(s) URL; "
                    "give the news section's list page, e.g. url=https://www.example.com/news/"
                )
        max_pages = None
        raw_max = kwargs.get("max_pages")
        if raw_max is not None:
            try:
                max_pages = int(str(raw_max))
            except ValueError:
                raise SpiderArgumentError(
                    f"-a max_pages={raw_max!r} is not a whole number; write e.g. max_pages=5"
                ) from None
            if not 1 <= max_pages <= MAX_MAX_PAGES:
                raise SpiderArgumentError(
                    f"-a max_pages={max_pages} is out of range; use 1..{MAX_MAX_PAGES}"
                )
        refresh = False
        raw_refresh = kwargs.get("refresh")
        if raw_refresh is not None:
            lowered = str(raw_refresh).strip().lower()
            if lowered not in _TRUE | _FALSE:
                raise SpiderArgumentError(
                    f"-a refresh={raw_refresh!r}: write refresh=1 or refresh=0"
                )
            refresh = lowered in _TRUE
        section = kwargs.get("section")
        return cls(
            portals=portals,
            url=url,  # type: ignore[arg-type]
            section=str(section).strip() if section else None,
            max_pages=max_pages,
            refresh=refresh,
        )
