"""Errors that tell the user which file, which field and what was expected."""
from __future__ import annotations


class N2SError(Exception):
    """Base class of the package's user-facing errors."""


class InputError(N2SError, ValueError):
    """Bad input: names the file (or object), the field and what was expected.

    >>> str(InputError("rec.h5", "high_gamma", "a (T, E) float array", "shape (10,)"))
    "rec.h5: field 'high_gamma': expected a (T, E) float array, got shape (10,)"
    """

    def __init__(self, source, field: str, expected: str, got: str | None = None):
        self.source, self.field, self.expected, self.got = str(source), field, expected, got
        message = f"{self.source}: field {field!r}: expected {expected}"
        if got is not None:
            message += f", got {got}"
        super().__init__(message)


class CorpusNotFound(N2SError, FileNotFoundError):
    """A speech corpus is missing; the message says how to get it."""
