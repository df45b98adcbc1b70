"""The statute engine over real timelines: every jurisdiction's clocks, the agency's stated dates,
production caps, deemed denials and appeal routes (foia.deadlines.engine over the law model)."""
import datetime as dt
import functools

import pytest

from foia import laws, workdays
from foia.deadlines import engine

D = dt.date.fromisoformat
LAWS = laws.read_tables()


def timeline(*events):
    return [{"id": i, "kind": kind, "occurred_on": day, "data": data or {}}
            for i, (kind, day, *rest) in enumerate(events, start=1) for data in [rest[0] if rest else None]]


def compute(code, events, today, **kwargs):
    return engine.compute(LAWS[code], events, D(today), **kwargs)


# --- an independent count, to check the engine against for every jurisdiction and day --------------

@functools.lru_cache(maxsize=None)
def _closed(code):
    return frozenset(day for year in range(2025, 2030) for day in workdays.holidays_for(code, year))


def _open(code, day):
    return day.weekday() < 5 and day not in _closed(code)


def _count(code, start, period):
    if period.day_type == "business":
        day, left = start, period.days
        while left:
            day += dt.timedelta(days=1)
            left -= _open(code, day)
        return day
    day = start + dt.timedelta(days=period.days)
    while not _open(code, day):
        day += dt.timedelta(days=1)
    return day


def reference_due(law, day0):
    anchor = day0
    if law.respond.start == "acknowledgement" and law.acknowledge:
        anchor = _count(law.jurisdiction, day0, law.acknowledge.period)
    return _count(law.jurisdiction, anchor, law.respond.period)


FIXED = sorted(code for code, law in LAWS.items() if law.has_fixed_period)


def test_forty_jurisdictions_have_a_fixed_response_period():
    # Indiana's 7 days are an acknowledgement; Alabama's 2024 act adds a period from the acknowledgement.
    assert len(FIXED) == 41 and "IN" not in FIXED and "AL" in FIXED


@pytest.mark.parametrize("code", FIXED)
def test_due_dates_for_a_whole_year_match_an_independent_count(code):
    law = LAWS[code]
    day = D("2026-01-01")
    while day < D("2027-01-01"):
        dates = compute(code, timeline(("received_by_agency", day.isoformat())), "2026-01-01", explain=False)
        assert dates.due == reference_due(law, day), (code, day)
        assert _open(code, dates.due)
        if law.acknowledge:
            assert dates.acknowledge_by == _count(code, day, law.acknowledge.period)
        day += dt.timedelta(days=1)


# --- the examples ------------------------------------------------------------------------

def test_new_york_counts_twenty_business_days_from_the_acknowledgement():
    dates = compute("NY", timeline(("filed", "2026-11-02"), ("acknowledged", "2026-11-04")), "2026-11-10")
    assert (dates.acknowledge_by, dates.due, dates.operative_due) == (D("2026-11-10"), D("2026-12-04"), D("2026-12-04"))
    assert any("after the acknowledgement of 2026-11-04" in line for line in dates.explain["due"])
    assert "Skipped 2026-11-26 Thanksgiving Day." in dates.explain["due"]
    # Without an acknowledgement the date counts from the last day the agency may acknowledge.
    silent = compute("NY", timeline(("filed", "2026-11-02")), "2026-11-10")
    assert silent.due == D("2026-12-10") and silent.acknowledge_by == D("2026-11-10")


@pytest.mark.parametrize("estimate, data, challengeable", [
    ("2026-12-04", {}, False),  # the 20th business day after the acknowledgement
    ("2026-12-07", {}, True),  # the 21st, with no reason given
])
def test_new_york_estimate_beyond_twenty_business_days_is_challengeable(estimate, data, challengeable):
    events = timeline(("filed", "2026-11-02"), ("acknowledged", "2026-11-04", {"estimated_date": estimate, **data}))
    dates = compute("NY", events, "2026-11-10")
    assert dates.operative_due == D(estimate) and dates.operative_from == "agency_date"
    assert dates.stated_date_challengeable is challengeable
    if challengeable:
        assert any("beyond the statute's normal bound" in line and "no reason" in line
                   for line in dates.explain["operative_due"])


def test_new_york_date_certain_with_a_reason_is_not_flagged():
    events = timeline(("filed", "2026-11-02"), ("acknowledged", "2026-11-04"),
                      ("extension_claimed", "2026-12-01", {"new_due_on": "2027-01-15", "reason": "body-camera review"}))
    dates = compute("NY", events, "2026-12-02")
    assert dates.operative_due == D("2027-01-15") and not dates.stated_date_challengeable
    assert any("the agency gave a reason (body-camera review)" in line for line in dates.explain["operative_due"])


