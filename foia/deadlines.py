"""Statutory deadlines, derived from a request's timeline and the law table, never stored by hand.

:func:`compute` is pure: (law, timeline events, today, the agency's closed days, settings) ->
:class:`Dates`. The rule:

- Day 0 is the day the agency received the request (``received_by_agency``, else ``filed``).
- Business-day laws: the due date is the N-th business day after day 0 (weekends, the
  jurisdiction's public holidays with observed dates, and the agency's own closed days skipped).
- Calendar-day laws: day 0 + N days, rolled forward to the next business day if that is closed.
- Extension (an ``extension_claimed`` event, its data may carry ``{"days": N}``): E units of the
  law's extension day type added to the original (unrolled) due date, then rolled forward.
- Acknowledgement: ``acknowledgement_days`` business days after day 0.
- Laws with no fixed period: no legal due date, a follow-up date instead (default 10 business days).
- Clarification: ``clarification_requested`` stops the clock (that day still counts),
  ``clarification_answered`` restarts it from the answer date with the days that remained, or
  with the full period where ``law-settings.csv`` says the law restarts it. A request made on the
  due date itself (for calendar days: up to the business day the due date rolls forward to) still
  stops the clock; no days remain, so the answer date (or the next business day, if it is closed)
  becomes the due date. A request made after the due date changes nothing.

Every date carries explanation lines: the rule, the citation, the days counted and each day
skipped with its reason. :func:`refresh` and :func:`refresh_all` write the results to the database
(``requests.due_on`` and the ``request_dates`` table) and re-plan the request's reminders.
"""
import contextlib
import csv
import dataclasses
import datetime as dt
import gc
import itertools
import logging
from pathlib import Path

from sqlite_utils.migrations import Migrations

from . import clock, laws, lifecycle, workdays
from . import config as foia_config
from .db import loads, run_script, transaction

log = logging.getLogger(__name__)

LAW_SETTINGS_CSV = Path(__file__).parent / "data" / "law-settings.csv"

migrations = Migrations("foia.deadlines")

# Events after which the agency owes nothing more on the original request.
DECIDED_KINDS = ("records_released", "no_records", "denied")
CLARIFICATION_KINDS = frozenset({"clarification_requested", "clarification_answered"})
# Events that show the agency has acknowledged (or answered) the request.
ACKNOWLEDGING_KINDS = ("acknowledged", "extension_claimed", "clarification_requested", "fee_estimate",
                       "partial_release", "records_released", "no_records", "denied")


@dataclasses.dataclass(frozen=True)
class LawSettings:
    """Per-law rules that the law table does not carry (see ``foia/data/law-settings.csv``)."""
    jurisdiction: str
    clarification_restarts_period: bool = False
    appeal_days: int | None = None
    appeal_day_type: str = "calendar"
    source: str = ""


