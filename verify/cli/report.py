"""verify report: render a saved results.json (or a records-free baseline) as HTML and Markdown,
plots drawn from its records."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "report", help="render a saved results.json (or a baseline) as HTML and Markdown"
    )
    parser.add_argument(
        "--results",
        type=Path,
        required=True,
        help="a results.json written by 'verify run', or a baseline (no plots: it has no records)",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="folder for index.html, report.md and the plots"
    )


def run(args: argparse.Namespace) -> int:
    from verify.cli.common import refuse_bad_out, staged_output
    from verify.core import results
    from verify.core.errors import UsageError
    from verify.core.schedule import default_jobs
    from verify.report import render

    refuse_bad_out(args.out)
    try:
        doc = results.load(args.results)
    except UsageError as as_results:
        # A baseline is a results document without per-example records: render it too.
        try:
            doc = results.load(args.results, "baseline")
        except UsageError:
            raise as_results from None
    with staged_output(args.out) as staging:
        render(doc, staging, jobs=default_jobs())
    print(f"wrote {args.out / 'index.html'} and {args.out / 'report.md'}")
    return 0
