"""Reading and changing document rows: one document, a request's documents, title, type, publishing,
removing and restoring, and the integrity check of the stored files behind them.

Removing is a soft delete (``deleted_at``/``deleted_by``): the row and its stored file stay, so an
admin can restore it, and the file store's reference rules (:mod:`foia.filerefs`) keep the file. A
removed document is left out of every list here (``include_removed`` asks for it), of search and
the public archive (:mod:`.search`), of counts and of exports (:mod:`foia.exports`).
"""
from .. import audit, clock, filerefs
from ..db import transaction
from ..errors import Invalid, NotFound
from .checks import check_type
from .names import one_line

MAX_TITLE = 500
LIVE = "d.deleted_at IS NULL"

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


def get(db, doc_id, *, include_removed: bool = False) -> dict:
    """One document with its request's title and agency; :class:`~foia.errors.NotFound` if there is
    none, or if it was removed (unless ``include_removed``: then ``deleted_at`` says so)."""
    key = _id(doc_id)
    rows = list(db.query(_SELECT + " WHERE d.id = ?", [key])) if key else []
    if not rows:
        raise NotFound(f"There is no document {str(doc_id)[:30]}.")
    if rows[0]["deleted_at"] and not include_removed:
        raise NotFound(f"Document {key} was removed.")
    return rows[0]


def for_request(db, request_id) -> list[dict]:
    """The request's documents, each archive or e-mail followed by its members (a member whose
    container was removed is listed at the top level)."""
    rows = list(db.query(_SELECT + f" WHERE d.request_id = ? AND {LIVE} ORDER BY d.received_on, d.id", [request_id]))
    present = {row["id"] for row in rows}
    children: dict = {}
    for row in rows:
        children.setdefault(row["parent_id"] if row["parent_id"] in present else None, []).append(row)
    ordered: list = []

    def walk(parent, depth):
        for row in children.get(parent, []):
            row["depth"] = depth
            ordered.append(row)
            walk(row["id"], depth + 1)

    walk(None, 0)
    return ordered


def members(db, doc_id) -> list[dict]:
    return list(db.query(_SELECT + f" WHERE d.parent_id = ? AND {LIVE} ORDER BY d.id", [doc_id]))


def all_documents(db, request_id=None, *, include_removed: bool = False) -> list[dict]:
    """Every document (of one request), oldest first; removed ones only with ``include_removed``."""
    where, params = (["d.request_id = ?"], [request_id]) if request_id else ([], [])
    if not include_removed:
        where.append(LIVE)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    return list(db.query(_SELECT + f"{clause} ORDER BY d.id", params))


def removed(db, request_id=None) -> list[dict]:
    """Removed documents, most recently removed first, with who removed them (``removed_by``)."""
    where, params = ("AND d.request_id = ?", [request_id]) if request_id else ("", [])
    return list(db.query(
        _SELECT.replace("FROM documents d", ", COALESCE(NULLIF(u.name, ''), u.email) AS removed_by FROM documents d")
        + f" LEFT JOIN users u ON u.id = d.deleted_by WHERE d.deleted_at IS NOT NULL {where} "
        "ORDER BY d.deleted_at DESC, d.id DESC", params))


def count_removed(db, request_id=None) -> int:
    where, params = ("AND request_id = ?", [request_id]) if request_id else ("", [])
    return db.execute(f"SELECT count(*) FROM documents WHERE deleted_at IS NOT NULL {where}", params).fetchone()[0]


def check_title(title) -> str:
    """A title as stored: one line, at most :data:`MAX_TITLE` characters; :class:`Invalid` if empty."""
    text = one_line(str(title or ""))
    if not text:
        raise Invalid("title", "Enter a title for the document.")
    if len(text) > MAX_TITLE:
        raise Invalid("title", f"Keep the title under {MAX_TITLE} characters (this one has {len(text)}).")
    return text