def test_washington_estimate_becomes_the_operative_date_and_nothing_is_overdue_before_it():
    events = timeline(("filed", "2026-12-01"), ("acknowledged", "2026-12-03", {"estimated_date": "2027-01-15"}))
    dates = compute("WA", events, "2027-01-10")
    assert dates.due == D("2026-12-08") and dates.operative_due == D("2027-01-15")
    assert dates.effective_due == D("2027-01-15") and not dates.overdue
    assert compute("WA", events, "2027-01-16").overdue


def test_pennsylvania_denial_appeals_to_the_office_of_open_records_in_fifteen_business_days():
    dates = compute("PA", timeline(("filed", "2027-02-22"), ("denied", "2027-03-05")), "2027-03-06")
    appeal = dates.appeal
    assert appeal["route"] == "state_office" and appeal["body"].startswith("Pennsylvania Office of Open Records")
    assert (appeal["due"], appeal["day_type"]) == (D("2027-03-26"), "business")
    assert dates.appeal_by == D("2027-03-26") and not dates.appeal_is_default
    assert "Copy of the request" in appeal["attachments"] and "555 Walnut Street" in appeal["contact"]
    assert dates.residency_required


def test_alabama_acknowledgement_then_fifteen_business_days_repeatable():
    events = timeline(("filed", "2026-06-15"), ("acknowledged", "2026-06-18"))
    dates = compute("AL", events, "2026-06-20")
    assert dates.acknowledge_by == D("2026-06-25")  # 10 calendar days
    assert dates.due == D("2026-07-13")  # 15 business days after the acknowledgement (Juneteenth, July 3 skipped)
    twice = compute("AL", timeline(("filed", "2026-06-15"), ("acknowledged", "2026-06-18"),
                                   ("extension_claimed", "2026-07-08"), ("extension_claimed", "2026-07-28")),
                    "2026-07-29")
    assert twice.extended_due == D("2026-08-24")  # two 15-business-day steps
    # Denial is presumed at the earlier of 30 business or 60 calendar days after the acknowledgement.
    assert twice.deemed_denied_on == D("2026-08-03")


def test_indiana_seven_days_are_an_acknowledgement_only():
    dates = compute("IN", timeline(("filed", "2026-06-15")), "2026-06-20")
    assert dates.acknowledge_by == D("2026-06-22") and dates.due is None and dates.follow_up is not None
    assert dates.deemed_denied_on == D("2026-06-23") and dates.appeal is None  # not reached yet
    later = compute("IN", timeline(("filed", "2026-06-15")), "2026-06-30")
    assert later.appeal["route"] == "state_office" and later.appeal["due"] == D("2026-07-23")
    answered = compute("IN", timeline(("filed", "2026-06-15"), ("acknowledged", "2026-06-18")), "2026-06-30")
    assert answered.deemed_denied_on is None and answered.appeal is None


def test_texas_certified_date_is_operative_and_a_missed_day_ten_means_presumed_public():
    certified = compute("TX", timeline(("filed", "2026-06-15"),
                                       ("acknowledged", "2026-06-22", {"estimated_date": "2026-07-20"})), "2026-07-01")
    assert certified.due == D("2026-06-30") and certified.operative_due == D("2026-07-20")
    assert not certified.overdue and certified.missed_deadline == ""
    silent = compute("TX", timeline(("filed", "2026-06-15")), "2026-07-01")
    assert silent.overdue and "552.302" in silent.missed_deadline and silent.appeal is None


@pytest.mark.parametrize("code, events, today, produce_by", [
    # Massachusetts: 25 business days from receipt.
    ("MA", [("filed", "2026-06-15")], "2026-06-16", "2026-07-21"),
    # South Carolina: 30 calendar days after the determination notice; across Christmas Eve, Christmas
    # and the day after (state holidays), to Monday.
    ("SC", [("filed", "2026-11-02"), ("acknowledged", "2026-11-24")], "2026-11-25", "2026-12-28"),
    # ... from the deposit where one is required.
    ("SC", [("filed", "2026-11-02"), ("fee_estimate", "2026-11-10", {"amount": "12.50"}),
            ("fee_paid", "2026-11-20")], "2026-11-25", "2026-12-21"),
    # Hawaii: 5 business days after the notice (its acknowledgement is not the notice).
    ("HI", [("filed", "2026-06-15"), ("fee_estimate", "2026-06-22", {"amount": "5.00"})], "2026-06-23", "2026-06-29"),
    ("HI", [("filed", "2026-06-15"), ("acknowledged", "2026-06-22")], "2026-06-23", "2026-07-08"),
])
def test_production_caps(code, events, today, produce_by):
    dates = compute(code, timeline(*events), today)
    assert dates.produce_by == D(produce_by)
    assert dates.explain["produce_by"][0].startswith(f"Produce by {produce_by}")


