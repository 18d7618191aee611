"""The ``verify`` command line: list, run, check, regress, report, mutate.

Exit codes: 0 nothing refuted or errored; 1 something refuted or errored (or a regression, or
a surviving mutant); 2 bad usage or bad input, reported as one line on stderr.
"""

from __future__ import annotations

import importlib
import sys

from verify.cli.common import Parser
from verify.core.errors import UsageError, VerifyError

COMMANDS = ("list", "run", "check", "regress", "report", "mutate", "history")


def _command(name: str):
    return importlib.import_module(f"verify.cli.{name}")


def build_parser() -> Parser:
    parser = Parser(prog="verify", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    for name in COMMANDS:
        _command(name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError(f"expected a command: {', '.join(COMMANDS)}")
        return _command(args.command).run(args)
    except VerifyError as exc:
        print(f"verify: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("verify: interrupted", file=sys.stderr)
        return 130
