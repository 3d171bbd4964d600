"""The next page of a section list, in every pager style Chinese portals use, and never a step
back (上一页, 首页, a lower page number) nor the 尾页 link unless it is the very next page."""

from __future__ import annotations

import pytest

from crawler.extraction.links import classify_list_page

SITE = ("example.cn",)
ROOT = "http://www.example.cn"


def list_page(pager: str, head: str = "") -> str:
    """A news section page: menu, 20 dated headlines, the pager under test, a sidebar, a footer."""
    menu = "".join(f'<li><a href="/{c}/">{n}</a></li>' for c, n in
                   [("news", "新闻中心"), ("zixun", "行业资讯"), ("zhanhui", "展会"), ("about", "关于我们")])
    items = "".join(
        f'<li><a href="/news/2024/0308/{i}.html">工业机器人产业发展情况通报第{i}期</a><span>2024-03-08</span></li>'
        for i in range(1001, 1021)
    )
    hot = "".join(f'<li><a href="/news/2024/0301/{i}.html">热点新闻标题第{i}篇报道</a></li>' for i in range(5))
    return (
        f"<html><head><title>行业新闻</title>{head}</head><body>"
        f'<div class="menu"><ul>{menu}</ul></div>'
        f'<div class="main"><ul class="newslist">{items}</ul><div class="pages">{pager}</div></div>'
        f'<div class="right"><h3>热点排行</h3><ul>{hot}</ul></div>'
        '<div class="foot">版权所有 © 中国工控网 京ICP备00000000号</div></body></html>'
    )


def next_of(pager: str, page_url: str, page_number: int = 1, head: str = "") -> list[str]:
    links = classify_list_page(list_page(pager, head), page_url, SITE, page_number=page_number)
    return links.next_pages


PAGER_STYLES = {
    "下一页>>": ('<a href="index.htm">首页</a> <a href="index_2.htm">下一页&gt;&gt;</a> <a href="index_9.htm">尾页</a>',
                "/news/index.htm", "/news/index_2.htm"),
    "下一页 »": ('<a href="list_2.htm">下一页 »</a>', "/news/list.htm", "/news/list_2.htm"),
    "[下一页]": ('[<a href="index_1.htm">首页</a>] [上一页] [<a href="index_2.htm">下一页</a>] [<a href="index_20.htm">尾页</a>]',
                 "/news/index.htm", "/news/index_2.htm"),
    "[下一页] as the link text": ('<a href="index_3.htm">[上一页]</a> <a href="index_5.htm">[下一页]</a>',
                                  "/news/index_4.htm", "/news/index_5.htm"),
    "下页 >": ('<a href="more.asp?page=1">上页</a> <a href="more.asp?page=3">下页 &gt;</a>',
              "/news/more.asp?page=2", "/news/more.asp?page=3"),
    "下一页>": ('<a href="?page=3">&lt;上一页</a> <a href="?page=5">下一页&gt;</a>',
               "/news/?page=4", "/news/?page=5"),
    "下一頁 (traditional)": ('<a href="news_2.html">下一頁</a>', "/news/news.html", "/news/news_2.html"),
    "arrow image with alt": ('<a href="index_2.htm"><img src="/images/btn3.gif" alt="下一页"></a>',
                             "/news/index.htm", "/news/index_2.htm"),
    "arrow image with title": ('<a href="index_2.htm"><img src="/img/p.png" title="下一页"></a>',
                               "/news/index.htm", "/news/index_2.htm"),
    "arrow image named next.gif": ('<a href="index_1.htm"><img src="/images/first.gif"></a>'
                                   '<a href="index_3.htm"><img src="/images/next.gif"></a>',
                                   "/news/index_2.htm", "/news/index_3.htm"),
    'class="next" on the link': ('<a class="prev" href="/news/p/1">‹</a><a class="next" href="/news/p/3">›</a>',
                                 "/news/p/2", "/news/p/3"),
    'class="next" on its <li>': ('<ul><li class="previous"><a href="/news/page/1/">«</a></li>'
                                 '<li class="next"><a href="/news/page/3/">»</a></li></ul>',
                                 "/news/page/2/", "/news/page/3/"),
    'rel="next" on the link': ('<a rel="prev" href="/news/?pn=1">上一页</a><a rel="next" href="/news/?pn=3">更多</a>',
                               "/news/?pn=2", "/news/?pn=3"),
}