def test_massachusetts_estimate_past_the_cap_is_held_to_it():
    events = timeline(("filed", "2026-06-15"), ("acknowledged", "2026-06-25", {"estimated_date": "2026-08-31"}))
    dates = compute("MA", events, "2026-06-26")
    assert dates.operative_due == dates.produce_by == D("2026-07-21")
    assert dates.operative_from == "cap" and dates.stated_date_challengeable


def test_pennsylvania_stated_date_past_thirty_days_is_held_to_the_extension_cap():
    events = timeline(("filed", "2026-09-03"), ("extension_claimed", "2026-09-10", {"new_due_on": "2026-11-30"}))
    dates = compute("PA", events, "2026-09-15")
    assert dates.extended_due == dates.operative_due == D("2026-10-13")
    assert dates.stated_date_challengeable
    within = compute("PA", timeline(("filed", "2026-09-03"),
                                    ("extension_claimed", "2026-09-10", {"new_due_on": "2026-10-01"})), "2026-09-15")
    assert within.operative_due == D("2026-10-01") and not within.stated_date_challengeable


def test_federal_estimate_does_not_move_the_determination_date():
    events = timeline(("filed", "2026-07-01"), ("acknowledged", "2026-07-02", {"estimated_date": "2026-12-01"}))
    dates = compute("US", events, "2026-07-03")
    assert dates.operative_due == dates.due == D("2026-07-30") and dates.stated_date == D("2026-12-01")
    assert any("does not move the statutory date" in line for line in dates.explain["operative_due"])


@pytest.mark.parametrize("code, today, words", [
    ("IL", "2026-06-30", "may not charge for the copies"),
    ("TX", "2026-07-10", "presumed public"),
    ("NY", "2026-06-30", "constructive denial"),
    ("PA", "2026-06-30", "deemed denial"),
])
def test_missed_deadline_consequences(code, today, words):
    dates = compute(code, timeline(("filed", "2026-06-15")), today)
    assert words in dates.missed_deadline
    assert any(line.startswith("The agency missed its deadline") for line in dates.explain["clock"])
    assert compute(code, timeline(("filed", "2026-06-15")), "2026-06-16").missed_deadline == ""


def test_deemed_denial_starts_the_appeal_clock():
    # New York: no acknowledgement within 5 business days is a constructive denial; appeal in 30 days.
    ny = compute("NY", timeline(("filed", "2026-11-02")), "2026-11-20")
    assert ny.deemed_denied_on == D("2026-11-11")
    assert ny.appeal["route"] == "agency_head" and ny.appeal["due"] == D("2026-12-11")
    # Pennsylvania: 15 business days from the deemed denial.
    pa = compute("PA", timeline(("filed", "2026-06-15")), "2026-06-30")
    assert pa.due == D("2026-06-23")  # Juneteenth skipped
    assert pa.deemed_denied_on == D("2026-06-24") and pa.appeal["due"] == D("2026-07-16")
    # New Jersey: 45 calendar days to the Government Records Council.
    nj = compute("NJ", timeline(("filed", "2026-06-15")), "2026-07-10")
    assert nj.appeal["route"] == "commission" and nj.appeal["due"] == D("2026-08-10")
    # Massachusetts: with no response, 90 days from the request itself.
    ma = compute("MA", timeline(("filed", "2026-06-15")), "2026-07-10")
    assert ma.appeal["due"] == D("2026-09-14") and ma.appeal["starts_on"] == "2026-06-15"
    # Before the deemed denial there is no appeal yet.
    assert compute("PA", timeline(("filed", "2026-06-15")), "2026-06-22").appeal is None


