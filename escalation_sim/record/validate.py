"""Validation within the record: the model's ``p_onset`` on the years after a split, beside the
statistical baseline fitted before it (``escalation-sim record validate``).

The record's predictor rows are split in time (:func:`.regression.time_split`, 1995 by
default): the baseline (:mod:`.regression`, the EWP's method) is fitted on the rows of
1960–1993, whose two-year outcomes end by 1995, and both it and the model forecast the complete
rows of 1996–2011 (all of them, or a seeded random sample, stratified by outcome so that it
keeps the test years' share of onsets). The model's forecast of a row is :func:`.forecast.forecast`
(``p_onset``: the share of ``runs`` runs with a mass-killing onset within ``months``), with the
declared parameter values or a posterior; a posterior must have been fitted on years up to the
split (its record says so), else it has seen the test years. Both are scored by the same
function (:func:`.regression.scores`): AUC and Brier score with intervals over resamples of
countries (the same resamples for both, so their AUC difference has a paired interval), mean
predicted against observed, and calibration bins.

What this shows, and what not: how the model's ``p_onset`` ranks and matches the onsets of
years it was not fitted to, within the data given. It is not the real out-of-sample check: the
later years (after 2011) are kept elsewhere, on purpose, and are never used here. Results are
aggregate; no profile is named or ranked.
"""

from __future__ import annotations

import csv
import io
import time
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..files import json_safe, write_bytes_atomic, write_json_atomic
from ..outcomes import CAVEAT
from .data import CITATION, OUTCOME, PREDICTORS_FILE, data_dir, load_predictors
from .forecast import (
    FORECAST_CIVILIANS,
    FORECAST_MONTHS,
    forecast,
    posterior_warmup,
    warmup_text,
)
from .measure import outside_episode
from .posterior import Posterior
from .profiles import read_profiles
from .regression import (
    BOOTSTRAP,
    Scores,
    auc_as_share_of_runs,
    auc_difference_at_runs,
    country_resamples,
    fit_split,
    percentile_interval,
    resampled_auc,
    scores,
    time_split,
)

BINS = 5
"""Calibration bins (equal counts by predicted risk; fewer where predictions tie)."""
SHOWS = ("the model's p_onset for the record's complete country-years after the split year, "
         "against their observed onsets (mk_onset_1or2), beside the EWP's regression fitted "
         "only on the years before: how the model ranks (AUC) and matches (Brier score, mean "
         "rate, calibration) onsets of years it was not fitted to")
DOES_NOT_SHOW = ("not the real out-of-sample check: the years after 2011 are held elsewhere "
                 "on purpose and are never used here; without a fitted posterior the model's "
                 "parameters are assumptions, none fitted to any years; a sample of rows gives "
                 "wide intervals")
NOTE = "aggregate results only; no profile is named or ranked"


@dataclass(frozen=True)
class Subset:
    """Test rows with or without an ongoing episode: where the mean rates part (aggregate).

    A profile starts an ongoing episode as one just ended (the model cannot carry one into
    month 0), and the rows inside one are scored on a new episode by another perpetrator
    (:func:`.forecast.new_onset`); the record's rate in the training years beside the test
    years' shows how far the base rate moved."""

    name: str
    n: int
    onsets: int
    observed: float
    model_mean: float
    regression_mean: float
    train_n: int
    train_observed: float


