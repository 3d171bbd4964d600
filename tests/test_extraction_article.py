"""extract_article: the fields the spider stores, on small pages built for each behaviour."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.extraction import Extracted, Selectors, extract_article

NOW = datetime(2024, 6, 1, tzinfo=UTC)
URL = "https://www.example.com/news/2024/0311/1.html"
PARAGRAPHS = [
    "近日，多家行业研究机构发布的数据显示，国产伺服驱动器出货量同比增长约三成，国产品牌份额首次超过外资品牌。",
    "业内人士分析，锂电、光伏设备的扩产潮为国产伺服提供了大量验证机会，国产厂商在交付周期和价格方面具备优势。",
    "不过，在高端数控机床等对精度要求极高的领域，外资品牌仍占据主导地位，国产厂商正加大核心部件研发投入。",
]
RELATED = "".join(
    f'<li><a href="/n/{i}.html">其他新闻标题第{i}条关于工业自动化</a></li>' for i in range(8)
)


def article_page(
    byline: str = "2024-03-11 14:20 来源：中国自动化网",
    after_body: str = "",
    head: str = "",
    title: str = "国产伺服驱动器出货量同比增长三成_行业新闻_中国自动化网",
) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<html><head><meta charset="utf-8"><title>{title}</title>{head}
    <script>var x = "不应出现的脚本文字，很长很长的一句话，用来检查脚本被去掉。";</script>
    <style>.a {{ color: red }}</style></head><body>
    <div class="nav"><a href="/">首页</a> | <a href="/news/">新闻</a> | <a href="/tech/">技术</a>
    | <a href="/product/">产品</a> | <a href="/video/">视频</a></div>
    <div class="crumb"><a href="/">首页</a> &gt; <a href="/news/">新闻中心</a> &gt;
    <a href="/news/hy/">行业动态</a></div>
    <div class="main"><h1>国产伺服驱动器出货量同比增长三成</h1>
    <div class="info">{byline}</div>
    <div class="content">{paragraphs}{after_body}</div>
    <div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
    <div class="related"><h3>相关新闻</h3><ul>{RELATED}</ul></div></div>
    <div class="footer">Copyright © 2005-2024 example.com 版权所有</div>
    </body></html>"""


def extract(html: str, **kwargs: object) -> Extracted:
    return extract_article(html, URL, now=NOW, **kwargs)  # type: ignore[arg-type]


def test_article_page_is_recognised() -> None:
    assert extract(article_page()).page_type == "article"


def test_title_is_the_headline_not_the_title_tag() -> None:
    assert extract(article_page()).title == "国产伺服驱动器出货量同比增长三成"


def test_title_falls_back_to_title_tag_without_site_suffix() -> None:
    html = article_page().replace("<h1>国产伺服驱动器出货量同比增长三成</h1>", "")
    assert extract(html).title == "国产伺服驱动器出货量同比增长三成"


def test_body_holds_all_paragraphs_in_order_one_per_line() -> None:
    assert extract(article_page()).body == "\n".join(PARAGRAPHS)


def test_body_has_no_navigation_scripts_related_or_share_bar() -> None:
    body = extract(article_page()).body or ""
    for junk in ("首页", "不应出现", "相关新闻", "其他新闻标题", "分享到", "版权所有", "color"):
        assert junk not in body


@pytest.mark.parametrize(
    "trailer",
    [
        "<p>上一篇：<a href='/1'>工业机器人密度再创新高</a></p><p>下一篇：<a href='/2'>PLC</a></p>",
        "<p>免责声明：本文仅代表作者个人观点，与本站无关。"
        "其原创性以及文中陈述文字和内容未经本站证实。</p>",
        "<div>【<a href='#'>打印本页</a>】【<a href='#'>关闭窗口</a>】</div>",
        "<div><h4>发表评论</h4><p>投诉建议</p><button>提交</button>"
        "<a href='#'>查看更多评论</a></div>",
        "<div><h4>推荐阅读</h4><p>很长的一个推荐条目说明文字但不是链接，它不属于正文内容。</p></div>",
    ],
)
def test_trailing_boilerplate_is_trimmed(trailer: str) -> None:
    assert extract(article_page(after_body=trailer)).body == "\n".join(PARAGRAPHS)


def test_attribution_footer_moves_from_body_to_footer_text() -> None:
    result = extract(
        article_page(after_body="<p>信息来源于:中国石化新闻网</p><p>责任编辑：王五</p>")
    )
    assert result.body == "\n".join(PARAGRAPHS)
    assert result.footer_text == "信息来源于:中国石化新闻网\n责任编辑：王五"


