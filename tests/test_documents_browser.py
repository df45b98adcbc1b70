"""The document actions in Chromium: retitle, publish and remove with their confirmations, restore as
an admin, and the public page of the published document seen signed out; each page checked at 390
and 1280 px with axe-core (tests/pagecheck.py)."""
import os

import pytest

from tests import pagecheck
from tests.conftest import CHROMIUM, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


def test_retitle_publish_remove_restore_and_the_public_page(browser, server, db):
    request_id = db.execute("SELECT min(id) FROM requests").fetchone()[0]
    context = browser.new_context(bypass_csp=True)
    visitor_context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        page.base = server
        login(page, db)
        page.goto(f"{server}/requests/{request_id}/documents")
        page.set_input_files("main form.upload-form input[name=files]", files=[{
            "name": "invoice.txt", "mimeType": "text/plain",
            "buffer": b"INVOICE 4471 for Ring cameras, amount due: $12,500. Bill to the city of Springfield."}])
        page.click("main form.upload-form button[type=submit]")
        page.wait_for_url(f"**/requests/{request_id}#documents")
        assert "Added 1 document." in page.locator("main .flash").inner_text()
        page.click("#documents table.documents a:text-is('invoice')")
        doc_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

        # Retitle and re-type; the side forms are real cards at 1280 px, not slivers.
        page.set_viewport_size({"width": 1280, "height": 900})
        for form in page.locator("main form.doc-form").all():
            box = form.bounding_box()
            assert box["width"] > 200 and box["height"] > 80, box
        page.fill("main form.doc-form input[name=title]", "Camera invoice 4471")
        page.select_option("main form.doc-form select[name=doc_type]", "invoice")
        page.click("main form.doc-form button:text('Save title and type')")
        assert page.locator("main h1").inner_text() == "Camera invoice 4471"
        assert "Saved the new title and type." in page.locator("main .flash").inner_text()
        assert "File check" in page.locator("main details.file-check summary").inner_text()
        pagecheck.check(page)

        # Publish: the confirmation says it becomes public.
        page.click("main form.doc-form button:text('Publish in the public archive')")
        assert "Publishing makes it public" in page.locator("main").inner_text()
        page.click("main form.confirm-form button[type=submit]")
        assert "Published in the public archive." in page.locator("main .flash").inner_text()

        # Signed out: the archive links to the document's public page.
        visitor = visitor_context.new_page()
        visitor.set_default_timeout(15000)
        visitor.goto(f"{server}/archive")
        assert "/login" not in visitor.url
        pagecheck.check(visitor)
        visitor.click("ol.results a:has-text('Camera invoice 4471')")
        assert visitor.url == f"{server}/archive/{doc_id}"
        main = visitor.locator("main").inner_text()
        assert "Camera invoice 4471" in main and "INVOICE 4471 for Ring cameras" in main and "Invoice / purchase" in main
        pagecheck.check(visitor)

        # Remove, with its confirmation; then it is gone from the request and from the public page.
        page.click("main form.doc-form button:text('Remove this document')")
        assert "Remove “invoice.txt”?" in page.locator("main h1").inner_text()
        assert "An admin can restore it." in page.locator("main").inner_text()
        page.click("main form.confirm-form button[type=submit]")
        page.wait_for_url(f"**/requests/{request_id}#documents")
        assert "Camera invoice 4471" not in page.locator("#documents").inner_text()
        assert visitor.goto(f"{server}/archive/{doc_id}").status == 404

        # An admin restores it from the removed documents; it was published, so that asks first.
        page.goto(f"{server}/documents/removed")
        pagecheck.check(page)
        page.click("main table button:text('Restore')")
        assert "back in the public archive" in page.locator("main").inner_text()
        page.click("main form.confirm-form button[type=submit]")
        assert "Restored “Camera invoice 4471”" in page.locator("main .flash").inner_text()
        assert visitor.goto(f"{server}/archive/{doc_id}").status == 200
    finally:
        visitor_context.close()
        context.close()
