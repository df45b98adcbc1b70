"""The pure deadline computation: (law, timeline, today, closed days, settings) -> :class:`Dates`,
each date explained. No database here; see the package docstring for the rule."""
import dataclasses
import datetime as dt

from .. import laws, lifecycle, workdays
from ..db import loads
from .settings import Settings, law_settings

# Events after which the agency owes nothing more on the original request.
DECIDED_KINDS = ("records_released", "no_records", "denied")
CLARIFICATION_KINDS = frozenset({"clarification_requested", "clarification_answered"})
# Events that show the agency has acknowledged (or answered) the request.
ACKNOWLEDGING_KINDS = ("acknowledged", "extension_claimed", "clarification_requested", "fee_estimate",
                       "partial_release", "records_released", "no_records", "denied")


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
