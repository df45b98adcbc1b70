"""Archival exports: a BagIt bag of documents with their metadata, and a ZIP of one request.

Removed documents (soft deleted, see :mod:`foia.documents.catalog`) are never exported: both exports
read :func:`foia.documents.all_documents`, which leaves them out.

Every file copied out of the store is re-hashed on the way; a file whose content no longer matches
its SHA-256 stops the export with an :class:`ExportError` naming it (``foia verify`` lists them
all), so an export never carries a silently damaged copy.

Every CSV we write goes through :func:`csv_cell`: a text cell that a spreadsheet would run as a
formula (starting with ``= + - @``, a tab or a carriage return) is written with a leading ``'``.
Document files themselves are copied byte for byte.
"""
import csv
import hashlib
import io
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

from . import clock, errors
from . import documents as documents_module

DOCUMENT_FIELDS = (
    "id", "request_id", "event_id", "parent_id", "path", "sha256", "filename", "original_name", "title",
    "mime", "size", "pages", "doc_type", "suggested_type", "needs_ocr", "extraction_error", "agency_name",
    "agency_state", "request_title", "received_on", "published", "published_at", "created_at",
)
PUBLIC_DOCUMENT_FIELDS = (
    "id", "request_id", "parent_id", "path", "sha256", "filename", "title", "mime", "size", "pages",
    "doc_type", "agency_name", "agency_state", "request_title", "received_on", "published_at",
)
REQUEST_FIELDS = (
    "id", "agency_id", "agency_name", "agency_state", "campaign_id", "title", "description", "method",
    "tracking_number", "status", "due_on", "created_at", "updated_at",
)
PUBLIC_REQUEST_FIELDS = ("id", "agency_id", "agency_name", "agency_state", "title", "status", "created_at")
# Already compressed: stored as they are in a ZIP.
COMPRESSED = frozenset({
    "application/pdf", "application/zip", "image/png", "image/jpeg", "image/gif", "image/webp",
    "video/mp4", "video/quicktime", "video/webm", documents_module.DOCX, documents_module.XLSX,
    documents_module.PPTX,
})


