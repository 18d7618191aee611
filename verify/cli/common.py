"""What the commands share: the argument parser that raises ``UsageError``, value parsers,
the output folder's atomic swap, the signal handling and the progress line.

Nothing heavy is imported at module level: ``verify --help``, ``verify list`` and ``verify
describe`` must not pay for Hypothesis, flint or torch before they need them.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn

from verify.core.errors import UsageError

DEFAULT_OUT = Path("reports/latest")
# The committed baseline, relative to the project's root (as DEFAULT_OUT is).
DEFAULT_BASELINE = "reports/baseline.json"

# Mirrors verify.core.contract.PROFILES and verify.core.numbers.{DEFAULT,MAX}_PRECISION, so that
# building the parser imports neither Hypothesis nor flint; tests/cli checks they agree.
PROFILES = ("quick", "standard", "thorough")
DEFAULT_PRECISION = 64
MAX_PRECISION = 1024

# Hypothesis's seed takes any int; the CLI keeps to what numpy-style seeds and the results'
# JSON readers take without surprise.
MAX_SEED = 2**32 - 1

# A --set value or a check parameter is a short number: the cap keeps Fraction/int parsing of
# a pasted megabyte (or 1e100000) from running before the error is reported.
MAX_NUMBER_CHARS = 100
MAX_POINT_VALUE_CHARS = 100_000
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?(\d+))?")
_RATIO = re.compile(r"[+-]?\d+/\d+")
# Beyond this exponent no finite float (nor its nonzero subnormals) is reachable; checking it
# first keeps Fraction('1e-99999999') from building a hundred-million-digit denominator.
MAX_EXPONENT = 400


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--seed must be an integer in [0, {MAX_SEED}], got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise UsageError(f"--seed must be an integer in [0, {MAX_SEED}], got {text!r}")
    return value


# The old name, kept for callers outside the CLI.
nonnegative_int = seed


def precision_bits(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--precision must be an integer number of bits, got {text!r}") from None
    if not 16 <= value <= MAX_PRECISION:
        raise UsageError(f"--precision must lie in [16, {MAX_PRECISION}] bits, got {value}")
    return value


def parse_rational(text: str, what: str) -> Fraction:
    """A finite rational from '3/2', '1.5', '1e-3' that converts to a finite float.

    NaN, inf, junk, values too long or beyond the float range are a ``UsageError``.
    """
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise UsageError(f"{what}: value is longer than {MAX_NUMBER_CHARS} characters")
    decimal = _DECIMAL.fullmatch(text)
    if not (decimal or _RATIO.fullmatch(text)):
        raise UsageError(f"{what}: {text!r} is not a finite rational number")
    if decimal and decimal.group(4) is not None and int(decimal.group(4)) > MAX_EXPONENT:
        raise UsageError(f"{what}: {text!r} lies outside the float range")
    try:
        value = Fraction(text)
        as_float = float(value)
    except ZeroDivisionError:
        raise UsageError(f"{what}: {text!r} is not a finite rational number") from None
    except OverflowError:
        raise UsageError(f"{what}: {text!r} lies outside the float range") from None
    if not math.isfinite(as_float):
        raise UsageError(f"{what}: {text!r} lies outside the float range")
    return value


def parse_set(assignments: list[str]) -> dict[str, dict[str, Fraction]]:
    """``--set ID.NAME=VALUE`` -> {ID: {NAME: VALUE}}, validated against the registry."""
    from verify.core.registry import get

    overrides: dict[str, dict[str, Fraction]] = {}
    for text in assignments:
        target, sep, value = text.partition("=")
        lemma_id, dot, name = target.rpartition(".")
        if not sep or not dot or not lemma_id or not name or not value:
            raise UsageError(f"--set expects ID.NAME=VALUE (e.g. C.16.prefactor=0.5), got {text!r}")
        lemma = get(lemma_id)
        names = [c.name for c in lemma.constants]
        if name not in names:
            raise UsageError(
                f"--set: lemma {lemma_id} has no constant {name!r} (constants: {', '.join(names)})"
            )
        if name in overrides.get(lemma_id, {}):
            raise UsageError(f"--set: {target} is given twice")
        overrides.setdefault(lemma_id, {})[name] = parse_rational(value, f"--set {target}")
    return overrides


def _check_finite(name: str, value: Any, text: str) -> None:
    """Refuse NaN, infinities and numbers no float holds, inside lists and dicts too."""
    if isinstance(value, list):
        for item in value:
            _check_finite(name, item, text)
    elif isinstance(value, dict):
        for item in value.values():
            _check_finite(name, item, text)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            finite = math.isfinite(float(value))
        except OverflowError:
            finite = False
        if not finite:
            raise UsageError(f"parameter {name} must be finite, got {text!r}")
    elif isinstance(value, str) and value.strip().lower() in {"nan", "inf", "-inf", "+inf"}:
        raise UsageError(f"parameter {name} must be finite, got {text!r}")


def parse_point(assignments: list[str]) -> dict[str, Any]:
    """``name=value`` pairs for ``verify check``; values are JSON (numbers, lists) or strings.

    A name given twice is refused: the last one silently winning would hide a typo.
    """
    params: dict[str, Any] = {}
    for text in assignments:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise UsageError(f"expected name=value, got {text!r}")
        if name in params:
            raise UsageError(f"parameter {name} is given twice")
        if len(value) > MAX_POINT_VALUE_CHARS:
            raise UsageError(
                f"parameter {name}: value is longer than {MAX_POINT_VALUE_CHARS} chars"
            )
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        except ValueError:  # an integer past Python's int-from-string digit limit
            raise UsageError(
                f"parameter {name} must be finite, got a {len(value)}-char number"
            ) from None
        _check_finite(name, parsed, value)
        params[name] = parsed
    return params


# --- Output folder: built beside the target, swapped in at the end ------------------------------


# Written into every output folder that a command replaces as a whole: an existing folder is
# only replaced when it carries it (or holds an output written before it existed).
OUTPUT_MARKER = ".dpsverify-output"
EARLIER_OUTPUTS = ("results.json", "arena.json", "report.md", "index.html")


def refuse_to_replace(out: Path) -> None:
    """Refuse an ``out`` that replacing would destroy something that is not ours: the current
    folder or one of its ancestors (``.``, ``..``, ``/``), or a non-empty folder that holds no
    earlier output of this tool (``--out ~/Documents`` must not delete Documents)."""
    if out.name in ("", ".", ".."):
        raise UsageError(f"--out {out}: name a folder of its own, not '.', '..' or '/'")
    target = out.resolve()
    if target == Path.cwd().resolve() or target in Path.cwd().resolve().parents:
        raise UsageError(f"--out {out}: the current folder or one of its parents")
    if out.is_dir() and any(out.iterdir()):
        ours = (out / OUTPUT_MARKER).exists() or any((out / n).exists() for n in EARLIER_OUTPUTS)
        if not ours:
            raise UsageError(
                f"--out {out}: a non-empty folder that holds no earlier output of verify "
                "(it would be replaced as a whole): name a new or empty folder"
            )


def refuse_bad_out(out: Path, replaces: bool = True) -> None:
    """Refuse, without creating anything, an ``out`` folder that could not be written (or, when
    the command ``replaces`` it as a whole, one that it must not replace)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    if replaces:
        refuse_to_replace(out)
    ancestor = out.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"--out {out}: a parent is a file, not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: cannot write in {ancestor}")


