"""Document commands: documents add/list/show/publish/unpublish/type/remove/restore/ocr/gc, search, verify,
export bagit."""
from pathlib import Path

import click

from .. import documents, exports, filerefs
from ..formats import plural
from ..errors import FoiaError, NotFound
from ..filestore import human_size
from . import current_instance, echo_json, fail, main, open_db
from .deadlines import export_group


def _open():
    instance = current_instance()
    return open_db(), instance.store, instance.config


def _type_choice():
    return click.Choice(list(documents.DOC_TYPES))


@main.group("documents")
def documents_group():
    """Documents returned by agencies: add, list, classify, publish."""


@documents_group.command("add")
@click.argument("request_id", type=int)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--event", "event_id", type=int, help="Timeline event the documents came with.")
@click.option("--type", "doc_type", type=_type_choice(), help="Document type (default: suggested from the text).")
@click.option("--received-on", default=None, help="Date received (YYYY-MM-DD); default the event's date or today.")
def add(request_id, files, event_id, doc_type, received_on):
    """Add FILES to request REQUEST_ID (each stored once, text extracted)."""
    db, store, config = _open()
    failed = 0
    for name in files:
        try:
            with open(name, "rb") as f:
                added = documents.add_document(
                    db, store, request_id, f, Path(name).name, event_id=event_id, received_on=received_on,
                    doc_type=doc_type, max_size=config["MAX_CONTENT_LENGTH"],
                )
        except FoiaError as e:
            failed += 1
            click.echo(f"error: {name}: {e}", err=True)
            continue
        doc = documents.get(db, added.id)
        state = "already attached" if added.duplicate else "added"
        line = f"{state}: document {doc['id']} {doc['filename']} ({doc['mime']}, {human_size(doc['size'])}"
        line += f", {plural(doc['pages'], 'page')})" if doc["pages"] else ")"
        click.echo(line)
        if added.member_ids:
            click.echo(f"  {plural(len(added.member_ids), 'member document')}: {', '.join(map(str, added.member_ids))}")
        for note in added.notes if not added.duplicate else []:
            click.echo(f"  note: {note}")
        if doc["extraction_error"]:
            click.echo(f"  warning: {doc['extraction_error']}")
        if doc["needs_ocr"]:
            click.echo("  needs OCR: no text layer (see `foia documents ocr`)")
        if doc["extraction_pending"]:
            click.echo("  text: waiting to be extracted")
    if failed:
        fail(f"{failed} of {plural(len(files), 'file')} not added")


