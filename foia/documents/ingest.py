"""Adding documents: store an upload, unpack its containers, record it, and have its text read.

A ZIP archive or an e-mail is kept as it arrived and its members (files in the archive, attachments
of the message) become documents of their own, linked by ``parent_id``; containers are checked
against :class:`~.extract.ZipLimits` before anything is unpacked, and a zip bomb is refused whole.
The same content uploaded to two requests is stored once and has two rows; uploaded again to the
same request it is recognised and not added a second time.

Text is read at once for plain text, CSV and HTML (linear and capped). PDFs and DOCX, whose parsers
a crafted file can stall, are read by a child process with limits (:mod:`.sandbox`): at once with
``defer=False`` (the CLI), or by the ``document.extract`` job with ``defer=True`` (web uploads), in
which case the document exists at once, marked as waiting in ``pending_extractions``.

Every upload is a pending ingest (:mod:`foia.filerefs`) from before its first byte is stored until
its rows are committed, so a refused upload's clean-up never removes a file another upload needs.
"""
import dataclasses
import zipfile

from .. import audit, clock, filerefs, jobs
from ..db import transaction
from ..errors import Invalid, NotFound
from ..filestore import EmptyFile, TooLarge
from .checks import check_date, check_type
from .classify import suggest_type
from .extract import (CONTAINERS, EXTRACT_LIMITS, MAX_PARSE_SIZE, SANDBOXED, ZIP_LIMITS, ExtractLimits,
                      Extracted, ZipLimits, extract)
from .names import one_line, safe_filename
from .reading import EXTRACT_JOB
from .sandbox import extract_file
from .sniff import sniff

DEFAULT_MAX_SIZE = 512 * 1024 * 1024


@dataclasses.dataclass
class _Item:
    sha256: str
    size: int
    filename: str
    original_name: str
    mime: str = "application/octet-stream"
    title: str = ""
    extracted: Extracted = dataclasses.field(default_factory=Extracted)
    pending: bool = False  # text to be read by the document.extract job
    children: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Added:
    """The outcome of :func:`add_document`: the top document's id, whether it was already attached
    to the request (``duplicate``), the ids of member documents added, notes for the user, and the
    ids of documents whose text is still to be read (``pending``)."""

    id: int
    duplicate: bool = False
    member_ids: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)
    pending: list = dataclasses.field(default_factory=list)


def request_summary(db, request_id) -> dict:
    """The request's id, title, agency name and state; :class:`~foia.errors.NotFound` if there is none."""
    rows = list(db.query(
        "SELECT r.id, r.title, a.name AS agency_name, a.state AS agency_state FROM requests r "
        "JOIN agencies a ON a.id = r.agency_id WHERE r.id = ?", [request_id]))
    if not rows:
        raise NotFound(f"There is no request {request_id}.")
    return rows[0]


def add_document(db, store, request_id: int, fileobj, filename: str, *, event_id: int | None = None,
                 received_on=None, actor: int | None = None, max_size: int = DEFAULT_MAX_SIZE,
                 doc_type: str | None = None, title: str | None = None, limits: ZipLimits = ZIP_LIMITS,
                 extract_limits: ExtractLimits = EXTRACT_LIMITS, defer: bool = False) -> Added:
    """Store ``fileobj`` (read in chunks) and attach it to the request; return an :class:`Added`.

    Raises :class:`~foia.errors.NotFound` for an unknown request and :class:`~foia.errors.Invalid`
    for an empty file, a file over ``max_size``, an unknown event or type, or a refused archive; then
    no row is written and no stored file that nothing else uses is left behind. An exception raised
    while reading ``fileobj`` (a broken upload) propagates after the same clean-up.
    """
    request = request_summary(db, request_id)
    doc_type = check_type(doc_type)
    event_date = None
    if event_id not in (None, ""):
        try:
            event_key = int(event_id)
        except (TypeError, ValueError):
            raise Invalid("event_id", "Choose an event from the list.") from None
        rows = list(db.query("SELECT id, occurred_on FROM events WHERE id = ? AND request_id = ?",
                             [event_key, request_id])) if abs(event_key) < 2**63 else []
        if not rows:
            raise Invalid("event_id", f"Event {event_key} is not on the timeline of request {request_id}.")
        event_id, event_date = rows[0]["id"], rows[0]["occurred_on"]
    else:
        event_id = None
    received = check_date(received_on) if received_on else (event_date or clock.today().isoformat())
    name = safe_filename(filename)
    reader = _Reader(store, limits, extract_limits, defer)
    try:
        with filerefs.ingest(db, store) as claim:
            item = reader.ingest(claim, fileobj, filename, max_size, depth=0, budget=[limits.total_size])
            with transaction(db):
                existing = _existing(db, request_id, item.sha256)
                if existing:
                    return Added(id=existing[0], duplicate=True, notes=[_already(item.filename, *existing)])
                added = Added(id=0)
                row = dict(request_id=request_id, event_id=event_id, received=received, actor=actor,
                           agency=request, seen=set(), title_given=bool(title))
                added.id = _insert(db, item, None, row, added, doc_type=doc_type, title=title)
                for doc_id in added.pending:
                    jobs.enqueue(db, EXTRACT_JOB, {"document_id": doc_id}, key=f"extract:{doc_id}", actor=actor)
                audit.record(db, "document.add", user_id=actor, object_type="document", object_id=added.id,
                             detail={"request_id": request_id, "sha256": item.sha256, "filename": item.filename,
                                     "members": len(added.member_ids)})
    except TooLarge as e:
        raise Invalid("file", f"{name}: {e}; it was not added.") from None
    except EmptyFile:
        raise Invalid("file", f"{name} is empty (0 bytes); it was not added.") from None
    return added


