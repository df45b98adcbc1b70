"""Returned documents: storage, text extraction, classification, full-text search and publishing.

Files live in the content-addressed store (:mod:`foia.filestore`); a ``documents`` row links one
stored file to one request, with its metadata and extracted text. The same content uploaded to two
requests is stored once and has two rows; uploaded again to the same request it is recognised and
not added a second time (the unique index ``documents_request_sha256``).

A ZIP archive or an e-mail (EML) is kept as it arrived and its members (files in the archive,
attachments of the message) become documents of their own, linked by ``parent_id``. Archives are
checked against :data:`ZIP_LIMITS` before anything is unpacked, and a zip bomb is refused whole.

The MIME type is sniffed from the content (magic bytes), never taken from the browser; the file
name only decides between harmless text variants (plain text or CSV). Text comes from pypdf (PDF),
python-docx (DOCX), the ``email`` package (EML) and our own readers for text, CSV and HTML (tags
stripped, scripts and styles dropped). A PDF without a text layer, and any image, is flagged
``needs_ocr``; :func:`ocr_document` fills it in with Tesseract when ``tesseract`` (and, for PDFs,
``pdftoppm`` from poppler-utils) is installed.

Search is SQLite FTS5 (``documents_fts``, kept in sync by triggers) over title, file name, text,
agency name and state; the agency columns are copied into each row and kept current by triggers on
``agencies`` and ``requests``.
"""
import contextlib
import dataclasses
import datetime as dt
import email
import email.policy
import html
import io
import re
import shutil
import subprocess
import tempfile
import unicodedata
import warnings
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from markupsafe import Markup
from sqlite_utils.migrations import Migrations

from . import audit, clock
from .db import run_script, transaction
from .filestore import EmptyFile, TooLarge, human_size

migrations = Migrations("foia.documents")

DEFAULT_MAX_SIZE = 512 * 1024 * 1024
MAX_TEXT = 5_000_000  # characters of extracted text kept per document
MAX_PARSE_SIZE = 200 * 1024 * 1024  # PDFs, DOCX and e-mails larger than this are stored, not read
PER_PAGE = 20

DOC_TYPES = {
    "agreement": "Agreement / MOU",
    "correspondence": "Correspondence",
    "invoice": "Invoice / purchase",
    "training": "Training / policy",
    "video_request_log": "Video-request log",
    "other": "Other",
}


@dataclasses.dataclass(frozen=True)
class ZipLimits:
    members: int = 2000  # files in one archive (nested archives count towards their own)
    total_size: int = 2 * 1024 * 1024 * 1024  # uncompressed bytes unpacked from one upload
    ratio: int = 100  # uncompressed / compressed, for members over ``ratio_floor`` bytes
    ratio_floor: int = 1024 * 1024
    depth: int = 3  # archives within archives


ZIP_LIMITS = ZipLimits()

# Types served inline by the web layer; everything else is sent as an attachment.
INLINE_TYPES = frozenset({
    "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain", "text/csv",
    "video/mp4",
})
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/tiff", "image/webp"})


FTS_COLUMNS = ("title", "filename", "text", "agency_name", "agency_state")
FTS_WEIGHTS = "10.0, 5.0, 1.0, 3.0, 2.0"  # bm25 weights, in FTS_COLUMNS order: a title match counts most


class DocumentError(ValueError):
    """A document cannot be added or changed; the message says why."""


class NotFound(LookupError):
    pass


