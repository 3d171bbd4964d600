"""Answers that never end: what a crawl must give up on by itself.

A slow-loris keeps the connection alive with one byte now and then, so a per-read idle timeout
never trips; only a bound on the whole download ends it. An endless stream sends a chunked body
with no end at full speed, so only a bound on the bytes received ends it. Both stop when the
client hangs up or the simulator stops, so a test leaves no thread writing behind it.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

_CHUNK = b"<p>" + "无尽的数据流".encode() * 2700 + b"</p>\n"  # ~48 KB of HTML per chunk


def slow_loris(handler: BaseHTTPRequestHandler, interval: float,
               stopping: threading.Event) -> None:
    """Headers of a chunked page (no length to refuse it by), then a one-byte chunk every
    ``interval`` seconds until the client leaves."""
    _chunked_headers(handler)
    try:
        handler.wfile.write(b"1\r\n<\r\n")
        while not stopping.wait(interval):
            handler.wfile.write(b"1\r\np\r\n")
    except OSError:  # the client gave up: what it should do
        return


def endless_stream(handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
    """A chunked body that never ends, as fast as the client reads it."""
    _chunked_headers(handler)
    frame = f"{len(_CHUNK):x}\r\n".encode() + _CHUNK + b"\r\n"
    try:
        handler.wfile.write(b"6\r\n<html>\r\n")
        while not stopping.is_set():
            handler.wfile.write(frame)
    except OSError:
        return


def _chunked_headers(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    handler.close_connection = True
