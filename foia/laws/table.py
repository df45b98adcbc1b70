"""Reading the law tables into :class:`~foia.laws.model.Law` objects, validated on load.

Three files in ``foia/data/``, kept as gathered (every source and confidence column):

- ``laws-v2.csv`` (with ``laws-v2-NOTES.md``): the clocks, extensions, estimates, clarification,
  residency, fees and closed days of each jurisdiction;
- ``appeals.csv`` (with ``appeals-NOTES.md``): who decides an appeal, by when, with what;
- ``law-readings.csv``: our structured reading of the free-text cells the engine needs (the
  production clock's start, what an agency's estimate does, when silence is a denial), each row
  saying which cells it reads. A reading is never taken from a "(not verified)" cell.

A malformed cell raises :class:`LawTableError` naming the file, line and column.
"""
import csv
import re
from pathlib import Path

from .. import errors
from .model import (APPEAL_STARTS, CLOCK_STARTS, DAY_TYPES, DEEMED_DENIAL_RULES, ESTIMATE_EFFECTS,
                    EXTENSION_STARTS, NAMES, RESPONSE_KINDS, ROUTES, RUNS_FROM_SILENCE, Appeal, Clock,
                    DeemedDenial, Estimate, Extension, Law, Period, Residency, is_unverified)

DATA = Path(__file__).resolve().parent.parent / "data"
LAWS_CSV = DATA / "laws-v2.csv"
APPEALS_CSV = DATA / "appeals.csv"
READINGS_CSV = DATA / "law-readings.csv"

COLUMNS = (
    "jurisdiction", "law_name", "citation", "ack_days", "ack_day_type", "ack_must_include", "response_days",
    "response_day_type", "response_kind", "response_from", "production_days", "production_day_type",
    "production_cap_note", "extension_days", "extension_day_type", "extension_from", "extension_repeatable",
    "extension_cap_days", "estimate_rule", "clarification_rule", "residency_required", "fee_citation",
    "fee_waiver", "extra_closed_days", "source", "confidence", "changed_from_v1",
)
APPEAL_COLUMNS = (
    "jurisdiction", "route", "body", "body_contact", "deadline_days", "deadline_day_type", "deadline_from",
    "deemed_denial_after", "decision_days", "attachments", "missed_deadline_consequence", "residency_required",
    "court_route", "citation", "source", "confidence", "note",
)
READING_COLUMNS = ("jurisdiction", "production_from", "estimate", "estimate_bound", "estimate_bound_kind",
                   "deemed_denial", "appeal_after_silence", "extension", "basis")
CONFIDENCE = ("high", "medium", "low")
_PERIOD = re.compile(r"^(\d+) (business|calendar) (receipt|acknowledgement|due)$")


class LawTableError(errors.Invalid):
    """A row of a law table is malformed; the message names the file, line and column."""

    def __init__(self, message: str, column: str = ""):
        super().__init__(column, message)


