"""verify report: render a saved results.json as HTML and Markdown."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    parser = sub.add_parser("report", help="render a saved results.json as HTML and Markdown")
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)


def run(args: argparse.Namespace) -> int:
    from verify.core import results
    from verify.report import markdown as report_md
    from verify.report.html import write_html

    doc = results.load(args.results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text(report_md.render(doc))
    index = write_html(doc, args.out, plots_dir=args.results.parent)
    print(f"wrote {index}")
    return 0
