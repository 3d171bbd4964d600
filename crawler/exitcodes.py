"""Exit codes shared by ``scrapy crawl portal``, ``scheduler.py`` and ``portal``.

One table for every command, so that cron, systemd and monitoring read the same number the
same way (README, "Exit codes"):

- 0: the run (or every run) finished ``ok``; ``--status``: every portal healthy.
- 1: a run failed or was killed, the database could not be reached, or ``--status`` found a
  portal failed, overdue or with dropping extraction coverage. Retrying later may help.
- 2: configuration error (bad ``-a`` argument, bad profile YAML, bad ``DATABASE_URL``, bad
  option). Retrying will not help: a person has to fix it; systemd should not restart.
- 3: ``scheduler.py --once`` only: some portal was skipped because another crawl of it was in
  progress, and none failed.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_DATABASE = 1  # same as a failed run: the crawl could not do its work, try again later
EXIT_CONFIG = 2
EXIT_SKIPPED = 3
