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
    assert cal.count_business_days(D("2026-09-03"), D("2026-09-11")) == 5
    assert cal.count_business_days(D("2026-09-03"), D("2026-09-03")) == 0
    assert cal.subtract_business_days(D("2026-09-08"), 2) == D("2026-09-03")


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
