"""The main web flows, end to end in Debian's Chromium (Playwright) against a real server.

Each test signs in through the form, clicks and types as a user would, and checks what the page
shows (and, where it matters, what the database holds). The clock is pinned by conftest to
2026-09-15 10:00, and the server runs in a thread of this process, so it sees the same clock.
"""
import datetime as dt
import io
import os
import re

import pytest
from playwright.sync_api import expect

from foia import accounts, campaigns, clock, formats, jobs, letters, reminders
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, CHROMIUM, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

VIEWER_EMAIL = "viewer@example.org"
VIEWER_PASSWORD = "read only, never write"


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture
def new_page(browser, server):
    """Open pages in fresh browser contexts (own cookies); all are closed after the test."""
    contexts = []

    def open_page(**context_args):
        context = browser.new_context(**context_args)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.base = server
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page, db):
    """A page signed in as the admin."""
    page = new_page()
    login(page, db)
    return page


def sign_in(page, email, password):
    page.fill("main form input[name=email]", email)
    page.fill("main form input[name=password]", password)
    page.click("main form button[type=submit]")


def request_id_by_title(db, title):
    return next(iter(db.query("SELECT id FROM requests WHERE title = ?", [title])))["id"]


def user_id(db, email):
    return next(iter(db.query("SELECT id FROM users WHERE email = ?", [email])))["id"]


def squash(text):
    """Text with runs of whitespace made one space (PDF extraction breaks lines anywhere)."""
    return re.sub(r"\s+", " ", text)


# --- 1. signing in and out ---------------------------------------------------------------------

def test_sign_in_wrong_then_right_password_and_sign_out(new_page, db):
    from tests.conftest import _ensure_admin

    _ensure_admin(db)
    page = new_page()
    page.goto(page.base + "/requests/")
    assert "/login" in page.url  # not signed in yet: sent to the sign-in page

    sign_in(page, ADMIN_EMAIL, "not the password at all")
    assert page.locator("main .error").inner_text() == "Wrong email or password."
    assert "/login" in page.url
    assert page.locator("header.site .signout").count() == 0

    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.wait_for_url(page.base + "/requests/")  # back where we were going
    assert page.locator("h1").inner_text() == "Requests"
    assert ADMIN_EMAIL in page.locator("header.site .user").inner_text()

    page.click("header.site .signout")
    page.wait_for_url("**/login")
    assert "You have signed out." in page.locator("main .flash").inner_text()
    for path in ("/", "/requests/1", "/campaigns/"):
        page.goto(page.base + path)
        assert page.url.startswith(page.base + "/login"), path
        assert page.locator("h1").inner_text() == "Sign in"


# --- 2. a viewer reads but cannot write --------------------------------------------------------

def test_viewer_reads_a_request_but_cannot_add_an_event(new_page, db):
    accounts.create_user(db, VIEWER_EMAIL, VIEWER_PASSWORD, "viewer")
    request_id = request_id_by_title(db, "Ring MOU and camera subsidy invoices")
    before = db.execute("SELECT count(*) FROM events WHERE request_id = ?", [request_id]).fetchone()[0]

    page = new_page()
    page.goto(page.base + f"/requests/{request_id}")
    sign_in(page, VIEWER_EMAIL, VIEWER_PASSWORD)
    page.wait_for_url(page.base + f"/requests/{request_id}")
    assert page.locator("h1").inner_text() == "Ring MOU and camera subsidy invoices"
    assert page.locator(".timeline li").count() == before

    # A viewer is offered no form it cannot use: no event form, no remove buttons, no reminder forms.
    assert page.locator("form.event-form").count() == 0
    assert page.locator(".timeline form").count() == 0
    assert page.locator("form.reminder-kinds, form.reminder-custom").count() == 0
    assert "Edit the request" not in page.locator("main").inner_text()
    # Posting anyway is refused by the server.
    response = page.request.post(page.base + f"/requests/{request_id}/events",
                                 form={"kind": "note", "note": "A viewer tried to write this"})
    assert response.status in (400, 403)

    after = db.execute("SELECT count(*) FROM events WHERE request_id = ?", [request_id]).fetchone()[0]
    assert after == before
    page.goto(page.base + f"/requests/{request_id}")
    assert page.locator(".timeline li").count() == before
    assert "A viewer tried to write this" not in page.locator(".timeline").inner_text()


