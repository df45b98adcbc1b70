"""Timeline event kinds and their typed payloads: the one registry.

Each kind has a label and a payload dataclass whose fields say what the event records, with the
type and limits of each. Raw input (a web form, a JSON body, a CLI ``--data``, later a read e-mail)
is parsed once, at the boundary, by :func:`parse`: every problem is reported at once, by field
name, as :class:`foia.errors.Invalid`. The stored form is JSON (:meth:`Payload.as_json`); everything
else reads the typed object back with :func:`payload`.

Field names are shared by everyone who reads event data (deadlines, letters, mail):

======================== ======================================================
filed                    method, tracking_number, message_id
acknowledged             estimated_date, tracking_number
extension_claimed        days, day_type, new_due_on, reason
clarification_requested  question
fee_estimate             amount (dollars, a decimal string), estimated_date
partial_release          pages, note
records_released         pages, note
denied                   exemptions, reason
appeal_filed             body
appeal_decided           outcome
======================== ======================================================
"""
import dataclasses
import datetime as dt
import decimal
import json
import re
from typing import ClassVar

from . import errors

METHODS = ("email", "portal", "mail", "fax")
DAY_TYPES = ("business", "calendar")
APPEAL_OUTCOMES = ("granted", "partly_granted", "denied")
MAX_TEXT = 1000
MAX_MONEY = decimal.Decimal("1000000000")
CENT = decimal.Decimal("0.01")


@dataclasses.dataclass(frozen=True)
class Field:
    """One payload field: its label (as the form shows it), its type and limits.

    Types: ``text``, ``date``, ``whole`` (a whole number from ``low`` to ``high``), ``choice`` (one
    of ``choices``), ``money`` (dollars and cents) and ``list`` (short texts; a form gives them
    separated by commas, semicolons or new lines).
    """
    label: str
    type: str = "text"
    help: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    low: int = 1
    high: int = 365
    max_length: int = MAX_TEXT
    name: str = ""

    def parse(self, value, *, form: bool):
        """The typed value of ``value``, or None when it is empty; ValueError says what is wrong.

        ``form`` is True for text from an HTML form (every value a string); JSON input must
        already have the field's type (a number of days is a number, not text).
        """
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            if self.required:
                raise ValueError(self._required())
            return None
        return getattr(self, "_" + self.type)(value, form)

    def _required(self) -> str:
        if self.type == "choice":
            return f"Choose the {self.label.lower()}: {_words(self.choices)}."
        return f"Enter the {self.label.lower()}."

    def _string(self, value) -> str:
        if not isinstance(value, str):
            raise ValueError(f"The {self.label.lower()} must be text.")
        text = value.replace("\x00", "").strip()
        if len(text) > self.max_length:
            raise ValueError(f"The {self.label.lower()} is {len(text):,} characters long; "
                             f"the limit is {self.max_length:,}.")
        return text

    def _text(self, value, form):
        return self._string(value)

    def _date(self, value, form):
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            text = self._string(value)
            try:
                value = dt.date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{self.label}: “{text}” is not a date (use YYYY-MM-DD).") from None
        if not 1990 <= value.year <= 2100:
            raise ValueError(f"{self.label}: {value.isoformat()} is not a plausible date.")
        return value

    def _whole(self, value, form):
        number = value
        if form and isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            number = int(value.strip())
        if isinstance(number, bool) or not isinstance(number, int) or not self.low <= number <= self.high:
            raise ValueError(f"{self.label} must be a whole number from {self.low:,} to {self.high:,}.")
        return number

    def _choice(self, value, form):
        if value not in self.choices:
            raise ValueError(f"{self.label} must be one of: {_words(self.choices)}.")
        return value

    def _money(self, value, form):
        if isinstance(value, bool) or not isinstance(value, (str, int, float, decimal.Decimal)):
            raise ValueError(f"The {self.label.lower()} must be an amount in dollars, such as 12.50.")
        text = str(value).strip().replace(",", "").removeprefix("$").strip() if isinstance(value, str) else str(value)
        try:
            amount = decimal.Decimal(text)
        except decimal.InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or amount >= MAX_MONEY \
                or amount != amount.quantize(CENT, rounding=decimal.ROUND_DOWN):
            raise ValueError(f"The {self.label.lower()} must be an amount in dollars, such as 12.50.")
        return amount.quantize(CENT)

    def _list(self, value, form):
        if isinstance(value, str):
            items = re.split(r"[,;\n]", value)
        elif isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
            items = list(value)
        else:
            raise ValueError(f"The {self.label.lower()} must be a list of texts.")
        items = [self._string(item) for item in items]
        items = tuple(item for item in items if item)
        if len(items) > 50:
            raise ValueError(f"At most 50 {self.label.lower()} can be recorded.")
        return items or None

    def stored(self, value):
        """The JSON form of a typed value."""
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, decimal.Decimal):
            return str(value)
        if isinstance(value, tuple):
            return list(value)
        return value

    def form_value(self, value) -> str:
        """The typed value as a form shows it."""
        if value is None:
            return ""
        if isinstance(value, tuple):
            return "; ".join(value)
        return str(self.stored(value))

    def display(self, value) -> str:
        """The typed value in words, for pages."""
        if isinstance(value, decimal.Decimal):
            return f"${value:,}"
        if self.type == "choice":
            return str(value).replace("_", " ")
        return self.form_value(value)


