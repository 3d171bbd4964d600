"""Which links on a section list page the spider follows: articles and the next list page."""

from __future__ import annotations

import pytest

from crawler.extraction.article_urls import may_be_article_url
from crawler.extraction.links import classify_list_page
from tests.test_extraction_pager import ROOT as PAGER_ROOT
from tests.test_extraction_pager import SITE as PAGER_SITE
from tests.test_extraction_pager import next_of

SITE = ("example.cn",)
BASE = "http://www.example.cn/news/index.html"


def page(main: str, extra: str = "") -> str:
    nav = "".join(f'<li><a href="/channel/{i}/">频道栏目名称{i}</a></li>' for i in range(12))
    side = "".join(
        f'<li><a href="/news/2024/0101/{900 + i}.html">热门文章标题第{i}篇的内容</a></li>'
        for i in range(4)
    )
    return (
        f'<html><body><div class="nav"><ul>{nav}</ul></div>'
        '<div class="top"><a href="/member/login.aspx">会员登录入口在这里</a></div>'
        f'<div class="main">{main}</div>'
        f'<div class="side"><h3>热点排行</h3><ul>{side}</ul></div>{extra}'
        '<div class="footer"><a href="/about/">关于我们的公司介绍</a></div></body></html>'
    )


def headlines(n: int, href: str = "/news/2024/0311/{i}.html") -> str:
    items = "".join(
        f'<li><a href="{href.format(i=i)}">工业自动化行业新闻标题第{i}条</a></li>'
        for i in range(100, 100 + n)
    )
    return f'<ul class="list">{items}</ul>'


def test_main_list_links_are_articles_and_nav_sidebar_login_footer_are_not():
    links = classify_list_page(page(headlines(8)), BASE, SITE)
    urls = [u for u, _ in links.articles]
    assert urls == [f"http://www.example.cn/news/2024/0311/{i}.html" for i in range(100, 108)]


def test_offsite_links_are_not_followed():
    main = (
        headlines(5) + '<ul class="list"><li><a href="http://other.com/news/2024/1.html">'
        "站外媒体的一篇新闻标题</a></li></ul>"
    )
    urls = [u for u, _ in classify_list_page(page(main), BASE, SITE).articles]
    assert all("other.com" not in u for u in urls) and len(urls) == 5


def test_tracking_parameter_copies_collapse_into_one_link():
    main = (
        headlines(4) + '<ul class="list"><li><a href="/news/2024/0311/100.html?from=wx">'
        "工业自动化行业新闻标题第100条</a></li></ul>"
    )
    urls = [u for u, _ in classify_list_page(page(main), BASE, SITE).articles]
    assert urls.count("http://www.example.cn/news/2024/0311/100.html") == 1


def test_query_string_article_urls():
    main = headlines(6, "/News/detail.aspx?id={i}")
    urls = [u for u, _ in classify_list_page(page(main), BASE, SITE).articles]
    assert urls == [f"http://www.example.cn/News/detail.aspx?id={i}" for i in range(100, 106)]


@pytest.mark.parametrize(
    ("pager", "page_url", "page_number", "expected"),
    [
        (
            '<a href="index_2.html">2</a><a href="index_3.html">3</a><a href="index_2.html">下一页</a>',
            "http://www.example.cn/news/index.html",
            1,
            "http://www.example.cn/news/index_2.html",
        ),
        (
            '<a href="list_12.html">上一页</a><a href="list_12_3.html">下一页</a>',
            "http://www.example.cn/news/list_12_2.html",
            2,
            "http://www.example.cn/news/list_12_3.html",
        ),
        (
            '<a href="?page=1">1</a> <a href="?page=2">2</a> <a href="?page=3">3</a>',
            "http://www.example.cn/news/list.aspx?page=1",
            1,
            "http://www.example.cn/news/list.aspx?page=2",
        ),
        (
            '<a href="/news/page/3/">3</a><a href="/news/page/4/">4</a>',
            "http://www.example.cn/news/page/3/",
            3,
            "http://www.example.cn/news/page/4/",
        ),
        (
            '<a href="list.aspx?p=5">下页</a>',
            "http://www.example.cn/news/list.aspx?p=4",
            4,
            "http://www.example.cn/news/list.aspx?p=5",
        ),
        (
            '<a rel="next" href="/news/more-2.html">更多</a>',
            BASE,
            1,
            "http://www.example.cn/news/more-2.html",
        ),
        ('<a href="index_2.html">&gt;</a>', BASE, 1, "http://www.example.cn/news/index_2.html"),
    ],
)
def test_next_list_page_in_every_common_style(pager, page_url, page_number, expected):
    html = page(headlines(5) + f'<div class="pages">{pager}</div>')
    links = classify_list_page(html, page_url, SITE, page_number=page_number)
    assert links.next_pages == [expected]


