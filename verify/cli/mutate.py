"""verify mutate: the soundness harness."""

from __future__ import annotations

import argparse
from pathlib import Path

from verify.cli.common import (
    nonnegative_int,
)
from verify.core.contract import PROFILES


def add_parser(sub) -> None:
    parser = sub.add_parser("mutate", help="soundness harness: every constant past its worst case")
    parser.add_argument("ids", nargs="*", metavar="ID")
    parser.add_argument("--profile", choices=PROFILES, default="quick")
    parser.add_argument("--seed", type=nonnegative_int, default=0)
    parser.add_argument("--out", type=Path, default=None)


def run(args: argparse.Namespace) -> int:
    from verify.core.mutate import mutate
    from verify.core.registry import get

    for lemma_id in args.ids:
        get(lemma_id)
    summary = mutate(args.ids, profile=args.profile, seed=args.seed, out=args.out)
    return 0 if summary["caught"] == summary["total"] else 1
