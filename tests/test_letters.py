"""Request letters: context, templates, and the PDF and DOCX read back."""
import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
import zipfile

import docx
import pypdf
import pytest
from docx.oxml.ns import qn

from foia import agencies, filerefs, laws, letters, markup, requests
from foia import db as db_module
from foia.errors import Invalid, NotFound
from foia.filestore import LocalStore
from foia.letters import pdf as letters_pdf

REQUESTER = {
    "name": "Jane Doe",
    "organization": "Springfield Watch",
    "address": "1 Press Row\nPhiladelphia, PA 19103",
    "email": "jane@example.org",
    "phone": "215-555-0100",
}
DAY = dt.date(2026, 9, 15)


@pytest.fixture
def ldb(db):
    letters.migrations.apply(db)
    letters.save_requester(db, REQUESTER)
    return db


def make_request(db, state="PA", name=None, address="100 Main St\nSpringfield", email="records@example.gov",
                 description="", **kwargs):
    agency_id, _ = agencies.upsert(db, {
        "name": name or f"Springfield Police Department {state}", "state": state, "kind": "police",
        "mailing_address": address, "records_email": email,
    })
    return requests.create_request(db, agency_id=agency_id, title="Ring partnership records",
                                   description=description, **kwargs)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Text without whitespace, with letter typography (curly quotes, no-break space after "§"):
    the PDF wraps lines where the words have spaces, or none (after a dash)."""
    return "".join(markup.typography(text).split())


def docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in docx_paragraphs(data))


@pytest.fixture
def files(app):
    """The instance's one file store (documents and letters)."""
    return app.extensions["foia"].store


