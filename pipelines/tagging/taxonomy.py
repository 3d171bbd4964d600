"""``taxonomy.yaml`` as a pydantic model: industries and their keywords, companies and aliases.

Validated at start-up rather than at match time, because a typo in a data file users extend
should stop the crawl with the file, key and fix, not silently drop tags for days. The YAML
shape is one declaration (:class:`TaxonomyFile`); the rules across entries (a keyword twice,
an alias under two companies) are its model validator; :class:`Taxonomy` is what the tagger
uses, with keywords already folded for matching.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from crawler.config.errors import Problem, config_error, none_is
from crawler.config.loading import DATA_DIR, load_yaml

DEFAULT_TAXONOMY_FILE = DATA_DIR / "taxonomy.yaml"

# Upper-case ASCII only: ``str.lower`` may change the length of some non-ASCII strings, and
# match offsets must stay valid in the original text for the word-boundary check.
_ASCII_UPPER_RUN = re.compile("[A-Z]+")


def fold(text: str) -> str:
    """ASCII letters lowered, every other character kept, so positions stay valid.

    Lowering runs of capitals with a regex: ``str.translate`` costs ~0.1 µs per CJK character
    and this runs over every body.
    """
    if text.isascii():
        return text.lower()
    return _ASCII_UPPER_RUN.sub(_lower_match, text)


def _lower_match(match: re.Match[str]) -> str:
    return match.group().lower()


def _no_outer_spaces(value: str) -> str:
    if not value.strip():
        raise Problem("is empty", "remove the entry or fill it in")
    if value != value.strip():
        raise Problem(f"{value!r} has leading/trailing spaces", "remove the spaces")
    return value


# A name, keyword or alias: a real string (YAML's 42 or yes is not one), non-empty, unpadded.
_Text = Annotated[
    str, StringConstraints(min_length=1, strict=True), AfterValidator(_no_outer_spaces)
]


def _keyword_pair(entry: Any) -> Any:
    """``- 电网`` is weight 1, ``- 炼油: 2`` is weight 2; both become ``(word, weight)``."""
    if isinstance(entry, str):
        return (_no_outer_spaces(entry), 1.0)
    if isinstance(entry, dict):
        if len(entry) != 1:
            raise Problem(
                f"a weighted keyword needs exactly one 'word: weight' pair, got {entry!r}",
                "write it as '- 炼油: 2'",
            )
        ((word, weight),) = entry.items()
        if isinstance(word, str):
            _no_outer_spaces(word)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            raise Problem(
                f"weight of {word!r} must be a positive number, got {weight!r}",
                "write e.g. '- 炼油: 2'",
            )
        return (word, float(weight))
    return entry  # anything else fails the tuple type below, with the 'quote it' fix


_Keyword = Annotated[tuple[_Text, float], BeforeValidator(_keyword_pair)]


class Scoring(BaseModel):
    """Thresholds that keep one passing mention from tagging an article."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    title_weight: float = Field(3.0, ge=1)
    min_score: float = Field(4.0, ge=0)
    min_keywords: int = Field(2, ge=1)
    body_hit_cap: int = Field(3, ge=1)


class TaxonomyFile(BaseModel):
    """The file as written: ``industries`` (required), ``companies``, ``stop_words``, ``scoring``.

    Strict: YAML reads ``yes`` and ``42`` as non-strings, and a keyword must be text.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    industries: Annotated[
        dict[_Text, Annotated[list[_Keyword], Field(min_length=1)]], Field(min_length=1)
    ]
    companies: Annotated[
        dict[_Text, Annotated[list[_Text], Field(min_length=1)]], none_is({})
    ] = {}
    stop_words: Annotated[list[_Text], none_is([])] = []
    scoring: Annotated[Scoring, none_is({})] = Scoring()

    @field_validator("industries")
    @classmethod
    def _keyword_once_per_industry(
        cls, value: dict[str, list[tuple[str, float]]]
    ) -> dict[str, list[tuple[str, float]]]:
        for name, keywords in value.items():
            seen: set[str] = set()
            for i, (word, _) in enumerate(keywords):
                if fold(word) in seen:
                    raise Problem(
                        f"duplicate keyword {word!r}", "remove the second occurrence", (name, i)
                    )
                seen.add(fold(word))
        return value

    @field_validator("companies")
    @classmethod
    def _alias_under_one_company(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        """An alias under two companies would tag both; which one is meant is the user's call."""
        owner: dict[str, str] = {}
        for name, aliases in value.items():
            for i, alias in enumerate(aliases):
                if owner.setdefault(fold(alias), name) != name:
                    raise Problem(
                        f"alias {alias!r} is already listed under company {owner[fold(alias)]!r}",
                        "keep the alias under one company only",
                        (name, i),
                    )
        return value

    def resolve(self) -> Taxonomy:
        """The tables the tagger matches against: folded keywords, each alias once."""
        companies: dict[str, tuple[str, ...]] = {}
        for name, aliases in self.companies.items():
            kept = {fold(a): a for a in reversed(aliases)}  # first spelling of a folded alias
            companies[name] = tuple(a for a in aliases if kept.get(fold(a)) is a)
        return Taxonomy(
            industries={
                name: {fold(word): weight for word, weight in keywords}
                for name, keywords in self.industries.items()
            },
            companies=companies,
            stop_words=frozenset(w.lower() for w in self.stop_words),
            scoring=self.scoring,
        )


class Taxonomy(BaseModel):
    """What the tagger uses: tag -> {folded keyword: weight}, company -> aliases."""

    model_config = ConfigDict(frozen=True)

    industries: dict[str, dict[str, float]]
    companies: dict[str, tuple[str, ...]]
    stop_words: frozenset[str]
    scoring: Scoring


_TOP_LEVEL = "companies, industries, scoring, stop_words"

# Key pattern -> fix, for config_error (``{0}`` is the name the ``*`` matched).
_FIXES = {
    "model_type:<root>": "start from crawler/data/taxonomy.yaml",
    "extra_forbidden:scoring.*": "use one of body_hit_cap, min_keywords, min_score, title_weight",
    "extra_forbidden:*": f"use only {_TOP_LEVEL}",
    "scoring": "write e.g. 'scoring: {min_score: 4, min_keywords: 2}'",
    "scoring.min_keywords": "write an integer such as 2",
    "scoring.body_hit_cap": "write an integer such as 3",
    "scoring.*": "write a number such as 4",
    "industries": "write e.g. 'industries: {电力: [电网, 变电站]}'",
    "industries.*": "give at least two keywords as a YAML list",
    "industries.*[*]": "quote the value or write it as plain text",
    "companies": "write e.g. 'companies: {中国石化: [中国石化, 中石化, Sinopec]}'",
    "companies.*": "write e.g. '{0}: [{0}]'",
    "companies.*[*]": "quote the value or write it as plain text",
    "stop_words": "write e.g. 'stop_words: [公司, 表示]'",
    "stop_words[*]": "quote the value or write it as plain text",
}


def load_taxonomy(path: str | Path = DEFAULT_TAXONOMY_FILE) -> Taxonomy:
    """Read and validate ``taxonomy.yaml`` (``ConfigError`` naming file, key and fix)."""
    try:
        return TaxonomyFile.model_validate(load_yaml(path)).resolve()
    except ValidationError as exc:
        raise config_error(path, exc, _FIXES) from None
