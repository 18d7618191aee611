"""verify report: render a saved results.json as HTML and Markdown, plots drawn from its records."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    parser = sub.add_parser("report", help="render a saved results.json as HTML and Markdown")
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)


def run(args: argparse.Namespace) -> int:
    from verify.core import results
    from verify.report import render

    doc = results.load(args.results)
    render(doc, args.out)
    print(f"wrote {args.out / 'index.html'} and {args.out / 'report.md'}")
    return 0
