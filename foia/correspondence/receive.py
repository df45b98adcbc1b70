"""Where incoming messages come from: an IMAP mailbox, a Maildir folder or a single .eml file.

IMAP settings (keys of the configuration mapping): ``IMAP_HOST``, ``IMAP_PORT``, ``IMAP_USER``,
``IMAP_PASSWORD``, ``IMAP_FOLDER`` (default ``INBOX``) and ``IMAP_SECURITY`` (``ssl``, the default,
``starttls``, or ``""`` for a plain connection, for tests on loopback only); ``IMAP_CA_FILE`` names
a certificate (or CA bundle) to trust for a server with a certificate of its own. With no
``IMAP_HOST`` polling is off and says so.

Polling never changes the mailbox (messages are fetched with ``BODY.PEEK``, nothing is flagged,
moved or deleted), so a failure loses nothing. The UIDs already filed are remembered per folder
and ``UIDVALIDITY``; a UID is remembered only after its message is filed, so a poll that stops
half-way is resumed by the next one.
"""
import contextlib
import dataclasses
import imaplib
import mailbox
import re
import socket
import ssl
from pathlib import Path

from .. import errors, jobs
from ..config import DEFAULTS
from ..formats import plural
from . import ingest as ingesting
from . import store

TIMEOUT = 60  # seconds for connecting and for each IMAP command
SECURITY = ("ssl", "starttls", "")
BATCH = 200  # UIDs fetched per poll; the next poll takes the rest
POLL_JOB = "mail.poll"


class MailboxError(errors.FoiaError):
    """The mailbox could not be read (unreachable, login refused, folder missing); nothing was lost."""

    status = 502


@dataclasses.dataclass
class Report:
    """What one import or poll did."""

    seen: int = 0
    filed: int = 0  # matched to a request
    review: int = 0
    duplicates: int = 0
    bounces: int = 0
    auto_replies: int = 0
    failed: list = dataclasses.field(default_factory=list)  # (what, why)
    remaining: int = 0  # left for the next poll

    def add(self, result: ingesting.Filed) -> None:
        self.seen += 1
        if result.duplicate:
            self.duplicates += 1
        elif result.state == "matched":
            self.filed += 1
        elif result.state == "review":
            self.review += 1
        elif result.state == "bounce":
            self.bounces += 1
        elif result.state == "auto_reply":
            self.auto_replies += 1

    def summary(self) -> str:
        parts = [f"{plural(self.seen, 'message')} read", f"{self.filed} filed on requests", f"{self.review} for review"]
        if self.duplicates:
            parts.append(f"{self.duplicates} already received")
        if self.bounces:
            parts.append(plural(self.bounces, "bounce"))
        if self.auto_replies:
            parts.append(f"{self.auto_replies} automatic repl{'y' if self.auto_replies == 1 else 'ies'}")
        if self.failed:
            parts.append(f"{len(self.failed)} could not be read")
        if self.remaining:
            parts.append(f"{self.remaining} left for the next poll")
        return ", ".join(parts) + "."

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def import_file(db, store_, path, *, config=None, actor=None) -> Report:
    path = Path(path)
    report = Report()
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise errors.NotFound(f"Cannot read {path}: {e.strerror or e}.") from None
    report.add(ingesting.ingest(db, store_, raw, config=config, source=f"file:{path.name}", actor=actor))
    return report


def import_maildir(db, store_, folder, *, config=None, actor=None, progress=None) -> Report:
    """File every message of a Maildir folder (``cur`` and ``new``); the folder is left as it is."""
    folder = Path(folder)
    if not (folder / "cur").is_dir() and not (folder / "new").is_dir():
        raise errors.Invalid("folder", f"{folder} is not a Maildir folder (it has no cur/ or new/ folder).")
    box = mailbox.Maildir(str(folder), factory=None, create=False)
    keys = sorted(box.keys())
    report = Report()
    for done, key in enumerate(keys, 1):
        try:
            raw = box.get_bytes(key)
            report.add(ingesting.ingest(db, store_, raw, config=config, source=f"maildir:{folder.name}", actor=actor))
        except errors.Invalid as e:
            report.failed.append((key, str(e)))
        if progress:
            progress(done, len(keys))
    return report


def is_configured(config: dict) -> bool:
    return bool(((config or {}).get("IMAP_HOST") or "").strip())


def status(config: dict) -> str:
    if not is_configured(config):
        return ("No mailbox is set up, so agencies' replies are not fetched: an admin sets one up with "
                "FOIA_IMAP_HOST (see “Mail” in the README); replies can be imported with `foia mail import`.")
    security = _security(config) or "no encryption"
    return (f"Replies are fetched from {config.get('IMAP_USER') or '(no user)'} at {config['IMAP_HOST']}:"
            f"{_port(config)} ({security}), folder {_folder(config)}.")


def _security(config: dict) -> str:
    value = config.get("IMAP_SECURITY")
    value = DEFAULTS["IMAP_SECURITY"] if value is None else str(value).strip().lower()
    if value not in SECURITY:
        raise errors.Invalid("IMAP_SECURITY", f"IMAP_SECURITY must be 'ssl', 'starttls' or '', not {value!r}.")
    return value


