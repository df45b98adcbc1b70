"""Request letters: one Jinja template producing Markdown, rendered to PDF and to DOCX.

A template in the letter-template folder (``letters/`` by default, ``LETTER_TEMPLATES`` in the
configuration) is a ``NAME.md.j2`` file. :func:`build_context` gathers what a letter may say about a
request (requester, agency, law, options, timeline); :func:`render` runs the template and parses the
Markdown with :mod:`foia.markup`. That one parsed letter feeds both :func:`to_html` (then
:func:`to_pdf`, WeasyPrint with ``letters/letter.css``) and :func:`to_docx` (python-docx), so the two
formats carry the same words in the same order.

Every value a template prints is escaped for Markdown (a Jinja ``finalize`` hook), so HTML or
Markdown typed into any field shows literally in both formats. :func:`generate` stores a rendered
file under the instance letters folder by its SHA-256 and records it in the ``letters`` table.
"""
import copy
import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import re
import tempfile
import traceback
import zipfile
from pathlib import Path

import jinja2
from sqlite_utils.migrations import Migrations

from . import clock, markup
from .db import loads, run_script, transaction
from .laws import NAMES, Law

migrations = Migrations("foia.letters")

DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "letters"
CATEGORIES_CSV = Path(__file__).resolve().parent / "data" / "record-categories.csv"
DEFAULT_TEMPLATE = "ring-partnership"
FORMATS = ("pdf", "docx")
MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
}
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

REQUESTER_FIELDS = ("name", "organization", "address", "email", "phone")
REQUESTER_REQUIRED = ("name", "address", "email")

# Where a law offers expedited processing (from foia/data/laws-EVIDENCE.md): citation, standard.
EXPEDITED = {
    "US": ("5 U.S.C. § 552(a)(6)(E)", "a compelling need, including an urgency to inform the public"),
    "UT": ("Utah Code § 63G-2-204", "a benefit to the public rather than to a person"),
}
# States whose statute states the right of access for residents (foia/data/ring-record-categories.md).
RESIDENTS_ONLY = {"AR", "TN", "VA"}

# Event kinds whose data may carry the agency's estimated completion date, and the keys read.
ESTIMATE_EVENTS = ("acknowledged", "extension_claimed", "fee_estimate", "clarification_requested")
ESTIMATE_KEYS = ("estimated_date", "estimated_completion", "new_due_on")
DENIAL_EVENTS = ("denied", "partial_release", "no_records")


class LetterError(ValueError):
    """A letter cannot be made: unknown template or request, bad options, missing settings."""


@migrations()
def m001_letters(db) -> None:
    run_script(
        db,
        """
        CREATE TABLE letters (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
            format TEXT NOT NULL CHECK (format IN ('pdf', 'docx')),
            template TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            generated_at TEXT NOT NULL,
            options TEXT NOT NULL DEFAULT '{}',
            created_by INTEGER REFERENCES users(id)
        );
        CREATE UNIQUE INDEX letters_unique ON letters(request_id, format, template, sha256);
        CREATE INDEX letters_generated ON letters(generated_at);
        """
    )


# --- Record categories -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Category:
    number: int
    key: str
    checklist: str  # the opening words of the item in ring-record-categories.md
    letter_text: str


def categories() -> list[Category]:
    """The twelve record categories a Ring letter may ask for, in their numbered order."""
    with open(CATEGORIES_CSV, newline="", encoding="utf-8") as f:
        return [
            Category(int(row["number"]), row["key"], row["checklist"], row["letter_text"])
            for row in csv.DictReader(f)
        ]


# --- Options ---------------------------------------------------------------------------------