# --- 3. letters ---------------------------------------------------------------------------------

def test_letter_preview_generate_and_download_pdf_and_docx(page, db):
    import docx
    import pypdf

    citation = "Gov. Code § 7922.535"
    page.goto(page.base + "/settings/requester")
    page.fill("main form input[name=name]", "Rosalind Okafor")
    page.fill("main form input[name=organization]", "Lakeside Surveillance Watch")
    page.fill("main form textarea[name=address]", "12 Harbor Street\nEl Monte, CA 91731")
    page.fill("main form input[name=email]", "rosalind@example.org")
    page.click("main form button[type=submit]")
    assert "Requester details saved." in page.locator("main .flash").inner_text()
    assert page.locator("main form input[name=name]").input_value() == "Rosalind Okafor"

    request_id = request_id_by_title(db, "Ring Reward Program agreement and invoices")
    page.goto(page.base + f"/requests/{request_id}")
    assert "No letters yet." in page.locator("#letters").inner_text()
    page.click("#letters >> text=Write a letter")
    assert page.locator("h1").inner_text() == "Letter to El Monte Police Department"
    page.click("main form.letter-form button[type=submit]")
    page.wait_for_url("**/letters/preview?**")
    preview_url = page.url
    letter = squash(page.locator("article.letter-preview").inner_text())
    assert "El Monte Police Department" in letter
    assert citation in letter and "California Public Records Act" in letter
    assert "Rosalind Okafor" in letter

    # "Generate PDF" downloads the letter; the request page then lists both.
    files = {}
    for fmt in ("PDF", "DOCX"):
        page.goto(preview_url)
        with page.expect_download() as info:
            page.get_by_role("button", name=f"Generate {fmt}").click()
        download = info.value
        assert download.suggested_filename.endswith("." + fmt.lower())
        assert "el-monte-police-department" in download.suggested_filename
        files[fmt] = download.path().read_bytes()
    assert files["PDF"].startswith(b"%PDF")
    page.goto(page.base + f"/requests/{request_id}")
    listed = page.locator("#letters ul.letters")
    assert listed.locator("li").count() == 2
    assert "Initial request: Ring partnership records" in listed.inner_text()
    with page.expect_download() as info:
        listed.get_by_role("link", name="PDF", exact=True).click()
    assert info.value.path().read_bytes() == files["PDF"]

    pdf_text = squash(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(files["PDF"])).pages))
    docx_text = squash(" ".join(p.text for p in docx.Document(io.BytesIO(files["DOCX"])).paragraphs))
    for text in (pdf_text, docx_text):
        assert "Rosalind Okafor" in text
        assert citation in text
        assert "El Monte Police Department" in text
    assert sorted(r["format"] for r in letters.for_request(db, request_id)) == ["docx", "pdf"]


# --- 4. campaigns -------------------------------------------------------------------------------

def test_campaign_for_one_state_runs_to_completion(page, db):
    letters.save_requester(db, {"name": "Rosalind Okafor", "address": "12 Harbor Street", "email": "r@example.org"})
    page.goto(page.base + "/campaigns/new")
    page.fill("main form input[name=name]", "Illinois Ring partnership records")
    page.select_option("main form select[name=template]", "ring-partnership")
    page.select_option("main form select[name=states]", ["IL"])
    page.uncheck("main form input[name=skip_open]")  # the demo has requests to both agencies already
    page.click("main form button[value=preview]")
    page.click("main form button[value=create]")
    page.wait_for_url(re.compile(r".*/campaigns/\d+$"))
    assert page.locator("h1").inner_text() == "Illinois Ring partnership records"

    # The page's script polls the progress; a reload also shows it (the page works without JS).
    status = page.locator("#campaign-progress [data-field=status]")
    expect(status).to_have_attribute("data-state", re.compile("done|failed"), timeout=60000)
    assert status.get_attribute("data-state") == "done" and status.inner_text() == "Done"
    page.reload()
    assert page.locator("#campaign-progress [data-field=done]").inner_text() == "2"
    assert page.locator("#campaign-progress [data-field=total]").inner_text() == "2"
    assert page.locator("#campaign-progress [data-field=error-count]").inner_text() == "0"
    assert "2 PDF and 2 DOCX letters." in page.locator("main").inner_text()

    page.click("text=The campaign's requests")
    rows = page.locator("table.requests tbody tr")
    assert rows.count() == 2
    texts = sorted(rows.nth(i).inner_text() for i in range(2))
    assert "Aurora Police Department (IL)" in texts[0] and "Naperville Police Department (IL)" in texts[1]
    assert all("Illinois Ring partnership records" in t for t in texts)


