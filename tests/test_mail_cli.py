"""The mail commands, through click's runner, on a real instance folder."""
import json
import mailbox
from pathlib import Path

import pytest
from mail_fixtures import tiny_pdf
from mail_helpers import message, setup

import foia.cli.mail  # noqa: F401 (registers the commands; listed in COMMAND_MODULES once wired in)
from foia import db as db_module
from foia.correspondence import store, tokens

CORPUS = Path(__file__).parent / "mail_corpus"


def test_classify_prints_the_reading_and_stores_nothing(runner, instance):
    result = runner("mail", "classify", CORPUS / "09-fee-estimate.eml", "--json")
    assert result.exit_code == 0, result.output
    reading = json.loads(result.output)
    assert {"kind", "date", "estimated_date", "fee", "reference", "evidence"} <= set(reading)
    assert (reading["kind"], reading["fee"], reading["estimated_date"]) == ("fee_estimate", "125.50", "2026-10-06")
    assert any(e["field"] == "fee" and "$125.50" in e["phrase"] for e in reading["evidence"])
    assert not (instance / "foia.db").exists()
    plain = runner("mail", "classify", CORPUS / "20-bounce-dsn.eml")
    assert "Not delivered" in plain.output and "records@closed-pd.example" in plain.output


@pytest.fixture
def filed(app, db):
    files, agency_id, request_id, token = setup(app, db)
    return request_id, token


def test_import_a_maildir_twice_files_each_message_once(runner, filed, tmp_path, app):
    request_id, token = filed
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add(message(to=tokens.reply_address("records@group.example", token), msgid="<m1@pd.example>",
                    body="We received your request and will respond within 10 business days.",
                    attachments=[("receipt.pdf", tiny_pdf("Receipt of request"), "application/pdf")]))
    box.add(message(frm="stranger@example.net", subject="Hi", body="Hello", msgid="<m2@example.net>"))
    box.add((CORPUS / "21-bounce-exchange.eml").read_bytes())
    result = runner("mail", "import", tmp_path / "Maildir")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "3 messages read, 1 filed on requests, 1 for review, 1 bounce."
    again = runner("mail", "import", tmp_path / "Maildir", "--json")
    assert json.loads(again.output)["duplicates"] == 3

    inbox = runner("mail", "inbox")
    assert "stranger@example.net" in inbox.output
    database = db_module.connect(app.config["DATABASE"])
    (review,) = store.review_queue(database)
    (matched,) = [m for m in store.for_request(database, request_id) if m["state"] == "matched"]
    assert runner("mail", "assign", review["id"], request_id).exit_code == 0
    confirmed = runner("mail", "confirm", matched["id"])
    assert confirmed.exit_code == 0 and "Recorded event" in confirmed.output
    twice = runner.runner.invoke(foia.cli.main, ["mail", "confirm", str(matched["id"])])
    assert twice.exit_code == 1 and "already been recorded" in twice.output
    shown = runner("mail", "show", matched["id"])
    assert "receipt.pdf: document" in shown.output
    assert "records@oldtown-pd.example" in runner("mail", "addresses").output
    database.conn.close()


def test_import_one_file_and_unknown_message(runner, filed, tmp_path):
    eml = tmp_path / "reply.eml"
    eml.write_bytes(message(body="Hello", msgid="<one@x>"))
    assert "1 message read" in runner("mail", "import", eml).output
    missing = runner.runner.invoke(foia.cli.main, ["mail", "show", "999"])
    assert missing.exit_code == 2 and "no message 999" in missing.output


def test_poll_without_a_mailbox_says_so(runner, instance):
    result = runner.runner.invoke(foia.cli.main, ["mail", "poll"])
    assert result.exit_code == 1 and "No mailbox is set up" in result.output


def test_every_mail_command_and_option_has_help(runner):
    import click

    group = foia.cli.main.commands["mail"]
    for name, command in group.commands.items():
        assert command.help, name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"foia mail {name} {param.opts} has no help"
