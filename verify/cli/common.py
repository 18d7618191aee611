"""What the commands share: the argument parser that raises ``UsageError``, value parsers,
and the progress line."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn

from verify.core.errors import UsageError
from verify.core.numbers import MAX_PRECISION

DEFAULT_OUT = Path("reports/latest")


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--seed must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {text!r}")
    return value


def precision_bits(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--precision must be an integer number of bits, got {text!r}") from None
    if not 16 <= value <= MAX_PRECISION:
        raise UsageError(f"--precision must lie in [16, {MAX_PRECISION}] bits, got {value}")
    return value


def parse_rational(text: str, what: str) -> Fraction:
    """A finite rational from '3/2', '1.5', '1e-3'; NaN, inf and junk are a UsageError."""
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"{what}: {text!r} is not a finite rational number") from None
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
        overrides.setdefault(lemma_id, {})[name] = parse_rational(value, f"--set {target}")
    return overrides


def parse_point(assignments: list[str]) -> dict[str, Any]:
    """``name=value`` pairs for ``verify check``; values are JSON (numbers, lists) or strings."""
    params: dict[str, Any] = {}
    for text in assignments:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise UsageError(f"expected name=value, got {text!r}")
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        if isinstance(parsed, float) and not math.isfinite(parsed):
            raise UsageError(f"parameter {name} must be finite, got {value!r}")
        if isinstance(parsed, str) and parsed.strip().lower() in {"nan", "inf", "-inf", "+inf"}:
            raise UsageError(f"parameter {name} must be finite, got {value!r}")
        params[name] = parsed
    return params


class Progress:
    """One status line per lemma: redrawn in place on a terminal, throttled lines otherwise."""

    def __init__(self, stream=sys.stderr, interval: float = 5.0) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.interval = interval
        self.last = 0.0

    def __call__(self, run) -> None:
        now = time.monotonic()
        if not self.tty and now - self.last < self.interval:
            return
        self.last = now
        ratios = [e.ratio for e in run.evaluations if e.ratio is not None]
        worst = f" worst lhs/rhs {max(ratios):.6g}" if ratios else ""
        text = f"{run.lemma.id}: {len(run.evaluations)} examples{worst}"
        if self.tty:
            self.stream.write("\r\033[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self, line: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(line + "\n")
        self.stream.flush()
