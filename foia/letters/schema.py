"""The ``letters`` table: one row per generated letter file, the bytes kept in the file store."""
from sqlite_utils.migrations import Migrations

from ..db import run_script

migrations = Migrations("foia.letters")


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


@migrations()
def m002_letters_in_the_file_store(db) -> None:
    """Letter bytes now live in the one file store, named by their SHA-256: the ``path`` column
    (``ab/<sha256>.<format>`` under the old letters folder) says nothing the hash does not.
    The files themselves are moved by :func:`foia.letters.storage.move_legacy_files`."""
    db.execute("ALTER TABLE letters DROP COLUMN path")
