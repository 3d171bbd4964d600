"""The one adapter from pydantic's errors to the one-line ``file: key: problem (fix: ...)``."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from crawler.config.errors import Fix, Problem, config_error, dotted_key


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    size: int = 1


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    items: dict[str, list[str]]
    inner: _Inner = _Inner()

    @field_validator("items")
    @classmethod
    def _no_x(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, words in value.items():
            if "x" in words:
                raise Problem("x is reserved", "rename it", (name, words.index("x")))
        return value


_FIXES: dict[str, str | Fix] = {
    "extra_forbidden:inner.*": "use size",
    "extra_forbidden:*": Fix("remove it", "unknown top-level key"),
    "items.*": "write '{0}: [a, b]'",
    "items.*[*]": Fix("quote it", "word must be text, got {input}"),
}


def _error(data: Any) -> Any:
    with pytest.raises(ValidationError) as info:
        _File.model_validate(data)
    return config_error("f.yaml", info.value, _FIXES)


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ({"items": {}, "other": 1}, "f.yaml: other: unknown top-level key (fix: remove it)"),
        ({"items": {}, "inner": {"sise": 2}}, "f.yaml: inner.sise: unknown key (fix: use size)"),
        ({"items": {"a": "b"}},
         "f.yaml: items.a: must be a list, got str 'b' (fix: write 'a: [a, b]')"),
        ({"items": {"a": ["b", 3]}},
         "f.yaml: items.a[1]: word must be text, got 3 (fix: quote it)"),
        ({"items": {"a": ["b", "x"]}}, "f.yaml: items.a[1]: x is reserved (fix: rename it)"),
        ({}, "f.yaml: items: missing "
             "(fix: see the bundled file in crawler/data/ for the expected shape)"),
    ],
)
def test_first_error_becomes_one_line(data: Any, line: str) -> None:
    assert str(_error(data)) == line


def test_keys_read_like_the_yaml() -> None:
    assert dotted_key(("industries", "电力", 1)) == "industries.电力[1]"
    assert dotted_key(()) == "<root>"
