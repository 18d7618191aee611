"""Errors that the CLI turns into one clear line and exit code 2."""


class VerifyError(Exception):
    """Base class: bad usage or bad input, reported as one line, exit 2."""


class UsageError(VerifyError):
    """The command line is malformed (unknown lemma, malformed --set, bad profile)."""


class DomainError(VerifyError):
    """A parameter lies outside the lemma's domain (sigma <= 0, NaN, eps >= 1, ...)."""