def pdf_fonts(data: bytes) -> list[tuple[str, bool]]:
    """(font name, embedded?) for every font the PDF's pages use."""
    fonts = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptors = [font.get("/FontDescriptor")]
            for descendant in font.get("/DescendantFonts", []):
                descriptors.append(descendant.get_object().get("/FontDescriptor"))
            embedded = any(
                d is not None and any(k in d.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                for d in descriptors
            )
            fonts.append((str(font["/BaseFont"]), embedded))
    return fonts


def docx_paragraphs(data: bytes) -> list:
    return [p for p in docx.Document(io.BytesIO(data)).paragraphs if p.text.strip()]


def both(db, request_id, template=None, options=None):
    letter = letters.render(db, request_id, template, options, today=DAY)
    return letter, letters_pdf.to_pdf(letters.to_html(letter)), letters.to_docx(letter)


def assert_same_paragraphs(pdf: bytes, docx_bytes: bytes):
    """Every DOCX paragraph appears in the PDF's text, in the same order.

    Whitespace is left out of the comparison: the PDF wraps lines (also after a dash) where the
    DOCX has none.
    """
    # Page footers and running headers, and list numbers (which pypdf gives at the end of each page),
    # are not paragraphs.
    pages = re.sub(r"^(Page \d+ of \d+|\d+\. ?|.* · .* · .*, \d{4})$", "", pdf_text(pdf), flags=re.M)
    text = "".join(pages.split())
    position = 0
    paragraphs = ["".join(p.text.split()) for p in docx_paragraphs(docx_bytes)]
    assert len(paragraphs) > 10
    for paragraph in paragraphs:
        found = text.find(paragraph, position)
        assert found >= 0, f"not found in order in the PDF: {paragraph!r}"
        position = found + len(paragraph)


@pytest.mark.parametrize("state, duty", [
    ("PA", "65 P.S. § 67.901 requires your office to respond within five business days of receiving this request."),
    ("GA", "within 3 business days of receiving this request, with the records or an estimate of when they will be "
           "available"),
    ("CA", "Gov. Code § 7922.535 requires your office to determine within 10 days whether this request seeks"),
])
def test_statute_named_with_its_state_and_cited_cleanly(ldb, state, duty):
    request_id = make_request(ldb, state)
    law = laws.get(ldb, state)
    wording, _ = letters.language.wording(law)
    letter, pdf, docx_bytes = both(ldb, request_id)
    for text in (flat(pdf_text(pdf)), flat(docx_text(docx_bytes))):
        assert flat(f"Springfield Police Department {state}") in text
        assert flat(f"Under {wording['statute']}, {wording['cite']}, I request") in text
        assert flat(f"the {laws.NAMES[state]}") in flat(wording["statute"])
        assert flat(duty) in text
        assert "(formerly§" not in text and "notverified" not in text and "(RTKL)" not in text
        assert flat("Jane Doe") in text
        assert flat("sets no fixed period") not in text
    assert_same_paragraphs(pdf, docx_bytes)


def test_law_without_a_fixed_period_asks_for_an_estimated_date(ldb):
    request_id = make_request(ldb, "FL")
    letter, pdf, docx_bytes = both(ldb, request_id)
    text = flat(pdf_text(pdf))
    assert flat("Under the Florida Public Records Act, Fla. Stat. ch. 119, I request") in text
    assert flat("sets no fixed period for a response, so please tell me the date") in text
    assert flat(" days, as ") not in text
    assert_same_paragraphs(pdf, docx_bytes)


def typeset(text: str) -> str:
    return markup.typography(text)


def test_pdf_and_docx_structure(ldb):
    request_id = make_request(ldb, "PA")
    letter, pdf, docx_bytes = both(ldb, request_id, options={"categories": "agreement,metrics,oversight"})
    fonts = pdf_fonts(pdf)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    paragraphs = docx_paragraphs(docx_bytes)
    styles = [p.style.name for p in paragraphs]
    assert styles[0] == "Letterhead Name" and paragraphs[0].text == "Jane Doe"
    assert "Heading 2" in styles
    numbered = [p.text for p in paragraphs if p.style.name == "List Number"]
    assert numbered == [typeset(c.letter_text) for c in letters.categories()
                        if c.key in ("agreement", "metrics", "oversight")]
    # The letter's parts, in a letter's order, each in its own style.
    parts = [s for s in styles if s.startswith("Letter ")]
    assert parts == ["Letter Date", "Letter Via", "Letter Address", "Letter Subject", "Letter Salutation",
                     "Letter Thanks", "Letter Closing", "Letter Signature"]
    document = docx.Document(io.BytesIO(docx_bytes))
    section = document.sections[0]
    assert section.page_width.inches == 8.5 and section.page_height.inches == 11
    assert [m.inches for m in (section.left_margin, section.right_margin, section.top_margin,
                               section.bottom_margin)] == [1, 1, 1, 1]
    # Same as letter.css: @page margin 1in, 11pt on a 14pt line.
    css = (letters.DEFAULT_TEMPLATES / "letter.css").read_text()
    assert "margin: 1in;" in css and "font-size: 11pt;" in css and "line-height: 14pt;" in css
    assert document.styles["Normal"].paragraph_format.line_spacing.pt == 14
    # Later pages carry a running header; the first page has none.
    assert section.different_first_page_header_footer
    assert section.header.paragraphs[0].text == "Jane Doe · Springfield Police Department PA · September 15, 2026"
    assert section.first_page_header.paragraphs[0].text == ""
    # The letter's words, in order, are exactly the DOCX's paragraphs.
    assert [p.text for p in paragraphs] == letter.texts()
    assert_same_paragraphs(pdf, docx_bytes)


def resolved_font(document, paragraph) -> str:
    """The font a word processor uses for a paragraph's text: the run, then the paragraph style and
    the styles it is based on, then the document defaults; at each level a theme font wins over a
    named one (which is how the headings of python-docx's template came out in Calibri)."""
    levels = [r.element.rPr for r in paragraph.runs[:1]]
    style = paragraph.style
    while style is not None:
        levels.append(style.element.rPr)
        style = style.base_style
    levels.append(document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")))
    for rpr in levels:
        fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
        if fonts is None:
            continue
        if fonts.get(qn("w:asciiTheme")):
            return "theme:" + fonts.get(qn("w:asciiTheme"))
        if fonts.get(qn("w:ascii")):
            return fonts.get(qn("w:ascii"))
    return "theme:default"


def fc_family(name: str) -> str:
    """The family fontconfig (WeasyPrint's font lookup) gives for a font name."""
    return subprocess.run(["fc-match", "-f", "%{family[0]}", name], capture_output=True, text=True,
                          check=True).stdout


def test_docx_headings_resolve_to_the_pdf_font(ldb):
    request_id = make_request(ldb, "CA")
    _, pdf, docx_bytes = both(ldb, request_id)
    document = docx.Document(io.BytesIO(docx_bytes))
    headings = [p for p in document.paragraphs if p.style.name.startswith("Heading")]
    body = [p for p in document.paragraphs if p.style.name in ("Normal", "List Number", "Letter Subject")]
    assert headings and body
    families = {resolved_font(document, p) for p in headings + body}
    assert families == {"Times New Roman"}, families
    # The PDF's fonts (bold for headings, regular for text) are that font as fontconfig finds it.
    pdf_names = {re.sub(r"-(Bold|Italic|BoldItalic|Regular)$", "", name.split("+", 1)[-1]).replace("-", "")
                 for name, _ in pdf_fonts(pdf)}
    assert pdf_names == {fc_family("Times New Roman").replace(" ", "")}, pdf_names
    styles_xml = document.styles.element.xml
    assert "asciiTheme" not in styles_xml and "majorHAnsi" not in styles_xml
    # The letterhead's rule sits where the schema orders paragraph borders (Word refuses otherwise).
    order = [child.tag.split("}")[1] for child in document.styles["Letterhead"].element.pPr]
    assert order == ["pBdr", "spacing", "jc"], order


def test_chosen_categories_only(ldb):
    request_id = make_request(ldb, "GA")
    chosen = ["video-requests", "policies"]
    letter, pdf, docx_bytes = both(ldb, request_id, options={"categories": chosen})
    text = flat(pdf_text(pdf))
    for category in letters.categories():
        assert (flat(category.letter_text) in text) == (category.key in chosen), category.key
    numbered = [p.text for p in docx_paragraphs(docx_bytes) if p.style.name == "List Number"]
    assert [n[:24] for n in numbered] == ["Logs and metadata of req", "Policies that govern the"]
    with pytest.raises(Invalid, match="choose at least one record category"):
        letters.render(ldb, request_id, options={"categories": []}, today=DAY)
    with pytest.raises(Invalid, match="unknown category 'bodycams'") as raised:
        letters.render(ldb, request_id, options={"categories": "bodycams"}, today=DAY)
    assert raised.value.field == "categories"


def test_categories_follow_the_checklist():
    source = (letters.CATEGORIES_CSV.parent / "ring-record-categories.md").read_text()
    items = dict(re.findall(r"^(\d+)\. (.+?)(?=^\d+\. |^\s*$)", source, re.M | re.S))
    assert len(items) == 12
    table = letters.categories()
    assert [c.number for c in table] == list(range(1, len(table) + 1))
    assert len({c.key for c in table}) == len(table)
    checklist = [c for c in table if c.source == "checklist"]
    assert [c.number for c in checklist] == list(range(1, 13))
    for category in checklist:
        assert flat(items[str(category.number)]).startswith(flat(category.checklist)), category.key
    assert {c.key for c in table if c.source == "review"} == {
        "integrations", "emergency-requests", "neighbors-posts", "free-devices"}
    assert {c.source for c in table} == {"checklist", "review"}


def test_new_categories_and_video_logs_first(ldb):
    request_id = make_request(ldb, "IL")
    letter, pdf, docx_bytes = both(ldb, request_id)
    for text in (flat(pdf_text(pdf)), flat(docx_text(docx_bytes))):
        assert flat("connecting Ring or the Neighbors app with Axon (including Axon Fusus and Evidence.com) or "
                    "Flock Safety, and the records of \"Community Requests\"") in text
        assert flat("Emergency disclosure requests, subpoenas, warrants, court orders and other legal process "
                    "the agency sent to Ring or Amazon") in text
        assert flat("The agency's own posts, alerts, comments and replies in the Neighbors app") in text
        assert flat("given to the agency or its officers free of charge or at a discount") in text
        assert flat("Logs and metadata of requests for residents' video") in text
        assert flat("not the footage itself") in text
        assert flat("Copies of the video footage itself") not in text
    _, with_footage, _ = both(ldb, request_id, options={"footage": True})
    assert flat("Copies of the video footage itself that the agency received") in flat(pdf_text(with_footage))


TODAY_WORDS = "September 15, 2026"
CLAUSES = [
    # option, value that adds the clause, value that removes it, words of the clause
    ("date_from", "2018-01-01", "", f"from January 1, 2018 through {TODAY_WORDS}, the date of this letter"),
    ("parties", "Chief Ann Smith; Lt. Bo Li", "", "and messages sent to or from Chief Ann Smith and Lt. Bo Li"),
    ("domains", "ring.com", "", "messages sent to or from @ring.com, and to or from"),
    ("keyword_domains", "amazon.com", "", "to or from @amazon.com containing Ring, Neighbors, NPSS, Request for "
                                          "Assistance, Community Request, Axon, Fusus, or Flock"),
    ("custodians", "the records unit; the chief's office", "",
     "these records are most likely held by the records unit and the chief's office"),
    ("search_terms", "Ring; Neighbors", "", 'a search for "Ring" or "Neighbors" should find most of them'),
    ("footage", True, False, "Copies of the video footage itself"),
    # Pennsylvania's waiver provision is unverified in the law table: the neutral alternative instead.
    ("fee_waiver", True, False, "Please send the records electronically, by e-mail, which keeps the cost of copying "
                                "to a minimum."),
    ("public_interest", "The public deserves to know.", "", "The public deserves to know."),
    ("fee_ceiling", "40", "", "If fees will exceed $40, please tell me before incurring them"),
    ("native_format", True, False, "in their native format where one exists"),
    ("rolling", True, False, "release records on a rolling basis"),
    ("preservation", True, False, "Please preserve every record responsive to this request"),
    ("residency", "I am a resident of Pennsylvania.", "", "I am a resident of Pennsylvania."),
]


@pytest.mark.parametrize("option, on, off, words", CLAUSES, ids=[c[0] for c in CLAUSES])
def test_each_option_clause(ldb, option, on, off, words):
    request_id = make_request(ldb, "PA")
    _, pdf_on, docx_on = both(ldb, request_id, options={option: on})
    _, pdf_off, docx_off = both(ldb, request_id, options={option: off})
    assert flat(words) in flat(pdf_text(pdf_on))
    assert flat(words) in flat(docx_text(docx_on))
    assert flat(words) not in flat(pdf_text(pdf_off))
    assert flat(words) not in flat(docx_text(docx_off))


def test_default_scope(ldb):
    """From 2018-01-01 to the letter's date; every message to or from @ring.com, @amazon.com only
    with a search term; custodians and search terms suggested."""
    request_id = make_request(ldb, "CA")
    letter, pdf, docx_bytes = both(ldb, request_id)
    for text in (flat(pdf_text(pdf)), flat(docx_text(docx_bytes))):
        assert flat("covers records created, sent or received from January 1, 2018 through September 15, 2026, "
                    "the date of this letter.") in text
        assert flat("this request covers messages sent to or from @ring.com, and to or from @amazon.com "
                    "containing Ring, Neighbors, NPSS, Request for Assistance, Community Request, Axon, Fusus, "
                    "or Flock.") in text
        assert flat("sent to or from the domains") not in text  # amazon.com is never asked for whole
        assert flat("records that name") not in text
        assert flat("most likely held by the office of the chief or sheriff, the public information officer") in text
        assert flat('a search for "Ring", "Neighbors", "NPSS"') in text
    dated = letters.render(ldb, request_id, options={"date": "2026-10-01"}, today=DAY)
    assert "through October 1, 2026, the date of this letter" in " ".join(dated.texts())


def test_date_range_both_ends(ldb):
    request_id = make_request(ldb, "PA")
    letter = letters.render(ldb, request_id, options={"date_from": "2019-01-01", "date_to": "2024-12-31"}, today=DAY)
    assert "from January 1, 2019 through December 31, 2024." in " ".join(letter.texts())
    none = letters.render(ldb, request_id, options={"date_from": ""}, today=DAY)
    assert f"up to and including {TODAY_WORDS}, the date of this letter" in " ".join(none.texts())
    with pytest.raises(Invalid, match="Records from: the date range starts after it ends") as raised:
        letters.render(ldb, request_id, options={"date_from": "2025-01-01", "date_to": "2024-12-31"}, today=DAY)
    assert raised.value.field == "date_from"
    with pytest.raises(Invalid, match="Records to: “2024-13-01” is not a date") as raised:
        letters.render(ldb, request_id, options={"date_to": "2024-13-01"}, today=DAY)
    assert raised.value.field == "date_to"


@pytest.mark.parametrize("title, description, subject, item", [
    ("Flock and Axon integration records", "",
     "request: Flock and Axon integration records", "Flock and Axon integration records."),
    ("Drone program", "Flight logs of the police drone program.",
     "request: Drone program", "Records about Drone program: Flight logs of the police drone program."),
    ("Ring partnership records", "Only the 2023 renewal, please.",
     "request: records of the Springfield Police Department PA's partnership with Ring",
     "Only the 2023 renewal, please."),
    ("Ring partnership records", "", "partnership with Ring", None),
    ("Pennsylvania Ring partnership records 2026", "", "partnership with Ring", None),
    ("Springfield PD and Ring", "", "partnership with Ring", None),
])
def test_request_title_and_description(ldb, title, description, subject, item):
    agency_id, _ = agencies.upsert(ldb, {"name": "Springfield Police Department PA", "state": "PA",
                                         "kind": "police", "records_email": "records@example.gov"})
    request_id = requests.create_request(ldb, agency_id=agency_id, title=title, description=description)
    letter, pdf, docx_bytes = both(ldb, request_id)
    (re_line,) = [markup.plain_text(b.runs) for b in letter.blocks if b.part == "subject"]
    assert re_line.startswith("Re: ") and typeset(subject) in re_line
    numbered = [p.text for p in docx_paragraphs(docx_bytes) if p.style.name == "List Number"]
    if item:
        assert numbered[0] == typeset(item)
        assert len(numbered) == len(letters.categories()) + 1
    else:
        assert len(numbered) == len(letters.categories())
    assert_same_paragraphs(pdf, docx_bytes)


@pytest.mark.parametrize("method, via", [
    ("email", "Via e-mail to records@example.gov"),
    ("mail", "Via U.S. Mail"),
])
def test_via_line(ldb, method, via):
    request_id = make_request(ldb, "PA", method=method)
    letter = letters.render(ldb, request_id, today=DAY)
    assert [markup.plain_text(b.runs) for b in letter.blocks if b.part == "via"] == [via]


def test_letter_layout_parts_in_html(ldb):
    request_id = make_request(ldb, "PA")
    html = letters.to_html(letters.render(ldb, request_id, today=DAY))
    order = [html.index(f'class="{part}"') for part in
             ("date", "via", "address", "subject", "salutation", "thanks", "closing", "signature")]
    assert order == sorted(order)
    assert '<div class="running-header">Jane Doe · Springfield Police Department PA · September 15, 2026</div>' in html


def test_running_header_on_later_pages_only(ldb):
    long_text = "\n\n".join("Records of the program and its data " * 30 for _ in range(6))
    request_id = make_request(ldb, "GA", description=long_text)
    _, pdf, _ = both(ldb, request_id)
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 3
    header = "Jane Doe · Springfield Police Department GA · September 15, 2026"
    assert header not in pages[0]
    assert all(header in page.splitlines() for page in pages[1:])


def test_section_sign_never_ends_a_line(ldb):
    # Many "§ n" of different lengths: without the no-break space some would break after "§".
    description = " ".join(f"See § {n * 7}{'0' * (n % 4)} and §§ {n}.{n % 9}." for n in range(1, 160))
    request_id = make_request(ldb, "CA", description=description)
    _, pdf, docx_bytes = both(ldb, request_id)
    lines = [line.rstrip() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages
             for line in page.extract_text().splitlines()]
    assert sum("§" in line for line in lines) > 40
    assert not [line for line in lines if line.endswith("§")]
    assert "§\u00a07" in docx_text(docx_bytes) and "§ 7" not in docx_text(docx_bytes)


def test_curly_quotes_in_both_formats(ldb):
    request_id = make_request(ldb, "PA")
    _, pdf, docx_bytes = both(ldb, request_id)
    for text in (pdf_text(pdf), docx_text(docx_bytes)):
        assert "\u201cRequest for Assistance\u201d" in text and "agency\u2019s" in text
        assert '"' not in text and "'" not in text


@pytest.mark.parametrize("state, offered", [("US", "5 U.S.C. § 552(a)(6)(E)"), ("UT", "Utah Code § 63G-2-204"), ("PA", None)])
def test_expedited_processing_only_where_the_law_offers_it(ldb, state, offered):
    request_id = make_request(ldb, state)
    letter = letters.render(ldb, request_id, options={"expedited": True, "expedited_reason": "A council vote is near."},
                            today=DAY)
    text = " ".join(letter.texts())
    if offered:
        assert typeset(f"I ask for expedited processing under {offered}") in text
        assert "A council vote is near." in text
        assert not [w for w in letter.warnings if "expedited" in w]
    else:
        assert "expedited" not in text
        assert any("offers no expedited processing" in w for w in letter.warnings)
    plain = letters.render(ldb, request_id, today=DAY)
    assert "expedited processing" not in " ".join(plain.texts())


def test_html_and_markdown_in_fields_are_shown_literally(ldb):
    evil = '<b>Evil</b> & *Co* # <script>alert(1)</script> {: .date}'
    request_id = make_request(ldb, "PA", name=evil, description="1. **not a list**\n<img src=x>\n{: .closing}")
    letters.save_requester(ldb, dict(REQUESTER, name="Jane <i>Doe</i> **Bold**"))
    letter, pdf, docx_bytes = both(ldb, request_id)
    html = letters.to_html(letter)
    assert "<script>" not in html and "<b>Evil" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; *Co* # &lt;script&gt;" in html
    pdf_words = flat(pdf_text(pdf))
    docx_words = flat(docx_text(docx_bytes))
    for words in (pdf_words, docx_words):
        assert flat(evil) in words
        assert flat("1. **not a list** <img src=x> {: .closing}") in words
        assert flat("Jane <i>Doe</i> **Bold**") in words
    for paragraph in docx_paragraphs(docx_bytes):
        assert not any(run.bold for run in paragraph.runs if "not a list" in run.text)
        assert not any(run.italic for run in paragraph.runs if "Co" in run.text)
    assert [b.part for b in letter.blocks].count("date") == 1  # a value cannot mark a part
    assert [b.part for b in letter.blocks].count("closing") == 1
    assert_same_paragraphs(pdf, docx_bytes)


def test_long_description_flows_onto_more_pages(ldb):
    short_id = make_request(ldb, "PA")
    long_text = "\n\n".join(f"Paragraph {i}: " + "records of the program and its data " * 30 for i in range(18))
    long_id = make_request(ldb, "GA", description=long_text)
    _, short_pdf, _ = both(ldb, short_id)
    _, long_pdf, long_docx = both(ldb, long_id)
    short_pages = len(pypdf.PdfReader(io.BytesIO(short_pdf)).pages)
    long_pages = len(pypdf.PdfReader(io.BytesIO(long_pdf)).pages)
    assert long_pages >= short_pages + 3
    text = flat(pdf_text(long_pdf))
    assert flat("Paragraph 0:") in text and flat("Paragraph 17:") in text
    assert flat(f"Page {long_pages} of {long_pages}") in text
    assert_same_paragraphs(long_pdf, long_docx)


def test_non_latin_names_render_with_embedded_fonts(ldb):
    name = "Nguyễn Thị Minh 王小明 Ольга Петрова"
    letters.save_requester(ldb, dict(REQUESTER, name=name))
    request_id = make_request(ldb, "CA", name="Département de police Ωmega")
    letter, pdf, docx_bytes = both(ldb, request_id)
    text = pdf_text(pdf)
    for word in ("Nguyễn", "王小明", "Ольга", "Петрова", "Département", "Ωmega"):
        assert word in text
    fonts = pdf_fonts(pdf)
    assert all(embedded for _, embedded in fonts), fonts
    assert any("CJK" in font for font, _ in fonts), fonts
    assert docx_paragraphs(docx_bytes)[0].text == name


def test_missing_requester_settings_name_the_field(ldb):
    request_id = make_request(ldb, "PA")
    ldb["settings"].upsert({"key": "requester", "value": '{"name": "Jane Doe", "email": "jane@example.org"}'},
                           pk="key")
    with pytest.raises(Invalid, match="requester address is not set") as raised:
        letters.render(ldb, request_id, today=DAY)
    assert raised.value.field == "address"
    ldb["settings"].delete("requester")
    with pytest.raises(Invalid, match="requester name is not set") as raised:
        letters.render(ldb, request_id, today=DAY)
    assert set(raised.value.errors) == {"name", "address", "email"}
    with pytest.raises(Invalid, match="Enter your e-mail address.") as raised:
        letters.save_requester(ldb, dict(REQUESTER, email=""))
    assert raised.value.errors == {"email": "Enter your e-mail address."}


def test_agency_without_address_is_flagged_but_renders(ldb, files):
    request_id = make_request(ldb, "PA", address="", email="")
    letter, pdf, docx_bytes = both(ldb, request_id)
    assert any("no mailing address" in w for w in letter.warnings)
    assert any("no records email" in w for w in letter.warnings)
    assert "Springfield Police Department PA" in pdf_text(pdf)
    assert not [b for b in letter.blocks if b.part == "via"]  # nowhere to say it was e-mailed
    row = letters.generate(ldb, request_id, "pdf", files, today=DAY)
    assert any("no mailing address" in w for w in row["warnings"])


def test_unknown_template_request_format_and_option(ldb, files):
    request_id = make_request(ldb, "PA")
    with pytest.raises(Invalid, match="unknown letter template 'nope'.*ring-partnership"):
        letters.render(ldb, request_id, "nope", today=DAY)
    with pytest.raises(Invalid, match="unknown letter template '../etc/passwd'"):
        letters.render(ldb, request_id, "../etc/passwd", today=DAY)
    with pytest.raises(LookupError, match="No request with id 9999"):
        letters.render(ldb, 9999, today=DAY)
    with pytest.raises(Invalid, match="unknown letter format 'odt'") as raised:
        letters.generate(ldb, request_id, "odt", files)
    assert raised.value.field == "format"
    with pytest.raises(Invalid, match="unknown letter option") as raised:
        letters.render(ldb, request_id, options={"colour": "red"}, today=DAY)
    assert raised.value.field == "colour"
    # Every problem at once, in words, each under its own field.
    with pytest.raises(Invalid) as raised:
        letters.render(ldb, request_id, options={"date_from": "2019-02-30", "fee_ceiling": "lots",
                                                 "domains": "not a domain!"}, today=DAY)
    assert raised.value.errors == {
        "date_from": "Records from: “2019-02-30” is not a date. Enter it as year-month-day, such as 2019-02-28.",
        "fee_ceiling": "Fee limit: “lots” is not an amount of dollars. Enter it as 25 or 12.50.",
        "domains": "E-mail domains: “not” is not an e-mail domain such as ring.com."}
    with pytest.raises(NotFound, match="No letter with id 4242"):
        letters.get(ldb, 4242)
    assert not hasattr(letters, "LetterError")  # one error model: errors.Invalid and errors.NotFound


def test_broken_template_names_file_and_line(ldb, tmp_path):
    folder = tmp_path / "templates"
    shutil.copytree(letters.DEFAULT_TEMPLATES, folder)
    (folder / "broken.md.j2").write_text("{# a user's template #}\nHello\n\n{% if agency.name %}\nunclosed\n")
    (folder / "typo.md.j2").write_text("Line one\n\n{{ agency.nmae }}\n")
    request_id = make_request(ldb, "PA")
    with pytest.raises(Invalid, match=r"broken\.md\.j2, line \d+:.*(endif|end of template)"):
        letters.render(ldb, request_id, "broken", folder=folder, today=DAY)
    with pytest.raises(Invalid, match=r"typo\.md\.j2, line 3: .*nmae"):
        letters.render(ldb, request_id, "typo", folder=folder, today=DAY)
    names = [t["name"] for t in letters.list_templates(folder)]
    assert {"broken", "typo", "ring-partnership", "follow-up", "appeal"} <= set(names)
    assert "_signature" not in names and "_opening" not in names


def test_user_template_in_configured_folder(ldb, tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "short.md.j2").write_text(
        "{# A short note #}\n# Note to {{ agency.name }}\n\nUnder {{ law.citation }}: {{ request.title }}.\n"
    )
    request_id = make_request(ldb, "GA")
    assert letters.templates_dir({"LETTER_TEMPLATES": str(folder)}) == folder.resolve()
    # The folder comes from the configuration given, never from the environment.
    monkeypatch.setenv("FOIA_LETTER_TEMPLATES", str(folder))
    assert letters.templates_dir({"LETTER_TEMPLATES": ""}) == letters.DEFAULT_TEMPLATES
    assert letters.list_templates(folder) == [{"name": "short", "title": "Short", "description": "A short note",
                                                   "path": str(folder / "short.md.j2")}]
    letter, pdf, docx_bytes = both_in(ldb, request_id, "short", folder)
    assert docx_paragraphs(docx_bytes)[-2].style.name == "Heading 1"
    assert flat(laws.get(ldb, "GA").citation) in flat(pdf_text(pdf))  # letter.css falls back to the shipped one


def both_in(db, request_id, template, folder):
    letter = letters.render(db, request_id, template, folder=folder, today=DAY)
    return letter, letters_pdf.to_pdf(letters.to_html(letter), folder), letters.to_docx(letter)


def test_same_input_same_bytes_and_storage(ldb, files):
    request_id = make_request(ldb, "PA")
    first = [letters.render_bytes(letters.render(ldb, request_id, today=DAY), fmt) for fmt in ("pdf", "docx")]
    second = [letters.render_bytes(letters.render(ldb, request_id, today=DAY), fmt) for fmt in ("pdf", "docx")]
    assert first == second
    meta = pypdf.PdfReader(io.BytesIO(first[0])).metadata
    assert meta["/CreationDate"].startswith("D:20260915")
    core = docx.Document(io.BytesIO(first[1])).core_properties
    assert core.created == dt.datetime(2026, 9, 15, tzinfo=dt.timezone.utc)
    with zipfile.ZipFile(io.BytesIO(first[1])) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 9, 15, 0, 0, 0)}

    row = letters.generate(ldb, request_id, "pdf", files, today=DAY)
    again = letters.generate(ldb, request_id, "pdf", files, today=DAY)
    assert again["id"] == row["id"]
    # The letter is in the one file store, named by its SHA-256, like every stored document.
    path = letters.file_path(row, files)
    assert path == files.path(row["sha256"]) and files.exists(row["sha256"])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"] == path.name
    assert row["size"] == path.stat().st_size and row["template"] == "ring-partnership"
    assert "path" not in ldb["letters"].columns_dict
    with letters.open_file(row, files) as f:
        assert f.read() == first[0]
    other = letters.generate(ldb, request_id, "docx", files, options={"rolling": False}, today=DAY)
    assert other["id"] != row["id"] and '"rolling": false' in other["options"]
    assert [r["id"] for r in letters.for_request(ldb, request_id)] == [other["id"], row["id"]]
    assert letters.download_name(ldb, row) == f"request-{request_id}-ring-partnership-springfield-police-department-pa.pdf"
    # The store's clean-up of unused files knows letters refer to theirs.
    assert filerefs.collect_garbage(ldb, files) == [] and files.exists(row["sha256"])
    files.delete(row["sha256"])
    with pytest.raises(NotFound, match="missing from the file store"):
        letters.open_file(row, files)


