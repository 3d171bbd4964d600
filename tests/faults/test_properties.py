"""Property-based: whatever text or markup a portal serves, parsing never crashes, dates stay
between 1990 and now, and canonical URLs are a fixed point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.utils.test import get_crawler

from crawler.extraction.article import extract_article
from crawler.extraction.dates import find_dates, parse_dateline
from crawler.items import ArticleItem
from crawler.urls import canonical_url, strip_tracking
from pipelines.attribution import AttributionPipeline

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

_date_bits = st.sampled_from([
    "2024-05-01", "2024年5月1日", "05-01", "昨天", "3小时前", "前天 10:30", "1989-12-31",
    "2099-01-01", "31/12/2023", "2024.13.45", "发布时间：", " 来源：", "99年", "0000-00-00",
    "12:61", "刚刚", "3天前", "9999年99月99日",
])
_text = st.lists(st.one_of(_date_bits, st.text(max_size=12)), max_size=8).map("".join)


@FAST
@given(_text)
def test_dates_never_crash_and_stay_between_1990_and_now(text):
    for match in find_dates(text, now=NOW):
        assert match.when.year >= 1990
        assert match.when <= NOW + timedelta(days=2)  # the time zone skew dates.py allows
    when = parse_dateline(text, now=NOW)
    assert when is None or when.tzinfo is not None


_hosts = st.sampled_from(["www.example.cn", "EXAMPLE.cn", "news.example.cn:8080",
                          "example.cn:80", "127.0.0.1:8123", "xn--fiqs8s.cn"])
_segments = st.lists(st.text(alphabet="abc/%.-_中文~ ", max_size=6), max_size=4).map("/".join)
_query = st.lists(st.tuples(st.sampled_from(["id", "page", "utm_source", "spm", "a", "from"]),
                            st.text(alphabet="0123456789ab%&= ", max_size=4)),
                  max_size=4).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))
_urls = st.builds(lambda s, h, p, q, f: f"{s}://{h}/{p}?{q}#{f}",
                  st.sampled_from(["http", "https", "HTTP"]), _hosts, _segments, _query,
                  st.text(max_size=3))


@FAST
@given(_urls)
def test_canonicalisation_is_idempotent(url):
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert strip_tracking(strip_tracking(url)) == strip_tracking(url)


_credit = st.lists(st.one_of(
    st.sampled_from(["来源：", "作者：", "责任编辑：", "本文来自", "转载自", "新华社", "中国工控网",
                     "http://www.example.cn/", "|", "\n", "原标题：", "编辑"]),
    st.text(max_size=10)), max_size=8).map("".join)


@FAST
@given(_credit, _credit, _credit)
def test_attribution_never_crashes(byline, footer, body):
    pipeline = AttributionPipeline.from_crawler(get_crawler(settings_dict={}))
    item = ArticleItem(url="http://www.example.cn/a/1.html", fetched_url="http://www.example.cn/a/1.html",
                       portal="example", portal_name="示例网", section=None, title="标题",
                       body=body or "正文", byline_text=byline, footer_text=footer)
    out = pipeline.process_item(item)
    assert out.source is None or isinstance(out.source, str)


_tags = st.sampled_from(["div", "p", "span", "h1", "a", "table", "td", "script", "style", "ul",
                         "li", "br", "meta", "title", "font"])


def _markup(parts):
    return "".join(f"<{t}>{x}" if i % 2 else f"{x}</{t}>" for i, (t, x) in enumerate(parts))


@FAST
@given(st.lists(st.tuples(_tags, st.text(max_size=30)), max_size=40).map(_markup))
def test_extraction_of_random_html_never_crashes(html):
    result = extract_article(html, "http://www.example.cn/a/1.html", now=NOW)
    assert result is not None
    result_bytes = extract_article(html.encode("utf-8", "surrogatepass"),
                                   "http://www.example.cn/a/1.html", now=NOW)
    assert result_bytes is not None
