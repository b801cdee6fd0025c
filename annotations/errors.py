"""The one error type for everything a user can cause.

The CLI prints a ``BienphongError`` as one line and exits 2; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations


class BienphongError(Exception):
    """A failure the user can fix: a missing or corrupt model, a bad config, a server problem."""


class InputError(BienphongError, ValueError):
    """Bad input data: the message names the file, line, task or key."""