@pytest.mark.parametrize("route, code", [
    ("agency_head", "UT"), ("state_office", "DC"), ("attorney_general", "IL"),
    ("commission", "CT"), ("court_only", "ID"), ("other", "OR"),
])
def test_one_denial_per_appeal_route(route, code):
    dates = compute(code, timeline(("filed", "2026-06-15"), ("denied", "2026-06-17")), "2026-06-20")
    appeal = dates.appeal
    assert appeal["route"] == route == LAWS[code].appeal.route
    assert appeal["body"] == LAWS[code].appeal.body and appeal["citation"] == LAWS[code].appeal.citation
    assert appeal["starts_on"] == "2026-06-17"
    if LAWS[code].appeal.deadline:
        assert appeal["due"] == dates.appeal_by and not dates.appeal_is_default
    else:
        assert appeal["due"] is None and dates.appeal_is_default
        assert any("not a legal deadline" in line for line in dates.explain["appeal"])
    assert any(line.startswith("Who decides:") for line in dates.explain["appeal"])


def test_court_only_deadline_is_a_court_filing_deadline():
    dates = compute("ID", timeline(("filed", "2026-06-15"), ("denied", "2026-06-17")), "2026-06-20")
    assert dates.appeal["court_filing"] and dates.appeal["due"] == D("2026-12-14")  # 180 days, rolled from Sunday
    assert dates.explain["appeal"][0].startswith("File in court by 2026-12-14")


def test_appeal_deadline_in_years_is_calendar_years():
    dates = compute("HI", timeline(("filed", "2028-02-01"), ("denied", "2028-02-29")), "2028-03-01")
    assert dates.appeal["day_type"] == "years" and dates.appeal["due"] == D("2029-02-28")


@pytest.mark.parametrize("code", ["AK", "DE", "MO"])
def test_unverified_appeal_deadline_is_never_computed(code):
    dates = compute(code, timeline(("filed", "2026-06-15"), ("denied", "2026-06-17")), "2026-06-20")
    assert dates.appeal["due"] is None and not dates.appeal["deadline_verified"]
    assert dates.appeal_is_default and dates.appeal_by == D("2026-07-17")  # our reminder window, labelled
    assert any("not verified" in line for line in dates.explain["appeal"])
    assert any("Not verified by the research" in line for line in dates.explain["unverified"])


def test_a_no_records_answer_gets_an_appeal():
    dates = compute("CT", timeline(("filed", "2026-06-15"), ("no_records", "2026-06-18")), "2026-06-20")
    assert dates.appeal["route"] == "commission" and dates.appeal["due"] == D("2026-07-20")
    assert "no-records answer" in dates.explain["appeal"][0]


def test_an_appeal_filed_clears_the_appeal_deadline():
    events = timeline(("filed", "2026-06-15"), ("denied", "2026-06-17"), ("appeal_filed", "2026-06-20"))
    assert compute("PA", events, "2026-06-21").appeal is None


def test_wyoming_counts_from_the_acknowledged_receipt():
    assert compute("WY", timeline(("filed", "2026-06-15"), ("acknowledged", "2026-06-22")), "2026-06-23").due == \
        D("2026-07-22")
    silent = compute("WY", timeline(("filed", "2026-06-15")), "2026-06-23")
    assert silent.due == D("2026-07-15") and "acknowledged receipt" in silent.explain["due"][0]


@pytest.mark.parametrize("code, received, due", [
    ("KY", "2026-11-20", "2026-12-01"),  # Thanksgiving and the day after (KRS 18A.190)
    ("AR", "2026-12-21", "2026-12-28"),  # Christmas Eve (Ark. Code § 1-5-101)
    ("SC", "2026-12-18", "2027-01-06"),  # Dec 24, 25, 26 and New Year's Day
    ("IA", "2026-11-25", "2026-12-11"),  # a follow-up date (no fixed period) past the Friday after Thanksgiving
])
def test_year_end_and_state_holidays(code, received, due):
    dates = compute(code, timeline(("received_by_agency", received)), received)
    assert (dates.due or dates.follow_up) == D(due)


def test_every_date_explains_itself():
    events = timeline(("filed", "2026-06-15"), ("acknowledged", "2026-06-22"), ("denied", "2026-07-06"))
    data = compute("HI", events, "2026-07-07").as_json()
    for field in ("acknowledge_by", "due", "operative_due", "produce_by", "appeal"):
        assert data[field] is not None and data["explain_by_field"][field], field
    assert data["residency_required"] is False and data["appeal"]["route"] == "state_office"


def test_residency_required_per_jurisdiction():
    for code, law in LAWS.items():
        dates = compute(code, timeline(("filed", "2026-06-15")), "2026-06-16")
        assert dates.residency_required is law.residency.required


