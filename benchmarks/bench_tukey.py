"""Tukey median: the speed and depth bars of issue 4, in one run.

    python benchmarks/bench_tukey.py [--seeds 3]

- exact: ``TukeyMedian()`` (the exact 2-D algorithm) on 2,000 standard normal points; wall
  seconds, after a warm-up on other data (the first call of a process also pays for imports).
  Bar: under 1 s.
- approximate: ``TukeyMedian()`` (random directions plus cutting-plane refinement) on 5,000
  points in p = 10; wall seconds. Bar: under 10 s.
- depth gap: the same data fitted with 20× the directions (``n_directions=20_000``); both medians
  are scored by one referee, the depth along the union of both fits' directions and 20,000 more,
  and the gap is (longer search's depth) − (default's depth). Bar: at most 0.02.

Prints a table per seed and writes ``results/tukey.json``.
"""

import argparse
import time

import numpy as np
from _common import markdown_table, write_json

from robustgan.baselines import TukeyMedian
from robustgan.baselines.depth import halfspace_depth, random_directions

EXACT_N, APPROX_N, APPROX_P = 2_000, 5_000, 10
LONGER_FACTOR = 20


def _fit_seconds(estimator, X):
    start = time.perf_counter()
    estimator.fit(X)
    return estimator, time.perf_counter() - start


def measure(seed):
    rng = np.random.default_rng(seed)
    _, exact_seconds = _fit_seconds(TukeyMedian(), rng.standard_normal((EXACT_N, 2)))

    X = rng.standard_normal((APPROX_N, APPROX_P))
    default, approx_seconds = _fit_seconds(TukeyMedian(random_state=seed), X)
    longer, longer_seconds = _fit_seconds(
        TukeyMedian(n_directions=LONGER_FACTOR * default.n_directions, random_state=seed), X
    )
    referee = np.vstack([default.directions_, longer.directions_,
                         random_directions(20_000, APPROX_P, np.random.default_rng(10_000 + seed))])
    depths = halfspace_depth(np.vstack([default.location_, longer.location_]), X,
                             directions=referee)
    return {"seed": seed, "exact_2d_seconds": exact_seconds,
            "approximate_p10_seconds": approx_seconds, "longer_search_seconds": longer_seconds,
            "default_depth": float(depths[0]), "longer_depth": float(depths[1]),
            "depth_gap": float(depths[1] - depths[0])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    TukeyMedian().fit(np.random.default_rng(99).standard_normal((200, 2)))  # warm-up
    records = [measure(seed) for seed in range(args.seeds)]
    print(markdown_table(
        ["seed", f"exact 2-D, n={EXACT_N:,} (s)", f"approx. p={APPROX_P}, n={APPROX_N:,} (s)",
         "20× search (s)", "depth", "20× depth", "gap"],
        [[r["seed"], r["exact_2d_seconds"], r["approximate_p10_seconds"],
          r["longer_search_seconds"], r["default_depth"], r["longer_depth"], r["depth_gap"]]
         for r in records]))
    summary = {
        "max_exact_2d_seconds": max(r["exact_2d_seconds"] for r in records),
        "max_approximate_p10_seconds": max(r["approximate_p10_seconds"] for r in records),
        "max_depth_gap": max(r["depth_gap"] for r in records),
    }
    print(f"\nworst of {len(records)} seeds: exact {summary['max_exact_2d_seconds']:.2f} s "
          f"(bar < 1 s), approximate {summary['max_approximate_p10_seconds']:.2f} s (bar < 10 s), "
          f"depth gap {summary['max_depth_gap']:.4f} (bar <= 0.02)")
    print(f"wrote {write_json('tukey', {'records': records, 'summary': summary})}")


if __name__ == "__main__":
    main()
