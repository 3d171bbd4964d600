"""One adapter from a pydantic ``ValidationError`` to the project's one-line ``ConfigError``.

Every YAML file users edit (profiles, taxonomy, outlet aliases) is declared as a pydantic model,
so type rules live in one declaration instead of hand-written checks. What pydantic says is
written for Python programmers, though; the person who hits the error is editing YAML. This
module turns the first error into ``file: key: problem (fix: ...)``, where each model supplies
its fixes as a small table of key patterns, and validators that know better raise
:class:`Problem` with their own wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BeforeValidator, ValidationError

from crawler.config.loading import ConfigError

__all__ = ["Fix", "Problem", "config_error", "dotted_key", "none_is"]

Loc = tuple[int | str, ...]


class Fix(NamedTuple):
    """A fix, and optionally the problem (``{input}``: the value found) and key to show."""

    fix: str
    problem: str | None = None
    key: str | None = None


class Problem(ValueError):
    """Raised inside a validator: the problem and fix are shown as written, at ``loc + at``.

    A ``ValueError`` so that pydantic wraps it like any validator failure; ``at`` lets a
    model-level check (a duplicate across entries) point at the entry it is about.
    """

    def __init__(self, problem: str, fix: str, at: Loc = ()) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        self.at = at


def none_is(empty: Any) -> BeforeValidator:
    """``key:`` with nothing after it (YAML null) read as ``empty``, as the files always were."""
    return BeforeValidator(lambda value: empty if value is None else value)


def dotted_key(loc: Sequence[int | str]) -> str:
    """``("industries", "电力", 1)`` -> ``industries.电力[1]``: how the YAML reads to its editor."""
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "<root>"


def _pattern(glob: str) -> re.Pattern[str]:
    """``industries.*[*]``: ``*`` is one name or index, everything else is literal."""
    parts = [re.escape(p) for p in glob.split("*")]
    return re.compile(r"([^\[\]]+?)".join(parts) + r"\Z")


def _problem(err: Mapping[str, Any]) -> str:
    """pydantic's message, worded for a YAML file and showing what was there."""
    kind = err["type"]
    if kind == "missing":
        return "missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "too_short":
        return "is empty"
    value = err.get("input")
    msg = str(err["msg"])
    msg = msg[0].lower() + msg[1:] if msg else msg
    msg = msg.replace("input should be", "must be").replace("value should", "must")
    msg = msg.replace("a valid dictionary", "a mapping").replace("a valid ", "a ")
    if kind.endswith("_type") or kind.startswith(("greater", "less", "too_", "string_")):
        return f"{msg}, got {type(value).__name__} {value!r}"
    return msg


def config_error(
    path: str | Path,
    exc: ValidationError,
    fixes: Mapping[str, str | Fix],
    *,
    key: Callable[[Loc], str] = dotted_key,
    default_fix: str = "see the bundled file in crawler/data/ for the expected shape",
) -> ConfigError:
    """The first error of ``exc`` as ``ConfigError(path, key, problem, fix)``.

    ``fixes`` maps key patterns to fixes; a pattern may be prefixed with an error type
    (``extra_forbidden:*``) and is tried before the plain ones. ``{0}``, ``{1}`` in a fix are
    the names the ``*`` matched, so a fix can quote the entry back (``write '中国石化: [...]'``).
    ``key`` renders a location (profiles show a portal by its key, not its index).
    """
    err = exc.errors()[0]
    loc: Loc = tuple(p for p in err["loc"] if p != "[key]")
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, Problem):
        return ConfigError(path, key(loc + cause.at), cause.problem, cause.fix)
    shown = key(loc)
    problem = _problem(err)
    if "[key]" in err["loc"]:  # a mapping's key: YAML reads 2024, yes, null as non-strings
        problem = f"name {problem}"
        default_fix = "quote the name"
    typed = [(g.split(":", 1)[1], f) for g, f in fixes.items() if g.startswith(f"{err['type']}:")]
    plain = [(g, f) for g, f in fixes.items() if ":" not in g]
    for glob, fix in typed + plain:
        match = _pattern(glob).match(shown)
        if match:
            given = fix if isinstance(fix, Fix) else Fix(fix)
            text = given.fix
            for i, name in enumerate(match.groups()):
                text = text.replace(f"{{{i}}}", name)
            if given.problem is not None:
                problem = given.problem.replace("{input}", repr(err.get("input")))
            return ConfigError(path, given.key or shown, problem, text)
    return ConfigError(path, shown, problem, default_fix)
