"""The pure deadline computation: (law, timeline, today, closed days, settings) -> :class:`Dates`,
every date explained. No database here.

The law model (:mod:`foia.laws`) gives each jurisdiction up to three clocks; this module runs them
over a request's timeline:

- ``acknowledge_by``: the acknowledgement clock from day 0 (receipt), where the law has one.
- ``due``: the first statutory response deadline, from receipt or, where the law counts from the
  acknowledgement (NY, AL, WY), from the actual acknowledgement (until one is recorded: from the
  last day the agency may acknowledge, or from receipt where the law sets no such day).
- ``extended_due``: after an extension: added to the due date, or a total from receipt, as the law
  says; repeated where the law allows it.
- ``operative_due``: the date the requester can hold the agency to now: the extended or original
  due date, or the date the agency stated (an estimate, a timetable, a certification) where the
  law makes that date operative. A stated date beyond the statute's bound is flagged as
  challengeable, and held to the bound where the bound is a cap. Reminders and "overdue" follow it.
- ``produce_by``: a statutory production cap (MA from receipt; HI and SC from the determination).
- ``deemed_denied_on``: the day silence becomes a denial, where the law says so.
- ``appeal``: after a denial, a no-records answer or a deemed denial: who decides, by when, how,
  with what (the appeal table's route, body, contact, deadline and attachments).

Cells the research left "(not verified)" never drive a date: they are listed as guidance.
"""
import dataclasses
import datetime as dt

from .. import laws, lifecycle, workdays
from ..db import loads
from ..formats import plural
from .settings import Settings, law_settings

# Events after which the agency owes nothing more on the original request.
DECIDED_KINDS = ("records_released", "no_records", "denied")
CLARIFICATION_KINDS = frozenset({"clarification_requested", "clarification_answered"})
# Events that show the agency has acknowledged (or answered) the request.
ACKNOWLEDGING_KINDS = ("acknowledged", "extension_claimed", "clarification_requested", "fee_estimate",
                       "partial_release", "records_released", "no_records", "denied")
# Acknowledging events a clock "from the acknowledgement" can count from (a final answer cannot).
ANCHOR_KINDS = ("acknowledged", "extension_claimed", "clarification_requested", "fee_estimate", "partial_release")
# Events that end the agency's silence for good (no deemed denial after them).
ANSWERING_KINDS = frozenset({"records_released", "no_records", "denied", "withdrawn", "closed"})
# Events that carry a date the agency stated, and the payload field that holds it.
STATED_DATE_FIELDS = {"acknowledged": "estimated_date", "fee_estimate": "estimated_date",
                      "extension_claimed": "new_due_on"}
# Events that can be the determination notice a production clock counts from (HI, SC).
DETERMINATION_KINDS = ("acknowledged", "fee_estimate", "partial_release", "extension_claimed")


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
    due: dt.date | None = None  # the first statutory response deadline
    extended_due: dt.date | None = None
    extension_days: int | None = None
    extension_day_type: str | None = None
    acknowledge_by: dt.date | None = None
    acknowledged: bool = False
    acknowledged_on: dt.date | None = None
    operative_due: dt.date | None = None  # the date now in force (see the module docstring)
    operative_from: str = ""  # due | extension | agency_date | cap
    stated_date: dt.date | None = None  # the agency's own date (estimate, timetable, certification)
    stated_date_challengeable: bool = False
    produce_by: dt.date | None = None
    deemed_denied_on: dt.date | None = None
    appeal: dict | None = None
    residency_required: bool = False
    missed_deadline: str = ""  # what the agency's missed deadline means, once it is missed
    unverified: list[str] = dataclasses.field(default_factory=list)
    follow_up: dt.date | None = None  # laws with no fixed period: a follow-up date, not a deadline
    appeal_by: dt.date | None = None  # the appeal deadline (or our default reminder window)
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
        """The legal due date now in force: the operative date (after extensions and the agency's
        stated dates where the law makes them operative)."""
        return self.operative_due or self.extended_due or self.due

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

    EXPLAIN_ORDER = ("received", "acknowledge_by", "due", "extended_due", "operative_due", "produce_by",
                     "follow_up", "deemed_denied_on", "appeal", "clock", "unverified")

    def explain_lines(self) -> list[str]:
        return [line for key in self.EXPLAIN_ORDER for line in self.explain.get(key, [])]

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
            "acknowledge_by": iso(self.acknowledge_by),
            "acknowledged_on": iso(self.acknowledged_on),
            "due": iso(self.due),
            "extended_due": iso(self.extended_due),
            "extension_days": self.extension_days,
            "extension_day_type": self.extension_day_type,
            "operative_due": iso(self.operative_due),
            "operative_from": self.operative_from,
            "stated_date": iso(self.stated_date),
            "stated_date_challengeable": self.stated_date_challengeable,
            "effective_due": iso(self.effective_due),
            "produce_by": iso(self.produce_by),
            "deemed_denied_on": iso(self.deemed_denied_on),
            "appeal": dict(self.appeal, due=iso(self.appeal["due"])) if self.appeal else None,
            "residency_required": self.residency_required,
            "missed_deadline": self.missed_deadline or None,
            "unverified": list(self.unverified),
            "follow_up": iso(self.follow_up),
            "appeal_by": iso(self.appeal_by),
            "clock": self.clock,
            "status": self.status,
            "paused_since": iso(self.paused_since),
            "overdue": self.overdue,
            "days_remaining": self.days_remaining,
            "explain": self.explain_lines(),
            "explain_by_field": {key: list(self.explain[key]) for key in self.EXPLAIN_ORDER if self.explain.get(key)},
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



