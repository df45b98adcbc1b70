"""The documents pages: upload, document page, downloads, search, public archive, 413."""
import io
import zipfile

import pytest

from foia import agencies, documents, jobs, requests
from foia.filestore import LocalStore


@pytest.fixture
def request_id(db):
    agency_id, _ = agencies.upsert(db, {"name": "Springfield Police Department", "state": "OR"})
    return requests.create_request(db, agency_id=agency_id, title="Ring MOU", filed_on="2026-08-01")


def pdf_bytes(text):
    import weasyprint

    return weasyprint.HTML(string=f"<p>{text}</p>", base_url=".").write_pdf()


def upload(client, request_id, *files, **form):
    data = {"files": [(io.BytesIO(content), name) for name, content in files], **form}
    return client.post(f"/requests/{request_id}/documents", data=data, content_type="multipart/form-data")


def drain(app):
    """Run the queued jobs (text extraction, OCR) as the scheduler would."""
    return jobs.run_once(app.extensions.get("foia") or dict(app.config), limit=1000)


def fetch(client, url):
    """GET a download, read it whole and close it (file responses hold the stored file open)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def stored(app):
    return [p for p in LocalStore(app.config["FILES_DIR"]).root.rglob("*") if p.is_file()]


def test_upload_several_files_then_find_by_a_word_inside(app, client, db, request_id):
    response = upload(client, request_id, ("mou.pdf", pdf_bytes("Only here: pangolin.")), ("note.txt", b"plain note"))
    assert response.status_code == 303
    assert [d["filename"] for d in documents.for_request(db, request_id)] == ["mou.pdf", "note.txt"]
    page = client.get(f"/requests/{request_id}/documents").get_data(as_text=True)
    assert "Added 2 documents. The text of 1 of them is being extracted." in page and "mou.pdf" in page
    assert 'type="file" name="files" multiple' in page
    assert "Extracting text" in client.get("/documents/1").get_data(as_text=True)
    assert [o.state for o in drain(app)] == ["done"]
    results = client.get("/search?q=pangolin").get_data(as_text=True)
    assert "<mark>pangolin</mark>" in results and "1 document matching" in results
    doc_page = client.get("/documents/1").get_data(as_text=True)
    assert "Only here: pangolin." in doc_page and "<dd>PDF</dd>" in doc_page


def test_upload_without_files_and_bad_files_say_why(client, db, request_id):
    page = client.post(f"/requests/{request_id}/documents", data={}, follow_redirects=True).get_data(as_text=True)
    assert "Choose at least one file" in page
    response = upload(client, request_id, ("empty.txt", b""), ("ok.txt", b"kept"))
    page = client.get(f"/requests/{request_id}/documents").get_data(as_text=True)
    assert "Not added: empty.txt is empty (0 bytes)" in page and "Added 1 document." in page
    assert response.status_code == 303 and len(documents.for_request(db, request_id)) == 1
    assert client.post("/requests/999/documents", data={}).status_code == 404


def test_same_file_twice_is_one_document(client, db, request_id, app):
    upload(client, request_id, ("a.txt", b"same bytes"))
    upload(client, request_id, ("b.txt", b"same bytes"))
    page = client.get(f"/requests/{request_id}/documents").get_data(as_text=True)
    assert "already attached to this request" in page
    assert len(documents.for_request(db, request_id)) == 1 and len(stored(app)) == 1


def test_upload_tied_to_an_event(client, db, request_id):
    event_id = requests.add_event(db, request_id, "records_released", occurred_on="2026-09-03")
    page = client.get(f"/requests/{request_id}/documents").get_data(as_text=True)
    assert f'<option value="{event_id}" selected>Thu 3 Sep 2026 · Records released</option>' in page
    upload(client, request_id, ("r.txt", b"released"), event_id=str(event_id), doc_type="invoice")
    doc = documents.get(db, 1)
    assert doc["event_id"] == event_id and doc["received_on"] == "2026-09-03" and doc["doc_type"] == "invoice"


def test_html_is_never_served_inline(client, request_id):
    upload(client, request_id, ("page.html", b"<html><script>alert(document.cookie)</script>hi</html>"))
    response = fetch(client, "/documents/1/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "page.html" in response.headers["Content-Disposition"]
    assert response.mimetype == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pdf_inline_with_original_name(client, request_id):
    upload(client, request_id, ("../../Release 1.pdf", pdf_bytes("x")))
    response = fetch(client, "/documents/1/download")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename="Release 1.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    forced = fetch(client, "/documents/1/download?attachment=1")
    assert forced.headers["Content-Disposition"].startswith("attachment;")


def test_traversal_name_downloads_as_its_last_part(client, request_id):
    upload(client, request_id, ("../../etc/passwd", b"root:x:0:0"))
    response = fetch(client, "/documents/1/download")
    assert response.headers["Content-Disposition"] == 'inline; filename="passwd"'
    assert response.mimetype == "text/plain" and response.get_data() == b"root:x:0:0"


def test_too_large_upload_gets_a_clear_413_and_stores_nothing(client, db, app, request_id):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    response = upload(client, request_id, ("big.txt", b"x" * 5000))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than the limit of 2 KB" in page and "Nothing was stored" in page
    assert documents.for_request(db, request_id) == [] and stored(app) == []


def test_type_and_publish_forms(client, db, request_id):
    upload(client, request_id, ("inv.txt", b"INVOICE amount due bill to city"))
    page = client.get("/documents/1").get_data(as_text=True)
    assert "Suggested: Invoice / purchase" in page
    assert client.post("/documents/1/type", data={"doc_type": "training"}).status_code == 303
    assert documents.get(db, 1)["doc_type"] == "training"
    client.post("/documents/1/type", data={"doc_type": "bogus"})
    assert documents.get(db, 1)["doc_type"] == "training"
    asked = client.post("/documents/1/publish", data={"published": "1"})  # asks first
    assert asked.status_code == 200 and "Publishing makes it public" in asked.get_data(as_text=True)
    assert documents.get(db, 1)["published"] == 0
    assert client.post("/documents/1/publish", data={"published": "1", "confirm": "yes"}).status_code == 303
    assert documents.get(db, 1)["published"] == 1
    client.post("/documents/1/publish", data={"published": "0", "confirm": "yes"})
    assert documents.get(db, 1)["published"] == 0
    assert client.get("/documents/99").status_code == 404


def test_public_archive_shows_published_documents_only(client, app, db, request_id):
    upload(client, request_id, ("public.txt", b"Published tapir memo"), ("private.txt", b"Private tapir notes"))
    documents.publish(db, 1)
    anonymous = app.test_client()
    page = anonymous.get("/archive").get_data(as_text=True)
    assert "public.txt" in page and "private.txt" not in page
    assert "Springfield Police Department" in page and "Ring MOU" in page and "2026-09-15" in page
    assert "1 published document" in anonymous.get("/archive?q=tapir").get_data(as_text=True)
    assert fetch(anonymous, "/archive/1/download").get_data() == b"Published tapir memo"
    assert anonymous.get("/archive/2/download").status_code == 404
    assert anonymous.get("/archive/77/download").status_code == 404


def test_search_filters_and_hostile_input(client, request_id):
    upload(client, request_id, ("a.txt", b"INVOICE for cameras"))
    for q in ['"', "AND (", "NEAR(x", "a:b", "'; DROP TABLE documents;--", "<script>alert(1)</script>"]:
        response = client.get("/search", query_string={"q": q})
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert "1 document" in client.get("/search?q=cameras&state=OR&type=invoice").get_data(as_text=True)
    assert "0 documents" in client.get("/search?q=cameras&state=TX").get_data(as_text=True)
    bad = client.get("/search?q=cameras&from=yesterday")
    assert bad.status_code == 200 and "not a date" in bad.get_data(as_text=True)


def test_request_zip(client, request_id):
    upload(client, request_id, ("one.txt", b"first"), ("two.pdf", pdf_bytes("second")))
    response = fetch(client, f"/requests/{request_id}/documents.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as zf:
        assert {"documents/1-one.txt", "documents/2-two.pdf", "manifest.csv", "README.txt"} <= set(zf.namelist())
        assert zf.read("documents/1-one.txt") == b"first"


def test_request_page_has_the_documents_section(client, db, request_id):
    requests.add_event(db, request_id, "records_released", occurred_on="2026-09-03")
    upload(client, request_id, ("mou.txt", b"Memorandum of understanding"))
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert 'id="documents"' in page and '<a href="/documents/1">mou</a>' in page
    assert 'enctype="multipart/form-data"' in page and 'name="files" multiple' in page
    assert "Records released</option>" in page and "/static/documents.js" in page
    assert "<script>" not in page.split('id="documents"')[1]


def scanned_pdf(text: str) -> bytes:
    """A PDF with no text layer: one page that is a picture of ``text``."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1200, 300), 255)
    ImageDraw.Draw(image).text((40, 100), text, fill=0, font=ImageFont.load_default(size=72))
    out = io.BytesIO()
    image.save(out, "PDF", resolution=150)
    return out.getvalue()