def test_letters_stored_the_old_way_are_migrated_into_the_store(tmp_path):
    """An instance from before the file store: rows with a path under LETTERS_DIR."""
    db = db_module.connect(str(tmp_path / "old.db"))
    db_module.migrations.apply(db)
    for name in db_module.FEATURE_SCHEMAS:
        if name != "foia.letters":
            __import__(name, fromlist=["migrations"]).migrations.apply(db)
    letters.migrations.apply(db, stop_before="m002_letters_in_the_file_store")
    laws.load_into(db)
    agency_id, _ = agencies.upsert(db, {"name": "Old Town Police", "state": "PA", "kind": "police"})
    request_id = requests.create_request(db, agency_id=agency_id, title="Ring partnership records")
    legacy = tmp_path / "letters"
    contents = {"pdf": b"%PDF-1.7 an old letter", "docx": b"PK an old docx"}
    for fmt, data in contents.items():
        digest = hashlib.sha256(data).hexdigest()
        (legacy / digest[:2]).mkdir(parents=True, exist_ok=True)
        (legacy / digest[:2] / f"{digest}.{fmt}").write_bytes(data)
        db["letters"].insert({"request_id": request_id, "format": fmt, "template": "ring-partnership",
                              "sha256": digest, "path": f"{digest[:2]}/{digest}.{fmt}", "size": len(data),
                              "generated_at": "2025-01-02T03:04:05", "options": "{}"})
    (legacy / "ab").mkdir(exist_ok=True)
    tampered = legacy / "ab" / ("ab" + "0" * 62 + ".pdf")
    tampered.write_bytes(b"not what the name says")

    db_module.migrate(db)  # the schema: the path column goes
    assert "path" not in db["letters"].columns_dict
    store = LocalStore(tmp_path / "files")
    result = letters.move_legacy_files(legacy, store)  # the files: into the one store
    assert result == {"moved": 2, "kept": [str(tampered)]}
    for row in letters.for_request(db, request_id):
        with letters.open_file(row, store) as f:
            assert f.read() == contents[row["format"]]
    assert sorted(p.name for p in legacy.rglob("*") if p.is_file()) == [tampered.name]
    assert letters.move_legacy_files(legacy, store) == {"moved": 0, "kept": [str(tampered)]}
    assert letters.move_legacy_files(tmp_path / "nothing-here", store) == {"moved": 0, "kept": []}
    db.conn.close()


