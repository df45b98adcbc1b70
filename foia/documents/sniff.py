"""What a file is, decided from its bytes (never from the browser's claim).

Container structure decides first: a ZIP signature at the start makes a ZIP (or an Office file),
whatever its first member holds; e-mail headers at the start make an e-mail, even if its body is
HTML. Only then are markers looked for further in (``%PDF-`` within the first KB, HTML tags). The
file name only chooses between harmless text variants (plain text or CSV), or forces HTML-like
names to be treated as HTML (never shown inline).
"""
import re
import zipfile

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/tiff", "image/webp"})
# Types a browser may display in place; everything else is sent as an attachment.
INLINE_TYPES = frozenset({
    "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain", "text/csv",
    "video/mp4",
})

_EMAIL_HEADERS = {
    "from", "to", "cc", "subject", "date", "received", "message-id", "mime-version", "return-path",
    "delivered-to", "reply-to", "sender", "x-mailer", "content-type",
}


def inline_safe(mime: str) -> bool:
    """Whether a browser may display this type in place (anything else is an attachment)."""
    return mime in INLINE_TYPES


def extension(filename: str) -> str:
    return filename.rpartition(".")[2].lower() if "." in filename else ""


def looks_like_email(text: str) -> bool:
    """Whether ``text`` starts with an RFC 5322 header block naming a sender or a route."""
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


def text_head(head: bytes) -> str | None:
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


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\x1aE\xdf\xa3", "video/webm"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # old Word/Excel/Outlook files
    (b"{\\rtf", "application/rtf"),
    (b"\x1f\x8b", "application/octet-stream"),
    (b"7z\xbc\xaf", "application/octet-stream"),
    (b"Rar!", "application/octet-stream"),
)


def sniff(f, filename: str = "") -> str:
    """The MIME type of the content of the seekable binary file ``f``, from its bytes."""
    f.seek(0)
    head = f.read(8192)
    f.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # the container, before anything it holds
        return _sniff_zip(f)
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    if b"%PDF-" in head[:1024]:  # readers accept a PDF header after some junk
        return "application/pdf"
    text = text_head(head)
    if text is None:
        return "application/octet-stream"
    ext = extension(filename)
    if ext not in ("html", "htm", "xhtml", "shtml", "svg", "xml", "js", "mht", "mhtml") and looks_like_email(
        text.lstrip("\ufeff")
    ):
        return "message/rfc822"  # a header block first: an e-mail, whatever its body holds
    start = text.lstrip("\ufeff \t\r\n")[:1024].lower()
    if start.startswith("<?xml") or start.startswith("<svg"):
        return "image/svg+xml" if "<svg" in start else "application/xml"
    if start.startswith(("<!doctype html", "<html", "<head", "<body")) or re.search(
        r"<(html|head|body|script|iframe|meta|style)\b", start
    ):
        return "text/html"
    if ext in ("html", "htm", "xhtml", "shtml", "svg", "xml", "js", "mht", "mhtml"):
        return "text/html"  # never shown inline, whatever it holds
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


FILE_KINDS = {
    "application/pdf": "PDF", DOCX: "Word document", XLSX: "Excel spreadsheet", PPTX: "PowerPoint slides",
    "application/zip": "ZIP archive", "message/rfc822": "E-mail", "text/plain": "Text", "text/csv": "Spreadsheet (CSV)",
    "text/html": "Web page", "application/xml": "XML file", "image/svg+xml": "Drawing (SVG)",
    "application/rtf": "Rich text document", "application/x-ole-storage": "Older Office file",
    "image/png": "Picture (PNG)", "image/jpeg": "Photo (JPEG)", "image/gif": "Picture (GIF)",
    "image/tiff": "Scan (TIFF)", "image/webp": "Picture (WebP)", "video/mp4": "Video (MP4)",
    "video/quicktime": "Video (QuickTime)", "video/webm": "Video (WebM)", "video/x-msvideo": "Video (AVI)",
}


def file_kind(mime: str) -> str:
    """What a file is, in words: ``application/pdf`` -> ``PDF``; an unknown type -> ``File``."""
    return FILE_KINDS.get(mime or "", "File")
