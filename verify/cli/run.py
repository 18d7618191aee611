"""verify run: check lemmas and write results.json, report.md and the HTML report.

The output is built in a staging folder beside ``--out`` and swapped in only at the end, so an
interrupted run (Ctrl-C, SIGTERM, an error) leaves the previous output as it was.
"""

from __future__ import annotations

import argparse
import time
from functools import partial
from pathlib import Path
from typing import Any

from verify.cli.common import (
    DEFAULT_BASELINE,
    DEFAULT_OUT,
    DEFAULT_PRECISION,
    Progress,
    add_parallel_options,
    add_search_options,
    install_sigterm_handler,
    parse_set,
    precision_bits,
    staged_output,
)
from verify.core.errors import UsageError


def add_parser(sub) -> None:
    parser = sub.add_parser("run", help="check lemmas and write results.json and report.md")
    parser.add_argument("ids", nargs="*", metavar="ID", help="lemma ids to check (default: all)")
    add_search_options(parser)
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
    parser.add_argument(
        "--no-plots",
        action="store_true",
        help="skip the figures (the reports say so; 'verify report' draws them later)",
    )
    add_parallel_options(parser, "the lemmas")


def _write_reports(
    doc: dict[str, Any], out: Path, html: bool, jobs: int, plots: bool = True
) -> None:
    from verify.core import results
    from verify.report import render

    results.write(doc, out / "results.json")
    render(doc, out, html=html, jobs=jobs, plots=plots)


def _prepare_reports(plots: bool, html: bool) -> None:
    """The imports the reports need (matplotlib alone is about half a second), done while the
    workers compute the lemmas rather than after them."""
    import importlib

    importlib.import_module("verify.report.markdown")
    if plots:
        from verify.core.plotting import pyplot

        pyplot()
    if html:
        importlib.import_module("verify.report.html")


def _chosen(args: argparse.Namespace, overrides: dict[str, Any]) -> list:
    from verify.core.registry import all_lemmas, get

    chosen = [get(i) for i in dict.fromkeys(args.ids)] if args.ids else list(all_lemmas().values())
    ids = {lemma.id for lemma in chosen}
    outside = [lemma_id for lemma_id in overrides if lemma_id not in ids]
    if outside:
        raise UsageError(f"--set names lemma {outside[0]}, which is not in this run")
    return chosen


def _earlier_seconds(out: Path, profile: str) -> dict[str, float]:
    """Each lemma's seconds in the last run written to ``out``, else in the committed baseline
    (``DEFAULT_BASELINE``, when run from the project's root): only the order in which workers
    start the shards depends on it, never a result."""
    from verify.core import results

    return results.lemma_seconds(out / "results.json", profile) or results.lemma_seconds(
        DEFAULT_BASELINE, profile
    )


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
    from verify.core.schedule import default_jobs, plan, run_lemmas

    started = time.perf_counter()
    jobs = args.jobs if args.jobs is not None else default_jobs()
    total = sum(len(plan(lemma, args.profile, args.seed)) for lemma in chosen)
    progress = Progress(total=total)
    finished = 0

    def shard_done(lemma_id: str, done: int, shards: int, elapsed: float) -> None:
        # Shards complete in whatever order the workers finish them; the count is global.
        nonlocal finished
        finished += 1
        progress.start(finished)
        progress.done(f"{lemma_id} (shard {done}/{shards}, {elapsed:.1f} s)")

    runs = run_lemmas(
        chosen,
        profile=args.profile,
        seed=args.seed,
        overrides=overrides,
        bits=args.precision,
        jobs=jobs,
        scheduler=args.scheduler,
        progress=shard_done,
        estimated_seconds=_earlier_seconds(args.out, args.profile),
        while_waiting=partial(_prepare_reports, plots=not args.no_plots, html=not args.no_html),
    )
    progress.total = 0  # the per-lemma summaries that follow are not shards: no [k/N]
    for run in runs:
        counts = {k: v for k, v in results.lemma_json(run)["verdicts"].items() if v}
        summary = ", ".join(f"{v} {k}" for k, v in counts.items()) or "no examples"
        progress.done(f"{run.lemma.id}: {summary} ({run.seconds:.1f} s)")
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
    _write_reports(doc, staging, html=not args.no_html, jobs=jobs, plots=not args.no_plots)
    return doc
