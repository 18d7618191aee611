"""Benchmark (not a timed test): quick-profile time per lemma, and certified evaluations per
second of the smoothed comb density, arb against mpmath at equal precision.

    python benchmarks/bench_foundation.py [--lemmas C.16 C.9] [--points 2000] [--bits 64]
                                          [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import mpmath

from verify.core.numbers import precision
from verify.core.registry import get
from verify.core.runner import run_lemma
from verify.maths.comb import smoothed_comb_closed_form


def mpmath_comb(x, sigma, eps, theta):
    """The same closed form in mpmath (jtheta(3, z, q) = 1 + 2 sum q^{n^2} cos(2 n z))."""
    v = 1 + sigma * sigma
    q = mpmath.exp(-2 * mpmath.pi**2 * sigma * sigma / (v * eps * eps))
    q0 = mpmath.exp(-2 * mpmath.pi**2 / (eps * eps))
    num = mpmath.jtheta(3, mpmath.pi * (theta - x / v) / eps, q)
    den = mpmath.jtheta(3, mpmath.pi * theta / eps, q0)
    return mpmath.npdf(x, 0, mpmath.sqrt(v)) * num / den


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lemmas", nargs="*", default=["C.16", "C.9"])
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    for lemma_id in args.lemmas:
        started = time.perf_counter()
        run = run_lemma(get(lemma_id), profile="quick", seed=0)
        seconds = time.perf_counter() - started
        print(f"quick profile {lemma_id}: {seconds:.2f} s, {len(run.evaluations)} examples")

    points = [
        (-4 + 8 * i / args.points, 0.3 + (i % 7) / 10, 0.25 + (i % 5) / 8, 0.1)
        for i in range(args.points)
    ]

    def arb_pass() -> float:
        with precision(args.bits):
            started = time.perf_counter()
            for x, sigma, eps, theta in points:
                smoothed_comb_closed_form(x, sigma, eps, theta * eps)
            return len(points) / (time.perf_counter() - started)

    def mpmath_pass() -> float:
        with mpmath.workprec(args.bits):
            started = time.perf_counter()
            for x, sigma, eps, theta in points:
                args_mp = (mpmath.mpf(x), mpmath.mpf(sigma), mpmath.mpf(eps))
                mpmath_comb(*args_mp, mpmath.mpf(theta * eps))
            return len(points) / (time.perf_counter() - started)

    # Best of several passes for each: the least disturbed by other load on the machine.
    arb_rate = max(arb_pass() for _ in range(args.repeat))
    mp_rate = max(mpmath_pass() for _ in range(args.repeat))
    print(
        f"smoothed comb density at {args.bits} bits: arb {arb_rate:.0f} certified evals/s, "
        f"mpmath {mp_rate:.0f} evals/s (uncertified), ratio {arb_rate / mp_rate:.1f}x"
    )


if __name__ == "__main__":
    main()
