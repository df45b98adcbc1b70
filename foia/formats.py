"""Dates, times, money and counts in words for people: "Tue 8 Dec 2026", "$12.50", "1 day".

Plain functions, used by the web templates (through the filters in :mod:`foia.web.app`), by e-mail
and notification texts, and by the CLI. Each accepts what the database stores (ISO text) as well as
Python values, and gives back the input unchanged (as text) when it cannot be read, so a page never
fails over a malformed cell.
"""
import datetime as dt
from decimal import Decimal, InvalidOperation


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _as_datetime(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def day(value, *, weekday: bool = True) -> str:
    """``2026-12-08`` → ``Tue 8 Dec 2026`` (without the weekday: ``8 Dec 2026``)."""
    date = _as_date(value)
    if date is None:
        return "" if value is None else str(value)
    text = f"{date.day} {date.strftime('%b')} {date.year}"
    return f"{date.strftime('%a')} {text}" if weekday else text


def moment(value) -> str:
    """A stored time stamp ``2026-12-01T07:05:06`` → ``Tue 1 Dec 2026, 07:05``; a bare date as :func:`day`."""
    stamp = _as_datetime(value)
    if stamp is None or (isinstance(value, str) and len(value) <= 10):
        return day(value)
    return f"{day(stamp)}, {stamp.strftime('%H:%M')}"


def iso(value) -> str:
    """The machine form for ``<time datetime=…>``: ``2026-12-08`` or ``2026-12-01T07:05:06``."""
    stamp = _as_datetime(value) if not isinstance(value, dt.date) or isinstance(value, dt.datetime) else None
    if stamp is not None and not (isinstance(value, str) and len(value) <= 10):
        return stamp.isoformat(timespec="seconds")
    date = _as_date(value)
    return date.isoformat() if date else ("" if value is None else str(value))


def money(value, *, currency: str = "$") -> str:
    """``12.5`` / ``"12.50"`` / ``Decimal`` → ``$12.50``; thousands get commas: ``$1,250.00``."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value).strip().lstrip("$").replace(",", ""))
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}{currency}{abs(amount):,.2f}"


def plural(count, singular: str, plural_form: str | None = None, *, with_count: bool = True) -> str:
    """``plural(1, "day")`` → ``1 day``; ``plural(3, "day")`` → ``3 days``; ``plural(2, "agency", "agencies")``."""
    try:
        number = int(count)
    except (TypeError, ValueError):
        number = 0
    word = singular if number == 1 else (plural_form or singular + "s")
    return f"{number:,} {word}" if with_count else word
