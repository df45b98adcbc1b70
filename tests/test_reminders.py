import collections
import datetime as dt
import email
import json
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from foia import clock
from foia import db as db_module
from foia import deadlines, errors, lifecycle, mail, recompute, reminders, scheduler
from foia.reminders import dispatch

D = dt.date.fromisoformat
T = dt.datetime.fromisoformat
STAMP = "2026-09-01T09:00:00"
SETTINGS = deadlines.Settings()


# --- a real SMTP server on loopback -------------------------------------------------------------

class Sink:
    """Collects what the SMTP server receives; ``refuse`` makes it answer 451 to every message."""

    def __init__(self):
        self.messages = []
        self.refuse = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 Try again later"
        with self.lock:
            self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"

    def subjects(self):
        with self.lock:
            return [m["Subject"] for _, m in self.messages]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


def mail_config(port):
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "MAIL_FROM": "foia@example.org", "SMTP_SECURITY": ""}


# --- data ---------------------------------------------------------------------------------------

@pytest.fixture
def ddb(db):
    deadlines.migrations.apply(db)
    reminders.migrations.apply(db)
    return db


def add_user(db, email_address, role="member"):
    return db["users"].insert({"email": email_address, "role": role, "created_at": STAMP}).last_pk


def add_agency(db, state):
    name = f"{state} Police Department {db['agencies'].count}"
    return db["agencies"].insert({"name": name, "state": state, "created_at": STAMP, "updated_at": STAMP}).last_pk


def add_request(db, state, events, owner_id=None, title="Ring partnership records"):
    timeline = [{"kind": kind, "occurred_on": on, "data": rest[0] if rest else {}} for kind, on, *rest in events]
    request_id = db["requests"].insert({
        "agency_id": add_agency(db, state), "title": title, "status": lifecycle.derive_status(timeline),
        "owner_id": owner_id, "created_at": STAMP, "updated_at": STAMP}).last_pk
    for event in timeline:
        add_event(db, request_id, event["kind"], event["occurred_on"], event["data"], refresh=False)
    return request_id


def add_event(db, request_id, kind, on, data=None, refresh=True):
    db["events"].insert({"request_id": request_id, "kind": kind, "occurred_on": on, "recorded_at": STAMP,
                         "data": json.dumps(data or {})})
    status = lifecycle.derive_status(list(db.query("SELECT * FROM events WHERE request_id = ?", [request_id])))
    db["requests"].update(request_id, {"status": status})


def planned(db, request_id, pending_only=False):
    clause = "AND sent_at IS NULL" if pending_only else ""
    return [(r["kind"], r["due_at"][:10], r["channel"]) for r in db.query(
        f"SELECT * FROM reminders WHERE request_id = ? {clause} ORDER BY due_at, kind, channel", [request_id])]


# --- planning -----------------------------------------------------------------------------------

def test_plan_for_a_business_day_law(ddb):
    owner = add_user(ddb, "ana@example.org")
    request_id = add_request(ddb, "GA", [("filed", "2026-09-10")], owner_id=owner)  # due 2026-09-15
    recompute.request(ddb, request_id, today=D("2026-09-10"))
    kinds = [(k, day) for k, day, channel in planned(ddb, request_id) if channel == "email"]
    assert kinds == [
        ("due_soon", "2026-09-11"),  # 2 business days before
        ("due_today", "2026-09-15"),
        ("overdue", "2026-09-16"),
        ("follow_up", "2026-09-23"),  # the next follow-up; each daily refresh plans the one after
    ]
    rows = list(ddb.query("SELECT DISTINCT channel, recipient FROM reminders ORDER BY channel"))
    assert rows == [{"channel": "app", "recipient": f"user:{owner}"}, {"channel": "email", "recipient": "ana@example.org"}]
    assert {r["due_at"][11:] for r in ddb.query("SELECT due_at FROM reminders")} == {"09:00:00"}


def test_plan_acknowledgement_and_appeal(ddb):
    request_id = add_request(ddb, "MD", [("filed", "2026-09-01")])
    recompute.request(ddb, request_id, today=D("2026-09-01"))
    assert ("acknowledgement_due", "2026-09-16", "app") in planned(ddb, request_id)
    add_event(ddb, request_id, "acknowledged", "2026-09-03")
    recompute.request(ddb, request_id, today=D("2026-09-03"))
    assert "acknowledgement_due" not in {k for k, _, _ in planned(ddb, request_id)}
    add_event(ddb, request_id, "denied", "2026-09-10")
    recompute.request(ddb, request_id, today=D("2026-09-10"))
    # Maryland has no appeal period on file: the default 30 days (2026-10-10 is a Saturday -> 10-13
    # after Columbus Day), warned 7 days before.
    assert planned(ddb, request_id) == [("appeal_window", "2026-10-06", "app")]