DEFAULT_OPTIONS = {
    "date": "",  # the letter's date; empty = today
    "date_from": "",
    "date_to": "",
    "categories": None,  # None = all
    "parties": [],
    "domains": ["ring.com", "amazon.com"],
    "fee_waiver": True,
    "public_interest": "",
    "fee_ceiling": 25,
    "native_format": True,
    "rolling": True,
    "preservation": True,
    "expedited": False,
    "expedited_reason": "",
    "residency": "",
    "estimated_date": "",  # follow-up: overrides the estimate found on the timeline
    "denial_date": "",  # appeal: override the denial found on the timeline
    "denial_reason": "",
}
BOOL_OPTIONS = ("fee_waiver", "native_format", "rolling", "preservation", "expedited")
DATE_OPTIONS = ("date", "date_from", "date_to", "estimated_date", "denial_date")
TEXT_OPTIONS = ("public_interest", "expedited_reason", "residency", "denial_reason")
OPTION_HELP = {
    "date": "letter date (YYYY-MM-DD; default today)",
    "date_from": "start of the date range (YYYY-MM-DD)",
    "date_to": "end of the date range (YYYY-MM-DD)",
    "categories": "record categories to ask for (keys or numbers, comma-separated; default all)",
    "parties": "named people or offices (separated by ; or new lines)",
    "domains": "email domains (comma-separated)",
    "fee_waiver": "ask for a fee waiver (yes/no)",
    "public_interest": "public-interest statement (text)",
    "fee_ceiling": "dollar amount above which to be told of fees in advance (empty for none)",
    "native_format": "ask for electronic records in native format (yes/no)",
    "rolling": "ask for rolling production (yes/no)",
    "preservation": "ask the agency to preserve responsive records (yes/no)",
    "expedited": "ask for expedited processing where the law offers it (yes/no)",
    "expedited_reason": "why expedited processing is justified (text)",
    "residency": "residency statement for states that limit requests to residents (text)",
    "estimated_date": "follow-up: the agency's estimated completion date (YYYY-MM-DD)",
    "denial_date": "appeal: date of the denial (YYYY-MM-DD)",
    "denial_reason": "appeal: the reason the agency gave (text)",
}
_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n", ""}
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _split(value, separators: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(f"[{separators}]", value)
    return [str(v).strip() for v in value if str(v).strip()]


def normalize_options(raw: dict | None) -> dict:
    """Validate options from JSON, a form or the command line; returns a complete, canonical dict.

    Raises :class:`LetterError` naming the option at fault.
    """
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(DEFAULT_OPTIONS))
    if unknown:
        raise LetterError(f"unknown letter option(s): {', '.join(unknown)} (known: {', '.join(DEFAULT_OPTIONS)})")
    options = copy.deepcopy(DEFAULT_OPTIONS)
    for key, value in raw.items():
        if key in BOOL_OPTIONS:
            if isinstance(value, bool):
                options[key] = value
            elif str(value).strip().lower() in _TRUE:
                options[key] = True
            elif str(value).strip().lower() in _FALSE:
                options[key] = False
            else:
                raise LetterError(f"option {key}: {value!r} is not yes or no")
        elif key in DATE_OPTIONS:
            text = str(value or "").strip()
            if text:
                try:
                    text = dt.date.fromisoformat(text).isoformat()
                except ValueError:
                    raise LetterError(f"option {key}: {text!r} is not a date (YYYY-MM-DD)") from None
            options[key] = text
        elif key in TEXT_OPTIONS:
            options[key] = str(value or "").strip()
        elif key == "fee_ceiling":
            text = str(value if value is not None else "").strip().lstrip("$").replace(",", "")
            if not text:
                options[key] = None
            else:
                try:
                    amount = float(text)
                except ValueError:
                    raise LetterError(f"option fee_ceiling: {value!r} is not an amount of dollars") from None
                if not 0 <= amount < 1e9:
                    raise LetterError(f"option fee_ceiling: {value!r} is out of range")
                options[key] = int(amount) if amount == int(amount) else round(amount, 2)
        elif key == "categories":
            if value is None:
                options[key] = None
                continue
            by_key = {c.key: c.key for c in categories()} | {str(c.number): c.key for c in categories()}
            chosen = []
            for item in _split(value, ",;\n "):
                if item.lower() not in by_key:
                    raise LetterError(
                        f"option categories: unknown category {item!r} (known: {', '.join(c.key for c in categories())})"
                    )
                if by_key[item.lower()] not in chosen:
                    chosen.append(by_key[item.lower()])
            order = [c.key for c in categories()]
            options[key] = sorted(chosen, key=order.index)
        elif key == "parties":
            options[key] = _split(value, ";\n")
        elif key == "domains":
            domains = [d.lower().lstrip("@") for d in _split(value, ",;\n ")]
            for domain in domains:
                if not _DOMAIN.match(domain):
                    raise LetterError(f"option domains: {domain!r} is not an email domain")
            options[key] = list(dict.fromkeys(domains))
    if options["date_from"] and options["date_to"] and options["date_from"] > options["date_to"]:
        raise LetterError("option date_from: the date range starts after it ends")
    return options


