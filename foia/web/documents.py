"""Documents: upload on the request page, the document page (retitle, re-type, publish, remove), the
admin's removed documents (restore), downloads, search, the public archive and its document pages.

Only ``/archive``, ``/archive/<id>`` and ``/archive/<id>/download`` are public, and they show
published documents only (never removed ones). Publishing, unpublishing and removing ask for
confirmation (:func:`foia.web.confirm_page`); a removed document is seen by admins only, who can
restore it.
Downloads keep the original file name (with an ASCII fallback we build ourselves, see
:func:`foia.documents.content_disposition`); a type a browser could run (HTML, SVG, anything unknown)
is always sent as an attachment, and every download carries ``X-Content-Type-Options: nosniff``.
Uploads store the file and record the document at once; reading a PDF's or DOCX's text and OCR
are jobs, whose state the document page shows.
"""
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from .. import documents, exports
from ..errors import Conflict, Invalid
from ..filestore import human_size
from ..formats import plural
from . import actor_id, confirm_page, confirmed, get_db, instance, page_number, wants_json
from .auth import admin_only, public

bp = Blueprint("documents", __name__)

PUBLIC_ENDPOINTS = ("documents.archive", "documents.archive_download", "documents.public_document")


def _admin() -> bool:
    return bool(current_user.is_authenticated and getattr(current_user, "is_admin", False))


def _request_section(db, request_row) -> dict:
    """Context of the documents section on the request page (see ``foia.web.sections``)."""
    return {
        "request_row": request_row,
        "documents": documents.for_request(db, request_row["id"]),
        "events": _events(db, request_row["id"]),
        "removed_count": documents.count_removed(db, request_row["id"]),
    }


REQUEST_SECTION = ("documents/_request_documents.html", _request_section)


def _events(db, request_id) -> list[dict]:
    return list(db.query("SELECT id, kind, occurred_on FROM events WHERE request_id = ? ORDER BY occurred_on, id",
                         [request_id]))


def get_store():
    """The instance's one file store."""
    return instance().store


def _request_page(request_id) -> str:
    return url_for("requests.show", request_id=request_id) + "#documents"


def highlight(parts) -> Markup:
    """A search snippet (``(text, matched)`` parts) as HTML, the matched words in ``<mark>``."""
    return Markup("").join(Markup("<mark>%s</mark>") % text if marked else escape(text) for text, marked in parts or ())


@bp.app_template_filter("highlight")
def highlight_filter(parts) -> Markup:
    return highlight(parts)


@bp.app_context_processor
def helpers():
    def documents_for_request(request_id):
        return documents.for_request(get_db(), request_id)

    return {
        "documents_for_request": documents_for_request,
        "request_page_url": _request_page,
        "DOC_TYPES": documents.DOC_TYPES,
        "human_size": human_size,
    }


@bp.app_template_filter("file_kind")
def file_kind_filter(mime) -> str:
    """``application/pdf`` -> ``PDF``: what a file is, in words."""
    return documents.file_kind(mime)


@bp.app_errorhandler(413)
def too_large(error):
    limit = human_size(current_app.config.get("MAX_CONTENT_LENGTH") or documents.DEFAULT_MAX_SIZE)
    message = f"The upload is larger than the limit of {limit}. Nothing was stored."
    if wants_json():
        return jsonify({"error": "Request Entity Too Large", "message": message, "status": 413}), 413
    return render_template("documents/too_large.html", message=message, limit=limit), 413


@bp.get("/requests/<int:request_id>/documents")
def for_request(request_id):
    db = get_db()
    request_row = documents.request_summary(db, request_id)
    events = _events(db, request_id)
    back_url = _request_page(request_id)
    return render_template("documents/request.html", request_row=request_row, events=events, back_url=back_url)


