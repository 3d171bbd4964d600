"""What a crawl_runs row says about a run: its status and its error count."""

from __future__ import annotations

from crawler.runs.recorder import run_errors, run_status


def test_a_run_that_read_its_list_pages_is_ok() -> None:
    assert run_status({"portal/list_pages": 3}, "finished") == ("ok", None)


def test_a_run_that_read_no_list_page_failed_and_says_why() -> None:
    status, message = run_status({"portal/errors/http_503": 2}, "finished")
    assert status == "failed"
    assert message == "no section list page could be fetched (http_503=2)"


def test_a_stopped_run_is_killed_and_a_lost_batch_is_a_failure() -> None:
    assert run_status({"portal/list_pages": 1}, "shutdown")[0] == "killed"
    assert run_status({"portal/list_pages": 1, "storage/failed_batches": 1}, "finished") == (
        "failed", "storage failed: some articles could not be written")


def test_errors_count_page_faults_storage_failures_and_exceptions_on_a_page() -> None:
    stats = {"portal/errors": 4, "storage/errors": 1, "spider_exceptions/count": 2,
             "spider_exceptions/WorkerCrashed": 2, "portal/list_pages": 1}
    assert run_errors(stats) == 7
    assert run_errors({}) == 0


def test_a_frontier_worker_that_found_every_list_page_taken_is_ok() -> None:
    # On a shared frontier another worker may have read every list page: not a failure...
    assert run_status({"frontier/worker": 1}, "finished") == ("ok", None)
    # ... unless a list page failed here.
    status, _ = run_status({"frontier/worker": 1, "portal/list_errors": 1}, "finished")
    assert status == "failed"
