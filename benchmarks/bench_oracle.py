"""Benchmark (not a timed test): the score oracle against brute-force enumeration of the seeds,
side by side in one run; prints ratios.

    python benchmarks/bench_oracle.py [--enum-d 12] [--d 64] [--repeat 3]

Two figures per sigma, each side the best of ``--repeat`` passes (a pass repeats a fast call
to last 0.2 s), the passes of both sides interleaved so that load on the machine weighs on both
alike, timed in this process's CPU time (all its torch threads; other processes on a shared
machine change it less than wall time):

- *against enumeration*, at d = d' = ``--enum-d`` (2^12 seeds by default, the most
  ``Instance.seeds`` enumerates): ``Instance.score`` (the exact mixture score, every seed
  summed) over ``ScoreOracle.score`` on the same ``--enum-points`` points, with the largest
  difference between the two beside the oracle's largest error bound;
- *growth*, at d = d' = ``--d`` (64: 2^64 seeds, no enumeration): the oracle's CPU time per
  point there over its time per point at ``--enum-d``, where enumeration's cost would grow by
  2^(d - enum_d) (d + d') / (2 enum_d).

Points are drawn from g_sigma itself (Goldreich f, seed 0). The oracle's target is under 10 s
per call of 4096 points at d = 64 (``verify.maths.oracle``); the growth line prints that CPU
time too, for that target only.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from verify.maths.instance import Instance
from verify.maths.oneway import GoldreichFunction
from verify.maths.oracle import ScoreOracle

MIN_PASS_SECONDS = 0.2  # a pass repeats a fast call until it lasts this long (CPU)


def _cpu_seconds(work: Callable[[], object], number: int) -> tuple[float, object]:
    """CPU seconds per call over ``number`` calls, and the last call's result."""
    started = time.process_time()
    for _ in range(number):
        result = work()
    return (time.process_time() - started) / number, result


def _calls_per_pass(work: Callable[[], object]) -> int:
    """Calls per pass so that a pass lasts MIN_PASS_SECONDS (as timeit's autorange)."""
    number = 1
    while True:
        seconds, _ = _cpu_seconds(work, number)
        if seconds * number >= MIN_PASS_SECONDS or number >= 1 << 14:
            return number
        number *= 2 if seconds * number * 10 > MIN_PASS_SECONDS else 10


def best_of(sides: dict[str, Callable[[], object]], repeat: int) -> dict[str, tuple[float, object]]:
    """Each side's least CPU seconds per call over ``repeat`` interleaved passes (a pass makes
    enough calls to last MIN_PASS_SECONDS), with its result."""
    numbers = {name: _calls_per_pass(work) for name, work in sides.items()}
    best: dict[str, tuple[float, object]] = {}
    for _ in range(repeat):
        for name, work in sides.items():
            seconds, result = _cpu_seconds(work, numbers[name])
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, result)
    return best


def make(d: int, args: argparse.Namespace) -> Instance:
    return Instance(GoldreichFunction(d, d, seed=0), args.R, args.eps)


def against_enumeration(args: argparse.Namespace, sigma: float) -> float | None:
    """Print enumeration / oracle at --enum-d; return the oracle's CPU seconds per point."""
    instance = make(args.enum_d, args)
    oracle = ScoreOracle(instance)
    x, _ = instance.sample(args.enum_points, torch.Generator().manual_seed(0), sigma=sigma)
    try:
        oracle.score(x, sigma, args.tol)
    except Exception as exc:  # report refusals, keep benchmarking
        print(f"sigma={sigma:<6g} d={args.enum_d}: oracle refused: {exc}", flush=True)
        return None
    best = best_of(
        {
            "oracle": lambda: oracle.score(x, sigma, args.tol),
            "enumeration": lambda: instance.score(x, sigma),
        },
        args.repeat,
    )
    (oracle_s, result), (enum_s, exact) = best["oracle"], best["enumeration"]
    gap = float((result.score - exact).abs().max())
    print(
        f"sigma={sigma:<6g} d=d'={args.enum_d}: enumeration/oracle = {enum_s / oracle_s:7.1f}x"
        f"  (regime {result.regime}; max |oracle - enumeration| {gap:.2g}"
        f" <= max bound {result.max_error:.2g}; CPU s {oracle_s:.3f} / {enum_s:.3f})",
        flush=True,
    )
    return oracle_s / args.enum_points


def growth(args: argparse.Namespace, sigma: float, per_point_small: float) -> None:
    """Print the oracle's time per point at --d over its time per point at --enum-d."""
    instance = make(args.d, args)
    oracle = ScoreOracle(instance)
    x, _ = instance.sample(args.points, torch.Generator().manual_seed(0), sigma=sigma)
    try:
        ((seconds, result),) = best_of(
            {"oracle": lambda: oracle.score(x, sigma, args.tol)}, args.repeat
        ).values()
    except Exception as exc:
        print(f"sigma={sigma:<6g} d={args.d}: oracle refused: {exc}", flush=True)
        return
    enumeration_growth = 2.0 ** (args.d - args.enum_d) * args.d / args.enum_d
    print(
        f"sigma={sigma:<6g} d=d'={args.d}: oracle per point, d={args.d} / d={args.enum_d} = "
        f"{seconds / args.points / per_point_small:6.1f}x  (enumeration: {enumeration_growth:.2g}x;"
        f" regime {result.regime}, seeds/point <= {result.seeds_per_point},"
        f" max bound {result.max_error:.2g}; {args.points} points {seconds:.2f} CPU s)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, default=64, help="d = d' of the growth figure")
    parser.add_argument("--points", type=int, default=4096, help="points at --d")
    parser.add_argument("--enum-d", type=int, default=12, help="d = d' of the enumeration side")
    parser.add_argument("--enum-points", type=int, default=256, help="points at --enum-d")
    parser.add_argument("--R", type=float, default=4.0)
    parser.add_argument("--eps", type=float, default=0.1)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--sigmas", type=float, nargs="*", default=[0.02, 0.1, 0.3, 1.0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many passes")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"R = {args.R}, eps = {args.eps}, tol = {args.tol}, best of {args.repeat}, "
        f"{args.threads} torch threads, CPU time",
        flush=True,
    )
    for sigma in args.sigmas:
        per_point = against_enumeration(args, sigma)
        if per_point is not None:
            growth(args, sigma, per_point)


if __name__ == "__main__":
    main()
