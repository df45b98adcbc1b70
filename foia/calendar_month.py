"""The calendar month view: the weeks of a month with the deadlines and reminders on each day.

Dates come from the stored deadlines (``request_dates``, open requests only) and the pending
reminders (one entry per request, kind and day, whatever its channels). A request's deadlines that
fall on one day are listed once, under the first of :data:`DATE_LABELS` (the operative due date is
usually also the statutory or the extended one). Weeks start on Sunday.
"""
import calendar
import datetime as dt
from dataclasses import dataclass, field

from . import lifecycle
from .errors import Invalid
from .reminders import KINDS as REMINDER_KINDS

# request_dates column -> what the date is, for people; on one day, the first listed wins.
DATE_LABELS = {
    "operative_due": "Response due",
    "extended_due": "Extended due date",
    "due": "Due by law",
    "acknowledge_by": "Acknowledgement due",
    "produce_by": "Produce by",
    "deemed_denied_on": "Deemed denied",
    "follow_up": "Follow up",
    "appeal_by": "Appeal window closes",
}
MAX_PER_DAY = 6  # entries listed in a day's box; the rest are counted


@dataclass
class Day:
    date: dt.date
    in_month: bool
    is_today: bool
    items: list[dict] = field(default_factory=list)
    more: int = 0


def parse_month(text: str | None, today: dt.date) -> tuple[int, int]:
    """``YYYY-MM`` (or nothing: this month) as (year, month)."""
    if not text:
        return today.year, today.month
    try:
        year, month = (int(part) for part in text.split("-"))
        dt.date(year, month, 1)
    except ValueError:
        raise Invalid("month", "Give the month as year and month, for example 2026-09.") from None
    return year, month


def month(db, year: int, month_number: int, *, today: dt.date) -> dict:
    """{"title", "first", "weeks": [[Day x 7]...], "previous": (y, m), "next": (y, m), their titles
    "previous_title" and "next_title", "this_month": (y, m) of today, "count": entries in the month}."""
    weeks = calendar.Calendar(firstweekday=6).monthdatescalendar(year, month_number)
    start, end = weeks[0][0].isoformat(), weeks[-1][-1].isoformat()
    days = {d: Day(d, d.month == month_number, d == today) for week in weeks for d in week}
    open_statuses = sorted(lifecycle.OPEN_STATUSES)
    marks = ", ".join("?" for _ in open_statuses)
    entries = []
    seen = set()  # (request, day) with a deadline listed already
    for column, label in DATE_LABELS.items():
        status_filter = "" if column == "appeal_by" else f"AND r.status IN ({marks})"
        params = [start, end] + ([] if column == "appeal_by" else open_statuses)
        for row in db.execute(
                f"""SELECT d.{column}, r.id, r.title, a.name FROM request_dates d
                    JOIN requests r ON r.id = d.request_id JOIN agencies a ON a.id = r.agency_id
                    WHERE d.{column} BETWEEN ? AND ? {status_filter} ORDER BY d.{column}, r.id""", params):
            if (row[1], row[0]) in seen:
                continue
            seen.add((row[1], row[0]))
            entries.append((row[0], {"kind": "deadline", "label": label, "request_id": row[1],
                                     "title": row[2], "agency": row[3]}))
    for row in db.execute(
            """SELECT DISTINCT substr(m.due_at, 1, 10), m.kind, r.id, r.title, a.name FROM reminders m
               JOIN requests r ON r.id = m.request_id JOIN agencies a ON a.id = r.agency_id
               WHERE m.sent_at IS NULL AND m.due_at >= ? AND m.due_at < ? ORDER BY 1, r.id""",
            [start, (weeks[-1][-1] + dt.timedelta(days=1)).isoformat()]):
        entries.append((row[0], {"kind": "reminder", "label": "Reminder: " + REMINDER_KINDS.get(
                                     row[1], row[1].replace("_", " ")).lower(),
                                 "request_id": row[2], "title": row[3], "agency": row[4]}))
    entries.sort(key=lambda entry: entry[0])  # stable: deadlines before reminders on a day
    for on, item in entries:
        day = days.get(dt.date.fromisoformat(on))
        if day is None:
            continue
        if len(day.items) < MAX_PER_DAY:
            day.items.append(item)
        else:
            day.more += 1
    first = dt.date(year, month_number, 1)
    previous = (first - dt.timedelta(days=1))
    following = first + dt.timedelta(days=calendar.monthrange(year, month_number)[1])
    return {"title": _title(year, month_number), "first": first,
            "weeks": [[days[d] for d in week] for week in weeks],
            "previous": (previous.year, previous.month), "next": (following.year, following.month),
            "previous_title": _title(previous.year, previous.month),
            "next_title": _title(following.year, following.month),
            "this_month": (today.year, today.month),
            "count": sum(len(d.items) + d.more for d in days.values() if d.in_month)}


def _title(year: int, month_number: int) -> str:
    return f"{calendar.month_name[month_number]} {year}"
