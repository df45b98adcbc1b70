"""Outgoing mail over SMTP (reminders now, request letters later).

Configured by ``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_USER``, ``SMTP_PASSWORD``, ``SMTP_SECURITY``
(``""``, ``"starttls"`` or ``"ssl"``) and ``MAIL_FROM`` (``FOIA_*`` in the environment). With no
``SMTP_HOST`` mail is off: nothing is sent, :func:`status` says so, and reminders reach users through
the in-app inbox only.
"""
import mimetypes
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from .config import DEFAULTS

TIMEOUT = 30  # seconds, for connecting and for each SMTP command
SECURITY = ("", "starttls", "ssl")


class MailError(Exception):
    """Mail could not be sent; the message says why (it is shown to users)."""


def sender(config: dict) -> str:
    """The From address: ``MAIL_FROM``, or its default when it is empty."""
    return (config.get("MAIL_FROM") or "").strip() or DEFAULTS["MAIL_FROM"]


def is_configured(config: dict) -> bool:
    return bool((config.get("SMTP_HOST") or "").strip())


def status(config: dict) -> str:
    """One line for pages and the CLI describing the mail set-up."""
    if not is_configured(config):
        return "E-mail is not set up: reminders appear in the app only."
    security = config.get("SMTP_SECURITY") or "no encryption"
    return (f"Mail goes out through {config['SMTP_HOST']}:{config.get('SMTP_PORT') or 25} "
            f"({security}) from {sender(config)}.")


def build_message(config: dict, to, subject: str, body: str, attachments=()) -> EmailMessage:
    """An EmailMessage; ``attachments`` are paths or ``(filename, bytes, mime type)`` tuples."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients or not all("@" in r for r in recipients):
        raise MailError(f"Not an e-mail address: {', '.join(recipients) or '(none)'}")
    message = EmailMessage()
    from_addr = sender(config)
    message["From"] = from_addr
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject.replace("\n", " ").replace("\r", " ")
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=from_addr.rpartition("@")[2] or "localhost")
    message.set_content(body)
    for item in attachments:
        if isinstance(item, (str, Path)):
            path = Path(item)
            name, data, mime = path.name, path.read_bytes(), mimetypes.guess_type(path.name)[0]
        else:
            name, data, mime = item
        maintype, _, subtype = (mime or "application/octet-stream").partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


class Connection:
    """One SMTP session: ``with Connection(config) as smtp: smtp.send(to, subject, body)``.

    Connecting happens on entry; failures raise :class:`MailError` with a readable reason.
    """

    def __init__(self, config: dict):
        if not is_configured(config):
            raise MailError("Mail is off: FOIA_SMTP_HOST is not set.")
        security = (config.get("SMTP_SECURITY") or "").strip().lower()
        if security not in SECURITY:
            raise MailError(f"SMTP_SECURITY must be '', 'starttls' or 'ssl', not {security!r}.")
        self.config = config
        self.security = security
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self):
        host = self.config["SMTP_HOST"].strip()
        port = int(self.config.get("SMTP_PORT") or (465 if self.security == "ssl" else 25))
        try:
            if self.security == "ssl":
                self.smtp = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=ssl.create_default_context())
            else:
                self.smtp = smtplib.SMTP(host, port, timeout=TIMEOUT)
                if self.security == "starttls":
                    self.smtp.starttls(context=ssl.create_default_context())
            if self.config.get("SMTP_USER"):
                self.smtp.login(self.config["SMTP_USER"], self.config.get("SMTP_PASSWORD") or "")
        except (OSError, smtplib.SMTPException) as e:
            self._close()
            raise MailError(f"Cannot connect to the mail server {host}:{port}: {_reason(e)}") from None
        return self

    def send(self, to, subject: str, body: str, attachments=()) -> None:
        message = build_message(self.config, to, subject, body, attachments)
        try:
            refused = self.smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as e:
            raise MailError(f"The mail server did not accept the message: {_reason(e)}") from None
        if refused:
            raise MailError(f"The mail server refused: {', '.join(refused)}")

    def _close(self):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def __exit__(self, *exc):
        self._close()
        return False


def _reason(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
        return f"{error.smtp_code} {text}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return ("recipient refused: " if len(error.recipients) == 1 else "recipients refused: ") + ", ".join(error.recipients)
    return str(error) or type(error).__name__


def send(config: dict, to, subject: str, body: str, attachments=()) -> bool:
    """Send one message. Returns False (sending nothing) when mail is off; raises MailError on failure."""
    if not is_configured(config):
        return False
    with Connection(config) as smtp:
        smtp.send(to, subject, body, attachments)
    return True
