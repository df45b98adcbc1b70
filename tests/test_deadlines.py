"""Deadlines beside the engine (tests/test_deadlines_engine.py): the settings, per-law settings, the
stored dates and the bulk recompute, and the dashboard."""
import csv
import datetime as dt
import json

import pytest

from foia import deadlines, errors, laws, lifecycle, recompute, reminders, scheduler

D = dt.date.fromisoformat
TODAY = D("2026-09-15")
STAMP = "2026-09-01T09:00:00"


# --- law settings -------------------------------------------------------------------------------

def test_law_settings_file_is_valid_and_sourced():
    settings = deadlines.read_law_settings()
    assert settings["PA"].appeal_days == 15 and settings["PA"].appeal_day_type == "business"
    assert all(s.source for s in settings.values())
    assert deadlines.law_settings("WY") == deadlines.LawSettings("WY")


@pytest.mark.parametrize("row, message", [
    ({"jurisdiction": "ZZ"}, "unknown jurisdiction"),
    ({"jurisdiction": "CA", "clarification_restarts_period": "yes"}, "must be 0 or 1"),
    ({"jurisdiction": "CA", "appeal_days": "ten"}, "not a whole number"),
    ({"jurisdiction": "CA", "appeal_days": "900"}, "out of range"),
    ({"jurisdiction": "CA", "appeal_day_type": "weekly"}, "not business or calendar"),
])
def test_bad_law_settings_rows(tmp_path, row, message):
    path = tmp_path / "law-settings.csv"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, ["jurisdiction", "clarification_restarts_period", "appeal_days",
                                    "appeal_day_type", "source"])
        writer.writeheader()
        writer.writerow(row)
    with pytest.raises(ValueError, match=message):
        deadlines.read_law_settings(path)


def test_settings_from_config_and_table(db):
    settings = deadlines.load_settings(db, {"FOLLOW_UP_BUSINESS_DAYS": 12})
    assert settings.follow_up_business_days == 12
    deadlines.save_settings(db, {"follow_up_business_days": "7", "digest": True, "group_email": "team@example.org"})
    settings = deadlines.load_settings(db, {"FOLLOW_UP_BUSINESS_DAYS": 12})
    assert (settings.follow_up_business_days, settings.digest, settings.group_email) == (7, True, "team@example.org")
    with pytest.raises(ValueError, match="out of range"):
        deadlines.save_settings(db, {"follow_up_business_days": "0", "reminder_hour": "3"})
    assert deadlines.load_settings(db).reminder_hour == 9  # nothing of the bad form was stored
    with pytest.raises(ValueError, match="not an e-mail"):
        deadlines.save_settings(db, {"group_email": "nobody"})


# --- the database side --------------------------------------------------------------------------

@pytest.fixture
def ddb(db):
    deadlines.migrations.apply(db)
    reminders.migrations.apply(db)
    return db


def add_agency(db, state, closed_days=(), name=None):
    return db["agencies"].insert({
        "name": name or f"{state} Police Department", "state": state, "closed_days": json.dumps(list(closed_days)),
        "created_at": STAMP, "updated_at": STAMP}).last_pk


def add_request(db, agency_id, events, owner_id=None, title="Ring partnership records"):
    timeline = [{"kind": kind, "occurred_on": on, "data": rest[0] if rest else {}} for kind, on, *rest in events]
    request_id = db["requests"].insert({
        "agency_id": agency_id, "title": title, "status": lifecycle.derive_status(timeline),
        "owner_id": owner_id, "created_at": STAMP, "updated_at": STAMP}).last_pk
    for event in timeline:
        db["events"].insert({"request_id": request_id, "kind": event["kind"], "occurred_on": event["occurred_on"],
                             "recorded_at": STAMP, "data": json.dumps(event["data"])})
    return request_id


