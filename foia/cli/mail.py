"""Mail commands: mail import (a Maildir folder or .eml files), poll (IMAP), classify, inbox, show,
assign, discard, confirm, reject, addresses, send, campaign."""
import json
from pathlib import Path

import click

from ..correspondence import ingest, receive, send, store
from ..formats import plural
from . import current_instance, echo_json, main, open_db


def _open():
    instance = current_instance()
    db = open_db()
    store.ensure_schema(db)
    return instance, db


@main.group("mail")
def mail_group():
    """Requests by e-mail: file the agencies' replies, review what could not be matched."""


@mail_group.command("import")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def import_(sources, as_json):
    """File messages from SOURCES: Maildir folders or single .eml files.

    Each message is stored once (a message already received is recognised), matched to its request
    or put in the review queue, and its attachments become documents of the request."""
    instance, db = _open()
    total = receive.Report()
    for source in sources:
        path = Path(source)
        if path.is_dir():
            report = receive.import_maildir(db, instance.store, path, config=instance.config)
        else:
            report = receive.import_file(db, instance.store, path, config=instance.config)
        for field in ("seen", "filed", "review", "duplicates", "bounces", "auto_replies"):
            setattr(total, field, getattr(total, field) + getattr(report, field))
        total.failed += report.failed
    if as_json:
        echo_json(total.as_dict())
        return
    click.echo(total.summary())
    for what, why in total.failed:
        click.echo(f"could not read {what}: {why}", err=True)


@mail_group.command("poll")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def poll(as_json):
    """Fetch new replies from the IMAP mailbox (FOIA_IMAP_HOST, _PORT, _USER, _PASSWORD, _FOLDER).

    The mailbox is never changed; messages already fetched are skipped."""
    instance, db = _open()
    if not receive.is_configured(instance.config):
        raise click.ClickException(receive.status(instance.config))
    report = receive.poll(db, instance.store, instance.config)
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(report.summary())


@mail_group.command("classify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the reading as JSON.")
def classify(file, as_json):
    """Say what the reply in FILE (.eml) means for the request, storing nothing."""
    reading = ingest.classify(Path(file).read_bytes())
    if as_json:
        value = reading.as_dict()
        click.echo(json.dumps({key: value[key] for key in
                               ("kind", "date", "estimated_date", "fee", "reference", "days", "day_type",
                                "bounced", "why", "evidence")}, indent=2, sort_keys=True))
        return
    click.echo(reading.why)
    for key in ("date", "estimated_date", "fee", "reference"):
        if getattr(reading, key):
            click.echo(f"  {key.replace('_', ' ')}: {getattr(reading, key)}")
    for evidence in reading.evidence:
        click.echo(f"  - {evidence.field}: “{evidence.phrase}” ({evidence.why})")


@mail_group.command("inbox")
@click.option("--json", "as_json", is_flag=True, help="Print the queue as JSON.")
@click.option("--limit", default=50, show_default=True, help="How many messages to list, newest first.")
def inbox(as_json, limit):
    """The review queue: messages no request could be found for."""
    _, db = _open()
    queue = store.review_queue(db, limit=limit)
    if as_json:
        echo_json([{k: m[k] for k in ("id", "from_addr", "subject", "date", "match_note")} for m in queue])
        return
    if not queue:
        click.echo("The review queue is empty.")
    for m in queue:
        click.echo(f"{m['id']:>6}  {(m['date'] or m['received_at'])[:10]}  {m['from_addr'] or '(no sender)'}  "
                   f"{m['subject'] or '(no subject)'}")
        click.echo(f"        {m['match_note']}")


@mail_group.command("show")
@click.argument("message_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the whole message row as JSON.")
def show(message_id, as_json):
    """One message: where it was filed and why, and the event it suggests."""
    _, db = _open()
    m = store.get(db, message_id)
    if as_json:
        echo_json(m)
        return
    click.echo(f"Message {m['id']} ({store.STATE_LABELS[m['state']]}), from {m['from_addr']}, {m['date'] or ''}")
    click.echo(f"Subject: {m['subject']}")
    click.echo(f"Request: {m['request_id'] or '-'}: {m['match_note']}")
    if m["suggestion"].get("why"):
        click.echo(f"Reading: {m['suggestion']['why']} [{m['suggestion_state']}]")
    for a in m["attachments"]:
        click.echo(f"  attachment {a['filename']}: " + (f"document {a['document_id']}" if a.get("document_id")
                                                         else a.get("error", "not filed")))


@mail_group.command("assign")
@click.argument("message_id", type=int)
@click.argument("request_id", type=int)
def assign(message_id, request_id):
    """File message MESSAGE_ID (from the review queue) on request REQUEST_ID."""
    instance, db = _open()
    filed = ingest.assign(db, instance.store, message_id, request_id, config=instance.config)
    click.echo(f"Message {message_id} filed on request {request_id}; suggested: {filed.reading.why}")
    for note in filed.notes:
        click.echo(f"  {note}")