def _stated_date(event: dict) -> dt.date | None:
    """The date the agency stated in an event (an estimate, a new due date), or None."""
    value = _data(event).get(STATED_DATE_FIELDS.get(event["kind"], ""))
    if not value:
        return None
    try:
        return as_date(value)
    except ValueError:
        return None


def _add(cal, start: dt.date, period: laws.Period, explain: bool) -> tuple[dt.date, list[workdays.Skipped], str]:
    """``period`` after ``start`` with no clock stops: business days counted, calendar days rolled
    forward past a closed day, years added as calendar years. Returns (date, skipped, how)."""
    if period.years:
        try:
            end = start.replace(year=start.year + period.years)
        except ValueError:  # 29 February
            end = start.replace(year=start.year + period.years, day=28)
        day, rolled = cal.roll_forward(end)
        return day, rolled, f"{period} after {start} is {end}" + (f", rolled forward to {day}" if rolled else "")
    if period.day_type == "business":
        day, skipped = cal.add_business_days(start, period.days, explain)
        return day, skipped, f"{day} is the {_ordinal(period.days)} business day after {start}"
    end = start + dt.timedelta(days=period.days)
    day, rolled = cal.roll_forward(end)
    how = f"{period} after {start} is {end}" + (f", not a business day: rolled forward to {day}" if rolled else "")
    return day, rolled, how