def read_law_settings(path: Path = LAW_SETTINGS_CSV) -> dict[str, LawSettings]:
    """The per-law settings, validated (a bad row raises ValueError naming its line)."""
    result: dict[str, LawSettings] = {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        for row in reader:
            where = f"{path.name} line {reader.line_num}"
            code = (row.get("jurisdiction") or "").strip()
            if code not in laws.NAMES:
                raise ValueError(f"{where}: unknown jurisdiction {code!r}")
            if code in result:
                raise ValueError(f"{where}: jurisdiction {code} appears twice")
            restarts = (row.get("clarification_restarts_period") or "0").strip()
            if restarts not in ("0", "1"):
                raise ValueError(f"{where}: clarification_restarts_period must be 0 or 1")
            days_text = (row.get("appeal_days") or "").strip()
            day_type = (row.get("appeal_day_type") or "").strip() or "calendar"
            if day_type not in ("business", "calendar"):
                raise ValueError(f"{where}: appeal_day_type {day_type!r} is not business or calendar")
            try:
                days = int(days_text) if days_text else None
            except ValueError:
                raise ValueError(f"{where}: appeal_days {days_text!r} is not a whole number") from None
            if days is not None and not 0 < days <= 365:
                raise ValueError(f"{where}: appeal_days {days} is out of range (1-365)")
            result[code] = LawSettings(code, restarts == "1", days, day_type, (row.get("source") or "").strip())
    return result


_law_settings: dict[str, LawSettings] | None = None


def law_settings(jurisdiction: str) -> LawSettings:
    global _law_settings
    if _law_settings is None:
        _law_settings = read_law_settings()
    found = _law_settings.get(jurisdiction)
    if found is None:
        found = _law_settings[jurisdiction] = LawSettings(jurisdiction)
    return found


@dataclasses.dataclass(frozen=True)
class Settings:
    """Instance settings for deadlines and reminders (config, then the ``settings`` table)."""
    follow_up_business_days: int = 10  # follow-up date for laws with no fixed period
    due_soon_business_days: int = 2  # "response due soon" reminder, business days before
    follow_up_every_days: int = 7  # follow-up reminders while overdue
    follow_up_horizon: int = 1  # follow-up reminders planned ahead (the daily refresh plans the next)
    appeal_default_days: int = 30  # appeal window where the law gives none (calendar days)
    appeal_warning_days: int = 7  # "appeal window closing" reminder, days before
    reminder_hour: int = 9  # local hour reminders fall due
    digest: bool = False  # one e-mail per recipient per dispatch instead of one per reminder
    group_email: str = ""  # recipient of requests that have no owner
    max_attempts: int = 10  # e-mail delivery attempts before a reminder is marked failed


# field -> (config key, settings-table key)
SETTING_KEYS = {
    "follow_up_business_days": ("FOLLOW_UP_BUSINESS_DAYS", "deadlines.follow_up_business_days"),
    "due_soon_business_days": ("REMINDER_DUE_SOON_DAYS", "reminders.due_soon_business_days"),
    "follow_up_every_days": ("REMINDER_FOLLOW_UP_EVERY_DAYS", "reminders.follow_up_every_days"),
    "follow_up_horizon": ("REMINDER_FOLLOW_UP_HORIZON", "reminders.follow_up_horizon"),
    "appeal_default_days": ("APPEAL_DEFAULT_DAYS", "deadlines.appeal_default_days"),
    "appeal_warning_days": ("REMINDER_APPEAL_WARNING_DAYS", "reminders.appeal_warning_days"),
    "reminder_hour": ("REMINDER_HOUR", "reminders.hour"),
    "digest": ("REMINDER_DIGEST", "reminders.digest"),
    "group_email": ("REMINDER_EMAIL", "reminders.group_email"),
    "max_attempts": ("REMINDER_MAX_ATTEMPTS", "reminders.max_attempts"),
}
SETTING_LIMITS = {
    "follow_up_business_days": (1, 120), "due_soon_business_days": (0, 30),
    "follow_up_every_days": (1, 90), "follow_up_horizon": (1, 20), "appeal_default_days": (1, 365),
    "appeal_warning_days": (0, 90), "reminder_hour": (0, 23), "max_attempts": (1, 100),
}


def _cast(name: str, value):
    default = getattr(Settings, name)
    if isinstance(default, bool):
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if isinstance(default, int):
        number = int(value)
        low, high = SETTING_LIMITS[name]
        if not low <= number <= high:
            raise ValueError(f"{name.replace('_', ' ')}: {number} is out of range ({low}-{high})")
        return number
    return str(value).strip()


def load_settings(db=None, config: dict | None = None) -> Settings:
    """Defaults, overridden by ``config`` (by default the configuration this process loaded:
    :func:`foia.config.current`), then by values saved in the ``settings`` table (the settings page)."""
    if config is None:
        config = foia_config.current()
    values = {}
    for name, (config_key, table_key) in SETTING_KEYS.items():
        raw = config.get(config_key)
        if raw not in (None, ""):
            values[name] = _cast(name, raw)
    if db is not None:
        keys = [k for _, k in SETTING_KEYS.values()]
        stored = {r["key"]: r["value"] for r in db.query(
            f"SELECT key, value FROM settings WHERE key IN ({','.join('?' * len(keys))})", keys)}
        for name, (_, table_key) in SETTING_KEYS.items():
            if table_key in stored:
                try:
                    values[name] = _cast(name, stored[table_key])
                except ValueError:
                    pass  # a bad stored value falls back to the default
    return Settings(**values)


def save_settings(db, values: dict) -> Settings:
    """Validate and store settings from the settings page; raises ValueError for a bad value."""
    cleaned = {}
    for name, raw in values.items():
        if name not in SETTING_KEYS:
            raise ValueError(f"unknown setting {name!r}")
        cleaned[name] = _cast(name, raw)
    if "group_email" in cleaned and cleaned["group_email"] and "@" not in cleaned["group_email"]:
        raise ValueError(f"group e-mail: {cleaned['group_email']!r} is not an e-mail address")
    with transaction(db):
        for name, value in cleaned.items():
            store_setting(db, SETTING_KEYS[name][1], ("1" if value else "0") if isinstance(value, bool) else str(value))
    return load_settings(db)


def store_setting(db, key: str, value: str) -> None:
    """Write one row of the ``settings`` table (inside the caller's transaction)."""
    db.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])