def test_fetcher_refuses_files_and_network(tmp_path):
    css, fonts, fetcher, base_url = letters_pdf.pdf_tools()
    assert base_url.startswith("file://")
    for url in ("file:///etc/passwd", "http://example.com/x.css", "https://example.com/font.ttf",
                base_url + "ring-partnership.md.j2", base_url + "../setup.cfg"):
        with pytest.raises(ValueError, match="letters do not fetch"):
            fetcher.fetch(url)
    response = fetcher.fetch(base_url + "letter.css")
    assert b"@page" in response.read()
    response.close()
    html = '<p>x</p><img src="file:///etc/passwd"><link rel="stylesheet" href="http://example.com/a.css">'
    assert pdf_text(letters_pdf.to_pdf(html)).split() == ["x", "Page", "1", "of", "1"]


def follow_up_request(ldb, estimate=None, tracking="R-17"):
    request_id = make_request(ldb, "NY", tracking_number=tracking, filed_on="2026-06-01")
    if estimate:
        requests.add_event(ldb, request_id, "acknowledged", "2026-06-05", data={"estimated_date": estimate})
    return request_id


@pytest.mark.parametrize("estimate, words", [
    ("2026-08-01", "estimated that it would complete the request by August 1, 2026. That date has passed"),
    ("2026-12-01", "estimated that it would complete the request by December 1, 2026. Please confirm"),
    (None, "I have not received an estimated completion date."),
])
def test_follow_up_wording(ldb, estimate, words):
    request_id = follow_up_request(ldb, estimate)
    letter, pdf, docx_bytes = both(ldb, request_id, "follow-up")
    text = flat(pdf_text(pdf))
    assert flat(words) in text
    assert flat("tracking number R-17") in text and flat("request no. R-17 of June 1, 2026") in text
    others = {"That date has passed", "Please confirm that this date still holds", "I have not received an estimated"}
    assert sum(flat(phrase) in text for phrase in others) == 1
    assert_same_paragraphs(pdf, docx_bytes)