@migrations()
def m001_documents(db) -> None:
    run_script(
        db,
        """
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
            event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
            parent_id INTEGER REFERENCES documents(id) ON DELETE CASCADE,
            sha256 TEXT NOT NULL,
            filename TEXT NOT NULL,
            original_name TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL DEFAULT '',
            mime TEXT NOT NULL,
            size INTEGER NOT NULL,
            pages INTEGER,
            doc_type TEXT CHECK (doc_type IN
                ('agreement', 'correspondence', 'invoice', 'training', 'video_request_log', 'other')),
            suggested_type TEXT NOT NULL DEFAULT 'other',
            extraction_error TEXT NOT NULL DEFAULT '',
            needs_ocr INTEGER NOT NULL DEFAULT 0,
            ocr_done INTEGER NOT NULL DEFAULT 0,
            agency_name TEXT NOT NULL DEFAULT '',
            agency_state TEXT NOT NULL DEFAULT '',
            received_on TEXT NOT NULL,
            published INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
            published_at TEXT,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            text TEXT NOT NULL DEFAULT ''  -- last: reading the other columns never walks its overflow pages
        );
        CREATE UNIQUE INDEX documents_request_sha256 ON documents(request_id, sha256);
        CREATE INDEX documents_sha256 ON documents(sha256);
        CREATE INDEX documents_parent ON documents(parent_id);
        CREATE INDEX documents_event ON documents(event_id);
        CREATE INDEX documents_published ON documents(published, received_on);
        CREATE INDEX documents_received ON documents(received_on);
        CREATE INDEX documents_state ON documents(agency_state, received_on)
        """,
    )
    # Triggers one statement each: run_script splits on ";\n", which a trigger body contains.
    db.execute(
        "CREATE TRIGGER documents_agency_renamed AFTER UPDATE OF name, state ON agencies BEGIN "
        "UPDATE documents SET agency_name = new.name, agency_state = new.state "
        "WHERE request_id IN (SELECT id FROM requests WHERE agency_id = new.id); END"
    )
    db.execute(
        "CREATE TRIGGER documents_request_moved AFTER UPDATE OF agency_id ON requests BEGIN "
        "UPDATE documents SET agency_name = (SELECT name FROM agencies WHERE id = new.agency_id), "
        "agency_state = (SELECT state FROM agencies WHERE id = new.agency_id) WHERE request_id = new.id; END"
    )
    # The search index, laid out as sqlite-utils' ``enable_fts(..., create_triggers=True)`` makes it
    # (same table and trigger names, so ``db["documents"].detect_fts()`` and ``.search()`` work), plus
    # prefix indexes, which ``enable_fts`` cannot add: without them ``camer*`` scans every term.
    columns = ", ".join(FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    db.execute(
        f"CREATE VIRTUAL TABLE documents_fts USING FTS5 ({columns}, prefix='2 3 4', "
        f"tokenize='porter unicode61 remove_diacritics 2', content=[documents])"
    )
    db.execute(
        f"CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN "
        f"INSERT INTO documents_fts (rowid, {columns}) VALUES (new.rowid, {new}); END"
    )
    db.execute(
        f"CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN "
        f"INSERT INTO documents_fts (documents_fts, rowid, {columns}) VALUES ('delete', old.rowid, {old}); END"
    )
    db.execute(
        f"CREATE TRIGGER documents_au AFTER UPDATE OF {columns} ON documents BEGIN "
        f"INSERT INTO documents_fts (documents_fts, rowid, {columns}) VALUES ('delete', old.rowid, {old}); "
        f"INSERT INTO documents_fts (rowid, {columns}) VALUES (new.rowid, {new}); END"
    )
    db.execute("INSERT INTO documents_fts (documents_fts) VALUES ('rebuild')")


@migrations()
def m002_request_published_index(db) -> None:
    """Whether a request has (published) documents, answered from the index alone: the search and
    archive pages ask it for every agency in their filter menus."""
    db.execute("CREATE INDEX documents_request_published ON documents(request_id, published)")


# ---------------------------------------------------------------------------------------------
# File names and types


def safe_filename(name: str, default: str = "document") -> str:
    """The last path component of ``name`` without control or format characters.

    ``../../etc/passwd`` -> ``passwd``; ``C:\\\\x\\\\report.pdf`` -> ``report.pdf``; nothing left -> ``default``.
    """
    name = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*]', "_", re.sub(r"\s+", " ", name)).strip().lstrip(".").strip()
    if not name:
        return default
    if len(name) > 180:
        stem, dot, ext = name.rpartition(".")
        name = stem[: 179 - len(ext[:20])] + "." + ext[:20] if dot and len(ext) <= 20 else name[:180]
    return name


def one_line(text) -> str:
    """``text`` without control characters, its whitespace runs made single spaces."""
    return " ".join("".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in str(text or "")).split())


def _extension(filename: str) -> str:
    return filename.rpartition(".")[2].lower() if "." in filename else ""


_EMAIL_HEADERS = {
    "from", "to", "cc", "subject", "date", "received", "message-id", "mime-version", "return-path",
    "delivered-to", "reply-to", "sender", "x-mailer", "content-type",
}


def _looks_like_email(text: str) -> bool:
    names = []
    for line in text.splitlines():
        if not line.strip():
            break
        if line[:1] in " \t":  # folded header
            continue
        match = re.match(r"^([A-Za-z0-9-]+):", line)
        if not match:
            return False
        names.append(match.group(1).lower())
    known = {n for n in names if n in _EMAIL_HEADERS}
    return len(known) >= 2 and bool(known & {"from", "received", "message-id", "mime-version"})