@dataclass(frozen=True)
class Validation:
    """The model and the baseline on the same test rows (aggregate only)."""

    split_year: int
    train_years: tuple[int, int]
    test_years: tuple[int, int]
    test_rows: int          # complete rows of the test years
    test_onsets: int
    sample: int | None      # rows sampled (None: all test rows)
    seed: int
    runs: int
    months: int
    n_civilians: int
    posterior: str | None
    posterior_years: str | None
    model: Scores
    regression: Scores
    auc_difference: float   # model - regression, on the same rows
    auc_difference_low: float
    auc_difference_high: float
    # the regression's AUC with each probability estimated as the model's is, as a share of
    # `runs` runs (median and 95 % range over seeded binomial draws: Monte Carlo noise only;
    # regression.auc_as_share_of_runs), and the model's AUC minus it, paired over the resamples
    # of countries with a binomial draw each (regression.auc_difference_at_runs)
    regression_auc_at_runs: float
    regression_auc_at_runs_low: float
    regression_auc_at_runs_high: float
    auc_difference_at_runs: float
    auc_difference_at_runs_low: float
    auc_difference_at_runs_high: float
    resamples: int
    seconds: float
    train_observed: float   # the training rows' onset rate (the base rate before the split)
    subsets: tuple[Subset, ...]
    warmup: int = 0         # months each run warmed up first (the posterior's; not counted)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["model"] = self.model.to_dict()
        d["regression"] = self.regression.to_dict()
        d["subsets"] = [asdict(x) for x in self.subsets]
        return {"validation": d, "shows": SHOWS, "does_not_show": DOES_NOT_SHOW,
                "source": CITATION, "note": NOTE, "caveat": CAVEAT}


def _posterior_years(posterior: Posterior, split_year: int) -> str:
    """The calibration years of a posterior from its record; refused if they reach past the
    split year (the test years would not be out of sample)."""
    last = (posterior.metadata.get("calibration") or {}).get("last_year")
    if last is None:
        return "unknown (the posterior's record does not say)"
    if not isinstance(last, int) or last > split_year:
        raise InputError(posterior.source, [("calibration.last_year", (
            f"{last}: the posterior was fitted on years after the split year {split_year}, "
            "so the test years would not be out of sample; pass --posterior none, or a "
            f"posterior fitted on years up to {split_year}"))])
    return f"to {last}"


def subsets(ongoing: np.ndarray, y: np.ndarray, model_p: np.ndarray, regression_p: np.ndarray,
            train_ongoing: np.ndarray, train_y: np.ndarray) -> tuple[Subset, ...]:
    """The test rows without and with an ongoing episode (those with rows only), each with its
    observed rate, both predictors' means and the training rows' rate of the same kind."""
    found = []
    for name, test_in, train_in in (("no ongoing episode", ~ongoing, ~train_ongoing),
                                    ("an ongoing episode", ongoing, train_ongoing)):
        if test_in.any():
            found.append(Subset(name, int(test_in.sum()), int(y[test_in].sum()),
                                float(y[test_in].mean()), float(model_p[test_in].mean()),
                                float(regression_p[test_in].mean()), int(train_in.sum()),
                                float(train_y[train_in].mean()) if train_in.any() else
                                float("nan")))
    return tuple(found)


def sample_rows(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """A seeded random sample of ``n`` of the indices of ``y`` (sorted), stratified by outcome:
    the onsets' share of the sample is as near theirs in ``y`` as whole rows allow, and at
    least one of each kind (``ValueError`` if ``n`` exceeds the rows or is below 2)."""
    if not 2 <= n <= len(y):
        raise ValueError(f"{n} rows asked; the test years have {len(y)} complete rows (give "
                         f"2 to {len(y)})")
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    k = min(max(1, round(n * len(pos) / len(y))), len(pos), n - 1)
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([rng.choice(pos, k, replace=False),
                                   rng.choice(neg, n - k, replace=False)]))


