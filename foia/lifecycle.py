"""Timeline event kinds, the transitions they allow, and the status derived from a timeline.

The timeline is the truth: a request's status is never stored by hand, only recomputed by
:func:`derive_status`. :func:`check_timeline` replays a whole timeline (ordered by date, then by
the order events were recorded) and raises :class:`TransitionError` at the first event that the
state before it does not allow, so an event dated out of order is caught as surely as one added
in the wrong order.
"""
import datetime as dt

from . import errors, events

# kind -> label, in the order users meet them (from the event registry).
EVENT_KINDS = events.LABELS

STATUSES = {
    "draft": "Draft",
    "filed": "Filed",
    "acknowledged": "Acknowledged",
    "awaiting_clarification": "Awaiting our clarification",
    "awaiting_fee": "Awaiting fee decision",
    "partially_released": "Partially released",
    "released": "Records released",
    "no_records": "No records",
    "denied": "Denied",
    "appealed": "Under appeal",
    "withdrawn": "Withdrawn",
    "closed": "Closed",
}

# Statuses in which the agency owes us something (deadlines run, reminders go out).
OPEN_STATUSES = frozenset(
    {"filed", "acknowledged", "awaiting_clarification", "awaiting_fee", "partially_released", "appealed"}
)
# Statuses after which only a note (or, for the first three, an appeal) may follow.
DECIDED_STATUSES = frozenset({"released", "no_records", "denied"})
FINAL_STATUSES = frozenset({"withdrawn", "closed"})

APPEAL_OUTCOMES = events.APPEAL_OUTCOMES


class TransitionError(errors.Conflict):
    """An event that the timeline before it does not allow (a distinct name so that the deadline
    engine can tell a timeline that does not replay from other errors)."""


class _State:
    def __init__(self):
        self.status = "draft"
        self.has_events = False
        self.drafted = False
        self.filed_on: str | None = None
        self.received = False
        self.clarification_open = False
        self.fee_open = False
        self.appeal_open = False
        self.working_status = "filed"  # where a paused request returns to


def _label(kind: str) -> str:
    return EVENT_KINDS.get(kind, kind).lower()


def _a(words: str) -> str:
    """``words`` with its indefinite article: "an acknowledged", "a denied"."""
    return ("an " if words[:1] in "aeiou" else "a ") + words


