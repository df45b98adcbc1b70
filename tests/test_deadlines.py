import csv
import datetime as dt
import functools
import json

import holidays
import pytest

from foia import deadlines, errors, laws, lifecycle, recompute, reminders

D = dt.date.fromisoformat
LAWS = {law.jurisdiction: law for law in laws.read_csv()}
TODAY = D("2026-09-15")
STAMP = "2026-09-01T09:00:00"


def received(day, kind="received_by_agency"):
    events = [{"id": 1, "kind": "filed", "occurred_on": day, "data": "{}"}]
    if kind == "received_by_agency":
        events.append({"id": 2, "kind": "received_by_agency", "occurred_on": day, "data": "{}"})
    return events


def compute(code, events, today=TODAY, **kwargs):
    return deadlines.compute(LAWS[code], events, today, **kwargs)


# --- the worked examples of the rule ------------------------------------------------------------

@pytest.mark.parametrize("code, day, due, extended", [
    ("US", "2026-07-01", "2026-07-30", "2026-08-13"),
    ("CA", "2026-07-01", "2026-07-13", "2026-07-27"),
    ("CA", "2026-08-28", "2026-09-08", None),
    ("PA", "2026-09-03", "2026-09-11", "2026-10-13"),
    ("GA", "2026-06-15", "2026-06-18", None),
])
def test_worked_examples(code, day, due, extended):
    dates = compute(code, received(day))
    assert dates.received == D(day)
    assert dates.due == D(due)
    assert dates.extended_due is None
    if extended:
        assert compute(code, received(day), extended=True).extended_due == D(extended)


def test_worked_example_explanations():
    ca = compute("CA", received("2026-08-28"))
    lines = ca.explain["due"]
    assert lines[0].startswith("Due 2026-09-08: 10 calendar days after day 0 under Cal. Gov. Code § 7922.535")
    assert "Skipped 2026-09-07 Labor Day." in lines
    assert any("rolled forward to 2026-09-08" in line for line in lines)
    us = compute("US", received("2026-07-01"))
    assert "Skipped 2026-07-03 Independence Day (observed)." in us.explain["due"]
    assert "Skipped 2026-07-11 Saturday." in us.explain["due"]
    assert any("2026-07-30 is the 20th business day" in line for line in us.explain["due"])
    assert us.explain["received"] == ["Day 0 is 2026-07-01, the day the agency received the request."]
    ca_ext = compute("CA", received("2026-07-01"), extended=True)
    assert any(line.startswith("Extended due 2026-07-27: extension assumed (--extended), 14 more calendar days")
               for line in ca_ext.explain["extended_due"])
    assert "Skipped 2026-07-25 Saturday." in ca_ext.explain["extended_due"]


def test_day_zero_is_the_filed_date_without_a_receipt():
    dates = compute("GA", received("2026-06-15", kind="filed"))
    assert dates.received_from == "filed" and dates.due == D("2026-06-18")
    events = [{"id": 1, "kind": "filed", "occurred_on": "2026-06-12", "data": {}},
              {"id": 2, "kind": "received_by_agency", "occurred_on": "2026-06-15", "data": {}}]
    assert compute("GA", events).due == D("2026-06-18")


# --- every jurisdiction with a fixed period -----------------------------------------------------

