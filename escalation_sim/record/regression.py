"""The statistical baseline: the Early Warning Project's own method on its own predictors.

An elastic-net logistic regression (L1 share 0.5, as the EWP's ``glmnet`` call with
``alpha = .5``) of ``mk_onset_1or2`` on the EWP's predictors plus ``year`` and ``year²`` (the
EWP's ``predictornames.fullest``), on standardized predictors, complete rows only (as the EWP
does). The penalty is chosen by cross-validated log loss (the EWP: deviance, ``lambda.min``) —
but with folds that keep each country's rows together, because neighbouring years of a country
are near copies (and their two-year outcomes overlap), so row-wise folds would reward too weak a
penalty. Time split: fit on rows whose outcome window ends by the split year, evaluate on the
rows after it; nothing about the test years is used to choose anything.

This is a statistical model, not escalation-sim: it is the yardstick the simulation's forecasts
must later match or beat (issue 13).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ..outcomes import wilson
from .data import CITATION, OUTCOME, PREDICTORS, load_predictors

FEATURES = ("year", "year_sq", *PREDICTORS)
"""The regression's inputs: the EWP's ``predictornames.fullest`` (``year_sq`` = year², which the
shipped file omits, is recomputed)."""
L1_RATIO = 0.5
"""Elastic-net mixing, the EWP's ``alpha = .5``."""
C_GRID = tuple(float(c) for c in np.logspace(-3, 1, 15))
"""Inverse penalties tried (scikit-learn's ``C``, 10^-3 … 10)."""
TOLERANCE = 1e-3
"""saga's stopping tolerance: 1.5 to 7 times faster than 1e-4 (measured on a loaded machine) with
the same chosen penalty; the test rows' predictions differ by at most 0.0005 (0.3 % of their
value), the AUC by 0.0002 (split 1995, measured 2026-12-02)."""
FOLDS = 5
"""Cross-validation folds, grouped by country."""
BOOTSTRAP = 2000
"""Resamples of countries for the intervals of AUC and Brier score."""
NOTE = ("statistical baseline: an elastic-net logistic regression (the Early Warning Project's "
        "method) on the EWP record, not escalation-sim; aggregate results only")


class SplitError(ValueError):
    """A split year that leaves the training or the test rows without onsets or non-onsets."""


def design(predictors: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The feature matrix (:data:`FEATURES`, float64) and the mask of complete rows."""
    X = predictors[list(PREDICTORS)].to_numpy(dtype=np.float64)
    year = predictors["year"].to_numpy(dtype=np.float64)
    X = np.column_stack([year, year**2, X])
    return X, ~np.isnan(X).any(axis=1)


def folds(y: np.ndarray, groups: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """:data:`FOLDS` folds, each country's rows in one fold, onsets spread evenly."""
    from sklearn.model_selection import StratifiedGroupKFold

    splitter = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y, groups))


def fit(X: np.ndarray, y: np.ndarray, groups: np.ndarray, seed: int = 0):
    """Fit the baseline: standardize, then the elastic-net logistic regression whose ``C`` has
    the best mean log loss over country-grouped folds of these rows only (the folds share one
    standardization of all these rows, which uses no outcome). Returns the fitted scikit-learn
    pipeline (``predict_proba``; ``[-1].C_`` holds the chosen ``C``)."""
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(
        StandardScaler(),
        LogisticRegressionCV(Cs=list(C_GRID), l1_ratios=[L1_RATIO], solver="saga",
                             cv=folds(y, groups, seed), scoring="neg_log_loss", max_iter=5000,
                             tol=TOLERANCE, random_state=seed))
    with warnings.catch_warnings():
        # scikit-learn 1.9 announces a change of LogisticRegressionCV's fitted attributes; the
        # one read here (C_) keeps its meaning
        warnings.filterwarnings("ignore", message=".*fitted attributes of LogisticRegressionCV")
        model.fit(X, y)
    return model


@dataclass(frozen=True, slots=True)
class Decile:
    """One tenth of the test rows, by predicted risk."""

    decile: int
    n: int
    onsets: int
    mean_predicted: float
    observed: float
    observed_low: float
    observed_high: float


