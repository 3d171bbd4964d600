"""The outlet alias table: variant spellings and domains -> one canonical outlet name.

The YAML shape is a pydantic model, so the type rules live in one declaration; the adapter
:func:`crawler.config.errors.config_error` turns pydantic's error into the project's one-line
``ConfigError`` (file, key, problem, fix), because the person who hits it is editing YAML.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, field_validator

from crawler.config.errors import Fix, config_error
from crawler.config.loading import DATA_DIR, ConfigError, load_yaml
from pipelines.attribution.text import fold

__all__ = [
    "DEFAULT_ALIASES_FILE",
    "EMPTY_ALIASES",
    "SourceAliases",
    "aliases_for",
    "bare_host",
    "load_aliases",
]

DEFAULT_ALIASES_FILE = DATA_DIR / "source_aliases.yaml"

_SPACES_RE = re.compile(r"\s+")
_DOMAIN_RE = re.compile(r"^(?:https?://)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)/?$")

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, strict=True)]


class AliasFile(BaseModel):
    """``outlets: {Name: [alias, domain, ...]}`` and nothing else."""

    model_config = ConfigDict(extra="forbid", strict=True)

    outlets: dict[_Text, list[_Text]]

    @field_validator("outlets", mode="before")
    @classmethod
    def _bare_name_means_no_aliases(cls, value: Any) -> Any:
        """``新华社:`` with nothing after it is an outlet without aliases, not an error."""
        if isinstance(value, dict):
            return {k: ([] if v is None else v) for k, v in value.items()}
        return value


def alias_key(text: str) -> str:
    """Lookup key: folded, case-insensitive, spaces ignored ("China Daily" == "chinadaily")."""
    return _SPACES_RE.sub("", fold(text)).casefold()


def bare_host(url_or_host: str) -> str:
    """``https://www.X.com/a`` -> ``x.com``: the part of a URL that names the outlet."""
    host = url_or_host.strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host)
    host = host.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    return host[4:] if host.startswith("www.") else host


def domain_of(entry: str) -> str | None:
    """The host when ``entry`` is written as a domain or URL, else None."""
    m = _DOMAIN_RE.match(entry.strip().lower())
    return m.group(1) if m else None


@dataclass(frozen=True)
class SourceAliases:
    """Variant spellings and domains -> one canonical outlet name.

    Kept as two plain dicts so a lookup is one hash probe; the loader guarantees that no
    variant maps to two names, which is what makes ``GROUP BY source`` counts trustworthy.
    """

    names: Mapping[str, str] = field(default_factory=dict)  # alias_key(variant) -> name
    domains: Mapping[str, str] = field(default_factory=dict)  # bare host -> name

    def canonical(self, name: str) -> str | None:
        """The canonical outlet for a spelling, or None when the table does not know it."""
        return self.names.get(alias_key(name))

    def by_host(self, host: str) -> str | None:
        """The outlet owning a host or any parent domain (news.x.com.cn -> x.com.cn)."""
        host = bare_host(host)
        while host.count(".") >= 1:
            hit = self.domains.get(host)
            if hit is not None:
                return hit
            host = host.split(".", 1)[1]
        return None


EMPTY_ALIASES = SourceAliases()


def _bracket_key(loc: tuple[int | str, ...]) -> str:
    """``outlets[新华社][1]``: outlet names are keys, so every level is bracketed."""
    return str(loc[0]) + "".join(f"[{p}]" for p in loc[1:]) if loc else "<root>"


_START = "start the file with 'outlets:' followed by 'Name: [alias, domain, ...]' lines"
_NO_OUTLETS = "missing top-level 'outlets' mapping"
_NAME = Fix(
    "quote the name, e.g. '\"21世纪经济报道\": [...]'",
    "outlet name must be a non-empty string",
)
_ALIAS = Fix(
    "quote the alias (YAML reads yes/no/on/off and numbers as non-strings)",
    "alias must be a non-empty string, got {input}",
)
# Key pattern -> fix, for config_error: these messages predate the model and users know them.
_FIXES: dict[str, str | Fix] = {
    "model_type:<root>": Fix(_START, _NO_OUTLETS, "outlets"),
    "missing:outlets": Fix(_START, _NO_OUTLETS),
    "extra_forbidden:*": Fix("remove it; only 'outlets' is read", "unknown top-level key"),
    "outlets": "write one 'Name: [alias, ...]' line per outlet under 'outlets:'",
    "list_type:outlets[*]": "write it as '{0}: [alias1, alias2, domain.com]'",
    "outlets[*][*]": _ALIAS,
    "outlets[*]": _NAME,
}


def load_aliases(path: str | Path = DEFAULT_ALIASES_FILE) -> SourceAliases:
    """Read and validate the alias table.

    An alias under two names is an error rather than "last one wins": silently moving a
    variant between outlets would quietly change historical counts.
    """
    try:
        model = AliasFile.model_validate(load_yaml(path))
    except ValidationError as exc:
        raise config_error(path, exc, _FIXES, key=_bracket_key) from None
    names: dict[str, str] = {}
    domains: dict[str, str] = {}
    where: dict[str, str] = {}  # alias key -> YAML key that claimed it, for error messages

    def claim(table: dict[str, str], key: str, name: str, yaml_key: str, shown: str) -> None:
        owner = table.get(key)
        if owner is not None and owner != name:
            raise ConfigError(
                path,
                yaml_key,
                f"{shown!r} is already listed under {owner!r} ({where[key]})",
                "keep each alias or domain under exactly one outlet name",
            )
        table[key] = name
        where.setdefault(key, yaml_key)

    for name, entries in model.outlets.items():
        yaml_key = f"outlets[{name}]"
        claim(names, alias_key(name), name, yaml_key, name)
        for i, entry in enumerate(entries):
            domain = domain_of(entry)
            if domain is not None:
                claim(domains, "@" + domain, name, f"{yaml_key}[{i}]", entry)
            else:
                claim(names, alias_key(entry), name, f"{yaml_key}[{i}]", entry)
    return SourceAliases(names=names, domains={k[1:]: v for k, v in domains.items()})


@functools.lru_cache(maxsize=8)
def _aliases_cached(resolved: str) -> SourceAliases:
    return load_aliases(resolved)


def aliases_for(path: str | Path = DEFAULT_ALIASES_FILE) -> SourceAliases:
    """The alias table for ``path``, read once per process (errors are not cached)."""
    return _aliases_cached(str(Path(path).resolve()))
