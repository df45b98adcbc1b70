def test_agencies_list_and_detail(demo, client):
    data = client.get("/api/agencies?state=CA").get_json()
    assert data["total"] == 3 and {a["state"] for a in data["agencies"]} == {"CA"}
    detail = client.get(f"/api/agencies/{data['agencies'][0]['id']}").get_json()
    assert detail["law"]["citation"].startswith("Cal. Gov. Code")


def test_requests_filters(demo, client):
    data = client.get("/api/requests?status=open&per_page=5").get_json()
    assert set(data) == {"total", "page", "requests"}
    assert len(data["requests"]) == 5
    first = data["requests"][0]
    assert {"id", "title", "status", "due_on", "agency_name", "agency_state"} <= set(first)


def test_request_detail_with_events(demo, client):
    data = client.get("/api/requests/1").get_json()
    assert data["id"] == 1 and data["events"][0]["kind"] == "filed"
    assert isinstance(data["events"][0]["data"], dict)


def test_errors_are_json(client):
    response = client.get("/api/requests/999")
    assert response.status_code == 404
    assert response.get_json()["message"] == "No request with id 999."
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.is_json


def test_create_and_event(demo, client, db):
    response = client.post("/api/requests", json={"agency_id": 1, "title": "From a script", "filed_on": "2026-09-10"})
    assert response.status_code == 201
    request_id = response.get_json()["id"]
    response = client.post(f"/api/requests/{request_id}/events", json={"kind": "acknowledged", "occurred_on": "2026-09-11"})
    assert response.status_code == 201 and response.get_json()["request"]["status"] == "acknowledged"
    response = client.post(f"/api/requests/{request_id}/events", json={"kind": "filed"})
    assert response.status_code == 409 and "filed twice" in response.get_json()["message"]
    # The same kind on the same day again is refused unless the client says it means it.
    again = {"kind": "acknowledged", "occurred_on": "2026-09-11"}
    response = client.post(f"/api/requests/{request_id}/events", json=again)
    assert response.status_code == 409
    response = client.post(f"/api/requests/{request_id}/events", json=again | {"confirm_duplicate": True})
    assert response.status_code == 201
    response = client.post("/api/requests", json={"agency_id": 1, "title": ""})
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"title"}
    response = client.post("/api/requests", data="not json", content_type="text/plain")
    assert response.status_code == 400 and response.is_json


import pytest  # noqa: E402


@pytest.mark.parametrize(
    "body, field",
    [({"agency_id": 1, "title": 123}, "title"), ({"agency_id": 1, "title": ["a"]}, "title"),
     ({"agency_id": 1, "title": "t", "filed_on": 20260901}, "filed_on"),
     ({"agency_id": 1, "title": "t", "submission_key": ["k"]}, "submission_key"),
     ({"agency_id": True, "title": "t"}, "agency_id"), ({"agency_id": 1, "title": "t", "method": 3}, "method"),
     ({"agency_id": 1, "title": "t", "description": {"x": 1}}, "description")],
)
def test_wrongly_typed_request_fields_are_422(demo, client, db, body, field):
    before = db["requests"].count
    response = client.post("/api/requests", json=body)
    assert response.status_code == 422 and response.is_json
    assert set(response.get_json()["errors"]) == {field}
    assert db["requests"].count == before


@pytest.mark.parametrize(
    "body, field",
    [({"kind": ["note"]}, "kind"), ({"kind": "note", "note": 5}, "note"),
     ({"kind": "note", "occurred_on": 20260901}, "occurred_on"), ({"kind": "note", "data": "x"}, "data"),
     ({"kind": "extension_claimed", "data": {"days": 300000}}, "days"),
     ({"kind": "extension_claimed", "data": {"days": "10"}}, "days"),
     ({"kind": "extension_claimed", "data": {"days": 10, "day_type": "lunar"}}, "day_type")],
)
def test_wrongly_typed_event_fields_are_422(demo, client, db, body, field):
    before = db["events"].count
    response = client.post("/api/requests/1/events", json=body)
    assert response.status_code == 422 and response.is_json
    assert set(response.get_json()["errors"]) == {field}
    assert db["events"].count == before


def test_every_problem_of_an_event_is_reported_at_once(demo, client, db):
    before = db["events"].count
    response = client.post("/api/requests/1/events", json={
        "kind": "fee_estimate", "occurred_on": "2026-13-01", "note": 7,
        "data": {"amount": "a lot", "estimated_date": "soon", "colour": "red"}})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"occurred_on", "note", "amount", "estimated_date", "colour"}
    assert db["events"].count == before


def test_unknown_request_is_404(client):
    response = client.post("/api/requests/999/events", json={"kind": "note"})
    assert response.status_code == 404 and response.get_json()["message"] == "No request with id 999."
