"""scrapy-redis's priority queue, taking requests into a per-worker in-flight record.

A request popped by a worker stays in Redis (with its score) until the worker has finished it,
so that a worker that dies mid-request loses nothing: ``REAP`` puts its requests back.
``cb_kwargs`` are stored as plain data through the spider's ``dump_cb_kwargs`` /
``load_cb_kwargs`` (the portal spider passes a ``Target`` between callbacks).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.utils.request import request_from_dict
from scrapy_redis.queue import PriorityQueue

from crawler.frontier import scripts


class FrontierQueue(PriorityQueue):
    def __init__(
        self, server: Any, spider: Any, key: str, serializer: Any = None, seen_key: str = ""
    ) -> None:
        super().__init__(server, spider, key, serializer)
        self.seen_key = seen_key or f"{self.key}:seen"
        self._push = server.register_script(scripts.PUSH)
        self._pop = server.register_script(scripts.POP)

    def _encode_request(self, request: Request) -> bytes:
        data = self._request_dict(request)
        dump = getattr(self.spider, "dump_cb_kwargs", None)
        if dump is not None and data.get("cb_kwargs"):
            data["cb_kwargs"] = dump(data["cb_kwargs"])
        return self.serializer.dumps(data)

    def _request_dict(self, request: Request) -> dict[str, Any]:
        """``request.to_dict(spider=...)``, without its search for the callback's name.

        Scrapy finds a callback's name with ``inspect.getmembers(spider)``, every attribute of
        the spider read twice per request (callback and errback): ~0.1 ms a request, a tenth of
        the frontier's cost per page. A method of this spider is named by its ``__name__``
        once checked; anything else goes the stock way.
        """
        names = []
        for func in (request.callback, request.errback):
            name = self._method_name(func)
            if name is None:
                return request.to_dict(spider=self.spider)
            names.append(name)
        data: dict[str, Any] = {"url": request.url, "callback": names[0],
                                "errback": names[1], "headers": dict(request.headers)}
        for attr in request.attributes:
            data.setdefault(attr, getattr(request, attr))
        if type(request) is not Request:
            data["_class"] = f"{type(request).__module__}.{type(request).__name__}"
        return data

    def _method_name(self, func: Any) -> Any:
        """The name of a bound method of the spider, ``func`` itself when it is no callable
        (``None``, a name already); ``None`` when Scrapy's own search must decide."""
        if not callable(func):
            return func
        if getattr(func, "__self__", None) is not self.spider:
            return None
        name = func.__name__
        own = getattr(self.spider, name, None)
        if getattr(own, "__func__", None) is not getattr(func, "__func__", func):
            return None
        return name

    def _decode_request(self, encoded_request: bytes) -> Request:
        data = self.serializer.loads(encoded_request)
        load = getattr(self.spider, "load_cb_kwargs", None)
        if load is not None and data.get("cb_kwargs"):
            data["cb_kwargs"] = load(data["cb_kwargs"])
        return request_from_dict(data, spider=self.spider)

    def push(self, request: Request, fingerprint: str = "") -> bool:  # type: ignore[override]
        """Queue ``request``; with a fingerprint, only if no worker queued it in this crawl."""
        return self.push_many([(request, fingerprint)])[0]

    def push_many(self, requests: list[tuple[Request, str]]) -> list[bool]:
        """Queue several requests in one round trip (a list page yields ~50 at once); for
        each, whether it was queued (False: its fingerprint was seen in this crawl)."""
        pipe = self.server.pipeline(transaction=False)
        for request, fingerprint in requests:
            self._push(
                keys=[self.key, self.seen_key],
                args=[-request.priority, self._encode_request(request), fingerprint],
                client=pipe,
            )
        return [bool(pushed) for pushed in pipe.execute()]

    def pop_into(
        self, inflight_key: str, fields: list[str]
    ) -> list[tuple[str, float, bytes]]:
        """Take up to ``len(fields)`` best requests, best first, recorded in the in-flight
        hash under those fields in order; (field, score, bytes) of each taken (decoded by the
        caller, which drops the entry if they cannot be decoded; lower scores go first)."""
        taken: list[bytes] = self._pop(keys=[self.key, inflight_key], args=fields) or []
        return [(field, float(score), data)
                for field, data, score in zip(fields, taken[0::2], taken[1::2], strict=False)]