def prepare_out(out: Path) -> Path:
    """Check ``out`` can be written and make the staging folder beside it (same parent, so the
    final rename is atomic). Refuses a file, a path under a file or an unwritable place."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    refuse_to_replace(out)
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"--out {out}: a parent is a file, not a directory") from None
    except NotADirectoryError:
        raise UsageError(f"--out {out}: a parent is a file, not a directory") from None
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot create {parent}: {exc.strerror}") from None
    try:
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write in {parent}: {exc.strerror}") from None


def swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` by ``staging``: old one renamed away, new one renamed in, old deleted."""
    if not out.exists():
        staging.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=staging.parent))
    old.rmdir()  # mkdtemp reserved a unique name; rename needs it free
    out.rename(old)
    try:
        staging.rename(out)
    except BaseException:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """Yield a staging folder; on success swap it in as ``out``, on any exit (an error, SIGINT,
    SIGTERM) remove it and leave ``out`` as it was."""
    staging = prepare_out(out)
    try:
        yield staging
        (staging / OUTPUT_MARKER).write_text("written by dpsverify's verify\n", encoding="utf-8")
        swap_in(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


# --- Signals ------------------------------------------------------------------------------------


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same cleanup (``finally`` blocks) runs."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def install_sigterm_handler() -> None:
    signal.signal(signal.SIGTERM, _raise_terminated)


def quiet_stdout() -> None:
    """After a closed pipe: point stdout at devnull so the interpreter's last flush is silent."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


# --- Progress -----------------------------------------------------------------------------------


class Progress:
    """One status line per lemma, ``[k/N] id ... (elapsed s)``: redrawn in place on a terminal,
    throttled lines otherwise."""

    def __init__(self, stream=None, interval: float = 5.0, total: int = 0) -> None:
        self.stream = sys.stderr if stream is None else stream  # read now: tests replace it
        self.tty = self.stream.isatty()
        self.interval = interval
        self.last = 0.0
        self.total = total
        self.index = 0
        self.started = time.monotonic()

    def start(self, index: int) -> None:
        """The ``index``-th lemma (from 1) of ``total`` begins."""
        self.index = index

    def _prefix(self) -> str:
        return f"[{self.index}/{self.total}] " if self.total else ""

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.1f} s elapsed"

    def __call__(self, run) -> None:
        now = time.monotonic()
        if not self.tty and now - self.last < self.interval:
            return
        self.last = now
        ratios = [e.ratio for e in run.evaluations if e.ratio is not None]
        worst = f" worst lhs/rhs {max(ratios):.6g}" if ratios else ""
        text = (
            f"{self._prefix()}{run.lemma.id}: {len(run.evaluations)} examples{worst}"
            f" ({self._elapsed()})"
        )
        if self.tty:
            self.stream.write("\r\033[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self, line: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(f"{self._prefix()}{line} [{self._elapsed()}]\n")
        self.stream.flush()


class _DeferredModule(types.ModuleType):
    """Stands in for a module until an attribute is first read, then imports it and forwards.

    (``importlib.util.LazyLoader`` loads on the ``__spec__`` check of a second ``import`` in
    Python 3.11, so it does not defer anything here.)"""

    def __getattr__(self, name: str):
        name_of_module = self.__name__
        if sys.modules.get(name_of_module) is self:
            del sys.modules[name_of_module]
        real = importlib.import_module(name_of_module)
        self.__dict__.update(real.__dict__)
        return getattr(real, name)


def defer_torch() -> None:
    """Make ``import torch`` lazy in this process: importing torch is most of the time that
    ``verify list`` or a command refusing bad input would otherwise take; a command that
    computes with torch loads it on first use. For the ``verify`` command (``console_main``,
    ``python -m verify``) and ``verify list`` only (a test process that imported this module
    keeps its eager torch)."""
    if "torch" not in sys.modules and importlib.util.find_spec("torch") is not None:
        sys.modules["torch"] = _DeferredModule("torch")


# --- Options shared by the commands that run lemmas ---------------------------------------------


def positive_jobs(text: str) -> int:
    """``--jobs``: a positive integer (UsageError otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--jobs must be a positive integer, not {text!r}") from None
    if value < 1:
        raise UsageError(f"--jobs must be a positive integer, not {text!r}")
    return value


# The transports dask.distributed's Client accepts (distributed.comm.registry).
SCHEDULER_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


def scheduler_address(text: str) -> str:
    """``--scheduler``: 'local', or SCHEME://HOST:PORT / HOST:PORT (UsageError otherwise), checked
    before any computing; a well-formed address nobody answers at fails later, in one line too."""
    if text == "local":
        return text
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    host, colon, port = rest.rpartition(":")
    if scheme not in SCHEDULER_SCHEMES or not colon or not host or not port.isdigit():
        raise UsageError(
            f"--scheduler must be 'local' or an address such as tcp://host:8786, not {text!r}"
        )
    if not 0 < int(port) < 65536:
        raise UsageError(f"--scheduler port must lie in [1, 65535], not {port}")
    return text


def add_search_options(parser: argparse.ArgumentParser) -> None:
    """``--profile`` and ``--seed``, as ``run`` and ``mutate`` take them."""
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default="quick",
        help="searched examples per lemma: quick, standard or thorough (default: quick)",
    )
    parser.add_argument(
        "--seed",
        type=seed,
        default=0,
        help=f"seed of the Hypothesis search, an integer in [0, {MAX_SEED}] (default: 0)",
    )


def add_parallel_options(parser: argparse.ArgumentParser, what: str) -> None:
    """``--jobs`` and ``--scheduler`` (verify.core.schedule): results identical for every N."""
    parser.add_argument(
        "--jobs",
        type=positive_jobs,
        default=None,
        metavar="N",
        help=f"worker processes for {what} (or Dask workers with --scheduler local); "
        "default: all cores",
    )
    parser.add_argument(
        "--scheduler",
        type=scheduler_address,
        default=None,
        metavar="ADDRESS",
        help=f"run {what} on a Dask cluster at ADDRESS (e.g. tcp://host:8786), or 'local' to "
        "start a LocalCluster of --jobs workers; results are identical to --jobs 1",
    )
