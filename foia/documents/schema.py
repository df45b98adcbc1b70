"""The documents tables: ``documents``, its search index ``documents_fts`` and the triggers that keep
it current, and the bookkeeping of work in progress (``pending_ingests``, ``pending_extractions``).

The agency columns (``agency_name``, ``agency_state``) are copied into each row so the search index
can hold them; triggers on ``agencies`` and ``requests`` keep them current.
"""
from sqlite_utils.migrations import Migrations

from ..db import run_script

migrations = Migrations("foia.documents")

FTS_COLUMNS = ("title", "filename", "text", "agency_name", "agency_state")


@migrations()
def m001_documents(db) -> None:
    run_script(
        db,
        """
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
            event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
            parent_id INTEGER REFERENCES documents(id) ON DELETE CASCADE,
            sha256 TEXT NOT NULL,
            filename TEXT NOT NULL,
            original_name TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL DEFAULT '',
            mime TEXT NOT NULL,
            size INTEGER NOT NULL,
            pages INTEGER,
            doc_type TEXT CHECK (doc_type IN
                ('agreement', 'correspondence', 'invoice', 'training', 'video_request_log', 'other')),
            suggested_type TEXT NOT NULL DEFAULT 'other',
            extraction_error TEXT NOT NULL DEFAULT '',
            needs_ocr INTEGER NOT NULL DEFAULT 0,
            ocr_done INTEGER NOT NULL DEFAULT 0,
            agency_name TEXT NOT NULL DEFAULT '',
            agency_state TEXT NOT NULL DEFAULT '',
            received_on TEXT NOT NULL,
            published INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
            published_at TEXT,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            text TEXT NOT NULL DEFAULT ''  -- last: reading the other columns never walks its overflow pages
        );
        CREATE UNIQUE INDEX documents_request_sha256 ON documents(request_id, sha256);
        CREATE INDEX documents_sha256 ON documents(sha256);
        CREATE INDEX documents_parent ON documents(parent_id);
        CREATE INDEX documents_event ON documents(event_id);
        CREATE INDEX documents_published ON documents(published, received_on);
        CREATE INDEX documents_received ON documents(received_on);
        CREATE INDEX documents_state ON documents(agency_state, received_on)
        """,
    )
    # Triggers one statement each: run_script splits on ";\n", which a trigger body contains.
    db.execute(
        "CREATE TRIGGER documents_agency_renamed AFTER UPDATE OF name, state ON agencies BEGIN "
        "UPDATE documents SET agency_name = new.name, agency_state = new.state "
        "WHERE request_id IN (SELECT id FROM requests WHERE agency_id = new.id); END"
    )
    db.execute(
        "CREATE TRIGGER documents_request_moved AFTER UPDATE OF agency_id ON requests BEGIN "
        "UPDATE documents SET agency_name = (SELECT name FROM agencies WHERE id = new.agency_id), "
        "agency_state = (SELECT state FROM agencies WHERE id = new.agency_id) WHERE request_id = new.id; END"
    )
    # The search index, laid out as sqlite-utils' ``enable_fts(..., create_triggers=True)`` makes it
    # (same table and trigger names, so ``db["documents"].detect_fts()`` and ``.search()`` work), plus
    # prefix indexes, which ``enable_fts`` cannot add: without them ``camer*`` scans every term.
    columns = ", ".join(FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    db.execute(
        f"CREATE VIRTUAL TABLE documents_fts USING FTS5 ({columns}, prefix='2 3 4', "
        f"tokenize='porter unicode61 remove_diacritics 2', content=[documents])"
    )
    db.execute(
        f"CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN "
        f"INSERT INTO documents_fts (rowid, {columns}) VALUES (new.rowid, {new}); END"
    )
    db.execute(
        f"CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN "
        f"INSERT INTO documents_fts (documents_fts, rowid, {columns}) VALUES ('delete', old.rowid, {old}); END"
    )
    db.execute(
        f"CREATE TRIGGER documents_au AFTER UPDATE OF {columns} ON documents BEGIN "
        f"INSERT INTO documents_fts (documents_fts, rowid, {columns}) VALUES ('delete', old.rowid, {old}); "
        f"INSERT INTO documents_fts (rowid, {columns}) VALUES (new.rowid, {new}); END"
    )
    db.execute("INSERT INTO documents_fts (documents_fts) VALUES ('rebuild')")


@migrations()
def m002_request_published_index(db) -> None:
    """Whether a request has (published) documents, answered from the index alone: the search and
    archive pages ask it for every agency in their filter menus."""
    db.execute("CREATE INDEX documents_request_published ON documents(request_id, published)")


@migrations()
def m003_pending_work(db) -> None:
    """Work in progress that must survive a crash or be seen by other processes.

    ``pending_ingests``: one row per upload being stored, committed before its first byte is
    written, removed in the transaction that records its documents (or after a refused upload's
    clean-up). While a row younger than :data:`foia.filerefs.MAX_INGEST_SECONDS` exists, no stored
    file without a document is removed (see :mod:`foia.filerefs`).

    ``pending_extractions``: documents whose text is still to be read by the ``document.extract``
    job; the row goes in the transaction that stores the text.
    """
    run_script(
        db,
        """
        CREATE TABLE pending_ingests (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            pid INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE pending_extractions (
            document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            title_given INTEGER NOT NULL DEFAULT 0,  -- 1: keep the title, else the file's own title wins
            queued_at TEXT NOT NULL
        )
        """,
    )


@migrations()
def m004_removed(db) -> None:
    """Removing a document is a soft delete: ``deleted_at`` and ``deleted_by`` are set, the row and
    its stored file stay, and an admin can restore it. ``removed_with`` is the document whose removal
    took this one along (itself, or the archive or e-mail it belongs to), so a restore brings back
    exactly what one removal removed. Every list, search, count and export reads
    ``deleted_at IS NULL``; the partial index finds the few removed rows (the admin's list, and the
    search count, which subtracts removed matches from the index's own count)."""
    db.execute("ALTER TABLE documents ADD COLUMN deleted_at TEXT")
    db.execute("ALTER TABLE documents ADD COLUMN deleted_by INTEGER REFERENCES users(id)")
    db.execute("ALTER TABLE documents ADD COLUMN removed_with INTEGER")
    db.execute("CREATE INDEX documents_removed ON documents(deleted_at) WHERE deleted_at IS NOT NULL")
    db.execute("CREATE INDEX documents_removed_with ON documents(removed_with) WHERE removed_with IS NOT NULL")
    # The search and archive filter menus ask, for every agency, whether a request has a live
    # (published) document: answered from this index alone, as documents_request_published did.
    db.execute("CREATE INDEX documents_request_live ON documents(request_id, published) WHERE deleted_at IS NULL")
