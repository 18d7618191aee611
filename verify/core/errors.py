"""Errors that the CLI turns into one clear line (``verify: error: ...``) and exit code 2."""


class VerifyError(Exception):
    """Base class: bad usage or bad input, reported as one line, exit 2, before any computing."""


class UsageError(VerifyError):
    """The command line is malformed (unknown lemma, malformed --set, bad profile, bad --out)."""


class DomainError(VerifyError):
    """A parameter lies outside the lemma's domain (sigma <= 0, NaN, eps >= 1, ...)."""


class SchedulerUnreachable(VerifyError):
    """``--scheduler ADDRESS``: no Dask scheduler answers there (checked before any work runs)."""


class WorkerDied(Exception):
    """A worker process of ``--jobs`` was killed from outside (e.g. by the system for memory):
    not bad input, so the CLI reports it in one line with exit 1, not 2."""
