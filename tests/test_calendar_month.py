"""The calendar month view over a real database."""
import datetime as dt

import pytest

from foia import agencies, calendar_month, errors, requests


def test_month_places_deadlines_on_their_days(app, db):
    ca = agencies.upsert(db, {"name": "Fresno Police Department", "state": "CA"})[0]
    request_id = requests.create_request(db, agency_id=ca, title="Ring MOU", filed_on="2026-09-01")
    due = db.execute("SELECT due FROM request_dates WHERE request_id = ?", [request_id]).fetchone()[0]
    view = calendar_month.month(db, 2026, 9, today=dt.date(2026, 9, 15))
    assert view["title"] == "September 2026"
    assert view["previous"] == (2026, 8) and view["next"] == (2026, 10)
    assert all(len(week) == 7 for week in view["weeks"])
    assert view["weeks"][0][0].date == dt.date(2026, 8, 30)  # a Sunday
    assert view["weeks"][0][0].in_month is False
    days = {d.date: d for week in view["weeks"] for d in week}
    assert days[dt.date(2026, 9, 15)].is_today
    labels = [(i["label"], i["request_id"]) for i in days[dt.date.fromisoformat(due)].items]
    assert ("Response due", request_id) in labels
    december = calendar_month.month(db, 2026, 12, today=dt.date(2026, 9, 15))
    assert december["next"] == (2027, 1)
    assert not any(i["request_id"] == request_id and i["label"] == "Response due"
                   for week in december["weeks"] for d in week for i in d.items)


def test_parse_month():
    assert calendar_month.parse_month(None, dt.date(2026, 9, 15)) == (2026, 9)
    assert calendar_month.parse_month("2027-02", dt.date(2026, 9, 15)) == (2027, 2)
    with pytest.raises(errors.Invalid):
        calendar_month.parse_month("2026-13", dt.date(2026, 9, 15))
