"""verify run: check lemmas and write results.json, report.md and the HTML report.

The output is built in a staging folder beside ``--out`` and swapped in only at the end, so an
interrupted run (Ctrl-C, SIGTERM, an error) leaves the previous output as it was.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from verify.cli.common import (
    DEFAULT_OUT,
    DEFAULT_PRECISION,
    MAX_SEED,
    PROFILES,
    Progress,
    install_sigterm_handler,
    parse_set,
    precision_bits,
    seed,
    staged_output,
)
from verify.core.errors import UsageError


def add_parser(sub) -> None:
    parser = sub.add_parser("run", help="check lemmas and write results.json and report.md")
    parser.add_argument("ids", nargs="*", metavar="ID", help="lemma ids to check (default: all)")
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default="quick",
        help="searched examples per lemma: quick, standard or thorough (default: quick)",
    )
    parser.add_argument(
        "--seed",
        type=seed,
        default=0,
        help=f"seed of the Hypothesis search, an integer in [0, {MAX_SEED}] (default: 0)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="ID.NAME=VALUE",
        help="run a lemma of this run with a constant changed (repeatable; a finite rational)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"output folder, replaced only when the run completes (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--precision",
        type=precision_bits,
        default=DEFAULT_PRECISION,
        help=f"starting working precision in bits (default: {DEFAULT_PRECISION})",
    )
    parser.add_argument("--no-html", action="store_true", help="skip the HTML report")


def _write_reports(doc: dict[str, Any], out: Path, html: bool) -> None:
    from verify.core import results
    from verify.report import render

    results.write(doc, out / "results.json")
    render(doc, out, html=html)


def _chosen(args: argparse.Namespace, overrides: dict[str, Any]) -> list:
    from verify.core.registry import all_lemmas, get

    chosen = [get(i) for i in dict.fromkeys(args.ids)] if args.ids else list(all_lemmas().values())
    ids = {lemma.id for lemma in chosen}
    outside = [lemma_id for lemma_id in overrides if lemma_id not in ids]
    if outside:
        raise UsageError(f"--set names lemma {outside[0]}, which is not in this run")
    return chosen


def run(args: argparse.Namespace) -> int:
    # Every input is checked before any computing: constants, ids, then the output folder.
    overrides = parse_set(args.set)
    chosen = _chosen(args, overrides)
    install_sigterm_handler()
    with staged_output(args.out) as staging:
        doc = _run_into(args, chosen, overrides, staging)
    bad = [lemma["id"] for lemma in doc["lemmas"] if lemma["verdict"] in ("refuted", "error")]
    print(f"wrote {args.out / 'results.json'} and {args.out / 'report.md'}")
    if bad:
        print(f"REFUTED or ERROR: {', '.join(bad)}")
        return 1
    return 0


def _run_into(
    args: argparse.Namespace,
    chosen: list,
    overrides: dict[str, Any],
    staging: Path,
) -> dict[str, Any]:
    from verify.core import results
    from verify.core.runner import run_lemma

    started = time.perf_counter()
    progress = Progress(total=len(chosen))
    runs = []
    for index, lemma in enumerate(chosen, start=1):
        progress.start(index)
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
    _write_reports(doc, staging, html=not args.no_html)
    return doc
