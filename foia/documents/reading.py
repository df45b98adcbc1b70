"""The ``document.extract`` job: read the text of a stored PDF or DOCX, with limits, and record it.

Web uploads create the document at once and leave a ``pending_extractions`` row; this job reads the
file in a child process (:mod:`.sandbox`) and stores the text, page count and OCR flag, removing
the row in the same transaction. Re-run after a crash it finds the row gone and does nothing: the
text is never read or recorded twice. A file that hit a limit keeps its row in ``documents``,
marked "Text not extracted: limit reached (...)", and stays downloadable.
"""
from .. import jobs
from ..filestore import store_for
from ..db import transaction
from .classify import suggest_type
from .extract import EXTRACT_LIMITS, ExtractLimits
from .sandbox import extract_file

EXTRACT_JOB = "document.extract"


def is_pending(db, doc_id) -> bool:
    """Whether the document's text is still to be read."""
    return db.execute("SELECT 1 FROM pending_extractions WHERE document_id = ?", [doc_id]).fetchone() is not None


def read_text(db, store, doc_id, limits: ExtractLimits = EXTRACT_LIMITS) -> bool:
    """Read and record the text of a document waiting for it; False if it was not waiting."""
    pending = db.execute("SELECT title_given FROM pending_extractions WHERE document_id = ?", [doc_id]).fetchone()
    if pending is None:
        return False
    doc = db.execute("SELECT sha256, mime, title, filename FROM documents WHERE id = ?", [doc_id]).fetchone()
    sha256, mime, title, filename = doc
    with store.open(sha256) as f:
        extracted = extract_file(f, mime, limits)
    if extracted.title and not pending[0]:
        title = " ".join(extracted.title.split())[:500]
    with transaction(db):
        cursor = db.execute("DELETE FROM pending_extractions WHERE document_id = ?", [doc_id])
        if not cursor.rowcount:  # another runner recorded it meanwhile
            return False
        db.execute(
            "UPDATE documents SET text = ?, title = ?, pages = ?, needs_ocr = ?, extraction_error = ?, "
            "suggested_type = ? WHERE id = ?",
            [extracted.text, title, extracted.pages, int(extracted.needs_ocr), extracted.error,
             suggest_type(extracted.text, title, filename), doc_id])
    return True


@jobs.handler(EXTRACT_JOB)
def run(instance, job) -> dict:
    job.renew()
    done = read_text(job.db, store_for(instance), int(job.payload["document_id"]))
    return {"read": done}