# --- stored dates follow the law table --------------------------------------------------------

def test_recompute_follows_a_law_row_change_and_an_operative_date(db):
    import json

    from foia import recompute

    stamp = "2026-09-01T09:00:00"
    agency = db["agencies"].insert({"name": "Seattle PD", "state": "WA", "created_at": stamp,
                                    "updated_at": stamp}).last_pk
    request_id = db["requests"].insert({"agency_id": agency, "title": "Ring records", "status": "filed",
                                        "created_at": stamp, "updated_at": stamp}).last_pk
    db["events"].insert_all([
        {"request_id": request_id, "kind": "filed", "occurred_on": "2026-09-01", "recorded_at": stamp, "data": "{}"},
        {"request_id": request_id, "kind": "acknowledged", "occurred_on": "2026-09-03", "recorded_at": stamp,
         "data": json.dumps({"estimated_date": "2026-10-15"})}])
    dates = recompute.request(db, request_id, today=D("2026-09-15"))
    assert dates.due == D("2026-09-09") and dates.operative_due == D("2026-10-15") and not dates.overdue
    # The law row changes (five business days become seven, the estimate no longer operative): the
    # bulk recompute follows it.
    statute = json.loads(db["laws"].get("WA")["statute"])
    reading = json.loads(db["laws"].get("WA")["reading"])
    db.execute("UPDATE laws SET statute = ?, reading = ? WHERE jurisdiction = 'WA'",
               [json.dumps(dict(statute, response_days="7")), json.dumps(dict(reading, estimate="none"))])
    recompute.everything(db, today=D("2026-09-15"))
    stored = db["request_dates"].get(request_id)
    assert stored["due"] == "2026-09-11"
    assert db["requests"].get(request_id)["due_on"] == "2026-09-11"


def test_a_deadline_counted_from_a_written_denial_is_not_counted_from_silence():
    # Federal FOIA: silence means constructive exhaustion (sue at once); the 90-day appeal runs from
    # an adverse determination only.
    dates = compute("US", timeline(("filed", "2026-07-01")), "2026-09-01")
    assert dates.deemed_denied_on == D("2026-07-31")
    assert dates.appeal["due"] is None and dates.appeal_is_default
    assert any("runs from a written adverse determination, not from silence" in line
               for line in dates.explain["appeal"])


@pytest.mark.parametrize("code, received, due, stated_days, extended", [
    ("VT", "2026-06-15", "2026-06-18", 5, "2026-06-26"),  # 10 business days "from the older text"
    ("MD", "2026-06-15", "2026-07-15", 15, "2026-07-30"),  # 30 days "with the requester's consent"
])
def test_an_unverified_extension_figure_is_never_applied(code, received, due, stated_days, extended):
    claimed = compute(code, timeline(("filed", received), ("extension_claimed", received)), received)
    assert claimed.due == D(due) and claimed.extended_due is None and claimed.operative_due == D(due)
    assert any("extension is not verified, so it is not applied" in line for line in claimed.explain["extended_due"])
    given = compute(code, timeline(("filed", received), ("extension_claimed", received, {"days": stated_days})),
                    received)
    assert given.extended_due == D(extended)  # the length the agency stated


def test_a_clarification_pause_says_what_the_law_says_about_it():
    events = timeline(("filed", "2026-07-01"), ("clarification_requested", "2026-07-08"))
    us = compute("US", events, "2026-07-10")
    assert us.clock == "paused"
    assert any(line.startswith("Clarification under this law: Agency may toll the 20 days once")
               and "not verified" not in line for line in us.explain["clock"])
    ny = compute("NY", timeline(("filed", "2026-07-01"), ("acknowledged", "2026-07-02"),
                                ("clarification_requested", "2026-07-08")), "2026-07-10")
    assert any("Whether this law stops the clock is not verified" in line for line in ny.explain["clock"])


def test_washington_reminders_follow_the_estimate():
    from foia.deadlines.settings import Settings
    from foia.reminders.plan import plan

    events = timeline(("filed", "2026-12-01"), ("acknowledged", "2026-12-03", {"estimated_date": "2027-01-15"}))
    dates = compute("WA", events, "2026-12-10")
    planned = plan(dates, "acknowledged", D("2026-12-10"), Settings()).fixed
    assert ("overdue", D("2027-01-16")) in planned and ("due_today", D("2027-01-15")) in planned
    assert not any(kind == "overdue" and day <= D("2027-01-15") for kind, day in planned)
