"""Agencies (police departments, sheriffs' offices, ...) and their import from CSV exports.

Agencies are keyed by (name, state): importing the same file twice changes nothing. Each row of an
import is checked on its own; the rows that pass are written in one transaction, and the report
names every rejected row with its line number and the reason.
"""
import csv
import dataclasses
import datetime as dt
import io
import json
import re

from collections.abc import Mapping

from . import audit, clock, errors, recompute
from .db import transaction
from .laws import NAMES

FIELDS = (
    "name", "kind", "city", "county", "state", "records_email", "portal_url", "mailing_address",
    "phone", "ring_partner_since", "source", "notes",
)
KINDS = ("police", "sheriff", "state_police", "campus_police", "transit_police", "city", "county", "other")
# What each kind is called on pages and in messages (the stored value stays the short code).
KIND_LABELS = {
    "police": "Police department", "sheriff": "Sheriff's office", "state_police": "State police",
    "campus_police": "Campus police", "transit_police": "Transit police", "city": "City government",
    "county": "County government", "other": "Other",
}
# Each field's name in messages that are not shown beside their field (an import row's reasons).
LABELS = {
    "name": "Name", "kind": "Kind", "city": "City", "county": "County", "state": "State",
    "records_email": "Records e-mail", "portal_url": "Records portal", "mailing_address": "Mailing address",
    "phone": "Phone", "ring_partner_since": "Ring partner since", "source": "Source", "notes": "Notes",
    "closed_days": "Extra closed days",
}
MAX_SUBMISSION_KEY = 200
MAX_LENGTH = {"notes": 5000, "mailing_address": 1000, "source": 2000}
DEFAULT_MAX_LENGTH = 300

# Column headings found in common exports, normalised (lower case, letters and digits only).
HEADER_ALIASES = {
    "name": ("name", "agency", "agencyname", "department", "departmentname", "organization"),
    "kind": ("kind", "type", "agencytype"),
    "city": ("city", "town", "municipality"),
    "county": ("county",),
    "state": ("state", "st", "statecode", "jurisdiction"),
    "records_email": ("email", "recordsemail", "emailaddress", "contactemail", "foiaemail"),
    "portal_url": ("portal", "portalurl", "url", "website", "recordsportal"),
    "mailing_address": ("address", "mailingaddress", "streetaddress", "mailaddress"),
    "phone": ("phone", "telephone", "phonenumber"),
    "ring_partner_since": (
        "ringpartnersince", "activedate", "partnersince", "ringpartnershipdate", "partnershipdate",
        "datejoined", "activesince",
    ),
    "source": ("source", "sources"),
    "notes": ("notes", "note", "comments"),
}
_STATE_BY_NAME = {name.lower(): code for code, name in NAMES.items()}
_STATE_BY_NAME.update({"district of columbia": "DC", "washington dc": "DC", "federal": "US", "united states": "US"})
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}$")


# Transitional names for callers not yet converted to foia.errors (foia/cli/core.py).
AgencyError = errors.FoiaError
NotFound = errors.NotFound


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (header or "").lower())


def map_headers(headers: list[str]) -> dict[str, str]:
    """CSV heading -> our field, for the headings we recognise."""
    mapping = {}
    for header in headers:
        key = _norm(header)
        for field, aliases in HEADER_ALIASES.items():
            if key in aliases and field not in mapping.values():
                mapping[header] = field
                break
    return mapping


def kind_label(kind: str | None) -> str:
    """``state_police`` -> ``State police`` (an unknown value as it is)."""
    return KIND_LABELS.get(kind or "", kind or "")


def parse_state(value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise errors.Invalid("state", "Choose the agency's state.")
    if text.upper() in NAMES:
        return text.upper()
    code = _STATE_BY_NAME.get(text.lower().rstrip("."))
    if code:
        return code
    raise errors.Invalid("state", f"“{text[:40]}” is not a state we know: use a two-letter code such as CA, "
                                  "DC for Washington, D.C., or US for a federal agency.")


# Full dates, then a month ("June 2019", "2019-06"), then a year; a month or a year is stored as
# such ("2019-06", "2019"): the table keeps text, and a partnership known to the month has no day.
_DAY_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y",
                "%d %B %Y", "%d %b %Y")
