"""The measuring pass: every later extraction step reads its numbers."""

from __future__ import annotations

import pytest

from crawler.extraction import dom

PAGE = (
    "<html><body><ul>"
    + "".join(f'<li><a href="/{i}">菜单 第{i}项</a></li>' for i in range(30))
    + "</ul><div><p>第一段，有标点。 还有 空格</p>尾巴文字，<b>加粗</b>。<br>\n  </div>"
    "</body></html>"
)


def _numbers(doc: dom.Document) -> dict[str, list[int]]:
    names = ("parent", "end", "text", "link", "links", "punct", "own", "own_link", "own_punct")
    return {name: getattr(doc, name) for name in names}


@pytest.fixture(autouse=True)
def _empty_text_cache() -> None:
    dom._TEXT_STATS.clear()


def test_counts_visible_characters_links_and_punctuation() -> None:
    doc = dom.measure(dom.parse(PAGE))
    paragraph = doc.tags.index("p")
    assert doc.text[paragraph] == len("第一段，有标点。还有空格")
    assert doc.punct[paragraph] == 2
    div = doc.parent[paragraph]
    # The div's own text: its text after the <p>, and the inline <b> folded in.
    assert doc.own[div] == len("尾巴文字，加粗。")
    ul = doc.tags.index("ul")
    assert doc.links[ul] == 30
    assert doc.link[ul] == doc.text[ul] == sum(len(f"菜单第{i}项") for i in range(30))


def test_a_page_measures_the_same_whether_its_menu_texts_were_seen_before_or_not() -> None:
    cold = _numbers(dom.measure(dom.parse(PAGE)))
    assert dom._TEXT_STATS  # the menu's short texts are remembered ...
    warm = _numbers(dom.measure(dom.parse(PAGE)))
    assert warm == cold  # ... and reading them back changes nothing


def test_long_texts_are_not_remembered_and_the_memory_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    long_text = "这是一段很长的正文，" * 20
    dom.measure(dom.parse(f"<html><body><p>{long_text}</p></body></html>"))
    assert long_text not in dom._TEXT_STATS
    monkeypatch.setattr(dom, "_TEXT_STATS_LIMIT", 5)
    dom.measure(dom.parse(PAGE))
    assert len(dom._TEXT_STATS) <= 5
