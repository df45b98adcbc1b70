"""Accounts: password hashing, roles, login throttling (on the injected clock), API tokens, CLI."""
import datetime as dt
import json

import pytest
from click.testing import CliRunner

from foia import accounts, clock, errors
from foia import db as db_module
from foia.cli import main

PASSWORD = "correct horse battery staple"
NOW = dt.datetime(2026, 9, 1, 9, 0, 0)


@pytest.fixture
def adb(tmp_path):
    clock.set_now(NOW)
    database = db_module.connect(str(tmp_path / "foia.db"))
    db_module.migrate(database)
    yield database
    database.conn.close()
    clock.set_now(None)


def audit_actions(db):
    return [r["action"] for r in db.query("SELECT action FROM audit_log ORDER BY id")]


# -- users --------------------------------------------------------------------------------------


def test_password_is_hashed_and_checked(adb):
    user_id = accounts.create_user(adb, " Ana@Example.ORG ", PASSWORD, "member", name="Ana")
    stored = adb.execute("SELECT email, password_hash FROM users WHERE id = ?", [user_id]).fetchone()
    assert stored[0] == "ana@example.org"
    assert stored[1].startswith("scrypt:") and PASSWORD not in stored[1]
    user = accounts.authenticate(adb, "ANA@example.org", PASSWORD, ip="10.0.0.1", now=NOW)
    assert user["id"] == user_id and "password_hash" not in user
    with pytest.raises(accounts.LoginError, match="Wrong email or password"):
        accounts.authenticate(adb, "ana@example.org", PASSWORD.upper(), ip="10.0.0.1", now=NOW)
    assert audit_actions(adb) == ["user.create", "login", "login.failed"]


@pytest.mark.parametrize(
    "email, password, role, message",
    [
        ("not-an-email", PASSWORD, "member", "email address"),
        ("a@b", PASSWORD, "member", "email address"),
        ("a b@example.org", PASSWORD, "member", "email address"),
        ("x" * 250 + "@example.org", PASSWORD, "member", "email address"),
        ("ok@example.org", "short", "member", "at least 10"),
        ("ok@example.org", "x" * 5000, "member", "at most"),
        ("ok@example.org", PASSWORD, "owner", "Choose a role: admin, member or viewer"),
        ("ok@example.org", PASSWORD, "'; DROP TABLE users; --", "Choose a role"),
    ],
)
def test_create_user_rejects_bad_input(adb, email, password, role, message):
    with pytest.raises(errors.Invalid, match=message):
        accounts.create_user(adb, email, password, role)
    assert adb.execute("SELECT count(*) FROM users").fetchone()[0] == 0


def test_duplicate_email_is_refused_whatever_its_case(adb):
    accounts.create_user(adb, "ana@example.org", PASSWORD, "member")
    with pytest.raises(errors.Conflict, match="already exists"):
        accounts.create_user(adb, "ANA@example.org", PASSWORD, "viewer")
    assert [u["role"] for u in accounts.list_users(adb)] == ["member"]


def test_odd_unicode_names_and_passwords_round_trip(adb):
    password = "pässwörd ☃ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u200d"
    user_id = accounts.create_user(adb, "zoë@example.org", password, "viewer", name="Zoë 𝒵 <b>")
    assert accounts.get(adb, user_id)["name"] == "Zoë 𝒵 <b>"
    assert accounts.authenticate(adb, "zoë@example.org", password, now=NOW)["id"] == user_id


def test_disabled_user_cannot_sign_in_and_nothing_is_deleted(adb):
    admin = accounts.create_user(adb, "admin@example.org", PASSWORD, "admin")
    user_id = accounts.create_user(adb, "ana@example.org", PASSWORD, "member")
    accounts.disable(adb, user_id, actor=admin)
    with pytest.raises(accounts.LoginError):
        accounts.authenticate(adb, "ana@example.org", PASSWORD, now=NOW)
    assert accounts.get(adb, user_id)["disabled_at"] == "2026-09-01T09:00:00"
    accounts.enable(adb, user_id, actor=admin)
    assert accounts.authenticate(adb, "ana@example.org", PASSWORD, now=NOW)["id"] == user_id
    entry = next(adb.query("SELECT * FROM audit_log WHERE action = 'user.disable'"))
    assert entry["user_id"] == admin and entry["object_id"] == str(user_id)