_MONTH_FORMATS = ("%Y-%m", "%B %Y", "%b %Y", "%m/%Y")
PARTNER_DATE_HINT = "Enter the date as 2019-06-01 or June 2019 (a year alone, such as 2019, works too)."


def _strptime(text: str, formats) -> dt.date | None:
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_partner_date(value: str, today: dt.date) -> str | None:
    """Accepts 2019-05-01, 5/1/2019, May 1, 2019, June 2019, 2019-06 and 2019; no future dates.

    Returns ``YYYY-MM-DD``, ``YYYY-MM`` (a month) or ``YYYY`` (a year)."""
    text = " ".join((value or "").split())
    if not text:
        return None
    day, stored = _strptime(text, _DAY_FORMATS), None
    if day is not None:
        stored = day.isoformat()
    else:
        day = _strptime(text, _MONTH_FORMATS)
        if day is not None:
            stored = day.strftime("%Y-%m")
        elif re.fullmatch(r"\d{4}", text):
            day, stored = dt.date(int(text), 1, 1), text
    if day is None:
        raise errors.Invalid("ring_partner_since", PARTNER_DATE_HINT)
    if day > today:
        raise errors.Invalid("ring_partner_since", "That date is in the future: enter the day (or month) the "
                                                   "partnership began.")
    if day.year < 2015:
        raise errors.Invalid("ring_partner_since", "That is before Ring's police partnerships began (2015): check "
                                                   "the year.")
    return stored


def partner_since_words(value) -> str:
    """A stored partnership date in words: ``2019-06`` -> ``June 2019``, ``2019`` -> ``2019``; a full
    date is left to :func:`foia.formats.day`."""
    text = str(value or "")
    if re.fullmatch(r"\d{4}-\d{2}", text):
        try:
            return dt.date(int(text[:4]), int(text[5:]), 1).strftime("%B %Y")
        except ValueError:
            return text
    return text


def _kind(text: str) -> str:
    kind = _norm(text) or "police"
    kind = {"sheriffsoffice": "sheriff", "sheriffs": "sheriff", "sheriffsdepartment": "sheriff",
            "policedepartment": "police", "pd": "police", "citygovernment": "city",
            "countygovernment": "county"}.get(kind, kind)
    if kind not in {_norm(k) for k in KINDS}:
        raise errors.Invalid("kind", f"“{text[:40]}” is not a kind of agency we know: use one of "
                                     + ", ".join(KIND_LABELS[k] for k in KINDS) + ".")
    return next(k for k in KINDS if _norm(k) == kind)


def clean(values: dict, today: dt.date) -> dict:
    """Validate and normalise one agency's fields (only those given); raises
    :class:`foia.errors.Invalid` naming every field at fault at once."""
    out, problems = {}, {}
    for field in FIELDS:
        if field not in values or values[field] is None:
            continue
        value = str(values[field]).replace("\x00", "").strip()
        limit = MAX_LENGTH.get(field, DEFAULT_MAX_LENGTH)
        if any(ord(c) < 32 and c not in "\n\t" for c in value):
            problems[field] = ("This contains invisible control characters (often copied from another "
                               "program): type it again.")
        elif len(value) > limit:
            problems[field] = f"Keep this to {limit:,} characters or fewer (it has {len(value):,})."
        else:
            out[field] = value
    if "name" in out and not out["name"]:
        problems["name"] = "Enter the agency's name."
    if out.get("records_email") and not _EMAIL.match(out["records_email"]):
        problems["records_email"] = "That e-mail address doesn't look right: it should look like records@city.gov."
    if out.get("portal_url") and not re.match(r"^https?://[^\s<>\"]+$", out["portal_url"], re.I):
        problems["portal_url"] = "That web address doesn't look right: it should start with https://."
    for field, parse in (("state", parse_state), ("kind", _kind),
                         ("ring_partner_since", lambda text: parse_partner_date(text, today))):
        if field in out and field not in problems:
            try:
                out[field] = parse(out[field])
            except errors.Invalid as e:
                problems[field] = str(e)
    errors.check(problems)
    return out


def get(db, agency_id) -> dict:
    rows = list(db.query("SELECT * FROM agencies WHERE id = ?", [agency_id]))
    if not rows:
        raise errors.NotFound(f"No agency with id {agency_id}.")
    return rows[0]


def find(db, name: str, state: str) -> dict | None:
    rows = list(db.query("SELECT * FROM agencies WHERE name = ? AND state = ?", [name, state]))
    return rows[0] if rows else None


