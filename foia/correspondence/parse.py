"""One raw e-mail, read into what the rest of the package needs: addresses, thread headers, the text
of the body, the attachments, and whether it is a delivery report.

Mail arrives broken in every way (missing headers, wrong charsets, truncated MIME): nothing here
raises on bad input. A header that cannot be decoded is read as raw text, a part in an unknown
charset is decoded as UTF-8 with replacement characters, and what could not be read is listed in
``defects``.
"""
import dataclasses
import datetime as dt
import email
import email.errors
import email.header
import email.policy
import email.utils
import html
import re
from email.message import Message
from html.parser import HTMLParser

MAX_HEADER = 2000  # characters kept of any one header
MAX_BODY = 1_000_000  # characters of body text kept


@dataclasses.dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclasses.dataclass
class Parsed:
    message_id: str = ""
    in_reply_to: str = ""
    references: list = dataclasses.field(default_factory=list)
    from_addr: str = ""
    from_name: str = ""
    to: list = dataclasses.field(default_factory=list)  # every recipient address: To, Cc, Delivered-To...
    subject: str = ""
    date: dt.datetime | None = None
    content_type: str = "text/plain"
    report_type: str = ""  # multipart/report's report-type (delivery-status for a bounce)
    text: str = ""  # the body as plain text (HTML turned into text)
    html: str = ""  # the HTML body as sent, if there was one (never shown as HTML)
    attachments: list = dataclasses.field(default_factory=list)
    delivery_status: str = ""  # the message/delivery-status part of a bounce, as text
    headers: dict = dataclasses.field(default_factory=dict)  # lower-cased name -> first value
    defects: list = dataclasses.field(default_factory=list)


_MSGID = re.compile(r"<[^<>\s]+>")
_RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to", "resent-to")


class _RawHeaders(email.policy.Compat32):
    """compat32, but header values come back as written (raw 8-bit bytes as surrogates) instead of
    wrapped in a Header that replaces them, so that :func:`_clean` can read them."""

    def header_fetch_parse(self, name, value):
        return value


POLICY = _RawHeaders()


def decode_header(value) -> str:
    """A header's text with RFC 2047 encoded words decoded; undecodable parts are kept as written."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        value = str(value)
    value = str(value)
    if "=?" in value:
        try:
            value = str(email.header.make_header(email.header.decode_header(value)))
        except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
            pass
    return value


def _header(message: Message, name: str, defects: list) -> str:
    # The message is read with the compat32 policy (its header objects are three times slower to
    # build than the ones we need), so encoded words are decoded here.
    try:
        text = decode_header(message.get(name))
    except Exception as e:  # a header the email package cannot read at all
        defects.append(f"{name}: {e}")
        return ""
    return " ".join(_clean(text).split())[:MAX_HEADER]


def _clean(text: str) -> str:
    """Raw 8-bit bytes in a header arrive as surrogates: read them as UTF-8, else as Latin-1."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def message_ids(value: str) -> list[str]:
    """The ``<id@host>`` tokens of a Message-ID, In-Reply-To or References header, in order."""
    return _MSGID.findall(value or "")


def normalise_message_id(value: str) -> str:
    ids = message_ids(value)
    if ids:
        return ids[0]
    value = (value or "").strip()
    return f"<{value}>" if value and "@" in value and " " not in value else ""


def _addresses(values: list[str]) -> list[str]:
    found = []
    for _name, addr in email.utils.getaddresses(values):
        addr = addr.strip().lower()
        if "@" in addr and addr not in found:
            found.append(addr)
    return found


def _date(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed


def _decode(part: Message, defects: list) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception as e:
        defects.append(f"part could not be decoded: {e}")
        return ""
    if payload is None:
        payload = part.get_payload()
        return _clean(payload) if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        defects.append(f"unknown charset {charset!r}, read as UTF-8")
        return payload.decode("utf-8", "replace")


class _HTMLText(HTMLParser):
    """HTML to plain text: scripts, styles and heads dropped, block elements become line breaks."""

    SKIP = {"script", "style", "head", "title", "noscript", "template"}
    BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote",
             "hr", "section", "article", "ul", "ol", "pre"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quote_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        if tag == "blockquote":
            self.quote_depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")
        if tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)

    def handle_data(self, data):
        if self.skipping:
            return
        if self.quote_depth:
            # Quoted earlier messages keep their ">" so that quote stripping sees them as quotes.
            data = "\n".join("> " + line if line.strip() else line for line in data.split("\n"))
        self.parts.append(data)


def html_to_text(source: str) -> str:
    parser = _HTMLText()
    try:
        parser.feed(source)
        parser.close()
    except Exception:
        return html.unescape(re.sub(r"<[^>]*>", " ", source))
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [" ".join(line.split()) if not line.lstrip().startswith(">") else line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _filename(part: Message, defects: list) -> str:
    try:
        name = decode_header(part.get_filename())
    except Exception as e:
        defects.append(f"attachment name unreadable: {e}")
        name = ""
    return " ".join(name.split())[:255] if name else ""


def parse(raw: bytes) -> Parsed:
    """Read one message (never raises on malformed input)."""
    defects: list[str] = []
    message = email.message_from_bytes(raw, policy=POLICY)
    defects += [type(d).__name__ for d in getattr(message, "defects", [])]
    parsed = Parsed(defects=defects)

    def header(name):
        return _header(message, name, defects)

    parsed.message_id = normalise_message_id(header("message-id"))
    parsed.in_reply_to = normalise_message_id(header("in-reply-to"))
    parsed.references = message_ids(header("references"))
    from_value = header("from")
    name, addr = email.utils.parseaddr(from_value)
    parsed.from_addr = addr.strip().lower() if "@" in addr else ""
    parsed.from_name = name.strip()[:200]
    parsed.to = _addresses([header(h) for h in _RECIPIENT_HEADERS if header(h)])
    parsed.subject = header("subject")
    parsed.date = _date(header("date"))
    for name in ("auto-submitted", "x-autoreply", "x-autorespond", "precedence", "x-auto-response-suppress",
                 "x-failed-recipients", "return-path", "list-id", "reply-to", "sender"):
        value = header(name)
        if value:
            parsed.headers[name] = value
    parsed.content_type = message.get_content_type()
    if parsed.content_type == "multipart/report":
        parsed.report_type = (message.get_param("report-type") or "").lower()

    plain, rich = [], []
    for part in message.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        filename = _filename(part, defects)
        if ctype == "message/delivery-status":
            parsed.delivery_status += _delivery_status_text(part)
            continue
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            (plain if ctype == "text/plain" else rich).append(_decode(part, defects))
            continue
        try:
            data = part.get_payload(decode=True)
        except Exception as e:
            defects.append(f"attachment unreadable: {e}")
            continue
        if not data:
            continue
        parsed.attachments.append(Attachment(filename or _default_name(ctype), ctype, data))
    parsed.html = "\n".join(rich)[:MAX_BODY]
    text = "\n".join(plain)
    if not text.strip() and parsed.html:
        text = html_to_text(parsed.html)
    parsed.text = text.replace("\r\n", "\n").replace("\x00", "")[:MAX_BODY]
    return parsed


def _delivery_status_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package reads delivery-status as header blocks
        return "\n".join(str(block) for block in payload)
    return payload if isinstance(payload, str) else ""


def _default_name(ctype: str) -> str:
    ext = {"application/pdf": "pdf", "text/plain": "txt", "text/html": "html", "image/png": "png",
           "image/jpeg": "jpg", "application/zip": "zip", "message/rfc822": "eml"}.get(ctype, "bin")
    return f"attachment.{ext}"