def parse_option_pairs(pairs: list[str]) -> dict:
    """``["key=value", ...]`` (the command line's ``--option``) to a dict; repeated keys accumulate."""
    raw: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise LetterError(f"option {pair!r}: write it as key=value")
        if key in raw and key in ("parties", "categories", "domains"):
            raw[key] = f"{raw[key]};{value}" if key == "parties" else f"{raw[key]},{value}"
        else:
            raw[key] = value
    return raw


# --- Requester settings ----------------------------------------------------------------------


def requester(db) -> dict:
    """The requester's details from settings (empty strings where unset)."""
    rows = list(db.query("SELECT value FROM settings WHERE key = 'requester'"))
    stored = loads(rows[0]["value"], {}) if rows else {}
    return {field: str(stored.get(field) or "").strip() for field in REQUESTER_FIELDS}


def save_requester(db, data: dict) -> dict:
    """Store the requester's details; the required fields must be filled in."""
    unknown = sorted(set(data) - set(REQUESTER_FIELDS))
    if unknown:
        raise LetterError(f"unknown requester field(s): {', '.join(unknown)}")
    value = {field: str(data.get(field) or "").strip().replace("\r\n", "\n") for field in REQUESTER_FIELDS}
    missing = [field for field in REQUESTER_REQUIRED if not value[field]]
    if missing:
        raise LetterError(f"requester {missing[0]} is required")
    if "@" not in value["email"] or any(c.isspace() for c in value["email"]):
        raise LetterError(f"requester email {value['email']!r} is not an email address")
    with transaction(db):
        db["settings"].upsert({"key": "requester", "value": json.dumps(value, sort_keys=True)}, pk="key")
    return value


# --- Templates -------------------------------------------------------------------------------


def templates_dir(config: dict | None = None) -> Path:
    """The letter-template folder: ``LETTER_TEMPLATES`` in the configuration, else ``letters/``."""
    configured = (config or {}).get("LETTER_TEMPLATES") or os.environ.get("FOIA_LETTER_TEMPLATES")
    return Path(configured).resolve() if configured else DEFAULT_TEMPLATES


def list_templates(folder: Path | None = None) -> list[dict]:
    """The templates available: name and the description from the file's first ``{# ... #}``."""
    folder = Path(folder or DEFAULT_TEMPLATES)
    found = []
    for path in sorted(folder.glob("*.md.j2")):
        name = path.name[: -len(".md.j2")]
        if not TEMPLATE_NAME.match(name):
            continue
        head = path.read_text(encoding="utf-8", errors="replace")[:2000]
        match = re.match(r"\s*\{#-?\s*(.*?)\s*-?#\}", head, re.S)
        description = " ".join(match.group(1).split()) if match else ""
        found.append({"name": name, "description": description, "path": str(path)})
    return found


class Md(str):
    """Markdown that is already safe to print (the ``lines`` filter's output)."""


def _finalize(value):
    if value is None:
        return ""
    if isinstance(value, Md):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    return markup.escape(str(value))


def _lines(value) -> Md:
    """A multi-line value (an address) as escaped lines joined by hard line breaks."""
    if isinstance(value, (list, tuple)):
        lines = [str(v) for v in value]
    else:
        lines = str(value or "").splitlines()
    return Md("\\\n".join(markup.escape(line.strip()) for line in lines if line.strip()))


def _require(value, message: str = "a value this template needs is missing"):
    if not value:
        raise LetterError(message)
    return ""


def _date_words(value) -> str:
    if not value:
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return f"{day:%B} {day.day}, {day.year}"


def _money(value) -> str:
    if value is None or value == "":
        return ""
    amount = float(value)
    return f"${amount:,.0f}" if amount == int(amount) else f"${amount:,.2f}"


def _join(items, last: str = "and") -> str:
    items = [str(i) for i in items]
    if len(items) <= 2:
        return f" {last} ".join(items)
    return ", ".join(items[:-1]) + f", {last} " + items[-1]


_environments: dict[str, jinja2.Environment] = {}


def environment(folder: Path) -> jinja2.Environment:
    key = str(folder)
    if key not in _environments:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(key),
            autoescape=False,  # the output is Markdown; _finalize escapes every printed value
            undefined=jinja2.StrictUndefined,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters.update(lines=_lines, date_words=_date_words, money=_money, join_words=_join)
        env.globals.update(require=_require)
        _environments[key] = env
    return _environments[key]


