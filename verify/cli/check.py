"""verify check: one lemma at one parameter point."""

from __future__ import annotations

import argparse
import json

from verify.cli.common import DEFAULT_PRECISION, parse_point, parse_set, precision_bits
from verify.core.errors import UsageError


def add_parser(sub) -> None:
    parser = sub.add_parser("check", help="check one lemma at one parameter point")
    parser.add_argument("id", metavar="ID", help="the lemma's id (see 'verify list')")
    parser.add_argument(
        "point",
        nargs="*",
        metavar="NAME=VALUE",
        help="the parameters, each once; values are JSON numbers or lists (see 'verify describe')",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="ID.NAME=VALUE",
        help="check with a constant of this lemma changed (repeatable; a finite rational)",
    )
    parser.add_argument(
        "--precision",
        type=precision_bits,
        default=DEFAULT_PRECISION,
        help=f"starting working precision in bits (default: {DEFAULT_PRECISION})",
    )


def example_names(lemma) -> list[str]:
    """The parameter names a lemma's examples use, in first-seen order."""
    return list(dict.fromkeys(name for example in lemma.examples for name in example))


def refuse_unknown_names(lemma, params: dict) -> None:
    """A lemma still declaring its domain as a string cannot name its parameters, so compare
    against the names its examples use (a ``Domain`` refuses unknown names itself)."""
    from verify.core.domain import Domain

    if isinstance(lemma.domain, Domain) or not lemma.examples:
        return
    known = example_names(lemma)
    unknown = [name for name in params if name not in known]
    if unknown:
        raise UsageError(f"unknown parameter {unknown[0]!r} (parameters: {', '.join(known)})")


def run(args: argparse.Namespace) -> int:
    from verify.core.registry import get
    from verify.core.runner import evaluate

    lemma = get(args.id)
    params = parse_point(args.point)
    overrides = parse_set(args.set)
    outside = [lemma_id for lemma_id in overrides if lemma_id != lemma.id]
    if outside:
        raise UsageError(f"--set names lemma {outside[0]}, which is not the one checked")
    refuse_unknown_names(lemma, params)
    constants = {**lemma.stated_constants(), **overrides.get(lemma.id, {})}
    evaluation = evaluate(lemma, params, constants, args.precision, user_input=True)
    print(json.dumps(evaluation.to_json(), indent=1))
    return 1 if evaluation.verdict.value in ("refuted", "error") else 0