# (jurisdiction, due, extended due) for a request received Thursday 2026-11-05
# (Veterans Day, Thanksgiving and the day after, where the state observes it).
NOVEMBER = [
    ("US", "2026-12-07", "2026-12-21"), ("AK", "2026-11-20", "2026-12-07"), ("AR", "2026-11-10", None),
    ("CA", "2026-11-16", "2026-11-30"), ("CO", "2026-11-10", "2026-11-20"), ("CT", "2026-11-12", None),
    ("DC", "2026-11-30", "2026-12-14"), ("DE", "2026-12-01", None), ("GA", "2026-11-10", None),
    ("HI", "2026-11-20", None), ("ID", "2026-11-10", "2026-11-20"), ("IL", "2026-11-13", "2026-11-20"),
    ("IN", "2026-11-12", None), ("KS", "2026-11-10", None), ("KY", "2026-11-13", None),
    ("LA", "2026-11-10", None), ("MA", "2026-11-20", None), ("MD", "2026-12-07", None),
    ("ME", "2026-11-13", None), ("MI", "2026-11-13", "2026-12-01"), ("MO", "2026-11-10", None),
    ("MS", "2026-11-17", "2026-11-27"), ("NE", "2026-11-12", None), ("NH", "2026-11-13", None),
    ("NJ", "2026-11-17", None), ("NM", "2026-11-20", None), ("NV", "2026-11-13", None),
    ("NY", "2026-11-13", "2026-12-14"), ("OR", "2026-11-30", None), ("PA", "2026-11-13", "2026-12-14"),
    ("RI", "2026-11-20", "2026-12-21"), ("SC", "2026-11-20", None), ("SD", "2026-11-20", None),
    ("TN", "2026-11-17", None), ("TX", "2026-11-20", None), ("UT", "2026-11-20", None),
    ("VA", "2026-11-13", "2026-11-24"), ("VT", "2026-11-10", None), ("WA", "2026-11-13", None),
    ("WV", "2026-11-13", None), ("WY", "2026-12-07", None),
]
# ... and received Friday 2026-12-18 (Christmas Eve, Christmas, New Year's Eve and Day, MLK day).
YEAR_END = [
    ("US", "2027-01-20", "2027-02-03"), ("AK", "2027-01-05", "2027-01-20"), ("AR", "2026-12-23", None),
    ("CA", "2026-12-28", "2027-01-11"), ("CO", "2026-12-23", "2027-01-05"), ("CT", "2026-12-24", None),
    ("DC", "2027-01-12", "2027-01-27"), ("DE", "2027-01-12", None), ("GA", "2026-12-23", None),
    ("HI", "2027-01-05", None), ("ID", "2026-12-23", "2027-01-05"), ("IL", "2026-12-28", "2027-01-05"),
    ("IN", "2026-12-28", None), ("KS", "2026-12-23", None), ("KY", "2026-12-28", None),
    ("LA", "2026-12-23", None), ("MA", "2027-01-05", None), ("MD", "2027-01-19", None),
    ("ME", "2026-12-28", None), ("MI", "2026-12-29", "2027-01-14"), ("MO", "2026-12-23", None),
    ("MS", "2026-12-30", "2027-01-11"), ("NE", "2026-12-24", None), ("NH", "2026-12-28", None),
    ("NJ", "2026-12-30", None), ("NM", "2027-01-04", None), ("NV", "2026-12-28", None),
    ("NY", "2026-12-28", "2027-01-27"), ("OR", "2027-01-12", None), ("PA", "2026-12-28", "2027-01-27"),
    ("RI", "2027-01-05", "2027-02-03"), ("SC", "2027-01-05", None), ("SD", "2027-01-05", None),
    ("TN", "2026-12-30", None), ("TX", "2027-01-06", None), ("UT", "2027-01-05", None),
    ("VA", "2026-12-28", "2027-01-07"), ("VT", "2026-12-23", None), ("WA", "2026-12-28", None),
    ("WV", "2026-12-28", None), ("WY", "2027-01-19", None),
]


def test_tables_cover_every_fixed_period_jurisdiction():
    fixed = {code for code, law in LAWS.items() if law.has_fixed_period}
    assert {row[0] for row in NOVEMBER} == fixed
    assert {row[0] for row in YEAR_END} == fixed
    assert len(fixed) == 41


@functools.lru_cache(maxsize=None)
def _holiday_set(code):
    years = range(2025, 2029)
    return frozenset(holidays.US(years=years) if code == "US" else holidays.US(subdiv=code, years=years))


def reference(law, day, extended=False):
    """A plain re-statement of the rule, straight over the holidays package."""
    calendar = _holiday_set(law.jurisdiction)

    def open_(d):
        return d.weekday() < 5 and d not in calendar

    def count(start, n, unit):
        if unit == "calendar":
            return start + dt.timedelta(days=n)
        d = start
        while n:
            d += dt.timedelta(days=1)
            n -= open_(d)
        return d

    def roll(d):
        while not open_(d):
            d += dt.timedelta(days=1)
        return d

    end = count(day, law.response_days, law.day_type)
    if extended:
        if not law.extension_days:
            return None
        end = count(end, law.extension_days, law.extension_day_type)
        return roll(end)
    return roll(end)


@pytest.mark.parametrize("day, table", [("2026-11-05", NOVEMBER), ("2026-12-18", YEAR_END)])
def test_every_fixed_period_jurisdiction(day, table):
    for code, due, extended in table:
        dates = compute(code, received(day), extended=True)
        assert (code, dates.due, dates.extended_due) == (code, D(due), D(extended) if extended else None)
        assert dates.due == reference(LAWS[code], D(day))
        assert dates.extended_due == reference(LAWS[code], D(day), extended=True)
        assert dates.explain["due"][0].startswith(f"Due {due}: {LAWS[code].response_days} {LAWS[code].day_type} days")
        assert LAWS[code].citation in dates.explain["due"][0]


