"""Accounts and backups: ``foia users ...``, ``foia tokens ...``, ``foia backup``, ``foia restore``."""
import sys

import click

from .. import accounts
from .. import backup as backup_module
from .. import config
from . import echo_json, fail, main, pass_instance, with_db

ROLE = click.Choice(accounts.ROLES)


def _user(db, email):
    user = accounts.by_email(db, email)
    if user is None:
        fail(f"No user with the email {email}.", code=2)
    return user


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@main.group("users")
def users_group():
    """Accounts that can sign in (roles: admin, member, viewer)."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", type=ROLE, required=True, help="admin: users and settings; member: create and "
              "edit; viewer: read only.")
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin "
              "instead of prompting.")
@with_db
def users_create(db, email, role, name, password_stdin):
    """Create a user; the password is asked for twice (or read from stdin)."""
    password = _read_password(password_stdin)
    user_id = accounts.create_user(db, email, password, role, name=name)
    click.echo(f"Created user {user_id}: {accounts.get(db, user_id)['email']} ({role})")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_db
def users_list(db, as_json):
    """List users with their role and state."""
    rows = accounts.list_users(db)
    for row in rows:
        row.pop("session_key", None)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No users yet: create one with `foia users create EMAIL --role admin`.")
    for row in rows:
        state = f"disabled {row['disabled_at']}" if row["disabled_at"] else "active"
        click.echo(f"{row['id']:4} {row['email']:40} {row['role']:7} {state:28} {row['name']}")


@users_group.command("set-role")
@click.argument("email")
@click.argument("role", type=ROLE)
@with_db
def users_set_role(db, email, role):
    """Change a user's role (their sessions end)."""
    user = _user(db, email)
    accounts.set_role(db, user["id"], role)
    click.echo(f"{user['email']} is now {role}.")


@users_group.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of stdin.")
@with_db
def users_set_password(db, email, password_stdin):
    """Set a user's password (their sessions end)."""
    user = _user(db, email)
    accounts.set_password(db, user["id"], _read_password(password_stdin))
    click.echo(f"Password changed for {user['email']}.")


@users_group.command("disable")
@click.argument("email")
@with_db
def users_disable(db, email):
    """Disable an account: it can no longer sign in or use its API tokens (nothing is deleted)."""
    user = _user(db, email)
    accounts.disable(db, user["id"])
    click.echo(f"{user['email']} is disabled.")


@users_group.command("enable")
@click.argument("email")
@with_db
def users_enable(db, email):
    """Enable a disabled account again."""
    user = _user(db, email)
    accounts.enable(db, user["id"])
    click.echo(f"{user['email']} is enabled.")


@users_group.command("unlock")
@click.argument("email")
@with_db
def users_unlock(db, email):
    """Clear an account's failed sign-ins so its owner can try again at once."""
    accounts.unlock(db, email)
    click.echo(f"{email.strip().lower()} can sign in again.")


@main.group("tokens")
def tokens_group():
    """API tokens for scripts (sent as "Authorization: Bearer <token>")."""


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for (shown in lists).")
@with_db
def tokens_create(db, email, name):
    """Create an API token for a user and print it (it is shown only this once)."""
    user = _user(db, email)
    token_id, token = accounts.create_token(db, user["id"], name)
    click.echo(f"Token {token_id} for {user['email']} ({user['role']}). Store it now; it is not shown again:",
               err=True)
    click.echo(token)


@tokens_group.command("list")
@click.argument("email", required=False)
@with_db
def tokens_list(db, email):
    """List API tokens (all, or one user's); the tokens themselves are never stored."""
    user_id = _user(db, email)["id"] if email else None
    for row in accounts.list_tokens(db, user_id):
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else f"last used {row['last_used_at'] or 'never'}"
        click.echo(f"{row['id']:4} {row['email']:40} {row['name'][:30]:30} {state}")


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@with_db
def tokens_revoke(db, token_id):
    """Revoke an API token by its id (see `foia tokens list`)."""
    accounts.revoke_token(db, token_id)
    click.echo(f"Token {token_id} revoked.")


@main.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@pass_instance
def backup_command(instance, out):
    """Write a backup (.tar.gz) of the database, stored files and letters; safe while the app runs."""
    config = instance.config
    summary = backup_module.backup(config["DATABASE"], config["FILES_DIR"], config["LETTERS_DIR"], out,
                                   now=instance.now())
    click.echo(f"Backup written: {summary.path} ({summary.members} files, {summary.bytes} bytes)")


@main.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(archive, yes):
    """Replace this instance's data with a backup, after checking every hash in it.

    Stop the web app and the scheduler first. The replaced instance folder is kept beside it.
    """
    folder = config.instance_path()  # not Instance(): that would create the folder before we may
    if not yes:
        click.confirm(f"Replace the database, files and letters in {folder} with {archive}?", abort=True)
    try:
        summary = backup_module.restore(archive, folder)
    except backup_module.BackupError as e:
        fail(f"Nothing was changed: {e}")
    click.echo(f"Restored {summary.members} files into {summary.path}.")
    if summary.previous:
        click.echo(f"The previous data is kept in {summary.previous} (delete it when satisfied).")