@dataclasses.dataclass
class Dates:
    """Everything a request's timeline implies about its dates, with the reasons."""
    jurisdiction: str
    law_name: str
    citation: str
    day_type: str  # business | calendar | none
    days: int | None
    received: dt.date | None = None  # day 0
    received_from: str = ""  # the event kind day 0 comes from
    due: dt.date | None = None  # original legal due date
    extended_due: dt.date | None = None
    extension_days: int | None = None
    extension_day_type: str | None = None
    acknowledge_by: dt.date | None = None
    acknowledged: bool = False
    follow_up: dt.date | None = None  # laws with no fixed period: a follow-up date, not a deadline
    appeal_by: dt.date | None = None
    denied_on: dt.date | None = None
    appeal_is_default: bool = False  # True when the appeal window is our default, not the law's
    clock: str = "not_started"  # not_started | running | paused | stopped
    status: str = "draft"
    paused_since: dt.date | None = None
    days_left_when_paused: int | None = None
    today: dt.date | None = None
    explain: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    calendar: workdays.Calendar | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def effective_due(self) -> dt.date | None:
        """The legal due date now in force (the extended one once an extension is claimed)."""
        return self.extended_due or self.due

    @property
    def target(self) -> dt.date | None:
        """The date the request is watched against: the legal due date, or the follow-up date."""
        return self.effective_due or self.follow_up

    @property
    def target_kind(self) -> str:
        """'legal' for a statutory due date, 'follow_up' for a follow-up date, '' for none."""
        if self.effective_due:
            return "legal"
        return "follow_up" if self.follow_up else ""

    @property
    def running(self) -> bool:
        return self.clock == "running"

    @property
    def overdue(self) -> bool:
        """The legal due date has passed and the agency has not answered (never for follow-ups)."""
        return self.running and self.effective_due is not None and self.today > self.effective_due

    @property
    def follow_up_reached(self) -> bool:
        return self.running and self.follow_up is not None and self.today >= self.follow_up

    @property
    def acknowledgement_overdue(self) -> bool:
        return (self.acknowledge_by is not None and not self.acknowledged
                and self.clock in ("running", "paused") and self.today > self.acknowledge_by)

    @property
    def days_remaining(self) -> int | None:
        """Calendar days from today to the target date (negative once passed); None unless running."""
        if not self.running or self.target is None:
            return None
        return (self.target - self.today).days

    def explain_lines(self) -> list[str]:
        order = ("received", "due", "extended_due", "acknowledge_by", "follow_up", "appeal_by", "clock")
        return [line for key in order for line in self.explain.get(key, [])]

    def as_json(self) -> dict:
        def iso(day):
            return day.isoformat() if day else None
        return {
            "jurisdiction": self.jurisdiction,
            "law_name": self.law_name,
            "citation": self.citation,
            "day_type": self.day_type,
            "days": self.days,
            "received": iso(self.received),
            "due": iso(self.due),
            "extended_due": iso(self.extended_due),
            "extension_days": self.extension_days,
            "extension_day_type": self.extension_day_type,
            "effective_due": iso(self.effective_due),
            "acknowledge_by": iso(self.acknowledge_by),
            "follow_up": iso(self.follow_up),
            "appeal_by": iso(self.appeal_by),
            "clock": self.clock,
            "status": self.status,
            "paused_since": iso(self.paused_since),
            "overdue": self.overdue,
            "days_remaining": self.days_remaining,
            "explain": self.explain_lines(),
        }


def as_date(value) -> dt.date:
    """A date from a date, a datetime or an ISO text (its first ten characters)."""
    if type(value) is str and len(value) == 10:
        return dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _data(event: dict) -> dict:
    data = event.get("data")
    if isinstance(data, dict):
        return data
    try:
        value = loads(data, {})
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit} day" + ("" if n == 1 else "s")