@pytest.mark.parametrize("code", [c for c, law in LAWS.items() if law.has_fixed_period])
def test_due_dates_are_business_days_for_a_whole_year(code):
    law = LAWS[code]
    calendar = _holiday_set(code)
    day = D("2026-01-01")
    while day < D("2027-01-01"):
        dates = compute(code, received(day.isoformat()), explain=False, extended=True)
        assert dates.due.weekday() < 5 and dates.due not in calendar
        assert dates.due == reference(law, day)
        if dates.extended_due:
            assert dates.extended_due > dates.due
        day += dt.timedelta(days=1)


# --- weekend, holiday and year-end edges --------------------------------------------------------

def test_received_on_a_weekend_or_holiday():
    assert compute("GA", received("2026-06-13")).due == D("2026-06-17")  # Saturday: Mon, Tue, Wed
    assert compute("PA", received("2026-09-07")).due == D("2026-09-14")  # on Labor Day
    assert compute("CA", received("2026-09-07")).due == D("2026-09-17")  # calendar days count from the holiday


def test_calendar_due_date_on_new_years_day_rolls_into_the_new_year():
    dates = compute("CA", received("2026-12-22"))  # +10 = 2027-01-01 (a Friday holiday)
    assert dates.due == D("2027-01-04")
    assert "Skipped 2027-01-01 New Year's Day." in dates.explain["due"]
    assert "Skipped 2027-01-02 Saturday." in dates.explain["due"]


def test_business_days_across_the_observed_new_year_of_2028():
    dates = compute("GA", received("2027-12-29"))
    assert dates.due == D("2028-01-04")
    assert "Skipped 2027-12-31 New Year's Day (observed)." in dates.explain["due"]


# --- clarification ------------------------------------------------------------------------------

def with_events(day, *extra):
    events = received(day)
    for i, (kind, on, *data) in enumerate(extra, start=10):
        events.append({"id": i, "kind": kind, "occurred_on": on, "data": json.dumps(data[0] if data else {})})
    return events


def test_clarification_stops_the_clock():
    events = with_events("2026-07-01", ("clarification_requested", "2026-07-08"))
    dates = compute("US", events, today=D("2026-07-20"))
    assert dates.clock == "paused"
    assert dates.due is None and dates.effective_due is None
    assert dates.paused_since == D("2026-07-08")
    assert dates.days_left_when_paused == 16  # 4 business days used: Jul 2, 6, 7, 8
    assert not dates.overdue and dates.days_remaining is None
    assert any("Clock stopped on 2026-07-08" in line and "4 business days used" in line
               for line in dates.explain["due"])


def test_clarification_answer_restarts_with_the_remaining_days():
    events = with_events("2026-07-01", ("clarification_requested", "2026-07-08"),
                         ("clarification_answered", "2026-07-20"))
    dates = compute("US", events, today=D("2026-07-20"))
    assert dates.clock == "running"
    assert dates.due == D("2026-08-11")  # 16 business days after 2026-07-20
    assert any("Clock restarted on 2026-07-20" in line and "16 business days" in line for line in dates.explain["due"])
    # The extension counts from the new due date.
    assert compute("US", events, extended=True).extended_due == D("2026-08-25")


def test_clarification_pause_for_calendar_days():
    events = with_events("2026-07-01", ("clarification_requested", "2026-07-05"),
                         ("clarification_answered", "2026-07-15"))
    assert compute("CA", events).due == D("2026-07-21")  # 4 days used, 6 left from 07-15


def test_clarification_restarting_the_full_period():
    # Texas restarts the ten business days from the clarification (law-settings.csv).
    assert deadlines.law_settings("TX").clarification_restarts_period
    events = with_events("2026-07-01", ("clarification_requested", "2026-07-08"),
                         ("clarification_answered", "2026-07-20"))
    dates = compute("TX", events)
    assert dates.due == D("2026-08-03")
    assert any("the full period starts again" in line for line in dates.explain["due"])
    # The same timeline under a law that keeps the remaining days.
    # Utah: 4 used (Jul 2, 6, 7, 8), 6 left from 07-20, Pioneer Day (07-24) skipped.
    assert compute("UT", events).due == D("2026-07-29")


