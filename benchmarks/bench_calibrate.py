"""Calibration benchmark: the cost of one simulated parameter set, to size an ABC-SMC fit.

Run from the repository root::

    uv run python benchmarks/bench_calibrate.py                        # the shipped file's settings
    uv run python benchmarks/bench_calibrate.py --sets 1 --workers 1 --rows-per-quintile 2  # smoke

One ABC generation simulates ``population / acceptance rate`` parameter sets; each set runs
every sampled profile row ``sample.runs`` times (``experiments/calibration.toml``: 240 rows, 40
inside an episode, x 5 runs of 24 months at 1,000 civilians). The script builds the
calibration's record once (the targets in the calibration years and the seeded row sample:
untimed, about a minute), then
simulates ``--sets`` parameter sets drawn uniformly from the priors (seeded) with
:class:`escalation_sim.record.calibrate.Simulator`, in this process and on a local pool of
``--workers`` processes, and records:

* wall seconds per simulated parameter set, per setting;
* the reference, measured in the same run: the median wall time of one run of the sample's
  first row (24 months, in this process), and each setting's seconds per set as a multiple of
  (runs per set x that reference), i.e. the overhead of building profiles, measuring and
  dispatching;
* the load average at start and end.

JSON goes to ``benchmarks/results/calibrate.json``. Exits 0 whatever the numbers say.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from escalation_sim.record.calibrate import Simulator, calibration_record, load_calibration
from escalation_sim.record.data import PREDICTORS_FILE, data_dir
from escalation_sim.record.profiles import profile_at, read_profiles
from escalation_sim.runner import local_pool, run_model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", default="experiments/calibration.toml")
    ap.add_argument("--sets", type=int, default=4, help="parameter sets per setting")
    ap.add_argument("--workers", type=int, default=2, help="pool size (1: in-process only)")
    ap.add_argument("--rows-per-quintile", type=int, default=None,
                    help="override the file's sample.rows_per_quintile (a smoke run)")
    ap.add_argument("--output", default="benchmarks/results/calibrate.json")
    args = ap.parse_args()
    load_start = os.getloadavg()
    config = load_calibration(args.file)
    if args.rows_per_quintile is not None:
        config = config.model_copy(update={"sample": config.sample.model_copy(
            update={"rows_per_quintile": args.rows_per_quintile})})
    record = calibration_record(config)
    table = read_profiles(data_dir() / PREDICTORS_FILE)
    rng = np.random.default_rng(0)
    sets = [{p.name: float(rng.uniform(*p.prior())) for p in config.parameters} | config.held
            for _ in range(args.sets)]
    s = config.sample
    first = profile_at(table, record.rows[0], months=s.months, n_civilians=s.civilians).scenario
    run_model(first, 0)  # warm-up
    ref = []
    for seed in range(1, 8):
        t = time.perf_counter()
        run_model(first, seed)
        ref.append(time.perf_counter() - t)
    reference = statistics.median(ref)
    runs_per_set = len(record.rows) * s.runs
    settings = {}
    for workers in sorted({1, args.workers}):
        pool = local_pool(workers) if workers > 1 else None
        try:
            sim = Simulator(config, table, record, pool, workers)
            sim.simulate(sets[0], 999)  # warm-up (the pool's processes start)
            times = []
            for i, values in enumerate(sets):
                t = time.perf_counter()
                sim.simulate(values, i)
                times.append(time.perf_counter() - t)
        finally:
            if pool is not None:
                pool.shutdown()
        per_set = statistics.mean(times)
        settings[str(workers)] = {"seconds_per_set": per_set, "all": times,
                                  "ratio_to_runs_alone": per_set / (runs_per_set * reference)}
        print(f"workers {workers}: {per_set:.2f} s per parameter set ({runs_per_set} runs; "
              f"x{per_set / (runs_per_set * reference):.2f} of the runs alone in one process)")
    load_end = os.getloadavg()
    print(f"reference: {reference * 1000:.1f} ms per run of {s.months} months at "
          f"{s.civilians:,} civilians; load average {load_start[0]:.2f} -> {load_end[0]:.2f} "
          f"on {os.cpu_count()} cores")
    result = {"file": args.file, "sets": args.sets, "runs_per_set": runs_per_set,
              "months": s.months, "civilians": s.civilians, "reference_run_seconds": reference,
              "settings": settings, "load_average": {"start": load_start, "end": load_end},
              "population": config.abc.population}
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
