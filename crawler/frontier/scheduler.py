"""The scheduler of a crawl shared by several processes: scrapy-redis's, made to finish.

What scrapy-redis's ``Scheduler`` lacks for a crawl that must end by itself:

- **Seeding and joining.** The first process claims the crawl (``SET NX`` of its id); later
  ones join it and record the same ``crawl_id`` in ``crawl_runs``. Every process still hands
  its start requests over: they are filtered by fingerprint like every request, so each list
  page is queued once, and a process joining during the seeding cannot see an empty frontier.
- **In flight.** A request taken from the queue is recorded in flight (with its serialized
  form) until this process has finished it: callback or errback output queued, its items
  through the pipelines and, when the storage pipeline says so, in the database. Scrapy's
  engine keeps a request in ``_slot.inprogress`` exactly until its output is handled (there is
  no public signal for that moment), so the scheduler compares its requests against that set.
- **Sharing the work.** Scrapy takes requests until 16 downloads run and 5 MB of responses
  wait to be parsed; on a shared frontier one worker would hold what the others could fetch.
  A worker takes none while ``FRONTIER_MAX_UNPARSED`` responses wait for its CPU, and sends a
  callback's requests to Redis in one round trip.
- **Round trips.** A worker takes ``FRONTIER_PREFETCH`` requests per round trip (each in flight
  under its own field from that moment) and hands them to the engine one by one: a round trip
  per request kept each worker of a two-worker crawl blocked ~0.5 s out of ~6 (bench), the two
  cores being busy with the workers when Redis had to answer. Requests taken but not started
  when a worker closes go back to the queue at once.
- **Dead workers.** Every worker renews its heartbeat every third of
  ``FRONTIER_INFLIGHT_TIMEOUT``; the requests of a worker whose heartbeat expired, or that left
  without finishing them (stopped), go back into the queue.
- **The end.** A worker closes when the queue is empty and no request is in flight anywhere;
  the last one out deletes the crawl's keys, fingerprints included, so the next crawl starts
  afresh (and reads the list pages again).
- **Duplicates across processes.** Every request the spider makes is filtered by fingerprint
  in the crawl's shared set, whatever its ``dont_filter`` (the spider dedupes article URLs in
  memory, which only holds within one process); only the retries and redirects of the
  downloader middlewares keep their ``dont_filter``, or a retry would be dropped as seen.

Over 300 lines because the points above are one state machine over one set of Redis keys
(queue, in-flight hash, heartbeats, claim): each method reads what the others write, and the
Redis side of it is already apart (``keys``, ``queue``, ``scripts``).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import deque
from typing import Any

from redis.exceptions import RedisError
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis import connection
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from crawler.config.loading import with_defaults
from crawler.frontier import scripts
from crawler.frontier.dupefilter import FrontierDupeFilter
from crawler.frontier.keys import FrontierKeys
from crawler.frontier.queue import FrontierQueue
from crawler.signals import items_stored

logger = logging.getLogger(__name__)


def new_worker_id() -> str:
    """host:pid:random, readable in ``redis-cli`` and unique across machines and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}".replace("#", "_")