@pytest.mark.parametrize("kind, data, words", [
    ("extension_claimed", {"days": 20, "day_type": "business", "new_due_on": "2026-07-20", "reason": "volume"},
     "On June 10, 2026 your office extended the time to respond by 20 business days, to July 20, 2026, giving "
     "this reason: volume. The extended date, July 20, 2026, has passed, and I have received neither the records"),
    ("fee_estimate", {"amount": "35.50", "estimated_date": "2026-11-02"},
     "On June 10, 2026 your office estimated the fees at $35.50. Your office estimated that it would complete the "
     "request by November 2, 2026. Please confirm"),
])
def test_follow_up_reads_the_canonical_event_fields(ldb, kind, data, words):
    request_id = follow_up_request(ldb, None)
    requests.add_event(ldb, request_id, kind, "2026-06-10", data=data)
    context = letters.build_context(ldb, request_id, today=DAY)
    if kind == "extension_claimed":
        assert context["extension"] == {"date": "2026-06-10", "days": 20, "day_type": "business",
                                        "new_due_on": "2026-07-20", "reason": "volume"}
    else:
        assert context["fee"] == {"date": "2026-06-10", "amount": "35.50", "estimated_date": "2026-11-02"}
    text = " ".join(letters.render(ldb, request_id, "follow-up", today=DAY).texts())
    assert words in text