def test_appeal_reminder_after_a_no_records_answer_and_a_deemed_denial(ddb):
    """The appeal window reminder follows the dates' appeal, whatever closed the request."""
    no_records = add_request(ddb, "PA", [("filed", "2027-02-01"), ("no_records", "2027-03-05")])
    recompute.request(ddb, no_records, today=D("2027-03-05"))
    # 15 business days after 2027-03-05: 2027-03-26, warned 7 days before.
    assert ("appeal_window", "2027-03-19", "app") in planned(ddb, no_records)
    silent = add_request(ddb, "PA", [("filed", "2027-02-01")])
    recompute.request(ddb, silent, today=D("2027-02-16"))
    dates = deadlines.for_request(ddb, silent, settings=deadlines.load_settings(ddb, {}), today=D("2027-02-16"))
    assert dates.appeal is not None and dates.appeal_by is not None
    assert [d for k, d, _ in planned(ddb, silent) if k == "appeal_window"]


def test_washington_estimate_no_overdue_before_it(ddb):
    request_id = add_request(ddb, "WA", [("filed", "2026-11-02"),
                                         ("acknowledged", "2026-11-06", {"estimated_date": "2027-01-15"})])
    recompute.request(ddb, request_id, today=D("2026-11-06"))
    kinds = {(k, d) for k, d, _ in planned(ddb, request_id)}
    assert ("due_today", "2027-01-15") in kinds and ("overdue", "2027-01-16") in kinds
    assert not [d for k, d in kinds if k in ("overdue", "follow_up") and d <= "2027-01-15"]


def test_no_period_law_plans_follow_ups(ddb):
    request_id = add_request(ddb, "AZ", [("filed", "2026-09-01")])
    recompute.request(ddb, request_id, today=D("2026-09-01"))
    assert planned(ddb, request_id) == [("due_today", "2026-09-16", "app"), ("follow_up", "2026-09-23", "app")]
    row = list(ddb.query("SELECT m.*, r.title, r.tracking_number, a.name AS agency_name, a.state AS agency_state, "
                         "'follow_up' AS target_kind FROM reminders m JOIN requests r ON r.id = m.request_id "
                         "JOIN agencies a ON a.id = r.agency_id WHERE m.kind = 'due_today'"))[0]
    subject, body = reminders.compose(row)
    assert subject.startswith("Follow-up date today") and "no fixed deadline" in body


def test_replan_keeps_sent_and_replaces_pending(ddb):
    request_id = add_request(ddb, "US", [("filed", "2026-07-01")])
    recompute.request(ddb, request_id, today=D("2026-07-01"))
    assert ("due_today", "2026-07-30", "app") in planned(ddb, request_id)
    ddb.execute("UPDATE reminders SET sent_at = '2026-07-28T09:00:00', outcome = 'sent' WHERE kind = 'due_soon'")
    add_event(ddb, request_id, "extension_claimed", "2026-07-29")
    recompute.request(ddb, request_id, today=D("2026-07-29"))
    rows = planned(ddb, request_id)
    assert ("due_soon", "2026-07-28", "app") in rows  # sent: kept
    assert ("due_today", "2026-07-30", "app") not in rows  # pending, no longer wanted: gone
    assert ("due_soon", "2026-08-11", "app") in rows and ("due_today", "2026-08-13", "app") in rows
    # Recomputing again changes nothing.
    recompute.request(ddb, request_id, today=D("2026-07-29"))
    assert planned(ddb, request_id) == rows
    # Records released: every pending reminder goes, the sent one stays.
    add_event(ddb, request_id, "records_released", "2026-08-01")
    recompute.request(ddb, request_id, today=D("2026-08-01"))
    assert planned(ddb, request_id) == [("due_soon", "2026-07-28", "app")]


def test_replan_never_invents_past_reminders_but_keeps_pending_ones(ddb):
    request_id = add_request(ddb, "GA", [("filed", "2026-09-01")])  # due 2026-09-04
    recompute.request(ddb, request_id, today=D("2026-09-15"))
    assert [k for k, _, _ in planned(ddb, request_id)] == ["follow_up"]  # nothing before today
    other = add_request(ddb, "GA", [("filed", "2026-09-01")])
    recompute.request(ddb, other, today=D("2026-09-01"))
    before = planned(ddb, other)
    recompute.request(ddb, other, today=D("2026-09-15"))  # the dispatcher was down meanwhile
    after = planned(ddb, other)
    assert set(before) <= set(after)  # still pending: the next tick catches up