def validate(predictors_file: str | Path | None = None, split_year: int = 1995,
             sample: int | None = None, runs: int = 20, months: int = FORECAST_MONTHS,
             seed: int = 0, n_civilians: int = FORECAST_CIVILIANS,
             posterior: Posterior | None = None, executor: Executor | None = None,
             workers: int = 1, bins: int = BINS, resamples: int = BOOTSTRAP) -> Validation:
    """The time-split validation of the module docstring.

    Raises:
        InputError: the predictors file is malformed, or the posterior saw the test years.
        SplitError: the split leaves the training or test rows without onsets or non-onsets.
        ValueError: ``sample`` is not 2 to the number of complete test rows.
    """
    path = Path(predictors_file) if predictors_file else data_dir() / PREDICTORS_FILE
    data = load_predictors(path)
    split = time_split(data, split_year)
    years = _posterior_years(posterior, split_year) if posterior is not None else None
    test = np.flatnonzero(split.test)
    if sample is not None:
        test = test[sample_rows(split.y[test], sample, seed)]
    y = split.y[test]
    reference = float(split.y[split.train].mean())
    draws = country_resamples(split.groups[test], seed, resamples)
    regression_p = fit_split(split, seed).predict_proba(split.X[test])[:, 1]
    start = time.perf_counter()
    found = forecast(read_profiles(path), runs, months, seed, n_civilians, executor, workers,
                     rows=[int(data["line"].iloc[i]) - 1 for i in test], posterior=posterior)
    seconds = time.perf_counter() - start
    model_p = np.array([r.p_onset for r in found])
    difference = resampled_auc(y, model_p, draws) - resampled_auc(y, regression_p, draws)
    model, regression = (scores(y, model_p, reference, draws, bins),
                         scores(y, regression_p, reference, draws, bins))
    low, high = percentile_interval(difference)
    at_runs = auc_as_share_of_runs(y, regression_p, runs, seed)
    at_runs_difference = auc_difference_at_runs(y, model_p, regression_p, runs, draws, seed)
    train_years = split.year[split.train]
    ongoing = ~outside_episode(data)
    parts = subsets(ongoing[test], y, model_p, regression_p, ongoing[split.train],
                    split.y[split.train])
    return Validation(
        split_year, (int(train_years.min()), int(train_years.max())),
        (int(split.year[split.test].min()), int(split.year[split.test].max())),
        int(split.test.sum()), int(split.y[split.test].sum()), sample, seed, runs, months,
        n_civilians, posterior.source if posterior else None, years, model, regression,
        model.auc - regression.auc, low, high, *at_runs, model.auc - at_runs[0],
        *at_runs_difference, resamples, seconds, reference, parts,
        posterior_warmup(posterior))


# ---- outputs --------------------------------------------------------------------------------
def bins_csv(v: Validation) -> bytes:
    """The calibration bins of both, one line per bin."""
    f = io.StringIO(newline="")
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["predictor", "bin", "n", "onsets", "mean_predicted", "observed", "observed_low",
                "observed_high"])
    for name, sc in (("model", v.model), ("regression", v.regression)):
        for b in sc.bins:
            w.writerow([name, b.decile, b.n, b.onsets, f"{b.mean_predicted:.6f}",
                        f"{b.observed:.6f}", f"{b.observed_low:.6f}", f"{b.observed_high:.6f}"])
    return f.getvalue().encode()


def figure(v: Validation, path: Path) -> None:
    """The calibration plot: per bin, the mean prediction against the observed rate with its
    95 % Wilson interval, for the model and the regression, and the diagonal."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 5.6), layout="constrained")
    ax = fig.subplots()
    top = 0.0
    for name, sc, style in (("escalation-sim p_onset (the model's)", v.model, "o-"),
                            ("logistic regression (EWP method)", v.regression, "s--")):
        x = np.array([b.mean_predicted for b in sc.bins])
        obs = np.array([b.observed for b in sc.bins])
        err = [obs - [b.observed_low for b in sc.bins], [b.observed_high for b in sc.bins] - obs]
        ax.errorbar(x, obs, yerr=err, fmt=style, capsize=3,
                    label=f"{name}: AUC {sc.auc:.2f}, Brier {sc.brier:.4f}")
        top = max(top, float(x.max()), float(obs.max()))
    ax.plot([0, top], [0, top], color="grey", lw=0.8, label="perfect calibration")
    ax.set_xlabel("mean predicted P(onset in the next two years), per bin")
    ax.set_ylabel("observed share with an onset (95 % Wilson)")
    rows = (f"a sample of {v.model.n}" if v.sample else f"all {v.model.n}")
    ax.set_title(f"Validation {v.test_years[0]}-{v.test_years[1]} ({rows} complete "
                 f"country-years, {v.model.onsets} onsets); the regression fitted on years to "
                 f"{v.split_year}\n{CAVEAT}", fontsize=7)
    ax.legend(fontsize=7, loc="upper left")
    fig.savefig(path, dpi=110)


def write_outputs(v: Validation, out: Path) -> dict[str, str]:
    """``metrics.json``, ``calibration.csv`` and ``calibration.png`` in ``out`` (created)."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"metrics": out / "metrics.json", "calibration": out / "calibration.csv",
             "plot": out / "calibration.png"}
    write_json_atomic(files["metrics"], json_safe(v.to_dict()))
    write_bytes_atomic(files["calibration"], bins_csv(v))
    figure(v, files["plot"])
    return {k: str(p) for k, p in files.items()}


