"""The document page's actions in the web app: retitle and re-type (every problem beside its field),
publish and remove with a confirmation, the admin's removed documents and restore, what viewers see,
and the public page of a published document."""
import io
import json

import pytest

from foia import accounts, agencies, documents, requests

PASSWORD = "correct horse battery staple"


@pytest.fixture
def request_id(db):
    agency_id, _ = agencies.upsert(db, {"name": "Springfield Police Department", "state": "OR"})
    return requests.create_request(db, agency_id=agency_id, title="Ring MOU", filed_on="2026-08-01",
                                   description="Internal strategy: ask Chief Wiggum's deputy first")


def upload(client, request_id, *files):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/requests/{request_id}/documents", data=data, content_type="multipart/form-data")


def signed_in(app, db, role):
    accounts.create_user(db, f"{role}@example.org", PASSWORD, role)
    client = app.test_client()
    assert client.post("/login", data={"email": f"{role}@example.org", "password": PASSWORD}).status_code == 303
    return client


def text(response):
    return response.get_data(as_text=True)


def test_retitle_and_retype_show_every_problem_beside_its_field(client, db, request_id):
    upload(client, request_id, ("inv.txt", b"INVOICE amount due bill to city"))
    page = text(client.get("/documents/1"))
    assert 'action="/documents/1/edit"' in page and 'name="title" value="inv"' in page
    bad = client.post("/documents/1/edit", data={"title": "  ", "doc_type": "memo"})
    assert bad.status_code == 422
    page = text(bad)
    assert 'id="title-error">Enter a title for the document.</span>' in page
    assert 'id="doc_type-error">Unknown document type' in page and 'aria-invalid="true"' in page
    assert "nothing was saved" in page and documents.get(db, 1)["title"] == "inv"
    good = client.post("/documents/1/edit", data={"title": "Camera invoice, March", "doc_type": "agreement"},
                       follow_redirects=True)
    assert "Saved the new title and type." in text(good) and "<h1>Camera invoice, March</h1>" in text(good)
    doc = documents.get(db, 1)
    assert (doc["title"], doc["doc_type"]) == ("Camera invoice, March", "agreement")
    detail = db.execute("SELECT detail FROM audit_log WHERE action = 'document.edit'").fetchone()[0]
    assert json.loads(detail) == {"title": ["inv", "Camera invoice, March"], "doc_type": [None, "agreement"]}
    assert "Nothing changed." in text(client.post("/documents/1/edit", follow_redirects=True, data={
        "title": "Camera invoice, March", "doc_type": "agreement"}))


def test_document_page_words_dates_sizes_and_file_check(client, request_id):
    upload(client, request_id, ("memo.txt", b"x" * 3000))
    page = text(client.get("/documents/1"))
    assert '<time datetime="2026-09-15">Tue 15 Sep 2026</time>' in page  # received
    assert '<time datetime="2026-09-15T10:00:00">Tue 15 Sep 2026, 10:00</time>' in page  # added
    assert "2.9 KB" in page and "<dd>Text</dd>" in page and "text/plain" not in page
    check = page.split('<details class="file-check">')[1].split("</details>")[0]
    assert "<summary>File check: stored file is fine</summary>" in check
    assert "present and has the size recorded" in check and "SHA-256" in check
    assert "<dt>SHA-256</dt>" not in page  # the fingerprint is no longer a row of the facts


def test_publish_and_unpublish_ask_first(client, db, request_id):
    upload(client, request_id, ("memo.txt", b"memo"))
    asked = text(client.post("/documents/1/publish", data={"published": "1"}))
    assert "Publish “memo”?" in asked and "Publishing makes it public" in asked
    assert '<input type="hidden" name="confirm" value="yes">' in asked and documents.get(db, 1)["published"] == 0
    done = client.post("/documents/1/publish", data={"published": "1", "confirm": "yes"}, follow_redirects=True)
    assert "Published in the public archive." in text(done) and documents.get(db, 1)["published"] == 1
    asked = text(client.post("/documents/1/publish", data={"published": "0"}))
    assert "Unpublish “memo”?" in asked and documents.get(db, 1)["published"] == 1
    client.post("/documents/1/publish", data={"published": "0", "confirm": "yes"})
    assert documents.get(db, 1)["published"] == 0


