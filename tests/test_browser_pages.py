"""Every page of the app in Chromium, at 390 and 1280 px, with axe-core: none wider than the window,
no serious or critical accessibility violation.

The pages come from ``app.url_map``: every GET rule is either a page (visited) or listed in
:data:`NOT_PAGES` (downloads, feeds, JSON). A rule with arguments takes them from the rows the
``samples`` fixture creates (:data:`SAMPLES`); a new route nobody listed fails the test, so pages added
later are checked too. Each page is visited as an admin; the role-aware ones (where the admin sees a
form that changes something) also as a viewer; public pages also signed out. All problems are collected first and reported together; the known
ones, awaiting a fix in the page's own template, are in :data:`EXPECTED` with their reason.

Screenshots of the main pages go to ``tests/screenshots/`` (git-ignored); ``docs/screenshots/make.py``
copies a few into the documentation.
"""
import io
import os
import time
from email.message import EmailMessage

import pytest

import pagecheck
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD, CHROMIUM, _ensure_admin
from foia import accounts, agencies, campaigns, clock, ics, jobs, requests
from foia.correspondence import ingest as mail_ingest
from foia.documents import catalog
from foia.documents import ingest as documents_ingest
from foia.letters import storage as letter_storage
from foia.web import auth

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")

# Known problems on pages whose templates are being changed by their owners: (endpoint, role) ->
# (text every problem of that page contains, reason). An entry whose page now passes fails the test
# with "remove it", so the list only ever shrinks.
EXPECTED: dict[tuple[str, str], tuple[str, str]] = {
}

# GET rules that are not HTML pages.
NOT_PAGES = {
    "static": "stylesheets, scripts and images",
    "api.agency_list": "JSON", "api.agency_detail": "JSON", "api.request_list": "JSON", "api.request_detail": "JSON",
    "deadlines.feed": "the iCalendar feed",
    "documents.download": "a document's file", "documents.archive_download": "a published document's file",
    "documents.request_zip": "ZIP of a request's documents",
    "campaigns.download_zip": "ZIP of a campaign's letters", "campaigns.progress": "JSON progress",
    "letters.download": "a letter's PDF or DOCX", "letters.stylesheet": "the letters' CSS",
    "correspondence.raw": "a message as received (text/plain)",
    "campaigns.export_csv": "CSV of a campaign's requests",
}
NOT_PAGE_SUFFIXES = (".zip", ".ics", ".csv", ".json", ".css", ".js", "/download", "/raw")

# Rule arguments, by name: the key of the ``samples`` row to use.
SAMPLES = {
    "request_id": "request", "agency_id": "agency", "campaign_id": "campaign", "doc_id": "document",
    "job_id": "job", "message_row": "message", "letter_id": "letter", "token": "calendar_token",
}

# Query strings that make a page show what it is for (search results rather than an empty form).
QUERIES = {
    "documents.search": "?q=ring",
    "documents.archive": "?q=ring",
}

# The main pages, photographed for tests/screenshots/ (and docs/screenshots/make.py): endpoint -> name.
SCREENSHOTS = {
    "dashboard.index": "dashboard", "requests.show": "request", "campaigns.show": "campaign",
    "documents.search": "search", "insights.index": "insights", "agencies.show": "agency",
    "requests.index": "requests", "deadlines.calendar_page": "calendar", "documents.show": "document",
}

VIEWER_EMAIL = "viewer@example.org"
REQUEST_TITLE = "Ring footage requests during 2020 protests"  # a demo request with an extension and a release


