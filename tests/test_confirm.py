"""The confirmation page before a one-way action posts the same fields back, with confirm=yes."""
from foia.web import confirm_page, confirmed


def test_confirmation_page_keeps_the_fields_and_adds_confirm(app):
    with app.test_request_context("/requests/4/events/9/remove", method="POST",
                                  data={"reason": "<wrong> request", "ids": ["1", "2"], "confirm": "no"}):
        assert not confirmed()
        html, status = confirm_page(title="Remove this event?", message="It cannot be undone.",
                                    button="Remove it", cancel_url="/requests/4")
    assert status == 200
    assert 'action="/requests/4/events/9/remove"' in html
    assert '<input type="hidden" name="reason" value="&lt;wrong&gt; request">' in html
    assert html.count('name="ids"') == 2
    assert '<input type="hidden" name="confirm" value="yes">' in html
    assert 'name="confirm" value="no"' not in html
    assert 'href="/requests/4"' in html and "Remove it" in html
    with app.test_request_context("/x", method="POST", data={"confirm": "yes"}):
        assert confirmed()