def _submission_key(value) -> str | None:
    """A form's one-time key: short text, or None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > MAX_SUBMISSION_KEY:
        raise errors.Invalid("", "This form is out of date: open the page again and re-enter the agency.")
    return value


def upsert(db, values: dict, *, actor=None, today: dt.date | None = None,
           submission_key: str | None = None) -> tuple[int, str]:
    """Insert or update by (name, state). Returns (id, "imported" | "updated" | "unchanged").

    Empty values never overwrite stored ones, so a sparser export cannot erase what is known.
    ``submission_key`` (a form's one-time key) is checked in the same transaction as the insert:
    the same key again returns the agency it created, as ``"resubmitted"``, and changes nothing.
    """
    today = today or clock.today()
    submission_key = _submission_key(submission_key)
    problems: dict[str, str] = {}
    try:
        data = clean(values, today)
    except errors.Invalid as e:
        problems.update(e.errors)
        data = {}
    for field, message in (("name", "Enter the agency's name."), ("state", "Choose the agency's state.")):
        if field not in problems and not (data.get(field) or str(values.get(field) or "").strip()):
            problems[field] = message
    errors.check(problems)
    now = clock.stamp()
    with transaction(db):
        if submission_key:
            row = db.execute("SELECT id FROM agencies WHERE submission_key = ?", [submission_key]).fetchone()
            if row:
                return row[0], "resubmitted"
        existing = find(db, data["name"], data["state"])
        if existing is None:
            row = {f: data.get(f) or "" for f in FIELDS}
            row["kind"] = row["kind"] or "police"
            row["ring_partner_since"] = data.get("ring_partner_since")
            row.update(created_at=now, updated_at=now, submission_key=submission_key)
            agency_id = db["agencies"].insert(row).last_pk
            audit.record(db, "agency.create", user_id=actor, object_type="agency", object_id=agency_id)
            return agency_id, "imported"
        changes = {f: v for f, v in data.items() if v not in ("", None) and existing.get(f) != v}
        if not changes:
            return existing["id"], "unchanged"
        db["agencies"].update(existing["id"], dict(changes, updated_at=now))
        audit.record(db, "agency.update", user_id=actor, object_type="agency", object_id=existing["id"],
                     detail={"fields": sorted(changes)})
    return existing["id"], "updated"


def update(db, agency_id: int, values: dict, *, actor=None, config: Mapping | None = None) -> None:
    """Edit an agency's fields (empty values clear them, unlike an import). A change of closed days
    or jurisdiction recomputes the agency's requests (``config``: the instance's configuration)."""
    existing = get(db, agency_id)
    problems: dict[str, str] = {}
    try:
        data = clean(values, clock.today())
    except errors.Invalid as e:
        problems.update(e.errors)
        data = {}
    if "closed_days" in values:
        try:
            data["closed_days"] = json.dumps(sorted({_iso_day(d) for d in values["closed_days"]}))
        except errors.Invalid as e:
            problems.update(e.errors)
    errors.check(problems)
    other = find(db, data.get("name", existing["name"]), data.get("state", existing["state"]))
    if other and other["id"] != agency_id:
        raise errors.Invalid("name", "Another agency in that state already has this name: open that agency "
                                     "instead, or tell the two apart (add the city).")

    with transaction(db):
        db["agencies"].update(agency_id, dict(data, updated_at=clock.stamp()))
        audit.record(db, "agency.update", user_id=actor, object_type="agency", object_id=agency_id,
                     detail={"fields": sorted(data)})
        if "closed_days" in data or "state" in data:
            recompute.agency(db, agency_id, config=config)


def _iso_day(value: str) -> str:
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise errors.Invalid("closed_days", f"“{str(value)[:40]}” is not a date: enter each day as 2026-12-24, "
                                            "separated by spaces.") from None


def row_reason(error: errors.Invalid) -> str:
    """An import row's problems in one line, each led by its column: "State: “XX” is not a state..."."""
    return " ".join(f"{LABELS.get(field, 'Row')}: {message}" if field else message
                    for field, message in error.errors.items())


