"""How much does each road to violence contribute? Each switched off alone, with paired seeds.

    uv run python benchmarks/roads.py                 # the README's table (300 runs)
    uv run python benchmarks/roads.py --runs 100 --scenario state_perpetrator

Each road is one mechanism's parameter set to zero (``ROADS``); the same ensemble seeds run
with every road and with the road off, so the difference in deaths is paired. A road's *share*
is the mean drop in deaths when it alone is off, over the mean deaths with every road on (shares
need not sum to one: roads interact). Also: P(mass-killing onset) each way, and the runs with
any killing at all, which must stay above zero for every road (no road is a necessary
condition). Results are the model's, for a stylized scenario.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from scipy import stats

from escalation_sim import load_scenario
from escalation_sim.runner import run_ensemble

ROADS: dict[str, tuple[str, ...]] = {
    "hate speech (radicalization)": ("information.propaganda_base=0",
                                     "information.propaganda_trigger=0"),
    "grievance and exclusion": ("mobilization.w_grievance=0",),
    "fear (self-protection)": ("mobilization.w_self_protection=0",),
    "opportunity (recruitment)": ("mobilization.w_opportunity=0",),
    "orders of a complicit state": ("violence.state_orders=0",),
    "revenge (reprisal)": ("violence.revenge=0",),
}
"""Each road to violence and the overrides that switch it off."""


def outcome_arrays(outcomes) -> dict[str, np.ndarray]:
    return {"deaths": np.array([o.deaths for o in outcomes], float),
            "onset": np.array([o.mass_killing_onset for o in outcomes], float)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="default")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--roads", nargs="+", choices=list(ROADS), default=list(ROADS),
                    metavar="ROAD", help="the roads to switch off (default: all)")
    args = ap.parse_args()
    base = outcome_arrays(run_ensemble(load_scenario(args.scenario), args.runs, seed=args.seed,
                                       workers=args.workers))
    mean = base["deaths"].mean()
    print(f"Model results for '{args.scenario}' (stylized; not a forecast), {args.runs} paired "
          f"runs, seed {args.seed}: every road on: deaths {mean:,.0f}, P(onset) "
          f"{base['onset'].mean():.2f}, runs with killings "
          f"{np.count_nonzero(base['deaths'] > 0)}/{args.runs}")
    print("| road switched off | deaths, mean | share of deaths [95 % CI] | P(onset) | runs with "
          "killings |")
    print("|---|---|---|---|---|")
    for road in args.roads:
        overrides = ROADS[road]
        off = outcome_arrays(run_ensemble(load_scenario(args.scenario, list(overrides)),
                                          args.runs, seed=args.seed, workers=args.workers))
        drop = base["deaths"] - off["deaths"]
        half = stats.t.ppf(0.975, drop.size - 1) * drop.std(ddof=1) / math.sqrt(drop.size)
        share = drop.mean() / mean if mean else float("nan")
        print(f"| {road} | {off['deaths'].mean():,.0f} | {share:.0%} "
              f"[{(drop.mean() - half) / mean:.0%}, {(drop.mean() + half) / mean:.0%}] | "
              f"{off['onset'].mean():.2f} | {np.count_nonzero(off['deaths'] > 0)}/{args.runs} |")


if __name__ == "__main__":
    main()