def _text_head(head: bytes) -> str | None:
    """``head`` decoded, if it looks like text; otherwise None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "replace")
    if b"\x00" in head:
        return None
    for cut in range(4):  # the sample may end inside a multi-byte character
        try:
            return head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return head.decode("cp1252", "replace") if controls <= len(head) // 100 else None


def sniff(f, filename: str = "") -> str:
    """The MIME type of the content of the seekable binary file ``f``, from its bytes."""
    f.seek(0)
    head = f.read(8192)
    f.seek(0)
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(f)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/x-ole-storage"  # old Word/Excel/Outlook files
    if head.startswith(b"{\\rtf"):
        return "application/rtf"
    if head.startswith((b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")):
        return "application/octet-stream"
    text = _text_head(head)
    if text is None:
        return "application/octet-stream"
    start = text.lstrip("\ufeff \t\r\n")[:1024].lower()
    if start.startswith("<?xml") or start.startswith("<svg"):
        return "image/svg+xml" if "<svg" in start else "application/xml"
    if start.startswith(("<!doctype html", "<html", "<head", "<body")) or re.search(
        r"<(html|head|body|script|iframe|meta|style)\b", start
    ):
        return "text/html"
    ext = _extension(filename)
    if ext in ("html", "htm", "xhtml", "shtml", "svg", "xml", "js", "mht", "mhtml"):
        return "text/html"  # never shown inline, whatever it holds
    if _looks_like_email(text.lstrip("\ufeff")):
        return "message/rfc822"
    if ext == "csv":
        return "text/csv"
    return "text/plain"


def _sniff_zip(f) -> str:
    try:
        with zipfile.ZipFile(f) as zf:
            names = set(zf.namelist())
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
            if "ppt/presentation.xml" in names:
                return PPTX
            if "mimetype" in names and "META-INF/manifest.xml" in names:
                return "application/vnd.oasis.opendocument"
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "application/octet-stream"
    finally:
        f.seek(0)
    return "application/zip"


def inline_safe(mime: str) -> bool:
    """Whether a browser may display this type in place (anything else is an attachment)."""
    return mime in INLINE_TYPES


# ---------------------------------------------------------------------------------------------
# Text extraction


@dataclasses.dataclass
class Extracted:
    text: str = ""
    title: str = ""
    pages: int | None = None
    needs_ocr: bool = False
    error: str = ""
    members: list = dataclasses.field(default_factory=list)  # (name, file object opener) pairs


def decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start >= len(data) - 3:  # cut inside a character at the end of a sample
            return data[: e.start].decode("utf-8")
        return data.decode("cp1252", "replace")


def clean_text(text: str) -> str:
    """Control characters removed (except tab and newline), blank-line runs shortened, capped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()[:MAX_TEXT]


class _HTMLText(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "svg", "iframe", "object"}
    BLOCK = {
        "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
        "article", "header", "footer", "blockquote", "pre", "hr", "dt", "dd", "title",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False
        self.length = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        elif tag == "title":
            self._in_title = False
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if self._skip:
            return
        if self._in_title:
            self.title += data
            return
        self.parts.append(data)
        self.length += len(data)


def html_to_text(source: str) -> tuple[str, str]:
    """(text, title) of an HTML document; scripts, styles and markup dropped."""
    parser = _HTMLText()
    for start in range(0, len(source), 65536):
        parser.feed(source[start : start + 65536])
        if parser.length > MAX_TEXT:
            break
    parser.close()
    text = "".join(parser.parts)
    text = "\n".join(re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n"))
    return clean_text(text), " ".join(parser.title.split())


def _read_text(f, limit: int = MAX_TEXT * 2) -> tuple[str, bool]:
    data = f.read(limit + 1)
    return decode_text(data[:limit]), len(data) > limit


def _extract_pdf(f) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    out = Extracted()
    try:
        reader = PdfReader(f)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError):
                opened = 0
            if not opened:
                out.error = "The PDF is encrypted with a password; its text could not be read."
                return out
        out.pages = len(reader.pages)
        with contextlib.suppress(Exception):
            out.title = str((reader.metadata or {}).get("/Title") or "").strip()
        texts, empty, failed, length = [], 0, 0, 0
        for page in reader.pages:
            try:
                page_text = page.extract_text() or ""
            except Exception:  # one bad page must not lose the others
                page_text, failed = "", failed + 1
            if not page_text.strip():
                empty += 1
            texts.append(page_text)
            length += len(page_text)
            if length > MAX_TEXT:
                break
        out.text = clean_text("\n\n".join(texts))
        if failed:
            out.error = f"The text of {failed} page(s) could not be read."
        if out.pages and empty * 2 >= out.pages:
            out.needs_ocr = True
    except (FileNotDecryptedError,) as e:
        out.error = f"The PDF is encrypted; its text could not be read ({e})."
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError, AssertionError, ZeroDivisionError) as e:
        out.error = f"The PDF is damaged or not a PDF; its text could not be read ({type(e).__name__}: {e})."
        out.text = ""
    return out


