"""Structured ``key=value`` log lines, so that journald/grep/log shippers can parse runs."""

from __future__ import annotations

import logging
import re

logger = logging.getLogger("crawler.schedule")

_PLAIN = re.compile(r"^[\w.:/@+-]+$")


def _quote(value: object) -> str:
    text = str(value)
    if text and _PLAIN.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def format_event(event: str, **fields: object) -> str:
    parts = [f"event={event}"]
    parts += [f"{key}={_quote(value)}" for key, value in fields.items() if value is not None]
    return " ".join(parts)


def log_event(event: str, level: int = logging.INFO, **fields: object) -> None:
    logger.log(level, format_event(event, **fields))