def _template_error(exc: Exception, folder: Path, name: str) -> LetterError:
    """A message naming the template file and line of a syntax or runtime error."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = f"{exc.filename or exc.name or name}, line {exc.lineno}"
        return LetterError(f"letter template {where}: {exc.message}")
    line = None
    filename = str(folder / f"{name}.md.j2")
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2"):
            filename, line = frame.filename, frame.lineno
    where = f"{filename}, line {line}" if line else filename
    return LetterError(f"letter template {where}: {exc}")


def render_markdown(context: dict, template: str, folder: Path | None = None) -> str:
    """Run a template over a context; errors name the file and line."""
    folder = Path(folder or DEFAULT_TEMPLATES)
    if not TEMPLATE_NAME.match(template or "") or not (folder / f"{template}.md.j2").is_file():
        known = ", ".join(t["name"] for t in list_templates(folder)) or "none"
        raise LetterError(f"unknown letter template {template!r} (available: {known})")
    env = environment(folder)
    try:
        return env.get_template(f"{template}.md.j2").render(context)
    except LetterError as exc:
        if "letter template" in str(exc):
            raise
        raise _template_error(exc, folder, template) from None
    except jinja2.TemplateError as exc:
        raise _template_error(exc, folder, template) from None
    except Exception as exc:  # a failing filter or test inside the template
        raise _template_error(exc, folder, template) from None


# --- Context ---------------------------------------------------------------------------------


def request_row(db, request_id) -> dict:
    try:
        request_id = int(request_id)
    except (TypeError, ValueError):
        raise LetterError(f"unknown request {request_id!r}") from None
    rows = list(db.query("SELECT * FROM requests WHERE id = ?", [request_id]))
    if not rows:
        raise LetterError(f"unknown request {request_id}")
    return rows[0]


def _appeal_route(note: str) -> str:
    """The law table's appeal note without its research qualifiers ("not re-verified")."""
    note = re.sub(r";\s*not re-verified\)", ")", note)
    note = re.sub(r"\s*\([^()]*not re-verified\)", "", note)
    return note.strip()


def _estimate(events: list[dict]) -> tuple[str, str]:
    """The latest estimated completion date on the timeline, and the event kind that gave it."""
    for event in reversed(events):
        if event["kind"] not in ESTIMATE_EVENTS:
            continue
        data = loads(event.get("data"), {}) or {}
        for key in ESTIMATE_KEYS:
            value = str(data.get(key) or "").strip()
            try:
                return dt.date.fromisoformat(value).isoformat(), event["kind"]
            except ValueError:
                continue
    return "", ""


