"""Benchmark (not a timed test): certified smoothed-comb evaluations, arb against mpmath, side by
side in one run at each precision; prints ratios (arb evaluations per second over mpmath's).

    python benchmarks/bench_foundation.py [--points 2000] [--bits 64 128] [--repeat 3]

Two workloads, each a best of ``--repeat`` passes per side, the passes of both sides
interleaved so that load on the machine weighs on both alike, timed in this process's CPU
time (other processes on a shared machine change it less than wall time):

- *new parameters* (printed first, the harder case): every point has its own (sigma, eps, theta),
  as a lemma's search draws them, so nothing is reused;
- *sweep*: x runs over [-4, 4] at 35 (sigma, eps, theta) triples, as a density plot evaluates
  the comb (the x-free part of the closed form is computed once per triple).

mpmath evaluates the same closed form (``jtheta``) uncertified, at the same working precision.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import mpmath

from verify.core.numbers import precision
from verify.maths import comb
from verify.maths.comb import smoothed_comb_closed_form


def mpmath_comb(x, sigma, eps, theta):
    """The same closed form in mpmath (jtheta(3, z, q) = 1 + 2 sum q^{n^2} cos(2 n z))."""
    v = 1 + sigma * sigma
    q = mpmath.exp(-2 * mpmath.pi**2 * sigma * sigma / (v * eps * eps))
    q0 = mpmath.exp(-2 * mpmath.pi**2 / (eps * eps))
    num = mpmath.jtheta(3, mpmath.pi * (theta - x / v) / eps, q)
    den = mpmath.jtheta(3, mpmath.pi * theta / eps, q0)
    return mpmath.npdf(x, 0, mpmath.sqrt(v)) * num / den


def sweep_points(count: int) -> list[tuple[float, float, float, float]]:
    return [
        (-4 + 8 * i / count, 0.3 + (i % 7) / 10, 0.25 + (i % 5) / 8, 0.1 * (0.25 + (i % 5) / 8))
        for i in range(count)
    ]


def distinct_points(count: int) -> list[tuple[float, float, float, float]]:
    return [
        (-4 + 8 * i / count, 0.3 + 0.6 * i / count, 0.25 + 0.5 * ((7 * i) % count) / count, 0.01)
        for i in range(count)
    ]


def _rate(evaluate: Callable[[], None], count: int) -> float:
    started = time.process_time()
    evaluate()
    return count / (time.process_time() - started)


def compare(points: list[tuple[float, ...]], bits: int, repeat: int) -> tuple[float, float]:
    """(arb evaluations/s, mpmath evaluations/s), each the best of ``repeat`` interleaved passes."""

    def arb_pass() -> None:
        comb._value_parameters_cache_clear()  # every pass starts cold
        with precision(bits):
            for x, sigma, eps, theta in points:
                smoothed_comb_closed_form(x, sigma, eps, theta)

    mp_points = [tuple(mpmath.mpf(a) for a in p) for p in points]

    def mpmath_pass() -> None:
        with mpmath.workprec(bits):
            for p in mp_points:
                mpmath_comb(*p)

    arb_rate = mp_rate = 0.0
    for _ in range(repeat):
        arb_rate = max(arb_rate, _rate(arb_pass, len(points)))
        mp_rate = max(mp_rate, _rate(mpmath_pass, len(points)))
    return arb_rate, mp_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--bits", type=int, nargs="*", default=[64, 128])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    workloads = {
        "new parameters": distinct_points(args.points),
        "sweep": sweep_points(args.points),
    }
    for bits in args.bits:
        for name, points in workloads.items():
            arb_rate, mp_rate = compare(points, bits, args.repeat)
            print(
                f"smoothed comb, {name:14s} {bits:4d} bits: arb/mpmath ="
                f" {arb_rate / mp_rate:5.1f}x  (arb {arb_rate:.0f} certified evals/s,"
                f" mpmath {mp_rate:.0f} evals/s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
