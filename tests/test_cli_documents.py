"""The document commands: documents add/list/show/type/publish/remove/restore, search, verify, export bagit."""
import io
import json
import os

import bagit
import pytest

from foia import agencies, documents, requests
from foia.cli import main
from foia.filestore import LocalStore


@pytest.fixture
def request_id(db):
    agency_id, _ = agencies.upsert(db, {"name": "Springfield Police Department", "state": "OR"})
    return requests.create_request(db, agency_id=agency_id, title="Ring MOU", filed_on="2026-08-01")


@pytest.fixture
def pdf(tmp_path):
    import weasyprint

    path = tmp_path / "Neighbors MOU.pdf"
    weasyprint.HTML(string="<h1>Agreement</h1><p>The word axolotl appears only here.</p>",
                    base_url=str(tmp_path)).write_pdf(path)
    return path


def test_add_pdf_then_find_it_by_a_word_inside(runner, request_id, pdf):
    result = runner("documents", "add", request_id, pdf)
    assert result.exit_code == 0, result.output
    assert "added: document 1 Neighbors MOU.pdf (application/pdf" in result.output and "1 page)" in result.output
    found = runner("search", "axolotl")
    assert found.exit_code == 0
    assert "1 document" in found.output and "Springfield Police Department, OR" in found.output
    data = json.loads(runner("search", "axolotl", "--json").output)
    assert data["total"] == 1 and data["hits"][0]["filename"] == "Neighbors MOU.pdf"
    assert ["axolotl", True] in data["hits"][0]["snippet_parts"]
    assert json.loads(runner("search", "axolotl", "--json", "--state", "TX").output)["total"] == 0
    assert json.loads(runner("search", "axolotl", "--json", "--type", "agreement").output)["total"] == 1


def test_add_reports_bad_files_and_keeps_good_ones(runner, request_id, pdf, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = runner("documents", "add", request_id, empty, pdf)
    assert result.exit_code == 1
    assert "empty.txt is empty (0 bytes)" in result.output and "1 of 2 files not added" in result.output
    assert "added: document 1" in result.output
    again = runner("documents", "add", request_id, pdf)
    assert again.exit_code == 0 and "already attached: document 1" in again.output
    missing = runner("documents", "add", 999, pdf)
    assert missing.exit_code == 1 and "no request 999" in missing.output


def test_add_with_event_and_type_then_list_show_publish(runner, request_id, pdf, db):
    event_id = requests.add_event(db, request_id, "records_released", occurred_on="2026-09-01")
    assert runner("documents", "add", request_id, pdf, "--event", event_id, "--type", "invoice").exit_code == 0
    listing = runner("documents", "list", request_id)
    assert "Neighbors MOU.pdf  [invoice] req 1 2026-09-01" in listing.output
    assert runner("documents", "publish", 1).output.strip() == "document 1 published"
    assert "published" in runner("documents", "list").output
    shown = runner("documents", "show", 1, "--text")
    assert "axolotl" in shown.output and "published_at" in shown.output
    assert runner("documents", "type", 1, "suggested").exit_code == 0
    assert documents.get(db, 1)["doc_type"] is None
    assert runner("documents", "unpublish", 1).output.strip() == "document 1 private"
    assert runner("documents", "publish", 42).exit_code == 2


def test_verify_catches_a_flipped_byte(runner, request_id, pdf, instance, db):
    runner("documents", "add", request_id, pdf)
    ok = runner("verify")
    assert ok.exit_code == 0 and "OK: 1 stored file" in ok.output
    path = LocalStore(instance / "files").path(documents.get(db, 1)["sha256"])
    os.chmod(path, 0o600)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    bad = runner("verify")
    assert bad.exit_code == 1
    assert "MISMATCH" in bad.output and "(documents: 1)" in bad.output and "1 problem" in bad.output


def test_export_bagit(runner, request_id, pdf, tmp_path):
    runner("documents", "add", request_id, pdf)
    out = tmp_path / "bag"
    result = runner("export", "bagit", out)
    assert result.exit_code == 0 and "1 document, 1 request" in result.output
    bagit.Bag(str(out)).validate()
    empty = runner("export", "bagit", tmp_path / "pub", "--published")
    assert empty.exit_code == 0 and "0 documents" in empty.output
    again = runner("export", "bagit", out)
    assert again.exit_code == 1 and "not an empty folder" in again.output


@pytest.mark.skipif(not documents.ocr_available(), reason="tesseract or pdftoppm is not installed (OCR is optional)")
def test_ocr_is_queued_as_a_job_or_run_at_once_with_wait(runner, request_id, tmp_path, db):
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1200, 300), 255)
    ImageDraw.Draw(image).text((40, 100), "CAMERA LOG 9182", fill=0, font=ImageFont.load_default(size=72))
    scan = tmp_path / "scan.pdf"
    image.save(scan, "PDF", resolution=150)
    assert "needs OCR" in runner("documents", "add", request_id, scan).output
    queued = runner("documents", "ocr", 1)
    assert queued.exit_code == 0 and "document 1: OCR queued as job 1" in queued.output
    assert runner("documents", "ocr", 1).output.strip() == "document 1: OCR queued as job 1"  # one live job
    done = runner("documents", "ocr", 1, "--wait")
    assert done.exit_code == 0 and "characters read" in done.output
    assert "9182" in documents.get(db, 1)["text"]
    refused = runner("documents", "ocr", 99)
    assert refused.exit_code == 1 and "no document 99" in refused.output


def test_gc_removes_only_files_nothing_uses(runner, request_id, pdf, instance, db):
    runner("documents", "add", request_id, pdf)
    store = LocalStore(instance / "files")
    orphan, _ = store.put_stream(io.BytesIO(b"left by a refused upload"), 100)
    result = runner("documents", "gc")
    assert result.exit_code == 0 and "Removed 1 unused stored file." in result.output
    assert not store.exists(orphan) and store.exists(documents.get(db, 1)["sha256"])


def test_every_document_command_has_help():
    names = ["documents", "search", "verify"]
    for name in names:
        command = main.commands[name]
        assert command.help or command.short_help
    for command in main.commands["documents"].commands.values():
        assert command.help, command.name
    assert main.commands["export"].commands["bagit"].help


def test_remove_and_restore_a_document(runner, request_id, pdf):
    assert runner("documents", "add", request_id, pdf).exit_code == 0
    removed = runner("documents", "remove", 1)
    assert removed.exit_code == 0 and "Removed 1 document (1)" in removed.output
    assert "0 documents" in runner("search", "axolotl").output
    assert "already removed" in runner("documents", "remove", 1).output
    restored = runner("documents", "restore", 1)
    assert restored.exit_code == 0 and "Restored 1 document (1)." in restored.output
    assert "1 document" in runner("search", "axolotl").output
    missing = runner.runner.invoke(main, ["documents", "remove", "99"])
    assert missing.exit_code != 0 and "99" in missing.output
