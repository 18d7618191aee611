"""verify regress: compare a run against a baseline."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from verify.core.errors import UsageError


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "regress",
        help="compare a run against a baseline",
        description="Compare the lemmas a run contains against the baseline; lemmas the run "
        "does not contain are listed as not run.",
    )
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--rtol", type=float, default=None)
    parser.add_argument(
        "--require-all",
        action="store_true",
        help="a baseline lemma missing from the run is a regression (the strict check)",
    )
    parser.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="compare even when the run's profile, seed or precision differ from the baseline's",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="after showing the differences, merge the run's lemmas into the baseline, keeping "
        "the others (exit 0)",
    )


class Stdout:
    """Lines to stdout that stop quietly when the reader goes away (``verify regress | head -1``).

    On a closed pipe the rest of the output is dropped, stdout is pointed at /dev/null (so the
    interpreter's final flush cannot fail again) and the command still finishes its work (an
    ``--update`` is still written) and returns its exit status: nothing else is caught.
    """

    def __init__(self) -> None:
        self.closed = False

    def __call__(self, text: str = "") -> None:
        if self.closed:
            return
        try:
            print(text, flush=True)
        except BrokenPipeError:
            self.closed = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)

    def lines(self, head: str, lines: list[str]) -> None:
        self(head)
        for line in lines:
            self(f"  - {line}")


def run(args: argparse.Namespace) -> int:
    from verify.core import results
    from verify.core.regress import DEFAULT_RTOL, compare, merge, meta_mismatches, not_run

    rtol = DEFAULT_RTOL if args.rtol is None else args.rtol
    if not (math.isfinite(rtol) and rtol >= 0):
        raise UsageError(f"--rtol must be a finite non-negative number, got {args.rtol}")
    run = results.load(args.results)
    if args.update and not args.baseline.exists():
        baseline = {"schema": results.SCHEMA, "meta": {}, "lemmas": []}
    else:
        baseline = results.load(args.baseline, "baseline")
    say = Stdout()
    mismatches = meta_mismatches(baseline, run) if baseline["lemmas"] else []
    if mismatches and not args.allow_mismatch:
        raise UsageError(
            f"{args.results} is not comparable with {args.baseline}: {'; '.join(mismatches)} "
            "(rerun with the baseline's settings, or pass --allow-mismatch)"
        )
    problems = compare(baseline, run, rtol, require_all=args.require_all)
    skipped = [] if args.require_all else not_run(baseline, run)
    if args.update:
        from verify.core.registry import lemma_titles

        if problems:
            say.lines(f"{len(problems)} difference(s) against {args.baseline}:", problems)
        # the registry's order from the declarations, without importing a lemma module
        merged, changes = merge(baseline, run, order=list(lemma_titles()))
        results.write(merged, args.baseline)
        say.lines(f"updated {args.baseline} from {args.results}:", changes)
        if skipped:
            say(f"kept {len(skipped)} lemma(s) not in this run unchanged: {', '.join(skipped)}")
        return 0
    if mismatches:
        say(f"warning: settings differ ({'; '.join(mismatches)}); compared anyway")
    if problems:
        say.lines(f"{len(problems)} regression(s) against {args.baseline}:", problems)
    else:
        compared = len(baseline["lemmas"]) - len(skipped)
        say(f"no regression against {args.baseline} ({compared} lemma(s) compared)")
    if skipped:
        say(f"not run ({len(skipped)}, not compared): {', '.join(skipped)}")
    return 1 if problems else 0
