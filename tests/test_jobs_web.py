"""A job's state in words on the jobs pages."""
import datetime as dt

import pytest

from foia.web.jobs import state_words

TODAY = dt.date(2026, 12, 1)


@pytest.mark.parametrize("job, words", [
    ({"state": "queued", "attempts": 0}, "Waiting"),
    ({"state": "running", "progress_done": 120, "progress_total": 200}, "Running: 120 of 200"),
    ({"state": "running", "progress_done": 0, "progress_total": None}, "Running"),
    ({"state": "queued", "attempts": 2, "run_after": "2026-12-01T12:30:00"}, "Failed: will retry at 12:30"),
    ({"state": "queued", "attempts": 1, "run_after": "2026-12-02T00:15:00"}, "Failed: will retry at Wed 2 Dec 2026, 00:15"),
    ({"state": "failed", "attempts": 5}, "Failed after 5 attempts"),
    ({"state": "failed", "attempts": 1}, "Failed after 1 attempt"),
    ({"state": "done", "progress_done": 1200, "progress_total": 1200}, "Done: 1,200 of 1,200"),
    ({"state": "cancelled"}, "Cancelled"),
])
def test_state_words(job, words):
    assert state_words(job, TODAY) == words
