"""How often the parameter share's interval (``outcomes.share_interval``) covers the truth, and
what it costs at a forecast's size.

    uv run python benchmarks/split_coverage.py            # about a minute

Coverage: data sets of known share — sets with p ~ Beta(2, 5), runs per set as given, so the
population's share is var(p) / (E p (1 − E p)) = 0.125 — each split by ``parameter_fields``;
the share of data sets whose 95 % interval covers 0.125. Cost: ``parameter_fields`` on 1,668
rows × 100 runs with 30 sets drawn per row (a forecast's size). Results are about the estimator,
not the model. Always exits 0.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from escalation_sim.outcomes import parameter_fields, share_interval


def coverage(sets: int, runs: int, reps: int, rng: np.random.Generator) -> tuple[float, float]:
    a, b = 2.0, 5.0
    mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
    true = var / (mean * (1 - mean))
    hits, widths = 0, []
    for _ in range(reps):
        p = rng.beta(a, b, sets)
        flags = (rng.random((sets, runs)) < p[:, None]).ravel().astype(float)
        low, high = share_interval(flags, np.repeat(np.arange(sets), runs))
        hits += low <= true <= high
        widths.append(high - low)
    return hits / reps, float(np.mean(widths))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    print("sets  runs/set  coverage of the true share (0.125)  mean width")
    for sets, runs in ((40, 10), (100, 5), (400, 10)):
        cov, width = coverage(sets, runs, args.reps, rng)
        print(f"{sets:>4}  {runs:>8}  {cov:>34.1%}  {width:>10.3f}")
    rows, n = 1668, 100
    strata = np.repeat(np.arange(rows), n)
    groups = rng.integers(0, 30, rows * n)
    flags = (rng.random(rows * n) < 0.02).astype(float)
    start = time.perf_counter()
    parameter_fields(flags, groups, strata)
    print(f"parameter_fields at 1,668 rows x 100 runs: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
