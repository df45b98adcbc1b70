"""The request page and the new-request form in Chromium: no duplicate request from Back and
resubmit, a double click or two tabs; the page's summary, columns and event form at 390 and 1280 px."""
import os
import re

import pytest

from foia import requests
from tests import pagecheck
from tests.conftest import CHROMIUM, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

REQUEST_URL = re.compile(r"/requests/\d+(#.*)?$")
NOTICE = "This request was already created; here it is."


def count(db, title) -> int:
    return db.execute("SELECT count(*) FROM requests WHERE title = ?", [title]).fetchone()[0]


def fill_new(page, title):
    page.goto(page.base + "/requests/new")
    page.select_option("select[name=agency_id]", index=1)
    page.fill("input[name=title]", title)
    page.fill("textarea[name=description]", "The memorandum of understanding and e-mails about it.")


def test_one_request_from_back_double_click_and_two_tabs_and_the_request_page(browser, server, db):
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = server
    login(page, db)

    # Back, then submit again: the page Back returns to carries the same key.
    fill_new(page, "Body camera retention schedule")
    page.click("main form.form button[type=submit]")
    page.wait_for_url(REQUEST_URL)
    first_url = page.url
    page.go_back()
    page.wait_for_url("**/requests/new")
    if not page.input_value("input[name=title]"):  # the browser reloaded the form: type it again
        fill_new(page, "Body camera retention schedule")
    page.click("main form.form button[type=submit]")
    page.wait_for_url(REQUEST_URL)
    assert page.url == first_url and NOTICE in page.inner_text("main")
    assert count(db, "Body camera retention schedule") == 1

    # A double click sends the form twice.
    fill_new(page, "Drone program flight logs")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.dblclick("main form.form button[type=submit]")
    page.wait_for_url(REQUEST_URL)
    page.wait_for_load_state("load")
    assert count(db, "Drone program flight logs") == 1

    # Two tabs with the same form loaded: the second submit lands on the first request.
    other = context.new_page()
    other.set_default_timeout(15000)
    other.base = server
    fill_new(page, "Ring Neighbors portal requests")
    fill_new(other, "Ring Neighbors portal requests")
    page.click("main form.form button[type=submit]")
    page.wait_for_url(REQUEST_URL)
    other.click("main form.form button[type=submit]")
    other.wait_for_url(REQUEST_URL)
    assert other.url == page.url and NOTICE in other.inner_text("main")
    assert count(db, "Ring Neighbors portal requests") == 1
    other.close()

    # A similar open request to the same agency asks first; "Create it anyway" makes it.
    fill_new(page, "Ring Neighbors portal request")
    page.click("main form.form button[type=submit]")
    assert "already has an open request" in page.inner_text(".similar-requests")
    assert page.input_value("input[name=title]") == "Ring Neighbors portal request"
    page.click("text=Create it anyway")
    page.wait_for_url(REQUEST_URL)
    assert count(db, "Ring Neighbors portal request") == 1

    # The request page: summary, two columns at desktop width, the event form near the top.
    request_id = requests.create_request(db, agency_id=1, title="Ring MOU and e-mails", filed_on="2026-09-10")
    requests.add_event(db, request_id, "acknowledged", "2026-09-14")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server}/requests/{request_id}")
    summary = page.inner_text(".request-summary")
    assert "Acknowledged" in summary and "Next" in summary and "Wait for the agency: due" in summary
    # Two columns at desktop width: the dates sit to the right of the timeline.
    main_box = page.locator(".request-main").bounding_box()
    side_box = page.locator(".request-side").bounding_box()
    assert side_box["x"] > main_box["x"] + main_box["width"] - 1
    # "Add an event" is near the top, above the timeline.
    assert page.locator("#add-event").bounding_box()["y"] < page.locator("#timeline").bounding_box()["y"]
    page.select_option("#event-kind", "extension_claimed")
    assert page.locator("fieldset[data-kind=extension_claimed]").is_visible()
    assert not page.locator("fieldset[data-kind=fee_estimate]").is_visible()
    pagecheck.check(page)
    page.set_viewport_size({"width": 390, "height": 900})
    main_box = page.locator(".request-main").bounding_box()
    side_box = page.locator(".request-side").bounding_box()
    assert side_box["y"] > main_box["y"]  # one column: the summary and the story first

    # A second Acknowledged on the same day is asked about, with everything entered kept.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server}/requests/{request_id}?kind=acknowledged#add-event")
    page.fill("#event-date", "2026-09-14")
    page.fill("#event-note", "Second letter")
    page.click("form.event-form button[type=submit]")
    assert "already has an Acknowledged event on Mon 14 Sep 2026" in page.inner_text("#add-event")
    assert page.input_value("#event-note") == "Second letter"
    page.check("input[name=confirm_duplicate]")
    page.click("form.event-form button[type=submit]")
    page.wait_for_url("**#timeline")
    assert [e["kind"] for e in requests.events(db, request_id)].count("acknowledged") == 2

    # Removing an event asks first.
    page.locator(".timeline form.inline button").last.click()
    assert "Remove the Acknowledged event of Mon 14 Sep 2026?" in page.inner_text("main")
    page.click("main form.confirm-form button[type=submit]")
    page.wait_for_url("**#timeline")
    assert [e["kind"] for e in requests.events(db, request_id)].count("acknowledged") == 1

    # The requests list: at 390 px each request is a card whose due date is on the screen.
    page.goto(server + "/requests/")
    pagecheck.check(page)
    page.set_viewport_size({"width": 390, "height": 900})
    due = page.locator("table.request-cards tbody tr td:nth-child(5)").first.bounding_box()
    assert due["x"] >= 0 and due["x"] + due["width"] <= 390
    context.close()