def test_follow_ups_move_forward_with_the_daily_refresh(ddb):
    request_id = add_request(ddb, "GA", [("filed", "2026-09-01")])  # overdue from 2026-09-05
    recompute.request(ddb, request_id, today=D("2026-09-15"))
    assert [day for k, day, _ in planned(ddb, request_id) if k == "follow_up"] == ["2026-09-19"]
    recompute.everything(ddb, today=D("2026-09-19"))  # the day it is due: still the one planned
    assert [day for k, day, _ in planned(ddb, request_id) if k == "follow_up"] == ["2026-09-19"]
    # The next day the one after is added; the first stays pending until a dispatcher sends it.
    recompute.everything(ddb, today=D("2026-09-20"))
    assert [day for k, day, _ in planned(ddb, request_id) if k == "follow_up"] == ["2026-09-19", "2026-09-26"]
    # No refresh between 09-20 and 10-04: the 10-03 one is not invented after the fact.
    deadlines.save_settings(ddb, {"follow_up_horizon": 3})
    recompute.everything(ddb, today=D("2026-10-04"))
    later = [day for k, day, _ in planned(ddb, request_id) if k == "follow_up"]
    assert later == ["2026-09-19", "2026-09-26", "2026-10-10", "2026-10-17", "2026-10-24"]


def test_kinds_switched_off_and_custom_reminders(ddb):
    request_id = add_request(ddb, "GA", [("filed", "2026-09-14")])
    recompute.request(ddb, request_id, today=D("2026-09-15"))
    reminders.add_custom(ddb, request_id, "2026-09-30", "Call the records clerk", settings=SETTINGS,
                         today=D("2026-09-15"))
    recompute.reminder_kinds(ddb, request_id, ["follow_up", "due_soon"], today=D("2026-09-15"))
    kinds = {k for k, _, _ in planned(ddb, request_id)}
    assert kinds == {"due_today", "overdue", "custom"}
    assert reminders.disabled_kinds(ddb, request_id) == {"follow_up", "due_soon"}
    add_event(ddb, request_id, "records_released", "2026-09-15")
    recompute.request(ddb, request_id, today=D("2026-09-15"))
    assert planned(ddb, request_id) == [("custom", "2026-09-30", "app")]  # the user's own stays
    with pytest.raises(errors.Conflict, match="already a reminder"):
        reminders.add_custom(ddb, request_id, "2026-09-30", settings=SETTINGS, today=D("2026-09-15"))
    with pytest.raises(errors.Invalid, match="in the past") as e:
        reminders.add_custom(ddb, request_id, "2026-09-01", settings=SETTINGS, today=D("2026-09-15"))
    assert e.value.field == "day"
    with pytest.raises(errors.Invalid, match="not a date"):
        reminders.add_custom(ddb, request_id, "2026-02-30", settings=SETTINGS, today=D("2026-09-15"))
    with pytest.raises(errors.Invalid, match="Unknown reminder kind"):
        recompute.reminder_kinds(ddb, request_id, ["sometimes"])
    with pytest.raises(errors.NotFound):
        recompute.reminder_kinds(ddb, 999999, [])
    custom = ddb.execute("SELECT id FROM reminders WHERE kind = 'custom'").fetchone()[0]
    reminders.delete_pending(ddb, custom)
    assert planned(ddb, request_id) == []


def test_recipients(ddb):
    settings = deadlines.Settings(group_email="team@example.org")
    owner = add_user(ddb, "ana@example.org")
    gone = add_user(ddb, "gone@example.org")
    ddb["users"].update(gone, {"disabled_at": STAMP})
    users = reminders.users(ddb)
    assert reminders.recipients(owner, users, settings) == {"app": f"user:{owner}", "email": "ana@example.org"}
    assert reminders.recipients(gone, users, settings) == {"app": "team", "email": "team@example.org"}
    assert reminders.recipients(None, users, deadlines.Settings()) == {"app": "team"}


# --- delivery -----------------------------------------------------------------------------------

def due_request(db, owner_id=None, title="Ring partnership records"):
    """A GA request filed 2026-09-10 whose reminders are planned (first one due 2026-09-11 09:00)."""
    request_id = add_request(db, "GA", [("filed", "2026-09-10")], owner_id=owner_id, title=title)
    recompute.request(db, request_id, today=D("2026-09-10"))
    return request_id


def test_dispatch_over_smtp_and_to_the_inbox(ddb, smtp):
    owner = add_user(ddb, "ana@example.org")
    request_id = due_request(ddb, owner)
    report = reminders.dispatch_due(ddb, T("2026-09-11T09:00:00"), config=mail_config(smtp.port))
    assert (report.claimed, report.sent, report.failed, report.messages, report.notifications) == (2, 2, 0, 1, 1)
    (rcpt, message), = smtp.messages
    assert rcpt == ["ana@example.org"]
    assert message["Subject"] == "Response due Tue 15 Sep 2026: Ring partnership records"
    assert message["From"] == "foia@example.org"
    assert f"#{request_id} Ring partnership records" in message.get_payload()
    assert reminders.unread_count(ddb, owner) == 1
    inbox = reminders.inbox(ddb, owner)
    assert inbox[0]["subject"] == message["Subject"]
    # Nothing more is due until 2026-09-15; running again sends nothing.
    assert reminders.dispatch_due(ddb, T("2026-09-11T10:00:00"), config=mail_config(smtp.port)).claimed == 0
    assert len(smtp.messages) == 1
    assert reminders.mark_read(ddb, owner) == 1 and reminders.unread_count(ddb, owner) == 0