def build_context(db, request_id, options: dict | None = None, *, today: dt.date | None = None) -> dict:
    """Everything a template may print about a request. ``context["warnings"]`` lists gaps.

    ``options=None`` uses the options stored on the request.
    """
    request = request_row(db, request_id)
    if options is None:
        options = loads(request["options"], {}) or {}
    options = normalize_options(options)
    today = today or clock.today()
    letter_date = dt.date.fromisoformat(options["date"]) if options["date"] else today
    warnings: list[str] = []

    person = requester(db)
    for field in REQUESTER_REQUIRED:
        if not person[field]:
            raise LetterError(
                f"requester {field} is not set: fill in the requester settings "
                f"(foia settings requester --{field} ...) first"
            )
    person["address_lines"] = [line.strip() for line in person["address"].splitlines() if line.strip()]

    agency = dict(next(iter(db.query("SELECT * FROM agencies WHERE id = ?", [request["agency_id"]]))))
    agency["state_name"] = NAMES.get(agency["state"], agency["state"])
    agency["address_lines"] = [line.strip() for line in agency["mailing_address"].splitlines() if line.strip()]
    if not agency["address_lines"]:
        warnings.append(f"{agency['name']} has no mailing address on file; the letter has none.")
    if not agency["records_email"]:
        warnings.append(f"{agency['name']} has no records email on file.")

    law_rows = list(db.query("SELECT * FROM laws WHERE jurisdiction = ?", [agency["state"]]))
    if not law_rows:
        raise LetterError(f"no law on file for {agency['state']} (run `foia init` to load the law table)")
    law_obj = Law.from_row(law_rows[0])
    law = dataclasses.asdict(law_obj)
    law.update(
        name=law_obj.law_name,
        state_name=law_obj.name,
        has_fixed_period=law_obj.has_fixed_period,
        period_words=law_obj.period_words(),
        appeal_route=_appeal_route(law_obj.appeal_note),
        administrative_appeal="no administrative appeal" not in law_obj.appeal_note.lower(),
    )

    expedited = None
    if options["expedited"]:
        if agency["state"] in EXPEDITED:
            citation, standard = EXPEDITED[agency["state"]]
            expedited = {"citation": citation, "standard": standard, "reason": options["expedited_reason"]}
        else:
            warnings.append(
                f"The {law_obj.law_name} offers no expedited processing; the letter does not ask for it."
            )
    if agency["state"] in RESIDENTS_ONLY and not options["residency"]:
        warnings.append(
            f"{law_obj.name}'s law states the right of access for its residents; "
            "consider adding a residency statement (option residency)."
        )

    chosen_keys = options["categories"]
    chosen = [c for c in categories() if chosen_keys is None or c.key in chosen_keys]

    events = [dict(e) for e in db.query(
        "SELECT * FROM events WHERE request_id = ? ORDER BY occurred_on, id", [request["id"]]
    )]
    filed = next((e for e in events if e["kind"] == "filed"), None)
    received = next((e for e in events if e["kind"] == "received_by_agency"), None)
    estimated_date, estimate_kind = _estimate(events)
    if options["estimated_date"]:
        estimated_date, estimate_kind = options["estimated_date"], "option"
    denial_event = next((e for e in reversed(events) if e["kind"] in DENIAL_EVENTS), None)
    denial = None
    if denial_event or options["denial_date"]:
        denial = {
            "date": options["denial_date"] or denial_event["occurred_on"][:10],
            "kind": denial_event["kind"] if denial_event else "denied",
            "reason": options["denial_reason"] or (denial_event or {}).get("note", "") or "",
            "exemptions": _split((loads((denial_event or {}).get("data"), {}) or {}).get("exemptions"), ",;\n"),
        }
    due_on = request.get("due_on") or ""

    return {
        "date": _date_words(letter_date),
        "date_iso": letter_date.isoformat(),
        "requester": person,
        "agency": agency,
        "law": law,
        "request": {
            "id": request["id"],
            "title": request["title"],
            "description": request["description"],
            "tracking_number": request["tracking_number"],
            "method": request["method"],
            "filed_on": filed["occurred_on"][:10] if filed else "",
            "received_on": received["occurred_on"][:10] if received else "",
            "due_on": due_on,
            "due_passed": bool(due_on) and due_on < letter_date.isoformat(),
            "status": request["status"],
        },
        "options": options,
        "categories": [dataclasses.asdict(c) for c in chosen],
        "expedited": expedited,
        "estimate": {
            "date": estimated_date,
            "from": estimate_kind,
            "passed": bool(estimated_date) and estimated_date < letter_date.isoformat(),
        },
        "denial": denial,
        "warnings": warnings,
    }


# --- Rendering -------------------------------------------------------------------------------


@dataclasses.dataclass
class Letter:
    """A rendered letter: the Markdown source, its parsed blocks, and what both formats share."""

    request_id: int
    template: str
    options: dict
    date: str  # ISO date of the letter
    title: str
    author: str
    letterhead: list[str]
    markdown: str
    blocks: list
    warnings: list[str]

    def texts(self) -> list[str]:
        """Letterhead lines, then each paragraph, heading and list item: the words of the letter."""
        return list(self.letterhead) + markup.block_texts(self.blocks)


def letterhead(person: dict) -> list[str]:
    lines = [person["name"]]
    if person.get("organization"):
        lines.append(person["organization"])
    lines.append(", ".join(person.get("address_lines") or person["address"].splitlines()))
    contact = [c for c in (person.get("email"), person.get("phone")) if c]
    if contact:
        lines.append(" · ".join(contact))
    return lines


def render(db, request_id, template: str | None = None, options: dict | None = None, *,
           folder: Path | None = None, today: dt.date | None = None) -> Letter:
    """Build the context, run the template, parse the Markdown."""
    request = request_row(db, request_id)
    template = template or request["template"] or DEFAULT_TEMPLATE
    context = build_context(db, request_id, options, today=today)
    source = render_markdown(context, template, folder)
    blocks = markup.parse(source)
    if not blocks:
        raise LetterError(f"letter template {template}: it produced an empty letter")
    title = f"{context['law']['law_name']} request: {request['title']}"
    return Letter(
        request_id=request["id"],
        template=template,
        options=context["options"],
        date=context["date_iso"],
        title=title,
        author=context["requester"]["name"],
        letterhead=letterhead(context["requester"]),
        markdown=source,
        blocks=blocks,
        warnings=context["warnings"],
    )


