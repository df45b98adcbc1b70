"""The one recompute path: each kind of change (a timeline event, a law row, a setting, an agency's
closed days, the day) reaches the stored status, dates and reminders; and the modules along the
path import one way, without a cycle."""
import ast
import csv
import datetime as dt
import json
import pathlib

import pytest

from foia import agencies, deadlines, errors, jobs, laws, recompute, reminders, requests

D = dt.date.fromisoformat
TODAY = D("2026-09-15")
FOIA = pathlib.Path(__file__).resolve().parent.parent / "foia"


@pytest.fixture
def config(app):
    return dict(app.config)


def agency(db, state, name=None):
    return db["agencies"].insert({"name": name or f"{state} Police Department", "state": state,
                                  "created_at": "2026-01-01T00:00:00", "updated_at": "2026-01-01T00:00:00"}).last_pk


def stored(db, request_id):
    row = db["requests"].get(request_id)
    dates = db["request_dates"].get(request_id)
    pending = [(r[0], r[1][:10]) for r in db.execute(
        "SELECT kind, due_at FROM reminders WHERE request_id = ? AND sent_at IS NULL AND channel = 'app' "
        "ORDER BY due_at, kind", [request_id])]
    return row["status"], row["due_on"], dates["clock"], pending


def test_an_event_added_or_removed_reaches_status_dates_and_reminders(db, config):
    request_id = requests.create_request(db, agency_id=agency(db, "GA"), title="Ring MOU", filed_on="2026-09-14",
                                         config=config)
    status, due_on, clock_state, pending = stored(db, request_id)
    assert (status, clock_state) == ("filed", "running") and due_on
    assert ("overdue", (D(due_on) + dt.timedelta(days=1)).isoformat()) in pending
    event_id = requests.add_event(db, request_id, "records_released", "2026-09-15", config=config)
    status, _, clock_state, pending = stored(db, request_id)
    assert (status, clock_state, pending) == ("released", "stopped", [])
    requests.delete_event(db, event_id, config=config)
    status, due_on_again, clock_state, pending = stored(db, request_id)
    assert (status, due_on_again, clock_state) == ("filed", due_on, "running") and pending


def test_agency_closed_days_move_the_dates_and_the_reminders(db, config):
    agency_id = agency(db, "GA")
    request_id = requests.create_request(db, agency_id=agency_id, title="t", filed_on="2026-09-14", config=config)
    _, due_on, _, before = stored(db, request_id)
    day = D(due_on)
    agencies.update(db, agency_id, {"closed_days": [(day - dt.timedelta(days=1)).isoformat(), due_on]}, config=config)
    _, moved, _, after = stored(db, request_id)
    assert moved > due_on
    assert ("due_today", moved) in after and ("due_today", due_on) not in after


