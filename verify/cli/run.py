"""verify run: check lemmas and write results.json, report.md and the HTML report."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from verify.cli.common import (
    DEFAULT_OUT,
    Progress,
    nonnegative_int,
    parse_set,
    precision_bits,
)
from verify.core.contract import PROFILES
from verify.core.numbers import DEFAULT_PRECISION


def add_parser(sub) -> None:
    parser = sub.add_parser("run", help="check lemmas and write results.json and report.md")
    parser.add_argument("ids", nargs="*", metavar="ID")
    parser.add_argument("--profile", choices=PROFILES, default="quick")
    parser.add_argument("--seed", type=nonnegative_int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="ID.NAME=VALUE")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--precision", type=precision_bits, default=DEFAULT_PRECISION)
    parser.add_argument("--no-html", action="store_true", help="skip the HTML report")


def _write_reports(doc: dict[str, Any], out: Path, html: bool) -> None:
    from verify.core import results
    from verify.report import render

    results.write(doc, out / "results.json")
    render(doc, out, html=html)


def run(args: argparse.Namespace) -> int:
    from verify.core import results
    from verify.core.registry import all_lemmas, get
    from verify.core.runner import run_lemma

    overrides = parse_set(args.set)
    chosen = [get(i) for i in dict.fromkeys(args.ids)] if args.ids else list(all_lemmas().values())
    started = time.perf_counter()
    progress = Progress()
    runs = []
    for lemma in chosen:
        run = run_lemma(
            lemma,
            profile=args.profile,
            seed=args.seed,
            constants=overrides.get(lemma.id),
            bits=args.precision,
            progress=progress,
        )
        runs.append(run)
        counts = {k: v for k, v in results.lemma_json(run)["verdicts"].items() if v}
        summary = ", ".join(f"{v} {k}" for k, v in counts.items()) or "no examples"
        progress.done(f"{lemma.id}: {summary} ({run.seconds:.1f} s)")
    meta = {
        "seed": args.seed,
        "profile": args.profile,
        "precision": args.precision,
        "ids": [lemma.id for lemma in chosen],
        "overrides": {k: {n: str(v) for n, v in c.items()} for k, c in overrides.items()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "wall_seconds": round(time.perf_counter() - started, 3),
    }
    doc = results.document(runs, meta)
    _write_reports(doc, args.out, html=not args.no_html)
    bad = [lemma["id"] for lemma in doc["lemmas"] if lemma["verdict"] in ("refuted", "error")]
    print(f"wrote {args.out / 'results.json'} and {args.out / 'report.md'}")
    if bad:
        print(f"REFUTED or ERROR: {', '.join(bad)}")
        return 1
    return 0