def test_follow_up_without_tracking_number_asks_for_it(ldb):
    request_id = follow_up_request(ldb, None, tracking="")
    text = " ".join(letters.render(ldb, request_id, "follow-up", today=DAY).texts())
    assert "I have not received a tracking number for it" in text
    assert typeset("Public Officers Law § 89(3)(a) requires your office, within five business days") in text
    # Filed Monday June 1: five business days to answer or acknowledge, then the 20-business-day date.
    assert "No answer or acknowledgement reached me by June 8, 2026, and the date for a response, July 8, 2026, " \
           "has also passed." in text
    assert "A failure to respond within these times is a denial of access" in text
    assert "Please tell me a date certain by which you will complete this request." in text
    with_option = letters.render(ldb, request_id, "follow-up", {"estimated_date": "2026-10-01"}, today=DAY)
    assert "by October 1, 2026. Please confirm" in " ".join(with_option.texts())


def test_appeal_cites_the_denial_and_the_route(ldb):
    request_id = follow_up_request(ldb, None)
    # Before New York's five business days have run out, there is nothing to appeal.
    with pytest.raises(Invalid, match=r"appeal\.md\.j2, line \d+: this request has no denial"):
        letters.render(ldb, request_id, "appeal", today=dt.date(2026, 6, 3))
    requests.add_event(ldb, request_id, "denied", "2026-08-20", note="Our note, not the agency's.",
                       data={"exemptions": ["§ 87(2)(e)"], "reason": "Records are <exempt>."})
    letter, pdf, docx_bytes = both(ldb, request_id, "appeal")
    text = flat(pdf_text(pdf))
    law = laws.get(ldb, "NY")
    assert flat("FOIL appeal: the August 20, 2026 denial of my New York Freedom of Information Law request no. R-17") \
        in text
    assert flat("Records Access Appeals Officer") in text and law.appeal.route == "agency_head"
    assert flat("The decision gave this reason: Records are <exempt>.") in text
    assert flat("It cited § 87(2)(e).") in text
    assert flat("not re-verified") not in text
    assert_same_paragraphs(pdf, docx_bytes)


