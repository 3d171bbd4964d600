"""Everything a scheduler run is configured with, passed explicitly (no module-level config)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from crawler.config.profiles import Schedule, parse_interval

DEFAULT_TIMEOUT_SECONDS = 30 * 60


@dataclass(frozen=True)
class SchedulerOptions:
    database_url: str
    portals_file: Path
    project_dir: Path  # where scrapy.cfg is: the child crawl's working directory
    logs_dir: Path
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    stop_grace_seconds: float = 60.0  # a running crawl may finish this long after SIGTERM
    kill_grace_seconds: float = 10.0  # SIGTERM -> SIGKILL
    lease_ttl_seconds: float = 120.0
    heartbeat_seconds: float = 30.0
    parallel: int = 3
    workers: int = 1  # crawl processes per run, on the shared frontier (crawler.frontier)
    keep_logs: int = 20  # per portal
    max_log_bytes: int = 200 * 1024 * 1024  # all portals together
    scrapy_settings: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    python: str = sys.executable

    def timeout_for(self, schedule: Schedule) -> float:
        """The profile's own timeout wins: a slow portal should not force a global one."""
        return float(schedule.timeout_seconds or self.timeout_seconds)


def parse_duration(text: str) -> float:
    """``90``/``0.5`` (seconds) or ``30m``-style, for CLI flags and env vars.

    Fractions of a second exist for tests, which need short grace periods to stay fast.
    """
    try:
        value = float(text)
    except ValueError:
        seconds = parse_interval(text)
        if seconds is None:
            raise ValueError(f"not a duration: {text!r} (write e.g. 90, 90s, 30m or 2h)") from None
        return float(seconds)
    if value <= 0:
        raise ValueError(f"not a positive duration: {text!r}")
    return value
