"""Business-day arithmetic for one jurisdiction, over the ``holidays`` package.

A day is closed when it is a Saturday, a Sunday, a public holiday of the jurisdiction
(``holidays.US(subdiv=STATE)``, ``holidays.US()`` for the federal government, observed dates
included, corrected by the state's own list in ``foia/data/closed-days.csv``: days the package
misses, and the few it puts on the wrong date) or one of an agency's own closed days. Every
function that moves a date also returns the days it skipped, each with its reason ("2026-09-07
Labor Day", "2026-07-11 Saturday", "2026-12-24 Christmas Eve (Ark. Code § 1-5-101(a)(9))"), so a
deadline can explain itself.

Holiday lists are built once per (jurisdiction, year) and kept for the life of the process.
"""
import bisect
import csv
import dataclasses
import datetime as dt
import functools
import json
import re
from pathlib import Path

import holidays
from dateutil.easter import easter

ONE_DAY = dt.timedelta(days=1)
WEEKEND = {5: "Saturday", 6: "Sunday"}
AGENCY_CLOSED = "agency closed day"

Skipped = tuple[dt.date, str]  # (day, reason)

STATE_CLOSED_DAYS_CSV = Path(__file__).resolve().parent / "data" / "closed-days.csv"
STATE_DAY_COLUMNS = ("jurisdiction", "effect", "rule", "years", "name", "source")
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_RULE = re.compile(r"^(?:(?P<md>\d\d-\d\d)|thanksgiving\+1|easter-2|election|"
                   r"nth:(?P<month>\d\d):(?P<weekday>mon|tue|wed|thu|fri|sat|sun):(?P<n>[1-5]))$")


@dataclasses.dataclass(frozen=True)
class StateDay:
    """One correction to the ``holidays`` package for a state, from ``closed-days.csv``.

    ``effect`` is "closed" (a day the state's offices close that the package misses) or "open" (a
    day the package lists that is not the state's holiday on that date). ``rule`` is ``MM-DD``,
    ``thanksgiving+1``, ``easter-2`` (Good Friday), ``election`` (the Tuesday after the first Monday
    of November) or ``nth:MM:WEEKDAY:N`` (the N-th weekday of a month); ``years`` limits it to
    "even" years or "presidential" election years.
    """
    jurisdiction: str
    effect: str
    rule: str
    years: str
    name: str
    source: str

    @property
    def citation(self) -> str:
        """The source without its parenthesised remarks: "Ark. Code § 1-5-101(a)(9)"."""
        return self.source.split(" (")[0].strip()

    def date_in(self, year: int) -> dt.date | None:
        """The day this rule gives in ``year``, or None when it does not apply that year."""
        if self.years == "even" and year % 2:
            return None
        if self.years == "presidential" and year % 4:
            return None
        match = _RULE.match(self.rule)
        if match["md"]:
            return dt.date.fromisoformat(f"{year}-{match['md']}")
        if self.rule == "thanksgiving+1":
            return _nth_weekday(year, 11, 3, 4) + ONE_DAY
        if self.rule == "easter-2":
            return easter(year) - 2 * ONE_DAY
        if self.rule == "election":
            return _nth_weekday(year, 11, 0, 1) + ONE_DAY
        return _nth_weekday(year, int(match["month"]), WEEKDAYS[match["weekday"]], int(match["n"]))


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def read_state_days(path: Path | str = STATE_CLOSED_DAYS_CSV) -> dict[str, tuple[StateDay, ...]]:
    """The per-state corrections, validated: a bad row raises ValueError naming its line and column."""
    path = Path(path)
    found: dict[str, list[StateDay]] = {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in STATE_DAY_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}")
        for raw in reader:
            row = {k: (raw.get(k) or "").strip() for k in STATE_DAY_COLUMNS}

            def bad(column, problem):
                return ValueError(f"{path.name} line {reader.line_num}, column {column}: {problem}")

            if row["jurisdiction"] not in _subdivisions():
                raise bad("jurisdiction", f"{row['jurisdiction']!r} is not a state or DC")
            if row["effect"] not in ("closed", "open"):
                raise bad("effect", f"{row['effect']!r} is not closed or open")
            match = _RULE.match(row["rule"])
            if not match:
                raise bad("rule", f"{row['rule']!r} is not MM-DD, thanksgiving+1, easter-2, election or nth:MM:day:N")
            if match["md"]:
                try:
                    dt.date.fromisoformat(f"2024-{match['md']}")
                except ValueError:
                    raise bad("rule", f"{row['rule']!r} is not a day of the year") from None
            if row["years"] not in ("", "even", "presidential"):
                raise bad("years", f"{row['years']!r} is not empty, even or presidential")
            for column in ("name", "source"):
                if not row[column]:
                    raise bad(column, "empty")
            found.setdefault(row["jurisdiction"], []).append(StateDay(**row))
    return {code: tuple(days) for code, days in found.items()}


