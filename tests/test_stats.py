"""The figures: real requests and timelines in a real database, read back through foia.stats."""
import datetime as dt

import pytest

from foia import agencies, errors, jobs, requests, scheduler, stats

TODAY = dt.date(2026, 9, 15)


@pytest.fixture
def sdb(app, db):
    stats.migrations.apply(db)
    return db


def _agency(db, name, state):
    return agencies.upsert(db, {"name": name, "state": state})[0]


def _request(db, agency_id, filed_on, *events):
    request_id = requests.create_request(db, agency_id=agency_id, title=f"Ring records {filed_on}", filed_on=filed_on)
    for kind, on in events:
        requests.add_event(db, request_id, kind, on)
    return request_id


def test_record_counts_on_time_late_and_medians(sdb):
    ca = _agency(sdb, "Fresno Police Department", "CA")
    _request(sdb, ca, "2026-08-03", ("acknowledged", "2026-08-05"), ("records_released", "2026-08-10"))
    _request(sdb, ca, "2026-06-01", ("acknowledged", "2026-06-09"))  # open, long past due: late
    _request(sdb, ca, "2026-09-14")  # not yet due: not judged
    record = stats.agency_record(sdb, ca, TODAY)
    assert record.label == "Fresno Police Department"
    assert (record.requests, record.on_time, record.late) == (3, 1, 1)
    assert record.on_time_share == 0.5
    assert record.median_days_to_response == 5  # 2 and 8 days
    assert record.median_days_to_release == 7
    assert record.outcomes == {"filed": 1, "acknowledged": 1, "released": 1}
    with pytest.raises(errors.NotFound):
        stats.agency_record(sdb, 999, TODAY)


def test_instance_figures_per_state_and_overdue_over_time(sdb):
    ca = _agency(sdb, "Fresno Police Department", "CA")
    tx = _agency(sdb, "Austin Police Department", "TX")
    _request(sdb, ca, "2026-06-01")
    _request(sdb, tx, "2026-08-03", ("denied", "2026-08-04"))
    shown = stats.current(sdb, TODAY)
    assert shown["pending"] is False
    figures = shown["figures"]
    assert [r.key for r in figures["per_state"]] == ["CA", "TX"]
    assert [(r.late, r.on_time) for r in figures["per_state"]] == [(1, 0), (0, 1)]
    assert figures["overall"].requests == 2
    overdue = figures["overdue"]
    # The CA request is overdue since mid-June (10 calendar days); the TX one was answered.
    assert overdue == [(TODAY - dt.timedelta(weeks=n), 1) for n in range(11, -1, -1)]
    # A new request is seen at the next look (the figures follow the timeline).
    _request(sdb, ca, "2026-08-20")  # due 31 Aug: overdue from 1 Sep
    figures = stats.current(sdb, TODAY)["figures"]
    assert figures["overall"].requests == 3
    assert [n for _, n in figures["overdue"]][-4:] == [1, 2, 2, 2]  # 25 Aug, 1 Sep, 8 Sep, 15 Sep


def test_large_instance_queues_the_refresh_job(sdb, app, monkeypatch):
    ca = _agency(sdb, "Fresno Police Department", "CA")
    _request(sdb, ca, "2026-06-01")
    monkeypatch.setattr(stats, "INLINE_LIMIT", 0)
    shown = stats.current(sdb, TODAY)
    assert shown["pending"] is True and shown["figures"] is None
    assert jobs.latest(sdb, "stats.refresh")["state"] == "queued"
    scheduler.run_jobs(app.extensions["foia"])
    assert jobs.latest(sdb, "stats.refresh")["state"] == "done"
    shown = stats.current(sdb, TODAY)
    assert shown["pending"] is False and shown["figures"]["overall"].late == 1


def test_campaign_states_least_advanced_decides(sdb):
    rows = [
        {"state": "CA", "status": "released", "filed_on": "2026-08-01", "answered_on": "2026-08-09", "due_on": "2026-08-10"},
        {"state": "CA", "status": "filed", "filed_on": "2026-08-01", "answered_on": None, "due_on": "2026-08-10"},
        {"state": "FL", "status": "draft", "filed_on": None, "answered_on": None, "due_on": None},
    ]
    assert stats.campaign_states(rows, TODAY) == {
        "CA": ("overdue", {"overdue": 1, "answered": 1}), "FL": ("not_filed", {"not_filed": 1})}


def test_sorted_records_worst_first_unknown_last(sdb):
    fresno = _agency(sdb, "Fresno Police Department", "CA")
    austin = _agency(sdb, "Austin Police Department", "TX")
    tigard = _agency(sdb, "Tigard Police Department", "OR")
    _request(sdb, fresno, "2026-08-03", ("acknowledged", "2026-08-04"), ("records_released", "2026-08-05"))
    _request(sdb, austin, "2026-08-03", ("acknowledged", "2026-08-13"))  # open past due: late
    _request(sdb, tigard, "2026-09-14")  # not judged, no response yet
    found = stats.current(sdb, TODAY)["figures"]["per_agency"]
    names = lambda records: [r.label.split(" Police")[0] for r in records]  # noqa: E731
    assert names(stats.sorted_records(found, "on_time")[0]) == ["Austin", "Fresno", "Tigard"]
    assert names(stats.sorted_records(found, "response")[0]) == ["Austin", "Fresno", "Tigard"]  # 10 days, 1 day
    assert names(stats.sorted_records(found, "release")[0]) == ["Fresno", "Austin", "Tigard"]  # only Fresno released
    ordered, used = stats.sorted_records(found, "bogus")
    assert used == "name" and names(ordered) == ["Austin", "Fresno", "Tigard"]
    assert stats.sorted_records(found, "requests")[1] == "requests"
    record = stats.agency_record(sdb, fresno, TODAY)
    assert (record.median_days_to_response, record.median_days_to_release) == (1, 2)


def test_fingerprint_sees_dates_rewritten_within_the_same_second(sdb):
    ca = _agency(sdb, "Fresno Police Department", "CA")
    first = _request(sdb, ca, "2026-08-03")
    _request(sdb, ca, "2026-08-04")
    before = stats._fingerprint(sdb)
    stamp = sdb.execute("SELECT max(changed_at) FROM request_dates").fetchone()[0]
    # The deadlines store rewrites a row as the next revision, stamped with this same second.
    sdb.execute("UPDATE request_dates SET sequence = sequence + 1, changed_at = ? WHERE request_id = ?", [stamp, first])
    after = stats._fingerprint(sdb)
    assert before[0] == after[0] and before[1] != after[1]
    plan = " ".join(r[3] for r in sdb.execute(
        "EXPLAIN QUERY PLAN SELECT count(*), sum(sequence) FROM request_dates WHERE changed_at = ?", [stamp]))
    assert "request_dates_changed" in plan