def test_team_notifications_when_there_is_no_owner(ddb):
    admin = add_user(ddb, "admin@example.org", "admin")
    member = add_user(ddb, "member@example.org", "member")
    viewer = add_user(ddb, "viewer@example.org", "viewer")
    due_request(ddb)
    report = reminders.dispatch_due(ddb, T("2026-09-11T09:00:00"), config={})
    assert report.notifications == 2
    assert [reminders.unread_count(ddb, u) for u in (admin, member, viewer)] == [1, 1, 0]


def test_mail_off_skips_email_visibly_and_keeps_the_inbox(ddb):
    owner = add_user(ddb, "ana@example.org")
    due_request(ddb, owner)
    report = reminders.dispatch_due(ddb, T("2026-09-11T09:00:00"), config={"SMTP_HOST": ""})
    assert (report.sent, report.skipped) == (1, 1)
    row = list(ddb.query("SELECT * FROM reminders WHERE channel = 'email' AND kind = 'due_soon'"))[0]
    assert row["outcome"] == "skipped" and "FOIA_SMTP_HOST" in row["last_error"]
    assert reminders.unread_count(ddb, owner) == 1
    assert "app only" in mail.status({})


def test_no_configuration_means_the_defaults_with_mail_off(ddb):
    owner = add_user(ddb, "ana@example.org")
    due_request(ddb, owner)
    report = reminders.dispatch_due(ddb, T("2026-09-11T09:00:00"))
    assert (report.sent, report.skipped) == (1, 1)
    [note] = reminders.inbox(ddb, owner)
    assert note["body"].rstrip().endswith("http://127.0.0.1:5000/requests/1")  # the default BASE_URL


def test_catch_up_after_the_dispatcher_was_stopped(ddb, smtp):
    owner = add_user(ddb, "ana@example.org")
    due_request(ddb, owner)
    config = mail_config(smtp.port)
    assert reminders.dispatch_due(ddb, T("2026-09-10T12:00:00"), config=config).claimed == 0
    # Stopped from 09-10 to 09-17: due_soon (09-11), due_today (09-15), overdue (09-16) fell due.
    report = reminders.dispatch_due(ddb, T("2026-09-17T08:00:00"), config=config)
    assert report.messages == 3
    assert sorted(smtp.subjects()) == sorted([
        "Response due Tue 15 Sep 2026: Ring partnership records", "Response due today: Ring partnership records",
        "Response overdue since Tue 15 Sep 2026: Ring partnership records"])
    assert reminders.dispatch_due(ddb, T("2026-09-17T08:01:00"), config=config).claimed == 0
    assert len(smtp.messages) == 3


def test_catch_up_when_the_daily_refresh_runs_first(ddb, smtp):
    owner = add_user(ddb, "ana@example.org")
    due_request(ddb, owner)
    # The restarted scheduler's first tick recomputes everything for the new day, then dispatches.
    report = scheduler.tick(ddb, T("2026-09-17T08:00:00"), config=mail_config(smtp.port))
    assert report.messages == 3
    assert deadlines.refreshed_on(ddb) == "2026-09-17"


def test_dead_smtp_server_keeps_the_reminder_and_retries(ddb, smtp):
    owner = add_user(ddb, "ana@example.org")
    due_request(ddb, owner)
    dead = mail_config(free_port())  # nothing listens there
    now = T("2026-09-11T09:00:00")
    report = reminders.dispatch_due(ddb, now, config=dead)
    assert (report.failed, report.sent) == (1, 1)  # the e-mail failed; the inbox copy went
    row = list(ddb.query("SELECT * FROM reminders WHERE channel = 'email' AND kind = 'due_soon'"))[0]
    assert row["sent_at"] is None and row["attempts"] == 1 and row["claim_token"] is None
    assert "Cannot connect to the mail server" in row["last_error"]
    assert row["next_attempt_at"] == "2026-09-11T09:01:00"
    # Not yet time to retry.
    assert reminders.dispatch_due(ddb, T("2026-09-11T09:00:30"), config=dead).claimed == 0
    # Still dead a minute later: the wait doubles.
    reminders.dispatch_due(ddb, T("2026-09-11T09:01:00"), config=dead)
    row = ddb["reminders"].get(row["id"])
    assert (row["attempts"], row["next_attempt_at"]) == (2, "2026-09-11T09:03:00")
    assert reminders.listing(ddb, failed_only=True)[0]["id"] == row["id"]
    # The server is back: delivered once.
    report = reminders.dispatch_due(ddb, T("2026-09-11T09:03:00"), config=mail_config(smtp.port))
    assert report.messages == 1 and len(smtp.messages) == 1
    assert ddb["reminders"].get(row["id"])["sent_at"] == "2026-09-11T09:03:00"


