"""The outlet alias table (crawler/data/source_aliases.yaml) and source-name normalisation:
what makes ``GROUP BY source`` count each outlet once, and what a YAML editor sees on a mistake.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.config.loading import ConfigError
from pipelines.attribution import DEFAULT_ALIASES_FILE, aliases_for, load_aliases, normalize_source

GONGKONG = "中国工控网"


@pytest.fixture(scope="module")
def aliases():
    return aliases_for(DEFAULT_ALIASES_FILE)


# -- normalize_source -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("中国石化新闻", ("中国石化新闻网", None)),
        ("sinopecnews.com.cn", ("中国石化新闻网", None)),
        ("www.sinopecnews.com.cn", ("中国石化新闻网", "http://www.sinopecnews.com.cn")),
        (
            "http://news.sinopecnews.com.cn/a.html",
            ("中国石化新闻网", "http://news.sinopecnews.com.cn/a.html"),
        ),
        ("【来源：经济日报】", ("经济日报", None)),
        ("中国电力报 2024-03-11", ("中国电力新闻网", None)),
        ("  xinhuanet.com ", ("新华社", None)),
        ("CHINA DAILY", ("中国日报", None)),
        ("本站原创", (None, None)),
        ("", (None, None)),
        ("某某行业协会", ("某某行业协会", None)),
    ],
)
def test_normalize_source(raw: str, expected: tuple[str | None, str | None], aliases) -> None:
    assert normalize_source(raw, aliases) == expected


def test_normalize_source_without_table_keeps_the_cleaned_name() -> None:
    assert normalize_source("（来源：中国电力报）") == ("中国电力报", None)


def test_shipped_alias_file_is_valid_and_groups_the_examples(aliases) -> None:
    for variant in (
        "中国石化新闻网",
        "中国石化新闻",
        "sinopecnews.com.cn",
        "www.sinopecnews.com.cn",
    ):
        assert normalize_source(variant, aliases)[0] == "中国石化新闻网"
    assert normalize_source("工控网", aliases)[0] == GONGKONG
    assert normalize_source("ca800.com", aliases)[0] == "中国自动化网"
    assert normalize_source("chuandong.com", aliases)[0] == "中国传动网"
    assert len(aliases.names) > 40


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "source_aliases.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("yaml_text", "key", "problem"),
    [
        (
            "outlets:\n  新华社: [新华网]\n  人民网: [新华网]\n",
            "outlets[人民网][0]",
            "already listed under '新华社'",
        ),
        (
            "outlets:\n  新华社: [xinhuanet.com]\n  新华网: [www.xinhuanet.com]\n",
            "outlets[新华网][0]",
            "already listed",
        ),
        ("outlets:\n  新华社: []\n  人民网: [新华社]\n", "outlets[人民网][0]", "already listed"),
        ("outlets:\n  新华社: [新华网, 12]\n", "outlets[新华社][1]", "non-empty string"),
        ("outlets:\n  新华社: [新华网, {a: b}]\n", "outlets[新华社][1]", "non-empty string"),
        ("outlets:\n  新华社: 新华网\n", "outlets[新华社]", "must be a list"),
        ("outlets:\n  123: [abc]\n", "outlets[123]", "non-empty string"),
        ("sources:\n  新华社: [新华网]\n", "outlets", "missing"),
        ("outlets:\n  新华社: [新华网]\nextra: 1\n", "extra", "unknown top-level key"),
        ("outlets: [新华社]\n", "outlets", "must be a mapping"),
        ("outlets: {新华社: [新华网\n", "<file>", "invalid YAML"),
    ],
)
def test_invalid_alias_files_are_rejected_with_a_fix(
    tmp_path: Path, yaml_text: str, key: str, problem: str
) -> None:
    path = write(tmp_path, yaml_text)
    with pytest.raises(ConfigError) as info:
        load_aliases(path)
    err = info.value
    assert err.path == str(path)
    assert err.key == key
    assert problem in err.problem
    assert err.fix
    assert str(path) in str(err)


def test_missing_alias_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_aliases(tmp_path / "nope.yaml")
