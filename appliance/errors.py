"""Errors a person can meet, carried from the domain to the edge in one shape.

Domain code raises `UserError(code, message)` with a message that is already translatable
(lazy gettext); the web layer turns it into an HTML flash or a JSON error with the right HTTP
status, and the CLI prints it without a traceback.
"""


class UserError(Exception):
    """Something the user can fix: bad input, a locked account, an expired token."""

    status = 400

    def __init__(self, code, message, status=None, **details):
        super().__init__(str(message))
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.details = details


class NotFound(UserError):
    status = 404


class Forbidden(UserError):
    status = 403


class Conflict(UserError):
    status = 409


class StoreError(Exception):
    """The store cannot be used: wrong key, damaged file, unwritable folder. Names the file."""