def _extract_docx(f) -> Extracted:
    import docx

    out = Extracted()
    try:
        document = docx.Document(f)
    except Exception as e:  # python-docx raises many kinds for a broken package
        out.error = f"The DOCX file is damaged; its text could not be read ({type(e).__name__}: {e})."
        return out
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    out.text = clean_text("\n".join(parts))
    out.title = (document.core_properties.title or "").strip()
    return out


def _extract_email(f) -> Extracted:
    out = Extracted()
    try:
        message = email.message_from_binary_file(f, policy=email.policy.default)
    except Exception as e:
        out.error = f"The e-mail could not be read ({type(e).__name__}: {e})."
        return out
    lines = []
    for header in ("From", "To", "Cc", "Date", "Subject"):
        with contextlib.suppress(Exception):
            if message[header]:
                lines.append(f"{header}: {message[header]}")
    with contextlib.suppress(Exception):
        out.title = one_line(message["Subject"] or "")
    body = None
    with contextlib.suppress(Exception):
        body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        content = _part_text(body)
        if body.get_content_subtype() == "html":
            content = html_to_text(content)[0]
        lines += ["", content]
    out.text = clean_text("\n".join(lines))
    for number, part in enumerate(message.iter_attachments(), 1):
        name = part.get_filename() or f"attachment-{number}"
        payload = part.get_payload(decode=True)
        if payload is None and part.is_multipart():  # an attached message
            payload = part.as_bytes()
        if payload:
            out.members.append((name, lambda data=payload: io.BytesIO(data)))
    return out


def _part_text(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return content if isinstance(content, str) else decode_text(content)


def _extract_zip(f, limits: ZipLimits) -> Extracted:
    out = Extracted()
    try:
        zf = zipfile.ZipFile(f)
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        out.error = f"The ZIP archive is damaged; it was stored but not unpacked ({e})."
        return out
    check_zip(infos, limits)
    skipped = []
    listing = []
    for info in infos:
        listing.append(info.filename)
        base = info.filename.rsplit("/", 1)[-1]
        if info.filename.startswith("__MACOSX/") or base in (".DS_Store", "Thumbs.db"):
            continue
        if info.flag_bits & 0x1:
            skipped.append(f"{info.filename} (encrypted)")
            continue
        out.members.append((info.filename, lambda info=info: zf.open(info)))
    out.text = clean_text("\n".join(listing))
    if skipped:
        out.error = "Not unpacked: " + "; ".join(skipped)
    return out


def check_zip(infos: list, limits: ZipLimits = ZIP_LIMITS) -> None:
    """Refuse an archive whose directory announces too many members, too much data or a
    compression ratio no real document reaches (a zip bomb)."""
    if len(infos) > limits.members:
        raise DocumentError(
            f"The ZIP archive has {len(infos)} files; the limit is {limits.members}. It was not added."
        )
    total = sum(i.file_size for i in infos)
    if total > limits.total_size:
        raise DocumentError(
            f"The ZIP archive would unpack to {human_size(total)}, more than the limit of "
            f"{human_size(limits.total_size)}; it looks like a zip bomb and was not added."
        )
    for info in infos:
        if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise DocumentError(
                f"{info.filename!r} in the ZIP archive is compressed {info.file_size // max(info.compress_size, 1)}"
                f" to 1 (limit {limits.ratio} to 1); the archive looks like a zip bomb and was not added."
            )


def extract(f, mime: str, *, limits: ZipLimits = ZIP_LIMITS, size: int = 0) -> Extracted:
    """Text (and, for archives and e-mails, members) of the seekable file ``f`` of type ``mime``."""
    f.seek(0)
    if mime in ("application/pdf", DOCX, "message/rfc822") and size > MAX_PARSE_SIZE:
        return Extracted(error=f"Files of this type over {human_size(MAX_PARSE_SIZE)} are stored but not read.")
    # Parsers of untrusted files may warn about what they find; a warning is not an error here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mime == "application/pdf":
            return _extract_pdf(f)
        if mime == DOCX:
            return _extract_docx(f)
        if mime == "application/zip":
            return _extract_zip(f, limits)
        if mime == "message/rfc822":
            return _extract_email(f)
    if mime in IMAGE_TYPES:
        return Extracted(needs_ocr=True)
    if mime == "text/html":
        text, truncated = _read_text(f)
        text, title = html_to_text(text)
        return Extracted(text=text, title=title)
    if mime in ("text/plain", "text/csv"):
        text, truncated = _read_text(f, MAX_TEXT)
        return Extracted(text=clean_text(text), error="Only the beginning of the text was kept." if truncated else "")
    return Extracted()


# ---------------------------------------------------------------------------------------------
# Classification

RULES = {
    "agreement": (
        (r"memorandum of (understanding|agreement)", 4), (r"\bmou\b", 3), (r"\bagreement\b", 2),
        (r"hereby agree", 3), (r"parties agree", 3), (r"terms and conditions", 2), (r"terms of service", 2),
        (r"partnership", 1), (r"\bindemnif", 2), (r"in witness whereof", 3),
    ),
    "correspondence": (
        (r"^from:", 2), (r"^to:", 1), (r"^subject:", 2), (r"^sent:", 2), (r"^date:", 1), (r"\bdear\b", 2),
        (r"\bsincerely\b", 2), (r"\bregards\b", 1), (r"^re:", 1), (r"^cc:", 1),
    ),
    "invoice": (
        (r"\binvoice\b", 4), (r"purchase order", 4), (r"amount due", 3), (r"total due", 3), (r"bill to", 3),
        (r"\bremit", 2), (r"\bsubtotal\b", 2), (r"\bquote\b", 1), (r"payment terms", 2), (r"\bp\.?o\.? #", 2),
    ),
    "training": (
        (r"\btraining\b", 3), (r"\bpolicy\b", 2), (r"\bprocedures?\b", 2), (r"general order", 4),
        (r"\bguidelines?\b", 2), (r"\bdirective\b", 2), (r"best practices", 2), (r"\bcurriculum\b", 2),
        (r"\bwebinar\b", 2), (r"\bslides?\b", 1),
    ),
    "video_request_log": (
        (r"video requests?", 4), (r"requests? for (video|footage)", 4), (r"footage requests?", 4),
        (r"neighbors (public safety )?portal", 3), (r"request log", 3), (r"camera owners?", 2),
        (r"\bcase (number|#)", 1), (r"requested footage", 3), (r"\brequest id\b", 2),
    ),
}
_COMPILED = {kind: [(re.compile(p, re.I | re.M), w) for p, w in rules] for kind, rules in RULES.items()}


def suggest_type(text: str, title: str = "", filename: str = "") -> str:
    """A document type guessed from keywords (weighted, each counted up to three times);
    ``other`` when nothing scores at least 4."""
    sample = "\n".join((title, filename.replace("_", " ").replace("-", " "), text[:20000]))
    best, best_score = "other", 3
    for kind, rules in _COMPILED.items():
        score = sum(w * min(len(rx.findall(sample)), 3) for rx, w in rules)
        if score > best_score:
            best, best_score = kind, score
    return best


# ---------------------------------------------------------------------------------------------
# Adding documents


@dataclasses.dataclass
class _Item:
    sha256: str
    size: int
    filename: str
    original_name: str
    mime: str = "application/octet-stream"
    title: str = ""
    extracted: Extracted = dataclasses.field(default_factory=Extracted)
    children: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Added:
    """The outcome of :func:`add_document`: the top document's id, whether it was already attached
    to the request (``duplicate``), the ids of member documents added, and notes for the user."""

    id: int
    duplicate: bool = False
    member_ids: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)