class _Reader:
    """Stores an upload and its members, reading what can be read at once."""

    def __init__(self, store, limits: ZipLimits, extract_limits: ExtractLimits, defer: bool):
        self.store, self.limits, self.extract_limits, self.defer = store, limits, extract_limits, defer

    def ingest(self, claim, fileobj, name, max_size, *, depth, budget) -> _Item:
        sha256, size = self.store.put_stream(fileobj, max_size)
        claim.stored.append(sha256)
        item = _Item(sha256=sha256, size=size, filename=safe_filename(name), original_name=str(name)[:1000])
        limits = self.limits
        with self.store.open(sha256) as f:
            item.mime = sniff(f, item.filename)
            if item.mime in CONTAINERS and depth >= limits.depth:
                if item.mime == "application/zip":
                    raise Invalid("file", f"{item.filename}: archives are nested more than {limits.depth} deep; "
                                          "not added.")
                item.extracted = Extracted(error=f"Not unpacked: messages are nested more than {limits.depth} deep.")
                return item
            if item.mime in SANDBOXED and size <= MAX_PARSE_SIZE:
                if self.defer:
                    item.pending = True
                else:
                    item.extracted = extract_file(f, item.mime, self.extract_limits)
                return item
            item.extracted = extract(f, item.mime, limits=limits, size=size)
            for member_name, opener in item.extracted.members:
                child = self._member(claim, item, member_name, opener, max_size, depth=depth, budget=budget)
                if child is not None:
                    budget[0] -= child.size
                    child.title = one_line(member_name) if item.mime == "application/zip" else child.filename
                    item.children.append(child)
            item.extracted.members = []
        return item

    def _member(self, claim, item, member_name, opener, max_size, *, depth, budget) -> _Item | None:
        try:
            with opener() as member:
                return self.ingest(claim, member, member_name, min(max_size, budget[0]), depth=depth + 1,
                                   budget=budget)
        except EmptyFile:
            return None
        except TooLarge:
            raise Invalid("file", f"{item.filename}: {one_line(member_name)} unpacks to more than allowed; "
                                  "the archive looks like a zip bomb and was not added.") from None
        except zipfile.BadZipFile as e:
            raise Invalid("file", f"{item.filename}: {one_line(member_name)} is damaged ({e}); not added.") from None
        except NotImplementedError as e:  # a compression method zipfile cannot read
            note = f"{one_line(member_name)} ({e})"
            item.extracted.error = "; ".join(filter(None, [item.extracted.error, "Not unpacked: " + note]))
            return None


def _existing(db, request_id, sha256) -> tuple[int, bool] | None:
    """The request's document with this content, if any: ``(id, removed)``."""
    row = db.execute("SELECT id, deleted_at IS NOT NULL FROM documents WHERE request_id = ? AND sha256 = ?",
                     [request_id, sha256]).fetchone()
    return (row[0], bool(row[1])) if row else None


def _already(name: str, doc_id: int, removed: bool) -> str:
    if removed:
        return (f"{name} was attached to this request before and removed (document {doc_id}); "
                "an admin can restore it from the removed documents.")
    return f"{name} is already attached to this request (document {doc_id})."


def _insert(db, item: _Item, parent_id, row: dict, added: Added, *, doc_type=None, title=None) -> int:
    ex = item.extracted
    title = one_line(title or item.title or ex.title or item.filename.rsplit(".", 1)[0] or item.filename)[:500]
    record = {
        "request_id": row["request_id"],
        "event_id": row["event_id"],
        "parent_id": parent_id,
        "sha256": item.sha256,
        "filename": item.filename,
        "original_name": item.original_name,
        "title": title,
        "mime": item.mime,
        "size": item.size,
        "pages": ex.pages,
        "doc_type": doc_type,
        "suggested_type": suggest_type(ex.text, title, item.filename),
        "text": ex.text,
        "extraction_error": ex.error,
        "needs_ocr": int(ex.needs_ocr),
        "agency_name": row["agency"]["agency_name"],
        "agency_state": row["agency"]["agency_state"],
        "received_on": row["received"],
        "published": 0,
        "created_at": clock.stamp(),
        "created_by": row["actor"],
    }
    doc_id = db["documents"].insert(record).last_pk
    if item.pending:
        given = int(parent_id is not None or row["title_given"])  # a member's title is its name in the container
        db.execute("INSERT INTO pending_extractions (document_id, title_given, queued_at) VALUES (?, ?, ?)",
                   [doc_id, given, clock.stamp()])
        added.pending.append(doc_id)
    row["seen"].add(item.sha256)
    for child in item.children:
        if child.sha256 in row["seen"]:
            continue
        other = _existing(db, row["request_id"], child.sha256)
        if other:
            added.notes.append(_already(child.title, *other))
            continue
        added.member_ids.append(_insert(db, child, doc_id, row, added))
    return doc_id
