"""Which risk factors the model weighs as the record does, on the calibration years.

    uv run python benchmarks/risk_factors.py [--posterior shipped] [--runs 10]
        [--set links.population_elasticity=0.3 ...] [--label NAME] [--sample N] [--output F]

Every complete predictor row of the calibration years (1960-1993, whose two-year outcomes end
by 1995: 4,261 rows, inside an episode or not) is run ``--runs`` times as ``forecast`` runs it
(24 months, 1,000 civilians, a parameter set drawn per run from the posterior; ``--set`` holds
a coefficient at one value in every set). Then one auxiliary model, a logistic regression on
the fifteen predictors the profile links read (standardized over these rows, L2 penalty C = 1),
is fitted twice on the same rows: to the record's outcome ``mk_onset_1or2`` and to the model's
``p_onset`` (a fractional outcome). Where the two coefficients differ, the model weighs that
risk factor differently from the record, other factors held equal; since both are fitted on the
same rows, correlated predictors confound both alike. Also printed: the in-sample AUC of the
model's ``p_onset`` against the record's onsets, the mean rates, and the rates by level of each
binary predictor and by quartile of each continuous one, and the auxiliary model's own in-sample
AUC against the record, exact and with its probabilities estimated as shares of ``--runs`` runs
(the yardstick for the model's AUC at that resolution). JSON to
``benchmarks/results/risk_factors[-LABEL].json``.

Calibration years only: nothing here reads a year after 1993. Results are the model's, for
stylized anonymous profiles; aggregate only (no profile named).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from escalation_sim.record.data import OUTCOME, PREDICTORS_FILE, data_dir, load_predictors
from escalation_sim.record.forecast import forecast
from escalation_sim.record.posterior import posterior_option, with_fixed
from escalation_sim.record.profiles import BINARY, COLUMNS, read_profiles
from escalation_sim.record.regression import auc, auc_as_share_of_runs
from escalation_sim.runner import local_pool

LAST_ROW_YEAR = 1993


def auxiliary(X: np.ndarray, outcome: np.ndarray):
    """A logistic regression of ``outcome`` (0/1 or a share) on the standardized ``X``: each
    row enters twice, as an event weighted by its share and as a non-event weighted by the
    rest (the likelihood of a fractional outcome)."""
    from sklearn.linear_model import LogisticRegression

    n = len(outcome)
    return LogisticRegression(C=1.0, max_iter=5000).fit(
        np.vstack([X, X]), np.r_[np.ones(n), np.zeros(n)],
        sample_weight=np.r_[outcome, 1.0 - outcome])


def compare(rows: pd.DataFrame, p: np.ndarray, runs: int) -> dict:
    """The record's and the model's rates, AUC and auxiliary coefficients on ``rows``; the
    auxiliary model fitted to the record, its in-sample AUC exact and as a share of ``runs``
    runs (the model's resolution, :func:`auc_as_share_of_runs`)."""
    y = rows[OUTCOME].to_numpy(dtype=float)
    X = rows[list(COLUMNS)].to_numpy(dtype=float)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    fitted, model = auxiliary(X, y), auxiliary(X, p)
    record = np.r_[fitted.intercept_, fitted.coef_[0]]
    model = np.r_[model.intercept_, model.coef_[0]]
    record_p = fitted.predict_proba(X)[:, 1]
    at_runs = auc_as_share_of_runs(y, record_p, runs, seed=0)
    levels = {}
    for c in COLUMNS:
        if c in BINARY:
            groups = {f"{c} = {v}": rows[c].to_numpy() == v for v in (0, 1)}
        else:   # quartiles by rank (ties split by row order)
            q = pd.qcut(rows[c].rank(method="first"), 4, labels=False).to_numpy()
            groups = {f"{c} quartile {k + 1}": q == k for k in range(4)}
        for name, mask in groups.items():
            levels[name] = {"rows": int(mask.sum()), "record": float(y[mask].mean()),
                            "model": float(p[mask].mean())}
    return {"rows": len(rows), "onsets": int(y.sum()), "record_rate": float(y.mean()),
            "model_mean": float(p.mean()), "model_auc": auc(y, p),
            "record_regression_auc": auc(y, record_p), "record_regression_auc_at_runs": at_runs,
            "coefficients": {name: {"record": float(a), "model": float(b)} for name, a, b in
                             zip(("(intercept)", *COLUMNS), record, model, strict=True)},
            "levels": levels}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posterior", default="shipped")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--label", default="")
    parser.add_argument("--sample", type=int, default=0,
                        help="a seeded sample of this many rows (default: all; a smoke run)")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    fixed = {a.split("=", 1)[0]: float(a.split("=", 1)[1]) for a in args.set}
    posterior = posterior_option(args.posterior)
    if fixed:
        posterior = with_fixed(posterior, fixed)
    predictors = load_predictors()
    chosen = np.flatnonzero((predictors.year <= LAST_ROW_YEAR).to_numpy()
                            & predictors[list(COLUMNS)].notna().all(axis=1).to_numpy()
                            & predictors[OUTCOME].notna().to_numpy())
    if args.sample:
        chosen = np.sort(np.random.default_rng(0).choice(chosen, args.sample, replace=False))
    table = read_profiles(data_dir() / PREDICTORS_FILE)
    start = time.perf_counter()
    with local_pool(args.workers) as pool:
        found = forecast(table, runs=args.runs, rows=[int(i) + 1 for i in chosen],
                         executor=pool, workers=args.workers, posterior=posterior)
    seconds = time.perf_counter() - start
    p = np.array([r.p_onset for r in found])
    out = {"posterior": args.posterior, "fixed": fixed, "runs": args.runs,
           "seconds": round(seconds, 1), **compare(predictors.iloc[chosen], p, args.runs)}
    print(f"{out['rows']} rows ({out['onsets']} onsets), {args.runs} runs each, "
          f"{seconds:.0f} s; record rate {out['record_rate']:.4f}, model mean "
          f"{out['model_mean']:.4f}, model AUC {out['model_auc']:.3f}; the auxiliary model "
          f"fitted to the record, in sample: AUC {out['record_regression_auc']:.3f}, "
          f"{out['record_regression_auc_at_runs'][0]:.3f} as a share of {args.runs} runs")
    print(f"{'auxiliary coefficient':26s} {'record':>8s} {'model':>8s}")
    for name, c in out["coefficients"].items():
        print(f"{name:26s} {c['record']:+8.3f} {c['model']:+8.3f}")
    print(f"{'rows':34s} {'n':>5s} {'record':>7s} {'model':>7s}")
    for name, v in out["levels"].items():
        print(f"{name:34s} {v['rows']:5d} {v['record']:7.4f} {v['model']:7.4f}")
    target = args.output or (Path(__file__).parent / "results"
                             / f"risk_factors{'-' + args.label if args.label else ''}.json")
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(out, indent=1) + "\n")
    print("the model's numbers, for stylized anonymous profiles; written", target)


if __name__ == "__main__":
    main()
