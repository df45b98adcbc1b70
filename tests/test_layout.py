"""The layout around every page: the menu (public or private, one item marked), and the error page's
field names in words."""
import re

from foia.web.app import error_response, field_label


def _current(html: str) -> list[str]:
    return re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', html)


def _menu(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    return re.findall(r">([^<]+)</a>", nav)


def test_one_menu_item_is_marked_by_endpoint(client, db):
    from foia import demo

    demo.load(db)
    request_id = db.execute("SELECT min(id) FROM requests").fetchone()[0]
    cases = {
        "/": ["Dashboard"], "/notifications": [], "/calendar": ["Calendar"], "/reminders": ["Calendar"],
        "/calendar/month": ["Calendar"], "/archive": ["Archive"], "/search": ["Search"],
        f"/requests/{request_id}": ["Requests"], f"/requests/{request_id}/documents": ["Requests"],
        f"/requests/{request_id}/letters": ["Requests"], "/agencies/new": ["Agencies"], "/account": [],
        "/admin/users": [],
    }
    for path, marked in cases.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert _current(response.get_data(as_text=True)) == marked, path


def test_visitors_get_the_public_menu(app, client):
    visitor = app.test_client()
    html = visitor.get("/archive").get_data(as_text=True)
    assert _menu(html) == ["Archive"] and _current(html) == ["Archive"]
    assert "Sign in" in html and "Dashboard" not in html and "Sign out" not in html
    signed_in = client.get("/archive").get_data(as_text=True)
    assert {"Dashboard", "Requests", "Archive"} <= set(_menu(signed_in)) and "Sign out" in signed_in


def test_every_page_has_a_skip_link_to_its_content_and_the_menu_script(client):
    html = client.get("/").get_data(as_text=True)
    assert '<a class="skip-link" href="#content">Skip to content</a>' in html
    assert '<main id="content"' in html
    assert 'src="/static/menu.js"' in html and "<script>" not in html  # same origin, nothing inline
    with client.get("/static/menu.js") as script:
        assert script.status_code == 200 and "aria-expanded" in script.get_data(as_text=True)


def test_error_page_names_fields_in_words(app):
    assert field_label("records_email") == "Records e-mail address"
    assert field_label("date_from") == "From" and field_label("closed_on") == "Closed on"
    with app.test_request_context("/agencies/new", method="POST"):
        body, status = error_response(422, "Enter the agency's name. That e-mail address doesn't look right.",
                                      {"name": "Enter the agency's name.",
                                       "records_email": "That e-mail address doesn't look right."})
    assert status == 422
    assert "<li><strong>Name</strong>: Enter the agency&#39;s name.</li>" in body
    assert "<strong>Records e-mail address</strong>: That e-mail address doesn&#39;t look right." in body
    assert "records_email" not in body and body.count("Enter the agency&#39;s name.") == 1  # not repeated above
    assert "Back to the public archive" in body  # not signed in: no link to the dashboard