@pytest.mark.parametrize(("pager", "page_path", "expected"), PAGER_STYLES.values(), ids=PAGER_STYLES)
def test_next_page_link_in_every_pager_style(pager, page_path, expected):
    assert next_of(pager, ROOT + page_path) == [ROOT + expected]


def test_link_rel_next_in_the_head():
    head = '<link rel="prev" href="/news/list_3.html"><link rel="next" href="/news/list_5.html">'
    assert next_of("", ROOT + "/news/list_4.html", head=head) == [ROOT + "/news/list_5.html"]


NUMBERED = {
    "current page as plain text": (
        '<a href="index.htm">首页</a> <a href="index_2.htm">上一页</a> <a href="index.htm">1</a> '
        '<a href="index_2.htm">2</a> 3 <a href="index_4.htm">4</a> <a href="index_5.htm">5</a> '
        '<a href="index_9.htm">尾页</a>', "/news/index_3.htm", "/news/index_4.htm"),
    'current in <span class="current">': (
        '<a href="/news/">首页</a><a href="/news/page/1/">1</a><span class="current">2</span>'
        '<a href="/news/page/3/">3</a><a href="/news/page/12/">末页</a>', "/news/page/2/", "/news/page/3/"),
    'current as <li class="active"><a>': (
        '<ul class="pagination"><li><a href="list.aspx?page=1">1</a></li><li class="active"><a href="list.aspx?page=2">2</a></li>'
        '<li><a href="list.aspx?page=3">3</a></li></ul>', "/news/list.aspx?page=2", "/news/list.aspx?page=3"),
    'current as <a class="on">': (
        '<a href="index.html">首页</a><a href="index.html">1</a><a class="on" href="index_2.html">2</a>'
        '<a href="index_3.html">3</a><a href="index_40.html">尾页</a>', "/news/index_2.html", "/news/index_3.html"),
    'current as <b class="cur">': (
        '<a href="list_12_1.html">首页</a><a href="list_12_1.html">1</a><b class="cur">2</b>'
        '<a href="list_12_3.html">3</a>', "/news/list_12_2.html", "/news/list_12_3.html"),
    'current as <span class="sel">, seed page without a number': (
        '<span class="sel">1</span><a href="index2.htm">2</a><a href="index3.htm">3</a><a href="index9.htm">尾页</a>',
        "/news/index.htm", "/news/index2.htm"),
    "[1] [2] brackets, current in <font>": (
        '[<a href="news_1.shtml">1</a>] [<font color="red">2</font>] [<a href="news_3.shtml">3</a>]',
        "/news/news_2.shtml", "/news/news_3.shtml"),
    "numbers only, no mark, the URL says which page": (
        '<a href="list.php?cid=3&pn=1">1</a> <a href="list.php?cid=3&pn=2">2</a> <a href="list.php?cid=3&pn=3">3</a>',
        "/news/list.php?cid=3&pn=2", "/news/list.php?cid=3&pn=3"),
    "second page named index_1 (TRS CMS)": (
        '<a href="index.htm">首页</a> <a href="index.htm">上一页</a> <a href="index_2.htm">下一页</a> '
        '<a href="index_30.htm">尾页</a>', "/zwgk/tzgg/index_1.htm", "/zwgk/tzgg/index_2.htm"),
}


@pytest.mark.parametrize(("pager", "page_path", "expected"), NUMBERED.values(), ids=NUMBERED)
def test_numbered_pager_gives_the_page_after_the_current_one(pager, page_path, expected):
    assert next_of(pager, ROOT + page_path, page_number=1) == [ROOT + expected]


