"""Zero-config crawl of a section whose pager is ``下一页>>`` and whose articles have short
URLs (``/news/85.html``): every article of every list page is stored, no list page is."""

from __future__ import annotations

import html

from simulator.server import PortalSimulator
from simulator.sites import Page, Site
from simulator.text import article_text
from tests.conftest import run_crawl
from tests.test_crawl import rows

PAGES = 3
PER_PAGE = 5
FIRST_ID = 85


def _list_path(number: int) -> str:
    return "/news/index.html" if number == 1 else f"/news/index_{number}.html"


def _layout(title: str, main: str) -> bytes:
    menu = "".join(f'<a href="/{c}/">{n}</a> ' for c, n in [("", "首页"), ("news", "新闻"), ("about", "关于")])
    hot = "".join(
        f'<li><a href="/news/{FIRST_ID + i}.html">{html.escape(article_text(FIRST_ID + i)[0])}</a></li>'
        for i in (0, 7, 14)
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>"
        f'<div class="top">{menu}</div><div class="wrap">{main}</div>'
        f'<div class="r"><h3>热点排行</h3><ul>{hot}</ul></div>'
        '<div class="bt">Copyright 2024 模拟小站 京ICP备00000000号</div></body></html>'
    ).encode()


def build_short_url_site() -> Site:
    site = Site("short", "模拟小站", "新闻", _list_path(1))
    ids = list(range(FIRST_ID, FIRST_ID + PAGES * PER_PAGE))
    for number in range(1, PAGES + 1):
        chunk = ids[(number - 1) * PER_PAGE : number * PER_PAGE]
        items = "".join(
            f'<li><a href="/news/{i}.html">{html.escape(article_text(i)[0])}</a>'
            f"<span>2024-03-{i % 28 + 1:02d}</span></li>"
            for i in chunk
        )
        pager = f'<a href="{_list_path(1)}">首页</a> '
        if number > 1:
            pager += f'<a href="{_list_path(number - 1)}">&lt;&lt;上一页</a> '
        if number < PAGES:
            pager += f'<a href="{_list_path(number + 1)}">下一页&gt;&gt;</a> '
        pager += f'<a href="{_list_path(PAGES)}">尾页</a>'
        site.pages[_list_path(number)] = Page(
            _layout("新闻_模拟小站", f'<ul class="lb">{items}</ul><div class="fy">{pager}</div>')
        )
    for i in ids:
        title, paragraphs, _ = article_text(i)
        if i == ids[-1]:
            paragraphs = ["模拟小站讯 3月8日，某自动化企业宣布完成新一轮融资，金额达数亿元。"]  # a brief
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        site.pages[f"/news/{i}.html"] = Page(
            _layout(
                f"{html.escape(title)}_模拟小站",
                f"<h1>{html.escape(title)}</h1><div class=\"info\">2024-03-{i % 28 + 1:02d} 来源：模拟小站</div>"
                f'<div class="txt">{body}</div>',
            )
        )
        site.articles.append({"url_path": f"/news/{i}.html", "title": title})
    return site


def test_every_article_behind_a_下一页_pager_is_stored_and_no_list_page(tmp_path, sqlite_url):
    site = build_short_url_site()
    with PortalSimulator([site]) as sim:
        base = sim.base("short")
        result = run_crawl(sqlite_url, tmp_path / "none.yaml", f"url={base}{site.list_path}")
        assert result.returncode == 0, result.log[-3000:]
        hits = sim.hits("short")
    stored = {r["url"]: r for r in rows(sqlite_url, "SELECT url, title, portal FROM articles")}
    expected = {base + str(a["url_path"]): a["title"] for a in site.articles}
    assert set(stored) == set(expected), "missed or extra articles"
    assert all(stored[u]["title"] == t for u, t in expected.items())
    assert {r["portal"] for r in stored.values()} == {base.removeprefix("http://")}
    for number in range(1, PAGES + 1):
        assert hits[_list_path(number)] == 1, "every list page read once, none read again"
    assert "not an article" not in result.log
