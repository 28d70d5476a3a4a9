"""Hash a fixed set of runs, to prove a change bit-identical (or to show what it changed).

    uv run python benchmarks/hash_runs.py > after.json        # in each checkout
    uv run python benchmarks/hash_runs.py --v1 > after.json   # v1 outcome fields only
    python3 -c "import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); \\
        print(sum(a[k]!=b[k] for k in a), 'of', len(a), 'differ')" before.json after.json

Every shipped scenario under the policies none, early_pillar2, late_response, sustained and
premature_exit, plus adaptive and structural on default and state_perpetrator, each with seeds
0-3 (216 runs with the ten scenarios of model v2 part 1, which it proved bit-identical; 236 since
``default_with_past``). ``--profiles N`` adds N rows of the shipped predictors file (a seeded
sample), run as a forecast runs them (24 months at 1,000 civilians), seeds 0-3. To hash another
checkout's code with this script: ``uv run --project OTHER python benchmarks/hash_runs.py``.
``--batched`` steps runs together (``escalation_sim/batch.py``): every profile run in one
batch of mixed rows, each scenario's four seeds under a policy in one; its hashes must equal
those without it.
Each run's hash covers the bytes of its series, its outcome record and its event log. ``--v1``
keeps only the outcome fields that existed before the mass-killing onset and leaves out the
event log's ``mass_killing`` lines, for comparing with code of that time (before model v2's
dynamics: since then ``mass_atrocity`` means the onset, and no run is the same).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

import numpy as np

from escalation_sim import EscalationModel, RunOutcome, load_scenario
from escalation_sim.batch import run_together
from escalation_sim.scenario import available, resolve_policy

POLICIES = ["none", "early_pillar2", "late_response", "sustained", "premature_exit"]
V1 = ["seed", "months", "stages", "highest_stage", "first_month_at_stage", "stopped_at",
      "recurrences", "mass_atrocity", "mass_atrocity_month", "deaths", "displaced_peak",
      "displaced_end", "violations", "cost", "warning_month", "formal_warning_month",
      "first_action_month", "blocked"]


def model_hash(m: EscalationModel, v1: bool) -> str:
    """The hash of a run, from its model at its end: its series' bytes, its outcome record and
    its event log."""
    outcome = RunOutcome.from_model(m).to_dict()
    log = [(e.month, e.kind, e.text) for e in m.events_log]
    if v1:
        outcome = {k: outcome[k] for k in V1}
        log = [e for e in log if e[1] != "mass_killing"]
    h = hashlib.sha256(m.series.tobytes())
    h.update(json.dumps(outcome, sort_keys=True).encode())
    h.update(json.dumps(log).encode())
    return h.hexdigest()


def profile_scenarios(n: int) -> list:
    """``n`` seeded rows of the shipped predictors file as forecast scenarios, keyed by row."""
    if n <= 0:
        return []
    from escalation_sim.record.data import PREDICTORS_FILE, data_dir
    from escalation_sim.record.forecast import FORECAST_CIVILIANS, FORECAST_MONTHS
    from escalation_sim.record.profiles import profile_at, read_profiles

    table = read_profiles(data_dir() / PREDICTORS_FILE)
    rows = sorted(int(r) + 1 for r in np.random.default_rng(0).choice(len(table), n,
                                                                         replace=False))
    return [(f"profile_row_{r}", profile_at(table, r, months=FORECAST_MONTHS,
                                            n_civilians=FORECAST_CIVILIANS).scenario)
            for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--v1", action="store_true", help="v1 outcome fields and log lines only")
    ap.add_argument("--profiles", type=int, default=0, metavar="N",
                    help="also N sampled rows of the predictors file, run as a forecast runs them")
    ap.add_argument("--batched", action="store_true",
                    help="step each group of runs together (the hashes must not change)")
    args = ap.parse_args()
    out = {}

    def hash_runs(keys: list[str], scenarios: list, seeds: list[int], policy=None) -> None:
        if args.batched:
            models = run_together(scenarios, seeds, policy)
        else:
            models = [EscalationModel(s, seed, policy).run()
                      for s, seed in zip(scenarios, seeds, strict=True)]
        out.update({k: model_hash(m, args.v1) for k, m in zip(keys, models, strict=True)})

    profiles = [(f"{key}/{seed}", scenario, seed)
                for key, scenario in profile_scenarios(args.profiles) for seed in range(4)]
    if profiles:
        hash_runs(*(list(x) for x in zip(*profiles, strict=True)))
    for name in available():
        scenario = load_scenario(name)
        extra = ["adaptive", "structural"] if name in ("default", "state_perpetrator") else []
        for policy_name in POLICIES + extra:
            hash_runs([f"{name}/{policy_name}/{seed}" for seed in range(4)], [scenario] * 4,
                      list(range(4)), resolve_policy(scenario, policy_name))
    json.dump(out, sys.stdout, indent=0, sort_keys=True)


if __name__ == "__main__":
    main()
