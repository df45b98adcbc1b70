"""Which reminders a request's dates call for, and to whom: pure, no database.

Fixed reminders (acknowledgement due, response due soon, due today, overdue, appeal window
closing) fall on one day each. Response reminders follow the operative due date (an agency's
estimate where the law makes it operative, e.g. Washington); the appeal reminder is planned
whenever the dates carry an appeal (a denial, a no-records answer or a deemed denial); follow-ups repeat every N days after the due date (or the
follow-up date), and only the next few are planned: the daily recompute plans the ones after.
"""
import datetime as dt

from ..deadlines.engine import Dates
from ..deadlines.settings import Settings


class Plan:
    """The reminders a request's dates call for: fixed ones by (kind, day), plus follow-ups that
    repeat every N days from a base date (only the next few are ever written)."""

    def __init__(self):
        self.fixed: dict[tuple[str, dt.date], dt.date] = {}  # (kind, day) -> the date it is about
        self.repeat_base: dt.date | None = None
        self.repeat_every = 7
        self.repeat_last: dt.date | None = None
        self.repeat_about: dt.date | None = None

    def __bool__(self) -> bool:
        return bool(self.fixed) or self.repeat_base is not None

    def wants(self, kind: str, day: dt.date) -> bool:
        if kind == "follow_up" and self.repeat_base is not None:
            offset = (day - self.repeat_base).days
            return 0 < offset and offset % self.repeat_every == 0 and day <= self.repeat_last
        return (kind, day) in self.fixed

    def upcoming(self, today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
        """(kind, day, about) for every wanted reminder on or after ``today``."""
        rows = [(k, d, about) for (k, d), about in self.fixed.items() if d >= today]
        if self.repeat_base is not None:
            day = self.repeat_base + dt.timedelta(days=self.repeat_every)
            if day < today:
                skip = -(-(today - day).days // self.repeat_every)
                day += dt.timedelta(days=skip * self.repeat_every)
            while day <= self.repeat_last:
                rows.append(("follow_up", day, self.repeat_about))
                day += dt.timedelta(days=self.repeat_every)
        return rows


def plan(dates: Dates, status: str, today: dt.date, settings: Settings, disabled=()) -> Plan:
    """Which reminders ``dates`` call for (pure)."""
    result = Plan()
    if dates.clock not in ("running", "paused") and dates.appeal_by is None:
        return result

    def add(kind, day, about):
        if kind not in disabled and day is not None:
            result.fixed[(kind, day)] = about

    cal = dates.calendar
    if dates.clock in ("running", "paused") and dates.acknowledge_by and not dates.acknowledged:
        add("acknowledgement_due", dates.acknowledge_by, dates.acknowledge_by)
    if dates.clock == "running":
        due = dates.effective_due
        if due is not None:
            if settings.due_soon_business_days and cal is not None:
                soon = cal.subtract_business_days(due, settings.due_soon_business_days)
                if dates.received is None or soon > dates.received:
                    add("due_soon", soon, due)
            add("due_today", due, due)
            add("overdue", due + dt.timedelta(days=1), due)
            base = due + dt.timedelta(days=1)
        elif dates.follow_up is not None:
            add("due_today", dates.follow_up, dates.follow_up)
            base = dates.follow_up
        else:
            base = None
        if base is not None and "follow_up" not in disabled:
            every = settings.follow_up_every_days
            result.repeat_base, result.repeat_every, result.repeat_about = base, every, dates.target
            # The next few after today (or after the base while that is still ahead).
            start = max(today, base)
            ahead = -(-(start - base).days // every) if start > base else 1
            result.repeat_last = base + dt.timedelta(days=every * (ahead + settings.follow_up_horizon - 1))
    if dates.appeal_by is not None and (dates.appeal is not None or status == "denied"):
        # A denial, a no-records answer or a deemed denial: warn before the appeal window closes,
        # never before the window opened.
        opened = dates.denied_on
        if dates.appeal is not None and dates.appeal.get("starts_on"):
            opened = dt.date.fromisoformat(dates.appeal["starts_on"])
        warn = dates.appeal_by - dt.timedelta(days=settings.appeal_warning_days)
        add("appeal_window", max(warn, opened or warn), dates.appeal_by)
    return result


def due_at(day: dt.date, settings: Settings) -> str:
    return f"{day.isoformat()}T{settings.reminder_hour:02d}:00:00"


def recipients(owner_id, users: dict, settings: Settings) -> dict[str, str]:
    """channel -> recipient: the owner's address (else the group address) and the app inbox."""
    owner = users.get(owner_id) if owner_id else None
    if owner and owner["disabled_at"]:
        owner = None
    result = {"app": f"user:{owner['id']}" if owner else "team"}
    email = owner["email"] if owner else settings.group_email
    if email:
        result["email"] = email
    return result