def _words(choices) -> str:
    return ", ".join(c.replace("_", " ") for c in choices)


def field(label: str, type: str = "text", **options):
    """A payload dataclass field described by a :class:`Field` (default None: not recorded)."""
    return dataclasses.field(default=None, metadata={"field": Field(label, type, **options)})


@dataclasses.dataclass(frozen=True)
class Payload:
    """What one timeline event records beyond its kind, date and note."""
    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""

    @classmethod
    def fields(cls) -> list[Field]:
        return [dataclasses.replace(f.metadata["field"], name=f.name) for f in dataclasses.fields(cls)]

    @classmethod
    def parse(cls, raw, *, form: bool = False) -> "Payload":
        """A typed payload from raw input; raises Invalid with every field's problem at once."""
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise errors.Invalid("data", "The event's details must be given as an object of named fields.")
        problems, values = {}, {}
        known = {f.name: f for f in cls.fields()}
        for name in raw:
            if name not in known:
                allowed = f"it records {_words(known)}" if known else "it records no details"
                problems[str(name)] = f"“{cls.label}” does not record {str(name).replace('_', ' ')}; {allowed}."
        for name, spec in known.items():
            try:
                values[name] = spec.parse(raw.get(name), form=form)
            except ValueError as e:
                problems[name] = str(e)
        errors.check(problems)
        return cls(**values)

    @classmethod
    def from_stored(cls, data) -> "Payload":
        """The typed payload of stored JSON (text or dict). Lenient: data stored before a field's
        rules existed (an unknown key, a value that no longer parses) is left out, not an error."""
        if isinstance(data, (str, bytes)):
            try:
                data = json.loads(data or "{}")
            except ValueError:
                data = {}
        if not isinstance(data, dict):
            data = {}
        values = {}
        for spec in cls.fields():
            try:
                values[spec.name] = spec.parse(data.get(spec.name), form=False)
            except ValueError:
                values[spec.name] = None
        return cls(**values)

    def as_json(self) -> dict:
        """The stored form: recorded fields only, dates as ISO text, amounts as decimal text."""
        return {spec.name: spec.stored(getattr(self, spec.name)) for spec in self.fields()
                if getattr(self, spec.name) is not None}

    def dumps(self) -> str:
        return json.dumps(self.as_json(), sort_keys=True)

    def details(self) -> list[tuple[str, str]]:
        """(label, value in words) of each recorded field, for the timeline."""
        return [(spec.label, spec.display(getattr(self, spec.name))) for spec in self.fields()
                if getattr(self, spec.name) is not None]


REGISTRY: dict[str, type[Payload]] = {}


def kind(name: str, label: str):
    """Register a payload dataclass as the event kind ``name``."""
    def register(cls):
        cls = dataclasses.dataclass(frozen=True)(cls)
        cls.kind, cls.label = name, label
        REGISTRY[name] = cls
        return cls
    return register


# The kinds, in the order users meet them.

@kind("drafted", "Drafted")
class Drafted(Payload):
    pass


