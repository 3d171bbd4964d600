"""The schema's migrations (Alembic scripts in ``versions/``).

``HEAD_REVISION`` names the newest one, so that a crawl can tell a database needs no migration
without importing Alembic (``crawler.storage.engine.upgrade_database``); a test checks it
against Alembic's own idea of the head, so a new migration cannot be forgotten here.
"""

HEAD_REVISION = "0008"