def test_two_clarification_rounds():
    events = with_events("2026-09-03", ("clarification_requested", "2026-09-04"),
                         ("clarification_answered", "2026-09-08"), ("clarification_requested", "2026-09-09"),
                         ("clarification_answered", "2026-09-14"))
    # PA, 5 business days: 1 used (09-04), 1 more used (09-09), 3 left from 09-14.
    assert compute("PA", events).due == D("2026-09-17")


def test_clarification_after_the_due_date_changes_nothing():
    events = with_events("2026-06-15", ("clarification_requested", "2026-06-20"))
    dates = compute("GA", events, today=D("2026-06-22"))
    assert dates.due == D("2026-06-18")
    assert dates.clock == "paused"  # the agency is waiting for us, but its deadline had passed


def test_clarification_asked_on_the_rolled_forward_due_date_stops_the_clock():
    # CA, 10 calendar days from 07-01: Saturday 07-11, rolled forward to Monday 07-13. The agency
    # asks on 07-13, the last day it had: the clock stops with no days left.
    events = with_events("2026-07-01", ("clarification_requested", "2026-07-13"))
    paused = compute("CA", events, today=D("2026-07-14"))
    assert paused.clock == "paused" and paused.due is None and not paused.overdue
    assert paused.days_left_when_paused == 0
    answered = with_events("2026-07-01", ("clarification_requested", "2026-07-13"),
                           ("clarification_answered", "2026-07-15"))
    dates = compute("CA", answered, today=D("2026-07-15"))
    assert dates.clock == "running" and dates.due == D("2026-07-15") and not dates.overdue
    assert any("Clock stopped on 2026-07-13" in line and "10 calendar days used" in line and "0 left" in line
               for line in dates.explain["due"])
    # Asked on the unrolled Saturday: the same.
    saturday = with_events("2026-07-01", ("clarification_requested", "2026-07-11"),
                           ("clarification_answered", "2026-07-15"))
    assert compute("CA", saturday, today=D("2026-07-15")).due == D("2026-07-15")
    # A day after the rolled-forward date is too late: nothing changes.
    late = with_events("2026-07-01", ("clarification_requested", "2026-07-14"), ("clarification_answered", "2026-07-15"))
    assert compute("CA", late, today=D("2026-07-15")).due == D("2026-07-13")


def test_clarification_asked_on_the_business_day_due_date_stops_the_clock():
    # GA, 3 business days from Monday 06-15: due Thursday 06-18, the day the agency asks.
    asked = with_events("2026-06-15", ("clarification_requested", "2026-06-18"))
    paused = compute("GA", asked, today=D("2026-06-19"))
    assert paused.clock == "paused" and paused.days_left_when_paused == 0 and not paused.overdue
    # Answered on Saturday 06-20: due on the next business day, Monday 06-22.
    answered = with_events("2026-06-15", ("clarification_requested", "2026-06-18"),
                           ("clarification_answered", "2026-06-20"))
    dates = compute("GA", answered, today=D("2026-06-22"))
    assert dates.due == D("2026-06-22") and dates.clock == "running" and not dates.overdue
    assert "Skipped 2026-06-21 Sunday." in dates.explain["due"]
    # Answered on a business day: due that day.
    tuesday = with_events("2026-06-15", ("clarification_requested", "2026-06-18"),
                          ("clarification_answered", "2026-06-23"))
    assert compute("GA", tuesday).due == D("2026-06-23")


# --- extensions ---------------------------------------------------------------------------------

def test_extension_event_applies_the_law_period():
    events = with_events("2026-07-01", ("extension_claimed", "2026-07-20"))
    dates = compute("US", events)
    assert (dates.due, dates.extended_due, dates.effective_due) == (D("2026-07-30"), D("2026-08-13"), D("2026-08-13"))
    assert dates.explain["extended_due"][0].startswith("Extended due 2026-08-13: extension claimed on 2026-07-20")


def test_extension_event_with_days_overrides():
    events = with_events("2026-07-01", ("extension_claimed", "2026-07-20", {"days": 5}))
    dates = compute("US", events)
    assert dates.extended_due == D("2026-08-06")
    assert dates.extension_days == 5
    assert "as the agency stated" in dates.explain["extended_due"][0]


