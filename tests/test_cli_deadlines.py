import json
import socket
import threading

import click
import icalendar
import pytest
from aiosmtpd.controller import Controller

from foia import db as db_module
from foia import deadlines, laws, lifecycle, recompute, reminders
from foia.cli import main

STAMP = "2026-09-01T09:00:00"


@pytest.fixture
def instance_db(instance):
    database = db_module.connect(str(instance / "foia.db"))
    db_module.migrate(database)
    deadlines.migrations.apply(database)
    reminders.migrations.apply(database)
    laws.load_into(database)
    yield database
    database.conn.close()


def add_request(db, state, day, owner_email=None):
    owner = db["users"].insert({"email": owner_email, "role": "member", "created_at": STAMP}).last_pk \
        if owner_email else None
    agency = db["agencies"].insert({"name": f"{state} PD {db['agencies'].count}", "state": state,
                                    "created_at": STAMP, "updated_at": STAMP}).last_pk
    events = [{"kind": "filed", "occurred_on": day, "data": {}}]
    request_id = db["requests"].insert({"agency_id": agency, "title": "Ring records", "owner_id": owner,
                                        "status": lifecycle.derive_status(events), "created_at": STAMP,
                                        "updated_at": STAMP}).last_pk
    db["events"].insert({"request_id": request_id, "kind": "filed", "occurred_on": day, "recorded_at": STAMP,
                         "data": "{}"})
    return request_id