def test_the_last_active_admin_cannot_be_demoted_or_disabled(adb):
    admin = accounts.create_user(adb, "admin@example.org", PASSWORD, "admin")
    with pytest.raises(errors.Conflict, match="last active admin"):
        accounts.set_role(adb, admin, "member")
    with pytest.raises(errors.Conflict, match="last active admin"):
        accounts.disable(adb, admin)
    other = accounts.create_user(adb, "second@example.org", PASSWORD, "admin")
    accounts.set_role(adb, admin, "viewer")
    assert accounts.get(adb, admin)["role"] == "viewer"
    with pytest.raises(errors.Conflict, match="last active admin"):
        accounts.disable(adb, other)


def test_password_role_and_disable_end_existing_sessions(adb):
    accounts.create_user(adb, "admin@example.org", PASSWORD, "admin")
    user_id = accounts.create_user(adb, "ana@example.org", PASSWORD, "member")

    def session_id():
        return f"{user_id}:{accounts.get(adb, user_id)['session_key']}:{accounts.start_session(adb, user_id)}"

    first = session_id()
    assert accounts.load_session_user(adb, first)["id"] == user_id
    key = accounts.get(adb, user_id)["session_key"]
    assert accounts.load_session_user(adb, f"{user_id}:forged:{first.rsplit(':', 1)[1]}") is None
    assert accounts.load_session_user(adb, f"{user_id}:{key}:forged") is None
    assert accounts.load_session_user(adb, f"{user_id}:{key}") is None
    assert accounts.load_session_user(adb, f"{user_id}") is None
    assert accounts.load_session_user(adb, "nonsense") is None
    ended = session_id()
    accounts.end_session(adb, ended.rsplit(":", 1)[1])  # signing out ends that session only
    assert accounts.load_session_user(adb, ended) is None
    assert accounts.load_session_user(adb, first)["id"] == user_id
    accounts.set_password(adb, user_id, "a new password!")
    assert accounts.load_session_user(adb, first) is None
    second = session_id()
    accounts.set_role(adb, user_id, "viewer")
    assert accounts.load_session_user(adb, second) is None
    third = session_id()
    accounts.disable(adb, user_id)
    assert accounts.load_session_user(adb, third) is None
    assert accounts.load_session_user(adb, session_id()) is None  # disabled: no session at all


def test_change_own_password_needs_the_current_one(adb):
    user_id = accounts.create_user(adb, "ana@example.org", PASSWORD, "member")
    with pytest.raises(errors.Invalid, match="current password is wrong"):
        accounts.change_own_password(adb, user_id, "wrong password", "another long one")
    with pytest.raises(errors.Invalid, match="at least 10"):
        accounts.change_own_password(adb, user_id, PASSWORD, "short")
    accounts.change_own_password(adb, user_id, PASSWORD, "another long one")
    assert accounts.authenticate(adb, "ana@example.org", "another long one", now=NOW)["id"] == user_id


def test_demo_admin_is_created_once(adb):
    email, password = accounts.ensure_demo_admin(adb)
    assert email == "admin@example.org" and len(password) >= accounts.MIN_PASSWORD
    assert accounts.authenticate(adb, email, password, now=NOW)["role"] == "admin"
    assert accounts.ensure_demo_admin(adb) is None


# -- throttling ---------------------------------------------------------------------------------


def fail_login(db, email, ip, now):
    with pytest.raises(accounts.LoginError) as info:
        accounts.authenticate(db, email, "wrong password", ip=ip, now=now)
    assert not isinstance(info.value, accounts.Throttled)


def test_five_failures_lock_the_account_until_the_window_passes(adb):
    accounts.create_user(adb, "ana@example.org", PASSWORD, "member")
    for minute in range(5):
        fail_login(adb, "ana@example.org", f"10.0.0.{minute}", NOW + dt.timedelta(minutes=minute))
    # Locked: even the right password, from a fresh address, is not checked.
    later = NOW + dt.timedelta(minutes=10)
    with pytest.raises(accounts.Throttled) as info:
        accounts.authenticate(adb, "ana@example.org", PASSWORD, ip="10.9.9.9", now=later)
    assert info.value.until == NOW + dt.timedelta(minutes=15)
    assert "Too many failed sign-in attempts" in str(info.value) and "09:15" in str(info.value)
    # Throttled attempts are not counted, so the lock lifts when the first failure ages out.
    just_after = NOW + dt.timedelta(minutes=15, seconds=1)
    assert accounts.authenticate(adb, "ana@example.org", PASSWORD, ip="10.9.9.9", now=just_after)


