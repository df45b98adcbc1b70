"""Reading files: the text of PDFs, DOCX, e-mails, HTML and plain text, and the members of
containers (files in a ZIP archive, attachments of an e-mail).

Everything here is pure: a file object in, an :class:`Extracted` out, nothing stored. Parsers that
can be made to run for minutes by a small crafted file (pypdf, python-docx) are run in a child
process with limits by :mod:`.sandbox`; this module only applies the limits it can check itself
(pages, repeated page objects, archive sizes and ratios, nesting).
"""
import contextlib
import dataclasses
import email
import email.policy
import io
import re
import warnings
import zipfile
from html.parser import HTMLParser

from ..errors import Invalid
from ..filestore import human_size
from .names import one_line
from .sniff import DOCX, IMAGE_TYPES

MAX_TEXT = 5_000_000  # characters of extracted text kept per document
MAX_PARSE_SIZE = 200 * 1024 * 1024  # PDFs, DOCX and e-mails larger than this are stored, not read
# Types whose text is read in a child process with limits (see .sandbox).
SANDBOXED = frozenset({"application/pdf", DOCX})
# Types whose text is read in-process: linear in their size, and capped.
CONTAINERS = frozenset({"application/zip", "message/rfc822"})


@dataclasses.dataclass(frozen=True)
class ZipLimits:
    """Caps on what one upload may unpack to; e-mail attachments count as members too."""

    members: int = 2000  # files in one archive or attachments of one message
    total_size: int = 2 * 1024 * 1024 * 1024  # uncompressed bytes unpacked from one upload
    ratio: int = 100  # uncompressed / compressed, for one member or the whole archive
    ratio_floor: int = 1024 * 1024  # a member (or archive) unpacking to less is never a bomb
    depth: int = 3  # containers within containers


ZIP_LIMITS = ZipLimits()


@dataclasses.dataclass(frozen=True)
class ExtractLimits:
    """Limits on reading one PDF or DOCX (applied by :mod:`.sandbox`)."""

    seconds: float = 90.0  # wall-clock time; under the job runner's lease (foia.jobs.LEASE)
    cpu_seconds: int = 60
    memory: int = 1024 * 1024 * 1024  # address space of the child process, bytes
    pages: int = 5000


EXTRACT_LIMITS = ExtractLimits()


class LimitReached(Exception):
    """Reading stopped at a limit; ``str()`` says which one, for people."""


@dataclasses.dataclass
class Extracted:
    text: str = ""
    title: str = ""
    pages: int | None = None
    needs_ocr: bool = False
    error: str = ""
    limit: str = ""  # which limit stopped the reading, in words ("" if none)
    members: list = dataclasses.field(default_factory=list)  # (name, file object opener) pairs

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("text", "title", "pages", "needs_ocr", "error", "limit")}


