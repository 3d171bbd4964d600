"""An outage is one ERROR line and one INFO line, whatever number of calls fail meanwhile."""

from __future__ import annotations

import logging

from crawler.storage.outage import OutageLog


def test_many_failures_are_one_error_line_and_the_recovery_one_info_line(caplog):
    caplog.set_level(logging.DEBUG, logger="test.outage")
    outage = OutageLog(logging.getLogger("test.outage"), "storage: the database")
    assert outage.worked() is False  # nothing to report while it works
    assert outage.failed("connection refused", "spooling") is True
    for _ in range(50):
        assert outage.failed("connection refused") is False
    assert outage.worked("replayed 200 spooled articles") is True
    levels = [r.levelname for r in caplog.records if r.levelname != "DEBUG"]
    assert levels == ["ERROR", "INFO"]
    assert "unavailable (connection refused); spooling" in caplog.records[0].getMessage()
    assert "works again" in caplog.records[-1].getMessage()
    assert not outage.away


def test_during_an_outage_the_database_is_tried_at_most_every_interval():
    outage = OutageLog(logging.getLogger("test.outage"), "lookups")
    assert outage.should_try(60) is True  # working: every call tries
    assert outage.should_try(60) is True
    outage.failed("timeout")
    assert outage.should_try(60) is False
    assert outage.should_try(0) is True
    outage.worked()
    assert outage.should_try(60) is True
