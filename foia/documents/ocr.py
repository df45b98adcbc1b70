"""OCR of scanned PDFs and images with Tesseract, run as the ``document.ocr`` job.

A PDF without a text layer, and any image, is flagged ``needs_ocr`` when it is added. The web page
and the CLI ask for OCR with :func:`request_ocr` (one live job per document) and show the job's
state (:func:`ocr_job`); ``foia documents ocr ID --wait`` runs the job inline. The job is resumable:
a document already read (``ocr_done``) is skipped, so its text is never appended twice.

Needs ``tesseract``, and ``pdftoppm`` (poppler-utils) for PDFs; without them OCR is unavailable and
the pages say so.
"""
import shutil
import subprocess
import tempfile
from pathlib import Path

from .. import audit, jobs
from ..db import transaction
from ..errors import Conflict, Invalid
from ..filestore import store_for
from .catalog import get
from .classify import suggest_type
from .extract import clean_text
from .sniff import IMAGE_TYPES

OCR_JOB = "document.ocr"
MAX_OCR_PAGES = 500  # pages of one PDF rendered for OCR
TIMEOUT = 90  # seconds for one step (rendering one page, reading one page): under the job's lease


def ocr_available(mime: str = "application/pdf") -> bool:
    """Tesseract is installed (and, for PDFs, pdftoppm to turn pages into images)."""
    if shutil.which("tesseract") is None:
        return False
    return mime != "application/pdf" or shutil.which("pdftoppm") is not None


def check_ocr(doc: dict) -> None:
    """Refuse OCR of a document it cannot help, or when the tools are missing."""
    if doc["mime"] not in IMAGE_TYPES and doc["mime"] != "application/pdf":
        raise Invalid("document", f"Document {doc['id']} is not a PDF or an image; only those can be read by OCR.")
    if not ocr_available(doc["mime"]):
        raise Conflict("OCR is not set up on this server: it needs Tesseract (`tesseract`), and pdftoppm "
                       "(poppler-utils) for PDFs.")


def _key(doc_id) -> str:
    return f"ocr:{int(doc_id)}"


def request_ocr(db, doc_id, *, actor=None) -> int:
    """Queue OCR of a document (at most one live job per document); returns the job id."""
    doc = get(db, doc_id)
    check_ocr(doc)
    return jobs.enqueue(db, OCR_JOB, {"document_id": doc["id"]}, key=_key(doc["id"]), actor=actor)


def ocr_job(db, doc_id) -> dict | None:
    """The newest OCR job of the document (its ``state``, progress and ``error``), or None."""
    return jobs.latest(db, _key(doc_id))


def _tesseract(image: Path, timeout: int) -> str:
    done = subprocess.run(["tesseract", str(image), "stdout"], capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"Tesseract failed: {done.stderr.decode('utf-8', 'replace').strip()[:300]}")
    return done.stdout.decode("utf-8", "replace")


def _render_page(source: Path, number: int, out: Path, timeout: int) -> Path | None:
    """Page ``number`` of the PDF as a PNG, or None past the last page."""
    prefix = out / f"page-{number:05}"
    done = subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", "-f", str(number),
                           "-l", str(number), str(source), str(prefix)],
                          capture_output=True, timeout=timeout, check=False)
    image = prefix.with_suffix(".png")
    if done.returncode == 0 and image.is_file():
        return image
    if number > 1 and b"page range" in done.stderr.lower():
        return None
    raise RuntimeError(f"pdftoppm could not render page {number} of the PDF: "
                       f"{done.stderr.decode('utf-8', 'replace').strip()[:300]}")


def ocr_document(db, store, doc_id, *, actor=None, timeout: int = TIMEOUT, progress=None) -> str:
    """Read the text of a scanned PDF or an image with Tesseract and store it; returns the text
    read ("" if the document was read before). A PDF is rendered and read one page at a time, each
    step within ``timeout`` seconds; ``progress(done, total)`` is called after each page."""
    doc = get(db, doc_id)
    if doc["ocr_done"]:
        return ""
    check_ocr(doc)
    with tempfile.TemporaryDirectory(prefix="foia-ocr-") as tmp:
        tmp = Path(tmp)
        source = tmp / "source"
        with store.open(doc["sha256"]) as f, open(source, "wb") as out:
            shutil.copyfileobj(f, out)
        texts = []
        if doc["mime"] == "application/pdf":
            total = min(doc["pages"] or MAX_OCR_PAGES, MAX_OCR_PAGES)
            for number in range(1, total + 1):
                image = _render_page(source, number, tmp, timeout)
                if image is None:
                    break
                texts.append(_tesseract(image, timeout))
                image.unlink()
                if progress is not None:
                    progress(number, total)
        else:
            texts.append(_tesseract(source, timeout))
            if progress is not None:
                progress(1, 1)
        text = clean_text("\n\n".join(texts))
    existing = doc["text"] or ""
    combined = clean_text((existing + "\n\n" + text) if existing.strip() else text)
    with transaction(db):
        cursor = db.execute(
            "UPDATE documents SET text = ?, needs_ocr = 0, ocr_done = 1, suggested_type = ? "
            "WHERE id = ? AND ocr_done = 0",
            [combined, suggest_type(combined, doc["title"], doc["filename"]), doc["id"]],
        )
        if cursor.rowcount:
            audit.record(db, "document.ocr", user_id=actor, object_type="document", object_id=doc["id"])
    return text


@jobs.handler(OCR_JOB)
def run(instance, job) -> dict:
    text = ocr_document(job.db, store_for(instance), int(job.payload["document_id"]), actor=job.created_by,
                        progress=lambda done, total: job.progress(done, total, f"page {done} of {total}"))
    return {"characters": len(text)}