@dataclass(frozen=True, slots=True)
class Baseline:
    """The baseline's out-of-sample record (aggregate: no row or profile is named)."""

    split_year: int
    train_years: tuple[int, int]
    test_years: tuple[int, int]
    n_train: int
    onsets_train: int
    n_test: int
    onsets_test: int
    dropped_incomplete: int
    chosen_c: float
    nonzero_coefficients: int
    auc: float
    auc_low: float
    auc_high: float
    brier: float
    brier_low: float
    brier_high: float
    brier_reference: float
    brier_skill: float
    mean_predicted: float
    observed: float
    observed_low: float
    observed_high: float
    deciles: tuple[Decile, ...]
    coefficients: dict[str, float]
    seed: int
    resamples: int

    def to_dict(self) -> dict:
        d = asdict(self)
        d["deciles"] = [asdict(x) for x in self.deciles]
        return {"baseline": d, "method": method(), "source": CITATION, "note": NOTE}


def method() -> dict:
    """What the baseline is, for its JSON record."""
    return {"model": "elastic-net logistic regression (scikit-learn LogisticRegressionCV, saga)",
            "outcome": OUTCOME, "features": list(FEATURES), "l1_ratio": L1_RATIO,
            "c_grid": list(C_GRID), "folds": f"{FOLDS} folds grouped by country, training "
                                              "rows only", "selection": "mean log loss",
            "rows": "complete rows only (as the EWP)",
            "intervals": "95 % percentile bootstrap over countries (resamples: see the record)"}


def _by_group(groups: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    labels, inverse = np.unique(groups, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse, minlength=len(labels)))[:-1]
    return labels, np.split(order, bounds)


def _bootstrap(y: np.ndarray, p: np.ndarray, groups: np.ndarray, seed: int, n: int):
    """Percentile intervals of AUC and Brier score over resamples of countries."""
    from sklearn.metrics import roc_auc_score

    _, rows = _by_group(groups)
    rng = np.random.default_rng(seed)
    aucs, briers = [], []
    for draw in rng.integers(0, len(rows), size=(n, len(rows))):
        idx = np.concatenate([rows[g] for g in draw])
        briers.append(np.mean((p[idx] - y[idx]) ** 2))
        if 0 < y[idx].sum() < len(idx):
            aucs.append(roc_auc_score(y[idx], p[idx]))
    ci = (2.5, 97.5)
    return tuple(np.percentile(aucs, ci)), tuple(np.percentile(briers, ci))


