"""Three simulated industrial portals with the layouts the crawler meets in the wild.

- ``gkong``: modelled on the real gongkong.com seed page (breadcrumb, dateline
  ``2008/4/17 8:50:49``, ``信息来源于:`` footer, comment box, 其他资讯 list), UTF-8,
  ``index.html``/``index_2.html`` pagination.
- ``autonet``: a 2005-style GBK ``<table>`` layout whose charset is only in a ``<meta>`` (the HTTP
  header names none), ``list_12_2.html`` pagination with a 下一页 link, 来源/作者 in the dateline.
- ``drive``: query-string URLs (``detail.aspx?id=``, ``list.aspx?page=2``), numbered pagination,
  a tracking-parameter duplicate link, a robots.txt disallow, and fault links (404, 500,
  redirect loop, empty, PDF, truncated, oversized, not-an-article) when ``faults`` is on.

Each site is a dict of path -> ``Page``; ``simulator.server`` serves them.

Long because it is mostly HTML templates, one builder per site layout; test data, not logic.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from simulator.text import AUTHORS, SOURCES, article_text


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (a hung server)
    truncate: bool = False  # announce more bytes than sent
    drip: float = 0.0  # slow-loris: headers, then one byte every `drip` seconds, forever
    endless: bool = False  # an endless chunked body, sent as fast as the client reads


@dataclass
class Site:
    key: str
    name: str
    section: str
    list_path: str
    pages: dict[str, Page] = field(default_factory=dict)
    articles: list[dict[str, object]] = field(default_factory=list)  # ground truth
    # Pages made on request for paths not in ``pages`` (traps: a pager or calendar that never
    # ends cannot be a finite dict); None for a 404.
    generate: Callable[[str], Page | None] | None = None


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _when(seed: int) -> datetime:
    return datetime(2024, 3, 11, 8, 50, 49) - timedelta(hours=7 * seed, minutes=13 * seed)


def _menu(prefix: str, n: int) -> str:
    items = "".join(f'<li><a href="{prefix}/channel/{i}.html">频道{i}</a></li>' for i in range(n))
    return f'<div id="nav" class="nav"><ul>{items}</ul></div>'


def reprint_edit(paragraphs: list[str], edit: str) -> list[str]:
    """How editors change a story they reprint: a lead added, or the last paragraph dropped."""
    if edit == "lead":
        return ["本网讯 " + paragraphs[0]] + paragraphs[1:]
    if edit == "trimmed" and len(paragraphs) > 3:
        return paragraphs[:-1]
    return list(paragraphs)


def _clutter(size: int) -> str:
    """Inline script/style and a long hidden menu, as portal templates carry."""
    script = "var _hmt=_hmt||[];(function(){var hm=document.createElement('script');})();\n"
    style = ".nav li{float:left;margin:0 4px}.side .hot li a{color:#333}\n"
    block = f"<script>{script * (size // 160)}</script><style>{style * (size // 120)}</style>"
    return block


# --------------------------------------------------------------------------------------------
# gkong: the seed page's layout
# --------------------------------------------------------------------------------------------


def build_gkong(
    n_articles: int = 12,
    per_page: int = 5,
    seed0: int = 1000,
    clutter: int = 0,
    paragraphs: tuple[int, int] = (3, 6),
    menu_links: int = 30,
    other_links: int = 4,
    reprints: dict[int, tuple[int, str, str]] | None = None,
) -> Site:
    """The seed page's layout; ``clutter``/``menu_links``/``other_links`` grow it to the
    50-100 KB of a real portal page for the benchmark.

    ``reprints`` maps an article id of this site to (the other site's article seed, the
    other site's name, how it was edited: ``same``, ``lead`` or ``trimmed``): the same story
    reprinted, as portals do, with ``信息来源于:<other site>`` at the end.
    """
    site = Site("gkong", "模拟工控网", "行业动态", "/news/index.html")
    reprints = reprints or {}
    ids = [seed0 + i for i in range(n_articles)] + sorted(reprints)
    pages = max(1, -(-n_articles // per_page))
    for number in range(pages):
        chunk = ids[number * per_page : (number + 1) * per_page]
        items = "".join(
            f'<li><a href="/news/2024/0311/{i}.html" target="_blank">'
            f"{_esc(article_text(reprints[i][0] if i in reprints else i)[0])}"
            f'</a><span class="date">{_when(i):%Y-%m-%d}</span></li>'
            for i in chunk
        )
        pager = "".join(
            f'<a href="/news/{"index" if p == 0 else f"index_{p + 1}"}.html">{p + 1}</a> '
            for p in range(pages)
        )
        if number + 1 < pages:
            pager += f'<a href="/news/index_{number + 2}.html">下一页</a>'
        hot = "".join(
            f'<li><a href="/news/2024/0311/{i}.html">{_esc(article_text(i)[0])}</a></li>'
            for i in ids[-3:]
        )
        path = "/news/index.html" if number == 0 else f"/news/index_{number + 1}.html"
        site.pages[path] = Page(
            _doc(
                f"行业动态_新闻中心_{site.name}",
                f'{_menu("", 30)}<div class="main"><div class="position">工控网首页 &gt; 新闻中心 &gt; '
                f'行业动态</div><ul class="newslist">{items}</ul><div class="pages">{pager}</div></div>'
                f'<div class="side"><h3>热点排行</h3><ul class="hot">{hot}</ul></div>'
                '<div class="footer">Copyright © 2024 模拟工控网 版权所有</div>',
            ).encode("utf-8")
        )
    for index, i in enumerate(ids):
        title, body, industry = article_text(i, paragraphs)
        source = SOURCES[i % len(SOURCES)] if i % 3 else None
        when = _when(i)
        if i in reprints:
            story, source, edit = reprints[i]
            title, body, industry = article_text(story)
            when = _when(story) + timedelta(hours=5)
            body = reprint_edit(body, edit)
        paras = "".join(f"<p>{_esc(p)}</p>" for p in body)
        footer = f"<p>信息来源于:{source}</p>" if source else ""
        others = "".join(
            f'<li><a href="/news/2024/0311/{j}.html">{_esc(article_text(j)[0])}</a></li>'
            for j in ids[max(0, index - other_links) : index]
        )
        site.pages[f"/news/2024/0311/{i}.html"] = Page(
            _doc(
                f"{title}_行业动态_{site.name}",
                f"{_clutter(clutter)}{_menu('', menu_links)}"
                '<div class="position"><a href="/">工控网首页</a> &gt; <a href="/news/">新闻中心</a> '
                '&gt; <a href="/news/index.html">行业动态</a> &gt; ' + _esc(title) + "</div>"
                f'<div class="article"><h1>{_esc(title)}</h1>'
                f'<div class="info">{when.year}/{when.month}/{when.day} '
                f"{when.hour}:{when.minute:02d}:{when.second:02d}</div>"
                f'<div id="content" class="content">{paras}{footer}</div></div>'
                '<div class="comment"><h3>投诉建议</h3><textarea></textarea><input type="button" '
                'value="提交"/><a href="/comment/">查看更多评论</a></div>'
                f'<div class="others"><h3>其他资讯</h3><ul>{others}</ul></div>'
                '<div class="footer">Copyright © 2024 模拟工控网 版权所有</div>',
            ).encode("utf-8")
        )
        site.articles.append(
            {
                "url_path": f"/news/2024/0311/{i}.html",
                "title": title,
                "paragraphs": body,
                "published": when,
                "author": None,
                "source": source,
                "industry": industry,
            }
        )
    site.pages["/robots.txt"] = Page(
        b"User-agent: *\nDisallow: /admin/\n", content_type="text/plain"
    )
    return site


# --------------------------------------------------------------------------------------------
# autonet: GBK table layout, charset only in <meta>
# --------------------------------------------------------------------------------------------


def build_autonet(n_articles: int = 9, per_page: int = 4, seed0: int = 2000) -> Site:
    site = Site("autonet", "模拟自动化网", "行业资讯", "/news/list_12.html")
    ids = [seed0 + i for i in range(n_articles)]
    pages = max(1, -(-n_articles // per_page))
    for number in range(pages):
        chunk = ids[number * per_page : (number + 1) * per_page]
        rows = "".join(
            f'<tr><td class="t"><a href="/news/html/2024-03/{i}.html">{_esc(article_text(i)[0])}'
            f"</a></td><td>{_when(i):%Y-%m-%d}</td></tr>"
            for i in chunk
        )
        nav = ""
        if number > 0:
            prev = "list_12.html" if number == 1 else f"list_12_{number}.html"
            nav += f'<a href="{prev}">上一页</a> '
        if number + 1 < pages:
            nav += f'<a href="list_12_{number + 2}.html">下一页</a>'
        path = "/news/list_12.html" if number == 0 else f"/news/list_12_{number + 1}.html"
        site.pages[path] = Page(
            _doc(
                f"行业资讯 - {site.name}",
                f'<table width="960"><tr><td class="menu">{_menu("", 20)}</td></tr>'
                f'<tr><td><table class="list">{rows}</table><div>{nav}</div></td></tr></table>',
                charset="gb2312",
            ).encode("gb18030"),
            content_type="text/html",
        )
    for i in ids:
        title, body, industry = article_text(i)
        source = SOURCES[(i + 3) % len(SOURCES)]
        author = f"{AUTHORS[i % len(AUTHORS)]} {AUTHORS[(i + 1) % len(AUTHORS)]}" if i % 2 else None
        when = _when(i)
        half = max(1, len(body) // 2)
        block_a = "".join(f"<p>{_esc(p)}</p>" for p in body[:half])
        block_b = "".join(f"<p>{_esc(p)}</p>" for p in body[half:])
        byline = f"发布时间：{when:%Y年%m月%d日 %H:%M}&nbsp;&nbsp;来源：{source}"
        if author:
            byline += f"&nbsp;&nbsp;作者：{author}"
        byline += "&nbsp;&nbsp;编辑：刘编辑"
        site.pages[f"/news/html/2024-03/{i}.html"] = Page(
            _doc(
                f"{title} - 行业资讯 - {site.name}",
                f'<table width="960"><tr><td class="menu">{_menu("", 20)}</td></tr>'
                '<tr><td class="crumb">您的位置：<a href="/">首页</a> &gt; <a href="/news/list_12.html">'
                "行业资讯</a></td></tr>"
                f'<tr><td align="center" class="title"><b>{_esc(title)}</b></td></tr>'
                f'<tr><td align="center" class="byline">{byline}</td></tr>'
                f'<tr><td class="content"><div class="c1">{block_a}</div><div class="c2">{block_b}'
                "</div></td></tr>"
                '<tr><td class="share">分享到：<a href="#">微博</a> <a href="#">微信</a></td></tr>'
                '<tr><td>上一篇：<a href="/news/html/2024-03/1.html">没有了</a> '
                '下一篇：<a href="/news/html/2024-03/2.html">没有了</a></td></tr>'
                '<tr><td class="disclaimer">免责声明：本文仅代表作者个人观点，与本网无关。</td></tr>'
                '<tr><td><b>相关新闻</b><ul><li><a href="/news/html/2024-03/7.html">'
                "相关行业新闻标题一则示例</a></li></ul></td></tr></table>",
                charset="gb2312",
            ).encode("gb18030"),
            content_type="text/html",
        )
        site.articles.append(
            {
                "url_path": f"/news/html/2024-03/{i}.html",
                "title": title,
                "paragraphs": body,
                "published": when.replace(second=0),
                "author": author,
                "source": source,
                "industry": industry,
            }
        )
    site.pages["/robots.txt"] = Page(b"User-agent: *\nAllow: /\n", content_type="text/plain")
    return site


# --------------------------------------------------------------------------------------------
# drive: query-string URLs, numbered pagination, robots.txt, fault links
# --------------------------------------------------------------------------------------------

FAULT_IDS = {
    9001: "404",
    9002: "500",
    9003: "redirect-loop",
    9004: "empty",
    9005: "pdf",
    9006: "truncated",
    9007: "huge",
    9008: "not-article",
}


def build_drive(
    n_articles: int = 8,
    per_page: int = 4,
    seed0: int = 3000,
    faults: bool = True,
    huge_bytes: int = 3 * 1024 * 1024,
) -> Site:
    site = Site("drive", DRIVE_NAME, "行业新闻", "/News/list.aspx?page=1")
    ids = [seed0 + i for i in range(n_articles)]
    pages = max(1, -(-n_articles // per_page))
    for number in range(pages):
        chunk = ids[number * per_page : (number + 1) * per_page]
        links = [
            f'<div class="item"><a href="/News/detail.aspx?id={i}">{_esc(article_text(i)[0])}'
            f"</a><em>{_when(i):%m-%d}</em></div>"
            for i in chunk
        ]
        if number == 0:
            first = chunk[0]
            links.append(
                f'<div class="item"><a href="/News/detail.aspx?id={first}&amp;from=timeline'
                f'&amp;utm_source=wx">{_esc(article_text(first)[0])}</a></div>'
            )
            links.append(
                '<div class="item"><a href="/News/private/detail.aspx?id=777">'
                "内部资料：不公开的行业文章标题</a></div>"
            )
            links.append(
                '<div class="item"><a href="http://www.example.com/News/detail.aspx?id=5">'
                "站外链接的一篇文章不应抓取</a></div>"
            )
            if faults:
                links += [
                    f'<div class="item"><a href="/News/detail.aspx?id={fid}">故障测试文章'
                    f"{kind}的标题文字</a></div>"
                    for fid, kind in FAULT_IDS.items()
                ]
        pager = " ".join(
            f'<a href="/News/list.aspx?page={p + 1}">{p + 1}</a>' for p in range(pages)
        )
        site.pages[f"/News/list.aspx?page={number + 1}"] = Page(
            _doc(
                f"行业新闻-{site.name}",
                f'{_menu("", 15)}<div class="login"><a href="/member/login.aspx">会员登录</a></div>'
                f'<div class="newsbox">{"".join(links)}</div><div class="pager">{pager}</div>',
                charset="utf-8",
            ).encode("utf-8"),
            content_type="text/html",
        )
    for i in ids:
        title, body, industry = article_text(i)
        when = _when(i)
        original = i % 2 == 0
        source = "本站原创" if original else SOURCES[(i + 5) % len(SOURCES)]
        paras = "".join(f"<p>{_esc(p)}</p>" for p in body)
        site.pages[f"/News/detail.aspx?id={i}"] = Page(
            _doc(
                f"{title}-{site.name}",
                f'{_menu("", 15)}<div class="detail"><h2 class="title">{_esc(title)}</h2>'
                f'<div class="attr">时间：{when:%Y-%m-%d %H:%M} 来源：{source} 编辑：李四 点击：356</div>'
                f'<div class="text">{paras}</div>'
                '<div class="prenext">上一篇：<a href="/News/detail.aspx?id=1">上一篇文章</a></div>'
                '</div><div class="copyright">版权所有 模拟传动网 免责声明</div>',
                charset="utf-8",
            ).encode("utf-8"),
            content_type="text/html",
        )
        site.articles.append(
            {
                "url_path": f"/News/detail.aspx?id={i}",
                "title": title,
                "paragraphs": body,
                "published": when.replace(second=0),
                "author": None,
                "source": None if original else source,
                "industry": industry,
            }
        )
    site.pages["/News/private/detail.aspx?id=777"] = Page(
        _doc("私有", "<p>不应被抓取</p>").encode()
    )
    site.pages["/robots.txt"] = Page(
        b"User-agent: *\nDisallow: /News/private/\n", content_type="text/plain"
    )
    if faults:
        _add_faults(site, huge_bytes)
    return site


def _add_faults(site: Site, huge_bytes: int) -> None:
    base = "/News/detail.aspx?id="
    site.pages[base + "9001"] = Page(b"<html><body>404 Not Found</body></html>", status=404)
    site.pages[base + "9002"] = Page(b"<html><body>Server Error</body></html>", status=500)
    site.pages[base + "9003"] = Page(status=302, headers={"Location": base + "9003"})
    site.pages[base + "9004"] = Page(b"")
    site.pages[base + "9005"] = Page(
        b"%PDF-1.4\n" + bytes(range(256)) * 20, content_type="application/pdf"
    )
    site.pages[base + "9006"] = Page(
        _doc("截断的文章", "<h1>截断的文章</h1><p>" + "内容" * 500).encode("utf-8"), truncate=True
    )
    filler = "<p>" + "超大页面内容。" * 200 + "</p>"
    site.pages[base + "9007"] = Page(
        _doc("超大页面", filler * max(1, huge_bytes // len(filler.encode()))).encode("utf-8")
    )
    site.pages[base + "9008"] = Page(_doc("", '<div class="x"><a href="/">首页</a></div>').encode())


def _doc(title: str, body_html: str, charset: str = "utf-8") -> str:
    return (
        "<!DOCTYPE html><html><head>"
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>{_esc(title)}</title></head><body>{body_html}</body></html>"
    )


DRIVE_NAME = "模拟传动网"
# gkong reprints three drive stories: verbatim, with a 本网讯 lead, and with a paragraph cut.
GKONG_REPRINTS = {
    1500: (3001, DRIVE_NAME, "same"),
    1501: (3003, DRIVE_NAME, "lead"),
    1502: (3006, DRIVE_NAME, "trimmed"),
}


def build_all(faults: bool = True) -> list[Site]:
    return [build_gkong(reprints=GKONG_REPRINTS), build_autonet(), build_drive(faults=faults)]


# --------------------------------------------------------------------------------------------
# newsroom: a 2020s CMS layout kept out of every fixture the extractor was tuned on
# --------------------------------------------------------------------------------------------


def build_newsroom(n_articles: int = 7, per_page: int = 3, seed0: int = 4000) -> Site:
    """Held-out layout: <article>, meta spans, 责任编辑 line, image caption, 相关阅读 list."""
    site = Site("newsroom", "模拟能源装备网", "企业新闻", "/qiye/")
    ids = [seed0 + i for i in range(n_articles)]
    pages = max(1, -(-n_articles // per_page))
    for number in range(pages):
        chunk = ids[number * per_page : (number + 1) * per_page]
        cards = "".join(
            f'<div class="card"><h3><a href="/qiye/{_when(i):%Y%m%d}/c{i}.shtml">'
            f'{_esc(article_text(i)[0])}</a></h3><p class="summary">{_esc(article_text(i)[1][0][:40])}'
            f"…</p></div>"
            for i in chunk
        )
        pager = "".join(f'<a href="/qiye/list-{p + 1}.shtml">{p + 1}</a>' for p in range(pages))
        if number + 1 < pages:
            pager += f'<a class="next" href="/qiye/list-{number + 2}.shtml">下一页 &raquo;</a>'
        path = "/qiye/" if number == 0 else f"/qiye/list-{number + 1}.shtml"
        site.pages[path] = Page(
            _doc(
                f"企业新闻 | {site.name}",
                f'<header class="site-header">{_menu("", 12)}</header><main><section class="feed">'
                f'{cards}</section><nav class="pagination">{pager}</nav></main>'
                '<aside class="widget"><h4>编辑推荐</h4><ul><li><a href="/qiye/20240101/c1.shtml">'
                "推荐阅读的一篇精选文章标题</a></li></ul></aside>",
            ).encode("utf-8"),
            content_type="text/html; charset=utf-8",
        )
    for i in ids:
        title, body, industry = article_text(i)
        when = _when(i)
        source = SOURCES[(i + 7) % len(SOURCES)] if i % 2 else None
        author = AUTHORS[(i + 2) % len(AUTHORS)]
        meta = f'<span class="time">{when:%Y-%m-%d %H:%M:%S}</span>'
        meta += (
            f'<span class="source">来源：{source}</span>'
            if source
            else '<span class="source">来源：本站原创</span>'
        )
        meta += f'<span class="author">作者：{author}</span>'
        paras = "".join(f"<p>{_esc(p)}</p>" for p in body[:2])
        paras += (
            '<p style="text-align:center"><img src="/img/a.jpg" alt=""></p>'
            '<p class="caption">图为项目现场</p>'
        )
        paras += "".join(f"<p>{_esc(p)}</p>" for p in body[2:])
        site.pages[f"/qiye/{when:%Y%m%d}/c{i}.shtml"] = Page(
            _doc(
                f"{title} | {site.name}",
                f'<header class="site-header">{_menu("", 12)}</header>'
                '<div class="crumbs"><a href="/">首页</a> / <a href="/qiye/">企业新闻</a></div>'
                f'<article><h1 class="article-title">{_esc(title)}</h1>'
                f'<div class="article-meta">{meta}</div>'
                f'<div class="article-content">{paras}<p class="editor">责任编辑：赵编辑</p></div>'
                '</article><section class="related"><h4>相关阅读</h4><ul>'
                '<li><a href="/qiye/20240101/c2.shtml">另一篇相关的企业新闻标题</a></li></ul></section>'
                "<footer>© 2024 模拟能源装备网 京ICP备00000000号</footer>",
            ).encode("utf-8"),
            content_type="text/html; charset=utf-8",
        )
        site.articles.append(
            {
                "url_path": f"/qiye/{when:%Y%m%d}/c{i}.shtml",
                "title": title,
                "paragraphs": body,
                "published": when,
                "author": author,
                "source": source,
                "industry": industry,
            }
        )
    site.pages["/robots.txt"] = Page(b"User-agent: *\nAllow: /\n", content_type="text/plain")
    return site
