import datetime as dt

import holidays
import pytest

from foia import workdays

D = dt.date.fromisoformat


def test_federal_and_state_holidays_with_observed_dates():
    federal = workdays.holidays_for("US", 2026)
    assert federal[D("2026-07-03")] == "Independence Day (observed)"
    assert federal[D("2026-09-07")] == "Labor Day"
    california = workdays.holidays_for("CA", 2026)
    assert california[D("2026-03-31")] == "Cesar Chavez Day"
    assert D("2026-03-31") not in federal
    assert D("2026-04-16") in workdays.holidays_for("DC", 2026)  # DC Emancipation Day


def test_holiday_lists_are_built_once_per_jurisdiction_and_year():
    workdays.holidays_for.cache_clear()
    workdays.holidays_for("PA", 2026)
    workdays.holidays_for("PA", 2026)
    workdays.holidays_for("PA", 2027)
    info = workdays.holidays_for.cache_info()
    assert (info.hits, info.misses) == (1, 2)


def test_closed_reasons():
    cal = workdays.Calendar("US")
    assert cal.closed_reason(D("2026-09-07")) == "Labor Day"
    assert cal.closed_reason(D("2026-07-11")) == "Saturday"
    assert cal.closed_reason(D("2026-07-12")) == "Sunday"
    assert cal.closed_reason(D("2026-07-04")) == "Independence Day (Saturday)"
    assert cal.closed_reason(D("2026-07-06")) is None
    assert cal.is_business_day(D("2026-07-06"))
    assert not cal.is_business_day(D("2026-07-03"))


def test_add_business_days_reports_every_skipped_day():
    cal = workdays.Calendar("PA")
    due, skipped = cal.add_business_days(D("2026-09-03"), 5)
    assert due == D("2026-09-11")
    assert workdays.describe(skipped) == ["2026-09-05 Saturday", "2026-09-06 Sunday", "2026-09-07 Labor Day"]
    assert cal.add_business_days(D("2026-09-03"), 0) == (D("2026-09-03"), [])


def test_start_on_a_closed_day_counts_from_the_next_business_day():
    cal = workdays.Calendar("US")
    # Received on a Saturday: the first business day is Monday.
    assert cal.add_business_days(D("2026-07-11"), 1)[0] == D("2026-07-13")


def test_roll_forward_and_counting():
    cal = workdays.Calendar("CA")
    assert cal.roll_forward(D("2026-09-05")) == (
        D("2026-09-08"), [(D("2026-09-05"), "Saturday"), (D("2026-09-06"), "Sunday"), (D("2026-09-07"), "Labor Day")])
    assert cal.roll_forward(D("2026-09-08")) == (D("2026-09-08"), [])
    # California also closes on Admission Day (Sep 9, Gov. Code § 6700); Georgia does not.
    assert cal.count_business_days(D("2026-09-03"), D("2026-09-11")) == 4
    georgia = workdays.Calendar("GA")
    assert georgia.count_business_days(D("2026-09-03"), D("2026-09-11")) == 5
    assert georgia.count_business_days(D("2026-09-03"), D("2026-09-03")) == 0
    assert georgia.subtract_business_days(D("2026-09-08"), 2) == D("2026-09-03")


def test_year_end_uses_next_years_holidays():
    cal = workdays.Calendar("US")
    # 2027-12-31 is the observed New Year's Day of 2028; 2028-01-17 is MLK day.
    assert cal.closed_reason(D("2027-12-31")) == "New Year's Day (observed)"
    due, skipped = cal.add_business_days(D("2027-12-29"), 3)
    assert due == D("2028-01-04")
    assert "2027-12-31 New Year's Day (observed)" in workdays.describe(skipped)
    assert "2028-01-01 New Year's Day (Saturday)" in workdays.describe(skipped)


def test_agency_closed_days():
    cal = workdays.Calendar("GA", ["2026-06-17", {"date": "2026-06-22", "name": "city furlough"}])
    due, skipped = cal.add_business_days(D("2026-06-15"), 3)
    assert due == D("2026-06-23")
    assert workdays.describe(skipped) == [
        "2026-06-17 agency closed day", "2026-06-19 Juneteenth National Independence Day",
        "2026-06-20 Saturday", "2026-06-21 Sunday", "2026-06-22 agency closed day (city furlough)"]


def test_parse_closed_days_accepts_json_and_rejects_bad_dates():
    assert workdays.parse_closed_days('["2026-01-02"]') == {D("2026-01-02"): "agency closed day"}
    assert workdays.parse_closed_days("[]") == {}
    assert workdays.parse_closed_days(None) == {}
    with pytest.raises(ValueError, match="2026-02-30"):
        workdays.parse_closed_days('["2026-02-30"]')


def test_shared_calendar_without_closed_days():
    assert workdays.calendar_for("TX") is workdays.calendar_for("TX", "[]")
    assert workdays.calendar_for("TX", ["2026-01-02"]) is not workdays.calendar_for("TX")


def test_unknown_jurisdiction():
    with pytest.raises(ValueError, match="ZZ"):
        workdays.Calendar("ZZ")


@pytest.mark.parametrize("code", [c for c in holidays.US.subdivisions if c not in ("AS", "GU", "MP", "PR", "UM", "VI")] + ["US"])
def test_every_jurisdiction_has_a_calendar(code):
    cal = workdays.Calendar(code)
    assert cal.closed_reason(D("2026-12-25")).startswith("Christmas Day")
    assert cal.closed_reason(D("2026-01-01")) == "New Year's Day"