def test_follow_up_after_a_partial_release_asks_for_the_rest(ldb):
    request_id = follow_up_request(ldb, "2026-08-01")
    requests.add_event(ldb, request_id, "partial_release", "2026-07-15", data={"pages": 40, "note": "First batch"})
    letter, pdf, docx_bytes = both(ldb, request_id, "follow-up")
    text = flat(pdf_text(pdf))
    assert flat("Thank you for the records released so far: July 15, 2026 (40 pages).") in text
    assert flat("I have received neither the remaining records nor an explanation of the delay") in text
    assert_same_paragraphs(pdf, docx_bytes)


def test_partial_release_is_not_a_denial(ldb):
    request_id = follow_up_request(ldb, None)
    requests.add_event(ldb, request_id, "partial_release", "2026-08-01", data={"pages": 40, "note": "First batch"})
    context = letters.build_context(ldb, request_id, today=DAY)
    assert context["denial"] is None
    assert context["releases"] == [{"date": "2026-08-01", "kind": "partial_release", "pages": 40,
                                    "note": "First batch"}]


def test_appeal_where_the_law_has_no_administrative_appeal(ldb):
    request_id = make_request(ldb, "FL")
    letter = letters.render(ldb, request_id, "appeal", {"denial_date": "2026-09-01", "denial_reason": "Exempt."},
                            today=DAY)
    text = " ".join(letter.texts())
    assert "Request for reconsideration: the September 1, 2026 denial" in text
    assert "the next step open to me is a civil action in the circuit court" in text
    assert "(not verified)" not in text and "No administrative appeal:" not in text  # no research notes pasted


def test_context_takes_law_model_fields(ldb):
    request_id = make_request(ldb, "TX")
    context = letters.build_context(ldb, request_id, today=DAY,
                                    law_fields={"statute": "the Texas Public Information Act", "fee_statute": "§ 552.261"})
    assert context["law"]["statute"] == "the Texas Public Information Act"
    assert context["law"]["fee_statute"] == "§ 552.261"
    assert context["law"]["citation"] == laws.get(ldb, "TX").citation


def test_texts_match_markdown_blocks(ldb):
    request_id = make_request(ldb, "PA")
    letter = letters.render(ldb, request_id, today=DAY)
    assert letter.texts()[len(letter.letterhead):] == markup.block_texts(markup.parse(letter.markdown))


def test_requester_settings_round_trip(ldb):
    stored = letters.requester(ldb)
    assert stored == dict(REQUESTER, residence="")
    with pytest.raises(Invalid, match="e-mail address doesn.t look right"):
        letters.save_requester(ldb, dict(REQUESTER, email="jane at example"))
    assert letters.requester(ldb) == stored  # a bad save changes nothing
    with pytest.raises(Invalid, match="is not a state"):
        letters.save_requester(ldb, dict(REQUESTER, residence="XX"))


# --- Web ---------------------------------------------------------------------------------------