def request_summary(db, request_id) -> dict:
    """The request's id, title, agency name and state; :class:`DocumentError` if there is none."""
    rows = list(db.query(
        "SELECT r.id, r.title, a.name AS agency_name, a.state AS agency_state FROM requests r "
        "JOIN agencies a ON a.id = r.agency_id WHERE r.id = ?", [request_id]))
    if not rows:
        raise DocumentError(f"There is no request {request_id}.")
    return rows[0]


def _check_date(value, what="received date") -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise DocumentError(f"The {what} {value!r} is not a date (YYYY-MM-DD).") from None


def add_document(db, store, request_id: int, fileobj, filename: str, *, event_id: int | None = None,
                 received_on=None, actor: int | None = None, max_size: int = DEFAULT_MAX_SIZE,
                 doc_type: str | None = None, title: str | None = None,
                 limits: ZipLimits = ZIP_LIMITS) -> Added:
    """Store ``fileobj`` (read in chunks) and attach it to the request; return an :class:`Added`.

    Raises :class:`DocumentError` for an empty file, a file over ``max_size``, an unknown request or
    event, or a refused archive; then no row is written and no stored file is left behind (one that
    other documents already use stays). An exception raised while reading ``fileobj`` (a broken
    upload) propagates after the same clean-up.
    """
    request = request_summary(db, request_id)
    if doc_type not in (None, "") and doc_type not in DOC_TYPES:
        raise DocumentError(f"Unknown document type {doc_type!r}; choose one of {', '.join(DOC_TYPES)}.")
    event_date = None
    if event_id not in (None, ""):
        rows = list(db.query("SELECT id, occurred_on FROM events WHERE id = ? AND request_id = ?",
                             [event_id, request_id]))
        if not rows:
            raise DocumentError(f"Event {event_id} is not on the timeline of request {request_id}.")
        event_id, event_date = rows[0]["id"], rows[0]["occurred_on"]
    else:
        event_id = None
    received = _check_date(received_on) if received_on else (event_date or clock.today().isoformat())

    touched: list[str] = []
    try:
        item = _ingest(store, fileobj, filename, max_size, touched, limits, depth=0, budget=[limits.total_size])
        with transaction(db):
            existing = _existing(db, request_id, item.sha256)
            if existing:
                added = Added(id=existing, duplicate=True,
                              notes=[f"{item.filename} is already attached to this request (document {existing})."])
            else:
                added = Added(id=0)
                row = dict(request_id=request_id, event_id=event_id, received=received, actor=actor,
                           agency=request, seen=set())
                added.id = _insert(db, item, None, row, added, doc_type=doc_type or None, title=title)
                audit.record(db, "document.add", user_id=actor, object_type="document", object_id=added.id,
                             detail={"request_id": request_id, "sha256": item.sha256, "filename": item.filename,
                                     "members": len(added.member_ids)})
    except TooLarge as e:
        _discard(db, store, touched)
        raise DocumentError(f"{safe_filename(filename)}: {e}; it was not added.") from None
    except EmptyFile:
        _discard(db, store, touched)
        raise DocumentError(f"{safe_filename(filename)} is empty (0 bytes); it was not added.") from None
    except BaseException:
        _discard(db, store, touched)
        raise
    return added


