"""What a crawl must never fetch: other schemes, other sites, non-public addresses."""

from __future__ import annotations

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from crawler.middlewares import address_guard
from crawler.middlewares.address_guard import (
    AddressGuardMiddleware,
    GuardedResolver,
    refused_address,
)
from tests.conftest import project_crawler


@pytest.fixture(autouse=True)
def _no_exemptions(monkeypatch):
    monkeypatch.setattr(address_guard, "_exempt_hosts", set())


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "224.0.0.1",
     "240.0.0.1", "0.0.0.0", "::1", "fe80::1", "::ffff:127.0.0.1", "fc00::1"],
)
def test_non_public_addresses_are_refused(address):
    assert refused_address(address)


@pytest.mark.parametrize("address", ["61.135.169.121", "8.8.8.8", "2400:3200::1"])
def test_public_addresses_are_allowed(address):
    assert not refused_address(address)


def _resolver_answering(monkeypatch, answers):
    def fake(self, name, timeout=()):
        return defer.succeed(answers[name])

    monkeypatch.setattr(
        "twisted.internet.base.ThreadedResolver.getHostByName", fake, raising=True)
    from scrapy.resolver import dnscache

    for name in answers:
        dnscache.pop(name, None)
    return GuardedResolver(reactor=None, cache_size=0, timeout=1.0)  # type: ignore[arg-type]


def _outcome(d):
    result = []
    d.addBoth(result.append)
    return result[0]


def test_a_host_resolving_to_a_private_address_is_refused_at_lookup(monkeypatch):
    resolver = _resolver_answering(
        monkeypatch, {"intranet.example.cn": "10.0.0.5", "metadata.example.cn": "169.254.169.254",
                      "www.example.cn": "61.135.169.121"})
    assert _outcome(resolver.getHostByName("www.example.cn")) == "61.135.169.121"
    for name in ("intranet.example.cn", "metadata.example.cn"):
        failure = _outcome(resolver.getHostByName(name))
        assert failure.check(DNSLookupError)


def test_the_portals_own_host_on_a_private_address_still_works(monkeypatch):
    resolver = _resolver_answering(monkeypatch, {"portal.lan": "192.168.0.10"})
    address_guard.exempt(["portal.lan:8080"])
    assert _outcome(resolver.getHostByName("portal.lan")) == "192.168.0.10"


def test_requests_to_refused_ip_literals_are_dropped_unless_the_portal_is_there():
    crawler = project_crawler()
    crawler.stats = type("S", (), {"inc_value": lambda *a, **k: None})()
    middleware = AddressGuardMiddleware(crawler.stats)
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request("http://169.254.169.254/latest/meta-data/"))
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request("http://[::1]:8000/"))
    middleware.spider_opened(type("Spider", (), {"allowed_domains": ["127.0.0.1:8123"]})())
    assert middleware.process_request(Request("http://127.0.0.1:8123/news/")) is None
    assert middleware.process_request(Request("http://61.135.169.121/")) is None


def test_only_http_and_https_have_download_handlers():
    settings = project_crawler().settings
    handlers = settings.getdict("DOWNLOAD_HANDLERS")
    for scheme in ("file", "s3", "ftp", "data"):
        assert handlers[scheme] is None
    resolver = "crawler.middlewares.address_guard.GuardedResolver"
    assert settings.get("TWISTED_DNS_RESOLVER") == resolver


def test_offsite_redirects_are_dropped_even_from_requests_that_skip_the_dupefilter():
    """A 302 or meta refresh becomes a copy of the request, ``dont_filter`` included (article
    requests carry it), which Scrapy's OffsiteMiddleware lets through: ours does not."""
    from crawler.middlewares.offsite import OffsiteGuardMiddleware

    crawler = project_crawler()
    crawler.spider = type("S", (), {"allowed_domains": ["example.cn"], "name": "s"})()
    middleware = OffsiteGuardMiddleware.from_crawler(crawler)
    redirected = Request("http://evil.example.com/x", dont_filter=True,
                         meta={"redirect_urls": ["http://www.example.cn/a.html"]})
    with pytest.raises(IgnoreRequest, match="redirected from http://www.example.cn/a.html"):
        middleware.process_request(redirected)
    assert middleware.process_request(Request("http://www.example.cn:8080/a.html")) is None
    assert middleware.process_request(Request("http://example.cn/a.html")) is None
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request("http://notexample.cn/a.html", dont_filter=True))