class _Count:
    """One run of the clock: ``days`` units from ``start``, stopping for clarifications."""

    def __init__(self, cal, start, days, unit, pauses, restart_full, explain):
        self.end = None  # unrolled end date (None while paused)
        self.paused_since = None
        self.left = None
        self.pauses_used = 0
        self.lines: list[str] = []
        self.skipped: list[workdays.Skipped] = []
        origin, left = start, days
        for asked, answered in pauses:
            # The last day on which the agency may still ask: the due date, rolled forward for
            # calendar days. Asking on that day stops the clock with no days left.
            limit = self._advance(cal, origin, left, unit, False)[0]
            if unit == "calendar":
                limit = cal.roll_forward(limit)[0]
            if asked > limit:
                break
            if unit == "business":
                used = cal.count_business_days(origin, asked)
            else:
                used = min((asked - origin).days, left)
            self.pauses_used += 1
            if explain:
                if unit == "business":
                    self.skipped += cal.closed_between(origin, asked)
                self.lines.append(
                    f"Clock stopped on {asked} (clarification requested): {_plural(used, unit)} used "
                    f"since {origin}, {left - used} left.")
            if answered is None:
                self.paused_since, self.left = asked, left - used
                return
            left = days if restart_full else left - used
            origin = answered
            if explain:
                why = "the full period starts again under this law" if restart_full else "the days that remained"
                self.lines.append(f"Clock restarted on {answered} (clarification answered): "
                                  f"{_plural(left, unit)} from {answered} ({why}).")
        self.end, skipped = self._advance(cal, origin, left, unit, explain)
        self.origin, self.left = origin, left
        if explain:
            self.skipped += skipped
            if unit == "business":
                self.lines.append(f"Counted {_plural(left, unit)} after {origin}: {self.end} is the "
                                  f"{_ordinal(left)} business day.")
            else:
                self.lines.append(f"Counted {_plural(left, unit)} after {origin}: {self.end} "
                                  f"({self.end.strftime('%A')}).")

    @staticmethod
    def _advance(cal, origin, left, unit, skipped):
        if unit == "business":
            if left == 0:  # the clock was stopped on the due date: due when it restarts
                day, passed = cal.roll_forward(origin)
                return day, (passed if skipped else [])
            return cal.add_business_days(origin, left, skipped)
        return origin + dt.timedelta(days=left), []


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _settle(cal, count: _Count, unit: str, explain: bool, lines: list[str]) -> dt.date:
    """The due date from a finished count: rolled forward for calendar days; explained."""
    due = count.end
    skipped = list(count.skipped)
    if explain:
        lines += count.lines
    if unit == "calendar":
        due, rolled = cal.roll_forward(count.end)
        skipped += rolled
        if explain and rolled:
            lines.append(f"{count.end} is not a business day ({rolled[0][1]}): rolled forward to {due}.")
    if explain:
        lines += [f"Skipped {text}." for text in workdays.describe(skipped)]
    return due


def compute(law: laws.Law, events: list[dict], today: dt.date, closed_days=None,
            settings: Settings | None = None, *, status: str | None = None, extended: bool = False,
            explain: bool = True, ordered: bool = False) -> Dates:
    """The dates a timeline implies under ``law`` (see the module docstring for the rule).

    ``events`` are timeline dicts (kind, occurred_on, data, id); ``closed_days`` the agency's own
    closed days (JSON text, a list of ISO dates, or a ``{date: reason}`` dict); ``status`` the
    request's derived status when the caller has it; ``extended`` applies the law's extension
    even without an ``extension_claimed`` event (the CLI's ``--extended``); ``ordered`` says the
    events are already in timeline order (by date, then id).
    """
    settings = settings or Settings()
    today = as_date(today)
    cal = workdays.calendar_for(law.jurisdiction, closed_days)
    result = Dates(law.jurisdiction, law.law_name, law.citation, law.day_type, law.response_days,
                   today=today, calendar=cal)
    timeline = events if ordered else sorted(events, key=lambda e: (str(e["occurred_on"])[:10], e.get("id") or 0))
    if status is None:
        try:
            status = lifecycle.derive_status(timeline)
        except lifecycle.TransitionError:
            status = "filed"
    result.status = status
    # One pass: the first event of each kind, the clarification events, the standing denial.
    first = {}
    clarifications = []
    denial = None
    for event in timeline:
        kind = event["kind"]
        if kind not in first:
            first[kind] = event
        if kind in CLARIFICATION_KINDS:
            clarifications.append(event)
        elif kind == "denied" or (kind == "appeal_decided" and _data(event).get("outcome") == "denied"):
            denial = event
        elif kind == "appeal_filed":
            denial = None
    start_event = first.get("received_by_agency") or first.get("filed")
    if start_event is None:
        if explain:
            result.explain["received"] = ["Not filed yet: the deadline starts when the agency receives the request."]
        return result
    day0 = result.received = as_date(start_event["occurred_on"])
    result.received_from = start_event["kind"]
    ex = result.explain
    if explain:
        how = "the agency received the request" if start_event["kind"] == "received_by_agency" else \
            "the request was filed (no separate receipt is recorded)"
        ex["received"] = [f"Day 0 is {day0}, the day {how}."]

    # Clarification pauses, in timeline order: [(asked, answered or None)].
    pauses: list[tuple[dt.date, dt.date | None]] = []
    for event in clarifications:
        on = as_date(event["occurred_on"])
        if event["kind"] == "clarification_requested":
            if on < day0:
                if explain:
                    ex.setdefault("clock", []).append(
                        f"Clarification requested on {on}, before day 0: it does not stop the clock.")
                continue
            if pauses and pauses[-1][1] is None:
                continue  # already stopped
            pauses.append((on, None))
        elif event["kind"] == "clarification_answered" and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], max(on, pauses[-1][0]))
    special = law_settings(law.jurisdiction)

    if law.has_fixed_period:
        lines = ex["due"] = []
        if explain:
            lines.append(f"Due {{due}}: {law.response_days} {law.day_type} days after day 0 under "
                         f"{law.citation} ({law.law_name}).")
            if law.day_type == "business":
                lines.append("Business days skip Saturdays, Sundays, the jurisdiction's public holidays "
                             "(observed dates included) and the agency's own closed days.")
            else:
                lines.append("Calendar days count every day; a due date on a closed day rolls forward "
                             "to the next business day.")
        count = _Count(cal, day0, law.response_days, law.day_type, pauses,
                       special.clarification_restarts_period, explain)
        if count.end is None:
            result.paused_since, result.days_left_when_paused = count.paused_since, count.left
            if explain:
                lines[0] = f"No due date while the clock is stopped: {law.response_days} {law.day_type} " \
                           f"days under {law.citation} ({law.law_name})."
                lines += count.lines
                lines.append(f"{_plural(count.left, law.day_type)} will remain when the clarification is answered.")
        else:
            result.due = _settle(cal, count, law.day_type, explain, lines)
            if explain:
                lines[0] = lines[0].replace("{due}", result.due.isoformat())
            _extension(result, law, first.get("extension_claimed"), extended, count, cal,
                       pauses[count.pauses_used:], special, explain)
    else:
        lines = ex["follow_up"] = []
        days = settings.follow_up_business_days
        if explain:
            lines.append(f"{law.citation} ({law.law_name}) sets no fixed number of days; this is a "
                         f"follow-up date, not a legal deadline: {days} business days after day 0.")
            if law.extension_note:
                lines.append(f"What the law says: {law.extension_note}")
        count = _Count(cal, day0, days, "business", pauses, False, explain)
        if count.end is None:
            result.paused_since, result.days_left_when_paused = count.paused_since, count.left
            if explain:
                lines += count.lines
        else:
            result.follow_up = _settle(cal, count, "business", explain, lines)
            if explain:
                lines[0] = f"Follow up on {result.follow_up}: " + lines[0]

    if law.acknowledgement_days:
        result.acknowledge_by, skipped = cal.add_business_days(day0, law.acknowledgement_days, explain)
        result.acknowledged = any(k in first for k in ACKNOWLEDGING_KINDS)
        if explain:
            done = " (the agency has acknowledged it)" if result.acknowledged else ""
            ex["acknowledge_by"] = [
                f"Acknowledge by {result.acknowledge_by}{done}: {law.acknowledgement_days} business days "
                f"after day 0 under {law.citation}."] + [f"Skipped {t}." for t in workdays.describe(skipped)]

    if denial is not None and status == "denied":
        _appeal(result, law, denial, cal, special, settings, explain)
    _clock(result, pauses, explain)
    return result


