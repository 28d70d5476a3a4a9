"""How the situation's spread and the population elasticity move onset rates across the risk range.

    uv run python benchmarks/spread_screen.py [--posterior shipped] [--settings 0:1,1:1,1.5:1,1:0.5]

On the record's calibration years only (predictor rows to 1993 with every predictor known,
outside an episode, as the gradient targets count them): 80 rows drawn from each quintile of
the out-of-fold risk score (seed 1), each run 40 times as ``forecast`` runs it (24 months, 1,000
civilians, a parameter set drawn per run from the posterior, the forecast's seeds), once per
setting ``SPREAD:ELASTICITY`` of ``situation.spread`` and ``links.population_elasticity`` (every
run of a setting has the same two values; the posterior gives the rest). Prints, per setting,
the mean ``p_onset`` by quintile, the rows with ``p_onset`` above one half, and the record's
rate on the same rows; JSON to ``benchmarks/results/spread_screen.json``.

Results are the model's, for stylized anonymous profiles; aggregate only (no profile named).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from escalation_sim.record import measure
from escalation_sim.record.data import OUTCOME, PREDICTORS_FILE, data_dir, load_predictors
from escalation_sim.record.forecast import forecast
from escalation_sim.record.posterior import posterior_option, with_fixed
from escalation_sim.record.profiles import read_profiles
from escalation_sim.runner import local_pool

LAST_ROW_YEAR, PER_QUINTILE, RUNS = 1993, 80, 40
FIXED = ("situation.spread", "links.population_elasticity")


def sample(per_quintile: int) -> tuple[list[int], np.ndarray, np.ndarray]:
    """The drawn rows (1-based, as ``forecast`` takes them), their quintiles (1-5) and their
    outcomes."""
    p = load_predictors()
    years = np.flatnonzero((p.year <= LAST_ROW_YEAR).to_numpy())   # the score sees only these
    c = p.iloc[years].reset_index(drop=True)
    quintile = measure.risk_quintiles(measure.risk_scores(c), measure.outside_episode(c))
    rng = np.random.default_rng(1)
    drawn = np.concatenate([rng.choice(np.flatnonzero(quintile == q), per_quintile,
                                       replace=False) for q in range(5)])
    return ([int(years[i]) + 1 for i in drawn], quintile[drawn] + 1,
            c[OUTCOME].to_numpy()[drawn])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posterior", default="shipped")
    parser.add_argument("--settings", default="0:1,1:1,1.5:1,1:0.5")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--per-quintile", type=int, default=PER_QUINTILE)
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    posterior = posterior_option(args.posterior)
    settings = [tuple(float(v) for v in s.split(":")) for s in args.settings.split(",")]
    out = {"posterior": args.posterior, "rows_per_quintile": args.per_quintile, "runs": args.runs,
           "settings": []}
    table = read_profiles(data_dir() / PREDICTORS_FILE)
    with local_pool(args.workers) as pool:
        rows, quintile, onset = sample(args.per_quintile)
        record = [float(onset[quintile == q].mean()) for q in range(1, 6)]
        out["record"] = record
        print("record, same rows:", " ".join(f"q{q} {r:.4f}" for q, r in enumerate(record, 1)))
        for spread, elasticity in settings:
            start = time.perf_counter()
            fixed = {FIXED[0]: spread, FIXED[1]: elasticity}
            found = forecast(table, runs=args.runs, rows=rows, executor=pool,
                             workers=args.workers, posterior=with_fixed(posterior, fixed))
            p = np.array([r.p_onset for r in found])
            by = [float(p[quintile == q].mean()) for q in range(1, 6)]
            out["settings"].append({"spread": spread, "elasticity": elasticity,
                                    "p_onset_by_quintile": by,
                                    "rows_above_half": int((p > 0.5).sum()),
                                    "rows_never": int((p == 0).sum()),
                                    "seconds": round(time.perf_counter() - start, 1)})
            print(f"spread {spread} elasticity {elasticity}:",
                  " ".join(f"q{q} {v:.4f}" for q, v in enumerate(by, 1)),
                  f"| rows above 1/2: {(p > 0.5).sum()}, never: {(p == 0).sum()}", flush=True)
    target = Path(__file__).parent / "results" / "spread_screen.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(out, indent=1) + "\n")
    print("the model's numbers, for stylized anonymous profiles; written", target)


if __name__ == "__main__":
    main()