@bp.post("/requests/<int:request_id>/documents")
def upload(request_id):
    db = get_db()
    documents.request_summary(db, request_id)
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        flash("Choose at least one file to upload.")
        return redirect(_request_page(request_id), code=303)
    store = get_store()
    added, errors, pending = [], [], 0
    for storage in files:
        try:
            result = documents.add_document(
                db, store, request_id, storage.stream, storage.filename,
                event_id=request.form.get("event_id") or None,
                received_on=request.form.get("received_on") or None,
                doc_type=request.form.get("doc_type") or None,
                actor=actor_id(), max_size=current_app.config.get("MAX_CONTENT_LENGTH") or documents.DEFAULT_MAX_SIZE,
                defer=True,
            )
        except Invalid as e:
            errors.append(str(e))
            continue
        finally:
            storage.close()
        if result.duplicate:
            flash(result.notes[0])
        else:
            added.append(result)
            pending += len(result.pending)
            for note in result.notes:
                flash(note)
    if added:
        members = sum(len(a.member_ids) for a in added)
        flash(f"Added {plural(len(added), 'document')}"
              + (f" and {plural(members, 'document')} found inside." if members else ".")
              + _reading(pending, len(added) + members))
    for message in errors:
        flash(f"Not added: {message}")
    if wants_json():
        return jsonify({"added": [a.id for a in added], "errors": errors,
                        "extracting": [i for a in added for i in a.pending]}), (201 if added else 400)
    return redirect(_request_page(request_id), code=303)


def _file_check(doc) -> dict:
    """The stored file's state in words, from what is cheap to know on every page view (present,
    size as recorded); re-hashing every file is ``foia verify``'s job."""
    store = get_store()
    if not store.exists(doc["sha256"]):
        return {"ok": False, "words": "The stored file is missing. Run “foia verify” on the server to list every "
                                      "missing or changed file, then restore it from a backup."}
    size = store.path(doc["sha256"]).stat().st_size
    if size != doc["size"]:
        return {"ok": False, "words": f"The stored file has changed: it is {human_size(size)}, not "
                                      f"{human_size(doc['size'])}. Run “foia verify” and restore it from a backup."}
    return {"ok": True, "words": "The stored file is present and has the size recorded when it was uploaded. "
                                 "Its fingerprint was checked when it was stored; “foia verify” checks every file again."}


def _show(doc_id, *, errors=None, values=None, status=200):
    db = get_db()
    doc = documents.get(db, doc_id, include_removed=_admin())
    parent = documents.get(db, doc["parent_id"], include_removed=True) if doc["parent_id"] else None
    return render_template(
        "documents/show.html", doc=doc, parent=parent, members=documents.members(db, doc_id),
        inline=documents.inline_safe(doc["mime"]), ocr_available=documents.ocr_available(doc["mime"]),
        ocr=documents.ocr_job(db, doc_id) if doc["needs_ocr"] else None, event=_event(db, doc["event_id"]),
        file_check=_file_check(doc), errors=errors or {}, values=values or {},
        removed_by=_user_name(db, doc["deleted_by"]) if doc["deleted_at"] else None,
    ), status


def _reading(pending: int, total: int) -> str:
    """What the upload notice says about the text still to be read."""
    if not pending:
        return ""
    if pending == total:
        return " Its text is being extracted." if total == 1 else " Their text is being extracted."
    return f" The text of {pending} of them is being extracted."


@bp.get("/documents/<int:doc_id>")
def show(doc_id):
    return _show(doc_id)


def _user_name(db, user_id) -> str:
    row = db.execute("SELECT COALESCE(NULLIF(name, ''), email) FROM users WHERE id = ?", [user_id]).fetchone()
    return row[0] if row else ""


def _event(db, event_id):
    if not event_id:
        return None
    rows = list(db.query("SELECT id, kind, occurred_on FROM events WHERE id = ?", [event_id]))
    return rows[0] if rows else None


@bp.post("/documents/<int:doc_id>/edit")
def edit(doc_id):
    """Retitle and re-type; every problem shown beside its field."""
    db = get_db()
    documents.get(db, doc_id)
    values = {"title": request.form.get("title", "")[:2000], "doc_type": request.form.get("doc_type", "")}
    try:
        changes = documents.edit(db, doc_id, title=values["title"], doc_type=values["doc_type"], actor=actor_id())
    except Invalid as e:
        return _show(doc_id, errors=e.errors, values=values, status=422)
    labels = {"title": "title", "doc_type": "type"}
    flash("Saved the new " + " and ".join(labels[k] for k in changes) + "." if changes else "Nothing changed.")
    return redirect(url_for(".show", doc_id=doc_id), code=303)


