"""``-a`` arguments of the portal spider: good ones parse, bad ones say how to fix them."""

from __future__ import annotations

import pytest

from crawler.config.spider_args import PortalSpiderParams, SpiderArgumentError


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, PortalSpiderParams()),
        ({"portal": "gongkong"}, PortalSpiderParams(portals=("gongkong",))),
        ({"portal": "gongkong, ca800"}, PortalSpiderParams(portals=("gongkong", "ca800"))),
        ({"url": "https://www.x.cn/news/"}, PortalSpiderParams(url="https://www.x.cn/news/")),
        ({"max_pages": "3"}, PortalSpiderParams(max_pages=3)),
        ({"refresh": "1"}, PortalSpiderParams(refresh=True)),
        ({"refresh": "no"}, PortalSpiderParams(refresh=False)),
        ({"url": "http://a.cn/n/", "section": " 行业动态 "},
         PortalSpiderParams(url="http://a.cn/n/", section="行业动态")),
    ],
)
def test_good_arguments(kwargs, expected):
    assert PortalSpiderParams.from_kwargs(**kwargs) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"portal": " , "}, "portal= is empty"),
        ({"url": "www.x.cn/news"}, r"absolute http\(s\) URL"),
        ({"url": "ftp://x.cn/"}, r"absolute http\(s\) URL"),
        ({"max_pages": "many"}, "whole number"),
        ({"max_pages": "0"}, "out of range"),
        ({"refresh": "perhaps"}, "refresh=1"),
        ({"maxpages": "3"}, "unknown argument -a maxpages"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(SpiderArgumentError, match=message):
        PortalSpiderParams.from_kwargs(**kwargs)