@documents_group.command("list")
@click.argument("request_id", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(request_id, as_json):
    """List documents (of one request when REQUEST_ID is given)."""
    db, _, _ = _open()
    rows = documents.for_request(db, request_id) if request_id else documents.all_documents(db)
    if as_json:
        echo_json([{k: v for k, v in row.items() if k != "text"} for row in rows])
        return
    for row in rows:
        indent = "  " * row.get("depth", 0)
        flags = ("published " if row["published"] else "") + ("needs-ocr" if row["needs_ocr"] else "")
        click.echo(f"{row['id']:>6} {indent}{row['filename']}  [{row['effective_type']}] req {row['request_id']} "
                   f"{row['received_on']} {human_size(row['size'])} {flags}".rstrip())


@documents_group.command("show")
@click.argument("doc_id", type=int)
@click.option("--text", "with_text", is_flag=True, help="Also print the extracted text.")
def show(doc_id, with_text):
    """Show one document's metadata."""
    db, _, _ = _open()
    try:
        doc = documents.get(db, doc_id)
    except NotFound as e:
        fail(str(e), 2)
    for key in ("id", "request_id", "request_title", "agency_name", "agency_state", "filename", "title", "mime",
                "size", "pages", "sha256", "doc_type", "suggested_type", "received_on", "published",
                "published_at", "needs_ocr", "extraction_error"):
        click.echo(f"{key:16} {doc[key] if doc[key] is not None else ''}")
    if with_text:
        click.echo("")
        click.echo(doc["text"])


def _publish(doc_id, value):
    db, _, _ = _open()
    try:
        documents.set_published(db, doc_id, value)
    except NotFound as e:
        fail(str(e), 2)
    click.echo(f"document {doc_id} {'published' if value else 'private'}")


@documents_group.command("publish")
@click.argument("doc_id", type=int)
def publish(doc_id):
    """Publish a document in the public archive."""
    _publish(doc_id, True)


@documents_group.command("unpublish")
@click.argument("doc_id", type=int)
def unpublish(doc_id):
    """Take a document out of the public archive."""
    _publish(doc_id, False)


@documents_group.command("type")
@click.argument("doc_id", type=int)
@click.argument("doc_type", type=click.Choice([*documents.DOC_TYPES, "suggested"]))
def set_type(doc_id, doc_type):
    """Set a document's type ('suggested' goes back to the suggestion)."""
    db, _, _ = _open()
    try:
        documents.set_type(db, doc_id, None if doc_type == "suggested" else doc_type)
    except NotFound as e:
        fail(str(e), 2)
    click.echo(f"document {doc_id}: {doc_type}")


@documents_group.command("remove")
@click.argument("doc_id", type=int)
def remove(doc_id):
    """Remove a document (and the files it contains): it leaves lists, search, the archive and exports.
    Its stored file stays; `documents restore` brings it back."""
    db, _, _ = _open()
    removed = documents.remove(db, doc_id)
    if not removed:
        click.echo(f"Document {doc_id} was already removed.")
        return
    click.echo(f"Removed {plural(len(removed), 'document')} ({', '.join(map(str, removed))}); "
               f"`foia documents restore {doc_id}` brings {'it' if len(removed) == 1 else 'them'} back.")


@documents_group.command("restore")
@click.argument("doc_id", type=int)
def restore(doc_id):
    """Bring back a removed document (and what its removal took along)."""
    db, _, _ = _open()
    restored = documents.restore(db, doc_id)
    if not restored:
        click.echo(f"Document {doc_id} is not removed.")
        return
    click.echo(f"Restored {plural(len(restored), 'document')} ({', '.join(map(str, restored))}).")


@documents_group.command("ocr")
@click.argument("doc_ids", nargs=-1, type=int)
@click.option("--wait", is_flag=True, help="Read the text now and wait for it, instead of queueing a job.")
def ocr(doc_ids, wait):
    """Read scanned documents with Tesseract (all flagged 'needs OCR' when no id is given).

    Without --wait each document gets a background job (run by the scheduler or `foia jobs run-once`)."""
    db, store, _ = _open()
    if not doc_ids:
        doc_ids = [r[0] for r in db.execute("SELECT id FROM documents WHERE needs_ocr = 1 ORDER BY id").fetchall()]
    failed = 0
    for doc_id in doc_ids:
        try:
            if wait:
                text = documents.ocr_document(db, store, doc_id)
            else:
                job_id = documents.request_ocr(db, doc_id)
        except FoiaError as e:
            failed += 1
            click.echo(f"error: document {doc_id}: {e}", err=True)
        else:
            if wait:
                click.echo(f"document {doc_id}: {len(text)} characters read")
            else:
                click.echo(f"document {doc_id}: OCR queued as job {job_id}")
    if failed:
        fail(f"{plural(failed, 'document')} not read")


@documents_group.command("gc")
def gc():
    """Remove stored files that no document, letter or message uses (left by refused uploads)."""
    db, store, _ = _open()
    removed = filerefs.collect_garbage(db, store)
    if not removed and filerefs.unreferenced(db, store):
        fail("An upload is in progress; try again when it has finished.")
    click.echo(f"Removed {plural(len(removed), 'unused stored file')}.")


@main.command("search")
@click.argument("query")
@click.option("--state", default=None, help="Two-letter state code.")
@click.option("--type", "doc_type", type=_type_choice(), help="Document type.")
@click.option("--agency", "agency_id", type=int, help="Agency id.")
@click.option("--from", "date_from", default=None, help="Received on or after (YYYY-MM-DD).")
@click.option("--to", "date_to", default=None, help="Received on or before (YYYY-MM-DD).")
@click.option("--published", is_flag=True, help="Published documents only.")
@click.option("--page", default=1, type=int, help="Page of results.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def search(query, state, doc_type, agency_id, date_from, date_to, published, page, as_json):
    """Full-text search of documents: words, "exact phrases", prefix*, OR, -excluded."""
    db, _, _ = _open()
    try:
        results = documents.search(db, query, state=state, doc_type=doc_type, agency_id=agency_id,
                                   date_from=date_from, date_to=date_to, published_only=published, page=page)
    except FoiaError as e:
        fail(str(e))
    if as_json:
        echo_json({"query": results.query, "total": results.total, "page": results.page, "ranked": results.ranked,
                   "hits": results.hits})
        return
    click.echo(plural(results.total, "document"))
    for hit in results.hits:
        click.echo(f"{hit['id']:>6} {hit['title']} ({hit['filename']}) - {hit['agency_name']}, {hit['agency_state']}"
                   f" - {hit['received_on']} [{hit['effective_type']}]")
        if hit["snippet"]:
            click.echo(f"       {hit['snippet']}")


@main.command("verify")
def verify():
    """Re-hash every stored file; exit 1 if any is changed or missing."""
    db, store, _ = _open()
    problems = documents.verify(db, store)
    counts = documents.stats(db)
    for p in problems:
        refs = ", ".join(map(str, p["documents"])) or "none"
        click.echo(f"{p['kind'].upper()}: {p['sha256']} (documents: {refs}): {p['detail']}")
    if problems:
        fail(f"{plural(len(problems), 'problem')} in {plural(counts['files'], 'stored file')}")
    click.echo(f"OK: {plural(counts['files'], 'stored file')} for {plural(counts['documents'], 'document')} match their hashes")


@export_group.command("bagit")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--request", "request_id", type=int, help="Only this request.")
@click.option("--published", is_flag=True, help="Only published documents (and public request fields).")
def export_bagit(out_dir, request_id, published):
    """Write a BagIt bag of documents and metadata to OUT_DIR."""
    db, store, _ = _open()
    try:
        summary = exports.export_bagit(db, store, out_dir, request_id=request_id, published_only=published)
    except FoiaError as e:
        fail(str(e), 2 if isinstance(e, NotFound) else 1)
    click.echo(f"Bag written to {summary['path']}: {plural(summary['documents'], 'document')}, "
               f"{plural(summary['requests'], 'request')}, {human_size(summary['bytes'])}")