def _skipped_lines(skipped) -> list[str]:
    return [f"Skipped {text}." for text in workdays.describe(skipped)]


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
                   today=today, calendar=cal, residency_required=law.residency.required)
    timeline = events if ordered else sorted(events, key=lambda e: (str(e["occurred_on"])[:10], e.get("id") or 0))
    if status is None:
        try:
            status = lifecycle.derive_status(timeline)
        except lifecycle.TransitionError:
            status = "filed"
    result.status = status
    # One pass: the first event of each kind, clarifications, extensions, the standing denial or
    # no-records answer, the latest date the agency stated, the first answer.
    first, clarifications, extensions = {}, [], []
    denial = no_records = stated = None
    acknowledged_on = anchor_on = None
    for event in timeline:
        kind = event["kind"]
        if kind not in first:
            first[kind] = event
        if kind in CLARIFICATION_KINDS:
            clarifications.append(event)
        elif kind == "denied" or (kind == "appeal_decided" and _data(event).get("outcome") == "denied"):
            denial = event
        elif kind == "no_records":
            no_records = event
        elif kind == "appeal_filed":
            denial = no_records = None
        if kind == "extension_claimed":
            extensions.append(event)
        if kind in STATED_DATE_FIELDS:
            day = _stated_date(event)
            if day is not None:
                stated = (event, day)
        if kind in ACKNOWLEDGING_KINDS and acknowledged_on is None:
            acknowledged_on = as_date(event["occurred_on"])
        if kind in ANCHOR_KINDS and anchor_on is None:
            anchor_on = as_date(event["occurred_on"])
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
    result.acknowledged = acknowledged_on is not None
    if acknowledged_on is not None:
        result.acknowledged_on = max(acknowledged_on, day0)

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
    restart_full = law_settings(law.jurisdiction).clarification_restarts_period
    if explain and pauses:
        rule = law.clarification or "none found"
        doubt = " Whether this law stops the clock is not verified: the pause follows the timeline (the agency " \
                "is waiting for our answer), not a confirmed rule." if laws.is_unverified(rule) or \
                "no tolling" in rule.lower() or "no statutory tolling" in rule.lower() else ""
        ex.setdefault("clock", []).append(f"Clarification under this law: {rule}.{doubt}")

    _acknowledgement(result, law, cal, day0, explain)
    count = None
    if law.respond.period is not None:
        anchor_on = max(anchor_on, day0) if anchor_on is not None else None
        count = _respond(result, law, cal, day0, anchor_on, pauses, restart_full, explain)
        if count is not None:
            _extensions(result, law, extensions, extended, count, cal, day0, pauses, restart_full, explain)
    else:
        _follow_up(result, law, cal, day0, pauses, settings, explain)
    _produce(result, law, timeline, cal, day0, pauses, restart_full, explain)
    _operative(result, law, stated, cal, day0, explain)
    _clock(result, pauses, explain)
    _deemed_denial(result, law, cal, day0, explain)
    _appeal(result, law, cal, settings, denial, no_records, day0, explain)
    _missed_deadline(result, law, explain)
    if explain and law.unverified:
        names = [_column_words(column) for column, _ in law.unverified]
        result.unverified = [f"{name}: {text}" for name, (_, text) in zip(names, law.unverified)]
        ex["unverified"] = ["Not verified by the research behind the law table, so shown as guidance and "
                            "never used for a date: " + "; ".join(names) + "."]
    return result


def _column_words(column: str) -> str:
    """A law-table column in words: "fee waiver", "residency required (appeals table)"."""
    table, _, name = column.rpartition(".")
    return name.replace("_", " ") + (f" ({table} table)" if table else "")


def _acknowledgement(result, law, cal, day0, explain):
    clock = law.acknowledge
    if clock is None:
        return
    result.acknowledge_by, skipped, how = _add(cal, day0, clock.period, explain)
    if explain:
        done = f" (the agency acknowledged it on {result.acknowledged_on})" if result.acknowledged else ""
        lines = result.explain["acknowledge_by"] = [
            f"Acknowledge by {result.acknowledge_by}{done}: {clock.period} after day 0 under {law.citation}; {how}."]
        if clock.note:
            lines.append(f"What the acknowledgement must say: {clock.note}")
        lines += _skipped_lines(skipped)


def _respond(result, law, cal, day0, acknowledged_on, pauses, restart_full, explain):
    """The first statutory response deadline (``due``); returns the finished count, or None while paused.
    ``acknowledged_on``: the first acknowledgement a clock from the acknowledgement counts from."""
    clock, period = law.respond, law.respond.period
    lines = result.explain.setdefault("due", []) if explain else []
    anchor, origin_words = day0, "day 0"
    if clock.start == "acknowledgement":
        if acknowledged_on is not None:
            anchor, origin_words = acknowledged_on, f"the acknowledgement of {acknowledged_on}"
        elif result.acknowledge_by is not None:
            anchor = result.acknowledge_by
            origin_words = (f"{result.acknowledge_by}, the last day the agency may acknowledge the request "
                            "(no acknowledgement is recorded yet; the date moves when one is)")
        else:
            origin_words = ("day 0 (the law counts from the acknowledged receipt; no acknowledgement is "
                            "recorded yet, so this is the earliest the date can be)")
    pauses = [p for p in pauses if p[0] >= anchor] if anchor != day0 else pauses
    if explain:
        what = {"determine": "a decision (grant or deny)", "produce": "the records or a denial",
                "respond_or_estimate": "the records, a denial, or an acknowledgement with an estimate",
                "promptly_with_certification": "the records (due promptly), or a written certification of "
                                               "the date they will be available"}.get(clock.kind, "a response")
        lines.append(f"Due {{due}}: {period} after {origin_words} under {law.citation} ({law.law_name}); "
                     f"due then: {what}.")
        if period.day_type == "business":
            lines.append("Business days skip Saturdays, Sundays, the jurisdiction's public holidays "
                         "(observed dates included) and the agency's own closed days.")
        else:
            lines.append("Calendar days count every day; a due date on a closed day rolls forward "
                         "to the next business day.")
    count = _Count(cal, anchor, period.days, period.day_type, pauses, restart_full, explain)
    if count.end is None:
        result.paused_since, result.days_left_when_paused = count.paused_since, count.left
        if explain:
            lines[0] = f"No due date while the clock is stopped: {period} under {law.citation} ({law.law_name})."
            lines += count.lines
            lines.append(f"{_plural(count.left, period.day_type)} will remain when the clarification is answered.")
        return None
    count.pauses_left = pauses[count.pauses_used:]
    result.due = _settle(cal, count, period.day_type, explain, lines)
    if explain:
        lines[0] = lines[0].replace("{due}", result.due.isoformat())
    return count


