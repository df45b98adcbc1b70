"""The instance object: settings merged in order, kept per instance (two in one process do not mix),
and the CLI's one error wrapper."""
import datetime as dt

import pytest

from foia import errors
from foia.cli import main
from foia.instance import Instance
from foia.web.app import create_app
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, _ensure_admin


def test_settings_merge_defaults_file_environment_overrides(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "config.py").write_text("PAGE_SIZE = 25\nREMINDER_HOUR = 7\nMAIL_FROM = 'file@example.org'\n")
    environ = {"FOIA_REMINDER_HOUR": "8", "FOIA_REMINDER_DIGEST": "yes", "FOIA_MAIL_FROM": "env@example.org"}
    instance = Instance(folder, {"MAIL_FROM": "override@example.org"}, environ=environ)
    assert instance.config["PAGE_SIZE"] == 25  # the file over the default
    assert instance.config["REMINDER_HOUR"] == 8  # the environment over the file, read as a number
    assert instance.config["REMINDER_DIGEST"] is True
    assert instance.config["MAIL_FROM"] == "override@example.org"
    assert instance.config["FOLLOW_UP_BUSINESS_DAYS"] == 10  # the default
    assert instance.db_path == folder.resolve() / "foia.db"
    assert instance.store.root == folder.resolve() / "files"
    assert instance.letter_templates.name == "letters" and (instance.letter_templates / "README.md").exists()


def test_environment_names_the_folder_and_bad_values_say_which(tmp_path):
    assert Instance(environ={"FOIA_INSTANCE": str(tmp_path / "env")}).path == (tmp_path / "env").resolve()
    with pytest.raises(errors.Invalid, match="FOIA_PAGE_SIZE must be a number, not 'many'") as info:
        Instance(tmp_path / "x", environ={"FOIA_PAGE_SIZE": "many"})
    assert info.value.field == "FOIA_PAGE_SIZE"
    with pytest.raises(errors.Invalid, match="Unknown time zone 'Mars/Olympus'"):
        Instance(tmp_path / "x", {"TIMEZONE": "Mars/Olympus"})


def test_the_clock_is_the_instances_zone(tmp_path):
    from foia import clock

    clock.set_now(None)
    try:
        tokyo = Instance(tmp_path / "t", {"TIMEZONE": "Asia/Tokyo"})
        samoa = Instance(tmp_path / "s", {"TIMEZONE": "Pacific/Pago_Pago"})
        difference = tokyo.now() - samoa.now()  # UTC+9 and UTC-11
        assert dt.timedelta(hours=19, minutes=59) < difference < dt.timedelta(hours=20, minutes=1)
    finally:
        clock.set_now("2026-09-15T10:00:00")


def make_app(tmp_path, name, follow_up_days):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "config.py").write_text(f"FOLLOW_UP_BUSINESS_DAYS = {follow_up_days}\n")
    app = create_app({"INSTANCE_PATH": str(folder), "TESTING": True, "WTF_CSRF_ENABLED": False})
    database = app.extensions["foia"].prepare()
    _ensure_admin(database)
    database["agencies"].insert({"name": "Columbus Division of Police", "state": "OH", "city": "Columbus",
                                 "created_at": "2026-01-01T00:00:00", "updated_at": "2026-01-01T00:00:00"})
    database.conn.close()
    client = app.test_client()
    assert client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).status_code == 303
    return app, client


def follow_up_on(app, client, title) -> tuple[str, str]:
    response = client.post("/requests/new", data={"agency_id": "1", "title": title, "filed_on": "2026-09-01",
                                                  "method": "email"})
    assert response.status_code == 303, response.text
    page = client.get(response.headers["Location"]).text
    database = app.extensions["foia"].connect()
    try:
        return database.execute("SELECT follow_up FROM request_dates").fetchone()[0], page
    finally:
        database.conn.close()


def test_two_instances_in_one_process_keep_their_own_settings(tmp_path):
    """Ohio has no fixed period: the follow-up date comes from each instance's own setting, whichever
    app was built last."""
    five, five_client = make_app(tmp_path, "five", 5)
    twenty, twenty_client = make_app(tmp_path, "twenty", 20)
    # Filed Tuesday 1 September 2026; Monday 7 September is Labor Day.
    assert follow_up_on(five, five_client, "Five days")[0] == "2026-09-09"
    assert follow_up_on(twenty, twenty_client, "Twenty days")[0] == "2026-09-30"
    assert five.extensions["foia"].config["FOLLOW_UP_BUSINESS_DAYS"] == 5
    assert twenty.extensions["foia"].config["FOLLOW_UP_BUSINESS_DAYS"] == 20


def test_cli_errors_are_one_line_with_a_non_zero_exit(runner, tmp_path):
    runner("init", "--demo")
    result = runner.runner.invoke(main, ["letter", "1", "--format", "pdf", "--out", str(tmp_path / "no/such/dir/l.pdf")])
    assert result.exit_code == 1, result.output
    error = result.output.strip().splitlines()[-1]
    assert error.startswith("Error: Could not use ") and "Traceback" not in result.output
    assert error.endswith("no/such/dir/l.pdf: no such file or folder.")
    result = runner.runner.invoke(main, ["requests", "show", "424242"])
    assert result.exit_code == 2 and result.output.strip().count("\n") == 0
    result = runner.runner.invoke(main, ["requests", "event", "1", "note", "--data", "[" * 100_000])
    assert result.exit_code == 1 and "--data must be a JSON object" in result.output
