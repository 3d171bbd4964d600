"""Golden pages: stored HTML + expected JSON, compared field by field.

After a deliberate change run ``python tests/fixtures/extraction/regenerate.py`` and review the
JSON diff. The hold-out pages (``holdout/``) were written without tuning the extractor on them;
their hand-written ``*.truth.json`` state only what a reader of the page would say.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
HOLDOUT = FIXTURES / "holdout"


def _regenerate_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("regenerate", FIXTURES / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REGENERATE = _regenerate_module()
GOLDEN = sorted(FIXTURES.glob("*.html"))
HELD_BACK = sorted(HOLDOUT.glob("*.html"))


@pytest.mark.parametrize("page", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_page(page: Path) -> None:
    expected = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    actual = json.loads(json.dumps(REGENERATE.snapshot(page), ensure_ascii=False))
    mismatched = {k: (actual.get(k), v) for k, v in expected.items() if actual.get(k) != v}
    assert not mismatched, f"(actual, expected) per field: {mismatched}"


def test_gongkong_seed_page_reads_like_the_real_page() -> None:
    """The seed page users know: the fields the attribution and storage steps rely on."""
    result = REGENERATE.snapshot(FIXTURES / "gongkong_news.html")
    assert result["title"] == "镇海炼化紧紧抓住“四个着力点”"
    assert result["published_at"] == "2008-04-17T00:50:49+00:00"
    assert result["footer_text"] == "信息来源于:中国石化新闻网"
    assert result["attribution"]["source"] == "中国石化新闻网"
    assert result["breadcrumb"] == ["工控网首页", "新闻中心", "行业动态"]
    assert result["body"].startswith("镇海炼化在推进“双促”主题活动第二阶段工作中")
    assert result["body"].endswith("切实履行了国有企业“三大责任”。")
    for junk in ("投诉建议", "查看更多评论", "其他资讯", "量子密信", "信息来源于"):
        assert junk not in result["body"]


def _holdout_misses(page: Path) -> list[str]:
    truth = json.loads(page.with_suffix(".truth.json").read_text(encoding="utf-8"))
    actual = REGENERATE.snapshot(page)
    misses = []
    for field in ("page_type", "title", "published_at", "encoding"):
        if field in truth and actual.get(field) != truth[field]:
            misses.append(f"{field}: {actual.get(field)!r} != {truth[field]!r}")
    credit = actual.get("attribution") or {}
    for field in ("author", "source"):
        if field in truth and credit.get(field) != truth[field]:
            misses.append(f"{field}: {credit.get(field)!r} != {truth[field]!r}")
    body = actual.get("body") or ""
    if "body_starts" in truth and not body.startswith(truth["body_starts"]):
        misses.append(f"body starts {body[:30]!r}")
    if "body_ends" in truth and not body.endswith(truth["body_ends"]):
        misses.append(f"body ends {body[-30:]!r}")
    if "footer_contains" in truth and truth["footer_contains"] not in (
        actual.get("footer_text") or ""
    ):
        misses.append(f"footer {actual.get('footer_text')!r}")
    return misses


@pytest.mark.parametrize("page", HELD_BACK, ids=[p.stem for p in HELD_BACK])
def test_holdout_page(page: Path) -> None:
    assert not _holdout_misses(page)