class _Row:
    """One CSV row being read: cells by column, and errors that name where they are."""

    def __init__(self, raw: dict, file: str, line: int):
        self.cells = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        self.file, self.line = file, line

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")

    def error(self, column: str, problem: str) -> LawTableError:
        return LawTableError(f"{self.file} line {self.line}, column {column}: {problem}", column)

    def required(self, column: str) -> str:
        if not self[column]:
            raise self.error(column, "empty")
        return self[column]

    def choice(self, column: str, allowed, blank_ok: bool = False) -> str:
        value = self[column]
        if value == "" and blank_ok:
            return ""
        if value not in allowed:
            raise self.error(column, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def number(self, column: str, low: int = 1, high: int = 365) -> int | None:
        """A whole number, or None for a blank or "(not verified)" cell (never a number then)."""
        value = self[column]
        if not value or is_unverified(value):
            return None
        try:
            number = int(value)
        except ValueError:
            raise self.error(column, f"{value!r} is not a whole number") from None
        if not low <= number <= high:
            raise self.error(column, f"{number} is out of range ({low}-{high})")
        return number

    def period(self, days_column: str, type_column: str, need_type: bool = True) -> Period | None:
        days = self.number(days_column)
        day_type = self[type_column]
        if days is None:
            if day_type and day_type not in DAY_TYPES:
                raise self.error(type_column, f"{day_type!r} is not business or calendar")
            return None
        if day_type not in DAY_TYPES:
            if need_type or day_type:
                raise self.error(type_column, f"{day_type!r} is not business or calendar (give it with {days_column})")
        return Period(days, day_type)


def _rows(path: Path, columns: tuple[str, ...]):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise LawTableError(f"{path.name}: missing column(s) {', '.join(missing)}")
        seen = set()
        for raw in reader:
            row = _Row(raw, path.name, reader.line_num)
            code = row["jurisdiction"]
            if code not in NAMES:
                raise row.error("jurisdiction", f"unknown jurisdiction {code!r}")
            if code in seen:
                raise row.error("jurisdiction", f"{code} appears twice")
            seen.add(code)
            yield code, row
        if seen != set(NAMES):
            raise LawTableError(f"{path.name}: no row for {', '.join(sorted(set(NAMES) - seen))}")


def parse(statute: dict, appeal: dict, reading: dict, where=("laws-v2.csv", 0), appeal_where=("appeals.csv", 0),
          reading_where=("law-readings.csv", 0)) -> Law:
    """One jurisdiction's :class:`Law` from its three rows (dicts of column -> cell)."""
    s, a, r = _Row(statute, *where), _Row(appeal, *appeal_where), _Row(reading, *reading_where)
    code = s.required("jurisdiction")
    for row in (a, r):
        if row["jurisdiction"] != code:
            raise row.error("jurisdiction", f"{row['jurisdiction']!r} does not match {code!r}")
    for column in ("law_name", "citation", "source"):
        s.required(column)
    s.choice("confidence", CONFIDENCE)

    acknowledge = None
    ack = s.period("ack_days", "ack_day_type")
    if ack:
        acknowledge = Clock("acknowledge", ack, "receipt", "acknowledge", s["ack_must_include"])

    kind = s.choice("response_kind", RESPONSE_KINDS)
    response = s.period("response_days", "response_day_type")
    if (kind == "none") != (response is None):
        raise s.error("response_days", "must be empty exactly when response_kind is 'none'")
    start = s.choice("response_from", CLOCK_STARTS[:2], blank_ok=kind == "none") or "receipt"
    if start == "acknowledgement" and not response:
        raise s.error("response_from", "a clock from the acknowledgement needs response_days")
    respond = Clock("respond", response, start, kind, s["production_cap_note"])

    produce = None
    production = s.period("production_days", "production_day_type")
    production_from = r.choice("production_from", ("receipt", "determination"), blank_ok=True)
    if production and not production_from:
        raise r.error("production_from", f"{code} has a production clock: say what starts it")
    if production_from and not production:
        raise r.error("production_from", f"{code} has no production clock in laws-v2.csv")
    if production:
        produce = Clock("produce", production, production_from, "produce", s["production_cap_note"])

    extension = None
    ext = s.period("extension_days", "extension_day_type", need_type=True)
    if ext or s["extension_day_type"] or s["extension_from"]:
        repeatable_cell = s["extension_repeatable"]
        if repeatable_cell not in ("", "yes", "no") and not is_unverified(repeatable_cell):
            raise s.error("extension_repeatable", f"{repeatable_cell!r} is not yes, no, empty or (not verified)")
        cap_cell = s["extension_cap_days"]
        cap = s.number("extension_cap_days") if cap_cell.isdigit() else None
        extension = Extension(ext, s.choice("extension_from", EXTENSION_STARTS),
                              {"yes": True, "no": False}.get(repeatable_cell), cap,
                              "" if cap_cell.isdigit() else cap_cell,
                              r.choice("extension", ("unverified",), blank_ok=True) != "unverified")
    elif r["extension"]:
        raise r.error("extension", f"{code} has no extension in laws-v2.csv")

    effect = r.choice("estimate", ESTIMATE_EFFECTS, blank_ok=True) or "none"
    bound, bound_from, bound_kind = None, "", ""
    if r["estimate_bound"]:
        match = _PERIOD.match(r["estimate_bound"])
        if not match:
            raise r.error("estimate_bound", f"{r['estimate_bound']!r} is not like '20 business acknowledgement'")
        bound, bound_from = Period(int(match[1]), match[2]), match[3]
        bound_kind = r.choice("estimate_bound_kind", ("cap", "normal"))
    estimate = Estimate(effect, s["estimate_rule"], bound, bound_from, bound_kind)

    deemed = _deemed_denial(r, a["deemed_denial_after"])

    route = a.choice("route", ROUTES)
    a.required("body")
    a.choice("confidence", CONFIDENCE)
    deadline, deadline_cell = None, a["deadline_days"]
    if re.fullmatch(r"P\dY", deadline_cell):
        deadline = Period(years=int(deadline_cell[1]))
        a.choice("deadline_day_type", ("calendar",))
    elif deadline_cell and not is_unverified(deadline_cell):
        deadline = a.period("deadline_days", "deadline_day_type")
    deadline_from = a["deadline_from"]
    silence = r.choice("appeal_after_silence", ("deemed_denial", "receipt", "none"), blank_ok=True)
    if deadline and deadline_from not in APPEAL_STARTS and not silence:
        raise a.error("deadline_from", f"{deadline_from!r} is not one of {', '.join(APPEAL_STARTS)} "
                                       "(or give appeal_after_silence in law-readings.csv)")
    if not silence:
        silence = "deemed_denial" if deadline_from in RUNS_FROM_SILENCE else "none"
    appeal = Appeal(route, a["body"], a["body_contact"], deadline, deadline_from, silence, deadline_cell,
                    a["deemed_denial_after"], a["decision_days"], a["attachments"], a["missed_deadline_consequence"],
                    a["court_route"], a["citation"], a["source"], a["confidence"], a["note"])

    residency = _residency(s["residency_required"], a["residency_required"])
    unverified = tuple([(column, s[column]) for column in COLUMNS if is_unverified(s[column])]
                       + [(f"appeals.{column}", a[column]) for column in APPEAL_COLUMNS if is_unverified(a[column])])
    return Law(code, s["law_name"], s["citation"], acknowledge, respond, produce, extension, estimate,
               s["clarification_rule"], deemed, appeal, residency, s["fee_citation"], s["fee_waiver"],
               s["extra_closed_days"], s["source"], s["confidence"], s["changed_from_v1"], unverified)


def _deemed_denial(r: _Row, text: str) -> DeemedDenial:
    cell = r["deemed_denial"]
    if not cell:
        return DeemedDenial("", (), text)
    if is_unverified(text):
        raise r.error("deemed_denial", "appeals.csv deemed_denial_after is (not verified): it cannot drive a date")
    rule, _, rest = cell.partition(":")
    if rule not in DEEMED_DENIAL_RULES:
        raise r.error("deemed_denial", f"{rule!r} is not one of {', '.join(DEEMED_DENIAL_RULES)}")
    periods = []
    if rule in ("after", "earliest"):
        for part in rest.split("|"):
            match = _PERIOD.match(part.strip())
            if not match or match[3] == "due":
                raise r.error("deemed_denial", f"{part.strip()!r} is not like '30 business acknowledgement'")
            periods.append((Period(int(match[1]), match[2]), match[3]))
    elif rest:
        raise r.error("deemed_denial", f"{rule} takes no periods")
    return DeemedDenial(rule, tuple(periods), text)


def _residency(statute_cell: str, appeal_cell: str) -> Residency:
    required = statute_cell.lower().startswith("yes")
    scope = ""
    if required:
        scope = "US" if "united states" in statute_cell.lower() else "state"
    # Verified only where both tables say the same, and neither leaves the rule itself (its first
    # clause: later clauses are details such as what proof a custodian may ask for) unclear or unconfirmed.
    def rule(cell):
        return re.split(r"\. |; ", cell, maxsplit=1)[0]

    verified = (required == appeal_cell.lower().startswith("yes") and not appeal_cell.lower().startswith("unclear")
                and not is_unverified(rule(statute_cell)) and not is_unverified(rule(appeal_cell)))
    return Residency(required, scope, verified, statute_cell)


def read_tables(path: Path | str = LAWS_CSV, appeals_path: Path | str = APPEALS_CSV,
                readings_path: Path | str = READINGS_CSV) -> dict[str, Law]:
    """Every jurisdiction's :class:`Law`, from the three tables (all validated before any is used)."""
    raw = read_raw(path, appeals_path, readings_path)
    return {code: parse(*rows) for code, rows in raw.items()}


def read_raw(path: Path | str = LAWS_CSV, appeals_path: Path | str = APPEALS_CSV,
             readings_path: Path | str = READINGS_CSV) -> dict[str, tuple]:
    """code -> (statute row, appeal row, reading row, and where each came from), validated."""
    tables = []
    for file, columns in ((Path(path), COLUMNS), (Path(appeals_path), APPEAL_COLUMNS),
                          (Path(readings_path), READING_COLUMNS)):
        tables.append({code: (row.cells, (row.file, row.line)) for code, row in _rows(file, columns)})
    statutes, appeals, readings = tables
    result = {}
    for code in NAMES:
        (s, sw), (a, aw), (r, rw) = statutes[code], appeals[code], readings[code]
        parse(s, a, r, sw, aw, rw)  # validates
        result[code] = (s, a, r, sw, aw, rw)
    return result