@functools.lru_cache(maxsize=1)
def _state_days() -> dict[str, tuple[StateDay, ...]]:
    return read_state_days()


def state_days(jurisdiction: str) -> tuple[StateDay, ...]:
    """The corrections to the ``holidays`` package for one jurisdiction (empty for most)."""
    return _state_days().get(jurisdiction, ())


@functools.lru_cache(maxsize=None)
def holidays_for(jurisdiction: str, year: int) -> dict[dt.date, str]:
    """Public holidays of a jurisdiction ("US" for federal, else a state or "DC") in one year: the
    ``holidays`` package's, corrected by the state's own list (each added day names its source)."""
    if jurisdiction == "US":
        calendar = holidays.US(years=year)
    else:
        calendar = holidays.US(subdiv=jurisdiction, years=year)
    days = {day: name for day, name in calendar.items() if day.year == year}
    for rule in state_days(jurisdiction):
        day = rule.date_in(year)
        if day is None:
            continue
        if rule.effect == "open":
            if rule.name in days.get(day, ""):
                del days[day]
        elif day not in days:
            days[day] = f"{rule.name} ({rule.citation})"
    return days


def parse_closed_days(value) -> dict[dt.date, str]:
    """An agency's extra closed days from its ``closed_days`` column.

    Accepts JSON text or a list of ISO dates (or of ``{"date": ..., "name": ...}`` objects).
    Raises ValueError naming the first entry that is not a date.
    """
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        value = json.loads(value)
    if isinstance(value, dict):
        value = [{"date": k, "name": v} for k, v in value.items()]
    days: dict[dt.date, str] = {}
    for item in value:
        if isinstance(item, dict):
            text, name = item.get("date"), (item.get("name") or "").strip()
        else:
            text, name = item, ""
        if isinstance(text, dt.date):
            day = text
        else:
            try:
                day = dt.date.fromisoformat(str(text).strip())
            except ValueError:
                raise ValueError(f"closed day {text!r} is not a date (use YYYY-MM-DD)") from None
        days[day] = f"{AGENCY_CLOSED} ({name})" if name else AGENCY_CLOSED
    return days


