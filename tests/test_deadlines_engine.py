"""The deadline engine's rule (foia.deadlines.engine): worked examples, every fixed-period
jurisdiction against a plain re-statement of the rule, clarification, extensions, closed days,
acknowledgement, follow-up dates, appeal windows and the clock. The statute-specific shapes
(acknowledgement clocks, estimates, production caps, deemed denials, appeal routes) are in
test_statutes.py."""
import datetime as dt
import functools
import json

import pytest

from foia import deadlines, laws, workdays

D = dt.date.fromisoformat
LAWS = laws.read_tables()
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
# (Veterans Day, Thanksgiving and the day after, where the state observes it). New York and
# Alabama count from the acknowledgement: here from the last day it may come.
NOVEMBER = [
    ("AK", "2026-11-20", "2026-12-07"), ("AL", "2026-12-08", "2026-12-30"), ("AR", "2026-11-10", None),
    ("CA", "2026-11-16", "2026-11-30"), ("CO", "2026-11-10", "2026-11-20"), ("CT", "2026-11-12", None),
    ("DC", "2026-11-30", "2026-12-14"), ("DE", "2026-12-01", None), ("GA", "2026-11-10", None),
    ("HI", "2026-11-20", "2026-12-07"), ("ID", "2026-11-10", "2026-11-20"), ("IL", "2026-11-13", "2026-11-20"),
    ("KS", "2026-11-10", None), ("KY", "2026-11-13", None), ("LA", "2026-11-10", None),
    ("MA", "2026-11-20", "2027-01-06"), ("MD", "2026-12-07", None), ("ME", "2026-11-13", None),
    ("MI", "2026-11-13", "2026-12-01"), ("MO", "2026-11-10", None), ("MS", "2026-11-17", "2026-11-27"),
    ("NE", "2026-11-12", None), ("NH", "2026-11-13", None), ("NJ", "2026-11-17", None), ("NM", "2026-11-20", None),
    ("NV", "2026-11-13", None), ("NY", "2026-12-14", None), ("OR", "2026-11-30", None),
    ("PA", "2026-11-13", "2026-12-14"), ("RI", "2026-11-20", "2026-12-21"), ("SC", "2026-11-20", None),
    ("SD", "2026-11-20", None), ("TN", "2026-11-17", None), ("TX", "2026-11-20", None),
    ("US", "2026-12-07", "2026-12-21"), ("UT", "2026-11-20", None), ("VA", "2026-11-13", "2026-11-24"),
    ("VT", "2026-11-10", None), ("WA", "2026-11-13", None), ("WV", "2026-11-13", None),
    ("WY", "2026-12-07", None),
]
# ... and received Friday 2026-12-18 (Christmas Eve, Christmas, New Year's Eve and Day, MLK day).
YEAR_END = [
    ("AK", "2027-01-05", "2027-01-20"), ("AL", "2027-01-20", "2027-02-10"), ("AR", "2026-12-23", None),
    ("CA", "2026-12-28", "2027-01-11"), ("CO", "2026-12-23", "2027-01-05"), ("CT", "2026-12-24", None),
    ("DC", "2027-01-12", "2027-01-27"), ("DE", "2027-01-12", None), ("GA", "2026-12-23", None),
    ("HI", "2027-01-05", "2027-01-20"), ("ID", "2026-12-23", "2027-01-05"), ("IL", "2026-12-28", "2027-01-05"),
    ("KS", "2026-12-23", None), ("KY", "2026-12-29", None), ("LA", "2026-12-23", None),
    ("MA", "2027-01-05", "2027-02-18"), ("MD", "2027-01-19", None), ("ME", "2026-12-28", None),
    ("MI", "2026-12-29", "2027-01-14"), ("MO", "2026-12-23", None), ("MS", "2026-12-30", "2027-01-11"),
    ("NE", "2026-12-24", None), ("NH", "2026-12-28", None), ("NJ", "2026-12-30", None), ("NM", "2027-01-04", None),
    ("NV", "2026-12-28", None), ("NY", "2027-01-27", None), ("OR", "2027-01-12", None),
    ("PA", "2026-12-28", "2027-01-27"), ("RI", "2027-01-05", "2027-02-03"), ("SC", "2027-01-06", None),
    ("SD", "2027-01-05", None), ("TN", "2026-12-30", None), ("TX", "2027-01-06", None),
    ("US", "2027-01-20", "2027-02-03"), ("UT", "2027-01-05", None), ("VA", "2026-12-28", "2027-01-07"),
    ("VT", "2026-12-23", None), ("WA", "2026-12-28", None), ("WV", "2026-12-28", None),
    ("WY", "2027-01-19", None),
]


def test_tables_cover_every_fixed_period_jurisdiction():
    fixed = {code for code, law in LAWS.items() if law.has_fixed_period}
    assert {row[0] for row in NOVEMBER} == fixed
    assert {row[0] for row in YEAR_END} == fixed
    assert len(fixed) == 41  # Alabama (2024 act) in, Indiana (an acknowledgement only) out


@functools.lru_cache(maxsize=None)
def _holiday_set(code):
    """The jurisdiction's closed days: the holidays package corrected by the state's own list."""
    return frozenset(day for year in range(2025, 2029) for day in workdays.holidays_for(code, year))


def reference(law, day, extended=False):
    """A plain re-statement of the rule, straight over the holiday lists."""
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

    start = day
    if law.respond.start == "acknowledgement" and law.acknowledge:  # the last day it may come
        start = roll(count(day, law.acknowledgement_days, law.acknowledge.period.day_type))
    end = count(start, law.response_days, law.day_type)
    if extended:
        ext = law.extension
        if ext is None or ext.period is None or not ext.verified:
            return None
        if ext.start == "receipt":  # a total counted from receipt
            return roll(count(day, ext.period.days, ext.period.day_type))
        end = count(end, ext.period.days, ext.period.day_type)
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
        assert dates.extended_due == reference(law, day, extended=True)
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
    # Labor Day, the agency's own day, then Admission Day (Sep 9, Cal. Gov. Code § 6700).
    assert calendar_law.due == D("2026-09-10")


def test_acknowledgement_deadline():
    dates = compute("MD", received("2026-06-15"), today=D("2026-07-01"))
    assert dates.acknowledge_by == D("2026-06-30")
    assert not dates.acknowledged and dates.acknowledgement_overdue
    acked = compute("MD", with_events("2026-06-15", ("acknowledged", "2026-06-20")), today=D("2026-07-01"))
    assert acked.acknowledged and not acked.acknowledgement_overdue
    assert compute("GA", received("2026-06-15")).acknowledge_by is None


def test_no_fixed_period_gives_a_follow_up_date():
    dates = compute("FL", received("2026-06-15"), today=D("2026-06-20"))
    assert dates.due is None and dates.extended_due is None
    assert dates.follow_up == D("2026-06-30")  # 10 business days, Juneteenth skipped
    assert dates.target_kind == "follow_up" and not dates.overdue
    assert "this is a follow-up date, not a legal deadline" in dates.explain["follow_up"][0]
    five = compute("FL", received("2026-06-15"), settings=deadlines.Settings(follow_up_business_days=5))
    assert five.follow_up == D("2026-06-23")
    later = compute("FL", received("2026-06-15"), today=D("2026-07-06"))
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
    assert any("Overdue by 4 days" in line for line in late.explain["clock"])
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


