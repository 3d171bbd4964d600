"""Refuse to connect to loopback, private, link-local, multicast or reserved addresses.

Why: a page on a portal can link or redirect anywhere, and a host name can resolve to
``127.0.0.1`` or ``169.254.169.254`` (cloud metadata). The check happens where the address is
known, at connect time: ``GuardedResolver`` (``TWISTED_DNS_RESOLVER``) refuses such answers on
every lookup, cached or not, since a DNS answer can change between two requests; and
``AddressGuardMiddleware`` refuses requests to such IP literals, which are never resolved.

The portal's own hosts (the spider's ``allowed_domains``, taken from the profiles' section
URLs) are exempt, so a portal served from a private network, the local simulator and the
tests on 127.0.0.1 still work.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

logger = logging.getLogger(__name__)

# Hosts exempt from the check (lower case, no port). One crawl is one process with one
# spider, so a module-level set is what both the resolver and the middleware can see.
_exempt_hosts: set[str] = set()
REFUSED_PREFIX = "refused:"  # how crawler.spiders.fetch_errors recognises the refusal


def exempt(hosts: Iterable[str]) -> None:
    """Exempt the portal's own hosts (``host`` or ``host:port``)."""
    for host in hosts:
        _exempt_hosts.add(host.rpartition("@")[2].split(":")[0].strip("[]").lower())


def refused_address(address: str) -> bool:
    """True for addresses a crawl must not reach: loopback, private, link-local, multicast,
    reserved or unspecified (IPv4 and IPv6, including IPv4-mapped IPv6)."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False  # not an address literal: the resolver decides
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified
    )


def host_refused(host: str, address: str) -> bool:
    return refused_address(address) and host.lower() not in _exempt_hosts


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing answers in the refused ranges for other hosts."""

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    @staticmethod
    def _check(address: str, name: str) -> str:
        if host_refused(name, address):
            logger.warning("refused: %s resolves to %s, a non-public address", name, address)
            raise DNSLookupError(f"{name} resolves to a refused address {address}")
        return address


class AddressGuardMiddleware:
    """Downloader middleware: exempts the spider's own hosts when it opens, and refuses
    requests whose host is a refused IP literal (those never reach the resolver)."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> AddressGuardMiddleware:
        middleware = cls(crawler.stats)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        # Scrapy builds the spider before its middlewares: exempt its hosts now as well, so
        # that no request can meet the guard first (a refused robots.txt request makes
        # Scrapy's robots.txt middleware allow everything on that host, without a word).
        if getattr(crawler, "spider", None) is not None:
            middleware.spider_opened(crawler.spider)
        return middleware

    def spider_opened(self, spider: Any) -> None:
        exempt(getattr(spider, "allowed_domains", None) or ())

    def process_request(self, request: Any, spider: Any = None) -> None:
        host = urlsplit(request.url).hostname or ""
        if host_refused(host, host):
            self.stats.inc_value("portal/refused_address")
            raise IgnoreRequest(f"{REFUSED_PREFIX} {request.url} is on a non-public address")
        return None