class ExportError(errors.Conflict):
    """An export could not be written (a damaged stored file, a folder in the way); the message says why."""


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """``value`` safe to open in a spreadsheet: text that would start a formula gets a leading ``'``.

    Numbers stay numbers (a negative size or id is data, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_row(values) -> list:
    return [csv_cell(v) for v in values]


def _copy_verified(store, sha256: str, out) -> int:
    """Copy a stored file into ``out``, checking its hash; returns the byte count."""
    digest = hashlib.sha256()
    size = 0
    try:
        source = store.open(sha256)
    except FileNotFoundError:
        raise ExportError(f"stored file {sha256} is missing; run `foia verify`") from None
    with source:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    if digest.hexdigest() != sha256:
        raise ExportError(f"stored file {sha256} no longer matches its hash; run `foia verify`")
    return size


def _document_path(doc: dict) -> str:
    return f"files/{doc['id']}-{documents_module.safe_filename(doc['filename'])}"


def _requests(db, ids) -> list[dict]:
    if not ids:
        return []
    rows = db.query(
        f"SELECT r.*, a.name AS agency_name, a.state AS agency_state FROM requests r "
        f"JOIN agencies a ON a.id = r.agency_id WHERE r.id IN ({', '.join('?' * len(ids))}) ORDER BY r.id",
        sorted(ids),
    )
    return list(rows)


def _events(db, request_id) -> list[dict]:
    return list(db.query(
        "SELECT id, kind, occurred_on, recorded_at, note, data FROM events WHERE request_id = ? "
        "ORDER BY occurred_on, id", [request_id]))


def _write_csv(path: Path, fields, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: csv_cell(row.get(k)) for k in fields} for row in rows)


class _SafeWriter:
    """A ``csv.writer`` whose every cell goes through :func:`csv_cell`."""

    def __init__(self, f):
        self._writer = csv.writer(f)

    def writerow(self, values) -> None:
        self._writer.writerow(csv_row(values))


def _write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str) + "\n",
                    encoding="utf-8")


def export_bagit(db, store, out_dir, request_id=None, published_only: bool = False) -> dict:
    """Write a BagIt bag to ``out_dir`` (which must not exist or be empty).

    The payload (``data/``) holds ``files/<id>-<filename>`` for each document, and ``metadata/``
    with ``requests.csv``/``.json`` and ``documents.csv``/``.json`` (the JSON with each document's
    extracted text and, unless ``published_only``, each request's timeline). ``published_only``
    keeps published documents and only the public fields of their requests. Manifests are SHA-256.
    Returns a summary: ``{"path", "documents", "requests", "bytes"}``.
    """
    import bagit

    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} already exists and is not an empty folder")
    if request_id is not None:
        documents_module.request_summary(db, request_id)
    docs = documents_module.all_documents(db, request_id)
    if published_only:
        docs = [d for d in docs if d["published"]]
        request_ids = {d["request_id"] for d in docs}
    elif request_id is not None:
        request_ids = {int(request_id)}
    else:
        request_ids = {row[0] for row in db.execute("SELECT id FROM requests").fetchall()}
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        (out / "files").mkdir()
        (out / "metadata").mkdir()
        total = 0
        for doc in docs:
            doc["path"] = "data/" + _document_path(doc)
            with open(out / _document_path(doc), "wb") as f:
                total += _copy_verified(store, doc["sha256"], f)
        reqs = _requests(db, request_ids)
        doc_fields = PUBLIC_DOCUMENT_FIELDS if published_only else DOCUMENT_FIELDS
        req_fields = PUBLIC_REQUEST_FIELDS if published_only else REQUEST_FIELDS
        for doc in docs:
            doc["doc_type"] = doc["effective_type"]
        _write_csv(out / "metadata" / "documents.csv", doc_fields, docs)
        _write_csv(out / "metadata" / "requests.csv", req_fields, reqs)
        _write_json(out / "metadata" / "documents.json",
                    [{**{k: d.get(k) for k in doc_fields}, "text": d["text"]} for d in docs])
        req_json = []
        for req in reqs:
            entry = {k: req.get(k) for k in req_fields}
            if not published_only:
                entry["timeline"] = _events(db, req["id"])
            req_json.append(entry)
        _write_json(out / "metadata" / "requests.json", req_json)
        scope = f"request {request_id}" if request_id is not None else "all requests"
        info = {
            "Source-Organization": "foia",
            "External-Description": (
                f"Documents returned for public-records requests ({scope}"
                f"{', published documents only' if published_only else ''}), with their metadata."
            ),
            "Bagging-Date": clock.today().isoformat(),
            "Bag-Count": "1 of 1",
        }
        bagit.make_bag(str(out), bag_info=info, checksums=["sha256"])
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        else:
            for child in out.iterdir():
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
        raise
    return {"path": str(out), "documents": len(docs), "requests": len(reqs), "bytes": total}


def _letters(db, request_id) -> list[dict]:
    if not db["letters"].exists():
        return []
    return list(db.query("SELECT * FROM letters WHERE request_id = ? ORDER BY id", [request_id]))


def request_zip(db, store, request_id, letters_dir=None, out=None):
    """A ZIP of every document and letter of a request, with a ``manifest.csv``.

    Documents and letters both come from the file store, re-hashed on the way. Written to ``out``
    (a binary file) or, by default, to an anonymous temporary file; returns the file, positioned at
    its start. Letters whose file is missing are listed in the manifest as such. (``letters_dir`` is
    no longer used: letters live in the file store.)
    """
    request = documents_module.request_summary(db, request_id)
    out = out if out is not None else tempfile.TemporaryFile()
    manifest = io.StringIO()
    writer = _SafeWriter(manifest)
    writer.writerow(["path", "kind", "id", "parent_id", "sha256", "size", "title", "note"])
    used: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for doc in documents_module.all_documents(db, request_id):
            name = "documents/" + _document_path(doc).split("/", 1)[1]
            used.add(name)
            _add_stored(zf, store, name, doc["sha256"], doc["size"], doc["mime"], doc["created_at"])
            writer.writerow([name, "document", doc["id"], doc["parent_id"] or "", doc["sha256"], doc["size"],
                             doc["title"], ""])
        for letter in _letters(db, request_id):
            stem = documents_module.safe_filename(str(letter.get("template") or "letter"))
            suffix = letter.get("format") or "bin"
            base = f"{letter.get('id')}-{stem}.{suffix}"
            name = f"letters/{base}"
            n = 1
            while name in used:
                n += 1
                name = f"letters/{n}-{base}"
            if not store.exists(letter["sha256"]):
                writer.writerow(["", "letter", letter.get("id"), "", letter["sha256"], "", base, "file missing"])
                continue
            used.add(name)
            mime = "application/pdf" if suffix == "pdf" else documents_module.DOCX
            _add_stored(zf, store, name, letter["sha256"], letter.get("size") or 0, mime, letter.get("generated_at"))
            writer.writerow([name, "letter", letter.get("id"), "", letter["sha256"], letter.get("size") or "",
                             suffix, ""])
        readme = (
            f"Request {request['id']}: {request['title']}\n"
            f"Agency: {request['agency_name']} ({request['agency_state']})\n"
            f"Exported: {clock.stamp()}\n"
        )
        zf.writestr("README.txt", readme)
        zf.writestr("manifest.csv", manifest.getvalue())
    out.seek(0)
    return out


def _add_stored(zf, store, name, sha256, size, mime, stamp) -> None:
    info = zipfile.ZipInfo(name, date_time=_zip_time(stamp))
    info.compress_type = zipfile.ZIP_STORED if mime in COMPRESSED else zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=size > 2**31) as f:
        _copy_verified(store, sha256, f)


def _zip_time(stamp: str | None) -> tuple:
    try:
        date, time = (stamp or "").split("T")
        y, m, d = (int(x) for x in date.split("-"))
        hh, mm, ss = (int(x) for x in time.split(":")[:3])
        return (max(y, 1980), m, d, hh, mm, ss)
    except ValueError:
        return (1980, 1, 1, 0, 0, 0)
