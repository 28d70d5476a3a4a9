"""Forecast benchmark: time a sample of rows, extrapolate to the issue's target.

Run from the repository root::

    uv run python benchmarks/bench_forecast.py                  # 40 rows x 20 runs per setting
    uv run python benchmarks/bench_forecast.py --rows 10 --runs 5 --civilians 1000   # smoke

Issue 13's target: a forecast of 1,668 rows x 100 runs (24 months) in at most 10 minutes on two
cores, i.e. 166,800 runs in 600 s, 3.6 ms of wall time per run on the pair, 7.2 ms of one core.

For each number of simulated civilians (``--civilians``, several allowed), the script forecasts
the same seeded random sample of rows of the shipped predictors file (``--rows`` rows,
``--runs`` runs each, 24 months) with :func:`escalation_sim.record.forecast.forecast` on the
project's local pool of ``--workers`` processes (2, the target's cores, by default; 1 on a
machine shared with others: the CPU figures do not depend on it), after one untimed warm-up
batch, and records:

* wall seconds per run, and the extrapolated wall time of the target forecast (with fewer
  workers than the target's two cores, scaled by workers / 2, as if the pool scaled evenly);
* CPU seconds per run (user + system of this process and its live descendants, i.e. the
  pool's workers, read with psutil), and the time the target would take on two otherwise
  idle cores (CPU per run x 166,800 / 2): the more stable figure on a shared machine;
* in this process, the median time to build one model and to run its 24 months (10 seeds of
  the sample's first row), to show where a run's time goes;
* the mean p_onset of the sample (how the number of civilians moves the model's answer while
  results still depend on it).

``--posterior``: ``none`` (the declared values, one scenario per row) by default, as the
figures measured before it existed were; ``shipped`` (what a user's ``forecast`` runs by
default: each run under its drawn parameter set, the row's scenario built once per distinct
set, in the parent until 2026-12-07, by the workers since) or a posterior file.

The ratio reported is extrapolated time / 600 s (below 1 meets the target). Wall-clock numbers
depend on other load (the load average is recorded). JSON goes to
``benchmarks/results/forecast.json``. Exits 0 whatever the numbers say (a benchmark, not a
test).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from escalation_sim.model import EscalationModel
from escalation_sim.record.data import PREDICTORS_FILE, data_dir
from escalation_sim.record.forecast import forecast
from escalation_sim.record.posterior import posterior_option
from escalation_sim.record.profiles import profile_at, read_profiles
from escalation_sim.runner import local_pool

TARGET_ROWS, TARGET_RUNS, TARGET_SECONDS, CORES = 1668, 100, 600.0, 2


def cpu_seconds() -> float:
    """CPU seconds of this process and its live descendants (the pool's workers live on: the
    kernel's RUSAGE_CHILDREN would count only children that have ended)."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for p in me.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += sum(p.cpu_times()[:2])
    return total


def split_times(table, row: int, civilians: int, seeds: int = 10) -> dict:
    scenario = profile_at(table, row, months=24, n_civilians=civilians).scenario
    build, step = [], []
    for seed in range(seeds):
        t0 = time.perf_counter()
        model = EscalationModel(scenario, seed)
        t1 = time.perf_counter()
        model.run()
        step.append(time.perf_counter() - t1)
        build.append(t1 - t0)
    return {"build_median_s": statistics.median(build), "run_24_months_median_s":
            statistics.median(step)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--civilians", type=int, action="append", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=CORES,
                    help="processes of the local pool (default: the target's 2 cores)")
    ap.add_argument("--posterior", default="none",
                    help="'none' (the default: the declared values), 'shipped' (forecast's "
                         "default) or a posterior file")
    ap.add_argument("--output", type=Path, default=Path("benchmarks/results/forecast.json"))
    args = ap.parse_args()
    civilians = args.civilians or [300, 1000, 10000]
    table = read_profiles(data_dir() / PREDICTORS_FILE)
    posterior = posterior_option(args.posterior)
    rng = np.random.default_rng(args.seed)
    rows = sorted(int(r) + 1 for r in rng.choice(len(table), args.rows, replace=False))
    record: dict = {"rows": args.rows, "runs": args.runs, "months": 24, "seed": args.seed,
                    "target": {"rows": TARGET_ROWS, "runs": TARGET_RUNS,
                               "seconds": TARGET_SECONDS, "cores": CORES},
                    "workers": args.workers, "posterior": args.posterior,
                    "load_average_start": os.getloadavg(), "settings": []}
    pool = local_pool(args.workers)
    try:
        forecast(table, 2, n_civilians=civilians[0], rows=rows[:1], executor=pool,
                 workers=args.workers, posterior=posterior)   # warm-up, untimed
        for n in civilians:
            runs = args.rows * args.runs
            c0, t0 = cpu_seconds(), time.perf_counter()
            result = forecast(table, args.runs, n_civilians=n, seed=args.seed, rows=rows,
                              executor=pool, workers=args.workers, posterior=posterior)
            wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
            target_runs = TARGET_ROWS * TARGET_RUNS
            setting = {
                "civilians": n, "wall_s": wall, "cpu_s": cpu,
                "wall_per_run_ms": 1000 * wall / runs, "cpu_per_run_ms": 1000 * cpu / runs,
                "target_wall_extrapolated_s": wall / runs * target_runs * args.workers / CORES,
                "target_idle_2_cores_s": cpu / runs * target_runs / CORES,
                "mean_p_onset": float(np.mean([r.p_onset for r in result])),
                **split_times(table, rows[0], n)}
            setting["ratio_wall"] = setting["target_wall_extrapolated_s"] / TARGET_SECONDS
            setting["ratio_idle"] = setting["target_idle_2_cores_s"] / TARGET_SECONDS
            record["settings"].append(setting)
            print(f"{n:>6} civilians: {setting['wall_per_run_ms']:.1f} ms wall / "
                  f"{setting['cpu_per_run_ms']:.1f} ms CPU per run (build "
                  f"{1000 * setting['build_median_s']:.1f} ms, 24 months "
                  f"{1000 * setting['run_24_months_median_s']:.1f} ms); target forecast "
                  f"{setting['target_wall_extrapolated_s'] / 60:.1f} min wall "
                  f"(x{setting['ratio_wall']:.2f} of 10 min), "
                  f"{setting['target_idle_2_cores_s'] / 60:.1f} min on 2 idle cores "
                  f"(x{setting['ratio_idle']:.2f}); mean p_onset {setting['mean_p_onset']:.3f}",
                  flush=True)
    finally:
        pool.shutdown()
    record["load_average_end"] = os.getloadavg()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2))
    print(f"load average {record['load_average_start'][0]:.2f} -> "
          f"{record['load_average_end'][0]:.2f}; written {args.output}")


if __name__ == "__main__":
    main()
