"""Which stored files are in use, and removing the ones that are not, without racing an upload.

The file store (:mod:`foia.filestore`) is shared: documents, letters and messages refer to stored
files by SHA-256, and identical content is stored once. A file is written to the store *before* the
row that refers to it is committed, so "no row refers to it" does not mean "unused": another upload
may have just stored the same content and not yet recorded it. Deleting it then loses that upload.

The rule that keeps this safe: every writer that stores files and then records them first commits a
``pending_ingests`` row (:func:`ingest`), in its own transaction, before storing anything, and
removes it after its rows are committed. A stored file is removed only in a write transaction that
finds no row referring to it and no other live pending ingest. A writer that registers later has to
wait for that transaction (SQLite's write lock), and stores its files after it. Pending rows older
than :data:`MAX_INGEST_SECONDS` belong to a process that died; they are ignored and removed.

The ``pending_ingests`` table is created by the documents migrations (:mod:`foia.documents.schema`).
"""
import contextlib
import dataclasses
import datetime as dt
import os

from . import clock
from .db import transaction

MAX_INGEST_SECONDS = 6 * 3600  # longer than any upload can take to store and record
# Every column that refers to a stored file: (table, column). Tables that do not exist are skipped.
REFERENCES = (("documents", "sha256"), ("letters", "sha256"), ("messages", "sha256"))


def _tables(db) -> list[tuple[str, str]]:
    present = []
    for table, column in REFERENCES:
        if db[table].exists() and column in db[table].columns_dict:
            present.append((table, column))
    return present


def referenced(db, sha256: str, *, tables: list | None = None) -> bool:
    """Whether any committed row refers to the stored file ``sha256``."""
    return any(
        db.execute(f"SELECT 1 FROM [{table}] WHERE [{column}] = ? LIMIT 1", [sha256]).fetchone()
        for table, column in (tables if tables is not None else _tables(db)))


def _cutoff() -> str:
    return (clock.now() - dt.timedelta(seconds=MAX_INGEST_SECONDS)).isoformat(timespec="seconds")


def _others_live(db, own_id: int | None) -> bool:
    """Whether another ingest is still storing files (and may need one we would remove)."""
    db.execute("DELETE FROM pending_ingests WHERE started_at < ?", [_cutoff()])
    row = db.execute("SELECT 1 FROM pending_ingests WHERE id IS NOT ? LIMIT 1", [own_id]).fetchone()
    return row is not None


@dataclasses.dataclass
class Ingest:
    """An upload in progress: its ``pending_ingests`` id and the files it has stored."""

    id: int
    stored: list = dataclasses.field(default_factory=list)


def begin(db) -> Ingest:
    """Register an ingest (committed at once, before any file is stored)."""
    with transaction(db):
        cursor = db.execute("INSERT INTO pending_ingests (started_at, pid) VALUES (?, ?)",
                            [clock.stamp(), os.getpid()])
    return Ingest(cursor.lastrowid)


def finish(db, ingest: Ingest) -> None:
    """The ingest's rows are committed: it no longer holds its files."""
    with transaction(db):
        db.execute("DELETE FROM pending_ingests WHERE id = ?", [ingest.id])


def discard(db, store, ingest: Ingest) -> list[str]:
    """An ingest failed: remove the files it stored that nothing refers to, unless another ingest is
    live (then they are left for :func:`collect_garbage`). Ends the ingest; returns what was removed."""
    removed = []
    with transaction(db):
        if not _others_live(db, ingest.id):
            tables = _tables(db)
            for sha256 in dict.fromkeys(ingest.stored):
                if not referenced(db, sha256, tables=tables):
                    store.delete(sha256)
                    removed.append(sha256)
        db.execute("DELETE FROM pending_ingests WHERE id = ?", [ingest.id])
    return removed


@contextlib.contextmanager
def ingest(db, store):
    """``with ingest(db, store) as claim:`` store files (appending each SHA-256 to ``claim.stored``)
    and commit the rows that refer to them; on an exception the unreferenced ones are discarded."""
    claim = begin(db)
    try:
        yield claim
    except BaseException:
        discard(db, store, claim)
        raise
    finish(db, claim)


def referenced_hashes(db) -> set[str]:
    """Every SHA-256 a committed row refers to (documents, letters, messages)."""
    used: set[str] = set()
    for table, column in _tables(db):
        used.update(r[0] for r in db.execute(f"SELECT DISTINCT [{column}] FROM [{table}]"))
    return used


def unreferenced(db, store) -> list[str]:
    """Stored files no row refers to (some may belong to an ingest in progress)."""
    used = referenced_hashes(db)
    return [sha256 for sha256 in store.stored() if sha256 not in used]


def collect_garbage(db, store) -> list[str]:
    """Remove stored files that no row refers to, if no ingest is in progress; returns them.

    The store is listed outside the transaction; each candidate is checked again inside it."""
    candidates = unreferenced(db, store)
    removed = []
    with transaction(db):
        if _others_live(db, None):
            return []
        tables = _tables(db)
        for sha256 in candidates:
            if not referenced(db, sha256, tables=tables):
                store.delete(sha256)
                removed.append(sha256)
    return removed
