"""The scheduler behind ``scheduler.py``: portal profiles -> timed, isolated, recorded crawls.

Split by job so each piece can be tested alone: ``jobs`` (profiles -> APScheduler triggers),
``lease`` (cross-process mutual exclusion in the database), ``child`` (one crawl in a child
process with timeout and kill), ``runner`` (lease + row + child for one portal), ``service``
and ``once`` (the two ways users run it), ``status`` (monitoring report).
"""
