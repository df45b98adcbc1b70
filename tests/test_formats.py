"""Dates, money and counts as people read them."""
import datetime as dt
from decimal import Decimal

from foia import formats


def test_days_read_as_weekday_day_month_year():
    assert formats.day("2026-12-08") == "Tue 8 Dec 2026"
    assert formats.day(dt.date(2027, 1, 1)) == "Fri 1 Jan 2027"
    assert formats.day("2026-12-08", weekday=False) == "8 Dec 2026"
    assert formats.day("2026-12-01T07:05:06") == "Tue 1 Dec 2026"


def test_time_stamps_read_with_the_hour_and_keep_their_iso_form():
    assert formats.moment("2026-12-01T07:05:06") == "Tue 1 Dec 2026, 07:05"
    assert formats.moment("2026-12-01") == "Tue 1 Dec 2026"
    assert formats.iso("2026-12-01T07:05:06") == "2026-12-01T07:05:06"
    assert formats.iso(dt.date(2026, 12, 8)) == "2026-12-08"
    assert formats.iso("2026-12-08") == "2026-12-08"


def test_unreadable_values_come_back_as_text_not_an_error():
    assert formats.day("June 2019") == "June 2019"
    assert formats.day(None) == ""
    assert formats.moment("soon") == "soon"
    assert formats.money("about ten") == "about ten"
    assert formats.money("NaN") == "NaN"


def test_money_has_one_dollar_sign_two_decimals_and_commas():
    assert formats.money(12.5) == "$12.50"
    assert formats.money("$12.50") == "$12.50"
    assert formats.money(Decimal("1250")) == "$1,250.00"
    assert formats.money(-3) == "-$3.00"
    assert formats.money(None) == ""


def test_plurals():
    assert formats.plural(1, "day") == "1 day"
    assert formats.plural(0, "day") == "0 days"
    assert formats.plural(214, "agency", "agencies") == "214 agencies"
    assert formats.plural(2500, "request") == "2,500 requests"
    assert formats.plural(2, "letter", with_count=False) == "letters"


def test_template_filters_wrap_dates_in_time_elements(app):
    with app.test_request_context("/"):
        render = app.jinja_env.from_string
        assert render("{{ d|day }}").render(d="2026-12-08") == '<time datetime="2026-12-08">Tue 8 Dec 2026</time>'
        assert render("{{ d|moment }}").render(d="2026-12-01T07:05:06") == (
            '<time datetime="2026-12-01T07:05:06">Tue 1 Dec 2026, 07:05</time>')
        assert render("{{ d|day }}").render(d="<b>June</b>") == "&lt;b&gt;June&lt;/b&gt;"
        assert render("{{ d|day }}").render(d=None) == ""
        assert render("{{ 12.5|money }} {{ plural(1, 'day') }}").render() == "$12.50 1 day"
        assert render("{{ can_edit() }} {{ is_admin() }} {{ signed_in() }}").render() == "False False False"
