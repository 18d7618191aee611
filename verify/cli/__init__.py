"""The ``verify`` command line: list, describe, run, check, regress, report, mutate.

Exit codes: 0 nothing refuted or errored; 1 something refuted or errored (or a regression, or
a surviving mutant); 2 bad usage or bad input, reported as one line on stderr
(``verify: error: ...``) before any computing; 130 interrupted by Ctrl-C (SIGINT) and 143 by
SIGTERM, the previous output left as it was; 141 when stdout is a pipe closed early
(``verify list | head -1``), quietly, as a tool killed by SIGPIPE would.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys

from verify.cli.common import Parser, Terminated, defer_torch, quiet_stdout
from verify.core.errors import UsageError, VerifyError, WorkerDied

COMMANDS = ("list", "describe", "run", "check", "regress", "report", "mutate", "history", "arena")

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE
EXIT_SIGINT = 130  # 128 + SIGINT
EXIT_SIGTERM = 143  # 128 + SIGTERM


def _command(name: str):
    return importlib.import_module(f"verify.cli.{name}")


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dpsverify")
    except PackageNotFoundError:
        return "unknown"


class _VersionAction(argparse._VersionAction):
    """``--version``, looking the version up only when asked (importlib.metadata's lookup is a
    noticeable part of a ``verify list`` otherwise)."""

    def __call__(self, parser, namespace, values, option_string=None):
        self.version = f"%(prog)s {package_version()}"
        super().__call__(parser, namespace, values, option_string)


def build_parser() -> Parser:
    parser = Parser(prog="verify", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--version",
        action=_VersionAction,
        help="print the installed package version and exit",
    )
    sub = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")
    for name in COMMANDS:
        _command(name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError(f"expected a command: {', '.join(COMMANDS)}")
        code = _command(args.command).run(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except VerifyError as exc:
        print(f"verify: error: {exc}", file=sys.stderr)
        return 2
    except WorkerDied as exc:
        print(f"verify: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        quiet_stdout()
        return EXIT_BROKEN_PIPE
    except Terminated:
        print("verify: terminated", file=sys.stderr)
        return EXIT_SIGTERM
    except KeyboardInterrupt:
        print("verify: interrupted", file=sys.stderr)
        return EXIT_SIGINT


def console_main() -> None:
    """The ``verify`` script and ``python -m verify``: ``main()``, then the process ends at once
    with its exit code.

    The interpreter's teardown after torch has been imported takes 0.6-0.9 s (module teardown
    and torch's finalisers), about 3% of a quick run, and there is nothing left for it to do:
    every file a command writes is closed (written atomically), its worker pools and Dask
    clusters are shut down and its helper threads joined before ``main`` returns, and stdout
    and stderr are flushed here. (``multiprocessing`` ends its own workers the same way.) An
    exit ``main`` does not turn into a code, such as ``--help``'s ``SystemExit``, takes the
    usual path.

    torch is imported where a command first computes with it (``defer_torch``): a run of
    several lemmas starts its first shard while this process imports torch for the others."""
    defer_torch()
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed early: main reported it
            stream.flush()
    os._exit(code)
