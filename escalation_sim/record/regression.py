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
from dataclasses import asdict, dataclass, fields

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
    """The baseline's out-of-sample record (aggregate: no row or profile is named): the fit, and
    the test rows' :class:`Scores` (``test``)."""

    split_year: int
    train_years: tuple[int, int]
    test_years: tuple[int, int]
    n_train: int
    onsets_train: int
    dropped_incomplete: int
    chosen_c: float
    nonzero_coefficients: int
    test: Scores
    coefficients: dict[str, float]
    seed: int
    resamples: int

    def to_dict(self) -> dict:
        """Flat, as the record has always been written: the test scores' ``n``, ``onsets`` and
        ``bins`` as ``n_test``, ``onsets_test`` and ``deciles``, the rest under their names."""
        t = self.test.to_dict()
        renamed = {"n_test": t.pop("n"), "onsets_test": t.pop("onsets"),
                   "deciles": t.pop("bins")}
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "test"}
        return {"baseline": {**d, **renamed, **t}, "method": method(), "source": CITATION,
                "note": NOTE}


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


def country_resamples(groups: np.ndarray, seed: int, n: int) -> list[np.ndarray]:
    """``n`` resamples of countries with replacement, each as the row indices of its drawn
    countries (a country's rows go together: neighbouring years are not independent)."""
    _, rows = _by_group(groups)
    rng = np.random.default_rng(seed)
    return [np.concatenate([rows[g] for g in draw])
            for draw in rng.integers(0, len(rows), size=(n, len(rows)))]


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """The area under the ROC curve, as the Mann-Whitney statistic: the share of (onset,
    non-onset) pairs the prediction ranks right, ties counting half (the same number as
    scikit-learn's ``roc_auc_score``, 100 times faster for the bootstrap); NaN without both
    kinds of rows."""
    from scipy.stats import rankdata

    y = np.asarray(y).astype(bool)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if not (n1 and n0):
        return float("nan")
    return float((rankdata(p)[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def resampled_auc(y: np.ndarray, p: np.ndarray, draws: list[np.ndarray]) -> np.ndarray:
    """The AUC in each resample (NaN where a resample lacks onsets or non-onsets)."""
    return np.array([auc(y[i], p[i]) for i in draws])


def auc_as_share_of_runs(y: np.ndarray, p: np.ndarray, runs: int, seed: int,
                         draws: int = 200) -> tuple[float, float, float]:
    """The AUC that probabilities ``p`` would score if each were estimated as the model's
    ``p_onset`` is, as the share of ``runs`` independent runs with the event: its median and
    95 % range over ``draws`` seeded sets of binomial draws (Monte Carlo noise only). A share
    of a few runs ties most rows at 0 and ranks the rest coarsely, so even exact probabilities
    lose AUC: this is what that many runs per row cost ``p``, a yardstick for the model's AUC
    at the same number of runs (an approximation of what they cost the model's probabilities,
    which are distributed otherwise)."""
    rng = np.random.default_rng(seed)
    found = np.array([auc(y, rng.binomial(runs, p) / runs) for _ in range(draws)])
    low, high = percentile_interval(found)
    return float(np.nanmedian(found)), low, high


def auc_difference_at_runs(y: np.ndarray, model_p: np.ndarray, p: np.ndarray, runs: int,
                           draws: list[np.ndarray], seed: int) -> tuple[float, float]:
    """The 95 % interval of the AUC of ``model_p`` minus that of ``p`` estimated as shares of
    ``runs`` runs (:func:`auc_as_share_of_runs`), paired over the resamples of countries
    ``draws``: each resample takes its own seeded binomial draw of ``p``, so the interval
    covers the countries drawn and the Monte Carlo noise together."""
    rng = np.random.default_rng(seed)
    return percentile_interval(np.array([
        auc(y[i], model_p[i]) - auc(y[i], rng.binomial(runs, p[i]) / runs) for i in draws]))


def percentile_interval(values: np.ndarray) -> tuple[float, float]:
    values = values[~np.isnan(values)]
    if not len(values):
        return (float("nan"), float("nan"))
    low, high = np.percentile(values, (2.5, 97.5))
    return (float(low), float(high))


def calibration_bins(y: np.ndarray, p: np.ndarray, bins: int) -> tuple[Decile, ...]:
    """Rows in ``bins`` equal-count groups by predicted risk (fewer where predictions tie, as
    a model's share of runs often does): per group the mean prediction and the observed rate
    with its 95 % Wilson interval."""
    group = (pd.qcut(p, bins, labels=False, duplicates="drop") if len(np.unique(p)) > 1
             else np.zeros(len(p), dtype=int))
    out = []
    for d in range(int(np.max(group)) + 1):
        rows = group == d
        k, n = int(y[rows].sum()), int(rows.sum())
        if n:
            lo, hi = wilson(k, n)
            out.append(Decile(len(out) + 1, n, k, float(p[rows].mean()), k / n, lo, hi))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Scores:
    """How well predictions ``p`` of a set of rows match their outcomes (aggregate only)."""

    n: int
    onsets: int
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
    bins: tuple[Decile, ...]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["bins"] = [asdict(x) for x in self.bins]
        return d


def scores(y: np.ndarray, p: np.ndarray, reference: float, draws: list[np.ndarray],
           bins: int = 10) -> Scores:
    """AUC and Brier score with 95 % percentile intervals over the resamples of countries
    ``draws`` (:func:`country_resamples`), the Brier score of the constant ``reference`` (the
    training base rate) and the skill against it, mean prediction against the observed rate
    (Wilson), and the calibration bins (:func:`calibration_bins`). The one scoring of the
    baseline and of the model's validation."""
    from sklearn.metrics import brier_score_loss

    if not 0 < y.sum() < len(y):
        raise SplitError(f"scoring needs onsets and non-onsets ({int(y.sum())} onsets in "
                         f"{len(y)} rows)")
    auc_lo, auc_hi = percentile_interval(resampled_auc(y, p, draws))
    brier_lo, brier_hi = percentile_interval(np.array([np.mean((p[i] - y[i]) ** 2)
                                                       for i in draws]))
    brier = float(brier_score_loss(y, p))
    brier_ref = float(np.mean((reference - y) ** 2))
    k, n = int(y.sum()), len(y)
    obs_lo, obs_hi = wilson(k, n)
    return Scores(n, k, auc(y, p), auc_lo, auc_hi, brier, brier_lo, brier_hi,
                  brier_ref, 1 - brier / brier_ref, float(p.mean()), k / n, obs_lo, obs_hi,
                  calibration_bins(y, p, bins))


@dataclass(frozen=True)
class Split:
    """A time split of a predictors table: the design (:func:`design`), and the training rows
    (outcome window ending by the split year) and test rows (after it), complete rows only."""

    split_year: int
    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    year: np.ndarray
    complete: np.ndarray
    train: np.ndarray
    test: np.ndarray


def time_split(data: pd.DataFrame, split_year: int) -> Split:
    """Split ``data`` at ``split_year``: train on the rows of years up to ``split_year - 2``,
    test on the rows after ``split_year``; :class:`SplitError` if either lacks onsets or
    non-onsets. The rows of ``split_year - 1`` and ``split_year`` are in neither set: their
    outcomes fall after the split, so fitting on them would use onsets of the test years."""
    X, complete = design(data)
    year = data["year"].to_numpy()
    y = data[OUTCOME].to_numpy()
    train = complete & (year <= split_year - 2)
    test = complete & (year > split_year)
    for name, rows in (("training", train), ("test", test)):
        if not 0 < y[rows].sum() < rows.sum():
            raise SplitError(f"split year {split_year}: the {name} rows need onsets and "
                             f"non-onsets ({int(y[rows].sum())} onsets in {int(rows.sum())} "
                             "complete rows)")
    return Split(split_year, X, y, data["profile"].to_numpy(), year, complete, train, test)


def fit_split(split: Split, seed: int = 0):
    """The baseline fitted on a split's training rows (nothing of the test years is used)."""
    return fit(split.X[split.train], split.y[split.train], split.groups[split.train], seed)


def baseline(predictors: pd.DataFrame | None = None, split_year: int = 1995, seed: int = 0,
             bootstrap: int = BOOTSTRAP) -> Baseline:
    """Fit on the rows whose two-year outcome window ends by ``split_year`` (years up to
    ``split_year - 2``), evaluate on the rows of the years after ``split_year``
    (:func:`time_split`)."""
    data = load_predictors() if predictors is None else predictors
    sp = time_split(data, split_year)
    model = fit_split(sp, seed)
    p = model.predict_proba(sp.X[sp.test])[:, 1]
    yt = sp.y[sp.test]
    sc = scores(yt, p, float(sp.y[sp.train].mean()),
                country_resamples(sp.groups[sp.test], seed, bootstrap))
    span = (sp.year <= split_year - 2) | (sp.year > split_year)
    lr = model[-1]
    coef = lr.coef_[0]
    return Baseline(
        split_year=split_year,
        train_years=(int(sp.year[sp.train].min()), int(sp.year[sp.train].max())),
        test_years=(int(sp.year[sp.test].min()), int(sp.year[sp.test].max())),
        n_train=int(sp.train.sum()), onsets_train=int(sp.y[sp.train].sum()),
        dropped_incomplete=int((span & ~sp.complete).sum()),
        chosen_c=float(np.ravel(lr.C_)[0]), nonzero_coefficients=int(np.count_nonzero(coef)),
        test=sc, coefficients={f: float(c) for f, c in zip(FEATURES, coef, strict=True)},
        seed=seed, resamples=bootstrap)


def format_baseline(b: Baseline) -> str:
    """The baseline as a printed report."""
    t = b.test
    lines = [
        "Statistical baseline on the Early Warning Project record (an elastic-net logistic "
        "regression,",
        "the EWP's own method; NOT escalation-sim). Outcome: mass-killing onset in the next one "
        "or two years.",
        f"  fit on     {b.train_years[0]}-{b.train_years[1]}: {b.n_train:,} complete "
        f"country-years, {b.onsets_train} onsets (outcomes through {b.split_year})",
        f"  tested on  {b.test_years[0]}-{b.test_years[1]}: {t.n:,} complete "
        f"country-years, {t.onsets} onsets ({b.dropped_incomplete} incomplete rows left "
        "out)",
        f"  penalty    C = {b.chosen_c:.4g} by {FOLDS}-fold country-grouped CV on the "
        f"training rows only; {b.nonzero_coefficients} of {len(FEATURES)} coefficients "
        "non-zero",
        f"  AUC        {t.auc:.3f} [{t.auc_low:.3f}, {t.auc_high:.3f}]",
        f"  Brier      {t.brier:.4f} [{t.brier_low:.4f}, {t.brier_high:.4f}]; the training "
        f"base rate alone {t.brier_reference:.4f} (skill {t.brier_skill:+.1%})",
        f"  mean predicted {t.mean_predicted:.2%} vs observed {t.observed:.2%} "
        f"[{t.observed_low:.2%}, {t.observed_high:.2%}] (ratio "
        f"{t.mean_predicted / t.observed:.2f})",
        "  calibration by decile of predicted risk:",
        "    decile      n  onsets  mean predicted  observed [95 % Wilson]",
    ]
    for d in t.bins:
        lines.append(f"    {d.decile:>6} {d.n:>6} {d.onsets:>7}  {d.mean_predicted:>14.2%}  "
                     f"{d.observed:.2%} [{d.observed_low:.2%}, {d.observed_high:.2%}]")
    lines.append(f"  intervals: 95 %, bootstrap over countries ({b.resamples} resamples, seed "
                 f"{b.seed}) unless marked Wilson")
    lines.append(f"Source: {CITATION}.")
    lines.append("Aggregate results only; no country or profile is named or ranked.")
    return "\n".join(lines)
