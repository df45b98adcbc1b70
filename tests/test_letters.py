"""Request letters: context, templates, and the PDF and DOCX read back."""
import datetime as dt
import hashlib
import io
import re
import shutil

import docx
import pypdf
import pytest

from foia import agencies, letters, markup, requests

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
    """Text without whitespace: the PDF wraps lines where the words have spaces, or none (after a dash)."""
    return "".join(text.split())


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
    return letter, letters.to_pdf(letters.to_html(letter)), letters.to_docx(letter)


def assert_same_paragraphs(pdf: bytes, docx_bytes: bytes):
    """Every DOCX paragraph appears in the PDF's text, in the same order.

    Whitespace is left out of the comparison: the PDF wraps lines (also after a dash) where the
    DOCX has none.
    """
    # Page footers, and list numbers (which pypdf gives at the end of each page), are not paragraphs.
    pages = re.sub(r"^(Page \d+ of \d+|\d+\. ?)$", "", pdf_text(pdf), flags=re.M)
    text = "".join(pages.split())
    position = 0
    paragraphs = ["".join(p.text.split()) for p in docx_paragraphs(docx_bytes)]
    assert len(paragraphs) > 10
    for paragraph in paragraphs:
        found = text.find(paragraph, position)
        assert found >= 0, f"not found in order in the PDF: {paragraph!r}"
        position = found + len(paragraph)


@pytest.mark.parametrize("state, words", [
    ("PA", "within 5 business days, as 65 P.S. § 67.101 et seq.; §§ 67.901, 67.902 requires"),
    ("GA", "within 3 business days, as O.C.G.A. § 50-18-70 et seq.; § 50-18-71(b)(1)(A) requires"),
    ("CA", "within 10 calendar days, as Cal. Gov. Code § 7922.535 (formerly § 6253(c)); § 7920.000 et seq. requires"),
])
def test_citation_and_period(ldb, state, words):
    request_id = make_request(ldb, state)
    law = ldb["laws"].get(state)
    letter, pdf, docx_bytes = both(ldb, request_id)
    for text in (flat(pdf_text(pdf)), flat("\n".join(p.text for p in docx_paragraphs(docx_bytes)))):
        assert flat(f"Springfield Police Department {state}") in text
        assert flat(law["law_name"]) in text
        assert flat(law["citation"]) in text
        assert flat(words) in text
        assert flat("Jane Doe") in text
        assert flat("estimated date") not in text
    assert_same_paragraphs(pdf, docx_bytes)


def test_law_without_a_fixed_period_asks_for_an_estimated_date(ldb):
    request_id = make_request(ldb, "FL")
    letter, pdf, docx_bytes = both(ldb, request_id)
    text = flat(pdf_text(pdf))
    assert flat("Fla. Stat. ch. 119; § 119.07(1)(c)") in text
    assert flat("sets no fixed period for a response, so please tell me the estimated date") in text
    assert flat(" days, as ") not in text
    assert_same_paragraphs(pdf, docx_bytes)


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
    assert numbered == [c.letter_text for c in letters.categories() if c.key in ("agreement", "metrics", "oversight")]
    section = docx.Document(io.BytesIO(docx_bytes)).sections[0]
    assert section.left_margin.inches == 1 and section.page_width.inches == 8.5
    # The letter's words, in order, are exactly the DOCX's paragraphs.
    assert [p.text for p in paragraphs] == letter.texts()
    assert_same_paragraphs(pdf, docx_bytes)


def test_chosen_categories_only(ldb):
    request_id = make_request(ldb, "GA")
    chosen = ["video-requests", "policies"]
    letter, pdf, docx_bytes = both(ldb, request_id, options={"categories": chosen})
    text = flat(pdf_text(pdf))
    for category in letters.categories():
        assert (flat(category.letter_text) in text) == (category.key in chosen), category.key
    numbered = [p.text for p in docx_paragraphs(docx_bytes) if p.style.name == "List Number"]
    assert [n[:24] for n in numbered] == ["Records of requests for ", "Policies that govern the"]
    with pytest.raises(letters.LetterError, match="choose at least one record category"):
        letters.render(ldb, request_id, options={"categories": []}, today=DAY)
    with pytest.raises(letters.LetterError, match="unknown category 'bodycams'"):
        letters.render(ldb, request_id, options={"categories": "bodycams"}, today=DAY)


