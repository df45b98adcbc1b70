"""The dashboard, insights, a campaign's map and the month calendar in Chromium: each fits a phone
and a laptop (390 and 1280 px) and passes axe-core; the charts are there, drawn on the server."""
import os

import pytest

import pagecheck
from conftest import CHROMIUM, login
from foia import agencies, campaigns, clock, requests

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")


def _campaign(db) -> int:
    """A campaign over the demo's Oregon and Illinois agencies: one answered, the others drafts."""
    campaign_id = campaigns.create(db, name="Ring records 2026", template="ring-partnership", states=["OR", "IL"])
    today = clock.today()
    chosen = agencies.search(db, state="OR")[0] + agencies.search(db, state="IL")[0]
    for n, agency in enumerate(chosen):
        request_id = requests.create_request(db, agency_id=agency["id"], title="Ring records 2026",
                                             campaign_id=campaign_id, template="ring-partnership")
        if n == 0:
            requests.add_event(db, request_id, "filed", today.replace(day=1))
            requests.add_event(db, request_id, "records_released", today, data={"pages": 12})
    return campaign_id


def test_dashboard_insights_campaign_map_and_month_in_chromium(server, browser, db):
    campaign_id = _campaign(db)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.base = server
    login(page, db)

    page.goto(server + "/")
    assert page.locator("svg[role=img]").count() == 2
    assert page.get_by_text("Campaign “Ring records 2026” created").count() == 1
    assert page.get_by_text("Counted ").count() == 1
    pagecheck.check(page, screenshot="dashboard")

    page.goto(server + "/insights")
    assert page.locator("svg[role=img]").count() == 4
    assert page.locator("svg polyline").count() == 1  # overdue over time, as a line
    page.get_by_role("link", name="Ring records 2026").click()
    assert page.url == f"{server}/insights/campaigns/{campaign_id}"
    pagecheck.check(page, screenshot="insights-campaign")
    oregon = page.locator('svg g[data-state="OR"] > title')
    assert "answered" in oregon.text_content()

    page.goto(server + "/insights?agency_sort=response")
    pagecheck.check(page, screenshot="insights")

    page.goto(server + "/calendar/month")
    assert page.locator('[aria-current="date"]').count() == 1
    pagecheck.check(page, screenshot="calendar-month")
    context.close()
