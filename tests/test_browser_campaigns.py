"""The campaign page in Debian's Chromium: it follows the job runner's progress live and, when the
run is done, shows the counts and the download links without a reload (the test server runs a job
runner beside it, as ``foia serve`` does)."""
import os
import re

import pytest
from playwright.sync_api import expect

from foia import campaigns, letters
from tests.conftest import CHROMIUM, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def page(browser, server, db):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = server
    login(page, db)
    yield page
    context.close()


def test_campaign_page_follows_the_job_and_shows_the_letters_when_done(page, db, demo):
    letters.save_requester(db, {"name": "Rosalind Okafor", "address": "12 Harbor Street", "email": "r@example.org"})
    page.goto(page.base + "/campaigns/new")
    page.fill("main form input[name=name]", "Illinois Ring partnership records")
    page.select_option("main form select[name=template]", "ring-partnership")
    page.select_option("main form select[name=states]", ["IL"])
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/campaigns/\d+$"))
    campaign_id = int(page.url.rsplit("/", 1)[1])

    # The web only enqueued the run; the server's job runner (as in `foia serve`) takes it while the
    # page is open, and the page follows it in place.
    section = page.locator("#campaign-progress")
    assert section.locator("[data-field=status]").inner_text() in ("queued", "running", "done")
    page.evaluate("window.stillTheSamePage = true")
    expect(section.locator("[data-field=status]")).to_have_text("done", timeout=60000)
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