class Calendar:
    """Open and closed days for one jurisdiction, plus an agency's own closed days.

    Business-day arithmetic uses a sorted list of the ordinals of open days (built per year as
    needed), so counting N business days is a binary search, not a walk.
    """

    def __init__(self, jurisdiction: str, closed_days=None):
        if jurisdiction != "US" and jurisdiction not in _subdivisions():
            raise ValueError(f"no holiday calendar for jurisdiction {jurisdiction!r}")
        self.jurisdiction = jurisdiction
        self.closed_days = closed_days if isinstance(closed_days, dict) else parse_closed_days(closed_days)
        self._years: dict[int, dict[dt.date, str]] = {}
        self._open: list[int] = []  # ordinals of business days from 1 Jan of _first to 31 Dec of _last
        self._first = self._last = None

    def _holidays(self, year: int) -> dict[dt.date, str]:
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = holidays_for(self.jurisdiction, year)
        return found

    def closed_reason(self, day: dt.date) -> str | None:
        """Why ``day`` is not a business day, or None when it is one."""
        holiday = self._holidays(day.year).get(day)
        weekend = WEEKEND.get(day.weekday())
        own = self.closed_days.get(day) if self.closed_days else None
        if holiday:
            reason = f"{holiday} ({weekend})" if weekend else holiday
            return f"{reason}; {own}" if own else reason
        if weekend:
            return weekend
        return own

    def is_business_day(self, day: dt.date) -> bool:
        if day.weekday() >= 5:
            return False
        if day in self._holidays(day.year):
            return False
        return not (self.closed_days and day in self.closed_days)

    def _cover(self, first: int, last: int) -> None:
        """Make the open-day list cover the years ``first`` to ``last``."""
        if self._first is not None and self._first <= first and last <= self._last:
            return
        if self._first is not None:
            first, last = min(first, self._first), max(last, self._last)
        if self.closed_days:
            # The jurisdiction's open days, less the agency's own closed days.
            base = _shared_calendar(self.jurisdiction)
            base._cover(first, last)
            low = bisect.bisect_left(base._open, dt.date(first, 1, 1).toordinal())
            high = bisect.bisect_right(base._open, dt.date(last, 12, 31).toordinal())
            closed = {day.toordinal() for day in self.closed_days}
            days = [d for d in base._open[low:high] if d not in closed]
        else:
            day, end = dt.date(first, 1, 1), dt.date(last, 12, 31)
            days = []
            while day <= end:
                if self.is_business_day(day):
                    days.append(day.toordinal())
                day += ONE_DAY
        self._open, self._first, self._last = days, first, last

    def add_business_days(self, start: dt.date, count: int, skipped: bool = True) -> tuple[dt.date, list[Skipped]]:
        """The ``count``-th business day after ``start`` (``start`` itself never counts).

        With ``count`` 0 the result is ``start``. Returns the date and the closed days passed over
        (an empty list when ``skipped`` is False).
        """
        if count <= 0:
            return start, []
        if self._first is None or not self._first <= start.year < self._last:
            self._cover(start.year, start.year + 1 + count // 200)
        index = bisect.bisect_right(self._open, start.toordinal()) + count - 1
        while index >= len(self._open):
            self._cover(self._first, self._last + 1)
            index = bisect.bisect_right(self._open, start.toordinal()) + count - 1
        day = dt.date.fromordinal(self._open[index])
        return day, (self.closed_between(start, day) if skipped else [])

    def roll_forward(self, day: dt.date) -> tuple[dt.date, list[Skipped]]:
        """``day`` if it is a business day, else the next business day, with the days skipped."""
        skipped: list[Skipped] = []
        while not self.is_business_day(day):
            skipped.append((day, self.closed_reason(day)))
            day += ONE_DAY
        return day, skipped

    def subtract_business_days(self, end: dt.date, count: int) -> dt.date:
        """The business day ``count`` business days before ``end``."""
        if count <= 0:
            return end
        self._cover(end.year - 1 - count // 200, end.year)
        index = bisect.bisect_left(self._open, end.toordinal()) - count
        while index < 0:
            self._cover(self._first - 1, self._last)
            index = bisect.bisect_left(self._open, end.toordinal()) - count
        return dt.date.fromordinal(self._open[index])

    def count_business_days(self, start: dt.date, end: dt.date) -> int:
        """How many business days fall after ``start`` up to and including ``end``."""
        if end <= start:
            return 0
        self._cover(start.year, end.year)
        return bisect.bisect_right(self._open, end.toordinal()) - bisect.bisect_right(self._open, start.toordinal())

    def closed_between(self, start: dt.date, end: dt.date) -> list[Skipped]:
        """Closed days after ``start`` up to and including ``end``, with their reasons."""
        result = []
        day = start
        while day < end:
            day += ONE_DAY
            reason = self.closed_reason(day)
            if reason:
                result.append((day, reason))
        return result


@functools.lru_cache(maxsize=1)
def _subdivisions() -> frozenset[str]:
    return frozenset(holidays.US.subdivisions)


@functools.lru_cache(maxsize=256)
def _shared_calendar(jurisdiction: str) -> Calendar:
    return Calendar(jurisdiction)


@functools.lru_cache(maxsize=4096)
def _agency_calendar(jurisdiction: str, closed_days: str) -> Calendar:
    return Calendar(jurisdiction, closed_days)


def calendar_for(jurisdiction: str, closed_days=None) -> Calendar:
    """A Calendar for a jurisdiction and an agency's closed days, shared between callers that give
    the same ones (closed days as the JSON text of the agency row are cached as such)."""
    if closed_days in (None, "", "[]") or (not isinstance(closed_days, str) and not closed_days):
        return _shared_calendar(jurisdiction)
    if isinstance(closed_days, str):
        return _agency_calendar(jurisdiction, closed_days)
    days = closed_days if isinstance(closed_days, dict) else parse_closed_days(closed_days)
    return Calendar(jurisdiction, days) if days else _shared_calendar(jurisdiction)


def describe(skipped: list[Skipped]) -> list[str]:
    """Skipped days as text: ``["2026-09-07 Labor Day", ...]``."""
    return [f"{day.isoformat()} {reason}" for day, reason in skipped]