URL_FORMS = {
    "/page/2/": ("/news/", "/news/page/2/", "/news/page/3/"),
    "index_2.htm": ("/news/index.htm", "/news/index_2.htm", "/news/index_3.htm"),
    "index2.htm": ("/news/index.htm", "/news/index2.htm", "/news/index3.htm"),
    "list_12_2.html": ("/news/list_12_1.html", "/news/list_12_2.html", "/news/list_12_3.html"),
    "?page=2": ("/news/list.asp", "/news/list.asp?page=2", "/news/list.asp?page=3"),
    "&pn=2": ("/news/list.php?cid=7", "/news/list.php?cid=7&pn=2", "/news/list.php?cid=7&pn=3"),
    "_2.shtml": ("/xwzx/gsxw/index.shtml", "/xwzx/gsxw/index_2.shtml", "/xwzx/gsxw/index_3.shtml"),
}


@pytest.mark.parametrize(("page_path", "second", "third"), URL_FORMS.values(), ids=URL_FORMS)
def test_next_page_url_forms_from_a_numbered_pager(page_path, second, third):
    pager = f'<a href="{page_path}">首页</a> <span>1</span> <a href="{second}">2</a> <a href="{third}">3</a> <a href="{third}">尾页</a>'
    assert next_of(pager, ROOT + page_path) == [ROOT + second]
    # ... and from page 2 (whose pager marks nothing) on to page 3, never back to page 1.
    unmarked = f'<a href="{page_path}">1</a> <a href="{second}">2</a> <a href="{third}">3</a>'
    assert next_of(unmarked, ROOT + second, page_number=2) == [ROOT + third]


NEVER = {
    "last page: 下一页 points at the page itself": (
        '<a href="index.htm">首页</a> <a href="index_4.htm">上一页</a> <a href="index_5.htm">下一页</a> <a href="index_5.htm">尾页</a>',
        "/news/index_5.htm", 5),
    "last page: 下一页 wraps round to the first page": (
        '<a href="index.htm">首页</a> <a href="index_4.htm">上一页</a> <a href="index.htm">下一页</a>',
        "/news/index_5.htm", 5),
    "last page: 下一页 is a lower number": (
        '<a href="list.aspx?page=2">上一页</a> <a href="list.aspx?page=1">下一页</a>', "/news/list.aspx?page=3", 3),
    "last page: only lower numbers are links": (
        '<a href="index.htm">1</a> <a href="index_2.htm">2</a> 3', "/news/index_3.htm", 3),
    "only 首页 and 上一页 are links": (
        '<a href="index.htm">首页</a> <a href="index_7.htm">上一页</a> 下一页 尾页', "/news/index_8.htm", 2),
    "尾页 is no next page": (
        '<a href="index.htm">首页</a> <a href="index_1.htm">上一页</a> <a href="index_9.htm">尾页</a>', "/news/index_2.htm", 2),
    "a pager written for page 1 on a deeper page": (
        '<a href="index.htm">1</a> <a href="index_2.htm">2</a> <a href="index_3.htm">3</a>', "/news/index_3.htm", 3),
}


@pytest.mark.parametrize(("pager", "page_path", "depth"), NEVER.values(), ids=NEVER)
def test_never_a_step_back_nor_the_last_page_link(pager, page_path, depth):
    assert next_of(pager, ROOT + page_path, page_number=depth) == []


def test_penultimate_page_follows_下一页_even_when_it_is_also_尾页():
    pager = '<a href="index_3.htm">上一页</a> <a href="index_5.htm">下一页</a> <a href="index_5.htm">尾页</a>'
    assert next_of(pager, ROOT + "/news/index_4.htm") == [ROOT + "/news/index_5.htm"]


def test_numbered_pager_without_a_mark_uses_the_crawl_depth():
    pager = '<a href="/news/a.html">1</a> <a href="/news/b.html">2</a> <a href="/news/c.html">3</a>'
    assert next_of(pager, ROOT + "/news/b.html", page_number=2) == [ROOT + "/news/c.html"]


def test_pager_links_are_not_articles():
    pager = '<a href="index_2.htm">下一页&gt;&gt;</a> <a href="index_2.htm">第二页的内容列表</a>'
    links = classify_list_page(list_page(pager), ROOT + "/news/index.htm", SITE)
    assert all("index_" not in u for u, _ in links.articles)
    assert len(links.articles) == 20
