"""The ``verify`` command line: list, run, check, regress, report, mutate.

Exit codes: 0 nothing refuted or errored; 1 something refuted or errored (or a regression, or
a surviving mutant); 2 bad usage or bad input, reported as one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn

from verify.errors import UsageError, VerifyError
from verify.lemma import PROFILES
from verify.numbers import DEFAULT_PRECISION, MAX_PRECISION

DEFAULT_OUT = Path("reports/latest")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--seed must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {text!r}")
    return value


def _precision(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--precision must be an integer number of bits, got {text!r}") from None
    if not 16 <= value <= MAX_PRECISION:
        raise UsageError(f"--precision must lie in [16, {MAX_PRECISION}] bits, got {value}")
    return value


def parse_rational(text: str, what: str) -> Fraction:
    """A finite rational from '3/2', '1.5', '1e-3'; NaN, inf and junk are a UsageError."""
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"{what}: {text!r} is not a finite rational number") from None
    return value


def parse_set(assignments: list[str]) -> dict[str, dict[str, Fraction]]:
    """``--set ID.NAME=VALUE`` -> {ID: {NAME: VALUE}}, validated against the registry."""
    from verify.registry import get

    overrides: dict[str, dict[str, Fraction]] = {}
    for text in assignments:
        target, sep, value = text.partition("=")
        lemma_id, dot, name = target.rpartition(".")
        if not sep or not dot or not lemma_id or not name or not value:
            raise UsageError(f"--set expects ID.NAME=VALUE (e.g. C.16.prefactor=0.5), got {text!r}")
        lemma = get(lemma_id)
        names = [c.name for c in lemma.constants]
        if name not in names:
            raise UsageError(
                f"--set: lemma {lemma_id} has no constant {name!r} (constants: {', '.join(names)})"
            )
        overrides.setdefault(lemma_id, {})[name] = parse_rational(value, f"--set {target}")
    return overrides


def _parse_point(assignments: list[str]) -> dict[str, Any]:
    """``name=value`` pairs for ``verify check``; values are JSON (numbers, lists) or strings."""
    params: dict[str, Any] = {}
    for text in assignments:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise UsageError(f"expected name=value, got {text!r}")
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        if isinstance(parsed, float) and not math.isfinite(parsed):
            raise UsageError(f"parameter {name} must be finite, got {value!r}")
        if isinstance(parsed, str) and parsed.strip().lower() in {"nan", "inf", "-inf", "+inf"}:
            raise UsageError(f"parameter {name} must be finite, got {value!r}")
        params[name] = parsed
    return params


class Progress:
    """One status line per lemma: redrawn in place on a terminal, throttled lines otherwise."""

    def __init__(self, stream=sys.stderr, interval: float = 5.0) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.interval = interval
        self.last = 0.0

    def __call__(self, run) -> None:
        now = time.monotonic()
        if not self.tty and now - self.last < self.interval:
            return
        self.last = now
        ratios = [e.ratio for e in run.evaluations if e.ratio is not None]
        worst = f" worst lhs/rhs {max(ratios):.6g}" if ratios else ""
        text = f"{run.lemma.id}: {len(run.evaluations)} examples{worst}"
        if self.tty:
            self.stream.write("\r\033[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self, line: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(line + "\n")
        self.stream.flush()


def _build_parser() -> _Parser:
    parser = _Parser(prog="verify", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    sub.add_parser("list", help="one line per lemma: id, a tab, title")

    run = sub.add_parser("run", help="check lemmas and write results.json and report.md")
    run.add_argument("ids", nargs="*", metavar="ID")
    run.add_argument("--profile", choices=PROFILES, default="quick")
    run.add_argument("--seed", type=_nonnegative_int, default=0)
    run.add_argument("--set", action="append", default=[], metavar="ID.NAME=VALUE")
    run.add_argument("--out", type=Path, default=DEFAULT_OUT)
    run.add_argument("--precision", type=_precision, default=DEFAULT_PRECISION)
    run.add_argument("--no-html", action="store_true", help="skip the HTML report")

    check = sub.add_parser("check", help="check one lemma at one parameter point")
    check.add_argument("id", metavar="ID")
    check.add_argument("point", nargs="*", metavar="NAME=VALUE")
    check.add_argument("--set", action="append", default=[], metavar="ID.NAME=VALUE")
    check.add_argument("--precision", type=_precision, default=DEFAULT_PRECISION)

    regress = sub.add_parser("regress", help="compare a run against a baseline")
    regress.add_argument("--baseline", type=Path, required=True)
    regress.add_argument("--results", type=Path, required=True)
    regress.add_argument("--rtol", type=float, default=None)
    regress.add_argument(
        "--update",
        action="store_true",
        help="after showing the differences, write the run as the new baseline (exit 0)",
    )

    report = sub.add_parser("report", help="render a saved results.json as HTML and Markdown")
    report.add_argument("--results", type=Path, required=True)
    report.add_argument("--out", type=Path, required=True)

    mutate = sub.add_parser("mutate", help="soundness harness: every constant past its worst case")
    mutate.add_argument("ids", nargs="*", metavar="ID")
    mutate.add_argument("--profile", choices=PROFILES, default="quick")
    mutate.add_argument("--seed", type=_nonnegative_int, default=0)
    mutate.add_argument("--out", type=Path, default=None)
    return parser


def _cmd_list() -> int:
    from verify.registry import all_lemmas

    for lemma in all_lemmas().values():
        print(f"{lemma.id}\t{lemma.title}")
    return 0


def _write_reports(doc: dict[str, Any], out: Path, html: bool) -> None:
    from verify import report_md, results

    results.write(doc, out / "results.json")
    (out / "report.md").write_text(report_md.render(doc))
    if html:
        from verify.html_report import write_html

        write_html(doc, out)


def _cmd_run(args: argparse.Namespace) -> int:
    from verify import results
    from verify.registry import all_lemmas, get
    from verify.runner import run_lemma

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
        if lemma.plots is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            records = [e.to_json() for e in run.evaluations]
            try:
                run.plots = list(lemma.plots(records, args.out))
            except Exception as exc:  # a broken plot must not hide the verdicts
                progress.done(f"{lemma.id}: plot failed: {type(exc).__name__}: {exc}")
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


def _cmd_check(args: argparse.Namespace) -> int:
    from verify.registry import get
    from verify.runner import evaluate

    lemma = get(args.id)
    overrides = parse_set(args.set).get(lemma.id, {})
    constants = {**lemma.stated_constants(), **overrides}
    params = _parse_point(args.point)
    evaluation = evaluate(lemma, params, constants, args.precision, user_input=True)
    print(json.dumps(evaluation.to_json(), indent=1))
    return 1 if evaluation.verdict.value in ("refuted", "error") else 0


def _cmd_regress(args: argparse.Namespace) -> int:
    from verify import results
    from verify.regress import DEFAULT_RTOL, compare

    rtol = DEFAULT_RTOL if args.rtol is None else args.rtol
    if not (math.isfinite(rtol) and rtol >= 0):
        raise UsageError(f"--rtol must be a finite non-negative number, got {args.rtol}")
    run = results.load(args.results)
    if args.update:
        baseline = results.load(args.baseline) if args.baseline.exists() else {"lemmas": []}
        for line in compare(baseline, run, rtol):
            print(f"  - {line}")
        results.write(results.baseline_form(run), args.baseline)
        print(f"updated {args.baseline} from {args.results}")
        return 0
    problems = compare(results.load(args.baseline), run, rtol)
    if problems:
        print(f"{len(problems)} regression(s) against {args.baseline}:")
        for line in problems:
            print(f"  - {line}")
        return 1
    print(f"no regression against {args.baseline}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from verify import report_md, results
    from verify.html_report import write_html

    doc = results.load(args.results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text(report_md.render(doc))
    index = write_html(doc, args.out, plots_dir=args.results.parent)
    print(f"wrote {index}")
    return 0


def _cmd_mutate(args: argparse.Namespace) -> int:
    from verify.mutate import mutate
    from verify.registry import get

    for lemma_id in args.ids:
        get(lemma_id)
    summary = mutate(args.ids, profile=args.profile, seed=args.seed, out=args.out)
    return 0 if summary["caught"] == summary["total"] else 1


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError("expected a command: list, run, check, regress, report, mutate")
        handlers = {
            "list": lambda: _cmd_list(),
            "run": lambda: _cmd_run(args),
            "check": lambda: _cmd_check(args),
            "regress": lambda: _cmd_regress(args),
            "report": lambda: _cmd_report(args),
            "mutate": lambda: _cmd_mutate(args),
        }
        return handlers[args.command]()
    except VerifyError as exc:
        print(f"verify: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("verify: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
