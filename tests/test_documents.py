"""Adding documents: sniffing, extraction (PDF, DOCX, HTML, EML, ZIP), bad input, classification."""
import email.message
import io
import os
import zipfile

import docx
import pytest
from pypdf import PdfWriter

from foia import agencies, documents, requests
from foia.documents import ZipLimits
from foia.errors import Invalid, NotFound
from foia.filestore import LocalStore


@pytest.fixture
def env(db, instance):
    documents.migrations.apply(db)  # no-op once the lead lists foia.documents in FEATURE_SCHEMAS
    agency_id, _ = agencies.upsert(db, {"name": "Springfield Police Department", "state": "OR"})
    other_id, _ = agencies.upsert(db, {"name": "Shelbyville Sheriff", "state": "TX"})
    first = requests.create_request(db, agency_id=agency_id, title="Ring partnership records", filed_on="2026-08-01")
    second = requests.create_request(db, agency_id=other_id, title="Ring video requests", filed_on="2026-08-02")
    return {"db": db, "store": LocalStore(instance / "files"), "r1": first, "r2": second}


def add(env, data: bytes, name: str, request_id=None, **kw):
    return documents.add_document(env["db"], env["store"], request_id or env["r1"], io.BytesIO(data), name, **kw)


def pdf_bytes(html: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=html, base_url=".").write_pdf()


def docx_bytes(*paragraphs) -> bytes:
    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Cell quillwort"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bytes(members: dict, method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def stored_files(env):
    return sorted(p.name for p in env["store"].root.rglob("*") if p.is_file())


def count(env):
    return env["db"].execute("SELECT count(*) FROM documents").fetchone()[0]


def test_pdf_text_and_pages_are_extracted(env):
    data = pdf_bytes("<h1>Memorandum of Understanding</h1><p>Neighbors portal xylophage.</p>"
                     "<p style='page-break-before: always'>Second page</p>")
    added = add(env, data, "MOU.pdf")
    doc = documents.get(env["db"], added.id)
    assert doc["mime"] == "application/pdf" and doc["pages"] == 2
    assert "xylophage" in doc["text"] and "Second page" in doc["text"]
    assert doc["needs_ocr"] == 0 and doc["extraction_error"] == ""
    assert doc["suggested_type"] == "agreement" and doc["doc_type"] is None
    assert doc["agency_name"] == "Springfield Police Department" and doc["agency_state"] == "OR"
    assert doc["received_on"] == "2026-09-15"  # today, without an event


def test_pdf_without_text_layer_needs_ocr(env):
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    doc = documents.get(env["db"], add(env, out.getvalue(), "scan.pdf").id)
    assert doc["pages"] == 1 and doc["needs_ocr"] == 1 and doc["text"] == ""