def test_refusing_smtp_server(ddb, smtp):
    owner = add_user(ddb, "ana@example.org")
    due_request(ddb, owner)
    smtp.refuse = True
    report = reminders.dispatch_due(ddb, T("2026-09-11T09:00:00"), config=mail_config(smtp.port))
    assert report.failed == 1 and "451" in report.errors[0]
    row = list(ddb.query("SELECT * FROM reminders WHERE channel = 'email' AND kind = 'due_soon'"))[0]
    assert row["sent_at"] is None and "451" in row["last_error"]
    reminders.retry_now(ddb, row["id"], now=T("2026-09-11T09:00:10"))
    smtp.refuse = False
    assert reminders.dispatch_due(ddb, T("2026-09-11T09:00:10"), config=mail_config(smtp.port)).messages == 1
    assert len(smtp.messages) == 1
    with pytest.raises(errors.Conflict):
        reminders.retry_now(ddb, row["id"])  # sent: nothing to retry


def test_a_crashed_dispatchers_claim_expires(ddb, smtp):
    owner = add_user(ddb, "ana@example.org")
    due_request(ddb, owner)
    now = T("2026-09-11T09:00:00")
    token, rows = reminders.claim(ddb, now)  # claimed, then the process died
    assert len(rows) == 2
    assert reminders.dispatch_due(ddb, now + dt.timedelta(minutes=5), config=mail_config(smtp.port)).claimed == 0
    report = reminders.dispatch_due(ddb, now + reminders.LEASE, config=mail_config(smtp.port))
    assert report.claimed == 2 and len(smtp.messages) == 1


def add_email_reminders(db, count):
    """``count`` e-mail reminders of one request, due one minute apart from 2026-09-11 08:00."""
    owner = add_user(db, "ana@example.org")
    request_id = add_request(db, "GA", [("filed", "2026-09-01")], owner_id=owner)
    with db_module.transaction(db):
        db["reminders"].insert_all([
            {"request_id": request_id, "kind": "custom", "due_at": f"2026-09-11T08:{n:02d}:00", "channel": "email",
             "recipient": "ana@example.org", "note": f"R{n}", "created_at": STAMP,
             "next_attempt_at": f"2026-09-11T08:{n:02d}:00"} for n in range(count)])
    return request_id


@pytest.mark.parametrize("limit", [1, 2])
def test_a_send_slower_than_the_lease_lets_no_other_dispatcher_send_twice(app, ddb, smtp, limit):
    """The first message takes longer than the lease. Later claims and each send lease from the
    time of that moment, so another dispatcher ticking meanwhile takes nothing this one holds."""
    add_email_reminders(ddb, 2)
    config = mail_config(smtp.port)
    start = T("2026-09-11T09:00:00")
    clock.set_now(start)
    sent, others = [], []

    class SlowServer:
        """The real SMTP connection; its first message takes longer than the lease."""

        def __init__(self, config):
            self.link = mail.Connection(config)

        def __enter__(self):
            self.link.__enter__()
            return self

        def __exit__(self, *exc):
            return self.link.__exit__(*exc)

        def send(self, to, subject, body):
            sent.append(subject)
            if len(sent) == 2:  # meanwhile, another dispatcher process ticks
                other = db_module.connect(app.config["DATABASE"])
                try:
                    others.append(reminders.dispatch_due(other, clock.now(), config=config))
                finally:
                    other.conn.close()
            self.link.send(to, subject, body)
            if len(sent) == 1:
                clock.set_now(clock.now() + reminders.LEASE + dt.timedelta(minutes=5))

    report = reminders.dispatch_due(ddb, start, sender=SlowServer, config=config, limit=limit)
    assert others and others[0].messages == 0
    assert report.messages == 2 and len(smtp.messages) == 2
    assert sorted(smtp.subjects()) == ["Reminder: R0: Ring partnership records", "Reminder: R1: Ring partnership records"]
    assert ddb.execute("SELECT count(*) FROM reminders WHERE sent_at IS NULL").fetchone()[0] == 0
    # Stamped with the time each delivery ended, not the time the tick began.
    assert [r[0] for r in ddb.execute("SELECT sent_at FROM reminders ORDER BY id")] == ["2026-09-11T09:20:00"] * 2


def test_a_claim_taken_over_by_another_dispatcher_is_not_sent(ddb, smtp):
    owner = add_user(ddb, "ana@example.org")
    due_request(ddb, owner)
    now = T("2026-09-11T09:00:00")
    token, rows = reminders.claim(ddb, now)  # this dispatcher stalls past its lease ...
    later = now + reminders.LEASE
    other_token, taken = reminders.claim(ddb, later)  # ... and another takes the reminders over
    assert {r["id"] for r in taken} == {r["id"] for r in rows}
    report = reminders.Report()
    dispatch._deliver_app(ddb, token, [r for r in rows if r["channel"] == "app"], later, {}, report)
    dispatch._deliver_email(ddb, token, [r for r in rows if r["channel"] == "email"], lambda: later,
                             mail_config(smtp.port), None, deadlines.Settings(), report)
    assert (report.sent, report.taken_over, report.notifications) == (0, 2, 0)
    assert smtp.messages == [] and reminders.unread_count(ddb, owner) == 0
    assert {r[0] for r in ddb.execute("SELECT claim_token FROM reminders WHERE kind = 'due_soon'")} == {other_token}