def test_address_lock_covers_accounts_new_to_that_address(adb):
    accounts.create_user(adb, "ana@example.org", PASSWORD, "member")
    accounts.create_user(adb, "bo@example.org", PASSWORD, "member")
    accounts.authenticate(adb, "bo@example.org", PASSWORD, ip="203.0.113.7", now=NOW - dt.timedelta(days=30))
    for n in range(accounts.MAX_ADDRESS_FAILURES):
        fail_login(adb, f"guess{n}@example.org", "203.0.113.7", NOW)
    with pytest.raises(accounts.Throttled):
        accounts.authenticate(adb, "ana@example.org", PASSWORD, ip="203.0.113.7", now=NOW)
    with pytest.raises(accounts.Throttled):
        accounts.authenticate(adb, "guess0@example.org", "another guess", ip="203.0.113.7", now=NOW)
    # One guesser behind a shared address does not lock out those who signed in from it before...
    assert accounts.authenticate(adb, "bo@example.org", PASSWORD, ip="203.0.113.7", now=NOW)
    # ... and another address is not affected.
    assert accounts.authenticate(adb, "ana@example.org", PASSWORD, ip="198.51.100.1", now=NOW)


def test_an_admin_clears_an_account_lock(adb):
    accounts.create_user(adb, "ana@example.org", PASSWORD, "member")
    for n in range(accounts.MAX_FAILURES):
        fail_login(adb, "ana@example.org", f"10.0.5.{n}", NOW)
    with pytest.raises(accounts.Throttled):
        accounts.authenticate(adb, "ana@example.org", PASSWORD, ip="10.0.6.1", now=NOW)
    accounts.unlock(adb, "Ana@example.org", now=NOW)
    assert accounts.authenticate(adb, "ana@example.org", PASSWORD, ip="10.0.6.1", now=NOW)
    assert "user.unlock" in [r[0] for r in adb.execute("SELECT action FROM audit_log")]


@pytest.mark.parametrize("password, message", [
    (" " * 12, "not mostly spaces"),
    ("  a    b    c  ", "not mostly spaces"),
    ("1234567890", "common password"),
    ("password123", "common password"),
    ("qwertyuiop", "common password"),
    ("aaaaaaaaaaaa", "Repeats"),
    ("abcdefghijkl", "Sequences"),
    ("ana@example.org", "harder password"),
])
def test_weak_passwords_are_refused(adb, password, message):
    with pytest.raises(errors.Invalid, match=message) as info:
        accounts.create_user(adb, "ana@example.org", password, "member")
    assert info.value.field == "password"


def test_a_success_clears_the_account_count_but_not_the_address_count(adb):
    accounts.create_user(adb, "ana@example.org", PASSWORD, "member")
    for n in range(4):
        fail_login(adb, "ana@example.org", f"10.0.1.{n}", NOW)
    accounts.authenticate(adb, "ana@example.org", PASSWORD, ip="10.0.2.1", now=NOW)
    for n in range(4):
        fail_login(adb, "ana@example.org", f"10.0.3.{n}", NOW)
    assert accounts.authenticate(adb, "ana@example.org", PASSWORD, ip="10.0.4.1", now=NOW)

    accounts.create_user(adb, "mallory@example.org", PASSWORD, "viewer")
    for n in range(accounts.MAX_ADDRESS_FAILURES - 1):
        fail_login(adb, f"victim{n}@example.org", "192.0.2.66", NOW)
    accounts.authenticate(adb, "mallory@example.org", PASSWORD, ip="192.0.2.66", now=NOW)
    fail_login(adb, "victim99@example.org", "192.0.2.66", NOW)
    with pytest.raises(accounts.Throttled):  # the address count was not reset by mallory's sign-in
        accounts.authenticate(adb, "victim0@example.org", "one more guess", ip="192.0.2.66", now=NOW)


def test_unknown_accounts_are_throttled_too(adb):
    for _ in range(5):
        fail_login(adb, "nobody@example.org", "", NOW)
    with pytest.raises(accounts.Throttled):
        accounts.authenticate(adb, "NOBODY@example.org", "x", ip="", now=NOW)


# -- API tokens ---------------------------------------------------------------------------------


