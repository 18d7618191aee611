"""verify list: one line per lemma, its id, a tab, its title.

Ids and titles are read from the lemma modules' declarations (``registry.lemma_titles``), so
listing imports none of the maths, Hypothesis or torch."""

from __future__ import annotations

import argparse

from verify.cli.common import defer_torch


def add_parser(sub) -> None:
    sub.add_parser("list", help="one line per lemma: id, a tab, title")


def run(args: argparse.Namespace) -> int:
    defer_torch()  # for a lemma module that has to be imported after all
    from verify.core.registry import lemma_titles

    for lemma_id, title in lemma_titles().items():
        print(f"{lemma_id}\t{title}")
    return 0
