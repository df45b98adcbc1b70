"""Web flows in a real browser: Debian's Chromium driven by Playwright, against a real server."""
import os

import pytest

from tests.conftest import CHROMIUM, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make test installs it as root)"),
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


def test_file_a_request_and_record_its_timeline(page):
    page.goto(page.base + "/requests/new")
    page.click("main form button[type=submit]")  # nothing filled in
    assert page.locator(".field-error").count() >= 1
    page.select_option("select[name=agency_id]", label="IL · Aurora Police Department")
    page.fill("input[name=title]", "Ring MOU <b>and</b> video requests")
    page.fill("input[name=filed_on]", "2026-09-08")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/requests/*")
    assert page.locator("h1").inner_text() == "Ring MOU <b>and</b> video requests"
    assert "Filed" in page.locator(".lede .status").inner_text()

    page.select_option("select[name=kind]", "acknowledged")
    page.fill("input[name=occurred_on]", "2026-09-09")
    page.fill("textarea[name=note]", "Reference 2026-118")
    page.click("form.event-form button[type=submit]")
    page.wait_for_url("**#timeline")
    assert "Acknowledged" in page.locator(".lede .status").inner_text()
    assert "Reference 2026-118" in page.locator(".timeline").inner_text()

    # The form offers only what the timeline allows now: a second filing is not among the kinds.
    offered = page.locator("select[name=kind] option").evaluate_all("options => options.map(o => o.value)")
    assert "filed" not in offered and "records_released" in offered


def test_filter_requests_and_agencies(page):
    page.goto(page.base + "/requests/")
    page.select_option("select[name=state]", "FL")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**state=FL**")
    rows = page.locator("table.requests tbody tr")
    assert rows.count() == 4
    assert all("(FL)" in rows.nth(i).inner_text() for i in range(rows.count()))
    page.goto(page.base + "/agencies/")
    page.fill("input[name=q]", "naperville")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**q=naperville**")
    page.click("text=Naperville Police Department")
    assert "Illinois Freedom of Information Act" in page.content() or "5 ILCS" in page.content()
