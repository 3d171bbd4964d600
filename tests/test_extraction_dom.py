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


def _reference(element) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    """(text, link, links, punct) of a subtree, counted the slow and obvious way."""
    text = "".join(dom.inner_text(element).split())
    anchors = [a for a in element.iter("a") if not any(p.tag == "a" for p in a.iterancestors())]
    linked = "".join("".join(dom.inner_text(a).split()) for a in anchors)
    return len(text), len(linked), len(list(element.iter("a"))), len(dom._PUNCT.findall(text))


MENUS = {
    "menu of <li><a>": "<ul>" + "".join(f'<li><a href="/{i}">栏目{i}</a></li>' for i in range(40))
    + "</ul>",
    "row of <a>": "<div>" + "".join(f'<a href="/{i}">频道，{i}</a>\n' for i in range(12))
    + "</div>",
    "separators between links": "<div>"
    + " | ".join(f'<a href="/{i}">频道{i}</a>' for i in range(12)) + "</div>",
    "headlines with dates": "<ul>"
    + "".join(f'<li><a href="/{i}">标题{i}</a><span>2024-01-0{i % 9 + 1}</span></li>'
              for i in range(10)) + "</ul>",
    "image links": "<ul>" + "".join(f'<li><a href="/{i}"><img src="/{i}.png">图{i}</a></li>'
                                    for i in range(10)) + "</ul>",
    "text in an item": "<ul>" + "".join(f'<li><a href="/{i}">链接{i}</a>说明</li>'
                                        for i in range(10)) + "</ul>",
}


def _item_by_item(html: str, monkeypatch: pytest.MonkeyPatch) -> dom.Document:
    with monkeypatch.context() as patch:
        patch.setattr(dom, "_LIST_MIN_ITEMS", 10**9)  # no list is measured whole
        return dom.measure(dom.parse(html))


def _page(menu: str) -> str:
    return (f"<html><body><div id='nav'>{menu}</div><h1>标题</h1><div>"
            + "".join(f"<p>第{i}段正文，内容充实，<a href='/x{i}'>链接</a>足够长。</p>"
                      for i in range(5))
            + "</div></body></html>")


@pytest.mark.parametrize("menu", list(MENUS.values()), ids=list(MENUS))
def test_link_lists_measure_the_same_as_element_by_element(
    menu: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = _page(menu)
    doc = dom.measure(dom.parse(html))
    slow = _item_by_item(html, monkeypatch)
    tree, slow_tree = doc.root.getroottree(), slow.root.getroottree()
    slow_at = {slow_tree.getpath(e): j for j, e in enumerate(slow.elements)}
    for i, element in enumerate(doc.elements):
        assert (doc.text[i], doc.link[i], doc.links[i], doc.punct[i]) == _reference(element)
        j = slow_at[tree.getpath(element)]
        for name in ("text", "link", "links", "punct", "own", "own_link", "own_punct"):
            assert getattr(doc, name)[i] == getattr(slow, name)[j], (name, element.tag)
    nav = doc.elements[doc.tags.index("div")]
    (menu_element,) = list(nav)
    position = doc.index[menu_element]
    collapsed = doc.end[position] == position and len(menu_element) > 0
    # Only pure link lists stand for their items; anything else is measured item by item.
    assert collapsed == (menu in (MENUS["menu of <li><a>"], MENUS["row of <a>"]))


@pytest.mark.parametrize("menu", list(MENUS.values()), ids=list(MENUS))
def test_lines_are_the_same_when_a_menu_is_measured_whole(
    menu: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crawler.extraction.lines import build_lines

    html = _page(menu)
    fast = [(line.text, line.link_chars) for line in build_lines(dom.measure(dom.parse(html)))]
    slow = [(line.text, line.link_chars) for line in build_lines(_item_by_item(html, monkeypatch))]
    assert fast == slow
    assert ("标题", 0) in fast