def _follow_up(result, law, cal, day0, pauses, settings, explain):
    lines = result.explain["follow_up"] = []
    days = settings.follow_up_business_days
    if explain:
        lines.append(f"{law.citation} ({law.law_name}) sets no fixed number of days; this is a "
                     f"follow-up date, not a legal deadline: {days} business days after day 0.")
        if law.respond.note:
            lines.append(f"What the law says: {law.respond.note}")
    count = _Count(cal, day0, days, "business", pauses, False, explain)
    if count.end is None:
        result.paused_since, result.days_left_when_paused = count.paused_since, count.left
        if explain:
            lines += count.lines
    else:
        result.follow_up = _settle(cal, count, "business", explain, lines)
        if explain:
            lines[0] = f"Follow up on {result.follow_up}: " + lines[0]


def _extensions(result, law, events, extended, count, cal, day0, pauses, restart_full, explain):
    """The extended due date: each claimed extension (every one where the law lets it repeat)."""
    if not events and not extended:
        return
    rule = law.extension
    lines = result.explain.setdefault("extended_due", []) if explain else []
    chain = (events if rule is not None and rule.repeatable else events[:1]) or [None]
    end, pauses_left = count.end, count.pauses_left
    for number, event in enumerate(chain):
        data = _data(event) if event else {}
        claimed = f"claimed on {str(event['occurred_on'])[:10]}" if event else "assumed (--extended)"
        try:
            given = int(data["days"]) if data.get("days") not in (None, "") else None
        except (TypeError, ValueError):
            given = None
        law_period = rule.period if rule is not None and rule.verified else None
        days = given if given else (law_period.days if law_period else None)
        unit = data.get("day_type") if data.get("day_type") in laws.DAY_TYPES else \
            (law_period.day_type if law_period else (rule and law.extension_day_type) or law.day_type)
        if not days or days < 1:
            if explain and rule is not None and not rule.verified and rule.period:
                lines.append(f"Extension {claimed}: the law table's {rule.period} extension is not verified, so "
                             f"it is not applied; record the number of days the agency claimed. The due date "
                             f"stays {result.extended_due or result.due}.")
            elif explain:
                more = " and the event gives no number of days" if event else ""
                stated = " (the agency's stated date is read below)" if data.get("new_due_on") else ""
                lines.append(f"Extension {claimed}, but {law.citation} sets no extension period{more}: "
                             f"the due date stays {result.extended_due or result.due}{stated}.")
                if rule is not None and rule.cap_note:
                    lines.append(f"What the law says: {rule.cap_note}")
            return
        total_from_receipt = given is None and rule is not None and rule.start == "receipt"
        if total_from_receipt:
            origin, origin_words, stops = day0, "day 0 (the law's extension is a total counted from receipt)", pauses
        else:
            origin, stops = end, pauses_left
            origin_words = ("the original due date" if number == 0 else "the previous extended due date") + f" {end}"
        source = "as the agency stated" if given else f"under {law.citation}"
        ext = _Count(cal, origin, days, unit, stops, restart_full, explain)
        result.extension_days, result.extension_day_type = days, unit
        if ext.end is None:
            result.paused_since, result.days_left_when_paused = ext.paused_since, ext.left
            if explain:
                lines.append(f"Extension {claimed}: {days} {unit} days {source}; no extended date while "
                             "the clock is stopped.")
                lines += ext.lines
            return
        step = []
        if explain:
            again = " (this law lets the extension be repeated)" if number else ""
            step.append(f"Extended due {{date}}: extension {claimed}, {days} more {unit} days {source}, "
                        f"counted from {origin_words}{again}.")
        result.extended_due = _settle(cal, ext, unit, explain, step)
        if explain:
            step[0] = step[0].replace("{date}", result.extended_due.isoformat())
            lines += step
        end, pauses_left = ext.end, pauses_left[ext.pauses_used:]
    if explain and rule is not None and rule.cap_days and result.extension_days and \
            result.extension_days > rule.cap_days:
        lines.append(f"The law caps the extension at {rule.cap_days} days: the agency's longer extension "
                     "can be challenged.")


