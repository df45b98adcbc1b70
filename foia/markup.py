"""The small Markdown subset letters are written in, parsed into a tree both renderers consume.

Blocks: ``#``/``##``/``###`` headings (one line each), paragraphs, numbered lists (``1.`` or
``1)``), bulleted lists (``-``, ``*``, ``+``). A line ``{: .name}`` right after a block gives it one
of the letter's part names (:data:`PARTS`: ``date``, ``address``, ``subject``...), which both renderers
space the way a letter is spaced. Inline: ``**bold**``, ``*italic*``, backslash escapes
(``\\*`` is a literal star) and hard line breaks (a line ending in ``\\`` or two spaces), which keep
address blocks on separate lines. Nothing else is special: raw HTML is plain text, and the HTML
renderer escapes it. A list item continues on following indented lines; an unindented line ends
the list. A blank line ends a paragraph; list items separated by blank lines stay in one list.

Text gets letter typography as it is parsed (:func:`typography`): curly quotes and apostrophes, and
a no-break space after "§" so a section sign never ends a line apart from its number.

Because the PDF (via :func:`to_html`) and the DOCX are both built from the same :class:`Block` list,
they carry the same words in the same order.
"""
import dataclasses
import html
import re

ESCAPABLE = "\\`*_{}[]<>()#+-.!|~"
NBSP = "\u00a0"
# The parts of a letter a block can be marked as, in the order a letter has them.
PARTS = ("date", "via", "address", "subject", "salutation", "thanks", "closing", "signature", "enclosures")


@dataclasses.dataclass(frozen=True)
class Run:
    """A stretch of text with one formatting; ``text == "\\n"`` with ``br`` set is a hard break."""

    text: str
    bold: bool = False
    italic: bool = False
    br: bool = False


@dataclasses.dataclass
class Heading:
    level: int
    runs: list[Run]
    part: str = ""


@dataclasses.dataclass
class Paragraph:
    runs: list[Run]
    part: str = ""  # one of PARTS, or "" for body text


@dataclasses.dataclass
class ListBlock:
    ordered: bool
    start: int
    items: list[list[Run]]
    part: str = ""


Block = Heading | Paragraph | ListBlock