def limit_reached(what: str) -> Extracted:
    return Extracted(error=f"Text not extracted: limit reached ({what}).", limit=what)


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


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def extract_pdf(f, limits: ExtractLimits = EXTRACT_LIMITS) -> Extracted:
    """Text of a PDF, page by page. Refused before any page is read: a page tree claiming more than
    ``limits.pages`` pages, or listing the same page object more than once (a real PDF never
    does; a crafted one repeats one heavy page thousands of times)."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PdfReadError

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
        with contextlib.suppress(Exception):
            claimed = int(reader.trailer["/Root"]["/Pages"]["/Count"])
            if claimed > limits.pages:
                return limit_reached(f"the PDF claims {_plural(claimed, 'page')}; the limit is {limits.pages:,}")
        out.pages = len(reader.pages)
        if out.pages > limits.pages:
            return limit_reached(f"{_plural(out.pages, 'page')}; the limit is {limits.pages:,}")
        seen: set = set()
        for page in reader.pages:
            ref = page.indirect_reference
            key = (ref.idnum, ref.generation) if ref is not None else id(page)
            if key in seen:
                return limit_reached("the page tree lists the same page more than once")
            seen.add(key)
        with contextlib.suppress(Exception):
            out.title = str((reader.metadata or {}).get("/Title") or "").strip()
        texts, empty, failed, length = [], 0, 0, 0
        for page in reader.pages:
            try:
                page_text = page.extract_text() or ""
            except LimitReachedError:
                raise
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
            out.error = f"The text of {_plural(failed, 'page')} could not be read."
        if out.pages and empty * 2 >= out.pages:
            out.needs_ocr = True
    except LimitReachedError as e:
        return limit_reached(f"the PDF reader's own limit: {e}")
    except FileNotDecryptedError as e:
        out.error = f"The PDF is encrypted; its text could not be read ({e})."
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError, AssertionError, ZeroDivisionError) as e:
        out = Extracted(error=f"The PDF is damaged or not a PDF; its text could not be read ({type(e).__name__}: {e}).")
    return out


def extract_docx(f) -> Extracted:
    import docx

    out = Extracted()
    try:
        document = docx.Document(f)
    except MemoryError:
        raise
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


def _part_text(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return content if isinstance(content, str) else decode_text(content)


def extract_email(f, limits: ZipLimits = ZIP_LIMITS) -> Extracted:
    """Headers and body text of an e-mail, and its attachments as members (at most
    ``limits.members``: a message with more is refused like an archive with too many files)."""
    try:
        message = email.message_from_binary_file(f, policy=email.policy.default)
        out = _read_email(message, limits)
    except Invalid:
        raise
    except RecursionError:
        return Extracted(error="The e-mail is nested too deeply; it was stored but could not be read.")
    except Exception as e:  # the email package raises many kinds for broken MIME
        return Extracted(error=f"The e-mail could not be read ({type(e).__name__}: {e}).")
    return out


def _read_email(message, limits: ZipLimits) -> Extracted:
    out = Extracted()
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
    attachments = list(message.iter_attachments())
    if len(attachments) > limits.members:
        raise Invalid("file", f"The e-mail has {len(attachments):,} attachments; the limit is "
                              f"{limits.members:,}. It was not added.")
    for number, part in enumerate(attachments, 1):
        name = part.get_filename() or f"attachment-{number}"
        payload = part.get_payload(decode=True)
        if payload is None and part.is_multipart():  # an attached message
            payload = part.as_bytes()
        if payload:
            out.members.append((name, lambda data=payload: io.BytesIO(data)))
    return out


def extract_zip(f, limits: ZipLimits = ZIP_LIMITS, *, size: int = 0) -> Extracted:
    out = Extracted()
    try:
        zf = zipfile.ZipFile(f)
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        out.error = f"The ZIP archive is damaged; it was stored but not unpacked ({e})."
        return out
    check_zip(infos, limits, archive_size=size)
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


def check_zip(infos: list, limits: ZipLimits = ZIP_LIMITS, *, archive_size: int = 0) -> None:
    """Refuse an archive whose directory announces too many members, too much data or a
    compression ratio no real document reaches (a zip bomb): per member, and over the whole
    archive, so that many small members cannot add up to a bomb."""
    if len(infos) > limits.members:
        raise Invalid("file", f"The ZIP archive has {len(infos):,} files; the limit is {limits.members:,}. "
                              "It was not added.")
    total = sum(i.file_size for i in infos)
    if total > limits.total_size:
        raise Invalid("file", f"The ZIP archive would unpack to {human_size(total)}, more than the limit of "
                              f"{human_size(limits.total_size)}; it looks like a zip bomb and was not added.")
    for info in infos:
        if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise Invalid("file", f"{one_line(info.filename)} in the ZIP archive is compressed "
                                  f"{info.file_size // max(info.compress_size, 1)} to 1 (limit {limits.ratio} to 1); "
                                  "the archive looks like a zip bomb and was not added.")
    packed = archive_size or sum(i.compress_size for i in infos)
    if total > limits.ratio_floor and total > limits.ratio * max(packed, 1):
        raise Invalid("file", f"The ZIP archive would unpack to {human_size(total)} from {human_size(packed)} "
                              f"({total // max(packed, 1)} to 1, limit {limits.ratio} to 1); it looks like a zip bomb "
                              "and was not added.")


def extract(f, mime: str, *, limits: ZipLimits = ZIP_LIMITS, size: int = 0,
            extract_limits: ExtractLimits = EXTRACT_LIMITS) -> Extracted:
    """Text (and, for archives and e-mails, members) of the seekable file ``f`` of type ``mime``,
    read in this process. PDFs and DOCX should go through :func:`.sandbox.extract_file` instead."""
    f.seek(0)
    if mime in ("application/pdf", DOCX, "message/rfc822") and size > MAX_PARSE_SIZE:
        return Extracted(error=f"Files of this type over {human_size(MAX_PARSE_SIZE)} are stored but not read.")
    # Parsers of untrusted files may warn about what they find; a warning is not an error here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mime == "application/pdf":
            return extract_pdf(f, extract_limits)
        if mime == DOCX:
            return extract_docx(f)
        if mime == "application/zip":
            return extract_zip(f, limits, size=size)
        if mime == "message/rfc822":
            return extract_email(f, limits)
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