def test_refresh_writes_due_on_and_dates(ddb):
    request_id = add_request(ddb, add_agency(ddb, "CA"), [("filed", "2026-08-28")])
    dates = recompute.request(ddb, request_id, today=TODAY)
    assert dates.due == D("2026-09-08") and dates.overdue
    assert ddb["requests"].get(request_id)["due_on"] == "2026-09-08"
    row = ddb["request_dates"].get(request_id)
    assert (row["target_kind"], row["due"], row["clock"], row["sequence"]) == ("legal", "2026-09-08", "running", 0)
    # Nothing moved: same sequence. A claimed extension moves the date: the sequence goes up.
    recompute.request(ddb, request_id, today=TODAY)
    assert ddb["request_dates"].get(request_id)["sequence"] == 0
    ddb["events"].insert({"request_id": request_id, "kind": "extension_claimed", "occurred_on": "2026-09-04",
                          "recorded_at": STAMP, "data": "{}"})
    recompute.request(ddb, request_id, today=TODAY)
    assert ddb["requests"].get(request_id)["due_on"] == "2026-09-21"
    assert ddb["request_dates"].get(request_id)["sequence"] == 1


def test_refresh_follows_agency_closed_days_and_law_changes(ddb, tmp_path):
    agency = add_agency(ddb, "GA")
    request_id = add_request(ddb, agency, [("filed", "2026-06-15")])
    assert recompute.request(ddb, request_id, today=TODAY).due == D("2026-06-18")
    ddb["agencies"].update(agency, {"closed_days": '["2026-06-16"]'})
    assert recompute.request(ddb, request_id, today=TODAY).due == D("2026-06-22")
    with open(laws.LAWS_CSV, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = [dict(row, response_days="5") if row["jurisdiction"] == "GA" else row for row in reader]
    table = tmp_path / "laws-v2.csv"
    with open(table, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=reader.fieldnames)
        writer.writeheader()
        writer.writerows(rows)
    laws.load_into(ddb, table)
    assert recompute.request(ddb, request_id, today=TODAY).due == D("2026-06-24")


def test_refresh_no_period_law_stores_the_follow_up(ddb):
    request_id = add_request(ddb, add_agency(ddb, "AZ"), [("filed", "2026-09-01")])
    recompute.request(ddb, request_id, today=TODAY)
    assert ddb["requests"].get(request_id)["due_on"] == "2026-09-16"
    assert ddb["request_dates"].get(request_id)["target_kind"] == "follow_up"


def test_refresh_unknown_request(ddb):
    with pytest.raises(errors.NotFound):
        recompute.request(ddb, 999, today=TODAY)


def test_refresh_all_matches_refresh(ddb):
    ids = []
    for state, day in [("CA", "2026-08-28"), ("US", "2026-07-01"), ("AZ", "2026-09-01"), ("PA", "2026-09-03")]:
        ids.append(add_request(ddb, add_agency(ddb, state), [("filed", day)]))
    ids.append(add_request(ddb, add_agency(ddb, "TX", ["2026-09-10"], name="Closed PD"), [("filed", "2026-09-08")]))
    assert recompute.everything(ddb, today=TODAY) == 5
    bulk = {r["request_id"]: r for r in ddb.query("SELECT * FROM request_dates")}
    bulk_reminders = list(ddb.query("SELECT request_id, kind, due_at, channel FROM reminders ORDER BY 1, 2, 3, 4"))
    assert deadlines.refreshed_on(ddb) == "2026-09-15"
    for request_id in ids:
        single = recompute.request(ddb, request_id, today=TODAY)
        row = bulk[request_id]
        assert row["due"] == (single.due.isoformat() if single.due else None)
        assert row["follow_up"] == (single.follow_up.isoformat() if single.follow_up else None)
    assert list(ddb.query("SELECT request_id, kind, due_at, channel FROM reminders ORDER BY 1, 2, 3, 4")) == bulk_reminders
    assert ddb["requests"].get(ids[-1])["due_on"] == "2026-09-23"  # TX: 10 business days, one closed day


def test_refresh_all_skips_a_request_it_cannot_compute_and_goes_on(ddb, caplog):
    good = add_request(ddb, add_agency(ddb, "GA"), [("filed", "2026-09-10")])
    # An agency row with a closed day that is not a date (written before validation, or by hand).
    bad_agency = add_agency(ddb, "CA", name="Broken PD")
    ddb.execute("UPDATE agencies SET closed_days = '[\"someday\"]' WHERE id = ?", [bad_agency])
    bad = add_request(ddb, bad_agency, [("filed", "2026-09-10")])
    # An extension no calendar can hold (older rows were not checked against 1-365 days).
    huge = add_request(ddb, add_agency(ddb, "PA"), [("filed", "2026-09-03"),
                                                    ("extension_claimed", "2026-09-08", {"days": 10 ** 9})])
    assert recompute.everything(ddb, today=TODAY) == 1
    assert ddb["request_dates"].get(good)["due"] == "2026-09-15"
    errors = []
    assert recompute.everything(ddb, today=TODAY, errors=errors) == 1
    assert [request_id for request_id, _ in errors] == [bad, huge]
    assert "someday" in errors[0][1]
    assert f"request {bad} skipped" in caplog.text and f"request {huge} skipped" in caplog.text
    assert deadlines.refreshed_on(ddb) == "2026-09-15"
    assert ddb.execute("SELECT count(*) FROM reminders WHERE request_id = ?", [good]).fetchone()[0] > 0


def test_refresh_all_never_overwrites_a_change_made_meanwhile(app, ddb):
    """A web worker records an event (and another changes an owner) after the bulk recompute has
    read the timelines but before it writes: the stored dates and reminders follow the change."""
    from foia import db as db_module
    from foia import requests as requests_module

    ana = ddb["users"].insert({"email": "ana@example.org", "role": "member", "created_at": STAMP}).last_pk
    closing = add_request(ddb, add_agency(ddb, "GA"), [("filed", "2026-09-14")])  # due 2026-09-17
    reassigned = add_request(ddb, add_agency(ddb, "CA"), [("filed", "2026-09-14")])
    recompute.everything(ddb, today=TODAY)
    assert ddb["request_dates"].get(closing)["clock"] == "running"
    assert ddb.execute("SELECT count(*) FROM reminders WHERE request_id = ? AND sent_at IS NULL",
                       [closing]).fetchone()[0] > 0

    other = db_module.connect(app.config["DATABASE"])  # the web worker's connection
    happened, failures = [], []

    def meanwhile(statement):
        # Runs as the recompute starts its write transaction (before it holds the lock).
        if statement.startswith("BEGIN IMMEDIATE") and not happened:
            happened.append(statement)
            try:
                requests_module.add_event(other, closing, "closed", "2026-09-15")
                requests_module.update(other, reassigned, {"owner_id": ana})
            except Exception as e:  # exceptions in a trace callback are swallowed: report them
                failures.append(e)

    ddb.conn.set_trace_callback(meanwhile)
    try:
        assert recompute.everything(ddb, today=TODAY) == 2
    finally:
        ddb.conn.set_trace_callback(None)
        other.conn.close()
    assert happened and not failures
    assert ddb["requests"].get(closing)["status"] == "closed"
    assert ddb["request_dates"].get(closing)["clock"] == "stopped"
    assert ddb.execute("SELECT count(*) FROM reminders WHERE request_id = ? AND sent_at IS NULL",
                       [closing]).fetchone()[0] == 0
    recipients = {r[0] for r in ddb.execute("SELECT recipient FROM reminders WHERE request_id = ? AND channel = 'app'",
                                            [reassigned])}
    assert recipients == {f"user:{ana}"}


def test_each_instance_keeps_its_own_settings(ddb):
    """Settings come from the configuration passed in (two instances in one process each keep
    theirs): a recompute and a scheduler tick use the one they are given, nothing global."""
    request_id = add_request(ddb, add_agency(ddb, "CA"), [("filed", "2026-09-01")])  # due Fri 2026-09-11

    def due_soon():
        return [r[0] for r in ddb.execute("SELECT due_at FROM reminders WHERE request_id = ? AND kind = 'due_soon' "
                                          "AND channel = 'app' AND sent_at IS NULL", [request_id])]

    recompute.request(ddb, request_id, config={"REMINDER_DUE_SOON_DAYS": 1}, today=D("2026-09-02"))
    assert due_soon() == ["2026-09-10T09:00:00"]
    recompute.request(ddb, request_id, config={"REMINDER_DUE_SOON_DAYS": 4, "REMINDER_HOUR": 7},
                      today=D("2026-09-02"))
    [four] = due_soon()
    assert four < "2026-09-10" and four.endswith("T07:00:00")  # four business days before, at 7
    scheduler.tick(ddb, dt.datetime(2026, 9, 3, 6, 0), config={"REMINDER_DUE_SOON_DAYS": 1})
    assert due_soon() == ["2026-09-10T09:00:00"]  # the daily recompute used the tick's configuration


def test_dashboard(ddb):
    overdue = add_request(ddb, add_agency(ddb, "GA"), [("filed", "2026-09-01")], title="Overdue one")
    soon = add_request(ddb, add_agency(ddb, "PA"), [("filed", "2026-09-14")], title="Due soon")
    ack = add_request(ddb, add_agency(ddb, "MD"), [("filed", "2026-09-01")], title="Ack pending")
    done = add_request(ddb, add_agency(ddb, "VT"), [("filed", "2026-09-01"), ("records_released", "2026-09-03")])
    recompute.everything(ddb, today=TODAY)
    board = deadlines.dashboard(ddb, TODAY)
    assert [r["id"] for r in board["overdue"]] == [overdue]
    assert board["overdue"][0]["days_late"] == 11  # due 2026-09-04
    assert soon in [r["id"] for r in board["due_this_week"]]
    assert [r["id"] for r in board["awaiting_acknowledgement"]] == [ack]
    assert board["awaiting_acknowledgement"][0]["acknowledge_by"] == "2026-09-16"  # Labor Day skipped
    assert not board["awaiting_acknowledgement"][0]["late"]
    assert board["awaiting_acknowledgement"][0]["late"] is False
    assert deadlines.dashboard(ddb, D("2026-09-17"))["awaiting_acknowledgement"][0]["late"]
    assert done not in [r["id"] for section in ("overdue", "due_this_week") for r in board[section]]


def test_operative_due_is_stored_and_drives_due_on(ddb):
    """Washington: the estimate in the acknowledgement becomes the operative date; New York: the
    approximate date runs from the acknowledgement. Bulk and single recompute agree."""
    wa = add_request(ddb, add_agency(ddb, "WA"), [("filed", "2026-11-02"),
                                                  ("acknowledged", "2026-11-06", {"estimated_date": "2027-01-15"})])
    ny = add_request(ddb, add_agency(ddb, "NY"), [("filed", "2026-11-02"), ("acknowledged", "2026-11-04")])
    assert recompute.everything(ddb, today=D("2026-11-10")) == 2
    row = ddb["request_dates"].get(wa)
    assert row["operative_due"] == "2027-01-15" and row["due"] < "2027-01-15"
    assert ddb["requests"].get(wa)["due_on"] == "2027-01-15"
    assert ddb["request_dates"].get(ny)["operative_due"] == "2026-12-04"
    assert ddb["requests"].get(ny)["due_on"] == "2026-12-04"
    single = recompute.request(ddb, wa, today=D("2026-11-10"))
    assert single.operative_due == D("2027-01-15") and ddb["request_dates"].get(wa)["sequence"] == 0
    # A row stored before the operative date existed is brought up to date by the next recompute.
    ddb.execute("UPDATE request_dates SET operative_due = NULL WHERE request_id = ?", [wa])
    ddb.execute("UPDATE requests SET due_on = ? WHERE id = ?", [row["due"], wa])
    recompute.everything(ddb, today=D("2026-11-10"))
    assert ddb["requests"].get(wa)["due_on"] == "2027-01-15"
    assert ddb["request_dates"].get(wa)["sequence"] == 1


def test_dashboard_overdue_follows_the_operative_date(ddb):
    wa = add_request(ddb, add_agency(ddb, "WA"), [("filed", "2026-11-02"),
                                                  ("acknowledged", "2026-11-06", {"estimated_date": "2027-01-15"})])
    recompute.request(ddb, wa, today=D("2026-12-01"))
    board = deadlines.dashboard(ddb, D("2026-12-01"))
    assert wa not in [r["id"] for r in board["overdue"]]
    board = deadlines.dashboard(ddb, D("2027-01-12"))
    assert [r["target"] for r in board["due_this_week"] if r["id"] == wa] == ["2027-01-15"]
    board = deadlines.dashboard(ddb, D("2027-01-19"))
    assert [r["days_late"] for r in board["overdue"] if r["id"] == wa] == [4]
