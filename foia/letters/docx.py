"""A letter as DOCX (python-docx), laid out like the PDF: same fonts, margins, spacing and parts.

The figures below mirror ``letters/letter.css``: 1-inch margins, 11-point Times New Roman on an
exact 14-point line, the same space after each paragraph and around each letter part, so a page
ends at the same words in both formats (within a line). Space before and after are the CSS
margins unchanged: between two paragraphs word processors use the larger of the two, as CSS
collapses margins. List items keep their space between them (the default template's list styles
suppress it between paragraphs of one style, which CSS does not do). Heading styles name their font directly:
python-docx's default template gives them the theme's font (Calibri Light), which would win over
a plain font name.

The same letter gives the same bytes: the package's dates come from the letter's date, and the
saved ZIP is rewritten with every entry stamped with that date (:func:`stamp_zip`).
"""
import datetime as dt
import io
import zipfile

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor

from .. import markup

FONT = "Times New Roman"  # fontconfig gives Liberation Serif (same metrics) where it is missing
BODY_SIZE, LINE = Pt(11), Pt(14)
PARAGRAPH_AFTER = Pt(7)
# Paragraph styles for the letter's parts: (style name, space before, space after, extra).
PART_STYLES = {
    "date": ("Letter Date", 0, 18, {}),
    "via": ("Letter Via", 0, 12, {}),
    "address": ("Letter Address", 0, 18, {}),
    "subject": ("Letter Subject", 0, 14, {"bold": True}),
    "salutation": ("Letter Salutation", 0, 10, {}),
    "thanks": ("Letter Thanks", 14, 7, {}),
    "closing": ("Letter Closing", 10, 40, {"keep_with_next": True}),
    "signature": ("Letter Signature", 0, 7, {"keep_together": True}),
    "enclosures": ("Letter Enclosures", 14, 7, {"size": 10}),
}
# (size, line height, space before, space after) of each heading level, as in letter.css.
HEADINGS = {1: (14, 17, 14, 4), 2: (12, 15, 12, 4), 3: (11, 14, 12, 4)}
DOCX_STYLES = (
    "Normal", "Default Paragraph Font", "Normal Table", "No List", "Heading 1", "Heading 2", "Heading 3",
    "List Number", "List Bullet", "List Paragraph", "Header", "Footer", "Letterhead", "Letterhead Name",
    *(spec[0] for spec in PART_STYLES.values()),
)
_THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
# The paragraph properties that follow w:pBdr in the schema (ECMA-376 CT_PPrBase, then CT_PPr).
_AFTER_BORDER = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
    "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
    "w:rPr", "w:sectPr", "w:pPrChange",
)

_base: bytes | None = None


def _plain_font(rpr) -> None:
    """Name FONT in a run-properties element and drop the theme fonts that would override it."""
    fonts = rpr.get_or_add_rFonts()
    for attribute in _THEME_ATTRIBUTES:
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), FONT)


def _bottom_rule(style) -> None:
    """A thin rule under a paragraph style (consecutive letterhead lines share one, at the end)."""
    ppr = style.element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "6"), ("w:color", "444444")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    # Word insists on the schema's order of paragraph properties: the border goes before these.
    ppr.insert_element_before(borders, *_AFTER_BORDER)


def _spacing(style, before=0, after=0, line=LINE) -> None:
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(before), Pt(after), line


def base_document() -> bytes:
    """A blank document with our page setup and styles, built once per process."""
    global _base
    if _base is not None:
        return _base
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Inches(8.5), Inches(11)
    section.left_margin = section.right_margin = Inches(1)
    section.top_margin = section.bottom_margin = Inches(1)
    section.header_distance = section.footer_distance = Inches(0.5)
    section.different_first_page_header_footer = True
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    _plain_font(defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")))
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = BODY_SIZE
    _plain_font(normal.element.get_or_add_rPr())
    _spacing(normal, 0, 7)
    normal.paragraph_format.widow_control = True
    for level, (size, line, before, after) in HEADINGS.items():
        heading = styles[f"Heading {level}"]
        heading.font.name = FONT
        _plain_font(heading.element.get_or_add_rPr())
        heading.font.size = Pt(size)
        heading.font.bold = True
        heading.font.italic = False
        heading.font.color.rgb = RGBColor(0, 0, 0)
        _spacing(heading, before, after, Pt(line))
        heading.paragraph_format.keep_with_next = True
    for name in ("List Number", "List Bullet", "List Paragraph"):
        fmt = styles[name].paragraph_format
        _spacing(styles[name], 0, 3)
        fmt.left_indent, fmt.first_line_indent = Inches(0.3), Inches(-0.3)
        contextual = styles[name].element.get_or_add_pPr().find(qn("w:contextualSpacing"))
        if contextual is not None:
            contextual.getparent().remove(contextual)
    for name in ("Header", "Footer"):
        styles[name].font.size = Pt(8.5)
        styles[name].font.color.rgb = RGBColor(0x55, 0x55, 0x55)
        _spacing(styles[name], 0, 0, Pt(11))
    head = styles.add_style("Letterhead", WD_STYLE_TYPE.PARAGRAPH)
    head.base_style = normal
    head.font.size = Pt(9.5)
    head.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(head, 0, 0, Pt(12))
    _bottom_rule(head)
    name = styles.add_style("Letterhead Name", WD_STYLE_TYPE.PARAGRAPH)
    name.base_style = head
    name.font.size = Pt(15)
    name.font.bold = True
    _spacing(name, 0, 2, Pt(18))
    for style_name, before, after, extra in PART_STYLES.values():
        part = styles.add_style(style_name, WD_STYLE_TYPE.PARAGRAPH)
        part.base_style = normal
        _spacing(part, before, after)
        part.font.bold = extra.get("bold")
        if "size" in extra:
            part.font.size = Pt(extra["size"])
        part.paragraph_format.keep_with_next = extra.get("keep_with_next")
        part.paragraph_format.keep_together = extra.get("keep_together")
    _slim(document)
    for footer in (section.footer, section.first_page_footer):
        paragraph = footer.paragraphs[0]
        paragraph.style = styles["Footer"]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.add_run("Page ")
        _add_field(paragraph, "PAGE")
        paragraph.add_run(" of ")
        _add_field(paragraph, "NUMPAGES")
    section.first_page_header.paragraphs[0].style = styles["Header"]
    section.header.paragraphs[0].style = styles["Header"]
    buffer = io.BytesIO()
    document.save(buffer)
    _base = buffer.getvalue()
    return _base


def _slim(document) -> None:
    """Drop what python-docx's default template carries and letters never use: the unused styles
    (and latent-style list), the Word 2010 styles-with-effects copy, custom XML and the thumbnail.
    They are most of the package, and parsing and compressing them dominated the time per letter."""
    styles = document.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    keep = {document.styles[name].style_id for name in DOCX_STYLES}
    pending = list(keep)
    while pending:  # keep what the kept styles are based on, linked to or followed by
        style = by_id.get(pending.pop())
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = style.find(qn(tag)) if style is not None else None
            if ref is not None and ref.get(qn("w:val")) not in keep:
                keep.add(ref.get(qn("w:val")))
                pending.append(ref.get(qn("w:val")))
    for style_id, style in by_id.items():
        if style_id not in keep:
            styles.remove(style)
        else:
            rpr = style.find(qn("w:rPr"))
            if rpr is not None and rpr.find(qn("w:rFonts")) is not None:
                _plain_font(rpr)  # a kept style (a linked character style) must not bring a theme font
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)
    for rel_id, rel in list(document.part.rels.items()):
        if rel.reltype.endswith(("/stylesWithEffects", "/customXml")):
            document.part.rels.pop(rel_id)
    package_rels = document.part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            package_rels.pop(rel_id)