@dataclasses.dataclass
class ImportReport:
    imported: list = dataclasses.field(default_factory=list)  # (line, name)
    updated: list = dataclasses.field(default_factory=list)
    unchanged: list = dataclasses.field(default_factory=list)
    rejected: list = dataclasses.field(default_factory=list)  # (line, name, reason)
    unmapped_columns: list = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.imported)} imported, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.rejected)} rejected")

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def import_csv(db, source, *, actor=None, today: dt.date | None = None) -> ImportReport:
    """Import agencies from a CSV file (path, bytes or text stream).

    Rows are checked first; the good ones are then written in a single transaction, so an error
    part-way (a full disk, a killed process) leaves the table as it was.
    """
    today = today or clock.today()
    if isinstance(source, (bytes, bytearray)):
        try:
            text = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise errors.Invalid("file", f"The file is not UTF-8 text (byte {e.start}).") from None
        stream = io.StringIO(text, newline="")
    elif hasattr(source, "read"):
        stream = source
    else:
        try:
            with open(source, "rb") as f:
                return import_csv(db, f.read(), actor=actor, today=today)
        except OSError as e:
            raise errors.Invalid("file", f"Cannot read {source}: {e.strerror}") from None
    reader = csv.reader(stream)
    report = ImportReport()
    try:
        headers = next(reader)
    except StopIteration:
        raise errors.Invalid("file", "The file is empty.") from None
    except csv.Error as e:
        raise errors.Invalid("file", f"Line 1: {e}") from None
    mapping = map_headers(headers)
    if "name" not in mapping.values() or "state" not in mapping.values():
        raise errors.Invalid(
            "file", "The header row needs a name column (Name or Agency) and a State column; found: "
            + ", ".join(repr(h) for h in headers)
        )
    report.unmapped_columns = [h for h in headers if h not in mapping]
    good: list[tuple[int, dict]] = []
    seen: dict[tuple[str, str], int] = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            report.rejected.append((reader.line_num, "", f"This line could not be read as CSV ({e})."))
            continue
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(headers):
            report.rejected.append(
                (line, cells[0][:80] if cells else "",
                 f"This line has {len(cells)} cells but the header row has {len(headers)}: check for a "
                 "missing or extra comma."))
            continue
        values = {mapping[h]: c for h, c in zip(headers, cells) if h in mapping}
        try:
            data = clean(values, today)
            if not data.get("name"):
                raise errors.Invalid("name", "Enter the agency's name.")
        except errors.Invalid as e:
            report.rejected.append((line, values.get("name", "")[:80], row_reason(e)))
            continue
        key = (data["name"], data["state"])
        if key in seen:
            report.rejected.append((line, data["name"], f"The same agency as on line {seen[key]}: "
                                                        "only the first was imported."))
            continue
        seen[key] = line
        good.append((line, data))
    with transaction(db):
        for line, data in good:
            _, outcome = upsert(db, data, actor=actor, today=today)
            getattr(report, outcome).append((line, data["name"]))
        if report.imported or report.updated:
            audit.record(db, "agency.import", user_id=actor, object_type="agency",
                         detail={"imported": len(report.imported), "updated": len(report.updated),
                                 "rejected": len(report.rejected)})
    return report


def search(db, *, q: str = "", state: str = "", kind: str = "", ring_partner: bool | None = None,
           page: int = 1, per_page: int = 50) -> tuple[list[dict], int]:
    where, params = [], []
    if q:
        where.append("(a.name LIKE ? ESCAPE '\\' OR a.city LIKE ? ESCAPE '\\')")
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        params += [pattern, pattern]
    if state:
        where.append("a.state = ?")
        params.append(state)
    if kind:
        where.append("a.kind = ?")
        params.append(kind)
    if ring_partner is True:
        where.append("a.ring_partner_since IS NOT NULL")
    elif ring_partner is False:
        where.append("a.ring_partner_since IS NULL")
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    total = db.execute(f"SELECT count(*) FROM agencies a {clause}", params).fetchone()[0]
    rows = list(db.query(
        f"""SELECT a.*, (SELECT count(*) FROM requests r WHERE r.agency_id = a.id) AS request_count
            FROM agencies a {clause} ORDER BY a.state, a.name LIMIT ? OFFSET ?""",
        params + [per_page, (max(page, 1) - 1) * per_page],
    ))
    return rows, total


def states_in_use(db) -> list[str]:
    return [r["state"] for r in db.query("SELECT DISTINCT state FROM agencies ORDER BY state")]