@pytest.mark.parametrize("args, due, extended", [
    (["CA", "2026-08-28"], "2026-09-08", None),
    (["US", "2026-07-01", "--extended"], "2026-07-30", "2026-08-13"),
    (["CA", "2026-07-01", "--extended"], "2026-07-13", "2026-07-27"),
    (["pa", "2026-09-03", "--extended"], "2026-09-11", "2026-10-13"),
    (["GA", "2026-06-15"], "2026-06-18", None),
])
def test_deadline_json(runner, args, due, extended):
    result = runner("deadline", *args, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["due"] == due and data["extended_due"] == extended
    for key in ("jurisdiction", "received", "due", "extended_due", "acknowledge_by", "follow_up", "day_type",
                "days", "citation", "explain"):
        assert key in data
    assert data["received"] == args[1]
    assert data["jurisdiction"] == args[0].upper()


def test_acceptance_ca_labor_day(runner):
    data = json.loads(runner("deadline", "CA", "2026-08-28", "--json").output)
    assert data["due"] == "2026-09-08" and data["day_type"] == "calendar" and data["days"] == 10
    assert data["acknowledge_by"] is None and data["follow_up"] is None
    assert "Skipped 2026-09-07 Labor Day." in data["explain"]
    assert data["citation"].startswith("Cal. Gov. Code § 7922.535")


def test_deadline_no_fixed_period_and_acknowledgement(runner):
    data = json.loads(runner("deadline", "FL", "2026-06-15", "--json").output)
    assert data["due"] is None and data["follow_up"] == "2026-06-30" and data["day_type"] == "none"
    assert json.loads(runner("deadline", "MD", "2026-06-15", "--json").output)["acknowledge_by"] == "2026-06-30"
    # Alabama (2024 act): acknowledge within 10 days; 15 business days from the acknowledgement,
    # here from the last day it may come (2026-06-25), as none is recorded.
    alabama = json.loads(runner("deadline", "AL", "2026-06-15", "--json").output)
    assert (alabama["acknowledge_by"], alabama["due"], alabama["follow_up"]) == ("2026-06-25", "2026-07-17", None)
    assert alabama["residency_required"] is True


def test_deadline_text(runner):
    result = runner("deadline", "CA", "2026-08-28")
    assert result.exit_code == 0
    assert "Due:             2026-09-08" in result.output
    assert "Skipped 2026-09-07 Labor Day." in result.output
    assert "(no legal deadline)" in runner("deadline", "FL", "2026-06-15").output


def _timeline(tmp_path, events):
    path = tmp_path / "timeline.json"
    path.write_text(json.dumps([{"kind": k, "occurred_on": d, "data": data} for k, d, data in events]))
    return path


JSON_KEYS = ("jurisdiction", "received", "acknowledge_by", "due", "extended_due", "operative_due", "produce_by",
             "deemed_denied_on", "appeal", "residency_required", "citation", "explain")


def test_timeline_new_york_counts_from_the_acknowledgement(runner, tmp_path):
    path = _timeline(tmp_path, [("filed", "2026-11-02", {}), ("acknowledged", "2026-11-04", {})])
    result = runner("deadline", "NY", "--timeline", path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert all(key in data for key in JSON_KEYS)
    assert (data["received"], data["due"], data["operative_due"]) == ("2026-11-02", "2026-12-04", "2026-12-04")
    assert data["appeal"] is None and data["residency_required"] is False


def test_timeline_washington_estimate_is_operative(runner, tmp_path):
    path = _timeline(tmp_path, [("filed", "2026-12-01", {}),
                                ("acknowledged", "2026-12-03", {"estimated_date": "2027-01-15"})])
    data = json.loads(runner("deadline", "WA", "--timeline", path, "--json").output)
    assert data["due"] == "2026-12-08" and data["operative_due"] == "2027-01-15"
    assert data["effective_due"] == "2027-01-15"


def test_timeline_pennsylvania_denial_appeals_to_the_office_of_open_records(runner, tmp_path):
    path = _timeline(tmp_path, [("filed", "2027-02-22", {}), ("denied", "2027-03-05", {"reason": "investigative"})])
    data = json.loads(runner("deadline", "PA", "--timeline", path, "--json").output)
    appeal = data["appeal"]
    assert appeal["route"] == "state_office" and appeal["body"].startswith("Pennsylvania Office of Open Records")
    assert (appeal["due"], appeal["day_type"]) == ("2027-03-26", "business")
    assert "555 Walnut Street" in appeal["contact"] and appeal["attachments"]
    assert data["residency_required"] is True
    text = runner("deadline", "PA", "--timeline", path).output
    assert "Appeal:          Pennsylvania Office of Open Records" in text and "by 2027-03-26" in text


@pytest.mark.parametrize("content, message", [
    ("not json", "is not valid JSON"),
    ('{"kind": "filed"}', "must hold a list of events"),
    ('[{"kind": "filed", "occurred_on": "soon", "data": {}}]', "'soon' is not a date"),
    ('[{"kind": "lunch", "occurred_on": "2026-11-02", "data": {}}]', "Event 1"),
    ('[{"kind": "acknowledged", "occurred_on": "2026-11-02", "data": {"estimated_date": "later"}}]', "Event 1"),
    ('[{"kind": "acknowledged", "occurred_on": "2026-11-02", "data": {}}]', "needs a filed or received_by_agency"),
])
def test_timeline_file_problems_are_one_line_messages(runner, tmp_path, content, message):
    path = tmp_path / "timeline.json"
    path.write_text(content)
    result = runner("deadline", "NY", "--timeline", path)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_deadline_needs_a_date_or_a_timeline(runner, tmp_path):
    assert "Give either" in runner("deadline", "NY").output
    path = _timeline(tmp_path, [("filed", "2026-11-02", {})])
    assert "Give either" in runner("deadline", "NY", "2026-11-02", "--timeline", path).output


@pytest.mark.parametrize("args, message", [
    (["ZZ", "2026-08-28"], "Unknown jurisdiction 'ZZ'"),
    (["CA", "2026-02-30"], "'2026-02-30' is not a valid date"),
    (["CA", "yesterday"], "'yesterday' is not a valid date"),
])
def test_deadline_bad_input(runner, args, message):
    result = runner("deadline", *args)
    assert result.exit_code == 1
    assert message in result.output


class Sink:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("FOIA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("FOIA_SMTP_PORT", str(port))
    yield sink
    controller.stop()


def test_reminders_run_once_and_list(runner, instance_db, smtp):
    add_request(instance_db, "GA", "2026-09-10", owner_email="ana@example.org")  # due today, 2026-09-15
    result = runner("reminders", "run-once", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # The first tick of the day plans every request's reminders, then sends what is due at 10:00:
    # "due today" (09:00) by e-mail and to the inbox.
    assert (report["claimed"], report["sent"], report["messages"], report["notifications"]) == (2, 2, 1, 1)
    assert smtp.count == 1
    assert "0 due" in runner("reminders", "run-once").output  # nothing twice
    assert smtp.count == 1
    listing = runner("reminders", "list")
    assert "due_today" in listing.output and "sent 2026-09-15T10:00:00" in listing.output
    pending = json.loads(runner("reminders", "list", "--pending", "--json").output)
    assert [r["kind"] for r in pending] == ["overdue", "overdue", "follow_up", "follow_up"]


def test_reminders_run_once_without_mail(runner, instance_db, monkeypatch):
    monkeypatch.delenv("FOIA_SMTP_HOST", raising=False)
    result = runner("reminders", "run-once")
    assert result.exit_code == 0 and "E-mail is not set up" in result.output


def test_reminders_refresh(runner, instance_db):
    request_id = add_request(instance_db, "CA", "2026-08-28")
    result = runner("reminders", "refresh")
    assert "for 1 request." in result.output
    assert instance_db["requests"].get(request_id)["due_on"] == "2026-09-08"


def test_reminders_refresh_names_requests_it_skips(runner, instance_db):
    good = add_request(instance_db, "CA", "2026-08-28")
    bad = add_request(instance_db, "GA", "2026-09-01")
    instance_db.execute("UPDATE agencies SET closed_days = '[\"soon\"]' WHERE id = "
                        "(SELECT agency_id FROM requests WHERE id = ?)", [bad])
    result = runner("reminders", "refresh")
    assert result.exit_code == 0 and "for 1 request." in result.output
    assert f"Skipped request #{bad} (its stored dates are kept): ValueError: closed day 'soon'" in result.output
    assert instance_db["requests"].get(good)["due_on"] == "2026-09-08"


def test_export_ics(runner, instance_db, tmp_path):
    request_id = add_request(instance_db, "CA", "2026-09-10")
    recompute.everything(instance_db)
    out = tmp_path / "deadlines.ics"
    result = runner("export", "ics", out)
    assert result.exit_code == 0 and "1 event written" in result.output
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    (event,) = cal.walk("VEVENT")
    assert str(event["uid"]) == f"request-{request_id}-due@foia"
    bad = runner("export", "ics", tmp_path / "missing-dir" / "x.ics")
    assert bad.exit_code == 1 and "Cannot write" in bad.output


def test_every_command_has_help():
    def walk(command, path):
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, path + [name])

    mine = {"deadline", "reminders", "scheduler", "export"}
    for path, command in walk(main, []):
        if path and path[0] in mine:
            assert (command.help or "").strip(), " ".join(path)
    assert {"run-once", "list", "refresh"} <= set(main.commands["reminders"].commands)
    assert "ics" in main.commands["export"].commands