def to_html(letter: Letter, css_href: str | None = None) -> str:
    """The letter as a complete HTML document (link ``css_href`` for a browser preview)."""
    esc = markup.html.escape
    link = f'<link rel="stylesheet" href="{esc(css_href)}">\n' if css_href else ""
    head_lines = "".join(
        f'<p class="{"name" if i == 0 else "line"}">{esc(line)}</p>\n' for i, line in enumerate(letter.letterhead)
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{esc(letter.title)}</title>\n"
        f'<meta name="author" content="{esc(letter.author)}">\n'
        f'<meta name="dcterms.created" content="{letter.date}">\n'
        f'<meta name="dcterms.modified" content="{letter.date}">\n'
        f"{link}</head>\n<body>\n"
        f'<header class="letterhead">\n{head_lines}</header>\n'
        f'<main class="letter">\n{markup.to_html(letter.blocks)}</main>\n</body>\n</html>\n'
    )


# --- PDF ---------------------------------------------------------------------------------------

_pdf_tools: dict[str, tuple] = {}


def _fetcher_class():
    from weasyprint import URLFetcher

    class LetterFetcher(URLFetcher):
        """Fetches only stylesheets and fonts inside the letter-template folder; nothing else."""

        def __init__(self, folder: Path):
            super().__init__(allowed_protocols=("file",))
            self.folder = folder.resolve()

        def fetch(self, url, headers=None):
            from urllib.parse import unquote, urlsplit

            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"letters do not fetch {url}")
            path = Path(unquote(parts.path)).resolve()
            if not path.is_relative_to(self.folder) or path.suffix.lower() not in (
                ".css", ".ttf", ".otf", ".woff", ".woff2"
            ):
                raise ValueError(f"letters do not fetch {url}")
            return super().fetch(path.as_uri(), headers)

    return LetterFetcher


def pdf_tools(folder: Path | None = None):
    """Per-process cache: the parsed ``letter.css``, a font configuration and the URL fetcher."""
    folder = Path(folder or DEFAULT_TEMPLATES).resolve()
    css_path = folder / "letter.css"
    if not css_path.is_file():
        css_path = DEFAULT_TEMPLATES / "letter.css"
    key = f"{css_path}:{css_path.stat().st_mtime_ns}"
    if key not in _pdf_tools:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        fetcher = _fetcher_class()(css_path.parent)
        fonts = FontConfiguration()
        css = CSS(filename=str(css_path), url_fetcher=fetcher, font_config=fonts)
        _pdf_tools.clear()
        _pdf_tools[key] = (css, fonts, fetcher, css_path.parent.as_uri() + "/")
    return _pdf_tools[key]


def to_pdf(html: str, folder: Path | None = None) -> bytes:
    """Render letter HTML to PDF bytes with ``letter.css``; fonts are embedded (subset)."""
    from weasyprint import HTML

    css, fonts, fetcher, base_url = pdf_tools(folder)
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[css], font_config=fonts, pdf_identifier=b"foia-letter")


# --- DOCX --------------------------------------------------------------------------------------

_docx_base: bytes | None = None


def _docx_base_document() -> bytes:
    """A blank document with our page setup and styles, built once per process."""
    global _docx_base
    if _docx_base is None:
        import docx
        from docx.enum.style import WD_STYLE_TYPE
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Inches, Pt, RGBColor

        document = docx.Document()
        section = document.sections[0]
        section.page_width, section.page_height = Inches(8.5), Inches(11)
        section.left_margin = section.right_margin = Inches(1)
        section.top_margin = Inches(1)
        section.bottom_margin = Inches(0.9)
        styles = document.styles
        normal = styles["Normal"]
        normal.font.name = "Times New Roman"
        normal.font.size = Pt(11)
        normal.paragraph_format.space_after = Pt(8)
        normal.paragraph_format.line_spacing = 1.1
        for level, size in ((1, 14), (2, 12), (3, 11)):
            heading = styles[f"Heading {level}"]
            heading.font.name = "Times New Roman"
            heading.font.size = Pt(size)
            heading.font.bold = True
            heading.font.italic = False
            heading.font.color.rgb = RGBColor(0, 0, 0)
            heading.paragraph_format.space_before = Pt(10)
            heading.paragraph_format.space_after = Pt(4)
        for name in ("List Number", "List Bullet"):
            styles[name].paragraph_format.space_after = Pt(4)
        head = styles.add_style("Letterhead", WD_STYLE_TYPE.PARAGRAPH)
        head.base_style = normal
        head.font.size = Pt(9.5)
        head.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        head.paragraph_format.space_after = Pt(0)
        name = styles.add_style("Letterhead Name", WD_STYLE_TYPE.PARAGRAPH)
        name.base_style = head
        name.font.size = Pt(15)
        name.font.bold = True
        name.paragraph_format.space_after = Pt(2)
        _slim(document)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        footer.style = styles["Footer"]
        footer.add_run("Page ")
        _add_field(footer, "PAGE")
        footer.add_run(" of ")
        _add_field(footer, "NUMPAGES")
        buffer = io.BytesIO()
        document.save(buffer)
        _docx_base = buffer.getvalue()
    return _docx_base