def _extension(result, law, event, extended, count, cal, pauses, special, explain):
    if event is None and not extended:
        return
    data = _data(event) if event else {}
    lines = result.explain.setdefault("extended_due", []) if explain else []
    try:
        days = int(data["days"]) if data.get("days") not in (None, "") else law.extension_days
    except (TypeError, ValueError):
        days = law.extension_days
    unit = data.get("day_type") if data.get("day_type") in ("business", "calendar") else \
        (law.extension_day_type or law.day_type)
    claimed = f"claimed on {event['occurred_on'][:10]}" if event else "assumed (--extended)"
    if not days or days < 1:
        if explain:
            given = " and the event gives no number of days" if event else ""
            lines.append(f"Extension {claimed}, but {law.citation} sets no extension period{given}: "
                         f"the due date stays {result.due}.")
            if law.extension_note:
                lines.append(f"What the law says: {law.extension_note}")
        return
    result.extension_days, result.extension_day_type = days, unit
    source = "as the agency stated" if data.get("days") not in (None, "") else f"under {law.citation}"
    ext = _Count(cal, count.end, days, unit, pauses, special.clarification_restarts_period, explain)
    if ext.end is None:
        result.paused_since, result.days_left_when_paused = ext.paused_since, ext.left
        if explain:
            lines.append(f"Extension {claimed}: {days} {unit} days {source}; no extended date while "
                         f"the clock is stopped.")
            lines += ext.lines
        return
    if explain:
        lines.append(f"Extended due {{date}}: extension {claimed}, {days} more {unit} days {source}, "
                     f"added to the original due date {count.end}.")
    result.extended_due = _settle(cal, ext, unit, explain, lines)
    if explain:
        lines[0] = lines[0].replace("{date}", result.extended_due.isoformat())


def _appeal(result, law, denial, cal, special, settings, explain):
    on = result.denied_on = as_date(denial["occurred_on"])
    if special.appeal_days:
        days, unit, source = special.appeal_days, special.appeal_day_type, special.source
    else:
        days, unit = settings.appeal_default_days, "calendar"
        source = f"no appeal period on file for {law.jurisdiction}; our default reminder window, not a legal deadline"
        result.appeal_is_default = True
    if unit == "business":
        end, skipped = cal.add_business_days(on, days, explain)
    else:
        end, skipped = cal.roll_forward(on + dt.timedelta(days=days))
    result.appeal_by = end
    if explain:
        result.explain["appeal_by"] = [
            f"Appeal by {end}: {days} {unit} days after the denial of {on} ({source}).",
            f"What the law says: {law.appeal_note}" if law.appeal_note else "",
        ]
        result.explain["appeal_by"] = [x for x in result.explain["appeal_by"] if x]
        result.explain["appeal_by"] += [f"Skipped {t}." for t in workdays.describe(skipped)]


