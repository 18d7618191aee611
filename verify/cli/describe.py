"""verify describe: a lemma's parameters with their domains, its constants, an example call."""

from __future__ import annotations

import argparse
import json
import shlex
from typing import Any


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "describe", help="a lemma's parameters and domains, constants, and an example call"
    )
    parser.add_argument("id", metavar="ID", help="the lemma's id (see 'verify list')")


def _value_text(value: Any) -> str:
    return (
        json.dumps(value, separators=(",", ":"), default=str)
        if not isinstance(value, str)
        else value
    )


def example_call(lemma) -> str | None:
    """``verify check ID name=value ...`` from the lemma's first example."""
    if not lemma.examples:
        return None
    pairs = [f"{name}={_value_text(value)}" for name, value in lemma.examples[0].items()]
    return shlex.join(["verify", "check", lemma.id, *pairs])


def describe_lines(lemma) -> list[str]:
    from verify.cli.check import example_names
    from verify.core.domain import Domain

    lines = [f"{lemma.id}: {lemma.title}", "", "parameters:"]
    if isinstance(lemma.domain, Domain):
        for name, spec in lemma.domain.specs.items():
            optional = " (optional)" if name in lemma.domain.optional else ""
            doc = f"  -- {spec.doc}" if spec.doc else ""
            lines.append(f"  {spec.text(name)}{optional}{doc}")
        for constraint in lemma.domain.constraints:
            lines.append(f"  subject to {constraint.text}")
    else:
        names = example_names(lemma)
        lines.append(f"  {', '.join(names) if names else '(none named by an example)'}")
        lines.append(f"  domain: {lemma.domain}")
    lines += ["", "constants:"]
    for constant in lemma.constants:
        lines.append(
            f"  {constant.name} = {constant.value} ({constant.sense} bound)  -- "
            f"{constant.provenance}"
        )
    if not lemma.constants:
        lines.append("  (none)")
    call = example_call(lemma)
    if call is not None:
        lines += ["", "example:", f"  {call}"]
    return lines


def run(args: argparse.Namespace) -> int:
    from verify.core.registry import get

    print("\n".join(describe_lines(get(args.id))))
    return 0
