"""The legal wording of a jurisdiction's letters, each sentence traced to the law model.

``foia/data/letter-language.csv`` holds our wording, one sentence a row: ``jurisdiction``,
``field`` (what the sentence is for, see :data:`FIELDS`), ``basis`` (the law-model cells it relies
on: ``laws-v2.csv`` column names, ``appeals.COLUMN`` for ``appeals.csv``; ``COLUMN:fragment``
relies only on the clause of that cell naming ``fragment``) and ``text``. A field may have several
rows: the first whose basis is verified is used. A row whose basis the law table marks
"(not verified)" is never used: the letter falls back to the next row, to the ``*`` rows (neutral
wording, which asserts no rule) or to nothing, and :func:`wording` reports it as a note for the
preview (never for the letter text sent to an agency).
"""
import csv
import dataclasses
import functools
import re
from pathlib import Path

from .. import laws
from ..errors import Invalid

LANGUAGE_CSV = laws.DATA / "letter-language.csv"
FIELDS = {
    "statute": "the statute named with its state, as a sentence uses it (\"the Texas Public Information Act\")",
    "cite": "the statute's general citation (\"Tex. Gov't Code ch. 552\")",
    "duty": "the response duty in the statute's own terms, with its pinpoint citation",
    "consequence": "what a missed deadline means, stated courteously",
    "fees": "the fee statute",
    "fee_waiver_ask": "the fee-waiver request, where the statute has a waiver or public-interest provision",
    "fee_waiver_factors": "\"yes\" where the letter sets out the federal fee-waiver factors",
    "fee_alternative": "what the letter asks for instead of a waiver, where the statute has none",
    "ruling_request": "what to send the requester when the agency seeks a ruling to withhold (Texas)",
    "expedited_certification": "the certification an expedited-processing request must carry",
    "form_fields": "\"yes\" where the letter carries the statute's request-form fields (New Jersey)",
    "residency": "the requester's residency statement, where the statute limits who may ask",
    "appeal_title": "the appeal document's name (\"Request for Review\")",
    "appeal_salutation": "whom the appeal's salutation names (\"Public Access Counselor\")",
    "appeal_to": "who the appeal is addressed to, lines separated by \" | \"",
    "appeal_address": "the address of that body, lines separated by \" | \"",
    "appeal_via": "how the appeal is sent to that body",
    "appeal_cite": "the section the appeal is brought under",
    "appeal_decision": "when the body must decide",
    "complaint": "the complaint open to a requester where the statute has no appeal (Texas)",
    "next_step": "the step after this letter (a court petition)",
    "presuit_notice": "the notice the law requires before a suit, given by the letter itself",
}
# Fields only appeal letters use: their notes are shown with an appeal, not with a request.
APPEAL_FIELDS = frozenset({"appeal_title", "appeal_salutation", "appeal_to", "appeal_address", "appeal_via", "appeal_cite",
                           "appeal_decision", "complaint", "next_step", "presuit_notice"})
_KNOWN_COLUMNS = set(laws.COLUMNS) | {f"appeals.{c}" for c in laws.APPEAL_COLUMNS}


@dataclasses.dataclass(frozen=True)
class Sentence:
    jurisdiction: str
    field: str
    basis: tuple[str, ...]
    text: str
    line: int


@functools.cache
def read(path: Path | str = LANGUAGE_CSV) -> dict[str, dict[str, list[Sentence]]]:
    """jurisdiction -> field -> its rows in order, validated (a bad cell names its line)."""
    found: dict[str, dict[str, list[Sentence]]] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            where = f"{Path(path).name} line {line}"
            jurisdiction, field = row["jurisdiction"].strip(), row["field"].strip()
            if jurisdiction != "*" and jurisdiction not in laws.NAMES:
                raise Invalid("jurisdiction", f"{where}: unknown jurisdiction {jurisdiction!r}")
            if field not in FIELDS:
                raise Invalid("field", f"{where}: unknown field {field!r}")
            basis = tuple(part.strip() for part in row["basis"].split(";") if part.strip())
            for part in basis:
                if part.split(":", 1)[0] not in _KNOWN_COLUMNS:
                    raise Invalid("basis", f"{where}: {part!r} is not a column of the law tables")
            if laws.is_unverified(row["text"]):
                raise Invalid("text", f"{where}: letter wording cannot be marked (not verified)")
            found.setdefault(jurisdiction, {}).setdefault(field, []).append(
                Sentence(jurisdiction, field, basis, row["text"].strip(), line))
    return found