def _add_field(paragraph, instruction: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) showing "1" until the word processor updates it."""

    def fld_char(kind):
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run().element.append(element)

    fld_char("begin")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    paragraph.add_run().element.append(code)
    fld_char("separate")
    paragraph.add_run("1")
    fld_char("end")


def _add_runs(paragraph, runs: list[markup.Run]) -> None:
    for item in runs:
        if item.br:
            paragraph.add_run().add_break()
            continue
        run = paragraph.add_run(item.text)
        if item.bold:
            run.bold = True
        if item.italic:
            run.italic = True


def _numbering(document, start: int) -> int:
    """A new numbering instance of the ``List Number`` definition, starting at ``start``."""
    numbering = document.part.numbering_part.element
    style_num = document.styles["List Number"].element.pPr.numPr.numId.val
    abstract = numbering.num_having_numId(style_num).abstractNumId.val
    num = numbering.add_num(abstract)
    num.add_lvlOverride(ilvl=0).add_startOverride(start)
    return num.numId


def _set_num(paragraph, num_id: int) -> None:
    num_pr = paragraph.paragraph_format.element.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


def to_docx(letter) -> bytes:
    """The letter (a :class:`foia.letters.render.Letter`) as DOCX bytes."""
    document = docx.Document(io.BytesIO(base_document()))
    styles = {name: document.styles[name] for name in (
        "Letterhead", "Letterhead Name", "Heading 1", "Heading 2", "Heading 3", "List Number", "List Bullet",
        *(spec[0] for spec in PART_STYLES.values()),
    )}
    section = document.sections[0]
    section.header.paragraphs[0].add_run(letter.running_header)

    def paragraph(style=None):
        return document.add_paragraph(style=styles[style] if style else None)

    last = None
    for i, line in enumerate(letter.letterhead):
        last = paragraph("Letterhead Name" if i == 0 else "Letterhead")
        last.add_run(line)
    if last is not None:
        last.paragraph_format.space_after = Pt(18)
    ordered_lists = 0
    for block in letter.blocks:
        part_style = PART_STYLES[block.part][0] if block.part in PART_STYLES else None
        if isinstance(block, markup.Heading):
            _add_runs(paragraph(f"Heading {block.level}"), block.runs)
        elif isinstance(block, markup.Paragraph):
            _add_runs(paragraph(part_style), block.runs)
        else:
            num_id = None
            if block.ordered:
                ordered_lists += 1
                if ordered_lists > 1 or block.start != 1:  # the first list uses the style's numbering
                    num_id = _numbering(document, block.start)
            added = None
            for item in block.items:
                added = paragraph("List Number" if block.ordered else "List Bullet")
                if num_id is not None:
                    _set_num(added, num_id)
                _add_runs(added, item)
            if added is not None:
                added.paragraph_format.space_after = PARAGRAPH_AFTER
    when = dt.datetime.fromisoformat(letter.date).replace(tzinfo=dt.timezone.utc)
    props = document.core_properties
    props.title = letter.title
    props.author = letter.author
    props.last_modified_by = letter.author
    props.created = props.modified = when
    props.last_printed = when
    props.revision = 1
    props.comments = ""
    buffer = io.BytesIO()
    document.save(buffer)
    return stamp_zip(buffer.getvalue(), when)


def stamp_zip(data: bytes, when: dt.datetime) -> bytes:
    """The same ZIP with every entry dated ``when`` (``Document.save`` stamps the wall clock)."""
    stamp = (when.year, when.month, when.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info))
    return out.getvalue()