def _law_table_with(tmp_path, jurisdiction, **changes) -> pathlib.Path:
    with open(laws.LAWS_CSV, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows, fields = list(reader), reader.fieldnames
    for row in rows:
        if row["jurisdiction"] == jurisdiction:
            row.update(changes)
    path = tmp_path / "laws-v2.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_law_change_reaches_dates_and_reminders_through_the_job(db, config, tmp_path):
    request_id = requests.create_request(db, agency_id=agency(db, "GA"), title="t", filed_on="2026-09-14",
                                         config=config)
    _, due_on, _, _ = stored(db, request_id)
    laws.load_into(db, _law_table_with(tmp_path, "GA", response_days="10"))
    assert stored(db, request_id)[1] == due_on  # nothing moves until the recompute runs
    job_id = recompute.enqueue_all(db, reason="law table changed")
    assert recompute.enqueue_all(db) == job_id  # one live bulk recompute at a time
    [outcome] = jobs.run_once(config, db=db, kinds=[recompute.JOB_KIND])
    assert outcome.state == "done"
    _, moved, _, pending = stored(db, request_id)
    assert moved > due_on and ("due_today", moved) in pending
    job = jobs.get(db, job_id)
    assert job["result"] == {"requests": 1, "errors": 0}
    assert job["progress_done"] == job["progress_total"] == 1


def test_a_settings_change_is_recomputed_by_the_job_the_page_queues(db, config):
    request_id = requests.create_request(db, agency_id=agency(db, "CA"), title="t", filed_on="2026-09-14",
                                         config=config)
    before = dict((kind, day) for kind, day in stored(db, request_id)[3])
    settings, job_id = recompute.settings_saved(db, {"due_soon_business_days": "5"}, config=config)
    assert settings.due_soon_business_days == 5
    assert dict(stored(db, request_id)[3])["due_soon"] == before["due_soon"]  # the page only queued it
    jobs.run_once(config, db=db, kinds=[recompute.JOB_KIND])
    assert jobs.get(db, job_id)["state"] == "done"
    assert dict(stored(db, request_id)[3])["due_soon"] < before["due_soon"]
    with pytest.raises(errors.Invalid) as e:
        recompute.settings_saved(db, {"due_soon_business_days": "99", "group_email": "nobody"}, config=config)
    assert set(e.value.errors) == {"due_soon_business_days", "group_email"}


def test_the_daily_sweep_runs_once_a_day_and_moves_follow_ups(db, config):
    request_id = requests.create_request(db, agency_id=agency(db, "GA"), title="t", filed_on="2026-08-03",
                                         config=config)
    follow_ups = lambda: [day for kind, day in stored(db, request_id)[3] if kind == "follow_up"]  # noqa: E731
    first = follow_ups()
    assert recompute.daily(db, config, D("2026-10-20")) == 1
    assert recompute.daily(db, config, D("2026-10-20")) is None  # done for today
    assert deadlines.refreshed_on(db) == "2026-10-20"
    assert follow_ups() and follow_ups()[-1] > first[-1]


def test_one_request_or_a_set(db, config):
    a = requests.create_request(db, agency_id=agency(db, "GA"), title="a", filed_on="2026-09-14", config=config)
    b = requests.create_request(db, agency_id=agency(db, "CA"), title="b", filed_on="2026-09-14", config=config)
    db.execute("UPDATE requests SET status = 'draft', due_on = NULL WHERE id IN (?, ?)", [a, b])
    assert recompute.many(db, [a, b], config=config, today=TODAY) == 2
    assert [db["requests"].get(i)["status"] for i in (a, b)] == ["filed", "filed"]
    with pytest.raises(errors.NotFound):
        recompute.request(db, 999, config=config)


def test_reminder_kinds_switched_off_are_replanned(db, config):
    request_id = requests.create_request(db, agency_id=agency(db, "GA"), title="t", filed_on="2026-09-14",
                                         config=config)
    recompute.reminder_kinds(db, request_id, ["overdue", "follow_up"], config=config)
    assert {kind for kind, _ in stored(db, request_id)[3]} & {"overdue", "follow_up"} == set()
    assert reminders.disabled_kinds(db, request_id) == {"overdue", "follow_up"}


# --- imports point one way --------------------------------------------------------------------

OURS = ("foia.events", "foia.lifecycle", "foia.deadlines", "foia.reminders", "foia.recompute", "foia.requests",
        "foia.agencies", "foia.ics", "foia.mail", "foia.web.requests", "foia.web.deadlines", "foia.web.agencies",
        "foia.web.api")


def _import_graph() -> dict[str, set[str]]:
    """module -> the foia modules it imports at module level or anywhere in it (as the hook checks)."""
    modules = {}
    for path in FOIA.rglob("*.py"):
        name = ".".join(path.relative_to(FOIA.parent).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def _reaches(graph, start, goal) -> bool:
    todo, seen = [start], set()
    while todo:
        here = todo.pop()
        if here == goal:
            return True
        if here not in seen:
            seen.add(here)
            todo.extend(graph[here])
    return False


def test_no_import_cycle_through_the_timeline_modules():
    graph = _import_graph()
    mine = [m for m in graph if m.startswith(OURS)]
    cycles = [f"{m} -> {n}" for m in mine for n in graph[m] if _reaches(graph, n, m)]
    assert cycles == []


def test_the_path_points_one_way():
    graph = _import_graph()
    order = ["foia.events", "foia.lifecycle", "foia.deadlines.engine", "foia.reminders.plan",
             "foia.reminders.store", "foia.recompute", "foia.requests"]
    for lower, higher in zip(order, order[1:]):
        assert _reaches(graph, higher, lower) and not _reaches(graph, lower, higher), (lower, higher)
    for pure in ("foia.events", "foia.lifecycle", "foia.reminders.plan"):  # no database of their own
        assert "foia.db" not in graph[pure] and "sqlite_utils" not in (FOIA / pure[5:].replace(".", "/")).with_suffix(
            ".py").read_text(), pure


def test_domain_modules_import_without_flask():
    import subprocess
    import sys

    code = ("import sys, foia.lifecycle, foia.events, foia.recompute, foia.requests, foia.reminders; "
            "assert 'flask' not in sys.modules, 'flask imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=FOIA.parent)


def test_message_texts_are_templates(db):
    row = {"kind": "overdue", "request_id": 7, "title": "Ring MOU", "agency_name": "Aurora PD", "agency_state": "IL",
           "tracking_number": "R-1", "note": "", "due_at": "2026-09-16T09:00:00", "about": "2026-09-15",
           "target_kind": "legal"}
    subject, body = reminders.compose(row, {"BASE_URL": "https://foia.example.org/"})
    assert subject == "Response overdue since Tue 15 Sep 2026: Ring MOU"
    assert body == ("Request #7 Ring MOU (Aurora PD, IL)\nAgency tracking number: R-1\n\n"
                    "The legal due date, Tue 15 Sep 2026, has passed without a recorded response.\n\n"
                    "https://foia.example.org/requests/7\n")
    title, text = reminders.notification(dict(row, kind="custom", note="Call them"), {})
    assert title == "Reminder: Call them: Ring MOU" and text.endswith("Call them\n")
    subject, body = reminders.digest([row, dict(row, kind="due_today", about="2026-09-16")], D("2026-09-16"), {})
    assert subject == "2 reminders for 2026-09-16"
    assert body.startswith("* Response overdue since Tue 15 Sep 2026: Ring MOU\n") and "\n\n* Response due today" in body
    assert json.dumps(body)  # plain text