# --- 5. deadlines and notifications -------------------------------------------------------------

def test_due_date_is_explained_and_a_reminder_reaches_the_inbox(page, db):
    page.goto(page.base + "/requests/new")
    page.select_option("main form select[name=agency_id]", label="CA · El Monte Police Department")
    page.fill("main form input[name=title]", "Ring Reward Program e-mail, 2025")
    page.fill("main form input[name=filed_on]", "2026-08-28")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/requests/\d+$"))
    request_id = int(page.url.rsplit("/", 1)[1])

    dates = page.locator("#dates")
    assert "Tue 8 Sep 2026" in dates.locator("dl.facts").inner_text()  # 10 calendar days land on Labor Day
    assert page.locator(".lede time").first.inner_text() == "Tue 8 Sep 2026"
    explanation = dates.locator("details.explain li", has_text="Labor Day").first
    assert not explanation.is_visible()
    dates.locator("details.explain summary").click()
    assert explanation.is_visible()
    assert "rolled forward to Tue 8 Sep 2026" in explanation.inner_text()

    # A reminder for today, through the form, delivered in the app (no SMTP needed).
    page.fill("form.reminder-custom input[name=on]", "2026-09-15")
    page.fill("form.reminder-custom input[name=note]", "Call the records clerk")
    page.click("form.reminder-custom button[type=submit]")
    assert "You will be reminded on Tue 15 Sep 2026." in page.locator("main .flash").inner_text()
    report = reminders.dispatch_due(db, now=clock.now())
    assert report.notifications >= 1

    admin_id = user_id(db, ADMIN_EMAIL)
    unread = reminders.unread_count(db, admin_id)
    page.goto(page.base + "/notifications")
    items = page.locator("ul.notifications li.unread")
    assert items.count() == unread >= 1
    mine = items.filter(has_text="Reminder: Call the records clerk")
    assert mine.count() == 1 and "●" in mine.inner_text()
    assert f"Open request #{request_id}" in mine.inner_text()

    page.click("main form:has(button:text('Mark all read')) button[type=submit]")
    assert f"{formats.plural(unread, 'notification')} marked read." in page.locator("main .flash").inner_text()
    assert page.locator("ul.notifications li.unread").count() == 0
    assert reminders.unread_count(db, admin_id) == 0


def test_header_shows_the_unread_notification_count(page, db):
    request_id = request_id_by_title(db, "Ring MOU and camera subsidy invoices")
    reminders.add_custom(db, request_id, "2026-09-15", "Check the portal")
    reminders.dispatch_due(db, now=clock.now())
    admin_id = user_id(db, ADMIN_EMAIL)
    unread = reminders.unread_count(db, admin_id)
    assert unread >= 1
    page.goto(page.base + "/")
    link = page.locator("header.site a[href='/notifications']")
    assert link.count() == 1, "the header has no link to the notifications inbox"
    assert str(unread) in link.inner_text()


# --- 6. documents -------------------------------------------------------------------------------