def test_a_permanently_failing_address_is_marked_failed_and_can_be_retried(web, client, ddb, smtp):
    request_id = due_request(ddb, admin_id(ddb))
    deadlines.save_settings(ddb, {"max_attempts": 3})
    dead = mail_config(free_port())
    when = T("2026-09-11T09:00:00")
    for attempt in (1, 2, 3):
        report = reminders.dispatch_due(ddb, when, config=dead)
        row = list(ddb.query("SELECT * FROM reminders WHERE channel = 'email' AND kind = 'due_soon'"))[0]
        assert row["attempts"] == attempt and row["sent_at"] is None
        when = T(row["next_attempt_at"])
    assert report.given_up == 1 and "marked failed after the last attempt" in report.summary()
    assert row["outcome"] == "failed" and row["claim_token"] is None
    # No more automatic attempts, even once the server works again ...
    later = reminders.dispatch_due(ddb, T("2026-09-16T10:00:00"), config=mail_config(smtp.port))
    assert later.messages == 2  # due today and overdue; not the failed one
    assert "Response due Tue 15 Sep 2026: Ring partnership records" not in smtp.subjects()
    # ... but it is shown, not dropped, and a retry sends it.
    assert reminders.listing(ddb, failed_only=True)[0]["id"] == row["id"]
    page = client.get(f"/requests/{request_id}/dates").get_data(as_text=True)
    assert "not retried after 3 attempts" in page and "Cannot connect to the mail server" in page
    assert "not retried after 3 attempts" in client.get("/reminders?show=failed").get_data(as_text=True)
    assert client.post(f"/requests/{request_id}/reminders/{row['id']}/retry").status_code == 303
    assert reminders.dispatch_due(ddb, clock.now(), config=mail_config(smtp.port)).messages == 1
    assert "Response due Tue 15 Sep 2026: Ring partnership records" in smtp.subjects()
    assert ddb["reminders"].get(row["id"])["outcome"] == "sent"


