"""verify regress: compare a run against a baseline."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from verify.core.errors import UsageError


def add_parser(sub) -> None:
    parser = sub.add_parser("regress", help="compare a run against a baseline")
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--rtol", type=float, default=None)
    parser.add_argument(
        "--update",
        action="store_true",
        help="after showing the differences, write the run as the new baseline (exit 0)",
    )


def run(args: argparse.Namespace) -> int:
    from verify.core import results
    from verify.core.regress import DEFAULT_RTOL, compare

    rtol = DEFAULT_RTOL if args.rtol is None else args.rtol
    if not (math.isfinite(rtol) and rtol >= 0):
        raise UsageError(f"--rtol must be a finite non-negative number, got {args.rtol}")
    run = results.load(args.results)
    if args.update:
        baseline = results.load(args.baseline) if args.baseline.exists() else {"lemmas": []}
        for line in compare(baseline, run, rtol):
            print(f"  - {line}")
        results.write(results.baseline_form(run), args.baseline)
        print(f"updated {args.baseline} from {args.results}")
        return 0
    problems = compare(results.load(args.baseline), run, rtol)
    if problems:
        print(f"{len(problems)} regression(s) against {args.baseline}:")
        for line in problems:
            print(f"  - {line}")
        return 1
    print(f"no regression against {args.baseline}")
    return 0
