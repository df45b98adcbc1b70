"""Generated letters: bytes in the one file store (by SHA-256), one ``letters`` row per file.

The store is the same content-addressed :class:`foia.filestore.LocalStore` documents use, so
backups, verification and garbage collection see letters too. :func:`move_legacy_files` brings
letters written by earlier versions (``<LETTERS_DIR>/ab/<sha256>.<format>``) into it.
"""
import io
import json
import os
import re
from pathlib import Path

from .. import clock, filerefs
from ..db import transaction
from ..errors import Invalid, NotFound
from ..filestore import LocalStore, Store, hash_file
from .docx import to_docx
from .render import Letter, render, to_html

FORMATS = ("pdf", "docx")
MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
}
MAX_LETTER_BYTES = 256 * 1024 * 1024


def as_store(files) -> Store:
    """The file store given, or a :class:`LocalStore` rooted at a folder given as a path."""
    return LocalStore(files) if isinstance(files, (str, os.PathLike)) else files


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Invalid("format", f"unknown letter format {fmt!r} (pdf or docx)")
    return fmt


def render_bytes(letter: Letter, fmt: str, folder: Path | None = None) -> bytes:
    if check_format(fmt) == "pdf":
        # Loaded on the first PDF, not with the package: importing WeasyPrint takes about half a
        # second, which every command and process that never makes a PDF would pay (no cycle here).
        from .pdf import to_pdf

        return to_pdf(to_html(letter), folder)
    return to_docx(letter)


def store(db, letter: Letter, fmt: str, data: bytes, files, *, actor=None) -> dict:
    """Put the bytes in the file store and record them (one row per request, format, template and
    content: storing the same letter again returns the row it already has)."""
    files = as_store(files)
    check_format(fmt)
    # Registered as an ingest first, so a clean-up of unused stored files never removes these
    # bytes between their storing and the commit of the row that refers to them.
    with filerefs.ingest(db, files) as claim:
        digest, size = files.put_stream(io.BytesIO(data), MAX_LETTER_BYTES)
        claim.stored.append(digest)
        with transaction(db):
            existing = db.execute(
                "SELECT id FROM letters WHERE request_id = ? AND format = ? AND template = ? AND sha256 = ?",
                [letter.request_id, fmt, letter.template, digest],
            ).fetchone()
            if existing:
                return get(db, existing[0])
            row = {
                "request_id": letter.request_id,
                "format": fmt,
                "template": letter.template,
                "sha256": digest,
                "size": size,
                "generated_at": clock.stamp(),
                "options": json.dumps(letter.options, sort_keys=True),
                "created_by": actor,
            }
            row["id"] = db["letters"].insert(row).last_pk
    return row


def generate(db, request_id, fmt: str, files, template: str | None = None, options: dict | None = None,
             *, folder: Path | None = None, actor=None, today=None, law_fields=None) -> dict:
    """Render one letter, store it and return its ``letters`` row (plus ``warnings``)."""
    check_format(fmt)
    letter = render(db, request_id, template, options, folder=folder, today=today, law_fields=law_fields)
    row = dict(store(db, letter, fmt, render_bytes(letter, fmt, folder), files, actor=actor))
    row["warnings"] = letter.warnings
    return row


def get(db, letter_id) -> dict:
    rows = list(db.query("SELECT * FROM letters WHERE id = ?", [letter_id]))
    if not rows:
        raise NotFound(f"No letter with id {letter_id}.")
    return rows[0]


def for_request(db, request_id) -> list[dict]:
    return list(db.query(
        "SELECT * FROM letters WHERE request_id = ? ORDER BY generated_at DESC, id DESC", [request_id]
    ))


def file_path(row: dict, files) -> Path:
    """Where a local store keeps the letter's bytes (to serve or copy them)."""
    return as_store(files).path(row["sha256"])


def open_file(row: dict, files):
    """The letter's bytes, as a binary file; :class:`NotFound` when the store has lost them."""
    files = as_store(files)
    if not files.exists(row["sha256"]):
        raise NotFound(f"The file of letter {row['id']} is missing from the file store; generate it again.")
    return files.open(row["sha256"])


def download_name(db, row: dict) -> str:
    """A readable file name: ``request-12-ring-partnership-springfield-police.pdf``."""
    name = db.execute(
        "SELECT a.name FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE r.id = ?", [row["request_id"]]
    ).fetchone()
    slug = re.sub(r"[^a-z0-9]+", "-", (name[0] if name else "").lower()).strip("-")[:60]
    return f"request-{row['request_id']}-{row['template']}{'-' + slug if slug else ''}.{row['format']}"


_LEGACY = re.compile(r"^(?P<sha256>[0-9a-f]{64})\.(?P<format>pdf|docx)$")


def move_legacy_files(letters_dir, files) -> dict:
    """Move letters an earlier version kept under ``letters_dir`` (``ab/<sha256>.<format>``) into
    the file store. Each file is hashed first; one whose content does not match its name is left
    where it is and reported. Safe to run again (and cheap when there is nothing to move).

    Returns ``{"moved": n, "kept": [paths left behind]}``. The ``letters`` rows already refer to
    the files by their hash, so the store's clean-up never takes one for unused.
    """
    root = Path(letters_dir)
    files = as_store(files)
    moved, kept = 0, []
    if not root.is_dir():
        return {"moved": 0, "kept": []}
    for path in sorted(root.glob("[0-9a-f][0-9a-f]/*")):
        match = _LEGACY.match(path.name)
        if not match or not path.is_file():
            continue
        if path.parent.name != match["sha256"][:2] or hash_file(path) != match["sha256"]:
            kept.append(str(path))
            continue
        with open(path, "rb") as f:
            files.put_stream(f, MAX_LETTER_BYTES)
        path.unlink()
        moved += 1
        try:
            path.parent.rmdir()
        except OSError:
            pass  # other letters still there
    return {"moved": moved, "kept": kept}
