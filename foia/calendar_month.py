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
    entries = []
    seen = set()  # (request, day) with a deadline listed already
    # One pass over the stored dates (any column in the weeks shown), not one per column.
    in_range = " OR ".join(f"d.{column} BETWEEN :start AND :end" for column in DATE_LABELS)
    for row in db.execute(
            f"""SELECT r.id, r.title, a.name, r.status, {', '.join('d.' + c for c in DATE_LABELS)}
                FROM request_dates d JOIN requests r ON r.id = d.request_id JOIN agencies a ON a.id = r.agency_id
                WHERE {in_range} ORDER BY r.id""", {"start": start, "end": end}):
        request_id, title, agency, status = row[:4]
        for (column, label), on in zip(DATE_LABELS.items(), row[4:]):
            if not on or not start <= on <= end or (request_id, on) in seen:
                continue
            if column != "appeal_by" and status not in lifecycle.OPEN_STATUSES:
                continue  # a closed request's clocks no longer run; its appeal window still closes
            seen.add((request_id, on))
            entries.append((on, {"kind": "deadline", "label": label, "request_id": request_id,
                                 "title": title, "agency": agency}))
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