@mail_group.command("discard")
@click.argument("message_id", type=int)
def discard(message_id):
    """Take MESSAGE_ID out of the review queue (it stays stored)."""
    _, db = _open()
    ingest.discard(db, message_id)
    click.echo(f"Message {message_id} discarded.")


@mail_group.command("confirm")
@click.argument("message_id", type=int)
@click.option("--kind", default=None, help="Record this kind of event instead of the suggested one.")
@click.option("--on", "occurred_on", default=None, help="Date of the event (YYYY-MM-DD); default the message's date.")
@click.option("--data", default=None, help='Event details as JSON, e.g. \'{"estimated_date": "2026-10-30"}\'.')
def confirm(message_id, kind, occurred_on, data):
    """Record the event MESSAGE_ID suggests on its request's timeline (deadlines follow)."""
    instance, db = _open()
    details = None
    if data:
        try:
            details = json.loads(data)
        except ValueError:
            raise click.BadParameter("not JSON", param_hint="--data") from None
    event_id = ingest.confirm(db, message_id, kind=kind, occurred_on=occurred_on, data=details,
                              config=instance.config)
    click.echo(f"Recorded event {event_id} from message {message_id}.")


@mail_group.command("reject")
@click.argument("message_id", type=int)
def reject(message_id):
    """The suggested event of MESSAGE_ID is wrong: record nothing."""
    _, db = _open()
    ingest.reject(db, message_id)
    click.echo(f"Suggestion of message {message_id} rejected.")


@mail_group.command("addresses")
@click.option("--clear", "clear", default=None, metavar="ADDRESS", help="Mark ADDRESS as working again.")
def addresses(clear):
    """Agency addresses whose mail bounced."""
    _, db = _open()
    if clear:
        store.clear_broken(db, clear)
        click.echo(f"{clear} is no longer marked as bouncing.")
        return
    broken = store.broken_addresses(db)
    if not broken:
        click.echo("No address has bounced.")
    for row in broken:
        click.echo(f"{row['address']}  bounced {row['bounces']}x, last {row['last_bounced_at'][:10]}: {row['reason']}")


@mail_group.command("send")
@click.argument("request_id", type=int)
@click.option("--follow-up", "purpose", flag_value="follow_up", help="Send a follow-up in the request's thread.")
@click.option("--appeal", "purpose", flag_value="appeal", help="Send an appeal in the request's thread.")
@click.option("--template", default=None, help="Letter template (default: the request's).")
def send_command(request_id, purpose, template):
    """E-mail request REQUEST_ID's letter to the agency (PDF attached); the request is recorded as
    filed once the mail server accepts it."""
    instance, db = _open()
    row = send.send_request(db, instance.store, request_id, instance.config, purpose=purpose or "request",
                            template=template, folder=instance.letter_templates)
    click.echo(f"Sent to {', '.join(row['to_addrs'])} as {row['message_id']}.")


class _Printed:
    """A campaign sent from the command line reports its progress as a job would, printed."""

    def progress(self, done, total=None, message=""):
        click.echo(message)

    def renew(self):
        pass


@mail_group.command("campaign")
@click.argument("campaign_id", type=int)
@click.option("--send", "do_send", is_flag=True, help="Send now (otherwise only show what would be sent).")
@click.option("--queue", is_flag=True, help="Queue the sending as a job for the scheduler instead.")
def campaign_command(campaign_id, do_send, queue):
    """Preview, queue or send the e-mails of campaign CAMPAIGN_ID (throttled to FOIA_MAIL_SEND_PER_MINUTE)."""
    instance, db = _open()
    if queue:
        job_id = send.start_campaign(db, campaign_id)
        click.echo(f"Queued as job {job_id}; `foia jobs list` shows its progress.")
        return
    if not do_send:
        preview = send.preview(db, instance.store, campaign_id, instance.config, folder=instance.letter_templates)
        click.echo(f"{plural(preview['recipients'], 'message')} to send, {preview['already_sent']} already sent.")
        for other in preview["other_way"]:
            click.echo(f"  {other['agency']} (request {other['request_id']}): {send.NEEDS_OTHER_WAY}")
        if preview["first"]:
            first = preview["first"]
            click.echo(f"\nFirst message\nFrom: {first['from']}\nTo: {first['to']}\nSubject: {first['subject']}\n"
                       f"Attachment: {first['attachment']}\n\n{first['text']}")
        click.echo("Run again with --send to send them, or --queue to leave it to the scheduler.")
        return
    result = send.send_campaign(db, instance.store, campaign_id, instance.config, job=_Printed(),
                                folder=instance.letter_templates)
    click.echo(f"{result['sent']} of {result['total']} sent.")