def test_remove_asks_then_hides_and_an_admin_restores(app, client, db, request_id):
    upload(client, request_id, ("invoice.pdf", b"%PDF-1.4 not really a pdf, wrongly uploaded okapi"),
           ("kept.txt", b"kept okapi memo"))
    member = signed_in(app, db, "member")
    asked = text(member.post("/documents/1/remove"))
    assert "Remove “invoice.pdf”?" in asked
    assert "It disappears from the request, search and the public archive. An admin can restore it." in asked
    assert documents.get(db, 1)["deleted_at"] is None
    done = member.post("/documents/1/remove", data={"confirm": "yes"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/requests/{request_id}#documents")
    request_page = text(member.get(f"/requests/{request_id}"))
    assert "Removed “invoice”. An admin can restore it" in request_page
    assert "/documents/1\"" not in request_page and '<a href="/documents/2">kept</a>' in request_page
    assert "0 documents matching" in text(member.get("/search?q=invoice"))
    assert member.get("/documents/1").status_code == 404 and member.get("/documents/1/download").status_code == 404
    assert member.get("/documents/removed").status_code == 403
    assert member.post("/documents/1/restore").status_code == 403
    assert 'href="/documents/removed"' not in request_page  # the link to them is for admins

    assert "1 removed document" in text(client.get(f"/requests/{request_id}"))
    assert "1 removed document" in text(client.get("/search"))
    listing = text(client.get("/documents/removed"))
    assert "invoice" in listing and "member@example.org" in listing and 'action="/documents/1/restore"' in listing
    page = text(client.get("/documents/1"))
    assert "This document was removed" in page and "Restore this document" in page
    assert 'action="/documents/1/edit"' not in page  # a removed document is not edited
    restored = client.post("/documents/1/restore", data={"back": "list"}, follow_redirects=True)
    assert "Restored “invoice”." in text(restored) and "No document has been removed." in text(restored)
    assert "1 document matching" in text(member.get("/search?q=invoice"))
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE action LIKE 'document.re%' ORDER BY id")]
    assert actions == ["document.remove", "document.restore"]


def test_restoring_a_published_document_asks_first(client, db, request_id):
    upload(client, request_id, ("memo.txt", b"memo"))
    documents.publish(db, 1)
    documents.remove(db, 1)
    assert client.get("/archive/1").status_code == 404
    asked = text(client.post("/documents/1/restore"))
    assert "Restore “memo”?" in asked and "back in the public archive" in asked
    assert documents.get(db, 1, include_removed=True)["deleted_at"]
    again = client.post("/documents/1/restore", data={"confirm": "yes"}, follow_redirects=True)
    assert "It is in the public archive again." in text(again)
    assert client.get("/archive/1").status_code == 200


def test_viewers_see_no_forms(app, client, db, request_id):
    upload(client, request_id, ("memo.txt", b"memo"))
    viewer = signed_in(app, db, "viewer")
    page = text(viewer.get("/documents/1"))
    main = page.split("<main")[1].split("</main>")[0]
    assert "<h1>memo</h1>" in main and 'method="post"' not in main
    request_page = text(viewer.get(f"/requests/{request_id}"))
    documents_section = request_page.split('id="documents"')[1].split("</section>")[0]
    assert 'name="files"' not in documents_section
    assert viewer.post("/documents/1/remove", data={"confirm": "yes"}).status_code == 403


def test_public_document_page(app, client, db, request_id):
    upload(client, request_id, ("release.txt", ("<img src=x onerror=alert(1)> Agreement between the city and Ring. "
                                                + "word " * 600).encode()),
           ("private.txt", b"private"))
    client.post("/documents/1/publish", data={"published": "1", "confirm": "yes"})
    requests.add_event(db, request_id, "acknowledged", occurred_on="2026-08-03", note="Deputy said: call back Tuesday")
    visitor = app.test_client()
    archive = text(visitor.get("/archive"))
    assert 'href="/archive/1"' in archive and '<time datetime="2026-09-15">Tue 15 Sep 2026</time>' in archive
    response = visitor.get("/archive/1")
    assert response.status_code == 200
    page = text(response)
    for shown in ("<h1 id=\"doc-h\">release</h1>", "Springfield Police Department (OR)", "Ring MOU",
                  '<time datetime="2026-09-15">Tue 15 Sep 2026</time>', "<dd>Other</dd>",
                  'href="/archive/1/download?attachment=1"', "&lt;img src=x onerror=alert(1)&gt; Agreement"):
        assert shown in page, shown
    assert "<img src=x" not in page
    assert "Internal strategy" not in page and "call back Tuesday" not in page and "admin@example.org" not in page
    preview = page.split('class="preview"')[1].split("</div>")[0]
    assert 1900 < len(preview) < 2200 and "…" in preview
    assert visitor.get("/archive/2").status_code == 404  # not published
    documents.remove(db, 1)
    assert visitor.get("/archive/1").status_code == 404 and visitor.get("/archive/1/download").status_code == 404
    assert 'href="/archive/1"' not in text(visitor.get("/archive"))


def test_uploading_a_removed_file_again_says_an_admin_can_restore_it(client, db, request_id):
    upload(client, request_id, ("wrong.txt", b"wrong file"))
    documents.remove(db, 1)
    page = text(client.get(f"/requests/{request_id}"))
    upload(client, request_id, ("wrong.txt", b"wrong file"))
    page = text(client.get(f"/requests/{request_id}"))
    assert "was attached to this request before and removed (document 1)" in page