# --- the states' own closed days (foia/data/closed-days.csv) ----------------------------------

@pytest.mark.parametrize("code, day, reason", [
    ("AR", "2026-12-24", "Christmas Eve (Ark. Code § 1-5-101(a)(9))"),
    ("KY", "2026-11-27", "Day after Thanksgiving (KRS 18A.190)"),
    ("KY", "2026-12-24", "Christmas Eve (KRS 18A.190)"),
    ("KY", "2028-11-07", "Presidential Election Day (KRS 2.190; KRS 18A.190)"),
    ("SC", "2026-11-27", "Day after Thanksgiving (S.C. Code § 53-5-10)"),
    ("SC", "2026-12-24", "Christmas Eve (S.C. Code § 53-5-10)"),
    ("SC", "2026-12-26", "Day after Christmas (S.C. Code § 53-5-10) (Saturday)"),
    ("SC", "2028-05-10", "Confederate Memorial Day (S.C. Code § 53-5-10)"),
    ("IA", "2027-11-26", "Friday after Thanksgiving (Iowa Code § 1C.2(1)(h))"),
    ("NE", "2027-11-26", "Day after Thanksgiving (Neb. Rev. Stat. § 25-2221 list)"),
    ("HI", "2026-04-03", "Good Friday (HRS § 8-1)"),
    ("ND", "2026-04-03", "Good Friday (N.D.C.C. § 1-03-01(5))"),
    ("MO", "2027-02-12", "Lincoln Day (RSMo § 9.010)"),
    ("MD", "2026-11-03", "General election day (Maryland Manual)"),
    ("CA", "2026-09-25", "Native American Day (Cal. Gov. Code § 6700)"),
])
def test_state_closed_days_beyond_the_package(code, day, reason):
    assert D(day) not in holidays.US(subdiv=code, years=D(day).year)
    assert workdays.Calendar(code).closed_reason(D(day)) == reason


def test_state_days_apply_only_in_their_years_and_states():
    assert workdays.Calendar("MD").is_business_day(D("2027-11-02"))  # no general election in odd years
    assert workdays.Calendar("KY").is_business_day(D("2026-11-03"))  # not a presidential election year
    assert workdays.Calendar("PA").is_business_day(D("2026-12-24"))
    assert workdays.Calendar("TN").is_business_day(D("2026-11-27"))


def test_the_package_date_the_state_does_not_keep_is_a_business_day():
    # The package puts Confederate Memorial Day on the fourth Monday of April; S.C. Code § 53-5-10 says May 10.
    assert "Confederate Memorial Day" in holidays.US(subdiv="SC", years=2026)[D("2026-04-27")]
    cal = workdays.Calendar("SC")
    assert cal.is_business_day(D("2026-04-27"))
    assert cal.closed_reason(D("2026-04-27")) is None


def test_year_end_in_south_carolina_skips_three_state_days():
    # Dec 23, 2026 (Wednesday): Dec 24 and 26 are state holidays, Dec 25 Christmas, then the weekend.
    cal = workdays.Calendar("SC")
    due, skipped = cal.add_business_days(D("2026-12-23"), 1)
    assert due == D("2026-12-28")
    assert workdays.describe(skipped) == [
        "2026-12-24 Christmas Eve (S.C. Code § 53-5-10)", "2026-12-25 Christmas Day",
        "2026-12-26 Day after Christmas (S.C. Code § 53-5-10) (Saturday)", "2026-12-27 Sunday"]
    # The package alone would have counted Christmas Eve.
    assert workdays.Calendar("GA").add_business_days(D("2026-12-22"), 1)[0] != D("2026-12-28")


def test_kentucky_thanksgiving_and_christmas_through_the_new_year():
    cal = workdays.Calendar("KY")
    # 5 business days after Wed Nov 25, 2026: Thanksgiving and the day after are closed.
    assert cal.add_business_days(D("2026-11-25"), 5)[0] == D("2026-12-04")
    # From Tue Dec 22, 2026: Dec 24, 25, 31 (the package's New Year's Eve) and Jan 1 are closed.
    due, skipped = cal.add_business_days(D("2026-12-22"), 5)
    assert due == D("2027-01-04")
    assert "2026-12-24 Christmas Eve (KRS 18A.190)" in workdays.describe(skipped)


def test_every_state_day_row_is_valid_and_sourced():
    days = workdays.read_state_days()
    assert set(days) >= {"AR", "HI", "IA", "KY", "ND", "NE", "SC"}
    for code, rules in days.items():
        for rule in rules:
            assert rule.source and rule.citation and rule.name
            for year in range(2026, 2031):
                day = rule.date_in(year)
                assert day is None or day.year == year


@pytest.mark.parametrize("column, value, message", [
    ("jurisdiction", "ZZ", "is not a state or DC"), ("effect", "shut", "is not closed or open"),
    ("rule", "xmas", "is not MM-DD"), ("rule", "02-30", "is not a day of the year"),
    ("years", "odd", "is not empty, even or presidential"), ("source", "", "empty"),
])
def test_bad_state_day_row_names_line_and_column(tmp_path, column, value, message):
    import csv

    with open(workdays.STATE_CLOSED_DAYS_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows[1][column] = value
    path = tmp_path / "closed-days.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=workdays.STATE_DAY_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ValueError, match=f"closed-days.csv line 3, column {column}: .*{message}"):
        workdays.read_state_days(path)
