"""One error model for the domain, the web pages, the JSON API and the CLI.

Domain functions raise these; the web layer has one handler that turns them into a page or a JSON
body (404, 422, 409) and the CLI has one wrapper that turns them into a one-line message and a
non-zero exit. Messages are written for the people who read them, not for programmers.
"""


class FoiaError(Exception):
    """Base class: ``str(error)`` is the message shown to the user."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(FoiaError, LookupError):
    """Something asked for by id or name does not exist (or the viewer may not see it)."""

    status = 404


class Invalid(FoiaError, ValueError):
    """Input that cannot be accepted. ``field`` names the form field it belongs to ("" for the form).

    Several problems found at once travel together: ``Invalid.many({"name": "...", "state": "..."})``;
    ``errors`` always maps each field to its message, so a form can show all of them beside their fields.
    """

    status = 422

    def __init__(self, field: str, message: str | None = None, *, errors: dict[str, str] | None = None):
        if message is None and errors is None:
            # Invalid("message") alone: a problem with the whole input rather than one field.
            field, message = "", field
        self.errors: dict[str, str] = dict(errors) if errors else {field: message}
        self.field = field if not errors else next(iter(self.errors), "")
        super().__init__(message if message is not None else " ".join(self.errors.values()))

    @classmethod
    def many(cls, errors: dict[str, str]) -> "Invalid":
        return cls("", errors=errors)


class Conflict(FoiaError):
    """The request is valid but clashes with what is stored (a duplicate, a state that forbids it)."""

    status = 409


def check(errors: dict[str, str]) -> None:
    """Raise :class:`Invalid` carrying every problem in ``errors`` at once; do nothing if it is empty."""
    if errors:
        raise Invalid.many(errors)