_HEADING = re.compile(r"^(#{1,3})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_BULLET = re.compile(r"^[ ]{0,3}([-*+])[ \t]+(.*)$")
_NUMBER = re.compile(r"^[ ]{0,3}(\d{1,9})[.)][ \t]+(.*)$")
_PART = re.compile(r"^\{:[ \t]*\.([a-z]+)[ \t]*\}[ \t]*$")


def escape(text: str) -> str:
    """Make ``text`` literal in this Markdown subset: user values go through this before templating.

    Backslash and star are escaped everywhere; at the start of each line the characters that would
    begin a heading or a list item are escaped too. A line ending in spaces loses them (so it cannot
    force a line break), and newlines are kept (a blank line in a description starts a paragraph).
    """
    lines = []
    for line in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.rstrip(" \t").replace("\\", "\\\\").replace("*", "\\*")
        body = line.lstrip(" \t")
        indent = line[: len(line) - len(body)]
        if body[:1] in ("#", "-", "+", "{"):
            body = "\\" + body
        else:
            body = re.sub(r"^(\d+)([.)])", r"\1\\\2", body)
        lines.append(indent + body)
    return "\n".join(lines)


def parse(source: str) -> list[Block]:
    """Parse letter Markdown into blocks."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    current_list: ListBlock | None = None
    item_lines: list[str] | None = None

    def close_item():
        nonlocal item_lines
        if current_list is not None and item_lines is not None:
            current_list.items.append(parse_inline("\n".join(item_lines)))
        item_lines = None

    def close_paragraph():
        if paragraph:
            blocks.append(Paragraph(parse_inline("\n".join(paragraph))))
            paragraph.clear()

    def close_list():
        nonlocal current_list
        close_item()
        if current_list is not None:
            blocks.append(current_list)
        current_list = None

    for raw in source.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.expandtabs(4)
        if not line.strip():
            close_paragraph()
            close_item()
            continue
        part = _PART.match(line.strip())
        if part and part.group(1) in PARTS:
            close_paragraph()
            close_list()
            if blocks:
                blocks[-1].part = part.group(1)
            continue
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        number = _NUMBER.match(line)
        if heading:
            close_paragraph()
            close_list()
            blocks.append(Heading(len(heading.group(1)), parse_inline(heading.group(2))))
        elif bullet or number:
            match = bullet or number
            ordered = number is not None
            close_paragraph()
            if current_list is None or current_list.ordered != ordered:
                close_list()
                current_list = ListBlock(ordered, int(number.group(1)) if ordered else 1, [])
            close_item()
            item_lines = [match.group(2)]
        elif item_lines is not None and line.startswith(" "):
            item_lines.append(line.strip())  # continuation of a list item
        else:
            close_list()
            paragraph.append(line)
    close_paragraph()
    close_list()
    return blocks


_INLINE_TOKEN = re.compile(r"\\(.)|(\*\*|\*)|( {2,}|\\)\n|\n", re.S)


def parse_inline(text: str) -> list[Run]:
    """Split inline text into runs; unmatched ``*`` / ``**`` stay literal."""
    # Tokens: ("text", s) | ("delim", "*" or "**") | ("br", "")
    tokens: list[list] = []
    pos = 0
    for match in _INLINE_TOKEN.finditer(text):
        if match.start() > pos:
            tokens.append(["text", text[pos:match.start()]])
        escaped, delim, hard = match.group(1), match.group(2), match.group(3)
        if escaped is not None:
            if escaped in ESCAPABLE:
                tokens.append(["text", escaped])
            elif escaped == "\n":
                tokens.append(["br", ""])
            else:
                tokens.append(["text", "\\" + escaped])
        elif delim is not None:
            tokens.append(["delim", delim])
        elif hard is not None:
            tokens.append(["br", ""])
        else:
            tokens.append(["text", " "])  # a soft line break is a space
        pos = match.end()
    if pos < len(text):
        tokens.append(["text", text[pos:]])

    # Pair delimiters of each kind in order; an odd one out becomes text. A delimiter with
    # spaces on both sides ("5 * 3") is never emphasis.
    for kind in ("**", "*"):
        positions = []
        for i, token in enumerate(tokens):
            if token[0] == "delim" and token[1] == kind:
                before = tokens[i - 1][1][-1:] if i and tokens[i - 1][0] == "text" else ""
                after = tokens[i + 1][1][:1] if i + 1 < len(tokens) and tokens[i + 1][0] == "text" else ""
                if before.isspace() and after.isspace():
                    token[0] = "text"
                else:
                    positions.append(i)
        if len(positions) % 2:
            tokens[positions.pop()][0] = "text"

    runs: list[Run] = []
    bold = italic = False
    for kind, value in tokens:
        if kind == "delim":
            if value == "**":
                bold = not bold
            else:
                italic = not italic
        elif kind == "br":
            runs.append(Run("\n", bold, italic, br=True))
        elif runs and not runs[-1].br and (runs[-1].bold, runs[-1].italic) == (bold, italic):
            runs[-1] = Run(runs[-1].text + value, bold, italic)
        else:
            runs.append(Run(value, bold, italic))
    # Trim spaces around hard breaks and at the ends.
    cleaned: list[Run] = []
    for i, run in enumerate(runs):
        if run.br:
            if cleaned and not cleaned[-1].br:
                cleaned[-1] = dataclasses.replace(cleaned[-1], text=cleaned[-1].text.rstrip())
            cleaned.append(run)
            continue
        text = run.text
        if not cleaned or cleaned[-1].br:
            text = text.lstrip()
        if text:
            cleaned.append(dataclasses.replace(run, text=text))
    while cleaned and cleaned[-1].br:
        cleaned.pop()
    if cleaned:
        cleaned[-1] = dataclasses.replace(cleaned[-1], text=cleaned[-1].text.rstrip())
    return _typeset([run for run in cleaned if run.br or run.text])


_OPENS_AFTER = set(" \t\n\u00a0=([{\u2014\u2013/-\u201c\u2018")


def typography(text: str, before: str = "") -> str:
    """Curly quotes and apostrophes, and a no-break space after "§" / "§§".

    ``before`` is the character preceding ``text`` (so a quote right after a bold run closes).
    """
    out = []
    previous = before
    for char in text:
        if char == '"':
            char = "\u201c" if not previous or previous in _OPENS_AFTER else "\u201d"
        elif char == "'":
            char = "\u2018" if not previous or previous in _OPENS_AFTER else "\u2019"
        out.append(char)
        previous = char
    return re.sub(r"(§+)[ \t]+", lambda m: m.group(1) + NBSP, "".join(out))


def _typeset(runs: list[Run]) -> list[Run]:
    typeset, previous = [], ""
    for run in runs:
        if run.br:
            typeset.append(run)
            previous = "\n"
            continue
        text = typography(run.text, previous)
        typeset.append(dataclasses.replace(run, text=text))
        previous = text[-1:]
    return typeset


def plain_text(runs: list[Run]) -> str:
    """The words of some runs, hard breaks as newlines."""
    return "".join("\n" if run.br else run.text for run in runs)


def block_texts(blocks: list[Block]) -> list[str]:
    """One string per paragraph, heading and list item, in order: what both renderers must show."""
    texts = []
    for block in blocks:
        if isinstance(block, ListBlock):
            texts.extend(plain_text(item) for item in block.items)
        else:
            texts.append(plain_text(block.runs))
    return texts


def runs_html(runs: list[Run]) -> str:
    out = []
    for run in runs:
        if run.br:
            out.append("<br>\n")
            continue
        text = html.escape(run.text, quote=False)
        if run.italic:
            text = f"<em>{text}</em>"
        if run.bold:
            text = f"<strong>{text}</strong>"
        out.append(text)
    return "".join(out)


def to_html(blocks: list[Block]) -> str:
    """An HTML fragment for the blocks; every piece of text is escaped."""
    out = []
    for block in blocks:
        css = f' class="{block.part}"' if block.part else ""
        if isinstance(block, Heading):
            out.append(f"<h{block.level}{css}>{runs_html(block.runs)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p{css}>{runs_html(block.runs)}</p>")
        else:
            tag = "ol" if block.ordered else "ul"
            start = f' start="{block.start}"' if block.ordered and block.start != 1 else ""
            items = "".join(f"<li>{runs_html(item)}</li>\n" for item in block.items)
            out.append(f"<{tag}{start}{css}>\n{items}</{tag}>")
    return "\n".join(out) + "\n"