def _produce(result, law, timeline, cal, day0, pauses, restart_full, explain):
    """The statutory production cap (``produce_by``), from receipt or from the determination notice."""
    clock = law.produce
    if clock is None:
        return
    lines = result.explain.setdefault("produce_by", []) if explain else []
    if clock.start == "receipt":
        origin, words = day0, "day 0"
    else:
        # Where the law has its own acknowledgement, an acknowledgement is not the determination.
        kinds = [k for k in DETERMINATION_KINDS if not (k == "acknowledged" and law.acknowledge)]
        notice = next((e for e in timeline if e["kind"] in kinds and as_date(e["occurred_on"]) >= day0), None)
        paid = next((e for e in timeline if e["kind"] == "fee_paid" and notice is not None
                     and as_date(e["occurred_on"]) >= as_date(notice["occurred_on"])), None)
        if paid is not None:
            origin = as_date(paid["occurred_on"])
            words = f"the fee payment of {origin} (the law counts from the payment where one is required)"
        elif notice is not None:
            origin = as_date(notice["occurred_on"])
            label = lifecycle.EVENT_KINDS.get(notice["kind"], notice["kind"]).lower()
            words = f"the agency's notice of {origin} (its {label})"
        elif result.due is not None:
            origin = result.due
            words = (f"the response due date {origin} (no determination notice is recorded yet: the latest the "
                     "clock can start)")
        else:
            return
    count = _Count(cal, origin, clock.period.days, clock.period.day_type,
                   [p for p in pauses if p[0] >= origin], restart_full, explain)
    if count.end is None:
        return
    step = []
    if explain:
        step.append(f"Produce by {{date}}: the records are due {clock.period} after {words} under {law.citation}.")
    result.produce_by = _settle(cal, count, clock.period.day_type, explain, step)
    if explain:
        step[0] = step[0].replace("{date}", result.produce_by.isoformat())
        lines += step
        if clock.note:
            lines.append(f"What the law says: {clock.note}")


