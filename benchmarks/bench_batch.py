"""Runs stepped together against the same runs alone, step by step, in one process.

    uv run python benchmarks/bench_batch.py [--runs 100] [--batch 25] [--rounds 3] [--rows 20]

Forecast-shaped runs (24 months, 1,000 civilians) of ``--rows`` seeded rows of the shipped
predictors file, each with a parameter set drawn from the shipped posterior, as ``forecast``
runs them. Each round runs them alone (``EscalationModel.timings``) and then together in
batches of ``--batch`` (``escalation_sim.batch.Together.timings``), and records the wall time
of each step of the month and of the whole (building included) per run. Printed: the medians
over rounds, alone and together, and the ratio together/alone of each (the reference measured
in the same run). Then it builds each model once more with a timer around each part of the
build (:data:`BUILD_PARTS`) and prints, in ms a run, the scenario builds that precede the
runs (``profile_at`` with a drawn set), a model's build and each part. One process, so the
figures exclude the pool's costs; the runs' results are
the same either way (``tests/test_batch.py``). JSON to ``benchmarks/results/batch.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from batch_gate import forecast_scenarios  # this script's folder is on the path

from escalation_sim.batch import Together
from escalation_sim.model import EscalationModel

BUILD_PARTS = (("population", "create"), ("population", "build_ties"),
               ("population", "tie_matrix"), ("model", "situate"),
               ("Observation", "start"), ("Decisions", "__init__"),
               ("Violence", "__init__"), ("Mobilization", "__init__"),
               ("Mobilization", "start"), ("mesa.Model", "__init__"))
"""The parts of building a model that :func:`build_parts` times (nested ones are included in
the part that calls them: ``build_ties`` in ``create``, ``tie_matrix`` in ``build_ties``)."""


def build_parts(scenarios, seeds) -> dict[str, float]:
    """Milliseconds a run to build each model of ``scenarios`` and ``seeds``, and to run each
    part of :data:`BUILD_PARTS` (each wrapped in a timer for the while)."""
    import mesa

    from escalation_sim import model as model_module
    from escalation_sim import population

    owners = {"population": population, "model": model_module, "mesa.Model": mesa.Model,
              "Observation": model_module.Observation, "Decisions": model_module.Decisions,
              "Violence": model_module.Violence, "Mobilization": model_module.Mobilization}
    seconds: dict[str, float] = {}
    saved = []
    for owner, name in BUILD_PARTS:
        holder, original = owners[owner], getattr(owners[owner], name)
        saved.append((holder, name, original))

        def timed(*args, _f=original, _key=f"{owner}.{name}", **kwargs):
            start = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                seconds[_key] = seconds.get(_key, 0.0) + time.perf_counter() - start
        setattr(holder, name, timed)
    try:
        start = time.perf_counter()
        for s, seed in zip(scenarios, seeds, strict=True):
            EscalationModel(s, seed)
        total = time.perf_counter() - start
    finally:
        for holder, name, original in saved:
            setattr(holder, name, original)
    return {"model build": total / len(seeds) * 1e3,
            **{k: v / len(seeds) * 1e3 for k, v in seconds.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--batch", type=int, default=25)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rows", type=int, default=20)
    ap.add_argument("--output", type=Path, default=Path("benchmarks/results/batch.json"))
    a = ap.parse_args()
    built: dict[str, float] = {}
    scenarios, seeds = forecast_scenarios(a.runs, a.rows, timings=built)
    build = {"scenario (profile_at with a drawn set)": built["scenario"] / a.runs * 1e3,
             **build_parts(scenarios, seeds)}
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
           "build_ms_per_run": build, "ms_per_run": ms,
           "ratio": {k: ms["together"][k] / ms["alone"][k]
                     for k in ms["alone"] if ms["alone"][k] > 0}}
    a.output.parent.mkdir(parents=True, exist_ok=True)
    a.output.write_text(json.dumps(out, indent=2))
    for k in ms["alone"]:
        print(f"{k:>13}: alone {ms['alone'][k]:6.2f} ms a run, together "
              f"{ms['together'][k]:6.2f}, ratio {ms['together'][k] / ms['alone'][k]:.2f}"
              if ms["alone"][k] > 0 else f"{k:>13}: -")
    print("building (ms a run, once, the parts as timed in place):")
    for k, v in build.items():
        print(f"  {k}: {v:.3f}")


if __name__ == "__main__":
    main()