def format_validation(v: Validation) -> str:
    """The validation as a printed report."""
    rows = (f"a seeded sample of {v.model.n} (seed {v.seed}, stratified by outcome)"
            if v.sample else f"all {v.model.n}")
    post = (f"posterior {v.posterior} (calibration years {v.posterior_years})" if v.posterior
            else "no posterior: the declared values, every link and coefficient an assumption")
    lines = [
        "Validation within the Early Warning Project record: escalation-sim's p_onset (the "
        "model's) beside the EWP's regression",
        f"  fitted on   {v.train_years[0]}-{v.train_years[1]} (the regression; outcomes to "
        f"{v.split_year}); the model: {post}",
        f"  tested on   {v.test_years[0]}-{v.test_years[1]}: {rows} of {v.test_rows:,} complete "
        f"country-years, {v.model.onsets} with an onset ({OUTCOME})",
        f"  the model   {v.runs} runs of {v.months} months{warmup_text(v.warmup)} per row, "
        f"{v.n_civilians:,} simulated "
        f"civilians, {v.seconds:.0f} s",
        f"  {'':<24}{'model':>28}{'regression':>28}",
    ]

    def row(name: str, fmt: str, a: tuple, b: tuple) -> str:
        return f"  {name:<24}{fmt.format(*a):>28}{fmt.format(*b):>28}"

    m, r = v.model, v.regression
    lines += [
        row("AUC [95 %]", "{:.3f} [{:.3f}, {:.3f}]", (m.auc, m.auc_low, m.auc_high),
            (r.auc, r.auc_low, r.auc_high)),
        row("Brier [95 %]", "{:.4f} [{:.4f}, {:.4f}]", (m.brier, m.brier_low, m.brier_high),
            (r.brier, r.brier_low, r.brier_high)),
        row("skill vs base rate", "{:+.1%}", (m.brier_skill,), (r.brier_skill,)),
        row("mean predicted", "{:.2%}", (m.mean_predicted,), (r.mean_predicted,)),
        f"  observed onset rate     {m.observed:.2%} [{m.observed_low:.2%}, "
        f"{m.observed_high:.2%}] (Wilson); mean predicted / observed: model "
        f"{m.mean_predicted / m.observed:.2f}, regression {r.mean_predicted / r.observed:.2f}",
        f"  training years' onset rate {v.train_observed:.2%} (the base rate before the split)",
        *(f"  {x.name:<24}{x.n:>6,} rows, observed {x.observed:.2%}: mean predicted model "
          f"{x.model_mean:.2%}, regression {x.regression_mean:.2%}; training years "
          f"{x.train_observed:.2%} of {x.train_n:,}" for x in v.subsets),
        f"  AUC model - regression  {v.auc_difference:+.3f} [{v.auc_difference_low:+.3f}, "
        f"{v.auc_difference_high:+.3f}] (paired)",
        f"  at {v.runs} runs per row   the regression's AUC with each probability estimated as "
        f"the model's is, as a share of {v.runs} runs: {v.regression_auc_at_runs:.3f} "
        f"[{v.regression_auc_at_runs_low:.3f}, {v.regression_auc_at_runs_high:.3f}] (Monte "
        f"Carlo range); model - it {v.auc_difference_at_runs:+.3f} "
        f"[{v.auc_difference_at_runs_low:+.3f}, {v.auc_difference_at_runs_high:+.3f}] (paired, "
        "countries and draws): what that many runs cost, set apart from the ranking",
        f"  intervals: 95 %, {v.resamples} resamples of countries (seed {v.seed}) unless marked "
        "Wilson",
        f"  Shows: {SHOWS}.",
        f"  Does not show: {DOES_NOT_SHOW}.",
        f"Source: {CITATION}.",
        f"{CAVEAT} {NOTE[0].upper() + NOTE[1:]}.",
    ]
    return "\n".join(lines)

