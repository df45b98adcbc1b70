"""Public-records laws, one row per jurisdiction (50 states, DC and US federal).

The facts live in ``foia/data/laws.csv`` (with its sources in ``laws-SOURCES.md`` and
``laws-EVIDENCE.md``). :func:`read_csv` validates every row and raises :class:`LawTableError` naming
the row and column of the first problem; :func:`load_into` refreshes the ``laws`` table from it.
"""
import csv
import dataclasses
from pathlib import Path

DATA = Path(__file__).parent / "data"
LAWS_CSV = DATA / "laws.csv"

COLUMNS = (
    "jurisdiction", "law_name", "citation", "response_days", "day_type", "extension_days",
    "extension_day_type", "extension_note", "acknowledgement_days", "appeal_note", "source",
    "confidence",
)
DAY_TYPES = ("business", "calendar", "none")

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


class LawTableError(ValueError):
    """A row of the law table is malformed."""


@dataclasses.dataclass(frozen=True)
class Law:
    jurisdiction: str
    law_name: str
    citation: str
    response_days: int | None
    day_type: str  # business | calendar | none
    extension_days: int | None
    extension_day_type: str | None  # business | calendar | None
    extension_note: str
    acknowledgement_days: int | None
    appeal_note: str
    source: str
    confidence: str

    @property
    def name(self) -> str:
        return NAMES.get(self.jurisdiction, self.jurisdiction)

    @property
    def has_fixed_period(self) -> bool:
        return self.day_type != "none" and self.response_days is not None

    def period_words(self) -> str:
        """The response period in words: "within 5 business days, as 65 P.S. § 67.901 requires"."""
        if not self.has_fixed_period:
            return ""
        unit = "day" if self.response_days == 1 else "days"
        return f"within {self.response_days} {self.day_type} {unit}, as {self.citation} requires"

    @classmethod
    def from_row(cls, row: dict) -> "Law":
        return cls(**{f.name: row.get(f.name) for f in dataclasses.fields(cls)})


def _int(value: str, where: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise LawTableError(f"{where}: {value!r} is not a whole number") from None
    if not 0 < number <= 365:
        raise LawTableError(f"{where}: {number} is out of range (1-365)")
    return number


def parse_row(raw: dict, line: int) -> Law:
    """Validate one CSV row (``line`` is its line number in the file, for messages)."""
    def where(column: str) -> str:
        return f"laws.csv line {line}, column {column}"

    code = (raw.get("jurisdiction") or "").strip()
    if code not in NAMES:
        raise LawTableError(f"{where('jurisdiction')}: unknown jurisdiction {code!r}")
    for column in ("law_name", "citation", "source"):
        if not (raw.get(column) or "").strip():
            raise LawTableError(f"{where(column)}: empty")
    day_type = (raw.get("day_type") or "").strip()
    if day_type not in DAY_TYPES:
        raise LawTableError(f"{where('day_type')}: {day_type!r} is not one of {', '.join(DAY_TYPES)}")
    response_days = _int(raw.get("response_days"), where("response_days"))
    if (day_type == "none") != (response_days is None):
        raise LawTableError(f"{where('response_days')}: must be empty exactly when day_type is 'none'")
    extension_days = _int(raw.get("extension_days"), where("extension_days"))
    extension_day_type = (raw.get("extension_day_type") or "").strip() or None
    if extension_day_type not in (None, "business", "calendar"):
        raise LawTableError(f"{where('extension_day_type')}: {extension_day_type!r} is not business or calendar")
    if (extension_days is None) != (extension_day_type is None):
        raise LawTableError(f"{where('extension_day_type')}: give it exactly when extension_days is given")
    confidence = (raw.get("confidence") or "").strip()
    if confidence not in ("high", "medium", "low"):
        raise LawTableError(f"{where('confidence')}: {confidence!r} is not high, medium or low")
    return Law(
        jurisdiction=code,
        law_name=raw["law_name"].strip(),
        citation=raw["citation"].strip(),
        response_days=response_days,
        day_type=day_type,
        extension_days=extension_days,
        extension_day_type=extension_day_type,
        extension_note=(raw.get("extension_note") or "").strip(),
        acknowledgement_days=_int(raw.get("acknowledgement_days"), where("acknowledgement_days")),
        appeal_note=(raw.get("appeal_note") or "").strip(),
        source=raw["source"].strip(),
        confidence=confidence,
    )


def read_csv(path: Path | str = LAWS_CSV) -> list[Law]:
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise LawTableError(f"{path.name}: missing column(s) {', '.join(missing)}")
        laws = [parse_row(row, reader.line_num) for row in reader]
    seen: set[str] = set()
    for law in laws:
        if law.jurisdiction in seen:
            raise LawTableError(f"{path.name}: jurisdiction {law.jurisdiction} appears twice")
        seen.add(law.jurisdiction)
    return laws


def load_into(db, path: Path = LAWS_CSV) -> int:
    """Refresh the ``laws`` table from the CSV (validated first, so a bad file changes nothing)."""
    from .db import transaction

    laws = read_csv(path)
    with transaction(db):
        db["laws"].upsert_all([dataclasses.asdict(law) for law in laws], pk="jurisdiction")
    return len(laws)


def get(db, jurisdiction: str) -> Law | None:
    rows = list(db.query("SELECT * FROM laws WHERE jurisdiction = ?", [jurisdiction]))
    return Law.from_row(rows[0]) if rows else None


def all_laws(db) -> dict[str, Law]:
    return {row["jurisdiction"]: Law.from_row(row) for row in db.query("SELECT * FROM laws ORDER BY jurisdiction")}