class FrontierScheduler(Scheduler):
    def __init__(
        self,
        server: Any,
        crawler: Any,
        *,
        prefix: str,
        inflight_timeout: float,
        poll_interval: float,
        max_unparsed: int = 0,
        prefetch: int = 1,
    ) -> None:
        super().__init__(server, persist=True)
        self.crawler = crawler
        self.stats = crawler.stats
        self.prefix = prefix
        self.inflight_timeout = inflight_timeout
        self.poll_interval = poll_interval
        self.max_unparsed = max_unparsed
        self.prefetch = max(1, prefetch)
        self.push_delay = 0.005  # s: a callback's requests, yielded one per loop turn, batched
        self.worker = new_worker_id()
        self.keys: FrontierKeys | None = None
        self.crawl_id: str | None = None
        self._taken: dict[str, Request] = {}  # in-flight field -> the request being processed
        # Taken from Redis (in flight under these fields, with their scores) but not handed
        # to the engine yet.
        self._prefetched: deque[tuple[str, float, bytes]] = deque()
        self._to_push: list[tuple[Request, str]] = []  # (request, fingerprint) not in Redis yet
        self._push_call: Any = None  # the delayed call that sends them
        self._unstored: list[tuple[float, str]] = []  # (finished at, field) until stored
        self._hold_for_storage = False
        self._serial = 0
        self._next_beat = 0.0
        self._engine_asked = False  # the engine has asked for a request: the spider is open
        self._loop: LoopingCall | None = None
        self._heartbeat = server.register_script(scripts.HEARTBEAT)
        self._claim = server.register_script(scripts.CLAIM)
        self._reap_script = server.register_script(scripts.REAP)
        self._leave = server.register_script(scripts.LEAVE)
        self._give_back_script = server.register_script(scripts.GIVE_BACK)

    @classmethod
    def from_crawler(cls, crawler: Any) -> FrontierScheduler:
        settings = with_defaults(crawler.settings)
        server = connection.get_redis_from_settings(settings)
        server.ping()  # fail at start-up, not at the first request
        scheduler = cls(
            server,
            crawler,
            prefix=settings.get("FRONTIER_KEY_PREFIX"),
            inflight_timeout=max(1.0, settings.getfloat("FRONTIER_INFLIGHT_TIMEOUT")),
            poll_interval=max(0.01, settings.getfloat("FRONTIER_POLL_INTERVAL")),
            max_unparsed=max(0, settings.getint("FRONTIER_MAX_UNPARSED")),
            prefetch=max(1, settings.getint("FRONTIER_PREFETCH")),
        )
        crawler.signals.connect(scheduler._spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(scheduler._spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler._items_stored, signal=items_stored)
        return scheduler

    # -- open / close -------------------------------------------------------------------------

    def open(self, spider: Any) -> None:
        self.spider = spider
        self.keys = keys = FrontierKeys(self.prefix, getattr(spider, "frontier_name", spider.name))
        self.queue = FrontierQueue(
            self.server, spider, keys.queue, self.serializer, seen_key=keys.seen
        )
        self.df = FrontierDupeFilter(
            self.server, keys.seen, self.crawler,
            debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"),
        )
        new_id = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}"
        started, crawl_id = self._claim(
            keys=[keys.crawl, keys.workers], args=[new_id, self.worker, self.inflight_timeout]
        )
        self.crawl_id = crawl_id.decode() if isinstance(crawl_id, bytes) else str(crawl_id)
        spider.crawl_id = self.crawl_id  # recorded in crawl_runs by crawler.runs.recorder
        self.stats.set_value("frontier/worker", 1)
        self.stats.set_value("frontier/started_crawl", int(started))
        self._next_beat = time.monotonic() + self.inflight_timeout / 3
        logger.info(
            "frontier %s: %s crawl %s as worker %s (%d requests queued)",
            keys.name, "started" if started else "joined", self.crawl_id, self.worker,
            len(self.queue),
        )
        self._loop = LoopingCall(self._tick)
        self._loop.start(self.poll_interval, now=False)

    def close(self, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        assert self.keys is not None
        keys = self.keys
        try:
            self._push_queued()
            self._give_back()
            self._reconcile()
            # The pipelines are closed (before the scheduler): their last batch is written,
            # unless storage gave up on it, and then these requests go back to the queue.
            if not self.stats.get_value("storage/lost_items"):
                self._release([field for _, field in self._unstored])
                self._unstored.clear()
            left = len(self._taken) + len(self._unstored)
            deleted = self._leave(
                keys=[keys.queue, keys.inflight, keys.workers, keys.seen, keys.crawl],
                args=[self.worker],
            )
        except RedisError as exc:
            logger.error("frontier %s: cannot leave the crawl cleanly: %s", keys.name, exc)
            return
        if left:
            logger.warning(
                "frontier %s: %d requests not finished here go back to the queue",
                keys.name, left,
            )
        logger.info(
            "frontier %s: worker %s left (%s)%s", keys.name, self.worker, reason,
            "; crawl complete, its keys deleted" if deleted else "",
        )

    # -- queue --------------------------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        """Queued a few milliseconds later, with the rest of the callback's requests, in one
        round trip; so True means "will be offered", and a duplicate is counted when sent."""
        follow_up = "retry_times" in request.meta or "redirect_times" in request.meta
        fingerprint = "" if follow_up and request.dont_filter else self.df.request_fingerprint(
            request
        )
        self._to_push.append((request, fingerprint))
        if self._push_call is None:
            from twisted.internet import reactor

            self._push_call = reactor.callLater(self.push_delay, self._push_later)
        return True

    def _push_later(self) -> None:
        self._push_call = None
        try:
            self._push_queued()
        except RedisError as exc:  # kept; the next push, pop or tick tries again
            assert self.keys is not None
            logger.warning("frontier %s: Redis unavailable: %s", self.keys.name, exc)

    def _push_queued(self) -> None:
        """Send the requests waiting to be queued. Always before an in-flight entry is
        released: the request whose callback made them stays in flight until they are in
        Redis, so a worker killed in between loses nothing (its parent is re-queued)."""
        if not self._to_push:
            return
        if self._push_call is not None and self._push_call.active():
            self._push_call.cancel()
        self._push_call = None
        batch = self._to_push[:]
        results = self.queue.push_many(batch)
        del self._to_push[: len(batch)]
        best = None
        for (request, _), queued in zip(batch, results, strict=True):
            if queued:
                self.stats.inc_value("frontier/queued")
                best = -request.priority if best is None else min(best, -request.priority)
            else:
                self.df.log(request, self.spider)
                self.stats.inc_value("frontier/filtered")
        if best is not None and self._prefetched and best < max(s for _, s, _ in self._prefetched):
            # A request that goes before some taken here (the next list page, behind up to
            # FRONTIER_PREFETCH articles): they go back, so that the next take is in order.
            self._give_back()

    def next_request(self) -> Request | None:
        assert self.keys is not None
        self._engine_asked = True
        self._reconcile()
        if self._cpu_bound():
            return None
        self._push_queued()
        if not self._prefetched:
            fields = []
            for _ in range(self.prefetch):
                self._serial += 1
                fields.append(f"{self.worker}#{self._serial}")
            self._prefetched.extend(self.queue.pop_into(self.keys.inflight, fields))
            if not self._prefetched:
                return None
        field, _, data = self._prefetched.popleft()
        try:
            request = self.queue._decode_request(data)
        except Exception:  # noqa: BLE001 - a request this code cannot read must not loop
            logger.exception("frontier %s: dropping a request that cannot be decoded",
                             self.keys.name)
            self.stats.inc_value("frontier/undecodable")
            self._release([field])
            return None
        self._taken[field] = request
        self.stats.inc_value("frontier/taken")
        return request

    def _cpu_bound(self) -> bool:
        """Responses are waiting for this process's CPU: leave the queue to the other workers.

        Scrapy takes requests until 16 downloads run and 5 MB of responses wait to be parsed,
        ~100 pages here; on a shared frontier that one worker holds them while the others find
        the queue empty and idle (bench/crawl_throughput.py: a 765/257 page split). With
        ``FRONTIER_MAX_UNPARSED`` responses waiting, it takes none; the engine asks again as
        each one is done. Downloads are not limited: a network-bound crawl never waits here.
        """
        if not self.max_unparsed:
            return False
        slot = getattr(getattr(self.crawler.engine, "scraper", None), "slot", None)
        return slot is not None and len(slot.queue) + len(slot.active) >= self.max_unparsed

    def has_pending_requests(self) -> bool:
        return bool(self._to_push) or bool(self._prefetched) or len(self.queue) > 0

    def _give_back(self) -> None:
        """Requests taken from Redis that the engine never got: back into the queue now, for
        the workers still running (kept in flight if Redis is away: reaped later)."""
        if not self._prefetched or self.keys is None:
            return
        fields = [field for field, _, _ in self._prefetched]
        given = int(self._give_back_script(keys=[self.keys.inflight, self.keys.queue],
                                           args=fields))
        self._prefetched.clear()
        if given:
            self.stats.inc_value("frontier/given_back", given)

    # -- in flight ----------------------------------------------------------------------------

    def _in_progress(self) -> set[Request]:
        slot = getattr(self.crawler.engine, "_slot", None)
        return getattr(slot, "inprogress", set()) if slot is not None else set()

    def _reconcile(self) -> None:
        """Requests the engine has finished leave ``_taken``: released now, or once stored."""
        if not self._taken:
            return
        busy = self._in_progress()
        done = [field for field, request in self._taken.items() if request not in busy]
        if not done:
            return
        for field in done:
            del self._taken[field]
        if self._hold_for_storage:
            now = time.monotonic()
            self._unstored.extend((now, field) for field in done)
        else:
            self._release(done)

    def _release(self, fields: list[str]) -> None:
        if fields and self.keys is not None:
            self._push_queued()
            self.server.hdel(self.keys.inflight, *fields)

    def _items_stored(self, since: float) -> None:
        """Every item handed to storage before ``since`` (monotonic) is in the database."""
        self._reconcile()
        stored = [field for at, field in self._unstored if at <= since]
        if stored:
            self._unstored = [(at, field) for at, field in self._unstored if at > since]
            self._release(stored)

    def _spider_opened(self, spider: Any) -> None:
        # The item pipelines are open now (after the scheduler): hold finished requests in
        # flight until their items are stored when a pipeline announces it.
        itemproc = getattr(getattr(self.crawler.engine, "scraper", None), "itemproc", None)
        self._hold_for_storage = any(
            getattr(p, "sends_items_stored", False) for p in getattr(itemproc, "middlewares", ())
        )
        self.stats.set_value("frontier/held_until_stored", int(self._hold_for_storage))

    # -- liveness and the end -----------------------------------------------------------------

    def _reap(self) -> int:
        assert self.keys is not None
        requeued = int(self._reap_script(
            keys=[self.keys.workers, self.keys.inflight, self.keys.queue]
        ))
        if requeued:
            self.stats.inc_value("frontier/requeued", requeued)
            logger.warning(
                "frontier %s: %d requests of dead or stopped workers back in the queue",
                self.keys.name, requeued,
            )
        return requeued

    def _tick(self) -> None:
        assert self.keys is not None
        try:
            self._reconcile()
            now = time.monotonic()
            if now >= self._next_beat:
                self._heartbeat(keys=[self.keys.workers],
                                args=[self.worker, self.inflight_timeout])
                self._next_beat = now + self.inflight_timeout / 3
                self._reap()
        except RedisError as exc:
            logger.warning("frontier %s: Redis unavailable: %s", self.keys.name, exc)
            return
        # Other workers queue requests too: look at the queue again (the engine's own
        # heartbeat comes every 5 s only). Not before the engine first asked for a request
        # itself: the scheduler opens before the item pipelines and the spider_opened
        # handlers, and a request fetched before those ran met middlewares not set up yet (a
        # joining worker's robots.txt request was refused as a non-public address before the
        # address guard exempted the portal, so robots.txt counted as missing: all allowed).
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and self._engine_asked:
            slot.nextcall.schedule()

    def _spider_idle(self, spider: Any) -> None:
        """Close only when the whole crawl is done, not just this worker's share of it."""
        assert self.keys is not None
        try:
            self._push_queued()
            self._reconcile()
            self._reap()
            pipe = self.server.pipeline(transaction=True)
            pipe.zcard(self.keys.queue).hlen(self.keys.inflight)
            queued, in_flight = pipe.execute()
        except RedisError as exc:
            logger.warning("frontier %s: Redis unavailable: %s", self.keys.name, exc)
            raise DontCloseSpider from exc
        # This worker's own finished-but-unstored requests do not keep it open: closing
        # writes them (the pipelines close before the scheduler), or gives them back.
        if queued or in_flight > len(self._unstored):
            raise DontCloseSpider
