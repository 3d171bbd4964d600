"""Every crawl brings its database to the newest schema itself, and pays for Alembic only when
there is something to migrate (a crawl worker's start-up is paid again by every process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from crawler.storage.engine import _UPGRADED, alembic_config, make_engine, upgrade_database
from crawler.storage.migrations import HEAD_REVISION

ROOT = Path(__file__).resolve().parent.parent


def test_the_head_revision_named_in_code_is_alembics_head() -> None:
    """A new migration without HEAD_REVISION bumped would never run on existing databases."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head == HEAD_REVISION


def _open_in_new_process(url: str) -> str:
    """Open the database as a crawl does, in a fresh interpreter; say whether Alembic loaded."""
    code = ("import sys\nfrom crawler.storage.dburl import open_database\n"
            f"open_database({url!r}).dispose()\nprint('alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_new_database_is_migrated_and_an_up_to_date_one_opens_without_alembic(
    backend_url: str,
) -> None:
    assert _open_in_new_process(backend_url) == "True"  # new: migrated
    engine = make_engine(backend_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() \
            == HEAD_REVISION
    assert {"articles", "crawl_runs", "tags"} <= set(inspect(engine).get_table_names())
    engine.dispose()
    assert _open_in_new_process(backend_url) == "False"  # at head: one query, no Alembic


def test_a_database_of_an_older_schema_is_still_migrated(backend_url: str) -> None:
    engine = make_engine(backend_url)
    upgrade_database(engine, "0005")
    _UPGRADED.clear()  # as a new process would start
    upgrade_database(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() \
            == HEAD_REVISION
        conn.execute(text("SELECT drops FROM crawl_runs"))  # a column of 0007
    engine.dispose()


def test_the_tables_the_crawl_writes_with_are_the_tables_the_migrations_build(
    backend_url: str,
) -> None:
    """``crawler.storage.tables`` (what the crawl and the ORM classes use) and the migrations
    (what a database really has) describe the same columns, types, keys and indexes; tables
    that other modules own (search index, dedup keys, leases) are theirs to check."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from crawler.storage.tables import metadata

    engine = make_engine(backend_url)
    upgrade_database(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                metadata)
    engine.dispose()
    ours = set(metadata.tables)
    search_index = "ix_articles_text_trgm"  # PostgreSQL's search index (migration 0006)
    mismatches = [d for d in diff if not (d[0] == "remove_table" and d[1].name not in ours)
                  and not (d[0] == "remove_index" and (d[1].table.name not in ours
                                                       or d[1].name == search_index))]
    assert mismatches == []


def test_the_crawl_does_not_load_the_orm_or_postgresqls_dialect() -> None:
    """The crawl path is Core only: ``sqlalchemy.orm`` costs every worker's start-up ~60 ms,
    and a crawl into SQLite has no use for PostgreSQL's dialect (~25 ms)."""
    code = ("import sys\nimport crawler.commands.crawl, crawler.spiders.portal\n"
            "import pipelines.storage, pipelines.dedup.pipeline, crawler.runs.coverage\n"
            "import crawler.runs.section_walks, crawler.frontier.scheduler\n"
            "print('sqlalchemy.orm' in sys.modules, "
            "'sqlalchemy.dialects.postgresql' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False False"
