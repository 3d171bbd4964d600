"""The ``portal`` spider's ``-a`` arguments as a pydantic model, with errors that say the fix.

Every ``-a`` value arrives as a string; the validators below turn each into its type and,
when they cannot, raise :class:`SpiderArgumentError` with the sentence the user sees (pydantic
carries it through unchanged). An unknown argument is an error naming the closest valid one:
``-a maxpages=3`` would otherwise become a spider attribute nobody reads.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

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


def _portal_keys(value: Any) -> tuple[str, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(value)
    keys = tuple(p.strip() for p in str(value).split(",") if p.strip())
    if not keys:
        raise SpiderArgumentError("-a portal= is empty; give a key such as portal=gongkong")
    return keys


def _section_url(value: Any) -> str | None:
    if value is None:
        return None
    url = str(value).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpiderArgumentError(
            f"-a url={url!r} is not an absolute http(s) URL; "
            "give the news section's list page, e.g. url=https://www.example.com/news/"
        )
    return url


def _page_count(value: Any) -> int | None:
    if value is None:
        return None
    try:
        pages = int(str(value))
    except ValueError:
        raise SpiderArgumentError(
            f"-a max_pages={value!r} is not a whole number; write e.g. max_pages=5"
        ) from None
    if not 1 <= pages <= MAX_MAX_PAGES:
        raise SpiderArgumentError(f"-a max_pages={pages} is out of range; use 1..{MAX_MAX_PAGES}")
    return pages


def _flag(value: Any) -> bool:
    lowered = str(value).strip().lower()
    if lowered not in _TRUE | _FALSE:
        raise SpiderArgumentError(f"-a refresh={value!r}: write refresh=1 or refresh=0")
    return lowered in _TRUE


class PortalSpiderParams(BaseModel):
    """What the spider was asked to do; defaults mean "as the profiles say"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    portals: Annotated[tuple[str, ...], BeforeValidator(_portal_keys)] = ()  # empty: every enabled
    url: Annotated[str | None, BeforeValidator(_section_url)] = None  # a section without a profile
    section: Annotated[
        str | None, BeforeValidator(lambda v: str(v).strip() or None if v else None)
    ] = None  # section name for -a url= crawls
    max_pages: Annotated[int | None, BeforeValidator(_page_count)] = None  # None: profile, setting
    refresh: Annotated[bool, BeforeValidator(_flag)] = False  # re-download stored articles

    @classmethod
    def from_kwargs(cls, **kwargs: object) -> PortalSpiderParams:
        """``-a`` arguments as Scrapy passes them (``portal=...``: one string per name)."""
        unknown = sorted(set(kwargs) - set(ARGUMENTS))
        if unknown:
            raise SpiderArgumentError(unknown_argument_message(unknown[0]))
        data = {("portals" if k == "portal" else k): v for k, v in kwargs.items()}
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            cause = (exc.errors()[0].get("ctx") or {}).get("error")
            if isinstance(cause, SpiderArgumentError):
                raise cause from None
            raise SpiderArgumentError(str(exc)) from None
