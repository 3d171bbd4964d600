"""Loading of the project's YAML data files, with errors that tell the user what to fix."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings, Settings

# libyaml's parser where PyYAML was built with it: the same safe subset, ~10x faster to load.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class ConfigError(ValueError):
    """A data file is missing, unreadable or invalid.

    The message always names the file, the key (a dotted path such as
    ``portals[gongkong].sections[0].url``) and the fix, because the user reading it is
    editing YAML, not Python.
    """

    def __init__(self, path: str | Path, key: str, problem: str, fix: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.path}: {key}: {problem} (fix: {fix})")


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file, turning I/O and syntax errors into ``ConfigError``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            p,
            "<file>",
            "file not found",
            "create it or point the setting/env var at an existing file",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            p, "<file>", f"cannot read: {exc}", "save the file as UTF-8 text"
        ) from None
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader (above)
    except yaml.YAMLError as exc:
        raise ConfigError(
            p, "<file>", f"invalid YAML: {exc}", "fix the YAML syntax at the position shown"
        ) from None


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Scrapy's defaults, then ``crawler/settings.py``, then ``overrides``: what a crawl sees.

    For components built outside ``scrapy crawl`` (tests, benchmarks, scripts), so that every
    default keeps its one home in ``crawler/settings.py``.
    """
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if overrides:
        settings.update(overrides, priority="cmdline")
    return settings


def with_defaults(settings: BaseSettings) -> Settings:
    """``settings`` over ``crawler/settings.py``: what a component reads in ``from_crawler``.

    So that a component needs no default of its own (``getint("X", 8)`` beside ``X = 8`` in
    settings.py is two homes that drift apart) and still works in a crawler built from a bare
    settings dict, as tests and scripts build them. A value set in ``settings`` wins, however
    low its priority above Scrapy's own defaults: those are what the caller chose.
    """
    merged = project_settings()
    for name in settings:
        if (settings.getpriority(name) or 0) > SETTINGS_PRIORITIES["default"]:
            merged.set(name, settings[name], priority="cmdline")
    return merged


def project_default(name: str) -> Any:
    """One setting's default from ``crawler/settings.py``, for code outside a crawl."""
    return _project_defaults().get(name)


@functools.cache
def _project_defaults() -> dict[str, Any]:
    return project_settings().copy_to_dict()