def test_tick_delivers_even_when_the_daily_recompute_fails(ddb, smtp, caplog):
    owner = add_user(ddb, "ana@example.org")
    due_request(ddb, owner)
    broken = add_request(ddb, "CA", [("filed", "2026-09-10")])
    ddb.execute("UPDATE agencies SET closed_days = '[\"someday\"]' WHERE id = "
                "(SELECT agency_id FROM requests WHERE id = ?)", [broken])
    config = mail_config(smtp.port)
    # One request whose dates cannot be computed: skipped and logged; the others are recomputed.
    report = scheduler.tick(ddb, T("2026-09-11T09:00:00"), config=config)
    assert report.messages == 1 and deadlines.refreshed_on(ddb) == "2026-09-11"
    assert f"request {broken} skipped" in caplog.text
    # The whole recompute fails (here the database refuses its last write): delivery goes on.
    for event in ("INSERT", "UPDATE"):
        ddb.execute(f"CREATE TEMP TRIGGER refuse_{event.lower()} BEFORE {event} ON main.settings "
                    "WHEN new.key = 'deadlines.refreshed_on' BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    report = scheduler.tick(ddb, T("2026-09-15T09:00:00"), config=config)
    assert report.messages == 1 and smtp.subjects()[-1] == "Response due today: Ring partnership records"
    assert "daily recompute of deadlines failed" in caplog.text and "disk full" in caplog.text
    assert deadlines.refreshed_on(ddb) == "2026-09-11"  # tried again at the next tick


def test_digest_sends_one_message_per_recipient(ddb, smtp):
    owner = add_user(ddb, "ana@example.org")
    for n in range(3):
        due_request(ddb, owner, title=f"Request {n}")
    deadlines.save_settings(ddb, {"digest": True})
    report = reminders.dispatch_due(ddb, T("2026-09-11T09:00:00"), config=mail_config(smtp.port))
    assert (report.sent, report.messages) == (6, 1)
    (rcpt, message), = smtp.messages
    assert message["Subject"] == "3 reminders for 2026-09-11"
    body = message.get_payload()
    assert all(f"Request {n}" in body for n in range(3))


def test_backoff():
    assert [reminders.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert reminders.backoff(30) == reminders.MAX_BACKOFF


def test_claim_uses_the_pending_index(ddb):
    plan = " ".join(r[3] for r in ddb.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM reminders WHERE sent_at IS NULL AND next_attempt_at <= ? "
        "ORDER BY next_attempt_at, id LIMIT 100", ["2026-09-11T09:00:00"]).fetchall())
    assert "reminders_pending" in plan


# --- exactly once under concurrency -------------------------------------------------------------

def make_custom_reminders(db, count, owner_email="ana@example.org"):
    owner = add_user(db, owner_email)
    requests = [add_request(db, "GA", [("filed", "2026-09-01")], owner_id=owner, title=f"Request {n}")
                for n in range(count // 10)]
    rows = []
    for n in range(count):
        request_id = requests[n % len(requests)]
        due_at = f"2026-09-11T08:{n // len(requests):02d}:00"
        rows.append({"request_id": request_id, "kind": "custom", "due_at": due_at, "channel": "email",
                     "recipient": owner_email, "note": f"R{n:04d}", "created_at": STAMP, "next_attempt_at": due_at})
    with db_module.transaction(db):
        db["reminders"].insert_all(rows)
    return owner


def test_two_dispatchers_race_over_1000_reminders(app, ddb, smtp):
    make_custom_reminders(ddb, 1000)
    config = mail_config(smtp.port)
    now = T("2026-09-11T09:00:00")
    reports, errors = [], []
    start = threading.Barrier(2)

    def run():
        database = db_module.connect(app.config["DATABASE"])  # a connection of its own
        try:
            start.wait()
            reports.append(reminders.dispatch_due(database, now, config=config, limit=25))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            database.conn.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    received = collections.Counter(m["Subject"].split(": ", 1)[1] for _, m in smtp.messages)
    duplicates = sum(n - 1 for n in received.values() if n > 1)
    sent = sum(r.messages for r in reports)
    print(f"exactly-once: sent={sent} received={len(smtp.messages)} distinct={len(received)} duplicates={duplicates}"
          f" per-dispatcher={[r.messages for r in reports]}")
    assert sent == 1000 and len(smtp.messages) == 1000 and len(received) == 1000 and duplicates == 0
    assert all(r.messages > 0 for r in reports)  # both took part
    assert ddb.execute("SELECT count(*) FROM reminders WHERE sent_at IS NULL").fetchone()[0] == 0


def test_notifications_are_created_once_even_if_marked_twice(ddb):
    owner = add_user(ddb, "ana@example.org")
    due_request(ddb, owner)
    now = T("2026-09-11T09:00:00")
    token, rows = reminders.claim(ddb, now)
    app_rows = [r for r in rows if r["channel"] == "app"]
    report = reminders.Report()
    dispatch._deliver_app(ddb, token, app_rows, now, {}, report)
    dispatch._deliver_app(ddb, token, app_rows, now, {}, report)  # a replay cannot duplicate
    assert reminders.unread_count(ddb, owner) == 1


# --- the web side: inbox and the request's reminders section ------------------------------------

@pytest.fixture
def web(app, ddb):
    """The app with this feature's blueprint (and sign-in, so the inbox has a user)."""
    from foia import accounts
    from foia.web import auth
    from foia.web import deadlines as deadlines_web

    if "auth" not in app.blueprints:
        accounts.migrations.apply(ddb)
        auth.init_app(app)
        app.register_blueprint(auth.bp)
    if "deadlines" not in app.blueprints:
        app.register_blueprint(deadlines_web.bp)
        app.jinja_env.globals.update(deadlines_web.context())
    return app


def admin_id(db):
    return db.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id").fetchone()[0]


def test_inbox_pages(web, client, ddb):
    owner = admin_id(ddb)
    request_id = due_request(ddb, owner)
    reminders.dispatch_due(ddb, T("2026-09-15T09:00:00"), config={})
    assert reminders.unread_count(ddb, owner) == 2
    page = client.get("/notifications").get_data(as_text=True)
    assert "Response due Tue 15 Sep 2026: Ring partnership records" in page
    assert "Response due today: Ring partnership records" in page
    assert f"/requests/{request_id}" in page
    with web.test_request_context():
        from flask_login import login_user

        from foia.web import auth
        from foia.web import deadlines as deadlines_web

        login_user(auth.User(dict(ddb["users"].get(owner), session_key="")))
        assert deadlines_web.unread_count() == 2
    first = reminders.inbox(ddb, owner)[0]["id"]
    assert client.post(f"/notifications/{first}/read").status_code == 303
    assert reminders.unread_count(ddb, owner) == 1
    assert "Open request" in client.get("/notifications?unread=1").get_data(as_text=True)
    assert client.post("/notifications/read-all").status_code == 303
    assert reminders.unread_count(ddb, owner) == 0
    assert "No unread notifications" in client.get("/notifications?unread=1").get_data(as_text=True)


def test_request_dates_page_and_reminder_forms(web, client, ddb):
    request_id = due_request(ddb, admin_id(ddb))
    page = client.get(f"/requests/{request_id}/dates").get_data(as_text=True)
    assert "Legal due date" in page and "2026-09-15" in page
    assert "How these dates were counted" in page and "Skipped Sat 12 Sep 2026." in page
    assert "Response due soon" in page
    assert client.get("/requests/9999/dates").status_code == 404

    response = client.post(f"/requests/{request_id}/reminders/kinds",
                           data={"on_due_today": "1", "on_overdue": "1", "next": f"/requests/{request_id}/dates"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/requests/{request_id}/dates")
    assert reminders.disabled_kinds(ddb, request_id) == {"acknowledgement_due", "due_soon", "follow_up",
                                                         "appeal_window"}
    assert {k for k, _, _ in planned(ddb, request_id, pending_only=True)} == {"due_today", "overdue"}

    assert client.post(f"/requests/{request_id}/reminders/custom",
                       data={"on": "2026-09-20", "note": "Call the clerk"}).status_code == 303
    assert ("custom", "2026-09-20", "app") in planned(ddb, request_id)
    client.post(f"/requests/{request_id}/reminders/custom", data={"on": "2026-13-01"})
    assert sum(1 for k, _, _ in planned(ddb, request_id) if k == "custom") == 2  # email + app, nothing more
    page = client.get(f"/requests/{request_id}/dates").get_data(as_text=True)
    assert "Call the clerk" in page

    # A failed delivery is shown with its error and can be retried.
    reminders.dispatch_due(ddb, T("2026-09-15T09:00:00"), config=mail_config(free_port()))
    page = client.get(f"/requests/{request_id}/dates").get_data(as_text=True)
    assert "Cannot connect to the mail server" in page and "retry now" in page
    failed = reminders.listing(ddb, failed_only=True)[0]
    assert "Cannot connect" in client.get("/reminders?show=failed").get_data(as_text=True)
    assert client.post(f"/requests/{request_id}/reminders/{failed['id']}/retry").status_code == 303
    assert ddb["reminders"].get(failed["id"])["next_attempt_at"] == "2026-09-15T10:00:00"

    custom = ddb.execute("SELECT id FROM reminders WHERE kind = 'custom' AND channel = 'app'").fetchone()[0]
    assert client.post(f"/requests/{request_id}/reminders/{custom}/delete").status_code == 303
    assert ("custom", "2026-09-20", "app") not in planned(ddb, request_id)


@pytest.mark.parametrize("target", ["/\t/evil.example", "//evil.example", "https://evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_forms_never_redirect_off_the_site(web, client, ddb, target):
    request_id = due_request(ddb, admin_id(ddb))
    response = client.post(f"/requests/{request_id}/reminders/kinds", data={"on_due_today": "1", "next": target})
    assert response.status_code == 303
    assert "evil" not in response.headers["Location"] and "javascript" not in response.headers["Location"]
    assert response.headers["Location"].endswith(f"/requests/{request_id}#reminders")
    inbox = client.post("/notifications/read-all", data={"next": target})
    assert inbox.status_code == 303 and inbox.headers["Location"].endswith("/notifications")
    kept = client.post(f"/requests/{request_id}/reminders/kinds", data={"next": f"/requests/{request_id}/dates"})
    assert kept.headers["Location"].endswith(f"/requests/{request_id}/dates")


def test_reminder_actions_check_the_request_in_the_url(web, client, ddb):
    mine = due_request(ddb, admin_id(ddb))
    other = due_request(ddb, admin_id(ddb), title="Someone else's")
    reminders.dispatch_due(ddb, T("2026-09-11T09:00:00"), config=mail_config(free_port()))
    failed = list(ddb.query("SELECT * FROM reminders WHERE request_id = ? AND last_error IS NOT NULL", [other]))[0]
    assert client.post(f"/requests/{mine}/reminders/{failed['id']}/retry").status_code == 404
    assert ddb["reminders"].get(failed["id"])["next_attempt_at"] == failed["next_attempt_at"]
    reminders.add_custom(ddb, other, "2026-09-30", "theirs", settings=SETTINGS, today=D("2026-09-15"))
    custom = ddb.execute("SELECT id FROM reminders WHERE request_id = ? AND kind = 'custom'", [other]).fetchone()[0]
    assert client.post(f"/requests/{mine}/reminders/{custom}/delete").status_code == 404
    assert ddb["reminders"].get(custom)["note"] == "theirs"
    assert client.post(f"/requests/{mine}/reminders/999999/retry").status_code == 404
    assert client.post(f"/requests/{other}/reminders/{custom}/delete").status_code == 303
    assert ddb.execute("SELECT count(*) FROM reminders WHERE id = ?", [custom]).fetchone()[0] == 0


def test_dashboard_partial(web, ddb):
    from flask import render_template

    from foia.web import deadlines as deadlines_web

    overdue = add_request(ddb, "GA", [("filed", "2026-09-01")], title="Late one")
    add_request(ddb, "MD", [("filed", "2026-09-10")], title="Awaiting ack")
    recompute.everything(ddb, today=D("2026-09-15"))
    with web.test_request_context("/"):
        html = render_template("deadlines/_dashboard.html", **deadlines_web.dashboard_context(ddb))
    assert "Late one" in html and "11 days" in html and f"/requests/{overdue}" in html
    assert "Awaiting ack" in html