@bp.post("/documents/<int:doc_id>/type")
def set_type(doc_id):
    db = get_db()
    documents.get(db, doc_id)
    try:
        documents.set_type(db, doc_id, request.form.get("doc_type") or None, actor=actor_id())
    except Invalid as e:
        flash(str(e))
    else:
        flash("Document type saved.")
    return redirect(url_for(".show", doc_id=doc_id), code=303)


@bp.post("/documents/<int:doc_id>/publish")
def publish(doc_id):
    db = get_db()
    doc = documents.get(db, doc_id)
    value = request.form.get("published") == "1"
    back = url_for(".show", doc_id=doc_id)
    if bool(doc["published"]) != value and not confirmed():
        if value:
            return confirm_page(
                title=f"Publish “{doc['title']}”?",
                message="Publishing makes it public: anyone on the internet can read and download it in the public "
                        "archive without signing in, with its agency and request title. Check it holds no "
                        "personal details first.",
                button="Publish it", cancel_url=back, danger=False)
        return confirm_page(
            title=f"Unpublish “{doc['title']}”?",
            message="It disappears from the public archive and its public page. Anyone who already downloaded "
                    "it keeps their copy.",
            button="Unpublish it", cancel_url=back)
    documents.set_published(db, doc_id, value, actor=actor_id())
    flash("Published in the public archive." if value else "Removed from the public archive.")
    return redirect(back, code=303)


@bp.post("/documents/<int:doc_id>/remove")
def remove(doc_id):
    db = get_db()
    doc = documents.get(db, doc_id)
    if not confirmed():
        inside = len(documents.members(db, doc_id))
        return confirm_page(
            title=f"Remove “{doc['filename']}”?",
            message="It disappears from the request, search and the public archive. An admin can restore it."
                    + (f" The {plural(inside, 'document')} inside it go with it." if inside else ""),
            button="Remove it", cancel_url=url_for(".show", doc_id=doc_id))
    documents.remove(db, doc_id, actor=actor_id())
    flash(f"Removed “{doc['title']}”. An admin can restore it from the removed documents.")
    return redirect(_request_page(doc["request_id"]), code=303)


@bp.get("/documents/removed")
@admin_only
def removed():
    """Removed documents, newest first, each with a restore button (admins only)."""
    return render_template("documents/removed.html", removed=documents.removed(get_db()))


@bp.post("/documents/<int:doc_id>/restore")
@admin_only
def restore(doc_id):
    db = get_db()
    doc = documents.get(db, doc_id, include_removed=True)
    back = request.form.get("back") == "list"
    if doc["deleted_at"] and doc["published"] and not confirmed():
        return confirm_page(
            title=f"Restore “{doc['title']}”?",
            message="It was published when it was removed: restoring it puts it back in the public archive, where "
                    "anyone can read and download it. You can unpublish it afterwards.",
            button="Restore it", cancel_url=url_for(".removed") if back else url_for(".show", doc_id=doc_id),
            danger=False)
    restored = documents.restore(db, doc_id, actor=actor_id())
    if restored:
        flash(f"Restored “{doc['title']}”" + (f" with {plural(len(restored) - 1, 'document')} inside it"
                                             if len(restored) > 1 else "")
              + (". It is in the public archive again." if doc["published"] else "."))
    else:
        flash(f"“{doc['title']}” was not removed.")
    return redirect(url_for(".removed") if back else url_for(".show", doc_id=doc_id), code=303)


@bp.post("/documents/<int:doc_id>/ocr")
def ocr(doc_id):
    db = get_db()
    documents.get(db, doc_id)
    try:
        documents.request_ocr(db, doc_id, actor=actor_id())
    except (Invalid, Conflict) as e:
        flash(str(e))
    else:
        flash("OCR will read the text in the background; it appears on this page when it is done.")
    return redirect(url_for(".show", doc_id=doc_id), code=303)


def _send(doc, *, force_attachment=False):
    store = get_store()
    if not store.exists(doc["sha256"]):
        abort(410, description="The stored file is missing; run `foia verify`.")
    inline = documents.inline_safe(doc["mime"]) and not force_attachment
    mimetype = doc["mime"] if inline else "application/octet-stream"
    if mimetype in ("text/plain", "text/csv"):
        mimetype = "text/plain; charset=utf-8"
    response = send_file(
        store.path(doc["sha256"]), mimetype=mimetype, as_attachment=not inline,
        download_name=documents.ascii_filename(doc["filename"]), etag=doc["sha256"], conditional=True, max_age=0,
    )
    # Werkzeug's own ASCII fallback folds fullwidth dots and slashes into real ones: build the header here.
    response.headers["Content-Disposition"] = documents.content_disposition(doc["filename"], attachment=not inline)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