def test_last_page_has_no_next_page():
    html = page(headlines(3) + '<div class="pages"><a href="index.html">1</a> 2</div>')
    assert (
        classify_list_page(
            html, "http://www.example.cn/news/index_2.html", SITE, page_number=2
        ).next_pages
        == []
    )


def test_profile_selectors_override_the_heuristics():
    html = page(
        '<div class="feed"><a href="/a/x.html">短</a><a href="/a/y.html">短</a></div>'
        '<a class="more" href="/news/p2.html">more</a>'
    )
    links = classify_list_page(
        html, BASE, SITE, list_links_selector="div.feed a", next_page_selector="a.more"
    )
    assert [u for u, _ in links.articles] == [
        "http://www.example.cn/a/x.html",
        "http://www.example.cn/a/y.html",
    ]
    assert links.next_pages == ["http://www.example.cn/news/p2.html"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://www.example.cn/news/2024/0311/123.html", True),
        ("http://www.example.cn/News/detail.aspx?id=7", True),
        ("http://www.example.cn/a/20240311/1234567", True),
        ("http://www.example.cn/news/index_2.html", False),
        ("http://www.example.cn/news/list_12_2.html", False),
        ("http://www.example.cn/news/list.aspx?page=2", False),
        ("http://www.example.cn/member/login.aspx", False),
        ("http://www.example.cn/upload/2024/report.pdf", False),
        ("http://www.example.cn/images/2024/0311.jpg", False),
        ("http://other.cn/news/2024/0311/123.html", False),
    ],
)
def test_article_url_shapes(url, expected):
    assert may_be_article_url(url, SITE) is expected


def test_relative_links_follow_the_pages_base_href():
    html = page(headlines(4, href="2024/{i}.html")).replace(
        "<html>", '<html><head><base href="http://www.example.cn/archive/"></head>'
    )
    links = classify_list_page(html, BASE, SITE)
    assert [u for u, _ in links.articles] == [
        f"http://www.example.cn/archive/2024/{i}.html" for i in range(100, 104)
    ]


def test_a_link_that_cannot_be_resolved_is_skipped_not_fatal():
    broken = '<li><a href="http://[::1/news/2024/0311/99.html">工业自动化行业新闻标题坏链接</a></li>'
    links = classify_list_page(page(headlines(4) + f"<ul>{broken}</ul>"), BASE, SITE)
    assert len(links.articles) == 4


def news_section(item: str, n: int = 10, sidebar_item: str | None = None) -> str:
    """A realistic section page: a header menu, a row of channel links with no telling class,
    the main list (``item`` formatted with i and a date), a 热点排行 box whose markup says
    nothing but its heading, and a footer."""
    menu = "".join(f'<li><a href="/{c}/">{t}</a></li>' for c, t in
                   [("", "网站首页"), ("news", "新闻中心"), ("zixun", "行业资讯"), ("about", "关于我们")])
    channels = "".join(f'<a href="/zixun/{i}/">自动化行业资讯{i}</a> | ' for i in range(1, 7))
    main = "".join(item.format(i=i, day=10 + i % 18) for i in range(37, 37 + n))
    box = "table" if item.startswith("<tr>") else "ul"
    side_item = sidebar_item or item
    hot = "".join(side_item.format(i=i, day=1) for i in range(200, 208)).replace("2024-03", "")
    return (
        '<html><head><title>行业资讯_中国工控网</title></head><body>'
        f'<div class="header"><ul>{menu}</ul></div>'
        f'<div class="channel-bar">{channels}</div>'
        '<div class="wrap"><div class="l-box"><div class="tit">行业资讯</div>'
        f'<{box} class="list-ul">{main}</{box}>'
        '<div class="page"><a href="?page=2">下一页</a></div></div>'
        f'<div class="r-box"><div class="tit">热点排行</div><ul>{hot}</ul></div></div>'
        '<div class="copyright"><a href="/about/contact.html">联系我们的客服人员</a>'
        ' 版权所有 京ICP备12345678号</div></body></html>'
    )