DOCX_STYLES = (
    "Normal", "Default Paragraph Font", "Normal Table", "No List", "Heading 1", "Heading 2", "Heading 3",
    "List Number", "List Bullet", "List Paragraph", "Header", "Footer", "Letterhead", "Letterhead Name",
)


def _slim(document) -> None:
    """Drop what python-docx's default template carries and letters never use: the unused styles
    (and latent-style list), the Word 2010 styles-with-effects copy, custom XML and the thumbnail.
    They are most of the package, and parsing and compressing them dominated the time per letter."""
    from docx.oxml.ns import qn

    styles = document.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    keep = {document.styles[name].style_id for name in DOCX_STYLES}
    pending = list(keep)
    while pending:  # keep what the kept styles are based on, linked to or followed by
        style = by_id.get(pending.pop())
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = style.find(qn(tag)) if style is not None else None
            if ref is not None and ref.get(qn("w:val")) not in keep:
                keep.add(ref.get(qn("w:val")))
                pending.append(ref.get(qn("w:val")))
    for style_id, style in by_id.items():
        if style_id not in keep:
            styles.remove(style)
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)
    for rel_id, rel in list(document.part.rels.items()):
        if rel.reltype.endswith(("/stylesWithEffects", "/customXml")):
            document.part.rels.pop(rel_id)
    package_rels = document.part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            package_rels.pop(rel_id)


def _add_field(paragraph, instruction: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) showing "1" until the word processor updates it."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def fld_char(kind):
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    fld_char("begin")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    paragraph.add_run()._r.append(code)
    fld_char("separate")
    paragraph.add_run("1")
    fld_char("end")


def _add_runs(paragraph, runs: list[markup.Run]) -> None:
    for item in runs:
        if item.br:
            paragraph.add_run().add_break()
            continue
        run = paragraph.add_run(item.text)
        if item.bold:
            run.bold = True
        if item.italic:
            run.italic = True


def _numbering_restart(document, start: int) -> int:
    """A new numbering instance of the ``List Number`` definition, starting at ``start``."""
    numbering = document.part.numbering_part.element
    style_num = document.styles["List Number"].element.pPr.numPr.numId.val
    abstract = numbering.num_having_numId(style_num).abstractNumId.val
    num = numbering.add_num(abstract)
    num.add_lvlOverride(ilvl=0).add_startOverride(start)
    return num.numId


def _set_num(paragraph, num_id: int) -> None:
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


def to_docx(letter: Letter) -> bytes:
    """The letter as DOCX bytes: letterhead, real heading and list styles, 1-inch margins.

    The package's timestamps and core properties come from the letter's date, so the same letter
    gives the same bytes.
    """
    import docx
    from docx.shared import Pt

    document = docx.Document(io.BytesIO(_docx_base_document()))
    # Style ids set directly: python-docx's lookup by name scans every style for each paragraph.
    ids = {name: document.styles[name].style_id for name in (
        "Letterhead", "Letterhead Name", "Heading 1", "Heading 2", "Heading 3", "List Number", "List Bullet"
    )}

    def paragraph(style=None):
        added = document.add_paragraph()
        if style:
            added._p.style = ids[style]
        return added

    for i, line in enumerate(letter.letterhead):
        last = paragraph("Letterhead Name" if i == 0 else "Letterhead")
        last.add_run(line)
    if letter.letterhead:
        last.paragraph_format.space_after = Pt(18)
    for block in letter.blocks:
        if isinstance(block, markup.Heading):
            _add_runs(paragraph(f"Heading {block.level}"), block.runs)
        elif isinstance(block, markup.Paragraph):
            _add_runs(paragraph(), block.runs)
        else:
            num_id = _numbering_restart(document, block.start) if block.ordered else None
            for item in block.items:
                added = paragraph("List Number" if block.ordered else "List Bullet")
                if num_id is not None:
                    _set_num(added, num_id)
                _add_runs(added, item)
    when = dt.datetime.fromisoformat(letter.date).replace(tzinfo=dt.timezone.utc)
    props = document.core_properties
    props.title = letter.title
    props.author = letter.author
    props.last_modified_by = letter.author
    props.created = props.modified = when
    props.last_printed = when
    props.revision = 1
    props.comments = ""
    return _save_docx(document, when)


