"""The ``laws`` table: the law model as loaded into the database (law rows can change; a change
recomputes the requests' dates).

Each row keeps the three source rows verbatim as JSON (``statute``: laws-v2.csv, ``appeal``:
appeals.csv, ``reading``: law-readings.csv) beside the flat columns of the first law table, which
pages and queries still read. :func:`get` rebuilds the :class:`Law` from the stored rows with the
same parser that validates the files.
"""
import functools
import json
from pathlib import Path

from sqlite_utils.migrations import Migrations

from .. import errors
from ..db import transaction
from .model import Law
from .table import APPEALS_CSV, LAWS_CSV, READINGS_CSV, parse, read_raw

migrations = Migrations("foia.laws")
MODEL_COLUMNS = ("statute", "appeal", "reading")


@migrations()
def m001_law_model(db) -> None:
    """The law model's source rows beside the flat columns; a table already loaded is refilled."""
    for column in MODEL_COLUMNS:
        db.execute(f"ALTER TABLE laws ADD COLUMN {column} TEXT")
    if db.execute("SELECT count(*) FROM laws").fetchone()[0]:
        _upsert(db, read_raw())


def _record(raw: tuple) -> dict:
    statute, appeal, reading = raw[:3]
    law = parse(statute, appeal, reading)
    return {
        "jurisdiction": law.jurisdiction, "law_name": law.law_name, "citation": law.citation,
        "response_days": law.response_days, "day_type": law.day_type, "extension_days": law.extension_days,
        "extension_day_type": law.extension_day_type, "extension_note": law.extension_note,
        "acknowledgement_days": law.acknowledgement_days, "appeal_note": law.appeal_note, "source": law.source,
        "confidence": law.confidence,
        "statute": json.dumps(statute, ensure_ascii=False, sort_keys=True),
        "appeal": json.dumps(appeal, ensure_ascii=False, sort_keys=True),
        "reading": json.dumps(reading, ensure_ascii=False, sort_keys=True),
    }


def _upsert(db, raw: dict[str, tuple]) -> None:
    db["laws"].upsert_all([_record(rows) for rows in raw.values()], pk="jurisdiction")


def _ensure_schema(db) -> None:
    # The model columns come with this package's migration; apply it here too, so loading works
    # on a database migrated before the set was registered.
    if migrations.pending(db):
        migrations.apply(db)


def load_into(db, path: Path | str = LAWS_CSV, appeals_path: Path | str = APPEALS_CSV,
              readings_path: Path | str = READINGS_CSV) -> int:
    """Refresh the ``laws`` table from the tables (all validated first, so a bad file changes nothing)."""
    raw = read_raw(path, appeals_path, readings_path)
    _ensure_schema(db)
    with transaction(db):
        _upsert(db, raw)
    return len(raw)


@functools.lru_cache(maxsize=512)
def _from_texts(statute: str, appeal: str, reading: str) -> Law:
    return parse(json.loads(statute), json.loads(appeal), json.loads(reading))


def from_row(row: dict) -> Law:
    """The :class:`Law` of one ``laws`` row (parsed once per distinct content)."""
    if not all(row.get(column) for column in MODEL_COLUMNS):
        raise errors.Conflict(f"The law table for {row.get('jurisdiction')} is from an older version: "
                              "run `foia init` to reload it.")
    return _from_texts(row["statute"], row["appeal"], row["reading"])


def get(db, jurisdiction: str) -> Law | None:
    row = db.execute("SELECT jurisdiction, statute, appeal, reading FROM laws WHERE jurisdiction = ?",
                     [jurisdiction]).fetchone() if _has_model(db) else None
    if row is None:
        return None
    return from_row(dict(zip(("jurisdiction",) + MODEL_COLUMNS, row)))


def require(db, jurisdiction: str) -> Law:
    """The law of ``jurisdiction``; raises :class:`foia.errors.NotFound` when none is loaded."""
    law = get(db, jurisdiction)
    if law is None:
        raise errors.NotFound(f"No law on file for {jurisdiction!r}; run `foia init` to load the law table.")
    return law


def all_laws(db) -> dict[str, Law]:
    if not _has_model(db):
        return {}
    rows = db.execute("SELECT jurisdiction, statute, appeal, reading FROM laws ORDER BY jurisdiction").fetchall()
    return {row[0]: from_row(dict(zip(("jurisdiction",) + MODEL_COLUMNS, row))) for row in rows}


def _has_model(db) -> bool:
    return "statute" in db["laws"].columns_dict
