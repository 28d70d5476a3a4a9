"""The scenario library's claims under the fitted posterior (issue 13, part 6).

Run from the repository root::

    uv run python benchmarks/claims_posterior.py                 # 100 runs an arm, 2 workers
    uv run python benchmarks/claims_posterior.py --runs 10       # smoke

Each claim of the README's "Scenarios" paragraph (``tests/test_library.py`` checks them with the
declared values) compares two arms — two scenarios, two policies, or a scenario and an override
— on one outcome. Every arm runs ``--runs`` runs (seed 0, as the briefs) twice: with the
declared values, and with each run drawing a parameter set of the posterior (``--posterior``,
default the shipped ``calibration/posterior.parquet``; run *i* draws the same set in both arms,
as ``compare --posterior`` does). For each claim the script prints both arms' values and their
difference (second minus first) with a 95 % interval from 2,000 paired bootstrap resamples of
the runs (seeded), declared and under the posterior, and whether the difference keeps its sign
with an interval that excludes zero. The posterior's scenario coefficients are what it changes
(its link coefficients act on profiles only). JSON goes to ``--output``. The model's numbers,
for stylized scenarios.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from escalation_sim.outcomes import CAVEAT
from escalation_sim.record.effect import paired_means
from escalation_sim.record.posterior import (
    SHIPPED,
    drawn_scenarios,
    posterior_option,
    scenario_columns,
)
from escalation_sim.record.regression import country_resamples
from escalation_sim.runner import run_ensemble
from escalation_sim.scenario import load_scenario, resolve_policy

# (claim, outcome, first arm, second arm); an arm is (scenario, policy or None, overrides)
CLAIMS = [
    ("a reformed electoral body lowers specific threat", "stage2",
     ("election_distrusted", None, ()), ("election_reformed", None, ())),
    ("the coup triggers stage 3", "stage3",
     ("coup_polarization", None, ("events.scheduled=[]",)), ("coup_polarization", None, ())),
    ("acting on the coup beats waiting for observed atrocities (stage 3)", "stage3",
     ("coup_polarization", "late_response", ()), ("coup_polarization", "act_on_the_coup", ())),
    ("acting on the coup beats waiting for observed atrocities (deaths)", "deaths",
     ("coup_polarization", "late_response", ()), ("coup_polarization", "act_on_the_coup", ())),
    ("a veto raises deaths against a perpetrator state", "deaths",
     ("state_perpetrator", "council_action", ("international.council.0.backs=[]",)),
     ("state_perpetrator", "council_action", ())),
    ("a veto and the mass-killing onset against a perpetrator state", "mass_atrocity",
     ("state_perpetrator", "council_action", ("international.council.0.backs=[]",)),
     ("state_perpetrator", "council_action", ())),
    ("structural assistance to a willing state facing extremists", "stage2",
     ("violent_extremism", None, ()), ("violent_extremism", "structural", ())),
    ("a split security sector makes stage 3 more likely", "stage3",
     ("security_split", None, ("institutions.security_sector.integrity=0.7",
                               "institutions.security_sector.professionalism=0.7")),
     ("security_split", None, ())),
    ("a split security sector and the mass-killing onset", "mass_atrocity",
     ("security_split", None, ("institutions.security_sector.integrity=0.7",
                               "institutions.security_sector.professionalism=0.7")),
     ("security_split", None, ())),
    ("sustained engagement prevents recurrence better than premature exit", "recurrence",
     ("post_agreement", "premature_exit", ()), ("post_agreement", "sustained", ())),
    ("modest sustained prevention beats a late response (stage 3)", "stage3",
     ("sustained_prevention", "late_response", ()),
     ("sustained_prevention", "modest_sustained", ())),
    ("strong brakes keep a country out of specific threat", "stage2",
     ("default", None, ()), ("resilient", None, ())),
    ("a past mass killing raises specific threat", "stage2",
     ("default", None, ()), ("default_with_past", None, ())),
    ("a past mass killing raises deaths", "deaths",
     ("default", None, ()), ("default_with_past", None, ())),
]
SEED = 0


def per_run(scenario_name, policy, overrides, runs, workers, posterior):
    """Each run's outcomes of one arm: stage >= 2, stage 3, onset, recurrence, deaths."""
    scenario = load_scenario(scenario_name, list(overrides))
    chosen = resolve_policy(scenario, policy) if policy else None
    drawn = (drawn_scenarios(posterior, scenario_name, list(overrides), SEED, runs)
             if posterior is not None else None)
    outcomes = run_ensemble(scenario, runs, SEED, workers=workers, policy=chosen,
                            scenarios=drawn)
    return {"stage2": np.array([o.highest_stage >= 2 for o in outcomes], float),
            "stage3": np.array([o.highest_stage >= 3 for o in outcomes], float),
            "mass_atrocity": np.array([o.mass_atrocity for o in outcomes], float),
            "recurrence": np.array([o.recurrences > 0 for o in outcomes], float),
            "deaths": np.array([o.deaths for o in outcomes], float)}


def paired(first: np.ndarray, second: np.ndarray, draws: list[np.ndarray]) -> dict:
    """Both arms' means and their difference (second − first) with its interval over the run
    resamples ``draws`` (``record effect``'s paired means, with runs for rows)."""
    m = paired_means(second, first, draws)
    return {"first": m["p_against"], "second": m["p_policy"], "difference": m["difference"],
            "low": m["difference_low"], "high": m["difference_high"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--posterior", default=SHIPPED, metavar="FILE|shipped")
    ap.add_argument("--output", default="benchmarks/results/claims_posterior.json")
    args = ap.parse_args()
    posterior = posterior_option(args.posterior)
    if posterior is None:
        raise SystemExit("--posterior: give a posterior file or shipped (the declared values "
                         "are always run beside it)")
    load_start, start = os.getloadavg(), time.perf_counter()
    cache: dict = {}

    def arm(spec, post):
        key = (spec, post is not None)
        if key not in cache:
            cache[key] = per_run(*spec, args.runs, args.workers, post)
        return cache[key]

    draws = country_resamples(np.arange(args.runs), 0, 2000)   # each run its own "country"
    rows = []
    for claim, outcome, first, second in CLAIMS:
        row = {"claim": claim, "outcome": outcome, "first": list(first), "second": list(second)}
        for label, post in (("declared", None), ("posterior", posterior)):
            row[label] = paired(arm(first, post)[outcome], arm(second, post)[outcome], draws)
        rows.append(row)
        fmt = (lambda x: f"{x:,.0f}") if outcome == "deaths" else (lambda x: f"{x:.0%}")
        text = []
        for label in ("declared", "posterior"):
            r = row[label]
            holds = r["low"] > 0 or r["high"] < 0
            text.append(f"{label}: {fmt(r['first'])} -> {fmt(r['second'])}, "
                        f"{'+' if r['difference'] >= 0 else ''}{fmt(r['difference'])} "
                        f"[{fmt(r['low'])}, {fmt(r['high'])}]{'' if holds else ' (includes 0)'}")
        print(f"{claim} ({outcome}):\n  " + "\n  ".join(text), flush=True)
    result = {"runs": args.runs, "seed": SEED, "posterior": posterior.source,
              "fitted_scenario_coefficients": scenario_columns(posterior),
              "claims": rows, "seconds": round(time.perf_counter() - start, 1),
              "load_average": {"start": load_start, "end": os.getloadavg()},
              "caveat": CAVEAT}
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}; {result['seconds']:.0f} s. {CAVEAT}")


if __name__ == "__main__":
    main()