def test_categories_follow_the_checklist():
    source = (letters.CATEGORIES_CSV.parent / "ring-record-categories.md").read_text()
    items = dict(re.findall(r"^(\d+)\. (.+?)(?=^\d+\. |^\s*$)", source, re.M | re.S))
    assert len(items) == 12
    table = letters.categories()
    assert [c.number for c in table] == list(range(1, 13))
    assert len({c.key for c in table}) == 12
    for category in table:
        assert flat(items[str(category.number)]).startswith(flat(category.checklist)), category.key


CLAUSES = [
    # option, value that adds the clause, value that removes it, words of the clause
    ("date_from", "2018-01-01", "", "from January 1, 2018 to the date of your search"),
    ("parties", "Chief Ann Smith; Lt. Bo Li", "", "name, or were sent to or from, Chief Ann Smith and Lt. Bo Li"),
    ("domains", "ring.com, amazon.com", "", "sent to or from the domains ring.com and amazon.com"),
    ("fee_waiver", True, False, "I ask you to waive all fees."),
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
    assert flat(words) in flat(" ".join(p.text for p in docx_paragraphs(docx_on)))
    assert flat(words) not in flat(pdf_text(pdf_off))
    assert flat(words) not in flat(" ".join(p.text for p in docx_paragraphs(docx_off)))


def test_date_range_both_ends(ldb):
    request_id = make_request(ldb, "PA")
    letter = letters.render(ldb, request_id, options={"date_from": "2018-01-01", "date_to": "2024-12-31"}, today=DAY)
    assert "from January 1, 2018 through December 31, 2024" in letter.markdown
    with pytest.raises(letters.LetterError, match="date_from"):
        letters.render(ldb, request_id, options={"date_from": "2025-01-01", "date_to": "2024-12-31"}, today=DAY)
    with pytest.raises(letters.LetterError, match="date_to: '2024-13-01' is not a date"):
        letters.render(ldb, request_id, options={"date_to": "2024-13-01"}, today=DAY)


@pytest.mark.parametrize("state, offered", [("US", "5 U.S.C. § 552(a)(6)(E)"), ("UT", "Utah Code § 63G-2-204"), ("PA", None)])
def test_expedited_processing_only_where_the_law_offers_it(ldb, state, offered):
    request_id = make_request(ldb, state)
    letter = letters.render(ldb, request_id, options={"expedited": True, "expedited_reason": "A council vote is near."},
                            today=DAY)
    text = " ".join(letter.texts())
    if offered:
        assert f"I ask for expedited processing under {offered}" in text
        assert "A council vote is near." in text
        assert not letter.warnings
    else:
        assert "expedited" not in text
        assert any("offers no expedited processing" in w for w in letter.warnings)
    plain = letters.render(ldb, request_id, today=DAY)
    assert "expedited processing" not in " ".join(plain.texts())


def test_html_and_markdown_in_fields_are_shown_literally(ldb):
    evil = '<b>Evil</b> & *Co* # <script>alert(1)</script>'
    request_id = make_request(ldb, "PA", name=evil, description="1. **not a list**\n<img src=x>")
    letters.save_requester(ldb, dict(REQUESTER, name="Jane <i>Doe</i> **Bold**"))
    letter, pdf, docx_bytes = both(ldb, request_id)
    html = letters.to_html(letter)
    assert "<script>" not in html and "<b>Evil" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; *Co* # &lt;script&gt;" in html
    pdf_words = flat(pdf_text(pdf))
    docx_words = flat(" ".join(p.text for p in docx_paragraphs(docx_bytes)))
    for words in (pdf_words, docx_words):
        assert flat(evil) in words
        assert flat("1. **not a list** <img src=x>") in words
        assert flat("Jane <i>Doe</i> **Bold**") in words
    for paragraph in docx_paragraphs(docx_bytes):
        assert not any(run.bold for run in paragraph.runs if "not a list" in run.text)
        assert not any(run.italic for run in paragraph.runs if "Co" in run.text)
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
    with pytest.raises(letters.LetterError, match="requester address is not set"):
        letters.render(ldb, request_id, today=DAY)
    ldb["settings"].delete("requester")
    with pytest.raises(letters.LetterError, match="requester name is not set"):
        letters.render(ldb, request_id, today=DAY)
    with pytest.raises(letters.LetterError, match="requester email is required"):
        letters.save_requester(ldb, dict(REQUESTER, email=""))


def test_agency_without_address_is_flagged_but_renders(ldb):
    request_id = make_request(ldb, "PA", address="", email="")
    letter, pdf, docx_bytes = both(ldb, request_id)
    assert any("no mailing address" in w for w in letter.warnings)
    assert any("no records email" in w for w in letter.warnings)
    assert "Springfield Police Department PA" in pdf_text(pdf)
    row = letters.generate(ldb, request_id, "pdf", ldb_letters_dir(ldb), today=DAY)
    assert any("no mailing address" in w for w in row["warnings"])


def ldb_letters_dir(db):
    from pathlib import Path

    return Path(db.conn.execute("PRAGMA database_list").fetchone()[2]).parent / "letters"


def test_unknown_template_request_format_and_option(ldb):
    request_id = make_request(ldb, "PA")
    with pytest.raises(letters.LetterError, match="unknown letter template 'nope'.*ring-partnership"):
        letters.render(ldb, request_id, "nope", today=DAY)
    with pytest.raises(letters.LetterError, match="unknown letter template '../etc/passwd'"):
        letters.render(ldb, request_id, "../etc/passwd", today=DAY)
    with pytest.raises(letters.LetterError, match="unknown request 9999"):
        letters.render(ldb, 9999, today=DAY)
    with pytest.raises(letters.LetterError, match="unknown letter format 'odt'"):
        letters.generate(ldb, request_id, "odt", ldb_letters_dir(ldb))
    with pytest.raises(letters.LetterError, match="unknown letter option"):
        letters.render(ldb, request_id, options={"colour": "red"}, today=DAY)


def test_broken_template_names_file_and_line(ldb, tmp_path):
    folder = tmp_path / "templates"
    shutil.copytree(letters.DEFAULT_TEMPLATES, folder)
    (folder / "broken.md.j2").write_text("{# a user's template #}\nHello\n\n{% if agency.name %}\nunclosed\n")
    (folder / "typo.md.j2").write_text("Line one\n\n{{ agency.nmae }}\n")
    request_id = make_request(ldb, "PA")
    with pytest.raises(letters.LetterError, match=r"broken\.md\.j2, line \d+:.*(endif|end of template)"):
        letters.render(ldb, request_id, "broken", folder=folder, today=DAY)
    with pytest.raises(letters.LetterError, match=r"typo\.md\.j2, line 3: .*nmae"):
        letters.render(ldb, request_id, "typo", folder=folder, today=DAY)
    names = [t["name"] for t in letters.list_templates(folder)]
    assert {"broken", "typo", "ring-partnership", "follow-up", "appeal"} <= set(names)
    assert "_signature" not in names


def test_user_template_in_configured_folder(ldb, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "short.md.j2").write_text(
        "{# A short note #}\n# Note to {{ agency.name }}\n\nUnder {{ law.citation }}: {{ request.title }}.\n"
    )
    request_id = make_request(ldb, "GA")
    assert letters.templates_dir({"LETTER_TEMPLATES": str(folder)}) == folder.resolve()
    assert letters.list_templates(folder) == [{"name": "short", "description": "A short note", "path": str(folder / "short.md.j2")}]
    letter, pdf, docx_bytes = both_in(ldb, request_id, "short", folder)
    assert docx_paragraphs(docx_bytes)[-2].style.name == "Heading 1"
    assert "O.C.G.A. § 50-18-70" in pdf_text(pdf)  # letter.css falls back to the shipped one


def both_in(db, request_id, template, folder):
    letter = letters.render(db, request_id, template, folder=folder, today=DAY)
    return letter, letters.to_pdf(letters.to_html(letter), folder), letters.to_docx(letter)


def test_same_input_same_bytes_and_storage(ldb, tmp_path):
    request_id = make_request(ldb, "PA")
    first = [letters.render_bytes(letters.render(ldb, request_id, today=DAY), fmt) for fmt in ("pdf", "docx")]
    second = [letters.render_bytes(letters.render(ldb, request_id, today=DAY), fmt) for fmt in ("pdf", "docx")]
    assert first == second
    meta = pypdf.PdfReader(io.BytesIO(first[0])).metadata
    assert meta["/CreationDate"].startswith("D:20260915")
    core = docx.Document(io.BytesIO(first[1])).core_properties
    assert core.created == dt.datetime(2026, 9, 15, tzinfo=dt.timezone.utc)

    store = tmp_path / "letters"
    row = letters.generate(ldb, request_id, "pdf", store, today=DAY)
    again = letters.generate(ldb, request_id, "pdf", store, today=DAY)
    assert again["id"] == row["id"]
    path = letters.file_path(row, store)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"] == path.stem
    assert row["size"] == path.stat().st_size and row["template"] == "ring-partnership"
    other = letters.generate(ldb, request_id, "docx", store, options={"rolling": False}, today=DAY)
    assert other["id"] != row["id"] and '"rolling": false' in other["options"]
    assert [r["id"] for r in letters.for_request(ldb, request_id)] == [other["id"], row["id"]]
    assert letters.download_name(ldb, row) == f"request-{request_id}-ring-partnership-springfield-police-department-pa.pdf"


def test_fetcher_refuses_files_and_network(tmp_path):
    css, fonts, fetcher, base_url = letters.pdf_tools()
    assert base_url.startswith("file://")
    for url in ("file:///etc/passwd", "http://example.com/x.css", "https://example.com/font.ttf",
                base_url + "ring-partnership.md.j2", base_url + "../setup.cfg"):
        with pytest.raises(ValueError, match="letters do not fetch"):
            fetcher.fetch(url)
    response = fetcher.fetch(base_url + "letter.css")
    assert b"@page" in response.read()
    response.close()
    html = '<p>x</p><img src="file:///etc/passwd"><link rel="stylesheet" href="http://example.com/a.css">'
    assert pdf_text(letters.to_pdf(html)).split() == ["x", "Page", "1", "of", "1"]


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


def test_follow_up_without_tracking_number_asks_for_it(ldb):
    request_id = follow_up_request(ldb, None, tracking="")
    text = " ".join(letters.render(ldb, request_id, "follow-up", today=DAY).texts())
    assert "I have not received a tracking number for it" in text
    assert "calls for a response within 5 business days, as N.Y. Pub. Off. Law art. 6; § 89(3)(a) requires" in text
    with_option = letters.render(ldb, request_id, "follow-up", {"estimated_date": "2026-10-01"}, today=DAY)
    assert "by October 1, 2026. Please confirm" in " ".join(with_option.texts())


def test_appeal_cites_the_denial_and_the_route(ldb):
    request_id = follow_up_request(ldb, None)
    with pytest.raises(letters.LetterError, match=r"appeal\.md\.j2, line \d+: this request has no denial"):
        letters.render(ldb, request_id, "appeal", today=DAY)
    requests.add_event(ldb, request_id, "denied", "2026-08-20", note="Records are <exempt>.",
                       data={"exemptions": ["§ 87(2)(e)"]})
    letter, pdf, docx_bytes = both(ldb, request_id, "appeal")
    text = flat(pdf_text(pdf))
    assert flat("Appeal of the August 20, 2026 denial of Freedom of Information Law (FOIL) request no. R-17") in text
    assert flat("The decision gave this reason: Records are <exempt>.") in text
    assert flat("It cited § 87(2)(e).") in text
    assert flat("Written appeal to the agency head/appeals officer within 30 days of denial") in text
    assert flat("not re-verified") not in text
    assert_same_paragraphs(pdf, docx_bytes)


def test_appeal_where_the_law_has_no_administrative_appeal(ldb):
    request_id = make_request(ldb, "FL")
    letter = letters.render(ldb, request_id, "appeal", {"denial_date": "2026-09-01", "denial_reason": "Exempt."},
                            today=DAY)
    text = " ".join(letter.texts())
    assert "Request for reconsideration of the September 1, 2026 denial" in text
    assert "No administrative appeal; civil action (attorney fees under § 119.12)" in text


def test_texts_match_markdown_blocks(ldb):
    request_id = make_request(ldb, "PA")
    letter = letters.render(ldb, request_id, today=DAY)
    assert letter.texts()[len(letter.letterhead):] == markup.block_texts(markup.parse(letter.markdown))


def test_requester_settings_round_trip(ldb):
    stored = letters.requester(ldb)
    assert stored == REQUESTER
    with pytest.raises(letters.LetterError, match="is not an email address"):
        letters.save_requester(ldb, dict(REQUESTER, email="jane at example"))
    assert letters.requester(ldb) == REQUESTER  # a bad save changes nothing


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
    bad = wclient.post("/settings/requester", data=dict(REQUESTER, email=""))
    assert bad.status_code == 400 and b"requester email is required" in bad.data
    assert letters.requester(ldb) == REQUESTER
    ok = wclient.post("/settings/requester", data=dict(REQUESTER, name="Ann <b>Lee</b>"))
    assert ok.status_code == 303
    assert letters.requester(ldb)["name"] == "Ann <b>Lee</b>"


def test_web_preview_generate_download(wclient, ldb, web):
    request_id = make_request(ldb, "PA", name="<script>x</script> Police")
    form = wclient.get(f"/requests/{request_id}/letters")
    assert form.status_code == 200 and b"ring-partnership" in form.data and b"&lt;script&gt;" in form.data
    query = {"template": "ring-partnership", "options_form": "1", "categories": ["agreement", "metrics"],
             "rolling": "1", "date_from": "2019-01-01", "fee_ceiling": "30"}
    preview = wclient.get(f"/requests/{request_id}/letters/preview", query_string=query)
    assert preview.status_code == 200
    page = preview.data.decode()
    assert "within 5 business days" in page and "from January 1, 2019" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt; Police" in page
    assert "Please preserve" not in page and "rolling basis" in page
    assert 'name="categories" value="metrics"' in page and 'name="categories" value="oversight"' not in page
    bad = wclient.get(f"/requests/{request_id}/letters/preview", query_string=dict(query, date_from="2019-02-30"))
    assert bad.status_code == 400 and b"is not a date" in bad.data

    data = {"template": "ring-partnership", "format": "pdf", "options_form": "1", "categories": ["agreement", "metrics"],
            "rolling": "1", "date_from": "2019-01-01", "fee_ceiling": "30"}
    made = wclient.post(f"/requests/{request_id}/letters", data=data)
    assert made.status_code == 303 and made.headers["Location"].endswith(f"/requests/{request_id}#letters")
    (row,) = letters.for_request(ldb, request_id)
    download = wclient.get(f"/letters/{row['id']}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    text = flat(pdf_text(download.data))
    assert flat("from January 1, 2019") in text and flat("Please preserve") not in text
    assert flat("If fees will exceed $30") in text
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
