"""verify history: the stated and empirical constants of each lemma across the committed
versions of the baseline (``git log`` of reports/baseline.json)."""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from verify.cli.common import DEFAULT_BASELINE
from verify.core.errors import UsageError


@dataclass(frozen=True)
class Point:
    """One constant in one committed baseline."""

    commit: str
    date: str
    stated: str
    value: str
    empirical: float | None


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "history",
        help="stated and empirical constants across the committed baselines",
        description="Read every committed version of the baseline from git and print, per "
        "lemma and constant, the commit, the stated value and the empirical value.",
    )
    parser.add_argument("ids", nargs="*", metavar="ID", help="lemma ids (default: all)")
    parser.add_argument(
        "--baseline",
        default=DEFAULT_BASELINE,
        help=f"the baseline's path inside the repository (default {DEFAULT_BASELINE})",
    )
    parser.add_argument("--html", type=Path, metavar="DIR", help="write DIR/history.html")


def _git(*args: str, cwd: Path | None = None) -> str:
    git = shutil.which("git")
    if git is None:
        raise UsageError("verify history needs git, and git is not installed (not on PATH)")
    done = subprocess.run(
        [git, *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8", check=False
    )
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[0]
        raise UsageError(f"git {args[0]} failed: {first}")
    return done.stdout


def _root() -> Path:
    try:
        return Path(_git("rev-parse", "--show-toplevel").strip())
    except UsageError:
        if shutil.which("git") is None:
            raise
        raise UsageError("verify history must run inside a git checkout") from None


def collect(baseline: str) -> dict[str, dict[str, list[Point]]]:
    """{lemma id: {constant: [Point, ...] oldest commit first}} from the committed baselines."""
    root = _root()
    log = _git("log", "--format=%H %cs", "--", baseline, cwd=root).split("\n")
    commits = [line.split(" ", 1) for line in log if line.strip()]
    if not commits:
        raise UsageError(f"{baseline} has no committed version in {root}")
    history: dict[str, dict[str, list[Point]]] = {}
    for full, date in reversed(commits):
        try:
            doc = json.loads(_git("show", f"{full}:{baseline}", cwd=root))
            lemmas = doc["lemmas"]
        except (json.JSONDecodeError, KeyError, TypeError):
            continue  # a malformed old version says nothing about the constants
        for lemma in lemmas:
            constants = lemma.get("constants") if isinstance(lemma, dict) else None
            if not isinstance(constants, dict) or "id" not in lemma:
                continue
            for name, c in constants.items():
                point = Point(
                    commit=full[:7],
                    date=date,
                    stated=str(c.get("stated")),
                    value=str(c.get("value", c.get("stated"))),
                    empirical=c.get("empirical"),
                )
                history.setdefault(lemma["id"], {}).setdefault(name, []).append(point)
    return history


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def _stated(point: Point) -> str:
    return (
        point.stated if point.value == point.stated else f"{point.stated} (run with {point.value})"
    )


def table(lemma_id: str, name: str, points: list[Point]) -> list[str]:
    rows = [("commit", "date", "stated", "empirical")]
    rows += [(p.commit, p.date, _stated(p), _number(p.empirical)) for p in points]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"{lemma_id} {name}"]
    lines += [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return lines


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "x"


def _float(text: str) -> float | None:
    try:
        return float(Fraction(text))
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


def plot(lemma_id: str, name: str, points: list[Point], out: Path) -> str:
    """A PNG of the empirical constant against the commit index, the stated value as a line."""
    from verify.core.plotting import pyplot, save

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    shown = [(i, p.empirical) for i, p in enumerate(points) if p.empirical is not None]
    if shown:
        ax.plot([i for i, _ in shown], [v for _, v in shown], "o-", label="empirical")
    stated = _float(points[-1].stated)
    if stated is not None:
        ax.axhline(stated, color="tab:red", linestyle="--", label=f"stated {points[-1].stated}")
    ax.set_xticks(range(len(points)))
    ax.set_xticklabels([p.commit for p in points], rotation=45, ha="right", fontsize=7)
    ax.set_xlabel("commit (oldest first)")
    ax.set_ylabel(name)
    ax.set_title(f"{lemma_id} {name}")
    ax.legend(fontsize=8)
    return save(fig, out, f"history-{_slug(lemma_id)}-{_slug(name)}.png")


def write_html(history: dict[str, dict[str, list[Point]]], out: Path) -> Path:
    sections = []
    for lemma_id, constants in history.items():
        for name, points in constants.items():
            image = plot(lemma_id, name, points, out)
            rows = "".join(
                f"<tr><td><code>{html.escape(p.commit)}</code></td><td>{html.escape(p.date)}</td>"
                f"<td>{html.escape(_stated(p))}</td><td>{_number(p.empirical)}</td></tr>"
                for p in points
            )
            title = html.escape(f"{lemma_id} {name}")
            sections.append(
                f"<section><h2>{title}</h2>"
                f'<img src="{html.escape(image)}" alt="{title}: empirical by commit">'
                "<table><tr><th>commit</th><th>date</th><th>stated</th><th>empirical</th></tr>"
                f"{rows}</table></section>"
            )
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>History of constants</title></head><body><h1>History of constants</h1>"
        + "".join(sections)
        + "</body></html>\n"
    )
    from verify.core.results import atomic_write_text

    path = out / "history.html"
    atomic_write_text(path, page)
    return path


def run(args: argparse.Namespace) -> int:
    history = collect(args.baseline)
    if args.ids:
        unknown = [i for i in args.ids if i not in history]
        if unknown:
            raise UsageError(f"no committed baseline has lemma {', '.join(unknown)}")
        history = {i: history[i] for i in dict.fromkeys(args.ids)}
    from verify.cli.regress import Stdout

    say = Stdout()
    blocks = [table(i, name, points) for i, cs in history.items() for name, points in cs.items()]
    for n, lines in enumerate(blocks):
        if n:
            say()
        for line in lines:
            say(line)
    if args.html is not None:
        say(f"wrote {write_html(history, args.html)}")
    return 0
