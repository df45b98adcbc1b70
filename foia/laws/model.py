"""The law model: what one jurisdiction's public-records statute says about time, appeals and requesters.

Plain frozen dataclasses, built and validated by :mod:`foia.laws.table` from the bundled tables
(``laws-v2.csv``, ``appeals.csv``, ``law-readings.csv``). A cell the research could not confirm
(marked "(not verified)") never becomes a number here: it stays text, listed in
:attr:`Law.unverified`, for the pages and letters to show as guidance.
"""
import dataclasses

from .. import workdays

# Names of the jurisdictions, for pages and letters.
NAMES = {
    "US": "United States (federal)", "AK": "Alaska", "AL": "Alabama", "AR": "Arkansas",
    "AZ": "Arizona", "CA": "California", "CO": "Colorado", "CT": "Connecticut",
    "DC": "District of Columbia", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "IA": "Iowa", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "MA": "Massachusetts", "MD": "Maryland",
    "ME": "Maine", "MI": "Michigan", "MN": "Minnesota", "MO": "Missouri", "MS": "Mississippi",
    "MT": "Montana", "NC": "North Carolina", "ND": "North Dakota", "NE": "Nebraska",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NV": "Nevada",
    "NY": "New York", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VA": "Virginia", "VT": "Vermont", "WA": "Washington",
    "WI": "Wisconsin", "WV": "West Virginia", "WY": "Wyoming",
}

UNVERIFIED = "(not verified)"
DAY_TYPES = ("business", "calendar")
# What the first substantive deadline asks of the agency (laws-v2.csv ``response_kind``).
RESPONSE_KINDS = ("produce", "determine", "respond_or_estimate", "promptly_with_certification", "none")
# What starts a clock.
CLOCK_STARTS = ("receipt", "acknowledgement", "determination")
EXTENSION_STARTS = ("due", "receipt", "acknowledgement")
# Who decides the first challenge to a denial (appeals.csv ``route``).
ROUTES = ("agency_head", "state_office", "attorney_general", "commission", "court_only", "other")
# What starts the requester's appeal clock (appeals.csv ``deadline_from``), and which of them also
# run from a deemed denial (silence past the agency's deadline).
APPEAL_STARTS = ("denial", "denial_or_deemed_denial", "final_denial", "adverse_determination",
                 "mailing_of_denial", "receipt_of_written_denial", "violation", "violation_or_discovery",
                 "act_or_failure_to_act")
RUNS_FROM_SILENCE = frozenset({"denial_or_deemed_denial", "final_denial", "violation", "violation_or_discovery",
                               "act_or_failure_to_act"})
ESTIMATE_EFFECTS = ("operative", "nonbinding", "none")
DEEMED_DENIAL_RULES = ("after_due", "after_acknowledge_by", "after_acknowledge_by_or_due", "after", "earliest")

ROUTE_WORDS = {
    "agency_head": "an internal appeal to the head of the agency's government",
    "state_office": "a state office that reviews denials",
    "attorney_general": "the Attorney General",
    "commission": "a state commission",
    "court_only": "no administrative appeal: a lawsuit",
    "other": "no ordinary appeal",
}


def is_unverified(text: str) -> bool:
    return UNVERIFIED in (text or "")


@dataclasses.dataclass(frozen=True)
class Period:
    """A number of days of one type, or of calendar years (``years``) where the statute says so."""
    days: int = 0
    day_type: str = "calendar"  # business | calendar
    years: int = 0

    def __str__(self) -> str:
        if self.years:
            return f"{self.years} year" + ("" if self.years == 1 else "s")
        return f"{self.days} {self.day_type} day" + ("" if self.days == 1 else "s")


@dataclasses.dataclass(frozen=True)
class Clock:
    """One of a law's clocks: acknowledge, respond (determine) or produce.

    ``period`` is None when the law sets no fixed time ("promptly", "a reasonable time"); ``start``
    is what day 0 is (receipt, the actual acknowledgement, the determination notice).
    """
    role: str  # acknowledge | respond | produce
    period: Period | None
    start: str
    kind: str = ""  # respond: one of RESPONSE_KINDS
    note: str = ""  # what the agency must do by then, in the table's words


@dataclasses.dataclass(frozen=True)
class Extension:
    """The extension an agency may claim: its length and what it counts from (``due``: added to
    the response due date; ``receipt``: a total from receipt; ``acknowledgement``)."""
    period: Period | None  # None: the law allows one but sets no fixed length (NJ, NY)
    start: str
    repeatable: bool | None  # None: not known
    cap_days: int | None
    cap_note: str = ""
    verified: bool = True  # False: the figure is unconfirmed, so only a length the agency states is used


@dataclasses.dataclass(frozen=True)
class Estimate:
    """What a date the agency states (an estimate, a certification, a timetable) does.

    ``effect``: "operative" (it becomes the date the requester holds the agency to), "nonbinding"
    (a date to follow up on, not enforceable) or "none" (the statutory date stands). ``bound`` is
    the statute's limit on such a date, counted from ``bound_from``; ``bound_kind`` "cap" (the
    date cannot go past it) or "normal" (it may with a stated reason: beyond it the estimate is
    challengeable).
    """
    effect: str
    rule: str
    bound: Period | None = None
    bound_from: str = ""
    bound_kind: str = ""