def _folder(config: dict) -> str:
    return (config.get("IMAP_FOLDER") or "").strip() or DEFAULTS["IMAP_FOLDER"]


def _port(config: dict) -> int:
    if config.get("IMAP_PORT"):
        return int(config["IMAP_PORT"])
    return 993 if _security(config) == "ssl" else 143


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def connect(config: dict) -> imaplib.IMAP4:
    """A logged-in IMAP connection; :class:`MailboxError` says why not."""
    if not is_configured(config):
        raise MailboxError("No mailbox is set up (FOIA_IMAP_HOST; see “Mail” in the README), so nothing was fetched.")
    host, port, security = config["IMAP_HOST"].strip(), _port(config), _security(config)
    try:
        context = ssl.create_default_context(cafile=config.get("IMAP_CA_FILE") or None)
    except OSError as e:
        raise MailboxError(f"Cannot read IMAP_CA_FILE {config.get('IMAP_CA_FILE')}: {e.strerror or e}.") from None
    try:
        if security == "ssl":
            imap = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=TIMEOUT)
        else:
            imap = imaplib.IMAP4(host, port, timeout=TIMEOUT)
            if security == "starttls":
                try:
                    imap.starttls(ssl_context=context)
                except BaseException:
                    with contextlib.suppress(OSError):
                        imap.shutdown()
                    raise
    except ssl.SSLCertVerificationError as e:
        raise MailboxError(f"The mailbox at {host}:{port} presented a certificate that cannot be trusted "
                           f"({e.verify_message}); set IMAP_CA_FILE to trust it.") from None
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as e:
        raise MailboxError(f"Cannot connect to the mailbox at {host}:{port}: {e}.") from None
    try:
        imap.login(config.get("IMAP_USER") or "", config.get("IMAP_PASSWORD") or "")
    except imaplib.IMAP4.error as e:
        _close(imap)
        reason = _text(e.args[0]) if e.args else "refused"
        raise MailboxError(f"The mailbox at {host} refused the login for {config.get('IMAP_USER') or '(no user)'}: "
                           f"{reason}. Check FOIA_IMAP_USER and FOIA_IMAP_PASSWORD; nothing was fetched.") from None
    except OSError as e:
        _close(imap)
        raise MailboxError(f"The connection to the mailbox at {host} failed: {e}.") from None
    return imap


def _close(imap) -> None:
    try:
        imap.logout()
    except (OSError, imaplib.IMAP4.error):
        pass


def poll(db, store_, config: dict, *, actor=None, progress=None, batch: int = BATCH) -> Report:
    """Fetch and file the messages of the configured folder not filed before."""
    folder = _folder(config)
    imap = connect(config)
    report = Report()
    try:
        status_, data = imap.select(_quote(folder), readonly=True)
        if status_ != "OK":
            raise MailboxError(f"The mailbox has no folder {folder!r}: {_text(data[0]) if data else ''}.")
        uidvalidity = _uidvalidity(imap)
        status_, data = imap.uid("SEARCH", None, "ALL")
        if status_ != "OK":
            raise MailboxError(f"The mailbox could not list the folder {folder!r}.")
        uids = [int(u) for u in _text(data[0] or b"").split()]
        seen = store.seen_uids(db, folder, uidvalidity)
        todo = [u for u in uids if u not in seen]
        report.remaining = max(0, len(todo) - batch)
        todo = todo[:batch]
        for done, uid in enumerate(todo, 1):
            status_, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((part[1] for part in data or [] if isinstance(part, tuple) and len(part) > 1), None)
            if status_ != "OK" or raw is None:
                report.failed.append((f"UID {uid}", "the server returned no message"))
                continue
            try:
                result = ingesting.ingest(db, store_, raw, config=config, source=f"imap:{folder}", actor=actor)
            except errors.Invalid as e:
                report.failed.append((f"UID {uid}", str(e)))
                store.remember_uid(db, folder, uidvalidity, uid, None)
                continue
            store.remember_uid(db, folder, uidvalidity, uid, result.id)
            report.add(result)
            if progress:
                progress(done, len(todo))
    except (OSError, socket.timeout, imaplib.IMAP4.abort) as e:
        raise MailboxError(f"The connection to the mailbox broke off ({e}); what was filed is kept, "
                           "the rest is fetched by the next poll.") from None
    finally:
        _close(imap)
    return report


def _quote(folder: str) -> str:
    return folder if re.fullmatch(r"[A-Za-z0-9._/-]+", folder) else '"' + folder.replace('"', '\\"') + '"'


def _uidvalidity(imap) -> int:
    status_, data = imap.response("UIDVALIDITY")
    try:
        return int(_text(data[0]))
    except (TypeError, ValueError, IndexError):
        return 0


@jobs.handler(POLL_JOB)
def poll_job(instance, job) -> None:
    """The ``mail.poll`` job: one poll of the configured mailbox. Resumable: UIDs already filed are
    skipped, so a job re-run after a crash fetches only the rest. A refused login fails the attempt
    (the job runner retries it with backoff) and loses nothing."""
    store.ensure_schema(job.db)
    report = poll(job.db, instance.store, instance.config,
                  progress=lambda done, total: job.progress(done, total, f"{done} of {plural(total, 'message')} filed"))
    job.progress(report.seen, report.seen, report.summary())
