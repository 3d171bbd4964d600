"""Which pages are stored: any real news page however short, never a list of links."""

from __future__ import annotations

import pytest

from crawler.extraction import extract_article

MENU = "".join(f'<li><a href="/c{i}/">栏目{i}</a></li>' for i in range(10))
RELATED = "".join(
    f'<li><a href="/news/2024/03/{i}.html">相关行业新闻标题第{i}篇：变频器市场回顾</a><span>2024-03-0{i}</span></li>'
    for i in range(1, 10)
)


def news_page(title: str, meta: str, body: str, after: str = "") -> str:
    return (
        f"<html><head><title>{title}_新闻中心</title></head><body>"
        f'<div class="nav"><ul>{MENU}</ul></div>'
        f'<div class="article"><h1>{title}</h1><div class="info">{meta}</div>'
        f'<div class="content">{body}</div>{after}</div>'
        '<div class="footer">版权所有 京ICP备12345678号</div></body></html>'
    )


ARTICLES = {
    "a 216-character brief (快讯)": news_page(
        "快讯：汇川技术发布新一代伺服系统",
        "2024-03-08 09:12 来源：中国工控网",
        "<p>3月8日，汇川技术在深圳发布新一代SV680系列伺服系统。该系列产品响应带宽提升至3.5kHz，"
        "支持EtherCAT总线，适用于锂电、光伏和半导体设备。公司表示，新产品将于二季度批量供货，"
        "首批订单已超过两万台。业内人士认为，国产伺服在高端装备领域的替代进程正在加快。"
        "据了解，汇川技术去年伺服系统市场份额位居国内第一，今年计划在海外市场设立三个服务中心。</p>",
    ),
    "a 230-character government notice": news_page(
        "关于开展2024年度工业节能监察工作的通知",
        "发布时间：2024-03-08 发布机构：市工业和信息化局",
        "<p>各区工信部门、有关企业：</p><p>为贯彻落实国家节能法律法规，推动工业领域绿色低碳发展，"
        "经研究，决定开展2024年度工业节能监察工作。现将有关事项通知如下：</p>"
        "<p>一、监察对象为全市年综合能耗五千吨标准煤以上的重点用能企业。</p>"
        "<p>二、请各区于4月15日前将监察计划报送市局节能处。</p><p>联系人：张明，电话：12345678。</p>"
        "<p>特此通知。</p><p>市工业和信息化局</p><p>2024年3月8日</p>",
    ),
    "a short regional news page": news_page(
        "我市三家企业入选省级智能工厂名单",
        "2024年03月08日 作者：李华 来源：某某日报",
        "<p>近日，省工信厅公布了2024年省级智能工厂名单，我市三家企业榜上有名。</p>"
        "<p>据介绍，入选企业在生产过程中广泛应用工业机器人、机器视觉和制造执行系统，生产效率平均提升30%以上。</p>",
    ),
    "an article followed by a long 相关新闻 box": news_page(
        "西门子发布2024年第一季度财报",
        "2024-03-08 来源：新华网 作者：王强",
        "<p>西门子股份公司今日发布2024财年第一季度财报，数字化工业集团营收同比下降2%，订单额有所回升。</p>"
        "<p>公司首席执行官表示，中国市场需求仍然疲软，但自动化业务在半导体和电池行业保持增长。</p>",
        after=f'<div class="related"><h3>相关新闻</h3><ul>{RELATED}</ul></div>',
    ),
    "one sentence of news under a headline and dateline": news_page(
        "快讯：施耐德电气完成对某公司收购",
        "2024-03-08 10:00 来源：中国工控网",
        "<p>施耐德电气3月8日宣布，已完成对某工业软件公司的全部股权收购，交易金额未披露。</p>",
    ),
    "a short article with a 相关阅读 list inside its content box": news_page(
        "西门子发布2024年第一季度财报",
        "2024-03-08 来源：新华网",
        "<p>西门子股份公司今日发布2024财年第一季度财报，数字化工业集团营收同比下降2%，订单额有所回升。</p>"
        f"<p><strong>相关阅读：</strong></p><ul>{RELATED}</ul>",
    ),
    "an article whose 相关新闻 links are paragraphs of its content": news_page(
        "西门子发布2024年第一季度财报",
        "作者：王强 2024-03-08",
        "<p>西门子股份公司今日发布2024财年第一季度财报，数字化工业集团营收同比下降2%，订单额有所回升。</p>"
        "<p>公司首席执行官表示，中国市场需求仍然疲软，但自动化业务在半导体和电池行业保持增长。</p>"
        "<p>相关新闻：</p>"
        + "".join(f'<p><a href="/n/{i}.html">相关行业新闻标题第{i}篇：变频器市场回顾</a></p>' for i in range(12)),
    ),
}


@pytest.mark.parametrize("html", ARTICLES.values(), ids=ARTICLES)
def test_a_real_news_page_is_an_article_however_short(html):
    result = extract_article(html, "http://www.example.cn/news/2024/0308/85.html")
    assert result.page_type == "article"
    assert result.title and result.body


def _list(items: str) -> str:
    return (
        f'<html><head><title>行业新闻_新闻中心</title></head><body><div class="nav"><ul>{MENU}</ul></div>'
        f'<div class="main"><h2>行业新闻</h2><ul class="newslist">{items}</ul>'
        '<div class="pages"><a href="index_2.html">下一页</a></div></div></body></html>'
    )


LISTS = {
    "a dated headline list": _list("".join(
        f'<li><a href="/news/{i}.html">工业自动化行业新闻标题第{i}条</a><span>2024-03-0{i % 9 + 1}</span></li>'
        for i in range(20))),
    "headlines with teasers": _list("".join(
        f'<li><h3><a href="/news/{i}.html">智能制造示范工厂建设经验交流第{i}期</a></h3>'
        f"<p>本期介绍了智能制造示范工厂在生产调度、设备联网和质量追溯方面的做法……</p><span>2024-03-08</span></li>"
        for i in range(10))),
    "a short list of five headlines": _list("".join(
        f'<li><a href="/news/{i}.html">伺服驱动器产品发布会第{i}场报道</a>2024-03-08</li>' for i in range(5))),
}


@pytest.mark.parametrize("html", LISTS.values(), ids=LISTS)
def test_a_list_page_is_never_an_article(html):
    result = extract_article(html, "http://www.example.cn/news/index.html")
    assert result.page_type != "article"


def test_the_simulated_portals_list_pages_are_lists():
    from simulator.sites import build_all, build_newsroom

    for site in [*build_all(faults=False), build_newsroom()]:
        articles = {str(a["url_path"]) for a in site.articles}
        for path, page in site.pages.items():
            if path in articles or not page.content_type.startswith("text/html"):
                continue
            result = extract_article(page.body, "http://127.0.0.1" + path)
            assert result.page_type != "article", (site.key, path)
