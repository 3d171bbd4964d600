"""A per-portal lease in the database: at most one crawl of a portal at a time, machine-wide
and across machines sharing the database.

A lock file would not cover two hosts, and an advisory lock dies with its connection (and does
not exist on SQLite); a row with an expiry works on both backends and survives a crashed holder
only until ``expires_at``. The holder renews it (heartbeat) while its crawl runs, so the TTL
can be short without limiting how long a crawl may take. Clocks of hosts sharing a database
must be roughly in sync (NTP): expiry is compared with the acquiring host's clock.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Engine, MetaData, String, Table, delete, select, update

from crawler.storage.engine import conflict_insert
from crawler.storage.tables import UTCDateTime, utcnow

metadata = MetaData()

# Mirrors migration 0003 (the migration is the source of truth for the schema).
crawl_leases = Table(
    "crawl_leases",
    metadata,
    Column("portal", String(200), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("heartbeat_at", UTCDateTime(), nullable=False),
)


def new_holder() -> str:
    """Who holds a lease, readable in skip messages: host, pid and a per-run nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class LeaseInfo:
    portal: str
    holder: str
    expires_at: datetime


class Lease:
    """One portal's lease as seen by one would-be holder."""

    def __init__(self, engine: Engine, portal: str, holder: str, ttl_seconds: float) -> None:
        self.engine = engine
        self.portal = portal
        self.holder = holder
        self.ttl = timedelta(seconds=ttl_seconds)

    def acquire(self) -> bool:
        """Take the lease if free or expired, in one statement (atomic on both backends).

        The upsert only updates an existing row when it has expired; whether a row comes back
        tells whether this holder got it. No read-then-write window for a second scheduler.
        """
        now = utcnow()
        values = {"portal": self.portal, "holder": self.holder, "acquired_at": now,
                  "expires_at": now + self.ttl, "heartbeat_at": now}
        stmt = conflict_insert(self.engine, crawl_leases).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[crawl_leases.c.portal],
            set_={k: stmt.excluded[k] for k in ("holder", "acquired_at", "expires_at",
                                                 "heartbeat_at")},
            where=crawl_leases.c.expires_at < now,
        )
        with self.engine.begin() as conn:
            # RETURNING rather than rowcount: drivers disagree on rowcount for upserts.
            return conn.execute(stmt.returning(crawl_leases.c.holder)).first() is not None

    def renew(self) -> bool:
        """Push ``expires_at`` forward; False when the lease was lost (expired and taken)."""
        now = utcnow()
        stmt = (update(crawl_leases)
                .where(crawl_leases.c.portal == self.portal,
                       crawl_leases.c.holder == self.holder)
                .values(expires_at=now + self.ttl, heartbeat_at=now))
        with self.engine.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def release(self) -> None:
        """Give the lease back; only our own, so a taken-over lease is never freed by mistake."""
        stmt = delete(crawl_leases).where(crawl_leases.c.portal == self.portal,
                                          crawl_leases.c.holder == self.holder)
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def current(self) -> LeaseInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(crawl_leases).where(
                crawl_leases.c.portal == self.portal)).first()
        if row is None:
            return None
        return LeaseInfo(row.portal, row.holder, row.expires_at)
