"""Canonical URLs decide what counts as "the same article" in storage."""

from __future__ import annotations

import random

import pytest

from crawler import urls
from crawler.urls import canonical_url, on_site, site_of, strip_tracking


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "http://www.gongkong.com/news/202403/123.html?from=timeline",
            "http://www.gongkong.com/news/202403/123.html",
        ),
        (
            "http://www.gongkong.com/news/202403/123.html?utm_source=wx&utm_medium=share",
            "http://www.gongkong.com/news/202403/123.html",
        ),
        (
            "https://www.ca800.com/news/d_1.html?spm=a2c4g.11186623&id=5",
            "https://www.ca800.com/news/d_1.html?id=5",
        ),
        (
            "HTTP://WWW.Chuandong.COM:80/News/detail.aspx?id=7#comments",
            "http://www.chuandong.com/News/detail.aspx?id=7",
        ),
        ("https://a.com:443/x/1.html", "https://a.com/x/1.html"),
        ("http://a.com/detail.aspx?page=1&id=7", "http://a.com/detail.aspx?id=7&page=1"),
        ("http://a.com/x/1.html;jsessionid=ABC123", "http://a.com/x/1.html"),
        ("http://a.com/x/1.html?fbclid=xyz&gclid=1", "http://a.com/x/1.html"),
        ("http://127.0.0.1:8001/x/1.html", "http://127.0.0.1:8001/x/1.html"),
    ],
)
def test_tracking_parameters_and_cosmetic_differences_are_removed(url, expected):
    assert strip_tracking(url) == expected


def test_urls_left_as_they_are_by_the_shortcut_are_exactly_what_full_canonicalisation_gives():
    """``strip_tracking`` skips w3lib for URLs it recognises as canonical already; a URL it
    skips must be one the full canonicalisation returns unchanged (default ports, dot
    segments, upper-case hosts, missing paths, escapes, queries and fragments all included)."""
    rng = random.Random(20261128)
    hosts = ["a.com", "A.com", "127.0.0.1", "www.x-y.cn", "a..b", "-a.com", "a.com.",
             "xn--fiq228c.com"]
    ports = ["", ":80", ":443", ":8080", ":0", ":080", ":65535", ":65536", ":42085", ":9"]
    alphabet = "abAB09._~-/:%?#;=&+"
    samples = [
        rng.choice(["http://", "https://", "HTTP://"]) + rng.choice(hosts) + rng.choice(ports)
        + rng.choice(["/", "/", "/", ""])
        + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        for _ in range(60_000)
    ]
    skipped = [url for url in samples if urls._ALREADY_CANONICAL_RE.fullmatch(url)]
    assert len(skipped) > 2_000  # the shortcut is exercised, not just the slow path
    changed = {}
    for url in skipped:
        try:
            full = urls._canonicalise(url)
        except ValueError as exc:  # a port out of range must never be taken as canonical
            full = repr(exc)
        if full != url:
            changed[url] = full
    assert changed == {}
    assert urls._ALREADY_CANONICAL_RE.fullmatch("http://www.gongkong.com/news/202403/123.html")


def test_rel_canonical_is_honoured_on_the_same_site():
    assert (
        canonical_url("http://www.a.com/print.aspx?id=7", "/news/7.html")
        == "http://www.a.com/news/7.html"
    )
    assert (
        canonical_url(
            "http://www.a.com/news/7.html?from=rss", "http://a.com/news/7.html?utm_source=x"
        )
        == "http://a.com/news/7.html"
    )


@pytest.mark.parametrize(
    "declared", ["http://other.com/news/7.html", "/", "", "javascript:void(0)"]
)
def test_rel_canonical_pointing_elsewhere_or_at_the_home_page_is_ignored(declared):
    assert (
        canonical_url("http://www.a.com/news/7.html?from=x", declared)
        == "http://www.a.com/news/7.html"
    )


def test_sites_and_ports():
    assert site_of("http://www.gongkong.com/news/") == "gongkong.com"
    assert site_of("http://127.0.0.1:8001/news/") == "127.0.0.1:8001"
    assert on_site("http://news.gongkong.com/a/1.html", ("gongkong.com",))
    assert not on_site("http://gongkong.com.evil.cn/a/1.html", ("gongkong.com",))
    assert not on_site("http://127.0.0.1:8002/a/1.html", ("127.0.0.1:8001",))
    assert on_site("http://127.0.0.1:8001/a/1.html", ("127.0.0.1:8001",))
