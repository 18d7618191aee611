"""Benchmark: the score oracle on 4096 points at d = d' = 64 (a script, not a timed test).

Run: ``python benchmarks/bench_oracle.py`` (uses 2 torch threads, like CI laptops). Prints, per
sigma, the regime chosen, the most seeds summed at a point (small regime), the largest error
bound, wall and CPU time. Target: under 10 s per call. Points are drawn from g_sigma itself.
"""

from __future__ import annotations

import argparse
import time

import torch

from verify.maths.instance import Instance
from verify.maths.oneway import GoldreichFunction
from verify.maths.oracle import ScoreOracle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--points", type=int, default=4096)
    parser.add_argument("--R", type=float, default=4.0)
    parser.add_argument("--eps", type=float, default=0.1)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--sigmas", type=float, nargs="*", default=[0.02, 0.1, 0.3, 1.0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    instance = Instance(GoldreichFunction(args.d, args.d, seed=0), args.R, args.eps)
    oracle = ScoreOracle(instance)
    generator = torch.Generator().manual_seed(0)
    print(f"d = d' = {args.d}, N = {args.points}, R = {args.R}, eps = {args.eps}, tol = {args.tol}")
    for sigma in args.sigmas:
        x, _ = instance.sample(args.points, generator, sigma=sigma)
        started = time.perf_counter()
        cpu = time.process_time()
        try:
            result = oracle.score(x, sigma, args.tol)
        except Exception as exc:  # report refusals, keep benchmarking
            print(f"sigma={sigma:<6g} refused: {exc} ({time.perf_counter() - started:.2f} s)")
            continue
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu
        print(
            f"sigma={sigma:<6g} regime={result.regime:<5s} seeds/point<={result.seeds_per_point} "
            f"max bound={result.max_error:.3g} wall={seconds:.2f} s cpu={cpu_seconds:.2f} s"
        )


if __name__ == "__main__":
    main()
