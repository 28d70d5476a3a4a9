"""Calibration targets computed from the Early Warning Project's record, with intervals.

Each target is a :class:`Target` (value, interval, how the interval was made, counts, unit and
definition); :func:`targets` computes them all. The functions that define the quantities —
:func:`episode_years`, :func:`spells`, :func:`km_quantiles` — take an episode table in the
record's format (``profile``, ``year`` and the three counts of
:data:`~escalation_sim.record.data.EPISODE_COUNTS`), so the same code can measure simulated
country-years.

Intervals: Wilson for rates (country-years taken as independent, as the issue asks), and for
every target a 95 % percentile bootstrap over countries (profiles resampled with replacement,
all targets from the same resamples): a country contributes many country-years and several
spells, which are not independent, so only resampling whole countries shows the uncertainty of
ratios and duration quantiles, and how much the Wilson intervals understate that of rates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ..outcomes import wilson
from .data import (
    CITATION,
    EPISODES_FILE,
    OUTCOME,
    PREDICTORS_FILE,
    data_dir,
    load_episodes,
    load_predictors,
)
from .profiles import excludes

RESAMPLES = 2000
"""Bootstrap resamples of countries."""
NOTE = ("computed from the Early Warning Project record (data/ewp), not from escalation-sim; "
        "aggregate results only")
QUANTILES = (0.25, 0.5, 0.75)
TWO_YEAR_RATE = "onsets in the next two years per country-year"
"""The unit of the rates of ``mk_onset_1or2`` (the predictor rows' targets)."""

_AT_RISK_FIRST = ("Country-years into which no episode is carried (mk_ongoing_count - "
                  "mk_onset_count = 0) of profiles with no episode in any earlier year of the "
                  "record (from 1946, or the profile's first year; earlier episodes are unknown)")
DEFINITIONS = {
    "first_onset_rate":
        _AT_RISK_FIRST + ". Event: an episode begins in the year (mk_onset_count > 0; two "
        "onsets in one year count once).",
    "onset_rate_after_episode":
        "Country-years into which no episode is carried (mk_ongoing_count - mk_onset_count = "
        "0: every earlier episode has ended) of profiles with an episode earlier in the record. "
        "Event: a new episode begins in the year (a recurrence).",
    "onset_rate_during_episode":
        "Country-years into which an episode is carried (mk_ongoing_count - mk_onset_count > "
        "0). Event: a further episode begins in the year (another perpetrator or target "
        "group).",
    "after_episode_ratio":
        "onset_rate_after_episode / first_onset_rate.",
    "spell_years":
        "A spell is a maximal run of consecutive years with at least one episode ongoing "
        "(overlapping or back-to-back episodes make one spell); its duration counts the "
        "calendar years it covers, onset and offset years included. Spells already ongoing in "
        "a profile's first year (begun before the record) are left out; spells still ongoing "
        "in its last year are right-censored. Quantile of the Kaplan-Meier estimate (the "
        "smallest duration whose survival is at most 1 - q).",
    "onset_rate_risk":
        "Rows of the predictor file with every predictor known and no mass-killing episode "
        "ongoing in the year (mk_ongoing_count_log2 = 0: at risk of a new onset, the rows a "
        "simulated profile, which starts without an ongoing episode, stands for), in five "
        "equal-count groups of an EWP-style risk score: the predicted probability of the "
        "baseline's elastic-net logistic regression (record baseline), out of fold (each "
        "country's rows scored by a model fitted, on all its complete rows as the EWP does, "
        "without that country: 5 country-grouped folds, penalty chosen inside each by "
        "cross-validation). Event: mk_onset_1or2 (an onset in the next one or two years).",
    "onset_rate_inside_episode":
        "Rows of the predictor file with every predictor known and a mass-killing episode "
        "ongoing in the year (mk_ongoing_count_log2 > 0). Event: mk_onset_1or2, which inside an "
        "episode marks a new, distinct episode (another perpetrator or target group) in the next "
        "one or two years; a simulated profile starts inside one and counts only another "
        "perpetrator's onset (forecast.counted).",
    "onset_rate_population_half":
        "Rows of onset_rate_risk (every predictor known, no episode ongoing), in two "
        "equal-count groups by population (popsize.log2 below the median of those rows, or at "
        "or above it). Event: mk_onset_1or2. The pair measures how much more often larger "
        "countries have an onset, other predictors not held equal.",
    "onset_rate_without_exclusion":
        "Rows of onset_rate_risk (every predictor known, no episode ongoing) whose profile "
        "excludes no group: discrimpop below the exclusion threshold of the profile links "
        "(links.exclusion_threshold at its declared value) and no minority rule. Event: "
        "mk_onset_1or2.",
    "onset_share_top_quintile":
        "Share of the onsets (mk_onset_1or2 = 1) of the rows of onset_rate_risk (scored, no "
        "episode ongoing) that fall in quintile 5 of the risk score: how strongly the "
        "predictors concentrate risk.",
}


@dataclass(frozen=True, slots=True)
class Target:
    """One calibration target.

    ``low``/``high`` is the 95 % interval made as ``interval`` says; for rates, ``country_low``/
    ``country_high`` is the bootstrap over countries as well (for the others, ``low``/``high``
    already is). ``n`` is the denominator (country-years, or spells); ``count`` the numerator
    of a rate (``None`` otherwise).
    """

    name: str
    value: float
    low: float
    high: float
    interval: str
    n: int
    count: int | None
    unit: str
    definition: str
    country_low: float | None = None
    country_high: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Targets:
    """Every target, by name (``targets["first_onset_rate"]``), with where they come from."""

    targets: tuple[Target, ...]
    episodes_file: str
    predictors_file: str | None
    seed: int
    resamples: int

    def __getitem__(self, name: str) -> Target:
        for t in self.targets:
            if t.name == name:
                return t
        raise KeyError(name)

    def names(self) -> list[str]:
        return [t.name for t in self.targets]

    def to_dict(self) -> dict:
        return {"targets": {t.name: t.to_dict() for t in self.targets},
                "files": {"episodes": self.episodes_file, "predictors": self.predictors_file},
                "seed": self.seed, "resamples": self.resamples, "source": CITATION,
                "note": NOTE}


class CountryBootstrap:
    """Resamples of countries with replacement, shared by every target.

    ``weights[b, i]`` is how often country ``i`` (of :attr:`labels`, sorted) is drawn in
    resample ``b``; a resampled total is the weighted sum of per-country totals.
    """

    def __init__(self, profiles: np.ndarray, resamples: int = RESAMPLES, seed: int = 0):
        self.labels = np.unique(profiles)
        rng = np.random.default_rng(seed)
        draws = rng.integers(0, len(self.labels), size=(resamples, len(self.labels)))
        self.weights = np.stack([np.bincount(d, minlength=len(self.labels)) for d in draws])

    def index(self, profiles: np.ndarray) -> np.ndarray:
        """Each row's country position in :attr:`labels`."""
        return np.searchsorted(self.labels, profiles)

    def totals(self, values: np.ndarray, profiles: np.ndarray) -> np.ndarray:
        """Per-resample total of ``values`` (one per row)."""
        per_country = np.bincount(self.index(profiles), weights=values,
                                  minlength=len(self.labels))
        return np.einsum("bi,i->b", self.weights, per_country)


def _percentiles(values: np.ndarray) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if not len(values):
        return (float("nan"), float("nan"))
    low, high = np.percentile(values, (2.5, 97.5))
    return (float(low), float(high))


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def resampled_rate(event: np.ndarray, at_risk: np.ndarray, profiles: np.ndarray,
                   boot: CountryBootstrap) -> np.ndarray:
    """The rate ``event`` per ``at_risk`` row in each resample of countries."""
    at_risk = at_risk.astype(bool)
    k = boot.totals((event.astype(bool) & at_risk).astype(float), profiles)
    n = boot.totals(at_risk.astype(float), profiles)
    return _ratio(k, n)


def rate_target(name: str, event: np.ndarray, at_risk: np.ndarray, profiles: np.ndarray,
                boot: CountryBootstrap, definition: str,
                unit: str = "onsets per country-year") -> Target:
    """The share of ``at_risk`` rows with ``event``: Wilson interval, and the bootstrap over
    countries."""
    at_risk = at_risk.astype(bool)
    k, n = int((event.astype(bool) & at_risk).sum()), int(at_risk.sum())
    low, high = wilson(k, n)
    c_low, c_high = _percentiles(resampled_rate(event, at_risk, profiles, boot))
    return Target(name, k / n if n else float("nan"), low, high,
                  "95 % Wilson (country-years independent)", n, k, unit, definition,
                  c_low, c_high)


def episode_years(episodes: pd.DataFrame) -> pd.DataFrame:
    """Each country-year of an episode table (sorted by profile and year, as
    :func:`~escalation_sim.record.data.load_episodes` returns it), classified.

    Columns: ``profile``, ``year``, ``onset`` (an episode begins in the year), ``carried``
    (episodes ongoing in the year that began before it: ``mk_ongoing_count - mk_onset_count``),
    ``prior`` (an episode was ongoing in an earlier year of the record, or is carried into this
    one).
    """
    ongoing = episodes["mk_ongoing_count"].to_numpy() > 0
    carried = (episodes["mk_ongoing_count"] - episodes["mk_onset_count"]).to_numpy()
    before = (pd.Series(ongoing, index=episodes.index).groupby(episodes["profile"])
              .transform(lambda s: s.shift(1, fill_value=False).cummax())).to_numpy(dtype=bool)
    return pd.DataFrame({"profile": episodes["profile"].to_numpy(),
                         "year": episodes["year"].to_numpy(),
                         "onset": episodes["mk_onset_count"].to_numpy() > 0,
                         "carried": carried, "prior": before | (carried > 0)})


def spells(episodes: pd.DataFrame) -> pd.DataFrame:
    """The spells of ongoing mass killing in an episode table (sorted by profile and year).

    Columns: ``profile``, ``start``, ``end``, ``years`` (``end - start + 1``), ``left_censored``
    (ongoing in the profile's first year without beginning in it), ``censored`` (episodes still
    ongoing at the end of the profile's last year).
    """
    profile = episodes["profile"].to_numpy()
    year = episodes["year"].to_numpy()
    ongoing = episodes["mk_ongoing_count"].to_numpy() > 0
    carried = (episodes["mk_ongoing_count"] - episodes["mk_onset_count"]).to_numpy()
    left_open = (episodes["mk_ongoing_count"] - episodes["mk_offset_count"]).to_numpy() > 0
    new_profile = np.r_[True, profile[1:] != profile[:-1]]
    last_of_profile = np.r_[profile[1:] != profile[:-1], True]
    starts = ongoing & (new_profile | ~np.r_[False, ongoing[:-1]])
    ends = ongoing & (last_of_profile | ~np.r_[ongoing[1:], False])
    s, e = np.flatnonzero(starts), np.flatnonzero(ends)
    return pd.DataFrame({"profile": profile[s], "start": year[s], "end": year[e],
                         "years": year[e] - year[s] + 1,
                         "left_censored": new_profile[s] & (carried[s] > 0),
                         "censored": last_of_profile[e] & left_open[e]})


def km_quantiles(years: np.ndarray, censored: np.ndarray,
                 probs: tuple[float, ...] = QUANTILES) -> np.ndarray:
    """Quantiles of duration from the Kaplan-Meier estimate (scipy) with right-censoring: for
    each ``q``, the smallest duration whose survival is at most ``1 - q`` (NaN if the estimate
    never falls that low, or if no duration is uncensored)."""
    from scipy import stats

    censored = np.asarray(censored, dtype=bool)
    if not (~censored).any():
        return np.full(len(probs), np.nan)
    data = stats.CensoredData(uncensored=years[~censored], right=years[censored])
    sf = stats.ecdf(data).sf
    times, survival = sf.quantiles, sf.probabilities
    out = []
    for q in probs:
        below = survival <= 1 - q + 1e-12
        out.append(float(times[np.argmax(below)]) if below.any() else np.nan)
    return np.array(out)


def onset_masks(years: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The event and at-risk masks of the three onset rates (:data:`DEFINITIONS`) over the
    classified country-years of :func:`episode_years`: ``{name: (event, at_risk)}``. The one
    definition of these rates, for the record and for simulated country-years alike."""
    onset = years.onset.to_numpy()
    outside = years.carried.to_numpy() == 0
    prior = years.prior.to_numpy()
    return {"first_onset_rate": (onset, outside & ~prior),
            "onset_rate_after_episode": (onset, outside & prior),
            "onset_rate_during_episode": (onset, ~outside)}


def duration_targets(episodes: pd.DataFrame, boot: CountryBootstrap) -> list[Target]:
    """Quartiles and median of spell duration, each with its bootstrap over countries."""
    sp = spells(episodes)
    sp = sp[~sp.left_censored]
    years = sp.years.to_numpy()
    censored = sp.censored.to_numpy()
    value = km_quantiles(years, censored)
    spell_country = boot.index(sp.profile.to_numpy())
    resampled = np.array([km_quantiles(np.repeat(years, w[spell_country]),
                                       np.repeat(censored, w[spell_country]))
                          for w in boot.weights])
    out = []
    names = {0.25: "spell_years_q1", 0.5: "spell_years_median", 0.75: "spell_years_q3"}
    for j, q in enumerate(QUANTILES):
        low, high = _percentiles(resampled[:, j])
        out.append(Target(names[q], float(value[j]), low, high,
                          "95 % percentile bootstrap over countries", len(sp), None, "years",
                          f"{int(q * 100)} % quantile of spell duration. "
                          + DEFINITIONS["spell_years"] + f" {int(censored.sum())} of "
                          f"{len(sp)} spells censored."))
    return out


def risk_scores(predictors: pd.DataFrame, seed: int = 0) -> np.ndarray:
    """The EWP-style risk score of every row, out of fold (NaN where a predictor is missing):
    each fold of countries is scored by the baseline model fitted on the other folds."""
    from .regression import design, fit, folds

    X, complete = design(predictors)
    y = predictors[OUTCOME].to_numpy()
    groups = predictors["profile"].to_numpy()
    rows = np.flatnonzero(complete)
    score = np.full(len(predictors), np.nan)
    for train, test in folds(y[rows], groups[rows], seed):
        model = fit(X[rows[train]], y[rows[train]], groups[rows[train]], seed)
        score[rows[test]] = model.predict_proba(X[rows[test]])[:, 1]
    return score


def outside_episode(predictors: pd.DataFrame) -> np.ndarray:
    """Rows with no mass-killing episode ongoing in the year (``mk_ongoing_count_log2 = 0``):
    at risk of a new onset, as a simulated profile is (it starts without an ongoing episode)."""
    return (predictors["mk_ongoing_count_log2"] == 0).to_numpy()


def inside_episode(predictors: pd.DataFrame, score: np.ndarray) -> np.ndarray:
    """Scored rows (every predictor known: ``score``, :func:`risk_scores`, not NaN) with an
    episode ongoing in the year: the rows of ``onset_rate_inside_episode``."""
    return ~np.isnan(score) & (predictors["mk_ongoing_count_log2"] > 0).to_numpy()


def risk_quintiles(score: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Each row's quintile (0-4) of :func:`risk_scores` (five equal-count groups) among the
    scored rows that ``rows`` marks (all by default), -1 elsewhere: the groups the gradient
    targets are measured in (``rows``: :func:`outside_episode`), for a model's forecasts of
    the same rows too."""
    known = ~np.isnan(score)
    if rows is not None:
        known &= rows
    quintile = np.full(len(score), -1)
    quintile[known] = pd.qcut(score[known], 5, labels=False)
    return quintile


def population_halves(predictors: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Each row's half by population among the rows ``rows`` marks (0: ``popsize.log2`` below
    their median, 1: at or above it), -1 elsewhere: the groups of
    ``onset_rate_population_half``, for a model's forecasts of the same rows too."""
    population = predictors["popsize.log2"].to_numpy(dtype=float)
    half = np.full(len(predictors), -1)
    half[rows] = population[rows] >= np.median(population[rows])
    return half


def without_exclusion(predictors: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Which of the rows ``rows`` marks have a profile that excludes no group (by the declared
    exclusion rule of the profile links, :func:`.profiles.excludes`): the rows of
    ``onset_rate_without_exclusion``."""
    return rows & ~excludes(predictors["discrimpop"].to_numpy(dtype=float),
                            predictors["minorityrule"].to_numpy(dtype=float))


def gradient_targets(predictors: pd.DataFrame, boot: CountryBootstrap,
                     seed: int = 0, score: np.ndarray | None = None) -> list[Target]:
    """Onset rates by quintile of the out-of-fold risk score (``score``: :func:`risk_scores`
    of ``predictors``, computed here if not given) among the rows outside an episode
    (:func:`outside_episode`), the top quintile's share of their onsets (stabler than a
    top-to-bottom ratio, whose bottom quintile has a handful), their onset rates by half of
    population (:func:`population_halves`) and where the profile excludes no group
    (:func:`without_exclusion`), and the onset rate of the scored rows inside an episode
    (:func:`inside_episode`)."""
    score = risk_scores(predictors, seed) if score is None else score
    quintile = risk_quintiles(score, outside_episode(predictors))
    known = quintile >= 0
    y = predictors[OUTCOME].to_numpy()
    profiles = predictors["profile"].to_numpy()
    out = []
    for q in range(5):
        rows = quintile == q
        lo, hi = float(score[rows].min()), float(score[rows].max())
        out.append(rate_target(
            f"onset_rate_risk_q{q + 1}", y, rows, profiles, boot,
            f"Quintile {q + 1} of 5 (scores {lo:.4f}-{hi:.4f}). "
            + DEFINITIONS["onset_rate_risk"], unit=TWO_YEAR_RATE))
    out.append(rate_target("onset_share_top_quintile", quintile == 4, known & (y == 1),
                           profiles, boot, DEFINITIONS["onset_share_top_quintile"],
                           unit="share of onsets"))
    half = population_halves(predictors, known)
    for h, which in enumerate(("smaller", "larger")):
        out.append(rate_target(
            f"onset_rate_{which}_half", y, half == h, profiles, boot,
            f"The {which} half. " + DEFINITIONS["onset_rate_population_half"],
            unit=TWO_YEAR_RATE))
    out.append(rate_target("onset_rate_without_exclusion", y,
                           without_exclusion(predictors, known), profiles, boot,
                           DEFINITIONS["onset_rate_without_exclusion"], unit=TWO_YEAR_RATE))
    out.append(rate_target("onset_rate_inside_episode", y, inside_episode(predictors, score),
                           profiles, boot, DEFINITIONS["onset_rate_inside_episode"],
                           unit=TWO_YEAR_RATE))
    return out


def targets(episodes: pd.DataFrame | None = None, predictors: pd.DataFrame | None = None,
            seed: int = 0, resamples: int = RESAMPLES, gradient: bool = True,
            episodes_file: str | None = None, predictors_file: str | None = None,
            score: np.ndarray | None = None) -> Targets:
    """Every calibration target of the record (the shipped files unless tables are given).

    ``gradient=False`` leaves out the risk-score targets (they fit the baseline model six
    times, the slow part); ``score`` gives the predictors' risk scores if already computed.
    """
    if episodes is None:
        episodes_file = episodes_file or str(data_dir() / EPISODES_FILE)
        episodes = load_episodes(episodes_file)
    if gradient and predictors is None:
        predictors_file = predictors_file or str(data_dir() / PREDICTORS_FILE)
        predictors = load_predictors(predictors_file)
    # one set of resampled countries for both files: a country is the same profile in each
    countries = episodes["profile"].to_numpy()
    if gradient:
        countries = np.concatenate([countries, predictors["profile"].to_numpy()])
    boot = CountryBootstrap(countries, resamples, seed)
    years = episode_years(episodes)
    profiles = years.profile.to_numpy()
    masks = onset_masks(years)
    first, after, during = (rate_target(name, *masks[name], profiles, boot, DEFINITIONS[name])
                            for name in ("first_onset_rate", "onset_rate_after_episode",
                                         "onset_rate_during_episode"))
    ratio = _ratio(resampled_rate(*masks["onset_rate_after_episode"], profiles, boot),
                   resampled_rate(*masks["first_onset_rate"], profiles, boot))
    low, high = _percentiles(ratio)
    ratio_target = Target("after_episode_ratio", after.value / first.value, low, high,
                          "95 % percentile bootstrap over countries (both rates resampled "
                          "together)", after.n + first.n, None, "ratio",
                          DEFINITIONS["after_episode_ratio"])
    out = [first, after, during, ratio_target, *duration_targets(episodes, boot)]
    if gradient:
        out += gradient_targets(predictors, boot, seed, score)
    return Targets(tuple(out), episodes_file or "(table)",
                   (predictors_file or "(table)") if gradient else None, seed, resamples)


def format_targets(t: Targets) -> str:
    """The targets as a printed report."""
    lines = ["Calibration targets computed from the Early Warning Project record (not from "
             "escalation-sim).",
             f"  episodes:   {t.episodes_file}"]
    if t.predictors_file:
        lines.append(f"  predictors: {t.predictors_file}")
    lines.append(f"  {'target':<28} {'value':>8}  {'95 % interval':<20} "
                 f"{'by countries':<20} {'count / n':>12}")
    for x in t.targets:
        if x.unit == "years":
            fmt = "{:.0f}"
        elif x.unit == "ratio":
            fmt = "{:.2f}"
        else:
            fmt = "{:.2%}"
        value = fmt.format(x.value)
        primary = f"[{fmt.format(x.low)}, {fmt.format(x.high)}]"
        country = (f"[{fmt.format(x.country_low)}, {fmt.format(x.country_high)}]"
                   if x.country_low is not None else "(same)")
        counts = f"{x.count:,} / {x.n:,}" if x.count is not None else f"n = {x.n:,}"
        lines.append(f"  {x.name:<28} {value:>8}  {primary:<20} {country:<20} {counts:>12}")
    lines.append(f"  95 % intervals: Wilson for rates (country-years independent); 'by "
                 f"countries' and ratios, durations: percentile bootstrap over countries "
                 f"({t.resamples} resamples, seed {t.seed}).")
    lines.append("  Definitions: escalation-sim record targets --json, or the README, 'The "
                 "historical record'.")
    lines.append(f"Source: {CITATION}.")
    lines.append("Aggregate results only; no country or profile is named or ranked.")
    return "\n".join(lines)
