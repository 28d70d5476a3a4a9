"""Which risk factors the model weighs as the record does, on the calibration years.

    uv run python benchmarks/risk_factors.py [--posterior shipped] [--runs 10]
        [--set links.population_elasticity=0.3 ...] [--label NAME] [--sample N] [--output F]

Every row of the calibration years (1960-1993, whose two-year outcomes end by 1995) with the
predictors the profile links read (``COLUMNS``: sixteen since 2026-12-06, when
``even_civilrights`` joined; fifteen before) and the outcome known, inside an episode or not, is
run ``--runs`` times as ``forecast`` runs it (24 months, 1,000 civilians, a parameter set drawn
per run from the posterior; ``--set`` holds a coefficient at one value in every set). Then one
auxiliary model, a logistic regression on those predictors (standardized over these rows, L2
penalty C = 1), is fitted twice on the same rows: to the record's outcome
``mk_onset_1or2`` and to the model's ``p_onset`` (a fractional outcome). Where the two
coefficients differ, the model weighs that risk factor differently from the record, other
factors held equal; since both are fitted on the same rows, correlated predictors confound both
alike. The record's coefficients and the differences get 95 % intervals over resamples of
countries (the record has about 140 onsets here: many differences are within them). Also
printed: the in-sample AUC of the model's ``p_onset`` against the record's onsets, the mean
rates, and the rates by level of each predictor (by quartile of the values where there are more
than three), the same among the rows whose profile excludes no group (no minority rule and
``discrimpop`` below the exclusion threshold), and the auxiliary model's own in-sample AUC
against the record, exact and with its probabilities estimated as shares of ``--runs`` runs
(the yardstick for the model's AUC at that resolution).
JSON to ``benchmarks/results/risk_factors[-LABEL].json``.

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
from escalation_sim.record.profiles import (
    COLUMNS,
    LINK_DEFAULTS,
    ProfileLinks,
    excludes,
    read_profiles,
)
from escalation_sim.record.regression import auc, auc_as_share_of_runs, country_resamples
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


def coefficients(X: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """Intercept and coefficients of :func:`auxiliary`."""
    fitted = auxiliary(X, outcome)
    return np.r_[fitted.intercept_, fitted.coef_[0]]


def groups_of(values: pd.Series) -> dict[str, np.ndarray]:
    """Rows by value for a column of at most three values; else rows at 0, when over a quarter
    are (``battledeaths.log2``, ``mk_ongoing_count_log2``, ``discrimpop``), and the others by
    quartile (tercile, after the zeros) of their values, bins sharing a value merged."""
    if values.nunique() <= 3:
        return {f"= {v:g}": (values == v).to_numpy() for v in sorted(values.unique())}
    out, rest = {}, np.ones(len(values), dtype=bool)
    if (values == 0).mean() > 0.25:
        out["= 0"] = rest = (values == 0).to_numpy()
        rest = ~rest
    bins = pd.qcut(values[rest], 3 if out else 4, duplicates="drop")
    for interval in bins.cat.categories:
        mask = np.zeros(len(values), dtype=bool)
        mask[np.flatnonzero(rest)[(bins == interval).to_numpy()]] = True
        out[f"in ({interval.left:.3g}, {interval.right:.3g}]"] = mask
    return out


def compare(rows: pd.DataFrame, p: np.ndarray, runs: int, resamples: int,
            links: ProfileLinks = LINK_DEFAULTS) -> dict:
    """The record's and the model's rates, AUC and auxiliary coefficients on ``rows``, with
    95 % intervals over ``resamples`` resamples of countries for the record's coefficients and
    for the model's minus the record's (the model's ``p_onset`` per row held fixed: its
    Monte Carlo noise is not in them); the auxiliary model fitted to the record, its in-sample
    AUC exact and as a share of ``runs`` runs (:func:`auc_as_share_of_runs`); the rows whose
    profile excludes no group by the exclusion rule of ``links``."""
    y = rows[OUTCOME].to_numpy(dtype=float)
    X = rows[list(COLUMNS)].to_numpy(dtype=float)
    sd = X.std(axis=0)
    X = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)   # a constant column stays 0
    fitted = auxiliary(X, y)
    record, model = np.r_[fitted.intercept_, fitted.coef_[0]], coefficients(X, p)
    boot_record, boot_difference = [], []
    for i in country_resamples(rows["profile"].to_numpy(), 0, resamples):
        if 0 < y[i].sum() < len(i):
            r = coefficients(X[i], y[i])
            boot_record.append(r)
            boot_difference.append(coefficients(X[i], p[i]) - r)
    record_low, record_high = np.percentile(boot_record, (2.5, 97.5), axis=0)
    difference_low, difference_high = np.percentile(boot_difference, (2.5, 97.5), axis=0)
    record_p = fitted.predict_proba(X)[:, 1]
    def by_level(within: np.ndarray) -> dict:
        out = {}
        if not within.any():
            return out
        for c in COLUMNS:
            for name, mask in groups_of(rows[c][within]).items():
                out[f"{c} {name}"] = {"rows": int(mask.sum()),
                                      "record": float(y[within][mask].mean()),
                                      "model": float(p[within][mask].mean())}
        return out

    open_ = ~excludes(rows["discrimpop"].to_numpy(), rows["minorityrule"].to_numpy(), links)
    names = ("(intercept)", *COLUMNS)
    return {"rows": len(rows), "onsets": int(y.sum()), "record_rate": float(y.mean()),
            "model_mean": float(p.mean()), "model_auc": auc(y, p),
            "record_regression_auc": auc(y, record_p),
            "record_regression_auc_at_runs": auc_as_share_of_runs(y, record_p, runs, seed=0),
            "resamples": len(boot_record),
            "coefficients": {n: {"record": float(record[k]), "model": float(model[k]),
                                 "record_95": [float(record_low[k]), float(record_high[k])],
                                 "difference_95": [float(difference_low[k]),
                                                   float(difference_high[k])]}
                             for k, n in enumerate(names)},
            "levels": by_level(np.ones(len(rows), dtype=bool)),
            "without_exclusion": {"rows": int(open_.sum()),
                                  "record": float(y[open_].mean()) if open_.any() else None,
                                  "model": float(p[open_].mean()) if open_.any() else None},
            "levels_without_exclusion": by_level(open_)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posterior", default="shipped")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--label", default="")
    parser.add_argument("--sample", type=int, default=0,
                        help="a seeded sample of this many rows (default: all; a smoke run)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="months run before the 24 counted (default: the posterior's)")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--resamples", type=int, default=200,
                        help="resamples of countries for the coefficients' intervals")
    args = parser.parse_args()
    fixed = {}
    for assignment in args.set:
        name, _, value = assignment.partition("=")
        try:
            fixed[name] = float(value)
        except ValueError:
            parser.error(f"--set {assignment}: expected NAME=NUMBER")
    posterior = posterior_option(args.posterior)
    if fixed:
        posterior = with_fixed(posterior, fixed)
    predictors = load_predictors()
    chosen = np.flatnonzero((predictors.year <= LAST_ROW_YEAR).to_numpy()
                            & predictors[list(COLUMNS)].notna().all(axis=1).to_numpy()
                            & predictors[OUTCOME].notna().to_numpy())
    if args.sample:
        chosen = np.sort(np.random.default_rng(0).choice(chosen, args.sample, replace=False))
    if not 0 < predictors[OUTCOME].to_numpy()[chosen].sum() < len(chosen):
        parser.error("the rows need onsets and non-onsets: a larger --sample")
    table = read_profiles(data_dir() / PREDICTORS_FILE)
    start = time.perf_counter()
    with local_pool(args.workers) as pool:
        found = forecast(table, runs=args.runs, rows=[int(i) + 1 for i in chosen],
                         executor=pool, workers=args.workers, posterior=posterior,
                         warmup=args.warmup)
    seconds = time.perf_counter() - start
    p = np.array([r.p_onset for r in found])
    out = {"posterior": args.posterior, "fixed": fixed, "runs": args.runs, "warmup": args.warmup,
           "seconds": round(seconds, 1),
           **compare(predictors.iloc[chosen], p, args.runs, args.resamples, ProfileLinks(
               exclusion_threshold=fixed.get("links.exclusion_threshold",
                                             LINK_DEFAULTS.exclusion_threshold)))}
    print(f"{out['rows']} rows ({out['onsets']} onsets), {args.runs} runs each, "
          f"{seconds:.0f} s; record rate {out['record_rate']:.4f}, model mean "
          f"{out['model_mean']:.4f}, model AUC {out['model_auc']:.3f}; the auxiliary model "
          f"fitted to the record, in sample: AUC {out['record_regression_auc']:.3f}, "
          f"{out['record_regression_auc_at_runs'][0]:.3f} as a share of {args.runs} runs")
    print(f"{'auxiliary coefficient':24s} {'record [95 %]':>24s} {'model':>7s} "
          f"{'model - record [95 %]':>26s}")
    for name, c in out["coefficients"].items():
        (a, b), (d, e) = c["record_95"], c["difference_95"]
        print(f"{name:24s} {c['record']:+7.3f} [{a:+6.3f}, {b:+6.3f}] {c['model']:+7.3f} "
              f"{c['model'] - c['record']:+7.3f} [{d:+6.3f}, {e:+6.3f}]")
    print(f"{'rows':34s} {'n':>5s} {'record':>7s} {'model':>7s}")
    for name, v in out["levels"].items():
        print(f"{name:34s} {v['rows']:5d} {v['record']:7.4f} {v['model']:7.4f}")
    v = out["without_exclusion"]
    if v["rows"]:
        print(f"rows whose profile excludes no group: {v['rows']}, record {v['record']:.4f}, "
              f"model {v['model']:.4f}; among them")
    for name, v in out["levels_without_exclusion"].items():
        print(f"  {name:32s} {v['rows']:5d} {v['record']:7.4f} {v['model']:7.4f}")
    target = args.output or (Path(__file__).parent / "results"
                             / f"risk_factors{'-' + args.label if args.label else ''}.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(out, indent=1) + "\n")
    print("the model's numbers, for stylized anonymous profiles; written", target)


if __name__ == "__main__":
    main()
