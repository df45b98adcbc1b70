"""Hostile documents: upload races, quadratic snippets, PDFs that stall their reader, zip bombs of
small members, spreadsheet formulas in CSV exports, look-alike download names, container sniffing,
and files no parser can read. Every file here is crafted in the test; nothing is faked but the clock."""
import csv
import email.message
import hashlib
import io
import threading
import time
import zipfile

import bagit
import pytest

from foia import agencies, documents, exports, filerefs, jobs, requests
from foia.documents import ExtractLimits, ZipLimits
from foia.documents.search import match_pattern, snippet
from foia.errors import Invalid
from foia.filestore import LocalStore


@pytest.fixture
def env(app, db):
    agency_id, _ = agencies.upsert(db, {"name": "Springfield Police Department", "state": "OR"})
    request_id = requests.create_request(db, agency_id=agency_id, title="Ring partnership records",
                                         filed_on="2026-08-01")
    return {"app": app, "db": db, "store": LocalStore(app.config["FILES_DIR"]), "request_id": request_id}


def add(env, data, name, db=None, **kw):
    return documents.add_document(db or env["db"], env["store"], env["request_id"], io.BytesIO(data), name, **kw)


def zip_bytes(members: dict, method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def drain(app):
    return jobs.run_once(app.extensions.get("foia") or dict(app.config), limit=1000)


# --- crafted PDFs ----------------------------------------------------------------------------

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"


def pdf(objects: dict) -> bytes:
    """A PDF file of the numbered objects, with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def content(text=b"Hello", repeat=1) -> bytes:
    ops = b"BT /F1 12 Tf 72 720 Td " + b"(%s) Tj " % text * repeat + b"ET"
    return b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream"


def pages_pdf(kids: bytes, count: int, page_content: bytes = content()) -> bytes:
    return pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
                3: PAGE, 4: page_content, 5: FONT})


def repeated_page_pdf(times: int) -> bytes:
    """One page object listed ``times`` times in the page tree (1 KB of PDF, minutes of reading)."""
    return pages_pdf(b" ".join([b"3 0 R"] * times), times)


def test_crafted_pdfs_are_valid_for_the_reader():
    """The crafting is right: an honest one-page PDF made the same way reads as such."""
    doc = documents.extract(io.BytesIO(pages_pdf(b"3 0 R", 1)), "application/pdf")
    assert doc.pages == 1 and doc.text == "Hello" and doc.error == ""


# --- upload race -----------------------------------------------------------------------------

def test_refused_upload_never_removes_a_file_a_concurrent_upload_is_recording(env, runner):
    """Upload A (contract.txt then 1,500 small files) is still storing when upload B (the same
    contract.txt plus a ZIP nested too deep) is refused; B's clean-up must leave A's file."""
    contract = b"Ring Neighbors Portal agreement: the contract both uploads carry."
    sha = hashlib.sha256(contract).hexdigest()
    upload_a = zip_bytes({"contract.txt": contract, **{f"log/{i:04}.txt": b"entry %d" % i for i in range(1500)}})
    deep = zip_bytes({"d2.zip": zip_bytes({"d3.zip": zip_bytes({"d4.zip": zip_bytes({"x.txt": b"x"})})})})
    upload_b = zip_bytes({"contract.txt": contract, "nested.zip": deep})
    outcome = {}

    def run(name, data, started=None):
        db = documents_db(env)
        try:
            outcome[name] = add(env, data, f"{name}.zip", db=db)
        except Exception as e:  # the outcome is checked below
            outcome[name] = e
        finally:
            db.conn.close()

    a = threading.Thread(target=run, args=("a", upload_a))
    a.start()
    deadline = time.monotonic() + 60
    while not env["store"].exists(sha) and time.monotonic() < deadline:
        time.sleep(0.002)
    assert env["store"].exists(sha), "upload A never stored contract.txt"
    b = threading.Thread(target=run, args=("b", upload_b))
    b.start()
    b.join()
    a.join()
    assert isinstance(outcome["b"], Invalid) and "nested more than 3 deep" in str(outcome["b"])
    assert isinstance(outcome["a"], documents.Added), outcome["a"]
    assert len(outcome["a"].member_ids) == 1501
    contract_doc = [d for d in documents.for_request(env["db"], env["request_id"]) if d["sha256"] == sha]
    assert len(contract_doc) == 1 and env["store"].exists(sha)
    assert documents.verify(env["db"], env["store"]) == []
    result = runner("verify")
    assert result.exit_code == 0 and "OK:" in result.output, result.output
    # What B stored and nobody uses is left for the collector, which removes exactly that.
    removed = filerefs.collect_garbage(env["db"], env["store"])
    assert sha not in removed and documents.verify(env["db"], env["store"]) == []
    assert filerefs.unreferenced(env["db"], env["store"]) == []


def documents_db(env):
    from foia import db as db_module

    return db_module.connect(env["app"].config["DATABASE"])


def test_refused_upload_alone_leaves_nothing_behind(env):
    with pytest.raises(Invalid):
        add(env, zip_bytes({"a.txt": b"only in the refused upload", "big.bin": b"\0" * (3 * 1024 * 1024)}), "bomb.zip")
    assert env["store"].stored() == []
    assert env["db"].execute("SELECT count(*) FROM pending_ingests").fetchone()[0] == 0


def test_an_ingest_left_by_a_dead_process_stops_blocking_after_its_time(env):
    from foia import clock

    claim = filerefs.begin(env["db"])  # a process that registered, stored a file, then died
    sha, _ = env["store"].put_stream(io.BytesIO(b"orphan"), 100)
    claim.stored.append(sha)
    assert filerefs.collect_garbage(env["db"], env["store"]) == []  # it might still be recording
    clock.set_now("2026-09-16T10:00:00")
    assert filerefs.collect_garbage(env["db"], env["store"]) == [sha]
    assert env["db"].execute("SELECT count(*) FROM pending_ingests").fetchone()[0] == 0


# --- quadratic snippets ----------------------------------------------------------------------

def _best_of(fn, runs=3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def test_snippets_cost_the_same_for_a_huge_repetitive_document(env, client):
    """1 MB of text repeating one word 58,000 times costs about what a small document costs: the
    snippet is cut from a bounded window (FTS5's snippet() took seconds on it)."""
    db = env["db"]
    small = add(env, b"lorem ipsum dolor sit amet, a small note about a Ring camera.", "small.txt").id
    big_text = (b"lorem ipsum " * 58_000 + b"dolor " * 40_000)[: 1024 * 1024]
    big = add(env, big_text, "big.txt").id
    assert documents.get(db, big)["text"].count("lorem") >= 58_000
    documents.publish(db, small)
    documents.publish(db, big)

    def find(word, doc_id):
        hit = next(h for h in documents.search(db, word, per_page=50).hits if h["id"] == doc_id)
        assert any(marked for _, marked in hit["snippet_parts"]) and len(hit["snippet"]) <= 260
        return hit

    small_time = _best_of(lambda: find("camera", small))
    big_time = _best_of(lambda: find("lorem", big))
    assert big_time < 30 * max(small_time, 0.002), (big_time, small_time)
    page_small = _best_of(lambda: client.get("/archive?q=camera").get_data())
    page_big = _best_of(lambda: client.get("/archive?q=ipsum").get_data())
    assert page_big < 30 * max(page_small, 0.005), (page_big, page_small)
    assert "<mark>ipsum</mark>" in client.get("/archive?q=ipsum").get_data(as_text=True)


def test_snippet_window_is_bounded_and_marks_every_match_in_it():
    pattern = match_pattern('camer* "neighbors portal"')
    text = "x " * 5000 + "The Neighbors  Portal shows cameras and a camera." + " y" * 5000
    parts = snippet(text, pattern)
    assert parts[0] == ("… ", False) and parts[-1] == (" …", False)
    assert [p for p, marked in parts if marked] == ["Neighbors Portal", "cameras", "camera"]
    assert len("".join(p for p, _ in parts)) <= 250


# --- PDFs that stall their reader ------------------------------------------------------------

def test_repeated_page_pdf_is_stored_at_once_and_marked_after_the_extract_job(env, client):
    data = repeated_page_pdf(50_000)
    response = client.post(f"/requests/{env['request_id']}/documents",
                           data={"files": [(io.BytesIO(data), "tiny.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 303
    doc = documents.get(env["db"], 1)
    assert doc["extraction_pending"] == 1 and doc["text"] == ""
    assert "Extracting text" in client.get("/documents/1").get_data(as_text=True)
    outcomes = drain(env["app"])
    assert [(o.kind, o.state) for o in outcomes] == [("document.extract", "done")]
    doc = documents.get(env["db"], 1)
    assert doc["extraction_pending"] == 0 and doc["text"] == ""
    assert doc["extraction_error"] == "Text not extracted: limit reached (the PDF claims 50,000 pages; the limit is 5,000)."
    page = client.get("/documents/1").get_data(as_text=True)
    assert "Text not extracted: limit reached" in page and "Extracting text" not in page
    download = client.get("/documents/1/download")
    assert download.status_code == 200 and download.get_data() == data
    download.close()
    assert drain(env["app"]) == []  # nothing left, nothing done twice


def test_a_page_listed_twice_is_refused_before_any_page_is_read(env):
    doc = documents.get(env["db"], add(env, repeated_page_pdf(3000), "repeats.pdf").id)
    assert doc["extraction_error"] == ("Text not extracted: limit reached (the page tree lists the same page "
                                       "more than once).")
    assert doc["text"] == "" and env["store"].exists(doc["sha256"])


def test_extract_job_is_resumable(env):
    added = add(env, pages_pdf(b"3 0 R", 1), "one.pdf", defer=True)
    assert added.pending == [added.id]
    store = env["store"]
    assert documents.read_text(env["db"], store, added.id) is True
    assert documents.read_text(env["db"], store, added.id) is False  # a re-run finds nothing to do
    assert documents.get(env["db"], added.id)["text"] == "Hello"


def test_a_pdf_claiming_a_million_pages_is_a_limit_not_a_crash(env, client):
    data = pages_pdf(b"3 0 R", 1_000_000)
    doc = documents.get(env["db"], add(env, data, "million.pdf").id)
    assert doc["extraction_error"] == ("Text not extracted: limit reached (the PDF claims 1,000,000 pages; "
                                       "the limit is 5,000).")
    response = client.post(f"/requests/{env['request_id']}/documents",
                           data={"files": [(io.BytesIO(data + b"\n"), "million2.pdf")]},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    drain(env["app"])
    assert "limit reached" in documents.get(env["db"], 2)["extraction_error"]


def test_a_heavy_page_stops_at_the_time_limit(tmp_path):
    path = tmp_path / "heavy.pdf"
    path.write_bytes(pages_pdf(b"3 0 R", 1, content(b"word", 400_000)))
    start = time.monotonic()
    result = documents.extract_file(path, "application/pdf", ExtractLimits(cpu_seconds=1, seconds=20))
    assert result.limit.startswith("time") and result.text == ""
    assert result.error.startswith("Text not extracted: limit reached (time")
    assert time.monotonic() - start < 15
    wall = documents.extract_file(path, "application/pdf", ExtractLimits(cpu_seconds=60, seconds=1))
    assert wall.error == "Text not extracted: limit reached (time: reading took longer than 1 seconds)."


def test_a_reader_over_the_memory_limit_is_stopped_and_says_so(tmp_path):
    path = tmp_path / "one.pdf"
    path.write_bytes(pages_pdf(b"3 0 R", 1))
    assert documents.extract_file(path, "application/pdf").text == "Hello"
    starved = documents.extract_file(path, "application/pdf", ExtractLimits(memory=16 * 1024 * 1024))
    assert starved.error == "Text not extracted: limit reached (memory: reading needed more than 16 MB)."


# --- zip bombs of many small members; e-mails with thousands of attachments -----------------

def test_many_small_members_cannot_add_up_to_a_bomb(env):
    members = {f"part{i:02}.bin": bytes([i]) * (1024 * 1024) for i in range(60)}
    data = zip_bytes(members)
    assert len(data) < 200 * 1024 and all(len(m) <= ZipLimits().ratio_floor for m in members.values())
    with pytest.raises(Invalid, match="zip bomb"):
        add(env, data, "small-members.zip")
    assert env["store"].stored() == [] and documents.for_request(env["db"], env["request_id"]) == []


def test_total_uncompressed_size_is_capped_across_members(env):
    members = {f"m{i}.txt": (b"%d " % i) * 40_000 for i in range(10)}
    with pytest.raises(Invalid, match="unpack to"):
        add(env, zip_bytes(members, zipfile.ZIP_STORED), "many.zip", limits=ZipLimits(total_size=500_000))


def test_an_email_with_thousands_of_attachments_is_refused_whole(env):
    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"] = "clerk@city.gov", "us@group.org", "Records"
    message.set_content("See attached.")
    for i in range(3000):
        message.add_attachment(b"record %d" % i, maintype="application", subtype="octet-stream",
                               filename=f"r{i}.bin")
    with pytest.raises(Invalid, match="3,000 attachments; the limit is 2,000"):
        add(env, message.as_bytes(), "reply.eml")
    assert documents.for_request(env["db"], env["request_id"]) == []


def test_an_email_nested_300_levels_is_a_document_that_could_not_be_read(env, client):
    message = (b"From: a@b.org\r\nTo: c@d.org\r\nSubject: level 0\r\nMessage-ID: <x@y>\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: text/plain\r\n\r\nhello\r\n")
    for level in range(1, 301):
        boundary = b"b%d" % level
        message = (b"From: a@b.org\r\nTo: c@d.org\r\nSubject: level %d\r\nMIME-Version: 1.0\r\n"
                   b"Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n--%s\r\nContent-Type: text/plain\r\n\r\n"
                   b"body\r\n--%s\r\nContent-Type: message/rfc822\r\n\r\n" % (level, boundary, boundary, boundary)
                   + message + b"\r\n--%s--\r\n" % boundary)
    response = client.post(f"/requests/{env['request_id']}/documents",
                           data={"files": [(io.BytesIO(message), "deep.eml")]}, content_type="multipart/form-data")
    assert response.status_code == 303
    doc = documents.get(env["db"], 1)
    assert doc["mime"] == "message/rfc822" and "could not be read" in doc["extraction_error"]


# --- spreadsheet formulas in CSV exports -----------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", '=cmd|"/c calc"!A1']


def test_csv_exports_neutralise_formulas_and_keep_files_byte_exact(env, tmp_path):
    db = env["db"]
    payloads = {}
    for number, title in enumerate(FORMULAS):
        data = b"release %d" % number
        payloads[add(env, data, f"r{number}.txt", title=title).id] = data
    with exports.request_zip(db, env["store"], env["request_id"]) as archive, \
            zipfile.ZipFile(archive) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8"))))
        for row in rows:
            assert zf.read(row["path"]) == payloads[int(row["id"])]
    titles = sorted(row["title"] for row in rows)
    assert titles == sorted("'" + t for t in FORMULAS)
    assert all(row["size"].isdigit() for row in rows)  # numbers stay numbers
    bag_dir = tmp_path / "bag"
    exports.export_bagit(db, env["store"], bag_dir)
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    with open(bag_dir / "data" / "metadata" / "documents.csv", encoding="utf-8", newline="") as f:
        docs = list(csv.DictReader(f))
    assert sorted(d["title"] for d in docs) == sorted("'" + t for t in FORMULAS)
    for d in docs:
        assert (bag_dir / d["path"]).read_bytes() == payloads[int(d["id"])]
    # Tab and carriage return survive only in the name as sent, which the full bag lists.
    add(env, b"sent with a tab", "\t=1+1.txt")
    add(env, b"sent with a CR", "\r@x.txt")
    exports.export_bagit(db, env["store"], tmp_path / "bag2")
    with open(tmp_path / "bag2" / "data" / "metadata" / "documents.csv", encoding="utf-8", newline="") as f:
        sent = sorted(d["original_name"] for d in csv.DictReader(f) if d["original_name"][1:2] in ("\t", "\r"))
    assert sent == ["'\t=1+1.txt", "'\r@x.txt"]


def test_csv_cell_leaves_ordinary_values_alone():
    assert exports.csv_cell("Ring MOU") == "Ring MOU" and exports.csv_cell(-5) == -5 and exports.csv_cell(None) is None
    assert exports.csv_cell("a=b") == "a=b" and exports.csv_cell("=1") == "'=1"


# --- download names --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["．．／．．／etc／passwd", "..\uff0f..\uff0fsecret.pdf", "\u2025\uff0fx.txt"])
def test_lookalike_names_never_become_paths_in_downloads(env, client, name):
    doc_id = add(env, b"content of " + name.encode(), name).id
    documents.publish(env["db"], doc_id)
    for url in (f"/documents/{doc_id}/download", f"/archive/{doc_id}/download"):
        response = client.get(url)
        header = response.headers["Content-Disposition"]
        response.close()
        assert response.status_code == 200
        fallback = header.split('filename="', 1)[1].split('"', 1)[0]
        assert "/" not in fallback and "\\" not in fallback and ".." not in fallback and not fallback.startswith(".")
        assert fallback.isascii() and "%2F" not in header.upper() and "/" not in header


def test_unicode_names_keep_their_full_form_in_filename_star(env, client):
    doc_id = add(env, b"minutes", "Résumé du contrat.txt").id
    response = client.get(f"/documents/{doc_id}/download")
    response.close()
    assert response.headers["Content-Disposition"] == (
        "inline; filename=\"Resume du contrat.txt\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20du%20contrat.txt")


# --- what the public archive says about private documents ------------------------------------

def test_too_many_to_rank_counts_only_what_the_viewer_may_see(env):
    db = env["db"]
    ids = [add(env, b"footage log %d" % i, f"f{i}.txt").id for i in range(4)]
    documents.publish(db, ids[0])
    public = documents.archive(db, "footage", rank_limit=2)
    assert public.total == 1 and public.ranked
    assert not documents.search(db, "footage", rank_limit=2).ranked


# --- sniffing by container structure ---------------------------------------------------------

def test_a_zip_whose_first_member_is_a_stored_pdf_is_a_zip(env):
    inner = pages_pdf(b"3 0 R", 1)
    data = zip_bytes({"scan.pdf": inner, "note.txt": b"cover note"}, zipfile.ZIP_STORED)
    assert b"%PDF-" in data[:1024]
    added = add(env, data, "release.zip")
    assert documents.get(env["db"], added.id)["mime"] == "application/zip" and len(added.member_ids) == 2
    assert not documents.inline_safe(documents.get(env["db"], added.id)["mime"])


def test_an_email_with_html_early_is_an_email_and_its_attachments_are_unpacked(env):
    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"] = "clerk@city.gov", "us@group.org", "Your records"
    message.set_content("<html><body><p>Attached are the records.</p></body></html>", subtype="html")
    message.add_attachment(b"contract text", maintype="text", subtype="plain", filename="contract.txt")
    data = message.as_bytes()
    assert b"<html" in data[:1024]
    added = add(env, data, "reply.txt")
    doc = documents.get(env["db"], added.id)
    assert doc["mime"] == "message/rfc822" and len(added.member_ids) == 1
    assert "Attached are the records." in doc["text"]


# --- filters no id can break -----------------------------------------------------------------

@pytest.mark.parametrize("query", ["agency=99999999999999999999999", "agency=%C2%B2", "agency=-1",
                                   "from=2026-13-45", "page=99999999999999999999", "q=%22%00%22"])
def test_hostile_filters_answer_with_a_message_not_an_error(env, client, query):
    for path in ("/search", "/archive"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200, (path, query, response.status_code)
    if query.startswith("agency"):
        assert "Choose one from the list." in client.get(f"/search?{query}").get_data(as_text=True)


def test_verify_checks_the_letters_in_the_same_store(env):
    from foia import letters

    letters.save_requester(env["db"], {"name": "Jo Requester", "email": "jo@example.org", "address": "1 Main St"})
    letter = letters.generate(env["db"], env["request_id"], "pdf", env["store"])
    assert documents.verify(env["db"], env["store"]) == []
    env["store"].delete(letter["sha256"])
    problems = documents.verify(env["db"], env["store"])
    assert [(p["sha256"], p["kind"], p["documents"]) for p in problems] == [(letter["sha256"], "missing", [])]