def test_tokens_authenticate_until_revoked(adb):
    user_id = accounts.create_user(adb, "ana@example.org", PASSWORD, "member")
    token_id, token = accounts.create_token(adb, user_id, "nightly import", actor=user_id)
    assert token.startswith("foia_") and len(token) > 40
    stored = adb.execute("SELECT token_hash FROM api_tokens WHERE id = ?", [token_id]).fetchone()[0]
    assert token not in stored and len(stored) == 64
    assert accounts.user_for_token(adb, token, now=NOW)["id"] == user_id
    assert accounts.get_token(adb, token_id)["last_used_at"] == "2026-09-01T09:00:00"
    assert accounts.user_for_token(adb, token + "x") is None
    assert accounts.user_for_token(adb, "") is None
    assert accounts.user_for_token(adb, "foia_" + "A" * 5000) is None
    accounts.revoke_token(adb, token_id, actor=user_id)
    assert accounts.user_for_token(adb, token) is None
    assert accounts.list_tokens(adb, user_id)[0]["revoked_at"] == "2026-09-01T09:00:00"
    assert audit_actions(adb)[-2:] == ["token.create", "token.revoke"]


def test_tokens_of_disabled_users_stop_working(adb):
    accounts.create_user(adb, "admin@example.org", PASSWORD, "admin")
    user_id = accounts.create_user(adb, "ana@example.org", PASSWORD, "viewer")
    _, token = accounts.create_token(adb, user_id, "script")
    accounts.disable(adb, user_id)
    assert accounts.user_for_token(adb, token) is None
    with pytest.raises(errors.Conflict, match="disabled"):
        accounts.create_token(adb, user_id, "another")


def test_a_user_can_only_revoke_their_own_tokens(adb):
    ana = accounts.create_user(adb, "ana@example.org", PASSWORD, "member")
    bob = accounts.create_user(adb, "bob@example.org", PASSWORD, "member")
    token_id, token = accounts.create_token(adb, ana, "script")
    with pytest.raises(errors.NotFound, match="No API token"):
        accounts.revoke_token(adb, token_id, actor=bob, owner_id=bob)
    assert accounts.user_for_token(adb, token)["id"] == ana
    with pytest.raises(errors.Invalid, match="Give the token a name"):
        accounts.create_token(adb, ana, "   ")


# -- CLI ----------------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("FOIA_INSTANCE", str(tmp_path / "instance"))
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    run.db = lambda: db_module.connect(str(tmp_path / "instance" / "foia.db"))
    return run


def test_cli_users_and_tokens(cli):
    result = cli("users", "create", "Boss@Example.org", "--role", "admin", "--name", "Boss",
                 "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "boss@example.org (admin)" in result.output
    result = cli("users", "create", "ana@example.org", "--role", "member", input="short\nshort\n")
    assert result.exit_code == 1 and "at least 10" in result.output
    result = cli("users", "create", "ana@example.org", "--role", "member",
                 input="long enough pw\nlong enough pw\n")
    assert result.exit_code == 0, result.output
    result = cli("users", "create", "eve@example.org", "--role", "root", "--password-stdin", input=PASSWORD)
    assert result.exit_code == 2 and "root" in result.output

    assert cli("users", "set-role", "ana@example.org", "viewer").exit_code == 0
    result = cli("users", "set-role", "boss@example.org", "member")
    assert result.exit_code == 1 and "last active admin" in result.output
    result = cli("users", "disable", "nobody@example.org")
    assert result.exit_code == 2 and "No user" in result.output
    rows = json.loads(cli("users", "list", "--json").output)
    assert [(r["email"], r["role"]) for r in rows] == [("ana@example.org", "viewer"), ("boss@example.org", "admin")]
    assert all("password_hash" not in r and "session_key" not in r for r in rows)

    result = cli("tokens", "create", "ana@example.org", "--name", "reports")
    assert result.exit_code == 0
    token = result.stdout.strip().splitlines()[-1]
    db = cli.db()
    assert accounts.user_for_token(db, token)["email"] == "ana@example.org"
    token_id = accounts.list_tokens(db)[0]["id"]
    assert "reports" in cli("tokens", "list").output
    assert cli("tokens", "revoke", str(token_id)).exit_code == 0
    assert accounts.user_for_token(db, token) is None
    assert cli("tokens", "revoke", "999").exit_code == 2

    assert cli("users", "disable", "ana@example.org").exit_code == 0
    assert "disabled" in cli("users", "list").output
    assert cli("users", "set-password", "boss@example.org", "--password-stdin",
               input="brand new password\n").exit_code == 0
    assert accounts.authenticate(db, "boss@example.org", "brand new password")["role"] == "admin"
    db.conn.close()