def _clock(result, pauses, explain):
    status = result.status
    if status == "draft":
        result.clock = "not_started"
    elif status in lifecycle.OPEN_STATUSES and status != "appealed":
        result.clock = "paused" if pauses and pauses[-1][1] is None else "running"
    else:
        result.clock = "stopped"
    if not explain:
        return
    lines = result.explain.setdefault("clock", [])
    label = lifecycle.STATUSES.get(status, status).lower()
    if result.clock == "stopped":
        lines.append(f"The clock is stopped: the request is {label}.")
    elif result.clock == "paused":
        lines.append(f"The clock is stopped since {result.paused_since or pauses[-1][0]}, "
                     "waiting for our answer to the agency's clarification request.")
    elif result.overdue:
        lines.append(f"Overdue by {-result.days_remaining} day(s): the legal due date was {result.effective_due}.")
    elif result.days_remaining is not None:
        what = "legal due date" if result.target_kind == "legal" else "follow-up date"
        if result.days_remaining >= 0:
            lines.append(f"{result.days_remaining} day(s) to the {what} ({result.target}).")
        else:
            lines.append(f"The {what} ({result.target}) passed {-result.days_remaining} day(s) ago.")


# --- the database side ----------------------------------------------------------------------

@migrations()
def m001_request_dates(db) -> None:
    run_script(db, """
        CREATE TABLE request_dates (
            request_id INTEGER PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,
            target_kind TEXT NOT NULL DEFAULT '',
            received TEXT,
            due TEXT,
            extended_due TEXT,
            acknowledge_by TEXT,
            acknowledged INTEGER NOT NULL DEFAULT 0,
            follow_up TEXT,
            appeal_by TEXT,
            clock TEXT NOT NULL DEFAULT 'not_started',
            paused_since TEXT,
            sequence INTEGER NOT NULL DEFAULT 0,
            changed_at TEXT NOT NULL
        );
        CREATE INDEX request_dates_clock ON request_dates(clock, due, extended_due, follow_up);
        CREATE INDEX request_dates_ack ON request_dates(acknowledged, acknowledge_by)
    """)


DATE_COLUMNS = ("target_kind", "received", "due", "extended_due", "acknowledge_by", "acknowledged",
                "follow_up", "appeal_by", "clock", "paused_since")


def _row(dates: Dates) -> tuple:
    """The stored form of ``dates``, in DATE_COLUMNS order."""
    received, due, extended_due, acknowledge_by, follow_up, appeal_by, paused_since = [
        day.isoformat() if day else None for day in (dates.received, dates.due, dates.extended_due,
                                                     dates.acknowledge_by, dates.follow_up, dates.appeal_by,
                                                     dates.paused_since)]
    return (dates.target_kind, received, due, extended_due, acknowledge_by, int(dates.acknowledged), follow_up,
            appeal_by, dates.clock, paused_since)


def _stored(db, request_id=None) -> dict[int, tuple]:
    """request_id -> (DATE_COLUMNS values, sequence) as stored."""
    sql = f"SELECT request_id, {', '.join(DATE_COLUMNS)}, sequence FROM request_dates"
    rows = db.execute(sql + " WHERE request_id = ?", [request_id]) if request_id is not None else db.execute(sql)
    return {r[0]: (tuple(r[1:-1]), r[-1]) for r in rows.fetchall()}


class UnknownRequest(LookupError):
    pass


# A request's row with what its dates depend on besides the timeline, in this column order.
REQUEST_ROWS = """SELECT r.id, r.status, r.owner_id, r.updated_at, a.state, a.closed_days
                  FROM requests r JOIN agencies a ON a.id = r.agency_id"""
TIMELINE = "SELECT id, kind, occurred_on, data FROM events WHERE request_id = ? ORDER BY occurred_on, id"


def _inputs(db, request_id):
    """What one request's dates are computed from: (row as in REQUEST_ROWS, law, timeline)."""
    row = db.execute(REQUEST_ROWS + " WHERE r.id = ?", [request_id]).fetchone()
    if row is None:
        raise UnknownRequest(f"No request with id {request_id}.")
    law = laws.get(db, row[4])
    if law is None:
        raise UnknownRequest(f"No law on file for jurisdiction {row[4]!r}.")
    return row, law, list(db.query(TIMELINE, [request_id]))


