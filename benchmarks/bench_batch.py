"""Runs stepped together against the same runs alone, step by step, in one process.

    uv run python benchmarks/bench_batch.py [--runs 100] [--batch 25] [--rounds 3] [--rows 20]

Forecast-shaped runs (24 months, 1,000 civilians) of ``--rows`` seeded rows of the shipped
predictors file, each with a parameter set drawn from the shipped posterior, as ``forecast``
runs them. Each round runs them alone (``EscalationModel.timings``) and then together in
batches of ``--batch`` (``escalation_sim.batch.Together.timings``), and records the wall time
of each step of the month and of the whole (building included) per run. Printed: the medians
over rounds, alone and together, and the ratio together/alone of each (the reference measured
in the same run). One process, so the figures exclude the pool's costs; the runs' results are
the same either way (``tests/test_batch.py``). JSON to ``benchmarks/results/batch.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from escalation_sim.batch import Together
from escalation_sim.model import EscalationModel
from escalation_sim.record.data import PREDICTORS_FILE, data_dir
from escalation_sim.record.posterior import draw_seed, read_posterior, shipped_posterior, split
from escalation_sim.record.profiles import profile_at, read_profiles
from escalation_sim.rng import run_seed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--batch", type=int, default=25)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rows", type=int, default=20)
    ap.add_argument("--output", type=Path, default=Path("benchmarks/results/batch.json"))
    a = ap.parse_args()
    table = read_profiles(data_dir() / PREDICTORS_FILE)
    posterior = read_posterior(shipped_posterior())
    rows = np.random.default_rng(0).choice(np.arange(1, len(table) + 1), a.rows, replace=False)
    scenarios = []
    for i in range(a.runs):
        links, overrides = split(posterior.parameters(posterior.draw(draw_seed(0, i))))
        scenarios.append(profile_at(table, int(rows[i % a.rows]), links, 24, 1000,
                                    overrides).scenario)
    seeds = [run_seed(0, i) for i in range(a.runs)]
    rounds: dict[str, list[dict[str, float]]] = {"alone": [], "together": []}
    for _ in range(a.rounds):
        steps: dict[str, float] = {}
        start = time.perf_counter()
        for s, seed in zip(scenarios, seeds, strict=True):
            model = EscalationModel(s, seed)
            model.timings = steps
            model.run()
            steps = model.timings
        rounds["alone"].append({**steps, "run": time.perf_counter() - start})
        steps = {}
        start = time.perf_counter()
        for b in range(0, a.runs, a.batch):
            together = Together(scenarios[b:b + a.batch], seeds[b:b + a.batch])
            together.timings = steps
            together.run()
        rounds["together"].append({**steps, "run": time.perf_counter() - start})
    ms = {how: {k: statistics.median(r[k] for r in rs) / a.runs * 1e3 for k in rs[0]}
          for how, rs in rounds.items()}
    out = {"runs": a.runs, "batch": a.batch, "rounds": a.rounds, "rows": a.rows,
           "ms_per_run": ms, "ratio": {k: ms["together"][k] / ms["alone"][k]
                                       for k in ms["alone"] if ms["alone"][k] > 0}}
    a.output.parent.mkdir(parents=True, exist_ok=True)
    a.output.write_text(json.dumps(out, indent=2))
    for k in ms["alone"]:
        print(f"{k:>13}: alone {ms['alone'][k]:6.2f} ms a run, together "
              f"{ms['together'][k]:6.2f}, ratio {ms['together'][k] / ms['alone'][k]:.2f}"
              if ms["alone"][k] > 0 else f"{k:>13}: -")


if __name__ == "__main__":
    main()