def _ingest(store, fileobj, name, max_size, touched, limits, *, depth, budget) -> _Item:
    sha256, size = store.put_stream(fileobj, max_size)
    touched.append(sha256)
    item = _Item(sha256=sha256, size=size, filename=safe_filename(name), original_name=str(name)[:1000])
    with store.open(sha256) as f:
        item.mime = sniff(f, item.filename)
        if item.mime == "application/zip" and depth >= limits.depth:
            raise DocumentError(f"{item.filename}: archives are nested more than {limits.depth} deep; not added.")
        item.extracted = extract(f, item.mime, limits=limits, size=size)
        for member_name, opener in item.extracted.members:
            with opener() as member:
                try:
                    child = _ingest(store, member, member_name, min(max_size, budget[0]), touched, limits,
                                    depth=depth + 1, budget=budget)
                except EmptyFile:
                    continue
                except TooLarge:
                    raise DocumentError(
                        f"{item.filename}: {member_name!r} unpacks to more than allowed; "
                        "the archive looks like a zip bomb and was not added.") from None
                except zipfile.BadZipFile as e:
                    raise DocumentError(f"{item.filename}: {member_name!r} is damaged ({e}); not added.") from None
                except NotImplementedError as e:  # a compression method zipfile cannot read
                    note = f"{one_line(member_name)} ({e})"
                    item.extracted.error = "; ".join(filter(None, [item.extracted.error, "Not unpacked: " + note]))
                    continue
            budget[0] -= child.size
            child.title = one_line(member_name) if item.mime == "application/zip" else child.filename
            item.children.append(child)
        item.extracted.members = []
    return item


def _existing(db, request_id, sha256) -> int | None:
    row = db.execute("SELECT id FROM documents WHERE request_id = ? AND sha256 = ?", [request_id, sha256]).fetchone()
    return row[0] if row else None


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
    row["seen"].add(item.sha256)
    for child in item.children:
        if child.sha256 in row["seen"]:
            continue
        other = _existing(db, row["request_id"], child.sha256)
        if other:
            added.notes.append(f"{child.title} is already attached to this request (document {other}).")
            continue
        added.member_ids.append(_insert(db, child, doc_id, row, added))
    return doc_id


def _discard(db, store, shas) -> None:
    """Remove stored files of a failed upload that no document refers to."""
    for sha256 in set(shas):
        row = db.execute("SELECT 1 FROM documents WHERE sha256 = ? LIMIT 1", [sha256]).fetchone()
        if row is None:
            store.delete(sha256)


# ---------------------------------------------------------------------------------------------
# Reading, classifying, publishing

_SELECT = """
    SELECT d.*, COALESCE(d.doc_type, d.suggested_type) AS effective_type, r.title AS request_title,
           r.agency_id AS agency_id
    FROM documents d JOIN requests r ON r.id = d.request_id
"""


