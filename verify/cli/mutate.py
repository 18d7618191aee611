"""verify mutate: the soundness harness."""

from __future__ import annotations

import argparse
from pathlib import Path

from verify.cli.common import add_parallel_options, add_search_options, refuse_bad_out


def add_parser(sub) -> None:
    parser = sub.add_parser("mutate", help="soundness harness: every constant past its worst case")
    parser.add_argument("ids", nargs="*", metavar="ID", help="lemma ids to mutate (default: all)")
    add_search_options(parser)
    add_parallel_options(parser, "the unmutated runs")
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for the mutation summary (default: none)"
    )


def run(args: argparse.Namespace) -> int:
    from verify.core.mutate import mutate
    from verify.core.registry import get

    for lemma_id in args.ids:
        get(lemma_id)
    if args.out is not None:
        refuse_bad_out(args.out, replaces=False)  # it writes files into the folder
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