def _save_docx(document, when: dt.datetime) -> bytes:
    """Save like ``Document.save`` but stamp every ZIP entry with ``when``, not the wall clock."""
    from docx.opc.pkgwriter import PackageWriter

    stamp = (when.year, when.month, when.day, 0, 0, 0)

    class Writer:
        def __init__(self, target):
            self.zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED)

        def write(self, pack_uri, blob):
            entry = zipfile.ZipInfo(pack_uri.membername, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            self.zip.writestr(entry, blob)

    package = document.part.package
    for part in package.parts:
        part.before_marshal()
    buffer = io.BytesIO()
    writer = Writer(buffer)
    PackageWriter._write_content_types_stream(writer, package.parts)
    PackageWriter._write_pkg_rels(writer, package.rels)
    PackageWriter._write_parts(writer, package.parts)
    writer.zip.close()
    return buffer.getvalue()


def render_bytes(letter: Letter, fmt: str, folder: Path | None = None) -> bytes:
    if fmt == "pdf":
        return to_pdf(to_html(letter), folder)
    if fmt == "docx":
        return to_docx(letter)
    raise LetterError(f"unknown letter format {fmt!r} (pdf or docx)")


# --- Storage -----------------------------------------------------------------------------------


def store(db, letter: Letter, fmt: str, data: bytes, letters_dir, *, actor=None) -> dict:
    """Write the file under ``letters_dir`` by its SHA-256 and record it (once per content)."""
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{digest[:2]}/{digest}.{fmt}"
    target = Path(letters_dir) / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    with transaction(db):
        existing = list(db.query(
            "SELECT * FROM letters WHERE request_id = ? AND format = ? AND template = ? AND sha256 = ?",
            [letter.request_id, fmt, letter.template, digest],
        ))
        if existing:
            return existing[0]
        row = {
            "request_id": letter.request_id,
            "format": fmt,
            "template": letter.template,
            "sha256": digest,
            "path": relative,
            "size": len(data),
            "generated_at": clock.stamp(),
            "options": json.dumps(letter.options, sort_keys=True),
            "created_by": actor,
        }
        row["id"] = db["letters"].insert(row).last_pk
    return row


def generate(db, request_id, fmt: str, letters_dir, template: str | None = None,
             options: dict | None = None, *, folder: Path | None = None, actor=None,
             today: dt.date | None = None) -> dict:
    """Render one letter, store it and return its ``letters`` row (plus ``warnings``)."""
    if fmt not in FORMATS:
        raise LetterError(f"unknown letter format {fmt!r} (pdf or docx)")
    letter = render(db, request_id, template, options, folder=folder, today=today)
    row = dict(store(db, letter, fmt, render_bytes(letter, fmt, folder), letters_dir, actor=actor))
    row["warnings"] = letter.warnings
    return row


def get(db, letter_id) -> dict | None:
    rows = list(db.query("SELECT * FROM letters WHERE id = ?", [letter_id]))
    return rows[0] if rows else None


def for_request(db, request_id) -> list[dict]:
    return list(db.query(
        "SELECT * FROM letters WHERE request_id = ? ORDER BY generated_at DESC, id DESC", [request_id]
    ))


def file_path(row: dict, letters_dir) -> Path:
    return Path(letters_dir) / row["path"]


def download_name(db, row: dict) -> str:
    """A readable file name: ``request-12-ring-partnership-springfield-police.pdf``."""
    names = list(db.query(
        "SELECT a.name FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE r.id = ?", [row["request_id"]]
    ))
    slug = re.sub(r"[^a-z0-9]+", "-", (names[0]["name"] if names else "").lower()).strip("-")[:60]
    return f"request-{row['request_id']}-{row['template']}{'-' + slug if slug else ''}.{row['format']}"