def edit(db, doc_id, *, title=None, doc_type=None, actor=None) -> dict:
    """Retitle and re-type a document (``None`` leaves a field as it is; a ``doc_type`` of ``""``
    goes back to the suggestion). Every problem is reported at once (:meth:`Invalid.many`).
    Returns what changed, ``{field: [old, new]}``, which is also what the audit log records."""
    doc = get(db, doc_id)
    errors, values = {}, {}
    if title is not None:
        try:
            values["title"] = check_title(title)
        except Invalid as e:
            errors.update(e.errors)
    if doc_type is not None:
        try:
            values["doc_type"] = check_type(doc_type)
        except Invalid as e:
            errors.update(e.errors)
    if errors:
        raise Invalid.many(errors)
    changes = {k: [doc[k], v] for k, v in values.items() if doc[k] != v}
    if not changes:
        return {}
    with transaction(db):
        db.execute(f"UPDATE documents SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                   [v[1] for v in changes.values()] + [doc["id"]])
        if "title" in changes:  # a title given by a person is kept when the text is read
            db.execute("UPDATE pending_extractions SET title_given = 1 WHERE document_id = ?", [doc["id"]])
        audit.record(db, "document.edit", user_id=actor, object_type="document", object_id=doc["id"],
                     detail=changes)
    return changes


def remove(db, doc_id, *, actor=None) -> list[int]:
    """Remove a document and the members it contains (soft delete: the rows and the stored files
    stay, restorable by :func:`restore`). Returns the ids removed; removing twice does nothing."""
    doc = get(db, doc_id, include_removed=True)
    if doc["deleted_at"]:
        return []
    stamp = clock.stamp()
    with transaction(db):
        ids = [r[0] for r in db.execute(
            "WITH RECURSIVE tree(id) AS (SELECT ? UNION SELECT d.id FROM documents d JOIN tree ON d.parent_id = tree.id) "
            "SELECT documents.id FROM documents JOIN tree USING (id) WHERE deleted_at IS NULL ORDER BY documents.id",
            [doc["id"]])]
        db.execute(f"UPDATE documents SET deleted_at = ?, deleted_by = ?, removed_with = ? "
                   f"WHERE id IN ({', '.join('?' * len(ids))})", [stamp, actor, doc["id"], *ids])
        audit.record(db, "document.remove", user_id=actor, object_type="document", object_id=doc["id"],
                     detail={"title": doc["title"], "filename": doc["filename"], "request_id": doc["request_id"],
                             "removed": ids})
    return ids


def restore(db, doc_id, *, actor=None) -> list[int]:
    """Bring back a removed document and the members its removal took along (not a member removed
    on its own before). Returns the ids restored (none if it was not removed)."""
    doc = get(db, doc_id, include_removed=True)
    if not doc["deleted_at"]:
        return []
    with transaction(db):
        ids = [doc["id"]] + [r[0] for r in db.execute(
            "SELECT id FROM documents WHERE removed_with = ? AND id != ? AND deleted_at IS NOT NULL ORDER BY id",
            [doc["id"], doc["id"]])]
        db.execute(f"UPDATE documents SET deleted_at = NULL, deleted_by = NULL, removed_with = NULL "
                   f"WHERE id IN ({', '.join('?' * len(ids))})", ids)
        audit.record(db, "document.restore", user_id=actor, object_type="document", object_id=doc["id"],
                     detail={"title": doc["title"], "request_id": doc["request_id"], "restored": ids,
                             "removed_at": doc["deleted_at"]})
    return ids


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


PREVIEW_CHARS = 2000


def preview(text: str, limit: int = PREVIEW_CHARS) -> tuple[str, bool]:
    """The first ``limit`` characters of ``text`` or so, cut at a word; and whether it was cut
    (only blank space left after the cut is not a cut)."""
    text = (text or "").lstrip()
    if len(text) <= limit or not text[limit:].strip():
        return text.rstrip(), False
    cut = text.rfind(" ", limit - 200, limit)
    return text[: cut if cut > 0 else limit].rstrip(), True


PUBLIC_FIELDS = ("id", "title", "filename", "mime", "size", "pages", "effective_type", "agency_name",
                 "agency_state", "request_title", "received_on", "published_at")


def public_view(db, doc_id) -> dict:
    """What the public page of a published document shows, and nothing else (no notes, no requester,
    no private fields): :data:`PUBLIC_FIELDS` and a text ``preview`` (``preview_cut`` if there is
    more). :class:`~foia.errors.NotFound` unless the document is published and not removed."""
    key = _id(doc_id)
    rows = list(db.query(
        "SELECT d.id, d.title, d.filename, d.mime, d.size, d.pages, COALESCE(d.doc_type, d.suggested_type) AS "
        "effective_type, d.agency_name, d.agency_state, r.title AS request_title, d.received_on, d.published_at, "
        f"substr(d.text, 1, {PREVIEW_CHARS + 1000}) AS head FROM documents d JOIN requests r ON r.id = d.request_id "
        "WHERE d.id = ? AND d.published = 1 AND d.deleted_at IS NULL", [key])) if key else []
    if not rows:
        raise NotFound("There is no published document with this number.")
    row = rows[0]
    row["preview"], row["preview_cut"] = preview(row.pop("head"))
    return row


def stats(db) -> dict:
    """Counts of documents (removed ones apart), stored files behind every row, and published ones."""
    row = db.execute(
        "SELECT count(*) FILTER (WHERE deleted_at IS NULL), count(DISTINCT sha256), "
        "count(*) FILTER (WHERE published = 1 AND deleted_at IS NULL), count(*) FILTER (WHERE deleted_at IS NOT NULL) "
        "FROM documents").fetchone()
    return {"documents": row[0], "files": row[1], "published": row[2], "removed": row[3]}