def for_request(db, request_id, today=None, settings: Settings | None = None, explain=True) -> Dates:
    """Compute (without storing) the dates of one request."""
    row, law, events = _inputs(db, request_id)
    return compute(law, events, today or clock.today(), row[5], settings or load_settings(db),
                   status=row[1], explain=explain)


def refresh(db, request_id, today=None, settings: Settings | None = None) -> Dates:
    """Recompute one request's status and dates, store them and re-plan its reminders (one
    transaction, which also covers the reads, so a change made meanwhile elsewhere cannot be
    overwritten).

    Called after every change to the request's timeline, agency or owner.
    """
    from . import reminders

    today = as_date(today or clock.today())
    settings = settings or load_settings(db)
    with transaction(db):
        row, law, events = _inputs(db, request_id)
        try:
            status = lifecycle.derive_status(events) if events else row[1]
        except lifecycle.TransitionError:
            status = row[1]
        if status != row[1]:  # the cached status follows the same timeline
            db.execute("UPDATE requests SET status = ? WHERE id = ?", [status, request_id])
        dates = compute(law, events, today, row[5], settings, status=status)
        _store(db, [(request_id, dates)], _stored(db, request_id))
        reminders.replan(db, request_id, dates, status, today, settings=settings, owner_id=row[2])
    return dates


def _store(db, computed, old):
    now = clock.stamp()
    due_updates, inserts, updates = [], [], []
    for request_id, dates in computed:
        row = _row(dates)
        due_on = row[3] or row[2] or row[6]  # extended_due, due, follow_up
        before = old.get(request_id)
        if before is None:
            inserts.append((request_id, *row, 0, now))
            due_updates.append((due_on, request_id))
            continue
        if before[0] != row:
            updates.append((request_id, *row, before[1] + 1, now))
            if (before[0][3] or before[0][2] or before[0][6]) != due_on:
                due_updates.append((due_on, request_id))
    cols = ("request_id",) + DATE_COLUMNS + ("sequence", "changed_at")
    insert = f"INSERT INTO request_dates ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    if inserts:
        db.conn.executemany(insert, inserts)
    if updates:
        db.conn.executemany(f"{insert} ON CONFLICT(request_id) DO UPDATE SET "
                            + ", ".join(f"{c} = excluded.{c}" for c in cols[1:]), updates)
    if due_updates:
        db.conn.executemany("UPDATE requests SET due_on = ? WHERE id = ? AND due_on IS NOT ?",
                            [(due, rid, due) for due, rid in due_updates])


@contextlib.contextmanager
def _without_cycle_collection():
    """Pause Python's cycle collector: a bulk recompute makes hundreds of thousands of small
    objects that form no cycles, and the collector would walk all of them again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def _snapshot(db):
    """Reads that see the database as of one moment (a read transaction); yields a function giving
    the ``PRAGMA data_version`` of that moment, or None when the caller's transaction is open."""
    if db.conn.in_transaction:
        yield lambda: None
        return
    db.execute("BEGIN")
    try:
        yield lambda: _data_version(db)
    finally:
        db.execute("COMMIT")


def _data_version(db) -> int:
    """Changes whenever another connection commits (SQLite's ``PRAGMA data_version``)."""
    return db.execute("PRAGMA data_version").fetchone()[0]


def _timelines(db) -> dict[int, list[dict]]:
    """Every request's timeline, in order: request_id -> events."""
    cursor = db.execute("SELECT request_id, id, kind, occurred_on, data FROM events "
                        "ORDER BY request_id, occurred_on, id")
    return {request_id: [{"id": i, "kind": k, "occurred_on": o, "data": d} for _, i, k, o, d in group]
            for request_id, group in itertools.groupby(cursor.fetchall(), key=lambda r: r[0])}


def _compute_row(row, law, events, today, settings, errors):
    """(dates, status, owner_id) of one request row for :func:`refresh_all`, or None when its
    jurisdiction has no law or its dates cannot be computed (logged and added to ``errors``)."""
    if law is None:
        return None
    try:
        dates = compute(law, events, today, row[5], settings, status=row[1], explain=False, ordered=True)
    except Exception as e:  # bad data in one timeline or agency must not stop the others
        log.exception("deadlines: request %s skipped, its dates cannot be computed", row[0])
        errors.append((row[0], f"{type(e).__name__}: {e}"))
        return None
    return dates, row[1], row[2]