def _operative(result, law, stated, cal, day0, explain):
    """The date now in force: the extended or original due date, or the agency's stated date where
    the law makes it operative (held to the statute's cap, flagged beyond its normal bound)."""
    base = result.extended_due or result.due
    result.operative_due = base
    result.operative_from = ("extension" if result.extended_due else "due") if base else ""
    lines = result.explain.setdefault("operative_due", []) if explain else []
    if base is not None and explain and stated is None:
        lines.append(f"Operative due date {base}: the {'extended' if result.extended_due else 'statutory'} "
                     "due date (no date stated by the agency changes it).")
    if stated is None:
        return
    event, day = stated
    result.stated_date = day
    rule = law.estimate
    kind_words = lifecycle.EVENT_KINDS.get(event["kind"], event["kind"]).lower()
    given = f"the date the agency stated ({day}, in its {kind_words} of {str(event['occurred_on'])[:10]})"
    if rule.effect == "none" or (base is None and rule.effect != "nonbinding" and law.respond.period is None):
        if explain:
            lines.append(f"{given[0].upper()}{given[1:]} does not move the statutory date under {law.citation}"
                         + (f": {rule.rule}" if rule.rule else "."))
        return
    limits = []
    if rule.bound is not None:
        anchor = {"acknowledgement": result.acknowledged_on or result.acknowledge_by or day0,
                  "due": result.due, "receipt": day0}[rule.bound_from]
        if anchor is not None:
            bound_day, _, _ = _add(cal, anchor, rule.bound, False)
            limits.append((bound_day, rule.bound_kind, f"{rule.bound} after the {rule.bound_from.replace('_', ' ')} "
                                                        f"({anchor})"))
    if result.produce_by is not None:
        limits.append((result.produce_by, "cap", f"the statutory production date {result.produce_by}"))
    reason = str(_data(event).get("reason") or "").strip()
    operative, source = day, "agency_date"
    for limit, kind, words in sorted(set(limits)):
        if day <= limit:
            continue
        if kind == "cap":
            result.stated_date_challengeable = True
            if limit < operative:
                operative, source = limit, "cap"
            if explain:
                lines.append(f"The agency's date {day} is later than the law allows ({words}): it can be "
                             f"challenged, and the requester can hold the agency to {limit}.")
        else:
            result.stated_date_challengeable = result.stated_date_challengeable or not reason
            if explain:
                why = (f"the agency gave a reason ({reason})" if reason else
                       "the agency gave no reason, so it can be challenged")
                lines.append(f"The agency's date {day} is beyond the statute's normal bound ({words}); {why}.")
    result.operative_due, result.operative_from = operative, source
    if explain:
        binding = " (a non-binding estimate: a date to follow up on, not an enforceable deadline)" \
            if rule.effect == "nonbinding" else ""
        lines.insert(0, f"Operative due date {operative}: {given} governs under {law.citation}{binding}."
                     + (f" {rule.rule}" if rule.rule else ""))


def _deemed_denial(result, law, cal, day0, explain):
    """The day silence becomes a denial, while the agency has not answered."""
    rule = law.deemed_denial
    if not rule.rule or result.clock != "running":
        return
    trigger, words = None, ""
    ack_late = result.acknowledge_by is not None and (
        result.acknowledged_on is None or result.acknowledged_on > result.acknowledge_by)
    if rule.rule == "after_acknowledge_by" or (rule.rule == "after_acknowledge_by_or_due" and ack_late):
        if ack_late:
            trigger, words = result.acknowledge_by + dt.timedelta(days=1), \
                f"the day after the acknowledgement deadline {result.acknowledge_by}"
    elif rule.rule in ("after_due", "after_acknowledge_by_or_due"):
        if result.operative_due is not None:
            trigger, words = result.operative_due + dt.timedelta(days=1), \
                f"the day after the operative due date {result.operative_due}"
    else:
        anchors = {"receipt": day0, "acknowledgement": result.acknowledged_on}
        if rule.rule == "after" and result.acknowledged:
            return  # a written answer or estimate came: no deemed denial on this ground
        candidates = []
        for period, start in rule.periods:
            if anchors.get(start) is not None:
                candidates.append(_add(cal, anchors[start], period, False)[0])
        if candidates:
            trigger = min(candidates)
            words = "the earlier of " + " and ".join(f"{p} after the {s}" for p, s in rule.periods) \
                if rule.rule == "earliest" else f"{rule.periods[0][0]} after the {rule.periods[0][1]}"
    if trigger is None:
        return
    result.deemed_denied_on = trigger
    if explain:
        tense = "was" if trigger <= result.today else "will be"
        result.explain["deemed_denied_on"] = [
            f"Deemed denied on {trigger} ({words}): silence {tense} a denial from that day unless the agency "
            f"answers. What the law says: {rule.text}"]