@pytest.fixture
def web(app):
    from foia.web import letters as letters_web

    if "letters" not in app.blueprints:  # until the blueprint is in foia.web.BLUEPRINTS
        app.register_blueprint(letters_web.bp)
    return app


@pytest.fixture
def wclient(web, client, ldb):
    return client


def test_web_requester_settings(wclient, ldb):
    page = wclient.get("/settings/requester")
    assert page.status_code == 200 and b'value="Jane Doe"' in page.data
    bad = wclient.post("/settings/requester", data=dict(REQUESTER, email="", address=""))
    assert bad.status_code == 422 and b"Enter your e-mail address." in bad.data
    assert b'id="email-error"' in bad.data and b'id="address-error"' in bad.data
    assert letters.requester(ldb) == dict(REQUESTER, residence="")
    ok = wclient.post("/settings/requester", data=dict(REQUESTER, name="Ann <b>Lee</b>"))
    assert ok.status_code == 303
    assert letters.requester(ldb)["name"] == "Ann <b>Lee</b>"


def test_web_preview_generate_download(wclient, ldb, web, files):
    request_id = make_request(ldb, "PA", name="<script>x</script> Police")
    form = wclient.get(f"/requests/{request_id}/letters")
    assert form.status_code == 200 and b"ring-partnership" in form.data and b"&lt;script&gt;" in form.data
    # Templates are offered by their titles, not "ring-partnership: The initial request...".
    assert b'<option value="ring-partnership" selected>Initial request: Ring partnership records</option>' in form.data
    assert b"ring-partnership: The initial" not in form.data
    assert b'name="keyword_domains" value="amazon.com"' in form.data and b'name="footage"' in form.data
    query = {"template": "ring-partnership", "options_form": "1", "categories": ["agreement", "metrics"],
             "rolling": "1", "date_from": "2019-01-01", "fee_ceiling": "30", "search_terms": "Ring\nFlock",
             "domains": "ring.com", "keyword_domains": "amazon.com", "custodians": "the records unit"}
    preview = wclient.get(f"/requests/{request_id}/letters/preview", query_string=query)
    assert preview.status_code == 200
    page = preview.data.decode()
    assert "within five business days" in page and "from January 1, 2019" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt; Police" in page
    assert "Please preserve" not in page and "rolling basis" in page
    assert "containing Ring or Flock" in page and "held by the records unit" in page
    assert "<h1>Preview: Initial request: Ring partnership records</h1>" in page
    assert "told first if fees will exceed $30.00" in page
    assert 'name="categories" value="metrics"' in page and 'name="categories" value="oversight"' not in page
    bad = wclient.get(f"/requests/{request_id}/letters/preview", query_string=dict(query, date_from="2019-02-30"))
    assert bad.status_code == 422 and b"is not a date" in bad.data
    assert b'id="date_from-error"' in bad.data and b'aria-describedby="date_from-error"' in bad.data

    data = {"template": "ring-partnership", "format": "pdf", "options_form": "1", "categories": ["agreement", "metrics"],
            "rolling": "1", "date_from": "2019-01-01", "fee_ceiling": "30", "search_terms": "Ring\nFlock",
            "domains": "ring.com", "keyword_domains": "amazon.com"}
    made = wclient.post(f"/requests/{request_id}/letters", data=data)
    # Generating answers with the new letter's download, and the request lists it.
    (row,) = letters.for_request(ldb, request_id)
    assert made.status_code == 303 and made.headers["Location"].endswith(f"/letters/{row['id']}/download")
    assert files.exists(row["sha256"])  # in the one file store
    download = wclient.get(f"/letters/{row['id']}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    text = flat(pdf_text(download.data))
    assert flat("from January 1, 2019") in text and flat("Please preserve") not in text
    assert flat("If fees will exceed $30") in text
    assert flat("containing Ring or Flock") in text
    assert hashlib.sha256(download.data).hexdigest() == row["sha256"]
    assert wclient.get("/letters/999/download").status_code == 404
    assert wclient.get("/requests/999/letters").status_code == 404
    css = wclient.get("/letters/letter.css")
    assert css.status_code == 200 and b"@page" in css.data
    css.close()
    download.close()

    from flask import render_template

    with web.test_request_context():
        html = render_template("letters/_request_letters.html", request_row={"id": request_id})
    assert f"/letters/{row['id']}/download" in html and row["sha256"][:12] in html
    assert "Initial request: Ring partnership records" in html and "<th>SHA-256</th>" not in html


def test_readme_documents_every_template_variable(ldb):
    """letters/README.md names every variable a template can use, and every option."""
    readme = (letters.DEFAULT_TEMPLATES / "README.md").read_text()
    request_id = make_request(ldb, "PA")
    context = letters.build_context(ldb, request_id, today=DAY)
    documented = set(re.findall(r"`([a-z0-9_]+)`", readme))
    missing = [key for key in context if key not in documented]
    for group in ("request", "requester", "date_range", "estimate", "law"):
        missing += [f"{group}.{key}" for key in context[group] if key not in documented]
    missing += [f"options.{key}" for key in letters.DEFAULT_OPTIONS if key not in documented]
    missing += [f"agency.{key}" for key in context["agency"]
                if key not in documented and key not in ("id", "created_at", "updated_at", "closed_days")]
    for name in ("lines", "date_words", "money", "join_words", "quoted", "one_paragraph", "require"):
        if name not in documented:
            missing.append(f"filter {name}")
    for part in markup.PARTS:
        if part not in documented:
            missing.append(f"part {part}")
    assert not missing, missing


@pytest.mark.parametrize("state, warned", [("VA", True), ("TN", True), ("CA", False)])
def test_residency_warning_comes_from_the_law_model(ldb, state, warned):
    request_id = make_request(ldb, state)
    assert laws.get(ldb, state).residency.required == warned
    letter = letters.render(ldb, request_id, today=DAY)
    assert any("set your state of residence in the requester settings" in w for w in letter.warnings) == warned
    stated = letters.render(ldb, request_id, options={"residency": "I live in the state."}, today=DAY)
    assert not any("residency statement" in w for w in stated.warnings)
    assert "I live in the state." in " ".join(stated.texts())