@kind("filed", "Filed")
class Filed(Payload):
    method: str | None = field("How it was sent", "choice", choices=METHODS)
    tracking_number: str | None = field("Agency tracking number", max_length=200)
    message_id: str | None = field("Message-ID of the e-mail sent", max_length=998)


@kind("received_by_agency", "Received by agency")
class ReceivedByAgency(Payload):
    pass


@kind("acknowledged", "Acknowledged")
class Acknowledged(Payload):
    estimated_date: dt.date | None = field("Estimated completion", "date",
                                           help="the date the agency says it will finish, if it gave one")
    tracking_number: str | None = field("Agency tracking number", max_length=200)


@kind("extension_claimed", "Extension claimed")
class ExtensionClaimed(Payload):
    days: int | None = field("Extension days", "whole", low=1, high=365,
                             help="leave empty when the agency claims the law's standard extension")
    day_type: str | None = field("Kind of days", "choice", choices=DAY_TYPES)
    new_due_on: dt.date | None = field("New due date the agency gives", "date")
    reason: str | None = field("Reason given")


@kind("clarification_requested", "Clarification requested")
class ClarificationRequested(Payload):
    question: str | None = field("What the agency asks", max_length=5000)


@kind("clarification_answered", "Clarification answered")
class ClarificationAnswered(Payload):
    pass


@kind("fee_estimate", "Fee estimate")
class FeeEstimate(Payload):
    amount: decimal.Decimal | None = field("Fee amount", "money", help="in dollars, such as 12.50")
    estimated_date: dt.date | None = field("Estimated completion", "date")


@kind("fee_paid", "Fee paid")
class FeePaid(Payload):
    amount: decimal.Decimal | None = field("Amount paid", "money", help="in dollars, such as 12.50")


@kind("partial_release", "Partial release")
class PartialRelease(Payload):
    pages: int | None = field("Pages released", "whole", low=0, high=10_000_000)
    note: str | None = field("What was released")


@kind("records_released", "Records released")
class RecordsReleased(Payload):
    pages: int | None = field("Pages released", "whole", low=0, high=10_000_000)
    note: str | None = field("What was released")


@kind("no_records", "No records")
class NoRecords(Payload):
    pass


@kind("denied", "Denied")
class Denied(Payload):
    exemptions: tuple[str, ...] | None = field("Exemptions cited", "list", max_length=200,
                                               help="separated by commas or semicolons")
    reason: str | None = field("Reason given", max_length=5000)


@kind("appeal_filed", "Appeal filed")
class AppealFiled(Payload):
    body: str | None = field("Appealed to", max_length=300, help="the office that decides the appeal")


@kind("appeal_decided", "Appeal decided")
class AppealDecided(Payload):
    outcome: str | None = field("Appeal outcome", "choice", required=True, choices=APPEAL_OUTCOMES)


@kind("withdrawn", "Withdrawn")
class Withdrawn(Payload):
    pass


@kind("closed", "Closed")
class Closed(Payload):
    pass


@kind("note", "Note")
class Note(Payload):
    pass


# kind -> label, in the order users meet them.
LABELS: dict[str, str] = {name: cls.label for name, cls in REGISTRY.items()}


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


def payload_class(name: str) -> type[Payload]:
    """The payload dataclass of a kind; Invalid (field ``kind``) for an unknown kind."""
    found = REGISTRY.get(name) if isinstance(name, str) else None
    if found is None:
        raise errors.Invalid("kind", "Choose what happened: " + ", ".join(LABELS.values()).lower() + ".")
    return found


def fields(name: str) -> list[Field]:
    """The fields the form shows for a kind (none for an unknown kind)."""
    found = REGISTRY.get(name) if isinstance(name, str) else None
    return found.fields() if found else []


def parse(name: str, raw, *, form: bool = False) -> Payload:
    """Parse raw input for an event of kind ``name`` (see :meth:`Payload.parse`)."""
    return payload_class(name).parse(raw, form=form)


def payload(event: dict) -> Payload:
    """The typed payload of a stored event row (its ``kind`` and ``data``); a note's for an
    unknown kind."""
    return REGISTRY.get(event.get("kind"), Note).from_stored(event.get("data"))