@pytest.mark.skipif(not documents.ocr_available(), reason="tesseract or pdftoppm is not installed (OCR is optional)")
def test_ocr_button_queues_a_job_and_the_page_shows_its_state(app, client, db, request_id):
    upload(client, request_id, ("scan.pdf", scanned_pdf("INVOICE NUMBER 4471")))
    assert [o.kind for o in drain(app)] == ["document.extract"]
    page = client.get("/documents/1").get_data(as_text=True)
    assert "needs OCR" in page and "Read the text with OCR" in page
    response = client.post("/documents/1/ocr")
    assert response.status_code == 303
    page = client.get("/documents/1").get_data(as_text=True)
    assert "OCR will read the text in the background" in page and "OCR is waiting to start" in page
    client.post("/documents/1/ocr")  # asked twice: still one job
    assert db.execute("SELECT count(*) FROM jobs WHERE kind = 'document.ocr'").fetchone()[0] == 1
    assert [(o.kind, o.state) for o in drain(app)] == [("document.ocr", "done")]
    doc = documents.get(db, 1)
    assert doc["needs_ocr"] == 0 and "4471" in doc["text"]
    page = client.get("/documents/1").get_data(as_text=True)
    assert "4471" in page and "OCR is" not in page


def test_ocr_of_a_text_file_is_refused_with_a_reason(client, request_id):
    upload(client, request_id, ("note.txt", b"already text"))
    page = client.post("/documents/1/ocr", follow_redirects=True).get_data(as_text=True)
    assert "only those can be read by OCR" in page
