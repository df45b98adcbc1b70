"""Campaign pages in Debian's Chromium: the preview before creating, Back and resubmit giving one
campaign, the page following the job runner's progress live until the download links show (the test
server runs a job runner beside it, as ``foia serve`` does), a bulk "mark filed" on two requests, and
the public page; each page checked at 390 and 1280 px with axe-core."""
import os
import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from foia import campaigns, letters, requests
from tests import pagecheck
from tests.conftest import CHROMIUM, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def page(browser, server, db):
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = server
    login(page, db)
    yield page
    context.close()


def test_preview_create_progress_bulk_filed_and_public_page(page, db, demo, browser):
    letters.save_requester(db, {"name": "Rosalind Okafor", "address": "12 Harbor Street", "email": "r@example.org"})
    page.goto(page.base + "/campaigns/new")
    pagecheck.check(page, screenshot="campaign-new")
    page.fill("main form input[name=name]", "Illinois Ring partnership records")
    page.select_option("main form select[name=template]", "ring-partnership")
    page.select_option("main form select[name=states]", ["IL"])
    # The demo already has requests to both Illinois agencies: leaving them out leaves nothing.
    page.click("main form button[value=preview]")
    expect(page.locator("#states-error")).to_have_text("Every agency of this selection already has an open request.")
    page.uncheck("main form input[name=skip_open]")
    page.click("main form button[value=preview]")
    expect(page.locator(".campaign-preview .summary")).to_contain_text("This will create 2 requests")
    expect(page.locator(".campaign-preview")).to_contain_text("will get a second one")
    assert db.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 0
    pagecheck.check(page, screenshot="campaign-preview")
    page.click("main form button[value=create]")
    page.wait_for_url(re.compile(r".*/campaigns/\d+$"))
    campaign_id = int(page.url.rsplit("/", 1)[1])

    # Back to the preview, and "Create the campaign" again: the same campaign, not a second one.
    # Signed-in pages are never cached (no-store), so Chromium's Back shows "Confirm form
    # resubmission" and the person reloads, which posts the preview form (and its key) again.
    try:
        page.go_back()
    except PlaywrightError as e:
        assert "ERR_CACHE_MISS" in str(e)
        for attempt in range(20):
            try:
                page.reload()
                break
            except PlaywrightError:
                page.wait_for_timeout(100)
    page.wait_for_selector("main form button[value=create]")
    page.click("main form button[value=create]")
    page.wait_for_url(re.compile(r".*/campaigns/\d+$"))
    assert int(page.url.rsplit("/", 1)[1]) == campaign_id
    expect(page.locator(".flash")).to_contain_text("already created")
    assert db.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 1

    # The web only enqueued the run; the server's job runner takes it while the page is open, and
    # the page follows it in place until the letters and their download links show.
    section = page.locator("#campaign-progress")
    status = section.locator("[data-field=status]")
    assert status.get_attribute("data-state") in ("queued", "running", "done")
    page.evaluate("window.stillTheSamePage = true")
    expect(status).to_have_attribute("data-state", "done", timeout=60000)
    expect(status).to_have_text("Done")
    expect(section.locator("[data-field=pdf]")).to_have_text("2")
    expect(section.locator("[data-field=docx]")).to_have_text("2")
    assert section.locator("[data-field=done]").inner_text() == "2"
    assert section.locator("progress").get_attribute("value") == "2"
    assert section.locator("[data-field=downloads]").is_visible()
    assert section.locator("[data-field=finished]").is_visible()
    assert page.evaluate("window.stillTheSamePage") is True  # updated in place, not reloaded
    with page.expect_download() as download:
        section.locator("a", has_text="PDF only").click()
    assert download.value.suggested_filename == f"campaign-{campaign_id}-pdf.zip"
    assert campaigns.progress(db, campaign_id)["letters"] == {"pdf": 2, "docx": 2}

    # Bulk: mark both requests filed on one date, after a confirmation.
    page.goto(page.base + f"/campaigns/{campaign_id}")
    boxes = page.locator("table.campaign-requests input[name=ids]")
    expect(boxes).to_have_count(2)
    pagecheck.check(page, screenshot="campaign")
    page.set_viewport_size({"width": 1280, "height": 900})
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.fill("input[name=filed_on]", "2026-09-14")
    page.click("button[value=filed]")
    expect(page.locator("h1")).to_have_text("Mark 2 requests filed on Mon 14 Sep 2026?")
    page.click("main form button[type=submit]")
    expect(page.locator(".flash")).to_have_text("Marked 2 requests filed on Mon 14 Sep 2026.")
    expect(page.locator("table.campaign-requests .status")).to_have_text(["Filed", "Filed"])
    ids = [r[0] for r in db.execute("SELECT id FROM requests WHERE campaign_id = ?", [campaign_id])]
    assert [requests.get(db, i)["status"] for i in ids] == ["filed", "filed"]

    # The public page, opted into after a confirmation, seen by a visitor who is not signed in.
    page.click("button:has-text('Show this campaign on a public page')")
    page.click("main form button[type=submit]")
    expect(page.locator(".flash")).to_have_text("This campaign now has a public page.")
    visitor = browser.new_context(bypass_csp=True)
    public = visitor.new_page()
    public.goto(page.base + f"/public/campaigns/{campaign_id}")
    expect(public.locator("h1")).to_have_text("Illinois Ring partnership records")
    expect(public.locator("table.campaign-requests tbody tr")).to_have_count(2)
    assert "r@example.org" not in public.content() and "Rosalind" not in public.content()
    pagecheck.check(public, screenshot="campaign-public")
    visitor.close()