def _apply(state: _State, event: dict) -> None:
    """Advance ``state`` by one event, or raise TransitionError saying why not."""
    kind = event["kind"]
    on = event["occurred_on"]
    if kind not in EVENT_KINDS:
        raise TransitionError(f"Unknown event kind {kind!r}.")
    if kind == "note":
        state.has_events = True
        return
    if state.status in FINAL_STATUSES:
        raise TransitionError(
            f"The request is {STATUSES[state.status].lower()}; only a note can be added after that."
        )
    if kind == "drafted":
        if state.drafted:
            raise TransitionError("The request already has a draft event.")
    elif kind == "filed":
        if state.filed_on:
            raise TransitionError(f"The request was already filed on {state.filed_on}; it cannot be filed twice.")
    elif kind == "withdrawn" or kind == "closed":
        pass
    elif not state.filed_on:
        raise TransitionError(
            f"{_a(_label(kind)).capitalize()} event ({on}) cannot come before the request was filed."
        )
    elif kind == "received_by_agency" and state.received:
        raise TransitionError("The agency's receipt is already recorded.")
    elif kind == "clarification_answered" and not state.clarification_open:
        raise TransitionError("There is no open clarification request to answer.")
    elif kind == "clarification_requested" and state.clarification_open:
        raise TransitionError("A clarification request is already open; record the answer first.")
    elif kind == "fee_paid" and not state.fee_open:
        raise TransitionError("There is no fee estimate to pay.")
    elif kind == "appeal_filed" and state.status not in DECIDED_STATUSES | {"partially_released"}:
        raise TransitionError("An appeal needs a decision to appeal: a denial, a release or a no-records answer.")
    elif kind == "appeal_decided" and not state.appeal_open:
        raise TransitionError("There is no appeal to decide.")
    elif state.status in DECIDED_STATUSES and kind not in ("appeal_filed",):
        raise TransitionError(
            f"The request is already {STATUSES[state.status].lower()}: appeal, close it or add a note."
        )

    state.has_events = True
    if kind == "drafted":
        # A draft dated after a (back-dated) filing changes nothing.
        state.drafted = True
    elif kind == "filed":
        state.filed_on = on
        state.status = state.working_status = "filed"
    elif kind == "received_by_agency":
        state.received = True
    elif kind == "acknowledged":
        if state.status in ("filed", "acknowledged"):
            state.status = "acknowledged"
        state.working_status = "acknowledged"
    elif kind == "extension_claimed":
        pass
    elif kind == "clarification_requested":
        state.clarification_open = True
        state.status = "awaiting_clarification"
    elif kind == "clarification_answered":
        state.clarification_open = False
        state.status = "awaiting_fee" if state.fee_open else state.working_status
    elif kind == "fee_estimate":
        state.fee_open = True
        state.status = "awaiting_fee"
    elif kind == "fee_paid":
        state.fee_open = False
        state.status = "awaiting_clarification" if state.clarification_open else state.working_status
    elif kind == "partial_release":
        state.status = state.working_status = "partially_released"
    elif kind == "records_released":
        state.status = "released"
    elif kind == "no_records":
        state.status = "no_records"
    elif kind == "denied":
        state.status = "denied"
    elif kind == "appeal_filed":
        state.appeal_open = True
        state.status = "appealed"
    elif kind == "appeal_decided":
        state.appeal_open = False
        outcome = events.payload(event).outcome
        # A granted appeal sends the request back to the agency; a lost one stands as a denial.
        state.status = "denied" if outcome == "denied" else "acknowledged"
        state.working_status = "acknowledged"
    elif kind == "withdrawn":
        state.status = "withdrawn"
    elif kind == "closed":
        state.status = "closed"


def ordered(events: list[dict]) -> list[dict]:
    """Events in timeline order: the draft first (a request is drafted before it is filed, even
    when the filing is recorded with an earlier date), then by date, then in the order they were
    recorded."""
    return sorted(events, key=lambda e: (e["kind"] != "drafted", e["occurred_on"], e.get("id") or float("inf")))


def check_timeline(events: list[dict]) -> str:
    """Replay a timeline; return its status or raise TransitionError naming the faulty event."""
    state = _State()
    for event in ordered(events):
        _apply(state, event)
    return state.status


def derive_status(events: list[dict]) -> str:
    """The status of a (valid) timeline."""
    return check_timeline(events)


def check_event(timeline: list[dict], kind: str, occurred_on: str, data: dict | None = None) -> str:
    """The status the timeline would have with one more event; raises TransitionError if not allowed."""
    return check_timeline(list(timeline) + [{"kind": kind, "occurred_on": occurred_on, "data": data or {}}])


def parse_date(value, *, field: str = "Date", name: str = "occurred_on", today: dt.date | None = None) -> str:
    """An ISO date string from user input; no impossible, far-past or future dates. Raises
    :class:`foia.errors.Invalid` for the form field ``name`` (``field`` is its label)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    elif value is not None and not isinstance(value, str):
        raise errors.Invalid(name, f"{field}: enter a date as YYYY-MM-DD; {value!r} is not a date.")
    else:
        text = (value or "").strip()
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise errors.Invalid(name, f"{field}: “{text}” is not a date (use YYYY-MM-DD).") from None
    if day.year < 1990:
        raise errors.Invalid(name, f"{field}: {day.isoformat()} is before 1990.")
    if today is not None and day > today:
        raise errors.Invalid(name, f"{field}: {day.isoformat()} is in the future.")
    return day.isoformat()


def allowed_next(timeline: list[dict], on: str) -> list[str]:
    """Event kinds that may be added on date ``on`` (for the add-event form)."""
    result = []
    for kind in EVENT_KINDS:
        try:
            check_event(timeline, kind, on, {"outcome": "granted"} if kind == "appeal_decided" else None)
        except TransitionError:
            continue
        result.append(kind)
    return result