def test_extension_without_a_period_in_the_law():
    events = with_events("2026-06-15", ("extension_claimed", "2026-06-17"))
    dates = compute("GA", events, today=D("2026-06-22"))
    assert dates.extended_due is None and dates.effective_due == D("2026-06-18")
    assert "sets no extension period" in dates.explain["extended_due"][0]
    assert compute("GA", with_events("2026-06-15", ("extension_claimed", "2026-06-17", {"days": 3}))).extended_due \
        == D("2026-06-24")  # 3 business days after 06-18: Juneteenth and the weekend skipped


# --- agency closed days, acknowledgement, no fixed period, appeal -------------------------------

def test_agency_closed_days_are_honoured_and_explained():
    dates = compute("GA", received("2026-06-15"), closed_days='["2026-06-17"]')
    assert dates.due == D("2026-06-22")
    assert "Skipped 2026-06-17 agency closed day." in dates.explain["due"]
    calendar_law = compute("CA", received("2026-08-27"), closed_days=["2026-09-08"])  # +10 = Sun 09-06
    assert calendar_law.due == D("2026-09-09")


def test_acknowledgement_deadline():
    dates = compute("MD", received("2026-06-15"), today=D("2026-07-01"))
    assert dates.acknowledge_by == D("2026-06-30")
    assert not dates.acknowledged and dates.acknowledgement_overdue
    acked = compute("MD", with_events("2026-06-15", ("acknowledged", "2026-06-20")), today=D("2026-07-01"))
    assert acked.acknowledged and not acked.acknowledgement_overdue
    assert compute("GA", received("2026-06-15")).acknowledge_by is None


def test_no_fixed_period_gives_a_follow_up_date():
    dates = compute("AZ", received("2026-06-15"), today=D("2026-06-20"))
    assert dates.due is None and dates.extended_due is None
    assert dates.follow_up == D("2026-06-30")  # 10 business days, Juneteenth skipped
    assert dates.target_kind == "follow_up" and not dates.overdue
    assert "this is a follow-up date, not a legal deadline" in dates.explain["follow_up"][0]
    five = compute("AZ", received("2026-06-15"), settings=deadlines.Settings(follow_up_business_days=5))
    assert five.follow_up == D("2026-06-23")
    later = compute("AZ", received("2026-06-15"), today=D("2026-07-06"))
    assert later.follow_up_reached and not later.overdue


def test_appeal_window_from_law_settings_or_default():
    ct = compute("CT", with_events("2026-09-01", ("denied", "2026-09-03")))
    assert ct.appeal_by == D("2026-10-05") and not ct.appeal_is_default  # 30 days = Sat 10-03 -> Mon
    pa = compute("PA", with_events("2026-09-01", ("denied", "2026-09-03")))
    assert pa.appeal_by == D("2026-09-25")  # 15 business days, Labor Day skipped
    ga = compute("GA", with_events("2026-09-01", ("denied", "2026-09-03")))
    assert ga.appeal_by == D("2026-10-05") and ga.appeal_is_default
    assert "not a legal deadline" in ga.explain["appeal_by"][0]
    appealed = compute("CT", with_events("2026-09-01", ("denied", "2026-09-03"), ("appeal_filed", "2026-09-10")))
    assert appealed.appeal_by is None and appealed.clock == "stopped"


def test_clock_states_and_overdue():
    filed = compute("GA", received("2026-06-15"), today=D("2026-06-18"))
    assert filed.clock == "running" and not filed.overdue and filed.days_remaining == 0
    late = compute("GA", received("2026-06-15"), today=D("2026-06-22"))
    assert late.overdue and late.days_remaining == -4
    assert any("Overdue by 4 day(s)" in line for line in late.explain["clock"])
    released = compute("GA", with_events("2026-06-15", ("records_released", "2026-06-25")), today=D("2026-06-30"))
    assert released.clock == "stopped" and not released.overdue and released.due == D("2026-06-18")
    draft = compute("GA", [{"id": 1, "kind": "drafted", "occurred_on": "2026-06-15", "data": "{}"}])
    assert draft.clock == "not_started" and draft.due is None


def test_json_has_the_documented_keys():
    data = compute("CA", received("2026-08-28")).as_json()
    for key in ("jurisdiction", "received", "due", "extended_due", "acknowledge_by", "follow_up", "day_type",
                "days", "citation", "explain"):
        assert key in data
    assert data["due"] == "2026-09-08" and data["days"] == 10 and data["day_type"] == "calendar"
    json.dumps(data)


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
    reminders.tick(ddb, dt.datetime(2026, 9, 3, 6, 0), config={"REMINDER_DUE_SOON_DAYS": 1})
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
