"""A hostile HTML reply in a real browser (Debian's Chromium): nothing in it runs or is fetched."""
import os

import pytest
from mail_helpers import message, setup

from foia import create_app, requests
from foia.correspondence import ingest, tokens
from foia.web import correspondence
from tests.conftest import CHROMIUM, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make test installs it as root)"),
]

HOSTILE = ("<p>Dear requester, we are extending the time to respond by 10 business days.</p>"
           "<script>alert('script ran')</script>"
           "<img src='https://tracker.example/pixel.gif?who=you'>"
           "<p>&lt;img src=x onerror=alert(1)&gt;</p>"
           "<iframe src='https://tracker.example/frame'></iframe>"
           "<a href='javascript:alert(2)'>click</a>")


@pytest.fixture
def app(instance):
    app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True, "WTF_CSRF_ENABLED": False})
    if "correspondence" not in app.blueprints:  # until foia.web lists it in BLUEPRINTS
        app.register_blueprint(correspondence.bp)
        app.extensions["foia.sections"]["request"].append(correspondence.REQUEST_SECTION)
    return app


def test_a_hostile_html_reply_is_shown_as_text_and_its_event_confirmed(browser, server, app, db):
    files, _, request_id, token = setup(app, db)
    result = ingest.ingest(db, files, message(to=tokens.reply_address("records@group.example", token), body="",
                                              html=HOSTILE), config=app.config)
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = server
    fetched, dialogs = [], []
    page.on("request", lambda r: fetched.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        login(page, db)
        page.goto(f"{server}/mail/{result.id}")
        body = page.locator("pre.mail-body").inner_text()
        assert "extending the time to respond" in body and "<img src=x onerror=alert(1)>" in body
        assert page.locator("pre.mail-body mark").count() >= 1  # the evidence, highlighted
        assert page.locator("main img, main iframe, main script").count() == 0
        page.click("#suggestion form button:text('Record on the timeline')")
        page.wait_for_url("**#timeline")
        assert "Extension claimed" in page.locator(".timeline").inner_text()
    finally:
        context.close()
    assert dialogs == []
    assert not [url for url in fetched if "tracker.example" in url]
    assert requests.get(db, request_id)["status"] == "filed"