def test_encrypted_pdf_is_stored_and_flagged(env):
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes("<p>secret contract</p>")))
    writer.encrypt("s3cret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    added = add(env, out.getvalue(), "locked.pdf")
    doc = documents.get(env["db"], added.id)
    assert doc["mime"] == "application/pdf"
    assert "encrypted" in doc["extraction_error"] and doc["text"] == ""
    assert env["store"].exists(doc["sha256"])


def test_malformed_pdf_is_stored_and_flagged(env):
    added = add(env, b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nthis is not a pdf\n%%EOF", "broken.pdf")
    doc = documents.get(env["db"], added.id)
    assert doc["mime"] == "application/pdf"
    assert "could not be read" in doc["extraction_error"]


def test_docx_paragraphs_and_tables(env):
    doc = documents.get(env["db"], add(env, docx_bytes("Training bulletin", "General order 12"), "bulletin.docx").id)
    assert doc["mime"] == documents.DOCX
    assert "General order 12" in doc["text"] and "Cell quillwort" in doc["text"]
    assert doc["suggested_type"] == "training"


def test_html_tags_stripped_scripts_dropped(env):
    page = b"<!doctype html><html><head><title>Invoice 77</title><script>steal('cookies')</script>" \
           b"<style>p{color:red}</style></head><body><p>Amount&nbsp;due: <b>$500</b></p></body></html>"
    doc = documents.get(env["db"], add(env, page, "invoice.html").id)
    assert doc["mime"] == "text/html" and not documents.inline_safe(doc["mime"])
    assert "steal" not in doc["text"] and "color" not in doc["text"]
    assert "Amount due: $500" in doc["text"]
    assert doc["title"] == "Invoice 77"


def test_type_is_sniffed_from_content_not_name(env):
    pdf = pdf_bytes("<p>really a pdf</p>")
    assert documents.get(env["db"], add(env, pdf, "notes.txt").id)["mime"] == "application/pdf"
    html = b"<html><body><script>alert(1)</script>hi</body></html>"
    assert documents.get(env["db"], add(env, html, "harmless.txt").id)["mime"] == "text/html"
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(64)
    doc = documents.get(env["db"], add(env, png, "photo.pdf").id)
    assert doc["mime"] == "image/png" and doc["needs_ocr"] == 1
    assert documents.get(env["db"], add(env, b"a,b\n1,2\n", "table.csv").id)["mime"] == "text/csv"
    assert documents.get(env["db"], add(env, os.urandom(256) + b"\x00", "clip.bin").id)["mime"] == \
        "application/octet-stream"


def test_email_body_and_attachments_become_documents(env):
    message = email.message.EmailMessage()
    message["From"] = "records@springfield.example"
    message["To"] = "us@example.org"
    message["Subject"] = "Your records request"
    message.set_content("Dear requester, attached is the video request log.\nSincerely, Records")
    message.add_attachment(b"Request ID,Case number\n1,2020-55 nudibranch\n", maintype="text", subtype="csv",
                           filename="video-requests.csv")
    message.add_attachment(docx_bytes("Attached policy"), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                           filename="../policy.docx")
    added = add(env, message.as_bytes(), "reply.eml")
    doc = documents.get(env["db"], added.id)
    assert doc["mime"] == "message/rfc822" and doc["title"] == "Your records request"
    assert "attached is the video request log" in doc["text"] and "From: records@springfield.example" in doc["text"]
    assert len(added.member_ids) == 2
    kids = documents.members(env["db"], added.id)
    assert [k["filename"] for k in kids] == ["video-requests.csv", "policy.docx"]
    assert "nudibranch" in kids[0]["text"] and kids[0]["parent_id"] == added.id
    assert "Attached policy" in kids[1]["text"]


def test_zip_members_become_documents(env):
    data = zip_bytes({
        "release/invoice-2020.txt": "INVOICE\nAmount due: $1,200\nBill to: City of Springfield",
        "release/mou.docx": docx_bytes("Memorandum of understanding between the parties"),
        "release/empty.txt": "",
        "__MACOSX/._junk": "resource fork",
    })
    added = add(env, data, "release.zip")
    assert len(added.member_ids) == 2
    rows = documents.for_request(env["db"], env["r1"])
    assert [(r["depth"], r["filename"]) for r in rows] == [(0, "release.zip"), (1, "invoice-2020.txt"), (1, "mou.docx")]
    assert rows[1]["title"] == "release/invoice-2020.txt" and rows[1]["suggested_type"] == "invoice"
    assert rows[2]["mime"] == documents.DOCX and rows[2]["suggested_type"] == "agreement"


def test_zip_bomb_is_refused_and_leaves_nothing(env):
    bomb = zip_bytes({"zeros.bin": b"\0" * (20 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(Invalid, match="zip bomb"):
        add(env, bomb, "bomb.zip")
    assert count(env) == 0 and stored_files(env) == []


def test_zip_limits_on_members_and_total_size(env):
    many = zip_bytes({f"f{i}.txt": f"file {i}" for i in range(12)})
    with pytest.raises(Invalid, match="12 files; the limit is 10"):
        add(env, many, "many.zip", limits=ZipLimits(members=10))
    big = zip_bytes({"a.txt": os.urandom(3000).hex()}, method=zipfile.ZIP_STORED)
    with pytest.raises(Invalid, match="unpack to"):
        add(env, big, "big.zip", limits=ZipLimits(total_size=5000))
    nested = zip_bytes({"inner.zip": zip_bytes({"deep.zip": zip_bytes({"x.txt": "x"})})})
    with pytest.raises(Invalid, match="nested more than 2 deep"):
        add(env, nested, "nested.zip", limits=ZipLimits(depth=2))
    assert count(env) == 0 and stored_files(env) == []


def test_interrupted_upload_leaves_no_file_and_no_row(env):
    class Broken(io.RawIOBase):
        def __init__(self):
            self.sent = 0

        def readable(self):
            return True

        def read(self, n=-1):
            if self.sent > 3 * 1024 * 1024:
                raise ConnectionResetError("upload interrupted")
            self.sent += 1024 * 1024
            return b"%PDF-1.4 partial " * (1024 * 1024 // 17)

    with pytest.raises(ConnectionResetError):
        documents.add_document(env["db"], env["store"], env["r1"], Broken(), "big.pdf")
    assert count(env) == 0 and stored_files(env) == []


def test_empty_file_is_refused(env):
    with pytest.raises(Invalid, match=r"empty.txt is empty \(0 bytes\)"):
        add(env, b"", "empty.txt")
    assert count(env) == 0 and stored_files(env) == []


def test_file_over_the_limit_is_refused(env):
    with pytest.raises(Invalid, match="larger than the limit of 1 KB"):
        add(env, b"x" * 2048, "big.txt", max_size=1024)
    assert count(env) == 0 and stored_files(env) == []


@pytest.mark.parametrize("raw, safe", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\windows\\system32\\config", "config"),
    ("evil\x00name\x1b[31m.txt", "evilname[31m.txt"),
    ("report\u202efdp.exe", "reportfdp.exe"),
    ("..", "document"),
    ("   .hidden  ", "hidden"),
    ('a<b>:c"d|e?f*.pdf', "a_b__c_d_e_f_.pdf"),
])
def test_filenames_are_sanitized(raw, safe):
    assert documents.safe_filename(raw) == safe


def test_traversal_filename_is_stored_safely(env):
    added = add(env, b"root:x:0:0", "../../etc/passwd")
    doc = documents.get(env["db"], added.id)
    assert doc["filename"] == "passwd" and doc["original_name"] == "../../etc/passwd"
    assert env["store"].path(doc["sha256"]).is_relative_to(env["store"].root)


def test_long_filename_keeps_extension():
    name = documents.safe_filename("x" * 400 + ".pdf")
    assert len(name) <= 180 and name.endswith(".pdf")


def test_same_file_twice_is_stored_once_and_linked_per_request(env):
    data = b"Request log: video requests 2019-2020"
    first = add(env, data, "log.txt")
    again = add(env, data, "log-copy.txt")
    assert again.duplicate and again.id == first.id
    other = add(env, data, "log.txt", request_id=env["r2"])
    assert not other.duplicate and other.id != first.id
    assert count(env) == 2 and len(stored_files(env)) == 1
    assert documents.get(env["db"], other.id)["agency_state"] == "TX"


def test_failed_upload_keeps_a_file_other_documents_use(env):
    payload = zip_bytes({"zeros.bin": b"\0" * (20 * 1024 * 1024)})
    add(env, b"kept", "kept.txt")
    with pytest.raises(Invalid):
        add(env, payload, "bomb.zip")
    with pytest.raises(Invalid):
        add(env, b"kept", "kept.txt", event_id=999)
    assert len(stored_files(env)) == 1 and env["store"].verify_all() == []


def test_event_link_and_received_date(env):
    db = env["db"]
    event_id = requests.add_event(db, env["r1"], "records_released", occurred_on="2026-09-10")
    doc = documents.get(db, add(env, b"released records", "r.txt", event_id=event_id).id)
    assert doc["event_id"] == event_id and doc["received_on"] == "2026-09-10"
    doc = documents.get(db, add(env, b"other", "o.txt", received_on="2026-09-01").id)
    assert doc["received_on"] == "2026-09-01"
    foreign = requests.add_event(db, env["r2"], "acknowledged", occurred_on="2026-08-05")
    with pytest.raises(Invalid, match="not on the timeline"):
        add(env, b"x1", "x.txt", event_id=foreign)
    with pytest.raises(Invalid, match="not a date"):
        add(env, b"x2", "x.txt", received_on="yesterday")
    with pytest.raises(NotFound, match="no request 4242"):
        add(env, b"x3", "x.txt", request_id=4242)


@pytest.mark.parametrize("text, kind", [
    ("This Memorandum of Understanding is entered into by the parties. The parties agree", "agreement"),
    ("INVOICE #442\nBill to: Police Dept\nSubtotal $10\nAmount due $10", "invoice"),
    ("From: a@b.org\nSent: Monday\nSubject: Ring\n\nDear Officer, ...\nRegards", "correspondence"),
    ("General Order 4.12: Policy and procedure for training on the portal", "training"),
    ("Video request log\nRequest ID | Case number | Camera owners contacted", "video_request_log"),
    ("Weather is nice today.", "other"),
])
def test_suggested_type(text, kind):
    assert documents.suggest_type(text) == kind


def test_set_type_and_publish(env):
    db = env["db"]
    doc_id = add(env, b"INVOICE amount due $5 bill to city", "inv.txt").id
    assert documents.get(db, doc_id)["effective_type"] == "invoice"
    documents.set_type(db, doc_id, "correspondence")
    assert documents.get(db, doc_id)["effective_type"] == "correspondence"
    documents.set_type(db, doc_id, "")
    assert documents.get(db, doc_id)["doc_type"] is None
    with pytest.raises(Invalid, match="Unknown document type"):
        documents.set_type(db, doc_id, "memo")
    documents.publish(db, doc_id)
    doc = documents.get(db, doc_id)
    assert doc["published"] == 1 and doc["published_at"] == "2026-09-15T10:00:00"
    documents.unpublish(db, doc_id)
    assert documents.get(db, doc_id)["published"] == 0
    with pytest.raises(NotFound):
        documents.publish(db, 999)
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE object_type = 'document' ORDER BY id")]
    assert actions == ["document.add", "document.type", "document.type", "document.publish", "document.unpublish"]


def test_verify_reports_changed_and_missing_files(env):
    db, store = env["db"], env["store"]
    a = documents.get(db, add(env, b"first file", "a.txt").id)
    b = documents.get(db, add(env, b"second file", "b.txt").id)
    assert documents.verify(db, store) == []
    path = store.path(a["sha256"])
    os.chmod(path, 0o600)
    path.write_bytes(b"first filf")
    os.unlink(store.path(b["sha256"]))
    problems = documents.verify(db, store)
    assert [(p["kind"], p["documents"]) for p in problems] == [("mismatch", [a["id"]]), ("missing", [b["id"]])]


def test_agency_rename_reaches_documents(env):
    db = env["db"]
    doc_id = add(env, b"text", "t.txt").id
    agency_id = db.execute("SELECT agency_id FROM requests WHERE id = ?", [env["r1"]]).fetchone()[0]
    agencies.update(db, agency_id, {"name": "Springfield PD", "state": "OR"})
    assert documents.get(db, doc_id)["agency_name"] == "Springfield PD"
    assert documents.search(db, "springfield").total == 1


@pytest.mark.skipif(not documents.ocr_available(), reason="tesseract or pdftoppm is not installed (OCR is optional)")
def test_ocr_reads_a_scanned_pdf(env):
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1200, 300), 255)
    ImageDraw.Draw(image).text((40, 100), "INVOICE NUMBER 4471", fill=0, font=ImageFont.load_default(size=72))
    out = io.BytesIO()
    image.save(out, "PDF", resolution=150)
    added = add(env, out.getvalue(), "scan.pdf")
    assert documents.get(env["db"], added.id)["needs_ocr"] == 1
    documents.ocr_document(env["db"], env["store"], added.id)
    doc = documents.get(env["db"], added.id)
    assert doc["needs_ocr"] == 0 and "4471" in doc["text"]


@pytest.mark.skipif(not documents.ocr_available(), reason="tesseract or pdftoppm is not installed (OCR is optional)")
def test_ocr_reads_a_scan_page_by_page_and_never_twice(env):
    from PIL import Image, ImageDraw, ImageFont

    pages = []
    for text in ("FIRST PAGE 1203", "SECOND PAGE 5610"):
        image = Image.new("L", (1200, 300), 255)
        ImageDraw.Draw(image).text((40, 100), text, fill=0, font=ImageFont.load_default(size=72))
        pages.append(image)
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=150, save_all=True, append_images=pages[1:])
    added = add(env, out.getvalue(), "two-page-scan.pdf")
    seen = []
    text = documents.ocr_document(env["db"], env["store"], added.id, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)] and "1203" in text and "5610" in text
    assert documents.ocr_document(env["db"], env["store"], added.id) == ""  # a re-run appends nothing
    assert documents.get(env["db"], added.id)["text"].count("1203") == 1
