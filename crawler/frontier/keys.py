"""The Redis keys of one crawl, named after what it crawls so that the same command joins it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FrontierKeys:
    """``<prefix>:<crawl name>:<part>``; the crawl name is the spider's ``frontier_name``
    (the portal keys, sorted, or the host[:port] of ``-a url=``)."""

    prefix: str
    name: str

    def _key(self, part: str) -> str:
        return f"{self.prefix}:{self.name}:{part}"

    @property
    def queue(self) -> str:
        """Sorted set: serialized requests scored by -priority (scrapy-redis's PriorityQueue)."""
        return self._key("queue")

    @property
    def seen(self) -> str:
        """Set: fingerprints of every request queued in this crawl (the shared dupefilter)."""
        return self._key("seen")

    @property
    def inflight(self) -> str:
        """Hash ``<worker>#<token>`` -> ``<score>\\n<request>``: taken, not finished yet."""
        return self._key("inflight")

    @property
    def workers(self) -> str:
        """Sorted set: worker id -> Redis time until which it is known to be alive."""
        return self._key("workers")

    @property
    def crawl(self) -> str:
        """String: the crawl id, set (NX) by the process that started the crawl."""
        return self._key("crawl")

    def all(self) -> list[str]:
        return [self.queue, self.seen, self.inflight, self.workers, self.crawl]