def unverified_basis(law: laws.Law, basis: tuple[str, ...]) -> list[tuple[str, str]]:
    """The (column, cell) pairs of ``basis`` that the law table marks "(not verified)"."""
    cells = dict(law.unverified)
    problems = []
    for part in basis:
        column, _, fragment = part.partition(":")
        cell = cells.get(column)
        if cell is None:
            continue
        if fragment:
            clauses = [c for c in re.split(r";|\.\s", cell) if fragment in c]
            if clauses and not any(laws.is_unverified(c) for c in clauses):
                continue
        problems.append((column, cell))
    return problems


def _column_words(column: str) -> str:
    table, _, name = column.rpartition(".")
    return f"{'the appeals table' if table else 'the law table'}'s {name.replace('_', ' ')}"


def wording(law: laws.Law, path: Path | str = LANGUAGE_CSV) -> tuple[dict[str, str], dict[str, str]]:
    """The fields of ``law``'s letters (see :data:`FIELDS`), and notes (field -> note) naming what
    fell back to neutral wording because the law table leaves it unverified."""
    table = read(path)
    own, default = table.get(law.jurisdiction, {}), table.get("*", {})
    fields: dict[str, str] = {}
    notes: dict[str, str] = {}
    for field in FIELDS:
        skipped = []
        chosen = None
        for sentence in own.get(field, []) + default.get(field, []):
            problems = unverified_basis(law, sentence.basis)
            if problems:
                skipped += problems
                continue
            chosen = sentence
            break
        fields[field] = chosen.text if chosen else ""
        if skipped:
            column, cell = skipped[0]
            notes[field] = (f"Unverified: {_column_words(column)} for {law.name} is not verified ({cell}); "
                            f"the letter does not rely on it for {FIELDS[field].split(',')[0]}"
                            + (" and uses neutral wording instead." if chosen else "."))
    if not fields["statute"]:
        fields["statute"] = statute_name(law)
    if not fields["cite"]:
        fields["cite"] = clean_citation(law.citation)
    if not fields["fee_waiver_ask"] and "fee_waiver" not in notes and "fee_waiver" not in dict(law.unverified) \
            and re.match(r"\s*(yes|discretionary)", law.fee_waiver, re.I):
        # The law table says a waiver provision exists: ask under the section it names.
        section = re.search(r"§+\s*[\w.\-]+(?:\([\w.]+\))*", law.fee_waiver)
        fields["fee_waiver_ask"] = (f"I ask that fees be waived or reduced{' under ' + section.group(0) if section else ''}, "
                                    "because the release of these records is in the public interest.")
    fields["statute_title"] = re.sub(r"^the\s+", "", fields["statute"])  # for a Re: line
    return fields, notes


def statute_name(law: laws.Law) -> str:
    """The law's name with its state and without acronyms or research notes: "the Washington Public
    Records Act"."""
    name = re.sub(r"\s*\([^()]*\)", "", law.law_name).split(",")[0].strip()
    state = laws.NAMES.get(law.jurisdiction, "")
    if law.jurisdiction != "US" and state and state not in name:
        name = f"{state} {name}"
    return f"the {name}"


def clean_citation(citation: str) -> str:
    """A citation without "(formerly ...)" or "(not verified)" asides."""
    cleaned = re.sub(r"\s*\((?:formerly|not verified)[^()]*\)", "", citation or "")
    return re.sub(r"\s+", " ", cleaned).strip(" ;")


def lines(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split("|") if part.strip()]