ARTICLE_URL_FORMS = {
    "/news/85.html": ("/news/", '<li><a href="/news/{i}.html">工控行业第{i}条新闻标题内容</a><span>2024-03-{day}</span></li>', "/news/{i}.html"),
    "/dongtai/c12.htm": ("/dongtai/", '<li><span class="time">[2024-03-{day}]</span><a href="/dongtai/c{i}.htm">企业动态：第{i}家企业发布新品</a></li>', "/dongtai/c{i}.htm"),
    "/zixun/37/": ("/zixun/", '<li><a href="/zixun/{i}/" title="资讯标题">变频器市场第{i}期分析报告</a> <em>03-{day}</em></li>', "/zixun/{i}/"),
    "?id=12": ("/news/list.asp?classid=3", '<tr><td><a href="show.asp?id={i}">关于第{i}批智能制造试点的通知</a></td><td>2024-03-{day}</td></tr>', "/news/show.asp?id={i}"),
    "/a/2024/0308/12.html": ("/a/hangye/", '<li><a href="/a/2024/0308/{i}.html">PLC厂商第{i}季度业绩发布</a><span>2024-03-{day}</span></li>', "/a/2024/0308/{i}.html"),
}


@pytest.mark.parametrize(("section", "item", "url"), ARTICLE_URL_FORMS.values(), ids=ARTICLE_URL_FORMS)
def test_the_main_list_is_found_by_structure_whatever_the_article_url_form(section, item, url):
    html = news_section(item)
    links = classify_list_page(html, "http://www.example.cn" + section, SITE)
    assert [u for u, _ in links.articles] == [
        "http://www.example.cn" + url.format(i=i) for i in range(37, 47)
    ]


# Fixtures written before the rules were tuned and run once at the end (all passed first try).
PAGERS = {
    "dedecms pagelist with thisclass": (
        "<ul class='pagelist'><li><a href='list_5_1.html'>首页</a></li><li><a href='list_5_1.html'>上一页</a></li>"
        "<li><a href='list_5_1.html'>1</a></li><li class='thisclass'>2</li><li><a href='list_5_3.html'>3</a></li>"
        "<li><a href='list_5_3.html'>下一页</a></li><li><a href='list_5_12.html'>末页</a></li>"
        "<span class='pageinfo'>共 <strong>12</strong>页<strong>230</strong>条</span></ul>",
        "/news/list_5_2.html", 2, ["/news/list_5_3.html"]),
    "discuz nxt": ('<div class="pg"><a href="forum-2-1.html" class="prev">&nbsp;&nbsp;</a><a href="forum-2-1.html">1</a><strong>2</strong>'
                   '<a href="forum-2-3.html">3</a><a href="forum-2-3.html" class="nxt">下一页</a></div>',
                   "/forum-2-2.html", 2, ["/forum-2-3.html"]),
    "bracketed numbers, current in font/b": (
        '<a href="?page=1">[1]</a>&nbsp;<a href="?page=2">[2]</a>&nbsp;<font color="red"><b>[3]</b></font>&nbsp;<a href="?page=4">[4]</a>',
        "/news/list.asp?page=3", 3, ["/news/list.asp?page=4"]),
    "last page, 下一页 disabled span": (
        '<a href="index_4.html">首页</a><a href="index_5.html">上一页</a><span class="disabled">下一页</span><span class="disabled">尾页</span>',
        "/news/index_6.html", 6, []),
    "english Next »": ('<a href="/en/news/">« Prev</a> <a href="/en/news/3/">Next »</a>', "/en/news/2/", 2, ["/en/news/3/"]),
    "下一页 wrapped in span and icon": ('<a href="index_2.shtml"><span>上一页</span></a> <a href="index_4.shtml"><span>下一页</span><i class="icon-arrow"></i></a>',
                                   "/xwzx/index_3.shtml", 3, ["/xwzx/index_4.shtml"]),
}