def test_publish_time_comes_from_the_dateline_as_utc() -> None:
    result = extract(article_page())
    assert result.published_at == datetime(2024, 3, 11, 6, 20, tzinfo=UTC)
    assert result.published_text is not None and "2024-03-11 14:20" in result.published_text


def test_copyright_year_is_not_the_publish_time() -> None:
    assert extract(article_page(byline="来源：中国自动化网")).published_at is None


def test_meta_published_time_is_used_when_the_page_shows_none() -> None:
    meta = '<meta property="article:published_time" content="2024-03-11T14:20:00+08:00">'
    result = extract(article_page(byline="来源：中国自动化网", head=meta))
    assert result.published_at == datetime(2024, 3, 11, 6, 20, tzinfo=UTC)


def test_relative_dateline_uses_crawl_time() -> None:
    result = extract(article_page(byline="昨天 10:20 来源：城市晚报"))
    assert result.published_at == datetime(2024, 5, 31, 2, 20, tzinfo=UTC)


def test_byline_text_is_kept_verbatim() -> None:
    byline = "2016-11-22 16:06 来源：解放日报 作者：张三 点击：12"
    assert extract(article_page(byline=byline)).byline_text == byline


def test_breadcrumb_and_canonical_url() -> None:
    head = '<link rel="canonical" href="/news/2024/0311/1.html?from=rss">'
    result = extract(article_page(head=head))
    assert result.breadcrumb == ["首页", "新闻中心", "行业动态"]
    assert result.canonical_url == "https://www.example.com/news/2024/0311/1.html?from=rss"


def test_profile_selectors_override_the_heuristics() -> None:
    selectors = Selectors(
        title="div.crumb a:last-child", dateline="//div[@class='footer']", body="div.share"
    )
    result = extract(article_page(), selectors=selectors)
    assert result.title == "行业动态"
    assert result.body == "分享到：微信 微博"


def test_xpath_body_selector() -> None:
    result = extract(article_page(), selectors=Selectors(body="//div[@class='content']/p[1]"))
    assert result.body == PARAGRAPHS[0]


def test_broken_selector_falls_back_to_heuristics() -> None:
    result = extract(article_page(), selectors=Selectors(body="div[[[", title="//*["))
    assert result.body == "\n".join(PARAGRAPHS)


def test_list_page_is_not_an_article() -> None:
    items = "".join(
        f'<li><a href="/n/{i}.html">行业新闻标题第{i}条：国产伺服出货增长</a>'
        f" 2024-03-{i + 1:02d}</li>"
        for i in range(20)
    )
    html = (
        "<html><head><title>行业新闻_中国自动化网</title></head>"
        f"<body><ul>{items}</ul></body></html>"
    )
    assert extract(html).page_type == "list"


def test_search_page_is_not_an_article() -> None:
    html = article_page(title="“伺服”的搜索结果 - 中国自动化网")
    assert extract(html).page_type == "list"


@pytest.mark.parametrize("html", ["", "   ", "<html></html>", "<html><body></body></html>"])
def test_empty_pages(html: str) -> None:
    result = extract(html)
    assert result.page_type == "empty"
    assert result.body is None


def test_stray_text_before_html_is_harmless() -> None:
    html = '<text id="http://x" encoding="utf8">\n' + article_page()
    result = extract(html)
    assert result.title == "国产伺服驱动器出货量同比增长三成"
    assert result.body == "\n".join(PARAGRAPHS)


def test_body_in_a_2004_style_table_layout() -> None:
    cells = "<br><br>".join("　　" + p for p in PARAGRAPHS)
    html = f"""<html><head><title>标题--新闻--能源网</title></head><body>
    <table><tr><td width=160><a href="/1">电力</a><br><a href="/2">煤炭</a><br>
    <a href="/3">石油</a></td>
    <td><table><tr><td align=center><font size=4><b>华东电网用电负荷再创新高</b></font></td></tr>
    <tr><td>发布时间：2004-7-16 8:19 来源：国际电力网</td></tr>
    <tr><td><font>{cells}</font></td></tr></table></td></tr></table></body></html>"""
    result = extract(html)
    assert result.title == "华东电网用电负荷再创新高"
    assert result.body == "\n".join(PARAGRAPHS)
    assert result.published_at == datetime(2004, 7, 16, 0, 19, tzinfo=UTC)


