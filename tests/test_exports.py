"""BagIt export and the per-request ZIP."""
import csv
import io
import json
import os
import zipfile

import bagit
import pytest

from foia import agencies, documents, exports, requests
from foia.errors import NotFound
from foia.filestore import LocalStore


@pytest.fixture
def env(db, instance):
    documents.migrations.apply(db)
    store = LocalStore(instance / "files")
    agency_id, _ = agencies.upsert(db, {"name": "Springfield Police Department", "state": "OR"})
    r1 = requests.create_request(db, agency_id=agency_id, title="Ring MOU", description="private notes",
                                 filed_on="2026-08-01")
    r2 = requests.create_request(db, agency_id=agency_id, title="Ring invoices", filed_on="2026-08-02")

    def add(request_id, data, name):
        return documents.add_document(db, store, request_id, io.BytesIO(data), name).id

    ids = {
        "mou": add(r1, b"Memorandum of understanding", "../MOU final.txt"),
        "same_name": add(r1, b"Another file with the same name", "MOU final.txt"),
        "invoice": add(r2, b"INVOICE amount due", "invoice.txt"),
    }
    return {"db": db, "store": store, "r1": r1, "r2": r2, "ids": ids, "instance": instance}


def test_bag_of_everything_validates(env, tmp_path):
    out = tmp_path / "bag"
    summary = exports.export_bagit(env["db"], env["store"], out)
    assert summary["documents"] == 3 and summary["requests"] == 2
    bag = bagit.Bag(str(out))
    bag.validate()
    assert "sha256" in bag.algorithms
    files = sorted(p.name for p in (out / "data" / "files").iterdir())
    assert files == [f"{env['ids']['mou']}-MOU final.txt", f"{env['ids']['same_name']}-MOU final.txt",
                     f"{env['ids']['invoice']}-invoice.txt"]
    with open(out / "data" / "metadata" / "documents.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["path"] for r in rows] == [f"data/files/{n}" for n in files]
    assert rows[0]["sha256"] == documents.get(env["db"], env["ids"]["mou"])["sha256"]
    docs_json = json.loads((out / "data" / "metadata" / "documents.json").read_text())
    assert docs_json[0]["text"] == "Memorandum of understanding"
    reqs = json.loads((out / "data" / "metadata" / "requests.json").read_text())
    assert [r["title"] for r in reqs] == ["Ring MOU", "Ring invoices"]
    assert reqs[0]["description"] == "private notes" and reqs[0]["timeline"][0]["kind"] == "filed"
    assert (out / "manifest-sha256.txt").exists()


def test_bag_detects_tampering(env, tmp_path):
    out = tmp_path / "bag"
    exports.export_bagit(env["db"], env["store"], out)
    target = next((out / "data" / "files").iterdir())
    target.write_bytes(target.read_bytes() + b"!")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(out)).validate()


def test_published_bag_holds_published_documents_and_public_fields(env, tmp_path):
    documents.publish(env["db"], env["ids"]["invoice"])
    out = tmp_path / "public"
    summary = exports.export_bagit(env["db"], env["store"], out, published_only=True)
    bagit.Bag(str(out)).validate()
    assert summary["documents"] == 1 and summary["requests"] == 1
    reqs = json.loads((out / "data" / "metadata" / "requests.json").read_text())
    assert reqs == [{"id": env["r2"], "agency_id": reqs[0]["agency_id"], "agency_name": "Springfield Police Department",
                     "agency_state": "OR", "title": "Ring invoices", "status": "filed",
                     "created_at": "2026-09-15T10:00:00"}]
    assert "private notes" not in (out / "data" / "metadata" / "requests.csv").read_text()


def test_bag_of_one_request(env, tmp_path):
    out = tmp_path / "one"
    summary = exports.export_bagit(env["db"], env["store"], out, request_id=env["r1"])
    bagit.Bag(str(out)).validate()
    assert summary["documents"] == 2 and summary["requests"] == 1
    with pytest.raises(NotFound, match="no request 99"):
        exports.export_bagit(env["db"], env["store"], tmp_path / "none", request_id=99)


def test_bag_refuses_non_empty_folder_and_damaged_files(env, tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(exports.ExportError, match="not an empty folder"):
        exports.export_bagit(env["db"], env["store"], out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    sha = documents.get(env["db"], env["ids"]["invoice"])["sha256"]
    path = env["store"].path(sha)
    os.chmod(path, 0o600)
    path.write_bytes(b"INVOICE amount duE")
    with pytest.raises(exports.ExportError, match="no longer matches its hash"):
        exports.export_bagit(env["db"], env["store"], tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_request_zip_has_documents_letters_and_manifest(env, db):
    from foia import letters

    letters.migrations.apply(db)
    letters.save_requester(db, {"name": "Jo Requester", "email": "jo@example.org",
                                "address": "1 Main St\nSpringfield, OR 97477"})
    letter = letters.generate(db, env["r1"], "pdf", env["store"])
    archive = exports.request_zip(db, env["store"], env["r1"])
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert f"documents/{env['ids']['mou']}-MOU final.txt" in names
        assert zf.read(f"documents/{env['ids']['same_name']}-MOU final.txt") == b"Another file with the same name"
        letter_names = [n for n in names if n.startswith("letters/")]
        assert len(letter_names) == 1 and letter_names[0].endswith(".pdf")
        with env["store"].open(letter["sha256"]) as f:
            assert zf.read(letter_names[0]) == f.read()
        manifest = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
        assert {m["kind"] for m in manifest} == {"document", "letter"}
        assert "Ring MOU" in zf.read("README.txt").decode()
        assert zf.testzip() is None
    archive.close()


def test_request_zip_notes_a_missing_letter_file(env, db):
    from foia import letters

    letters.migrations.apply(db)
    letters.save_requester(db, {"name": "Jo Requester", "email": "jo@example.org", "address": "1 Main St"})
    letter = letters.generate(db, env["r2"], "docx", env["store"])
    env["store"].delete(letter["sha256"])
    archive = exports.request_zip(db, env["store"], env["r2"])
    with archive, zipfile.ZipFile(archive) as zf:
        assert [n for n in zf.namelist() if n.startswith(("documents/", "letters/"))] == \
            [f"documents/{env['ids']['invoice']}-invoice.txt"]
        manifest = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
        assert manifest[-1]["kind"] == "letter" and manifest[-1]["note"] == "file missing"