def _mail(request_title: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Records Unit <records@lapd.example.gov>"
    message["To"] = "records@example.org"
    message["Subject"] = f"Re: {request_title}"
    message["Date"] = "Mon, 14 Sep 2026 10:00:00 -0400"
    message["Message-ID"] = "<pages-test-1@lapd.example.gov>"
    message.set_content("We received your request and assigned it number R-2026-114. Expect a reply by 30 September.")
    return message.as_bytes()


@pytest.fixture
def samples(server, demo, db):
    """One row of each kind a page with an id shows: a campaign (public, with requests), a published
    document with its text, a mail message, a job, a letter, the calendar feed's token, a viewer."""
    instance = demo.extensions["foia"]
    request_id = db.execute("SELECT id FROM requests WHERE title = ?", [REQUEST_TITLE]).fetchone()[0]
    agency_id = db.execute("SELECT agency_id FROM requests WHERE id = ?", [request_id]).fetchone()[0]

    campaign_id = campaigns.create(db, name="Ring records 2026", template="ring-partnership", states=["OR", "IL"])
    chosen = agencies.search(db, state="OR")[0][:2] + agencies.search(db, state="IL")[0][:2]
    for n, agency in enumerate(chosen):
        campaign_request = requests.create_request(db, agency_id=agency["id"], title="Ring records 2026",
                                                   campaign_id=campaign_id, template="ring-partnership")
        if n < 3:
            requests.add_event(db, campaign_request, "filed", clock.today().replace(day=1))
        if n == 0:
            requests.add_event(db, campaign_request, "records_released", clock.today(), data={"pages": 12})
    campaigns.set_public(db, campaign_id, True)

    text = ("Memorandum of understanding between the Los Angeles Police Department and Ring LLC. "
            "The department may request video from Neighbors users through the portal.\n") * 20
    added = documents_ingest.add_document(db, instance.store, request_id, io.BytesIO(text.encode()),
                                          "ring-mou.txt", doc_type=None, title="Ring MOU")
    doc_id = added.id
    catalog.publish(db, doc_id)
    for title, name, words in (("Video requests log", "video-requests.txt", "Neighbors Portal video requests by the department"),
                               ("Ring training slides", "ring-training.txt", "Training for officers on the Ring partnership")):
        documents_ingest.add_document(db, instance.store, request_id, io.BytesIO((words + ".\n").encode() * 10), name,
                                      title=title)

    filed = mail_ingest.ingest(db, instance.store, _mail(REQUEST_TITLE), config=instance.config)
    message_row = filed.id
    job_id = jobs.enqueue(db, "recompute.all", {})
    letter = letter_storage.generate(db, request_id, "docx", instance.store, folder=instance.letter_templates)
    accounts.create_user(db, VIEWER_EMAIL, ADMIN_PASSWORD, "viewer")
    _ensure_admin(db)
    return {
        "request": request_id, "agency": agency_id, "campaign": campaign_id, "document": doc_id,
        "message": message_row, "job": job_id, "letter": letter["id"],
        "calendar_token": ics.token(db),
    }


def _plan(app, samples) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(endpoint, url, who may see it) for every GET page, and the rules nobody has decided about."""
    undecided, plan = [], []
    public = auth.public_endpoints(app)
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
                continue
            if rule.rule.endswith(NOT_PAGE_SUFFIXES):
                undecided.append(f"{rule.rule} ({rule.endpoint}) looks like a download: add it to NOT_PAGES")
                continue
            missing = [arg for arg in rule.arguments if arg not in SAMPLES or samples.get(SAMPLES[arg]) is None]
            if missing:
                undecided.append(f"{rule.rule} ({rule.endpoint}) needs a sample for {', '.join(missing)}: "
                                 "add a row to the samples fixture and SAMPLES")
                continue
            url = url_for(rule.endpoint, **{arg: samples[SAMPLES[arg]] for arg in rule.arguments})
            url += QUERIES.get(rule.endpoint, "")
            if rule.endpoint in public:
                who = "public"
            elif auth.is_admin_route(rule.endpoint, rule.rule, app):
                who = "admin"
            else:
                who = "everyone"
            plan.append((rule.endpoint, url, who))
    return plan, undecided


def _sign_in(context, server, email):
    page = context.new_page()
    page.goto(server + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(server + "/")
    return page


def test_every_page_fits_both_widths_and_passes_axe(server, demo, browser, samples):
    plan, problems = _plan(demo, samples)
    assert len(plan) > 30, plan  # the url map really was read
    contexts = {role: browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
                for role in ("admin", "viewer", "public")}
    for context in contexts.values():
        pagecheck.prepare(context)
    pages = {"admin": _sign_in(contexts["admin"], server, ADMIN_EMAIL),
             "viewer": _sign_in(contexts["viewer"], server, VIEWER_EMAIL),
             "public": contexts["public"].new_page()}
    found: dict[tuple[str, str], list[str]] = {}
    visits = []
    try:
        for endpoint, url, who in plan:
            roles = {"public": ("public", "admin"), "admin": ("admin",), "everyone": ("admin", "viewer")}[who]
            if endpoint == "auth.login":
                roles = ("public",)  # signed in, the sign-in page sends you on
            role_aware = False
            for role in roles:
                if role == "viewer" and not role_aware:
                    continue  # the viewer's page is the admin's: already checked
                page = pages[role]
                started = time.monotonic()
                response = page.goto(server + url)
                here = []
                status = response.status if response else 0
                kind = (response.headers.get("content-type", "") if response else "").split(";")[0]
                if status >= 500 or (status >= 400 and role == "admin"):
                    here.append(f"{url} answered {status} to the {role}")
                elif kind != "text/html":
                    here.append(f"{url} is {kind}, not a page: add {endpoint} to NOT_PAGES")
                else:
                    name = SCREENSHOTS.get(endpoint) if role == "admin" else None
                    here.extend(pagecheck.problems(page, screenshot=name))
                    if role == "admin":
                        role_aware = page.locator("main form[method=post i]").count() > 0
                    menu = page.locator("header.site nav [aria-current='page']").count()
                    if menu > 1:
                        here.append(f"{url}: {menu} menu items are marked as the current page")
                visits.append((time.monotonic() - started, role, url))
                if here:
                    found[(endpoint, role)] = [f"[{role}] {p}" for p in here]
        # The request page on a phone, for the documentation.
        phone = pages["admin"]
        phone.set_viewport_size({"width": 390, "height": 900})
        phone.goto(f"{server}/requests/{samples['request']}")
        pagecheck.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(pagecheck.SCREENSHOTS / "request-mobile-390.png"), full_page=True)
    finally:
        for context in contexts.values():
            context.close()

    print(f"{len(visits)} visits in {sum(v[0] for v in visits):.1f} s; slowest:",
          ", ".join(f"{url} ({role}) {seconds:.1f} s" for seconds, role, url in sorted(visits, reverse=True)[:5]))
    unexpected, expected, fixed = [], [], []
    for key, (text, reason) in EXPECTED.items():
        page_problems = found.get(key, [])
        if page_problems and all(text in p for p in page_problems):
            expected.extend(f"{p}  (known: {reason})" for p in page_problems)
            del found[key]
        elif not page_problems:
            fixed.append(f"{key} now passes: remove it from EXPECTED")
    for page_problems in found.values():
        unexpected.extend(page_problems)
    report = problems + unexpected + fixed
    assert not report, "\n".join(report)
    if expected:
        pytest.xfail("known problems awaiting their page's fix:\n" + "\n".join(expected))


def test_phone_menu_opens_on_demand_with_and_without_javascript(server, db, browser):
    """At 390 px the header is one line; the menu opens with the keyboard, says so (aria-expanded) and
    closes with Escape; without JavaScript the same button (a checkbox's label) opens it."""
    _ensure_admin(db)
    for javascript in (True, False):
        context = browser.new_context(viewport={"width": 390, "height": 800}, java_script_enabled=javascript)
        page = _sign_in(context, server, ADMIN_EMAIL)
        header = page.locator("header.site")
        requests_link = page.locator("header.site nav a", has_text="Requests")
        assert header.bounding_box()["height"] < 60, "the phone header is more than one line"
        assert not requests_link.is_visible()
        page.keyboard.press("Tab")  # skip link
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Tab")  # brand
        page.keyboard.press("Tab")  # the menu button
        if javascript:
            button = page.locator("header.site button.menu-js-button")
            assert page.evaluate("document.activeElement.classList.contains('menu-js-button')")
            assert button.get_attribute("aria-expanded") == "false"
            page.keyboard.press("Enter")
            assert button.get_attribute("aria-expanded") == "true" and requests_link.is_visible()
            page.keyboard.press("Escape")
            assert button.get_attribute("aria-expanded") == "false" and not requests_link.is_visible()
            assert page.evaluate("document.activeElement.classList.contains('menu-js-button')")
        else:
            assert page.evaluate("document.activeElement.id") == "menu-toggle"
            page.keyboard.press("Space")
            assert requests_link.is_visible()
            requests_link.click()
            page.wait_for_url(server + "/requests/")
            assert page.locator("header.site nav [aria-current='page']").inner_text() == "Requests"
        context.close()
    # At desktop width there is no button: the menu is a row of links.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = _sign_in(context, server, ADMIN_EMAIL)
    assert page.locator("header.site nav a", has_text="Requests").is_visible()
    assert not page.locator("header.site .menu-js-button").is_visible()
    assert page.locator("header.site").bounding_box()["height"] < 80
    context.close()
