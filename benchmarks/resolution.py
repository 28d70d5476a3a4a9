"""Does the model's answer depend on how many simulated civilians stand for the population?

    nice -n 10 uv run python benchmarks/resolution.py --workers 1   # the README's table
    uv run python benchmarks/resolution.py --runs 100 --scenarios default --levels 10000 30000

For each scenario, ``--runs`` runs at each resolution (``run.n_civilians``; the population, and
so the people each simulated civilian stands for, is the scenario's), the same ensemble seeds at
every level. It reports P(mass-killing onset), P(stage >= 2), P(stage 3) and deaths per million
people, each with its 95 % interval, and whether each level agrees with the last (the finest):
the 95 % interval of the difference covers zero (Newcombe's hybrid score interval for the
proportions, Welch's t interval for the means). With four measures per scenario and level, about
one comparison in twenty disagrees by chance when the model is resolution-free. Levels share
their ensemble seeds (so each seed's coups and shocks) but are compared as independent samples:
the intervals of the differences are wider than a paired comparison's, so a small effect of
the resolution is easier to miss, not to find. Progress (wall seconds per level and per run)
goes to stderr; ``--json-out PATH`` saves the JSON as well as printing the table. Results are
the model's, not forecasts.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np
from scipy import stats

from escalation_sim import load_scenario
from escalation_sim.outcomes import wilson
from escalation_sim.runner import run_ensemble

SCENARIOS = ("default", "state_perpetrator", "post_agreement")
LEVELS = (5_000, 10_000, 100_000)


def measures(outcomes, population: float) -> dict[str, np.ndarray]:
    """Per-run values of the four measures (flags as 0/1)."""
    return {
        "P(onset)": np.array([o.mass_killing_onset for o in outcomes], float),
        "P(stage>=2)": np.array([o.highest_stage >= 2 for o in outcomes], float),
        "P(stage 3)": np.array([o.highest_stage >= 3 for o in outcomes], float),
        "deaths/million": np.array([o.deaths for o in outcomes], float) / population * 1e6,
    }


def interval(x: np.ndarray, proportion: bool) -> tuple[float, float, float]:
    """Estimate and 95 % interval (Wilson for a proportion, t for a mean)."""
    if proportion:
        k = int(x.sum())
        low, high = wilson(k, x.size)
        return k / x.size, low, high
    m = float(x.mean())
    half = float(stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return m, m - half, m + half


def difference(a: np.ndarray, b: np.ndarray, proportion: bool) -> tuple[float, float, float]:
    """Difference a - b and its 95 % interval (Newcombe hybrid score; Welch)."""
    if proportion:
        pa, la, ua = interval(a, True)
        pb, lb, ub = interval(b, True)
        d = pa - pb
        return d, d - math.hypot(pa - la, ub - pb), d + math.hypot(ua - pa, pb - lb)
    d = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0:
        return d, d, d
    dof = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    half = float(stats.t.ppf(0.975, dof) * se)
    return d, d - half, d + half


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    ap.add_argument("--levels", nargs="+", type=int, default=list(LEVELS),
                    help="run.n_civilians values, coarsest first; each is compared with the last")
    ap.add_argument("--runs", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    ap.add_argument("--json-out", metavar="PATH",
                    help="also write the JSON here (rewritten after each scenario) and print "
                         "the table")
    args = ap.parse_args()
    table = []
    for name in args.scenarios:
        per_level = {}
        for n in args.levels:
            scenario = load_scenario(name, [f"run.n_civilians={n}"])
            start = time.perf_counter()
            outcomes = run_ensemble(scenario, args.runs, seed=args.seed, workers=args.workers)
            per_level[n] = (measures(outcomes, scenario.run.population),
                            time.perf_counter() - start)
            values, seconds = per_level[n]
            print(f"{name}, n = {n:,}: {seconds:.0f} s wall, {seconds / args.runs:.2f} s/run; "
                  + ", ".join(f"{m} {x.mean():.3g}" for m, x in values.items()),
                  file=sys.stderr, flush=True)
        finest = per_level[args.levels[-1]][0]
        for n in args.levels:
            values, seconds = per_level[n]
            for measure, x in values.items():
                proportion = measure.startswith("P(")
                est, low, high = interval(x, proportion)
                d, dlow, dhigh = difference(x, finest[measure], proportion)
                table.append({"scenario": name, "n_civilians": n, "measure": measure,
                              "estimate": est, "low": low, "high": high,
                              "difference": d, "difference_low": dlow,
                              "difference_high": dhigh,
                              "agrees": bool(dlow <= 0 <= dhigh), "seconds": seconds})
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump(table, f, indent=1)
    if args.json:
        print(json.dumps(table, indent=1))
        return
    print(f"Model results (not forecasts), {args.runs} runs per level, seed {args.seed}; "
          f"'agrees': the 95 % interval of the difference from n = {args.levels[-1]:,} covers 0")
    print("| scenario | measure | " + " | ".join(f"n = {n:,}" for n in args.levels)
          + " | agrees |")
    print("|---|---|" + "---|" * len(args.levels) + "---|")
    for name in args.scenarios:
        for measure in ("P(onset)", "P(stage>=2)", "P(stage 3)", "deaths/million"):
            rows = [r for r in table if r["scenario"] == name and r["measure"] == measure]
            fmt = "{:.2f} [{:.2f}, {:.2f}]" if measure.startswith("P(") else \
                "{:,.0f} [{:,.0f}, {:,.0f}]"
            cells = [fmt.format(r["estimate"], r["low"], r["high"]) for r in rows]
            agree = ", ".join("yes" if r["agrees"] else "NO" for r in rows[:-1])
            print(f"| {name} | {measure} | " + " | ".join(cells) + f" | {agree} |")
    for name in args.scenarios:
        secs = {r["n_civilians"]: r["seconds"] for r in table if r["scenario"] == name}
        print(f"{name}: wall seconds per level (per run) "
              + ", ".join(f"{n:,}: {s:.0f} ({s / args.runs:.2f})" for n, s in secs.items()))


if __name__ == "__main__":
    main()
