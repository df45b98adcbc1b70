"""Fixtures of the mail tests: a real IMAP server (Debian's dovecot) on loopback, and small real files.

The IMAP server runs as the current user from a temporary folder with its own configuration and
its own users (a passwd-file), listening on a free loopback port; no system service is touched.
Tests that need it are skipped, saying why, only when the dovecot binary is not installed.
"""
import contextlib
import getpass
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import zlib
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
IMAP_USER = "records@group.example"
IMAP_PASSWORD = "imap-test-password"


def tiny_pdf(*lines: str) -> bytes:
    """A valid one-page PDF whose text layer holds ``lines`` (Helvetica), built by hand."""
    stream = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '" for line in lines) + " ET"
    content = zlib.compress(stream.encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


class CorpusWriter:
    """Writes one folder of the reading corpus (tests/mail_corpus/<round>/): each reply as an .eml file
    from one agency's mailbox, and expected.json with the reading each should get."""

    def __init__(self, out: Path, *, sender: str, to: str, domain: str, date: str):
        self.out, self.sender, self.to, self.domain, self.date = out, sender, to, domain, date
        self.expected: dict[str, dict] = {}

    def msg(self, name, subject, body, *, exp, frm=None, html=None, date=None, headers=None, attach=()):
        from email.message import EmailMessage

        m = EmailMessage()
        m["From"], m["To"], m["Subject"], m["Date"] = frm or self.sender, self.to, subject, date or self.date
        m["Message-ID"] = f"<{name}@{self.domain}>"
        for key, value in (headers or {}).items():
            m[key] = value
        m.set_content(body)
        if html:
            m.add_alternative(html, subtype="html")
        for filename, data in attach:
            m.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
        (self.out / f"{name}.eml").write_bytes(bytes(m))
        self.expected[f"{name}.eml"] = {"kind": None, "estimated_date": None, **exp}

    def save(self) -> int:
        import json

        (self.out / "expected.json").write_text(json.dumps(self.expected, indent=1, sort_keys=True) + "\n")
        return len(self.expected)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    """A running dovecot: ``append(raw, folder)`` delivers a message to the test user's mailbox."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.tls_port = free_port()  # IMAPS; the plain port also offers STARTTLS
        self.host = "127.0.0.1"
        self.ca_file = root / "cert.pem"  # the server's self-signed certificate
        self.user = IMAP_USER
        self.password = IMAP_PASSWORD
        self.process = None

    def config(self, **extra) -> dict:
        values = {"IMAP_HOST": self.host, "IMAP_PORT": self.port, "IMAP_USER": self.user,
                  "IMAP_PASSWORD": self.password, "IMAP_FOLDER": "INBOX", "IMAP_SECURITY": ""}
        values.update(extra)
        return values

    def start(self) -> None:
        user, group, login_user = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name, getpass.getuser()
        uid, gid = os.getuid(), os.getgid()
        mail = self.root / "mail"
        mail.mkdir(parents=True)
        (self.root / "run").mkdir()
        if uid == 0:
            # Dovecot refuses to run its login processes, or to open mailboxes, as root: when the tests
            # run as root (a CI container), they use the unprivileged users the package created.
            entry = pwd.getpwnam("dovecot")
            user, group, login_user = "dovecot", grp.getgrgid(entry.pw_gid).gr_name, "dovenull"
            uid, gid = entry.pw_uid, entry.pw_gid
            os.chown(mail, uid, gid)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(self.root / "key.pem"), "-out", str(self.ca_file)],
                       check=True, capture_output=True)
        (self.root / "passwd").write_text(
            f"{self.user}:{{PLAIN}}{self.password}:{uid}:{gid}::{mail}/%n::\n")
        (self.root / "dovecot.conf").write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/run
instance_name = foia-test-{self.port}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.ca_file}
ssl_key = <{self.root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = {min(uid, 500)}
log_path = {self.root}/dovecot.log
mail_location = maildir:{mail}/%n
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
  }}
  chroot =
  user = {login_user}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {user}
  }}
  unix_listener stats-writer {{
    user = {user}
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.root}/passwd
}}
""")
        with open(self.root / "dovecot.out", "wb") as out:
            self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
                                            stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = (self.root / "dovecot.out").read_text(errors="replace")
                log = (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot exited: {output}\n{log}")
            with contextlib.suppress(OSError):
                for port in (self.port, self.tls_port):
                    socket.create_connection((self.host, port), timeout=1).close()
                return
            time.sleep(0.1)
        raise RuntimeError("dovecot did not start listening within 20 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with imaplib.IMAP4(self.host, self.port) as imap:
            imap.login(self.user, self.password)
            if folder != "INBOX":
                imap.create(folder)
            status, _ = imap.append(folder, None, None, raw)
            assert status == "OK"
            imap.logout()

    def count(self, folder: str = "INBOX") -> int:
        with imaplib.IMAP4(self.host, self.port) as imap:
            imap.login(self.user, self.password)
            status, data = imap.select(folder, readonly=True)
            n = int(data[0])
            imap.logout()
            return n


@pytest.fixture
def dovecot():
    if not os.path.exists(DOVECOT):
        pytest.skip("dovecot is not installed (Debian package dovecot-imapd): no IMAP server to test against")
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed (Debian package openssl): no certificate for the IMAP server")
    # Its own folder, readable by the unprivileged users dovecot switches to (pytest's tmp_path is not).
    root = Path(tempfile.mkdtemp(prefix="foia-dovecot-"))
    os.chmod(root, 0o755)
    server = Dovecot(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