def get(db, doc_id) -> dict:
    rows = list(db.query(_SELECT + " WHERE d.id = ?", [doc_id]))
    if not rows:
        raise NotFound(f"There is no document {doc_id}.")
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
    doc_type = doc_type or None
    if doc_type is not None and doc_type not in DOC_TYPES:
        raise DocumentError(f"Unknown document type {doc_type!r}; choose one of {', '.join(DOC_TYPES)}.")
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
    that refer to the file."""
    refs: dict = {}
    for row in db.query("SELECT id, sha256 FROM documents ORDER BY id"):
        refs.setdefault(row["sha256"], []).append(row["id"])
    return [
        {"sha256": p.sha256, "kind": p.kind, "detail": p.detail, "documents": refs.get(p.sha256, [])}
        for p in store.verify_all(refs)
    ]


def stats(db) -> dict:
    row = db.execute("SELECT count(*), count(DISTINCT sha256), COALESCE(sum(published), 0) FROM documents").fetchone()
    return {"documents": row[0], "files": row[1], "published": row[2]}


# ---------------------------------------------------------------------------------------------
# Search

_MARK_START, _MARK_END = "\x02", "\x03"


def fts_query(q: str) -> str:
    """User words as a safe FTS5 query: every term quoted (so ``AND``, ``(``, ``:`` or a stray
    quote cannot make a syntax error). Kept: ``"exact phrases"``, ``prefix*``, ``OR`` between
    terms and ``-excluded`` terms. Returns ``""`` when nothing searchable is left."""
    positives: list[str] = []
    negatives: list[str] = []
    pending_or = False
    q = re.sub(r"[\x00-\x1f\x7f]", " ", q or "")
    for match in re.finditer(r'(-?)"([^"]*)"?|(\S+)', q):
        negate, phrase, word = match.group(1), match.group(2), match.group(3)
        if word == "OR":
            pending_or = bool(positives)
            continue
        if word is not None:
            negate = "-" if word.startswith("-") and len(word) > 1 else ""
            phrase = word[1:] if negate else word
        prefix = phrase.endswith("*")
        phrase = phrase.rstrip("*").strip()
        if not re.search(r"\w", phrase):
            continue
        term = '"' + phrase.replace('"', '""') + '"' + ("*" if prefix else "")
        if negate:
            negatives.append(term)
        elif pending_or:
            positives.append("OR " + term)
            pending_or = False
        else:
            positives.append(term)
    if not positives:
        return ""
    expression = " ".join(positives)
    if negatives:
        expression = f"({expression}) " + " ".join("NOT " + t for t in negatives)
    return expression


def highlight(raw: str) -> Markup:
    """A snippet marked with \\x02...\\x03 as safe HTML: the text escaped first, then the marks
    turned into ``<mark>`` (stored text never holds those control characters)."""
    return Markup(html.escape(raw).replace(_MARK_START, "<mark>").replace(_MARK_END, "</mark>"))


@dataclasses.dataclass
class Results:
    hits: list
    total: int
    page: int
    per_page: int
    query: str
    ranked: bool = True  # False: too many matches to rank, listed newest first

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# Matches beyond this many are not ranked (bm25 reads every match's positions: ~20 ms for 10,000
# documents of 5 KB); they are listed newest first and the page suggests narrowing the search.
RANK_LIMIT = 1000

_COLUMNS = (
    "d.id, d.request_id, d.parent_id, d.filename, d.title, d.mime, d.size, d.pages, d.doc_type, "
    "COALESCE(d.doc_type, d.suggested_type) AS effective_type, d.agency_name, d.agency_state, d.received_on, "
    "d.published, d.published_at, d.needs_ocr, r.title AS request_title, r.agency_id"
)


def search(db, q: str = "", *, state=None, agency_id=None, doc_type=None, date_from=None, date_to=None,
           published_only: bool = False, request_id=None, page: int = 1, per_page: int = PER_PAGE,
           rank_limit: int = RANK_LIMIT) -> Results:
    """Documents matching ``q`` and the filters, best first, with highlighted snippets.

    Up to ``rank_limit`` matches are ranked by bm25 (title, then file name, agency and state,
    then text); more are listed newest first (``Results.ranked`` is False). With no words, the
    filtered documents, most recently received first.
    """
    page = max(1, int(page or 1))
    where, params = [], []
    if state:
        where.append("d.agency_state = ?")
        params.append(str(state).upper())
    if agency_id:
        where.append("r.agency_id = ?")
        params.append(int(agency_id))
    if request_id:
        where.append("d.request_id = ?")
        params.append(int(request_id))
    if doc_type:
        where.append("COALESCE(d.doc_type, d.suggested_type) = ?")
        params.append(doc_type)
    if date_from:
        where.append("d.received_on >= ?")
        params.append(_check_date(date_from, "start date"))
    if date_to:
        where.append("d.received_on <= ?")
        params.append(_check_date(date_to, "end date"))
    if published_only:
        where.append("d.published = 1")
    filters = "".join(" AND " + w for w in where)
    offset = (page - 1) * per_page
    match = fts_query(q)
    joins = "JOIN requests r ON r.id = d.request_id"
    if not match:
        total = db.execute(f"SELECT count(*) FROM documents d {joins} WHERE 1 = 1{filters}", params).fetchone()[0]
        hits = list(db.query(
            f"SELECT {_COLUMNS}, substr(d.text, 1, 240) AS preview FROM documents d {joins} WHERE 1 = 1{filters} "
            f"ORDER BY d.received_on DESC, d.id DESC LIMIT ? OFFSET ?", [*params, per_page, offset]))
        for hit in hits:
            preview = " ".join((hit.pop("preview") or "").split())
            hit["snippet_html"] = Markup(html.escape(preview))
            hit["snippet"] = preview
        return Results(hits=hits, total=total, page=page, per_page=per_page, query=q or "")

    matches = db.execute("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", [match]).fetchone()[0]
    ranked = matches <= rank_limit
    from_fts = f"FROM documents_fts f JOIN documents d ON d.id = f.rowid {joins} WHERE documents_fts MATCH ?{filters}"
    if not where:
        total = matches
    else:
        total = db.execute(  # driven by the filters' indexes, probing the set of matches
            f"SELECT count(*) FROM documents d {joins} WHERE d.id IN "
            f"(SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?){filters}", [match, *params]).fetchone()[0]
    if ranked:
        sql = (f"SELECT {_COLUMNS}, bm25(documents_fts, {FTS_WEIGHTS}) AS score {from_fts} "
               f"ORDER BY score, d.id LIMIT ? OFFSET ?")
    else:
        sql = f"SELECT {_COLUMNS} {from_fts} ORDER BY f.rowid DESC LIMIT ? OFFSET ?"
    hits = list(db.query(sql, [match, *params, per_page, offset])) if offset < total else []
    for hit in hits:
        row = db.execute(
            "SELECT snippet(documents_fts, -1, ?, ?, '…', 24) FROM documents_fts "
            "WHERE documents_fts MATCH ? AND rowid = ?", [_MARK_START, _MARK_END, match, hit["id"]]).fetchone()
        raw = row[0] if row else ""
        hit["snippet_html"] = highlight(raw)
        hit["snippet"] = raw.replace(_MARK_START, "").replace(_MARK_END, "")
    return Results(hits=hits, total=total, page=page, per_page=per_page, query=q or "", ranked=ranked)


def archive(db, q: str = "", *, page: int = 1, per_page: int = 50, **filters) -> Results:
    """Published documents only (the public archive)."""
    return search(db, q, published_only=True, page=page, per_page=per_page, **filters)


# ---------------------------------------------------------------------------------------------
# OCR (optional)


def ocr_available(mime: str = "application/pdf") -> bool:
    """Tesseract is installed (and, for PDFs, pdftoppm to turn pages into images)."""
    if shutil.which("tesseract") is None:
        return False
    return mime != "application/pdf" or shutil.which("pdftoppm") is not None


def _tesseract(image: Path, timeout: int) -> str:
    done = subprocess.run(["tesseract", str(image), "stdout"], capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise DocumentError(f"Tesseract failed: {done.stderr.decode('utf-8', 'replace').strip()[:300]}")
    return done.stdout.decode("utf-8", "replace")


def ocr_document(db, store, doc_id, *, actor=None, timeout: int = 600) -> str:
    """Read the text of a scanned PDF or an image with Tesseract and store it; returns the text."""
    doc = get(db, doc_id)
    if doc["mime"] not in IMAGE_TYPES and doc["mime"] != "application/pdf":
        raise DocumentError(f"Document {doc_id} is {doc['mime']}; only PDFs and images can be read by OCR.")
    if not ocr_available(doc["mime"]):
        raise DocumentError("OCR needs Tesseract (`tesseract`), and pdftoppm (poppler-utils) for PDFs; "
                            "install them to read scanned documents.")
    with tempfile.TemporaryDirectory(prefix="foia-ocr-") as tmp:
        tmp = Path(tmp)
        source = tmp / "source"
        with store.open(doc["sha256"]) as f, open(source, "wb") as out:
            shutil.copyfileobj(f, out)
        if doc["mime"] == "application/pdf":
            done = subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", str(source), str(tmp / "page")],
                                  capture_output=True, timeout=timeout, check=False)
            if done.returncode != 0:
                raise DocumentError(f"pdftoppm could not render the PDF: {done.stderr.decode('utf-8', 'replace')[:300]}")
            images = sorted(tmp.glob("page-*.png"))
        else:
            images = [source]
        text = clean_text("\n\n".join(_tesseract(image, timeout) for image in images))
    existing = doc["text"] or ""
    combined = clean_text((existing + "\n\n" + text) if existing.strip() else text)
    with transaction(db):
        db.execute(
            "UPDATE documents SET text = ?, needs_ocr = 0, ocr_done = 1, suggested_type = ? WHERE id = ?",
            [combined, suggest_type(combined, doc["title"], doc["filename"]), doc_id],
        )
        audit.record(db, "document.ocr", user_id=actor, object_type="document", object_id=doc_id)
    return text