def test_upload_search_publish_and_see_it_in_the_public_archive(page, new_page, db):
    import weasyprint

    word = "quokkaflange"
    pdf = weasyprint.HTML(string=f"<h1>Ring MOU</h1><p>The {word} clause of the agreement.</p>",
                          base_url=".").write_pdf()
    request_id = request_id_by_title(db, "Ring MOU and camera subsidy invoices")
    page.goto(page.base + f"/requests/{request_id}/documents")
    page.set_input_files("main form.upload-form input[name=files]",
                         files=[{"name": "aurora-mou.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    page.click("main form.upload-form button[type=submit]")
    page.wait_for_url(f"**/requests/{request_id}#documents")  # back on the request page
    assert "Added 1 document." in page.locator("main .flash").inner_text()
    assert page.locator("#documents").count() == 1, "the request page has no documents section"
    assert "aurora-mou.pdf" in page.locator("#documents table.documents").inner_text()
    # The PDF's text is read by the document.extract job, which the server's job runner picks up.
    for _ in range(300):
        if not db.execute("SELECT count(*) FROM jobs WHERE kind = 'document.extract' AND state IN "
                          "('queued', 'running')").fetchone()[0]:
            break
        page.wait_for_timeout(100)
    assert db.execute("SELECT state FROM jobs WHERE kind = 'document.extract'").fetchall() == [("done",)]

    page.goto(page.base + "/search")
    page.fill("main form.filters input[name=q]", word)
    page.click("main form.filters button[type=submit]")
    hit = page.locator("ol.results li.hit")
    assert hit.count() == 1
    assert hit.locator(".snippet mark").first.inner_text().lower() == word
    assert "private" in hit.inner_text()

    hit.locator("a").first.click()
    page.click("main form:has(input[name=published][value='1']) button[type=submit]")
    assert "Publishing makes it public" in page.locator("main").inner_text()  # it asks first
    page.click("main form.confirm-form button[type=submit]")
    assert "Published in the public archive." in page.locator("main").inner_text()

    visitor = new_page()  # a fresh, signed-out browser context
    visitor.goto(visitor.base + "/archive")
    assert "/login" not in visitor.url
    assert visitor.locator("header.site .signout").count() == 0
    visitor.fill("main form.filters input[name=q]", word)
    visitor.click("main form.filters button[type=submit]")
    public_hit = visitor.locator("ol.results li.hit")
    assert public_hit.count() == 1
    assert "aurora-mou.pdf" in public_hit.inner_text()
    assert public_hit.locator(".snippet mark").first.inner_text().lower() == word


# --- 7. no JavaScript, and nothing blocked by the CSP -------------------------------------------

def test_new_request_form_works_without_javascript(new_page, db):
    page = new_page(java_script_enabled=False)
    login(page, db)
    page.goto(page.base + "/requests/new")
    page.click("main form button[type=submit]")  # nothing filled in: the server says what is missing
    assert page.locator("main .field-error").count() >= 1
    page.select_option("main form select[name=agency_id]", label="OR · Tigard Police Department")
    page.fill("main form input[name=title]", "Neighbors app posts about Tigard")
    page.fill("main form input[name=filed_on]", "2026-09-14")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/requests/\d+$"))
    assert page.locator("h1").inner_text() == "Neighbors app posts about Tigard"
    assert "Filed" in page.locator(".lede .status").inner_text()
    assert "Tigard Police Department" in page.locator(".lede").inner_text()


def test_pages_load_without_console_errors(page, db):
    errors = []
    page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    campaign_id = campaigns.create(db, name="Oregon records", template="ring-partnership", states=["OR"])
    # Its letter run queued for later, so the page finds it waiting and polls its progress.
    jobs.enqueue(db, campaigns.JOB_KIND, {"campaign_id": campaign_id, "letter_date": "2026-09-15"},
                 key=campaigns.job_key(campaign_id), run_after=clock.now() + dt.timedelta(days=3650))
    request_id = request_id_by_title(db, "Ring MOU and camera subsidy invoices")

    page.goto(page.base + "/")
    page.goto(page.base + f"/requests/{request_id}")
    page.locator("#dates details.explain summary").click()
    # The campaign page's script polls the progress of a pending campaign: proof it ran under the CSP.
    with page.expect_response(lambda r: r.url.endswith(f"/campaigns/{campaign_id}/progress")) as info:
        page.goto(page.base + f"/campaigns/{campaign_id}")
    assert info.value.status == 200
    # The stylesheet applied (a blocked one would leave the header unstyled).
    assert page.evaluate("document.styleSheets.length") >= 1
    page.wait_for_timeout(300)
    assert errors == []

