"""Retitling, re-typing, removing (soft delete) and restoring documents, in the domain: a removed
document is gone from the request, search, the archive, counts and exports; restoring brings it back;
its stored file stays; every change is in the audit log."""
import io
import json
import zipfile

import pytest

from foia import agencies, documents, exports, filerefs, requests
from foia.errors import Invalid, NotFound
from foia.filestore import LocalStore


@pytest.fixture
def env(db, instance):
    agency_id, _ = agencies.upsert(db, {"name": "Springfield Police Department", "state": "OR"})
    first = requests.create_request(db, agency_id=agency_id, title="Ring partnership records", filed_on="2026-08-01")
    second = requests.create_request(db, agency_id=agency_id, title="Ring video requests", filed_on="2026-08-02")
    return {"db": db, "store": LocalStore(instance / "files"), "r1": first, "r2": second}


def add(env, data: bytes, name: str, request_id=None, **kw):
    return documents.add_document(env["db"], env["store"], request_id or env["r1"], io.BytesIO(data), name, **kw)


def audit(db):
    return [(r[0], r[1], json.loads(r[2])) for r in db.execute(
        "SELECT action, object_id, detail FROM audit_log WHERE object_type = 'document' AND action != 'document.add' "
        "ORDER BY id")]


def zip_bytes(members: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_retitle_and_retype_report_every_problem_at_once_and_are_audited(env):
    db = env["db"]
    doc_id = add(env, b"INVOICE amount due bill to city", "inv.txt").id
    changes = documents.edit(db, doc_id, title="  Camera   invoice\n2026 ", doc_type="agreement", actor=None)
    assert changes == {"title": ["inv", "Camera invoice 2026"], "doc_type": [None, "agreement"]}
    doc = documents.get(db, doc_id)
    assert (doc["title"], doc["doc_type"], doc["effective_type"]) == ("Camera invoice 2026", "agreement", "agreement")
    with pytest.raises(Invalid) as raised:
        documents.edit(db, doc_id, title="   ", doc_type="memo")
    assert set(raised.value.errors) == {"title", "doc_type"}
    assert raised.value.errors["title"] == "Enter a title for the document."
    with pytest.raises(Invalid) as raised:
        documents.edit(db, doc_id, title="x" * 501)
    assert "under 500 characters" in raised.value.errors["title"]
    assert documents.get(db, doc_id)["title"] == "Camera invoice 2026"  # nothing half-saved
    assert documents.edit(db, doc_id, title="Camera invoice 2026", doc_type="agreement") == {}  # no change, no row
    documents.edit(db, doc_id, doc_type="")  # back to the suggestion
    assert documents.get(db, doc_id)["effective_type"] == "invoice"
    assert audit(db) == [
        ("document.edit", str(doc_id), {"title": ["inv", "Camera invoice 2026"], "doc_type": [None, "agreement"]}),
        ("document.edit", str(doc_id), {"doc_type": ["agreement", None]}),
    ]
    with pytest.raises(NotFound):
        documents.edit(db, 999, title="x")


def test_a_title_given_while_the_text_is_read_is_kept(env):
    import weasyprint

    db = env["db"]
    pdf = weasyprint.HTML(string="<title>Title inside the PDF</title><p>Body text</p>", base_url=".").write_pdf()
    doc_id = add(env, pdf, "scan.pdf", defer=True).id
    documents.edit(db, doc_id, title="Our own title")
    assert documents.read_text(db, env["store"], doc_id)
    doc = documents.get(db, doc_id)
    assert doc["title"] == "Our own title" and "Body text" in doc["text"]


def test_removed_document_is_gone_everywhere_and_restore_brings_it_back(env, tmp_path):
    db, store = env["db"], env["store"]
    kept = add(env, b"Memo about pangolin cameras", "kept.txt").id
    gone = add(env, b"Wrongly uploaded pangolin invoice", "invoice.txt").id
    documents.publish(db, kept)
    documents.publish(db, gone)
    assert documents.search(db, "pangolin").total == 2 and documents.archive(db, "pangolin").total == 2

    assert documents.remove(db, gone, actor=None) == [gone]
    assert documents.remove(db, gone) == []  # twice: nothing more
    assert [d["id"] for d in documents.for_request(db, env["r1"])] == [kept]
    assert [d["id"] for d in documents.all_documents(db)] == [kept]
    for results in (documents.search(db, "pangolin"), documents.search(db, "pangolin", state="OR"),
                    documents.archive(db, "pangolin"), documents.search(db, ""), documents.archive(db)):
        assert [h["id"] for h in results.hits] == [kept] and results.total == 1
    assert documents.stats(db) == {"documents": 1, "files": 2, "published": 1, "removed": 1}
    with pytest.raises(NotFound, match="was removed"):
        documents.get(db, gone)
    with pytest.raises(NotFound):
        documents.publish(db, gone)
    row = documents.get(db, gone, include_removed=True)
    assert row["deleted_at"] == "2026-09-15T10:00:00" and row["published"] == 1
    assert [d["id"] for d in documents.removed(db)] == [gone] and documents.count_removed(db, env["r1"]) == 1

    bag = exports.export_bagit(db, store, tmp_path / "bag")
    assert bag["documents"] == 1 and not list((tmp_path / "bag" / "data" / "files").glob("*invoice*"))
    public_bag = exports.export_bagit(db, store, tmp_path / "public", published_only=True)
    assert public_bag["documents"] == 1
    with exports.request_zip(db, store, env["r1"]) as archive, zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert f"documents/{kept}-kept.txt" in names and not any("invoice" in n for n in names)
        assert "invoice" not in zf.read("manifest.csv").decode()

    assert documents.restore(db, gone) == [gone]
    assert documents.restore(db, gone) == []
    assert documents.search(db, "pangolin").total == 2 and documents.archive(db, "pangolin").total == 2
    assert [d["id"] for d in documents.for_request(db, env["r1"])] == [kept, gone]
    assert documents.get(db, gone)["published"] == 1  # back as it was
    actions = audit(db)
    assert [(a, o) for a, o, _ in actions] == [
        ("document.publish", str(kept)), ("document.publish", str(gone)),
        ("document.remove", str(gone)), ("document.restore", str(gone))]
    assert actions[2][2] == {"title": "invoice", "filename": "invoice.txt", "request_id": env["r1"], "removed": [gone]}
    assert actions[3][2]["removed_at"] == "2026-09-15T10:00:00"


def test_removing_never_deletes_the_stored_file(env):
    db, store = env["db"], env["store"]
    first = add(env, b"The same release, sent to two requests", "release.txt").id
    second = add(env, b"The same release, sent to two requests", "release.txt", request_id=env["r2"]).id
    sha256 = documents.get(db, first)["sha256"]
    documents.remove(db, first)
    assert store.exists(sha256) and filerefs.collect_garbage(db, store) == []
    documents.remove(db, second)  # now no live document uses it, and still it stays: it can be restored
    assert store.exists(sha256) and filerefs.collect_garbage(db, store) == []
    assert documents.verify(db, store) == []
    documents.restore(db, second)
    with store.open(sha256) as f:
        assert f.read() == b"The same release, sent to two requests"


def test_removing_an_archive_removes_its_members_and_restore_brings_them_back(env):
    db = env["db"]
    added = add(env, zip_bytes({"a.txt": b"first member", "b.txt": b"second member"}), "release.zip")
    assert len(added.member_ids) == 2
    member = added.member_ids[0]
    documents.remove(db, member)  # one member alone first
    assert sorted(documents.remove(db, added.id)) == [added.id, added.member_ids[1]]
    assert documents.for_request(db, env["r1"]) == [] and documents.search(db, "member").total == 0
    assert sorted(documents.restore(db, added.id)) == [added.id, added.member_ids[1]]  # not the one removed before
    assert [d["id"] for d in documents.members(db, added.id)] == [added.member_ids[1]]
    documents.remove(db, added.id)
    documents.restore(db, member)  # a member back while its archive is removed: listed on its own
    assert [(d["id"], d["depth"]) for d in documents.for_request(db, env["r1"])] == [(member, 0)]


def test_uploading_a_removed_file_again_says_so(env):
    db = env["db"]
    doc_id = add(env, b"wrong file", "wrong.txt").id
    documents.remove(db, doc_id)
    again = add(env, b"wrong file", "wrong.txt")
    assert again.duplicate and again.id == doc_id
    assert "was attached to this request before and removed" in again.notes[0]
    assert documents.for_request(db, env["r1"]) == []


@pytest.mark.parametrize("text, cut", [
    ("short text", False),
    ("word " * 400, False),  # 2,000 characters, the last a space
    ("word " * 400 + "more", True),
    ("  " + "a" * 2500, True),
    ("word " * 399 + "word" + " " * 50, False),  # only blank space after the limit
])
def test_preview_is_about_2000_characters_cut_at_a_word(text, cut):
    shown, was_cut = documents.preview(text)
    assert was_cut is cut and len(shown) <= 2000 and shown == shown.strip()
    if cut and " " in text.strip():
        assert not shown.endswith("wor") and len(shown) > 1800