@bp.get("/documents/<int:doc_id>/download")
def download(doc_id):
    doc = documents.get(get_db(), doc_id, include_removed=_admin())
    return _send(doc, force_attachment=request.args.get("attachment") == "1")


@bp.get("/requests/<int:request_id>/documents.zip")
def request_zip(request_id):
    db = get_db()
    documents.request_summary(db, request_id)
    try:
        archive = exports.request_zip(db, get_store(), request_id)
    except exports.ExportError as e:
        abort(500, description=str(e))
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=f"request-{request_id}-documents.zip", max_age=0)


def _filters(args) -> dict:
    doc_type = args.get("type", "")
    return {
        "state": args.get("state", "").upper()[:2] or None,
        "agency_id": args.get("agency", "")[:30] or None,
        "doc_type": doc_type if doc_type in documents.DOC_TYPES else None,
        "date_from": args.get("from", "")[:10] or None,
        "date_to": args.get("to", "")[:10] or None,
    }


def _run_search(q, filters, *, published_only, per_page):
    try:
        return documents.search(get_db(), q, published_only=published_only, page=page_number(),
                                per_page=per_page, **filters), None
    except Invalid as e:
        return documents.Results(hits=[], total=0, page=1, per_page=per_page, query=q), str(e)


def _choices(published_only):
    """States and agencies that have (published) documents, for the filter menus.

    Walks the agencies (hundreds) and probes for a document, rather than scanning the documents
    (tens of thousands): this runs on every search page.
    """
    # CROSS JOIN keeps SQLite probing requests, then documents by (request_id, published), rather
    # than walking every published document once per agency.
    published = " AND d.published = 1" if published_only else ""
    published += " AND d.deleted_at IS NULL"
    agencies = list(get_db().query(
        f"SELECT a.id, a.name, a.state FROM agencies a WHERE EXISTS (SELECT 1 FROM requests r "
        f"CROSS JOIN documents d ON d.request_id = r.id WHERE r.agency_id = a.id{published}) "
        f"ORDER BY a.state, a.name"))
    return sorted({a["state"] for a in agencies}), agencies


def _agency_options(agencies, filters) -> Markup:
    """The agency menu's ``<option>`` elements, built in Python: hundreds of agencies rendered
    through a Jinja loop cost several milliseconds on every search page."""
    chosen = str(filters.get("agency_id") or "")
    return Markup("".join(
        f'<option value="{a["id"]}"{" selected" if str(a["id"]) == chosen else ""}>{escape(a["name"])} ({a["state"]})</option>'
        for a in agencies))


def _search_page(template: str, *, published_only: bool):
    """The search page (all documents) and the public archive (published ones) differ only in this."""
    q = request.args.get("q", "")[:500]
    filters = _filters(request.args)
    results, error = _run_search(q, filters, published_only=published_only, per_page=documents.PER_PAGE)
    states, agencies = _choices(published_only)
    removed_count = documents.count_removed(get_db()) if not published_only and _admin() else 0
    return render_template(template, q=q, filters=filters, results=results, error=error, removed_count=removed_count,
                           states=states, agency_options=_agency_options(agencies, filters))


@bp.get("/search")
def search():
    return _search_page("documents/search.html", published_only=False)


@bp.get("/archive")
def archive():
    return _search_page("documents/archive.html", published_only=True)


@bp.get("/archive/<int:doc_id>")
@public
def public_document(doc_id):
    """The public page of a published document: what it is, where it came from, a text preview
    and the download. Published and not removed, or a 404."""
    return render_template("public/document.html", doc=documents.public_view(get_db(), doc_id))


@bp.get("/archive/<int:doc_id>/download")
def archive_download(doc_id):
    db = get_db()
    try:
        doc = documents.get(db, doc_id)
    except LookupError:
        doc = None
    if doc is None or not doc["published"]:
        abort(404, description="There is no published document with this number.")
    return _send(doc, force_attachment=request.args.get("attachment") == "1")