def baseline(predictors: pd.DataFrame | None = None, split_year: int = 1995, seed: int = 0,
             bootstrap: int = BOOTSTRAP) -> Baseline:
    """Fit on the rows whose two-year outcome window ends by ``split_year`` (years up to
    ``split_year - 2``), evaluate on the rows of the years after ``split_year``.

    The rows of ``split_year - 1`` and ``split_year`` are in neither set: their outcomes fall
    after the split, so fitting on them would use onsets of the test years.
    """
    from sklearn.metrics import brier_score_loss, roc_auc_score

    data = load_predictors() if predictors is None else predictors
    X, complete = design(data)
    year = data["year"].to_numpy()
    y = data[OUTCOME].to_numpy()
    groups = data["profile"].to_numpy()
    train = complete & (year <= split_year - 2)
    test = complete & (year > split_year)
    span = (year <= split_year - 2) | (year > split_year)
    for name, rows in (("training", train), ("test", test)):
        if not 0 < y[rows].sum() < rows.sum():
            raise SplitError(f"split year {split_year}: the {name} rows need onsets and "
                             f"non-onsets ({int(y[rows].sum())} onsets in {int(rows.sum())} "
                             "complete rows)")
    model = fit(X[train], y[train], groups[train], seed)
    p = model.predict_proba(X[test])[:, 1]
    yt = y[test]
    reference = float(y[train].mean())
    brier = float(brier_score_loss(yt, p))
    brier_ref = float(np.mean((reference - yt) ** 2))
    (auc_lo, auc_hi), (brier_lo, brier_hi) = _bootstrap(yt, p, groups[test], seed, bootstrap)
    deciles = []
    bins = pd.qcut(p, 10, labels=False, duplicates="drop")
    for d in range(int(bins.max()) + 1):
        rows = bins == d
        k, n = int(yt[rows].sum()), int(rows.sum())
        lo, hi = wilson(k, n)
        deciles.append(Decile(d + 1, n, k, float(p[rows].mean()), k / n, lo, hi))
    k, n = int(yt.sum()), int(test.sum())
    obs_lo, obs_hi = wilson(k, n)
    lr = model[-1]
    coef = lr.coef_[0]
    return Baseline(
        split_year=split_year,
        train_years=(int(year[train].min()), int(year[train].max())),
        test_years=(int(year[test].min()), int(year[test].max())),
        n_train=int(train.sum()), onsets_train=int(y[train].sum()), n_test=n, onsets_test=k,
        dropped_incomplete=int((span & ~complete).sum()), chosen_c=float(np.ravel(lr.C_)[0]),
        nonzero_coefficients=int(np.count_nonzero(coef)),
        auc=float(roc_auc_score(yt, p)), auc_low=float(auc_lo), auc_high=float(auc_hi),
        brier=brier, brier_low=float(brier_lo), brier_high=float(brier_hi),
        brier_reference=brier_ref, brier_skill=1 - brier / brier_ref,
        mean_predicted=float(p.mean()), observed=k / n, observed_low=obs_lo,
        observed_high=obs_hi, deciles=tuple(deciles),
        coefficients={f: float(c) for f, c in zip(FEATURES, coef, strict=True)}, seed=seed,
        resamples=bootstrap)


def format_baseline(b: Baseline) -> str:
    """The baseline as a printed report."""
    lines = [
        "Statistical baseline on the Early Warning Project record (an elastic-net logistic "
        "regression,",
        "the EWP's own method; NOT escalation-sim). Outcome: mass-killing onset in the next one "
        "or two years.",
        f"  fit on     {b.train_years[0]}-{b.train_years[1]}: {b.n_train:,} complete "
        f"country-years, {b.onsets_train} onsets (outcomes through {b.split_year})",
        f"  tested on  {b.test_years[0]}-{b.test_years[1]}: {b.n_test:,} complete "
        f"country-years, {b.onsets_test} onsets ({b.dropped_incomplete} incomplete rows left "
        "out)",
        f"  penalty    C = {b.chosen_c:.4g} by {FOLDS}-fold country-grouped CV on the "
        f"training rows only; {b.nonzero_coefficients} of {len(FEATURES)} coefficients "
        "non-zero",
        f"  AUC        {b.auc:.3f} [{b.auc_low:.3f}, {b.auc_high:.3f}]",
        f"  Brier      {b.brier:.4f} [{b.brier_low:.4f}, {b.brier_high:.4f}]; the training "
        f"base rate alone {b.brier_reference:.4f} (skill {b.brier_skill:+.1%})",
        f"  mean predicted {b.mean_predicted:.2%} vs observed {b.observed:.2%} "
        f"[{b.observed_low:.2%}, {b.observed_high:.2%}] (ratio "
        f"{b.mean_predicted / b.observed:.2f})",
        "  calibration by decile of predicted risk:",
        "    decile      n  onsets  mean predicted  observed [95 % Wilson]",
    ]
    for d in b.deciles:
        lines.append(f"    {d.decile:>6} {d.n:>6} {d.onsets:>7}  {d.mean_predicted:>14.2%}  "
                     f"{d.observed:.2%} [{d.observed_low:.2%}, {d.observed_high:.2%}]")
    lines.append(f"  intervals: 95 %, bootstrap over countries ({b.resamples} resamples, seed "
                 f"{b.seed}) unless marked Wilson")
    lines.append(f"Source: {CITATION}.")
    lines.append("Aggregate results only; no country or profile is named or ranked.")
    return "\n".join(lines)
