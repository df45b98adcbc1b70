import json
import os
import subprocess
import sys

import click

from foia.cli import main


def test_every_command_has_help():
    def walk(command, path):
        assert command.help or command.short_help, f"{path} has no help text"
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")
            for param in sub.params:
                if isinstance(param, click.Option):
                    assert param.help, f"{path} {name} {param.opts} has no help"
    walk(main, "foia")


def test_init_demo_twice_same_counts(runner, instance):
    from tests.conftest import rows

    assert runner("init", "--demo").exit_code == 0
    db_path = str(instance / "foia.db")
    counts = [rows(db_path, f"SELECT count(*) FROM {t}")[0][0] for t in ("agencies", "requests", "events", "laws")]
    result = runner("init", "--demo")
    assert result.exit_code == 0 and "demo requests added: 0" in result.output
    assert [rows(db_path, f"SELECT count(*) FROM {t}")[0][0] for t in ("agencies", "requests", "events", "laws")] == counts
    assert counts[:2] == [10, 15]


def test_requests_list_json_in_a_fresh_process(tmp_path):
    """The acceptance check, as a user types it."""
    env = dict(os.environ, FOIA_INSTANCE=str(tmp_path / "x"))
    foia = [sys.executable, "-m", "foia.cli"]
    subprocess.run(foia + ["init", "--demo"], env=env, check=True, capture_output=True)
    out = subprocess.run(foia + ["requests", "list", "--json"], env=env, check=True, capture_output=True, text=True)
    data = json.loads(out.stdout)
    assert isinstance(data, list) and len(data) == 15
    assert {"id", "title", "status", "agency_name"} <= set(data[0])


def test_add_and_event_and_exit_codes(runner):
    runner("init", "--demo")
    result = runner("requests", "add", "--agency", 1, "--title", "CLI request", "--filed-on", "2026-09-01")
    assert result.exit_code == 0
    request_id = int(result.output.strip())
    result = runner("requests", "event", request_id, "acknowledged", "--on", "2026-09-02", "--note", "ok")
    assert result.exit_code == 0 and "status acknowledged" in result.output
    result = runner("requests", "event", request_id, "filed")
    assert result.exit_code == 1 and "filed twice" in result.output
    result = runner("requests", "event", request_id, "acknowledged", "--on", "2026-09-02")
    assert result.exit_code == 1 and "Add --again to record a second one" in result.output
    result = runner("requests", "event", request_id, "acknowledged", "--on", "2026-09-02", "--again")
    assert result.exit_code == 0
    result = runner("requests", "event", 9999, "note")
    assert result.exit_code == 2 and "No request with id 9999" in result.output
    result = runner("requests", "event", request_id, "note", "--on", "2026-02-30")
    assert result.exit_code == 1 and "not a date" in result.output
    result = runner("requests", "add", "--agency", 9999, "--title", "x")
    assert result.exit_code == 1 and "no agency with id 9999" in result.output
    result = runner("requests", "list", "--status", "bogus")
    assert result.exit_code == 1
    result = runner("requests", "list", "--state", "ca")
    assert result.exit_code == 0 and "CLI request" in result.output or "Los Angeles" in result.output


def test_agencies_import_report(runner, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Agency,State,City\nOne PD,CA,One\nTwo PD,ZZ,Two\n")
    runner("init")
    result = runner("agencies", "import", path)
    assert result.exit_code == 0
    assert "1 imported" in result.output and "rejected line 3 (Two PD)" in result.output
    assert runner("agencies", "import", tmp_path / "missing.csv").exit_code == 2


def test_laws_check(runner, tmp_path):
    assert "52 rows OK" in runner("laws", "check").output
    bad = tmp_path / "laws.csv"
    bad.write_text("jurisdiction\nCA\n")
    result = runner("laws", "check", bad)
    assert result.exit_code == 1 and "missing column" in result.output
