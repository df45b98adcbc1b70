"""Reading and changing document rows: one document, a request's documents, type and publishing,
and the integrity check of the stored files behind them."""
from .. import audit, clock, filerefs
from ..db import transaction
from ..errors import NotFound
from .checks import check_type

_SELECT = """
    SELECT d.*, COALESCE(d.doc_type, d.suggested_type) AS effective_type, r.title AS request_title,
           r.agency_id AS agency_id,
           EXISTS (SELECT 1 FROM pending_extractions p WHERE p.document_id = d.id) AS extraction_pending
    FROM documents d JOIN requests r ON r.id = d.request_id
"""


def _id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def get(db, doc_id) -> dict:
    """One document with its request's title and agency; :class:`~foia.errors.NotFound` if none."""
    key = _id(doc_id)
    rows = list(db.query(_SELECT + " WHERE d.id = ?", [key])) if key else []
    if not rows:
        raise NotFound(f"There is no document {str(doc_id)[:30]}.")
    return rows[0]


def for_request(db, request_id) -> list[dict]:
    """The request's documents, each archive or e-mail followed by its members."""
    rows = list(db.query(_SELECT + " WHERE d.request_id = ? ORDER BY d.received_on, d.id", [request_id]))
    children: dict = {}
    for row in rows:
        children.setdefault(row["parent_id"], []).append(row)
    ordered: list = []

    def walk(parent, depth):
        for row in children.get(parent, []):
            row["depth"] = depth
            ordered.append(row)
            walk(row["id"], depth + 1)

    walk(None, 0)
    return ordered


def members(db, doc_id) -> list[dict]:
    return list(db.query(_SELECT + " WHERE d.parent_id = ? ORDER BY d.id", [doc_id]))


def all_documents(db, request_id=None) -> list[dict]:
    where, params = ("WHERE d.request_id = ?", [request_id]) if request_id else ("", [])
    return list(db.query(_SELECT + f" {where} ORDER BY d.id", params))


def set_type(db, doc_id, doc_type: str | None, *, actor=None) -> None:
    """Set the document type; ``None`` or ``""`` goes back to the suggestion."""
    doc_type = check_type(doc_type)
    get(db, doc_id)
    with transaction(db):
        db.execute("UPDATE documents SET doc_type = ? WHERE id = ?", [doc_type, doc_id])
        audit.record(db, "document.type", user_id=actor, object_type="document", object_id=doc_id,
                     detail={"doc_type": doc_type})


def set_published(db, doc_id, published: bool, *, actor=None) -> None:
    doc = get(db, doc_id)
    if bool(doc["published"]) == bool(published):
        return
    with transaction(db):
        db.execute("UPDATE documents SET published = ?, published_at = ? WHERE id = ?",
                   [int(bool(published)), clock.stamp() if published else None, doc_id])
        audit.record(db, "document.publish" if published else "document.unpublish", user_id=actor,
                     object_type="document", object_id=doc_id)


def publish(db, doc_id, *, actor=None) -> None:
    set_published(db, doc_id, True, actor=actor)


def unpublish(db, doc_id, *, actor=None) -> None:
    set_published(db, doc_id, False, actor=actor)


def verify(db, store) -> list[dict]:
    """Re-hash every stored file; each problem (``mismatch`` or ``missing``) with the documents
    that refer to the file. Files of letters and messages (the same store) are checked too."""
    refs: dict = {}
    for row in db.query("SELECT id, sha256 FROM documents ORDER BY id"):
        refs.setdefault(row["sha256"], []).append(row["id"])
    expected = set(refs) | filerefs.referenced_hashes(db)
    return [
        {"sha256": p.sha256, "kind": p.kind, "detail": p.detail, "documents": refs.get(p.sha256, [])}
        for p in store.verify_all(expected)
    ]


def stats(db) -> dict:
    row = db.execute("SELECT count(*), count(DISTINCT sha256), COALESCE(sum(published), 0) FROM documents").fetchone()
    return {"documents": row[0], "files": row[1], "published": row[2]}