@pytest.mark.parametrize(("pager", "path", "depth", "expected"), PAGERS.values(), ids=PAGERS)
def test_heldback_pagers(pager, path, depth, expected):
    assert next_of(pager, PAGER_ROOT + path, page_number=depth) == [PAGER_ROOT + e for e in expected]


def test_heldback_dl_list_with_teasers_and_recommend_box():
    items = "".join(
        f'<dl><dt><a href="/html/2024/03/{i}.html">伺服系统在包装机械中的应用案例{i}</a></dt>'
        f'<dd>本文介绍了伺服系统在包装机械中的应用……</dd><dd class="date">2024-03-0{i % 9 + 1}</dd></dl>'
        for i in range(11, 19)
    )
    rec = "".join(f'<li><a href="/html/2024/02/{i}.html">推荐阅读的文章标题第{i}篇</a></li>' for i in range(1, 7))
    html = (
        '<html><body><div id="top"><a href="/">首页</a><a href="/html/">技术文章</a></div>'
        f'<div class="w1000"><div class="fl"><div class="listbox">{items}</div>'
        '<div class="pg"><a href="/html/list_2.html">下一页</a></div></div>'
        f'<div class="fr"><div class="box"><h2>推荐阅读</h2><ul>{rec}</ul></div></div></div>'
        '<div class="ft">Copyright</div></body></html>'
    )
    links = classify_list_page(html, PAGER_ROOT + "/html/", PAGER_SITE)
    assert [u for u, _ in links.articles] == [f"{PAGER_ROOT}/html/2024/03/{i}.html" for i in range(11, 19)]
    assert links.next_pages == [PAGER_ROOT + "/html/list_2.html"]


def test_heldback_government_notice_list():
    items = "".join(
        f'<li{" class=first" if i == 0 else ""}><a href="./202403/t20240308_{500 + i}.html" target="_blank">'
        f'关于做好2024年第{i}批工业节能监察工作的通知</a><span>2024-03-0{i % 9 + 1}</span></li>'
        for i in range(15)
    )
    menu = "".join(f'<li><a href="/zwgk/{c}/">{c}栏目链接</a></li>' for c in ("tzgg", "zcwj", "gzdt", "rsxx"))
    html = (
        f'<html><body><div id="menu"><ul>{menu}</ul></div><div class="container">'
        f'<div class="mainlist"><ul class="list">{items}</ul>'
        '<script>createPageHTML(30, 0, "index", "html");</script></div></div>'
        '<div class="bottom"><a href="/wzdt/">网站地图页面</a></div></body></html>'
    )
    links = classify_list_page(html, PAGER_ROOT + "/zwgk/tzgg/index.html", PAGER_SITE)
    assert [u for u, _ in links.articles] == [
        f"{PAGER_ROOT}/zwgk/tzgg/202403/t20240308_{500 + i}.html" for i in range(15)
    ]


@pytest.mark.parametrize(
    "href",
    ["file:///etc/passwd", "ftp://www.example.cn/news/p2.html", "http://evil.example.com/p2.html",
     "javascript:next()"],
)
def test_a_profile_next_page_selector_gets_the_same_site_and_scheme_checks(href):
    html = page(f'<a class="more" href="{href}">more</a>')
    links = classify_list_page(html, BASE, SITE, next_page_selector="a.more")
    assert links.next_pages == []
