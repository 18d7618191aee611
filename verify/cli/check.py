"""verify check: one lemma at one parameter point."""

from __future__ import annotations

import argparse
import json

from verify.cli.common import (
    parse_point,
    parse_set,
    precision_bits,
)
from verify.core.numbers import DEFAULT_PRECISION


def add_parser(sub) -> None:
    parser = sub.add_parser("check", help="check one lemma at one parameter point")
    parser.add_argument("id", metavar="ID")
    parser.add_argument("point", nargs="*", metavar="NAME=VALUE")
    parser.add_argument("--set", action="append", default=[], metavar="ID.NAME=VALUE")
    parser.add_argument("--precision", type=precision_bits, default=DEFAULT_PRECISION)


def run(args: argparse.Namespace) -> int:
    from verify.core.registry import get
    from verify.core.runner import evaluate

    lemma = get(args.id)
    overrides = parse_set(args.set).get(lemma.id, {})
    constants = {**lemma.stated_constants(), **overrides}
    params = parse_point(args.point)
    evaluation = evaluate(lemma, params, constants, args.precision, user_input=True)
    print(json.dumps(evaluation.to_json(), indent=1))
    return 1 if evaluation.verdict.value in ("refuted", "error") else 0