def _changed_since(db, rows, timelines, all_laws):
    """Compare the inputs read earlier (``rows``, ``timelines``, ``all_laws``) with the database
    now: returns (rows that are new or changed, ids of requests gone, the laws now)."""
    laws_now = laws.all_laws(db)
    moved = {code for code in set(all_laws) | set(laws_now) if all_laws.get(code) != laws_now.get(code)}
    before = {row[0]: row for row in rows}
    events_now = {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT request_id, count(*), max(id) FROM events GROUP BY request_id")}
    changed = []
    rows_now = db.execute(REQUEST_ROWS).fetchall()
    for row in rows_now:
        events = timelines.get(row[0], ())
        seen = (len(events), max(e["id"] for e in events)) if events else None
        if before.get(row[0]) != row or events_now.get(row[0]) != seen or row[4] in moved:
            changed.append(row)
    gone = set(before) - {row[0] for row in rows_now}
    return changed, gone, laws_now


def refresh_all(db, today=None, settings: Settings | None = None, errors: list | None = None) -> int:
    """Recompute every request's dates and reminders in bulk (after a law, holiday or settings
    change, and once a day so follow-up reminders keep coming). Returns the number of requests.

    The inputs are read as of one moment and computed without holding the write lock. Inside the
    write transaction, requests whose inputs changed meanwhile (an event recorded by a web worker,
    a new owner, an agency's closed days, a law) are read and computed again, so stale dates never
    overwrite fresh ones. A request whose dates cannot be computed (bad data) is logged, listed in
    ``errors`` as (request_id, message) and keeps what was stored; the others go on.
    """
    from . import reminders

    today = as_date(today or clock.today())
    settings = settings or load_settings(db)
    errors = [] if errors is None else errors
    # A bigger page cache for this connection: the bulk writes touch several indexes at once.
    db.execute("PRAGMA cache_size = -65536")
    with _without_cycle_collection():
        with _snapshot(db) as version_of_snapshot:
            all_laws = laws.all_laws(db)
            rows = db.execute(REQUEST_ROWS + " ORDER BY r.id").fetchall()
            timelines = _timelines(db)
            version = version_of_snapshot()
        results = {row[0]: _compute_row(row, all_laws.get(row[4]), timelines.get(row[0], ()), today, settings,
                                        errors) for row in rows}
        with transaction(db):
            if version is not None and _data_version(db) != version:
                changed, gone, laws_now = _changed_since(db, rows, timelines, all_laws)
                for request_id in gone:
                    del results[request_id]
                for row in changed:
                    errors[:] = [e for e in errors if e[0] != row[0]]
                    events = list(db.query(TIMELINE, [row[0]]))
                    results[row[0]] = _compute_row(row, laws_now.get(row[4]), events, today, settings, errors)
            done = [(request_id, *result) for request_id, result in results.items() if result is not None]
            _store(db, [(request_id, dates) for request_id, dates, _, _ in done], _stored(db))
            reminders.replan_many(db, done, today, settings=settings)
            store_setting(db, "deadlines.refreshed_on", today.isoformat())
    return len(done)


def refreshed_on(db) -> str | None:
    rows = list(db.query("SELECT value FROM settings WHERE key = 'deadlines.refreshed_on'"))
    return rows[0]["value"] if rows else None


def dashboard(db, today=None, limit: int = 50) -> dict:
    """What the dashboard shows: overdue requests, those due within a week, and those whose
    acknowledgement is due or late. Each row carries the request, agency and dates."""
    today = as_date(today or clock.today())
    week = (today + dt.timedelta(days=7)).isoformat()
    base = """SELECT r.id, r.title, r.status, a.name AS agency_name, a.state AS agency_state,
                     d.target_kind, d.due, d.extended_due, d.follow_up, d.acknowledge_by, d.clock,
                     COALESCE(d.extended_due, d.due, d.follow_up) AS target
              FROM request_dates d JOIN requests r ON r.id = d.request_id
              JOIN agencies a ON a.id = r.agency_id"""
    overdue = list(db.query(
        f"""{base} WHERE d.clock = 'running' AND d.target_kind = 'legal'
            AND COALESCE(d.extended_due, d.due) < ? ORDER BY target, r.id LIMIT ?""", [today.isoformat(), limit]))
    due_soon = list(db.query(
        f"""{base} WHERE d.clock = 'running' AND COALESCE(d.extended_due, d.due, d.follow_up) >= ?
            AND COALESCE(d.extended_due, d.due, d.follow_up) <= ? ORDER BY target, r.id LIMIT ?""",
        [today.isoformat(), week, limit]))
    awaiting_ack = list(db.query(
        f"""{base} WHERE d.clock IN ('running', 'paused') AND d.acknowledged = 0
            AND d.acknowledge_by IS NOT NULL ORDER BY d.acknowledge_by, r.id LIMIT ?""", [limit]))
    for row in overdue:
        row["days_late"] = (today - dt.date.fromisoformat(row["target"])).days
    for row in due_soon:
        row["days_left"] = (dt.date.fromisoformat(row["target"]) - today).days
    for row in awaiting_ack:
        row["late"] = row["acknowledge_by"] < today.isoformat()
    return {"today": today, "overdue": overdue, "due_this_week": due_soon, "awaiting_acknowledgement": awaiting_ack}