@dataclasses.dataclass(frozen=True)
class DeemedDenial:
    """When silence counts as a denial: ``after_due`` (the day after the operative due date),
    ``after_acknowledge_by`` (the day after the acknowledgement deadline), both
    (``after_acknowledge_by_or_due``), ``after`` / ``earliest`` (fixed periods counted from
    ``periods``' starts), or "" (the statute says nothing we can compute)."""
    rule: str
    periods: tuple[tuple[Period, str], ...] = ()
    text: str = ""


@dataclasses.dataclass(frozen=True)
class Appeal:
    """How a requester challenges a denial: who decides, by when, with what."""
    route: str
    body: str
    contact: str
    deadline: Period | None  # None: no requester deadline, or an unverified one
    deadline_from: str  # an APPEAL_STARTS token, or the table's phrase (MA, MD)
    after_silence: str  # "deemed_denial" | "receipt" | "none": where the clock runs from when the agency is silent
    deadline_text: str  # the table's cell, verbatim (it may be "(not verified)")
    deemed_denial_text: str
    decision_days: str
    attachments: str
    missed_deadline_consequence: str
    court_route: str
    citation: str
    source: str
    confidence: str
    note: str

    @property
    def deadline_verified(self) -> bool:
        return not is_unverified(self.deadline_text)

    @property
    def is_court_filing(self) -> bool:
        """For court-only routes the deadline is the court-filing deadline."""
        return self.route == "court_only"

    @property
    def administrative(self) -> bool:
        return self.route not in ("court_only", "other")


@dataclasses.dataclass(frozen=True)
class Residency:
    """Who may request: ``required`` when the law limits requests to residents or citizens (of the
    state, or for ``scope`` "US" of the United States). ``verified`` is False where the tables
    disagree or the point is unconfirmed (warn, don't refuse)."""
    required: bool
    scope: str  # "state" | "US" | ""
    verified: bool
    text: str


@dataclasses.dataclass(frozen=True)
class Law:
    """One jurisdiction's statute, as the engine, pages and letters read it."""
    jurisdiction: str
    law_name: str
    citation: str
    acknowledge: Clock | None
    respond: Clock
    produce: Clock | None
    extension: Extension | None
    estimate: Estimate
    clarification: str
    deemed_denial: DeemedDenial
    appeal: Appeal
    residency: Residency
    fee_citation: str
    fee_waiver: str
    closed_days_note: str
    source: str
    confidence: str
    changed_from_v1: str
    unverified: tuple[tuple[str, str], ...] = ()  # (column, cell) of every "(not verified)" cell

    @property
    def name(self) -> str:
        return NAMES.get(self.jurisdiction, self.jurisdiction)

    @property
    def closed_days(self) -> tuple[workdays.StateDay, ...]:
        """The state's own closed days and corrections to the ``holidays`` package, with sources."""
        return workdays.state_days(self.jurisdiction)

    # --- the names the first law table used, for callers not yet reading the clocks ---------------

    @property
    def response_days(self) -> int | None:
        return self.respond.period.days if self.respond.period else None

    @property
    def day_type(self) -> str:
        return self.respond.period.day_type if self.respond.period else "none"

    @property
    def has_fixed_period(self) -> bool:
        return self.respond.period is not None

    @property
    def extension_days(self) -> int | None:
        """Days added to the response due date (a total from receipt less the response period)."""
        ext = self.extension
        if ext is None or ext.period is None or not ext.verified:
            return None
        if ext.start == "receipt" and self.respond.period and ext.period.day_type == self.day_type:
            return ext.period.days - self.respond.period.days or None
        return ext.period.days

    @property
    def extension_day_type(self) -> str | None:
        return self.extension.period.day_type if self.extension_days else None

    @property
    def extension_note(self) -> str:
        return self.respond.note

    @property
    def acknowledgement_days(self) -> int | None:
        return self.acknowledge.period.days if self.acknowledge and self.acknowledge.period else None

    @property
    def appeal_note(self) -> str:
        """The appeal route in one paragraph (who decides, the deadline, the court route)."""
        appeal = self.appeal
        parts = []
        if appeal.route == "court_only":
            parts.append(f"No administrative appeal: {appeal.body}.")
        elif appeal.route == "other":
            parts.append(f"No administrative appeal to the agency: {appeal.body}")
        else:
            parts.append(f"Appeal to {appeal.body}.")
        if appeal.deadline:
            what = "File in court" if appeal.is_court_filing else "Deadline:"
            parts.append(f"{what} within {appeal.deadline} ({appeal.deadline_from.replace('_', ' ')}).")
        if appeal.court_route and appeal.route != "court_only":
            parts.append(f"Court: {appeal.court_route}")
        elif appeal.court_route:
            parts.append(appeal.court_route)
        parts.append(f"({appeal.citation})")
        return " ".join(parts)

    def period_words(self) -> str:
        """The response period in words: "within 5 business days, as 65 P.S. § 67.901 requires"."""
        if not self.has_fixed_period:
            return ""
        return f"within {self.respond.period}, as {self.citation} requires"

    def as_json(self) -> dict:
        data = dataclasses.asdict(self)
        data["name"] = self.name
        data["closed_days"] = [dataclasses.asdict(day) for day in self.closed_days]
        data["unverified"] = [{"column": c, "text": t} for c, t in self.unverified]
        for legacy in ("response_days", "day_type", "extension_days", "extension_day_type",
                       "acknowledgement_days", "appeal_note"):
            data[legacy] = getattr(self, legacy)
        return data