def test_attribution_just_after_the_article_block_is_footer_text() -> None:
    html = article_page().replace(
        '<div class="share">',
        '<div class="edit">编辑： 吕峥 来源： 千龙网</div><div class="share">',
    )
    result = extract(html.replace("来源：中国自动化网", ""))
    assert result.footer_text == "编辑： 吕峥 来源： 千龙网"


def test_link_box_in_the_middle_does_not_cut_the_article() -> None:
    box = (
        '<table class="box"><tr><td><b>推荐阅读</b></td></tr>'
        + "".join(f'<tr><td><a href="/r/{i}">推荐文章标题第{i}篇</a></td></tr>' for i in range(4))
        + "</table>"
    )
    html = article_page().replace("<p>" + PARAGRAPHS[1], box + "<p>" + PARAGRAPHS[1])
    assert extract(html).body == "\n".join(PARAGRAPHS)


def test_comment_section_ends_the_body() -> None:
    comments = (
        '<div class="comments"><h3>已有2条评论</h3>'
        "<p>网友甲：这篇文章写得很好，国产伺服确实进步很大，"
        "我们厂里也在用，稳定性不错，价格也便宜很多。</p></div>"
    )
    assert extract(article_page(after_body=comments)).body == "\n".join(PARAGRAPHS)


def test_article_printed_twice_is_kept_once() -> None:
    html = article_page(after_body="".join(f"<p>{p}</p>" for p in PARAGRAPHS))
    assert extract(html).body == "\n".join(PARAGRAPHS)


def test_headline_broken_over_several_bold_lines_is_joined() -> None:
    parts = ["吉林省人民政府关于禁止在", "嫩江干流工程建设", "征占地范围内新增建设项目的通告"]
    heading = "<br>".join(f"<font><b>{p}</b></font>" for p in parts)
    html = article_page(title="".join(parts)).replace(
        "<h1>国产伺服驱动器出货量同比增长三成</h1>", f"<div>{heading}</div>"
    )
    assert extract(html).title == "".join(parts)


def test_h1_wins_over_other_emphasis_when_title_tag_is_missing() -> None:
    html = article_page(title="").replace(
        '<div class="info">', '<div class="user"><font>能力值:545803</font></div><div class="info">'
    )
    assert extract(html).title == "国产伺服驱动器出货量同比增长三成"


def test_thousands_of_unclosed_font_tags_do_not_lose_the_article() -> None:
    depth = 2000
    html = article_page().replace('<div class="main">', '<div class="main">' + "<font>" * depth)
    result = extract(html)
    assert result.title == "国产伺服驱动器出货量同比增长三成"
    assert result.body == "\n".join(PARAGRAPHS)


def test_list_of_teasers_is_not_an_article() -> None:
    cards = "".join(
        f'<div class="card"><h3><a href="/q/{i}.shtml">宝武钢铁第{i}条焊接机器人工作站进入调试</a>'
        f'</h3><p class="summary">近日，宝武钢铁位于重庆的焊接机器人工作站成功并网，标志着宝武钢铁'
        f"在机器人领域的布局迈出关键一步，第{i}条…</p></div>"
        for i in range(4)
    )
    html = (
        "<html><head><title>企业新闻-新闻中心</title></head><body><h1>企业新闻</h1>"
        f'<section class="feed">{cards}</section></body></html>'
    )
    assert extract(html).page_type == "list"


@pytest.mark.parametrize(
    "prefix",
    [
        "",
        "\n  ",
        '<?xml version="1.0" encoding="utf-8"?>\n',
        '<text id="http://x" encoding="utf8">\n',
    ],
)
def test_utf8_bytes_extract_exactly_as_the_decoded_text(prefix: str) -> None:
    # The worker hands valid UTF-8 pages to the parser as downloaded, without decoding and
    # re-encoding them: the fields must not depend on which form the page came in.
    html = prefix + article_page(after_body="<p>（来源：中国电力报）</p>")
    from_text = extract(html)
    from_bytes = extract_article(html.encode("utf-8"), URL, now=NOW)
    assert from_bytes == from_text
    assert from_bytes.title == "国产伺服驱动器出货量同比增长三成"


def test_page_with_broken_utf8_bytes_is_read_through_its_repaired_text() -> None:
    from crawler.extraction import extract_response

    broken = "国产伺服驱动器出货量同比增长约三成".encode()
    raw = article_page().encode("utf-8").replace(broken, b"\xff\xfe", 1)
    extracted, encoding = extract_response(raw, None, URL, None, NOW)
    assert encoding == "utf-8"
    assert extracted.title == "国产伺服驱动器出货量同比增长三成"
    assert extracted.body is not None and "\ufffd" in extracted.body
