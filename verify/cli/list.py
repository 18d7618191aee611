"""verify list: one line per lemma, its id, a tab, its title."""

from __future__ import annotations

import argparse

from verify.cli.common import defer_torch


def add_parser(sub) -> None:
    sub.add_parser("list", help="one line per lemma: id, a tab, title")


def run(args: argparse.Namespace) -> int:
    defer_torch()
    from verify.core.registry import all_lemmas

    for lemma in all_lemmas().values():
        print(f"{lemma.id}\t{lemma.title}")
    return 0