def _appeal(result, law, cal, settings, denial, no_records, day0, explain):
    """The appeal after a denial, a no-records answer or a deemed denial that has happened."""
    route = law.appeal
    start, silent = None, False
    if denial is not None and result.status == "denied":
        start = result.denied_on = as_date(denial["occurred_on"])
        what = f"the denial of {start}"
    elif no_records is not None and result.status == "no_records":
        start = as_date(no_records["occurred_on"])
        what = f"the no-records answer of {start}"
    elif result.deemed_denied_on is not None and result.deemed_denied_on <= result.today:
        silent = True
        if route.after_silence == "receipt":
            start, what = day0, f"the request of {day0} (the agency did not respond in time)"
        else:
            start = result.deemed_denied_on
            what = f"the deemed denial of {start}"
    if start is None:
        return
    due, skipped, how = (None, [], "")
    # A deadline that runs from a written denial only is not counted from silence.
    counts = route.deadline is not None and not (silent and route.after_silence == "none")
    if counts:
        due, skipped, how = _add(cal, start, route.deadline, explain)
    day_type = None
    if counts:
        day_type = "years" if route.deadline.years else route.deadline.day_type
    result.appeal = {
        "route": route.route,
        "route_words": laws.ROUTE_WORDS[route.route],
        "body": route.body,
        "contact": route.contact,
        "due": due,
        "day_type": day_type,
        "deadline": str(route.deadline) if route.deadline else None,
        "deadline_verified": route.deadline_verified,
        "starts_on": start.isoformat(),
        "court_filing": route.is_court_filing,
        "citation": route.citation,
        "attachments": route.attachments,
        "decision_days": route.decision_days,
        "court_route": route.court_route,
        "missed_deadline_consequence": route.missed_deadline_consequence,
        "note": route.note,
        "confidence": route.confidence,
    }
    lines = result.explain.setdefault("appeal", []) if explain else []
    if explain:
        result.explain["appeal_by"] = lines  # the same lines, under the name of the date they explain
    if due is not None:
        result.appeal_by = due
        if explain:
            kind = "File in court" if route.is_court_filing else "Appeal"
            lines.append(f"{kind} by {due}: {route.deadline} after {what} ({route.citation}); {how}.")
            lines += _skipped_lines(skipped)
    else:
        days = settings.appeal_default_days
        result.appeal_by, rolled = cal.roll_forward(start + dt.timedelta(days=days))
        result.appeal_is_default = True
        if explain:
            lines.append(f"Reminder by {result.appeal_by}: our default window of {days} days after {what}, "
                         "not a legal deadline.")
            if route.deadline is not None:
                written = route.deadline_from.replace("_", " ")
                lines.append(f"The {route.deadline} deadline runs from a written {written}, not from silence: "
                             f"{route.deemed_denial_text or 'the requester may act now'}")
            elif not route.deadline_verified:
                lines.append(f"The appeal deadline is not verified ({route.deadline_text}): check it before relying "
                             "on any date.")
            else:
                lines.append("The law sets the requester no appeal deadline.")
    if explain:
        lines.append(f"Who decides: {route.body} ({laws.ROUTE_WORDS[route.route]}).")
        if route.contact:
            lines.append(f"Contact: {route.contact}")
        if route.attachments:
            lines.append(f"Attach: {route.attachments}")
        if route.court_route:
            lines.append(f"Court: {route.court_route}")


def _missed_deadline(result, law, explain):
    """What the agency's missed deadline means for the requester, once it is missed."""
    missed = result.overdue or (result.deemed_denied_on is not None and result.deemed_denied_on <= result.today)
    if not missed:
        return
    parts = []
    if law.appeal.missed_deadline_consequence:
        label = " (unverified)" if laws.is_unverified(law.appeal.missed_deadline_consequence) else ""
        parts.append(f"{law.appeal.missed_deadline_consequence}{label}")
    if result.deemed_denied_on is not None and law.deemed_denial.text:
        parts.append(f"Deemed denial: {law.deemed_denial.text}")
    result.missed_deadline = " ".join(parts)
    if explain and parts:
        result.explain.setdefault("clock", []).append(f"The agency missed its deadline: {result.missed_deadline}")


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
        lines.append(f"Overdue by {plural(-result.days_remaining, 'day')}: the legal due date was {result.effective_due}.")
    elif result.days_remaining is not None:
        what = "legal due date" if result.target_kind == "legal" else "follow-up date"
        if result.days_remaining >= 0:
            lines.append(f"{plural(result.days_remaining, 'day')} to the {what} ({result.target}).")
        else:
            lines.append(f"The {what} ({result.target}) passed {plural(-result.days_remaining, 'day')} ago.")


