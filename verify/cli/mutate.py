"""verify mutate: the soundness harness."""

from __future__ import annotations

import argparse
from pathlib import Path

from verify.cli.common import MAX_SEED, PROFILES, refuse_bad_out, seed


def add_parser(sub) -> None:
    parser = sub.add_parser("mutate", help="soundness harness: every constant past its worst case")
    parser.add_argument("ids", nargs="*", metavar="ID", help="lemma ids to mutate (default: all)")
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
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes for the unmutated runs (default: all cores)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the unmutated runs on a Dask cluster at ADDRESS, or 'local'",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for the mutation summary (default: none)"
    )


def run(args: argparse.Namespace) -> int:
    from verify.core.mutate import mutate
    from verify.core.registry import get

    for lemma_id in args.ids:
        get(lemma_id)
    if args.out is not None:
        refuse_bad_out(args.out)
    from verify.core.schedule import default_jobs

    jobs = args.jobs if args.jobs is not None else default_jobs()
    summary = mutate(
        args.ids,
        profile=args.profile,
        seed=args.seed,
        out=args.out,
        jobs=max(1, jobs),
        scheduler=args.scheduler,
    )
    return 0 if summary["caught"] == summary["total"] else 1
