"""Coup attempts in the record and in the model, measured alike (``escalation-sim record coups``).

The record's ``coup.try.5yr`` is 1 in the year of a coup attempt and the four years after (a
completed run of the flag lasts exactly five years in 88 of 141 cases, longer when attempts
repeat). A *new* attempt is therefore seen only where the flag turns on after being off, and
the rate measured is the yearly hazard of a coup attempt in a country with none in the five
years before; attempts within five years of another are hidden. At risk: country-years whose
previous year (same profile) has the flag off; a profile's first year is not at risk (its past
is unknown). The rate is split by a mass-killing episode ongoing in the year
(``mk_ongoing_count_log2 > 0``) and by battle deaths in it (``battledeaths.log2 > 0``).

The model's runs are measured with the same function (:func:`coup_masks`): a run's year ``k``
is its months ``12k .. 12k + 11``; a coup (random or scheduled, or the scenario's past coup at
month ``-history.coup_months_ago``) turns the flag on for its year and the four after;
"mass killing ongoing" is one of the model's mass-killing episodes (one perpetrator killing
1,000 noncombatants within twelve months, the EWP's rule) ongoing in some month of the year.
That the model's episode stands for the record's, and that a model coup stands for a coup
attempt (successful or not), are judgements. So is the mapping of the coup hazard's driver,
the atrocity score, to "mass killing ongoing": the model's mean atrocity score in months with
and without an episode ongoing is reported with the rates, and ``events.coup_violence`` is
derived from it (:func:`violence_coefficient`).

Intervals: Wilson (country-years independent) and the 95 % percentile bootstrap over
countries (:class:`~escalation_sim.record.measure.CountryBootstrap`); for the model, runs take
the place of countries. Aggregate results only: nothing names or ranks a profile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import column
from ..outcomes import RunOutcome, wilson
from ..params import EventParams, SecuritySectorParams
from ..rng import run_seed
from ..runner import run_model
from .data import CITATION, load_predictors
from .measure import (
    RESAMPLES,
    CountryBootstrap,
    Target,
    _percentiles,
    _ratio,
    rate_target,
    resampled_rate,
)

WINDOW = 5
"""Years a coup attempt keeps the record's flag on (its year and four more)."""

RATES = ("coup_rate", "coup_rate_mass_killing", "coup_rate_no_mass_killing",
         "coup_rate_battle", "coup_rate_no_battle")
_AT_RISK = ("Country-years whose previous year has no coup attempt in its five-year window "
            "(coup.try.5yr = 0 the year before: no attempt in the five years before this one)")
DEFINITIONS = {
    "coup_rate": _AT_RISK + ". Event: the flag turns on (a new coup attempt in the year).",
    "coup_rate_mass_killing": "coup_rate among at-risk years with a mass-killing episode "
                              "ongoing (mk_ongoing_count_log2 > 0).",
    "coup_rate_no_mass_killing": "coup_rate among at-risk years with no episode ongoing.",
    "coup_rate_battle": "coup_rate among at-risk years with battle deaths "
                        "(battledeaths.log2 > 0).",
    "coup_rate_no_battle": "coup_rate among at-risk years without battle deaths.",
    "coup_ratio_mass_killing": "coup_rate_mass_killing / coup_rate_no_mass_killing.",
}
UNIT = "new coup attempts per country-year"


def coup_masks(table: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{name: (event, at_risk)}`` of the rates of :data:`RATES` over a table sorted by profile
    and year with columns ``profile``, ``year``, ``flag`` (an attempt in the five-year window,
    0/1), ``mk`` (an episode ongoing) and ``battle`` (battle deaths; may be absent). The one
    definition of these rates, for the record and for simulated years alike."""
    profile = table["profile"].to_numpy()
    year = table["year"].to_numpy()
    flag = table["flag"].to_numpy() > 0
    follows = np.r_[False, (profile[1:] == profile[:-1]) & (np.diff(year) == 1)]
    at_risk = follows & ~np.r_[False, flag[:-1]]
    event = flag & at_risk
    mk = table["mk"].to_numpy().astype(bool)
    out = {"coup_rate": (event, at_risk),
           "coup_rate_mass_killing": (event, at_risk & mk),
           "coup_rate_no_mass_killing": (event, at_risk & ~mk)}
    if "battle" in table:
        battle = table["battle"].to_numpy().astype(bool)
        out["coup_rate_battle"] = (event, at_risk & battle)
        out["coup_rate_no_battle"] = (event, at_risk & ~battle)
    return out


def record_table(predictors: pd.DataFrame) -> pd.DataFrame:
    """The predictor record as a table for :func:`coup_masks`, sorted by profile and year."""
    t = pd.DataFrame({"profile": predictors["profile"].to_numpy(),
                      "year": predictors["year"].to_numpy(),
                      "flag": predictors["coup.try.5yr"].to_numpy() >= 0.5,
                      "mk": predictors["mk_ongoing_count_log2"].to_numpy() > 0,
                      "battle": predictors["battledeaths.log2"].to_numpy() > 0})
    return t.sort_values(["profile", "year"], kind="stable").reset_index(drop=True)


def coup_targets(table: pd.DataFrame, seed: int = 0,
                 resamples: int = RESAMPLES) -> list[Target]:
    """The rates of :data:`RATES` the table has, and the ratio with against without mass
    killing, with their intervals (the ratio's: the bootstrap over countries)."""
    profiles = table["profile"].to_numpy()
    boot = CountryBootstrap(profiles, resamples, seed)
    masks = coup_masks(table)
    out = [rate_target(name, *masks[name], profiles, boot, DEFINITIONS[name], unit=UNIT)
           for name in RATES if name in masks]
    by_name = {t.name: t for t in out}
    with_mk, without = by_name["coup_rate_mass_killing"], by_name["coup_rate_no_mass_killing"]
    ratio = _ratio(resampled_rate(*masks["coup_rate_mass_killing"], profiles, boot),
                   resampled_rate(*masks["coup_rate_no_mass_killing"], profiles, boot))
    low, high = _percentiles(ratio)
    out.append(Target("coup_ratio_mass_killing", _ratio(np.array([with_mk.value]),
                                                        np.array([without.value]))[0],
                      low, high, "95 % percentile bootstrap over countries", with_mk.n + without.n,
                      None, "ratio", DEFINITIONS["coup_ratio_mass_killing"]))
    return out


SPREAD_MIN_YEARS = 20
"""At-risk years a country needs to count in :func:`country_spread`."""
SPREAD_QUANTILES = (0.5, 0.75, 0.9, 0.95, 1.0)


def country_spread(table: pd.DataFrame) -> dict:
    """How the rate of a new coup attempt differs between countries: quantiles of the
    per-country ``coup_rate`` among countries with at least :data:`SPREAD_MIN_YEARS` at-risk
    years (each country's rate is noisy, so the upper quantiles overstate the spread a little).
    The range a scenario's coup hazard can be placed in."""
    event, at_risk = coup_masks(table)["coup_rate"]
    per = pd.DataFrame({"profile": table["profile"].to_numpy(), "event": event & at_risk,
                        "at_risk": at_risk}).groupby("profile").sum()
    per = per[per.at_risk >= SPREAD_MIN_YEARS]
    rate = per.event / per.at_risk
    return {"countries": len(per), "min_years": SPREAD_MIN_YEARS,
            "without_an_attempt": int((per.event == 0).sum()),
            "quantiles": {f"{q:g}": float(rate.quantile(q)) for q in SPREAD_QUANTILES}}


def monthly(yearly: float) -> float:
    """The constant monthly probability that gives ``yearly`` over twelve months."""
    return 1.0 - (1.0 - yearly) ** (1.0 / 12.0)


def base_hazard(yearly: float) -> float:
    """``events.coup_hazard`` that gives the yearly rate ``yearly`` (at an atrocity score of 0)
    in a country whose security sector has the schema's default integrity:
    ``monthly(yearly) / (coup_integrity − integrity)`` with both at their declared defaults."""
    factor = (EventParams.model_fields["coup_integrity"].default
              - SecuritySectorParams.model_fields["integrity"].default)
    return monthly(yearly) / factor


def violence_coefficient(ratio: float, score_with: float, score_without: float) -> float:
    """``coup_violence`` that makes the model's coup hazard ``ratio`` times higher at the
    atrocity score ``score_with`` (mass killing ongoing) than at ``score_without``:
    ``(1 + c s_with) / (1 + c s_without) = ratio`` (the security sector's integrity taken as the
    same in both; NaN if no positive coefficient does it)."""
    denominator = score_with - ratio * score_without
    if ratio < 1 or denominator <= 0:
        return float("nan")
    return (ratio - 1.0) / denominator


def model_table(runs: list) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Simulated years of finished models (``runs``) as a table for :func:`coup_masks`, one
    profile per run (its seed), with a year ``-1`` standing for the run's past (its flag on if
    the scenario's past coup lies within the five years before the run); and the atrocity
    score of every month with, and of every month without, an episode ongoing."""
    rows, with_mk, without = [], [], []
    for model in runs:
        months = model.steps
        years = months // 12
        coups = [e.month - 1 for e in model.events_log if e.kind == "coup"]
        past = model.params.history.coup_months_ago
        if past is not None:
            coups.append(-past - 1)
        ongoing = np.zeros(months, dtype=bool)
        for e in model.violence.episodes:
            ongoing[e.onset - 1:months if e.end is None else e.end] = True
        score = column(model, "atrocity")[1:months + 1]
        with_mk.append(score[ongoing])
        without.append(score[~ongoing])
        coup_years = np.floor_divide(np.array(coups, dtype=int), 12)
        for k in range(-1, years):
            flag = bool(((coup_years <= k) & (coup_years > k - WINDOW)).any())
            mk = bool(ongoing[12 * k:12 * k + 12].any()) if k >= 0 else False
            rows.append((model.seed, k, flag, mk))
    table = pd.DataFrame(rows, columns=["profile", "year", "flag", "mk"])
    return table, np.concatenate(with_mk), np.concatenate(without)


def model_coups(scenario, runs: int, seed: int = 0, resamples: int = RESAMPLES,
                progress=None) -> dict:
    """The model's coups in ``runs`` runs of ``scenario`` (in-process, run ``i`` with the seed
    an ensemble of ``seed`` gives it): coups per run and per run-year, the rates of
    :data:`RATES` measured as in the record (runs resampled in place of countries), the mean
    atrocity score with and without an episode ongoing, and the runs' stage 3, onsets and
    ended episodes."""
    models, outcomes = [], []
    for i in range(runs):
        model = run_model(scenario, run_seed(seed, i))
        outcomes.append(RunOutcome.from_model(model))
        models.append(model)
        model.series = model.series[: model.steps + 1]   # keep what is read, not the rest
        if progress:
            progress(i + 1)
    table, with_mk, without = model_table(models)
    coups = np.array([sum(e.kind == "coup" for e in m.events_log) for m in models])
    years = sum(m.steps for m in models) / 12.0
    rates = {t.name: t.to_dict() for t in coup_targets(table, seed, resamples)}

    def share(flags) -> dict:
        k = int(np.sum(flags))
        low, high = wilson(k, runs)
        return {"value": k / runs, "low": low, "high": high, "count": k}

    return {
        "scenario": scenario.name, "runs": runs, "seed": seed, "months": scenario.run.months,
        "coups_per_run": float(coups.mean()), "coups_per_run_year": float(coups.sum() / years),
        "runs_with_a_coup": share(coups > 0),
        "rates": rates,
        "atrocity_score": {"episode_ongoing": float(with_mk.mean()) if with_mk.size else None,
                           "no_episode": float(without.mean()) if without.size else None,
                           "months_with_episode": int(with_mk.size),
                           "months_without": int(without.size)},
        "stage3": share([o.highest_stage >= 3 for o in outcomes]),
        "onset": share([o.mass_killing_onset for o in outcomes]),
        "episodes": int(sum(o.mass_killing_episodes for o in outcomes)),
        "episodes_ended": int(sum(
            sum(e.end is not None for e in m.violence.episodes) for m in models)),
    }


def record_coups(predictors_file=None, seed: int = 0, resamples: int = RESAMPLES) -> dict:
    """The record's coup rates (:func:`coup_targets` of the shipped predictor file or
    ``predictors_file``), their monthly equivalents, and the ``events.coup_hazard`` they give:
    the monthly rate without mass killing over ``coup_integrity − integrity``, the factor of
    the schema's default security sector (:func:`base_hazard`)."""
    predictors = load_predictors(predictors_file)
    table = record_table(predictors)
    targets = coup_targets(table, seed, resamples)
    quiet = next(t for t in targets if t.name == "coup_rate_no_mass_killing")
    return {"targets": {t.name: t.to_dict() for t in targets},
            "monthly": {t.name: monthly(t.value) for t in targets if t.unit == UNIT},
            "coup_hazard": base_hazard(quiet.value),
            "country_spread": country_spread(table),
            "seed": seed, "resamples": resamples, "source": CITATION,
            "note": "computed from the Early Warning Project record (data/ewp), not from "
                    "escalation-sim; aggregate results only"}


def _interval(t: dict, fmt: str = "{:.2%}") -> str:
    low = t["country_low"] if t.get("country_low") is not None else t["low"]
    high = t["country_high"] if t.get("country_high") is not None else t["high"]
    return f"{fmt.format(t['value'])} [{fmt.format(low)}, {fmt.format(high)}]"


def format_coups(record: dict, models: list[dict]) -> str:
    """The record's coup rates and, below, the model's measured alike, as a printed report."""
    lines = ["Coup attempts: the Early Warning Project record (not escalation-sim), 95 % "
             "intervals by bootstrap over countries",
             f"  {'rate':<27} {'value [95 %]':<26} {'count / n':>12}  monthly"]
    for name, t in record["targets"].items():
        if t["unit"] == "ratio":
            lines.append(f"  {name:<27} {_interval(t, '{:.2f}'):<26}")
        else:
            lines.append(f"  {name:<27} {_interval(t):<26} {t['count']:>5,} / {t['n']:<5,}  "
                         f"{record['monthly'][name]:.5f}")
    lines.append("  " + DEFINITIONS["coup_rate"])
    spread = record["country_spread"]
    q = spread["quantiles"]
    lines.append(f"  Between countries ({spread['countries']} with at least "
                 f"{spread['min_years']} at-risk years; {spread['without_an_attempt']} without a "
                 f"new attempt): coup_rate median {q['0.5']:.1%}, 75 % {q['0.75']:.1%}, 90 % "
                 f"{q['0.9']:.1%}, 95 % {q['0.95']:.1%}, highest {q['1']:.1%}")
    lines.append(f"  events.coup_hazard it gives (no mass killing, default integrity): "
                 f"{record['coup_hazard']:.5f} a month")
    lines.append(f"Source: {CITATION}.")
    for m in models:
        r, s = m["rates"], m["atrocity_score"]
        lines.append(f"\nThe model's ({m['scenario']}, {m['runs']} runs of {m['months']} months, "
                     f"seed {m['seed']}; runs resampled as countries):")
        lines.append(f"  coups per run {m['coups_per_run']:.2f}, per run-year "
                     f"{m['coups_per_run_year']:.3f}; runs with a coup "
                     f"{m['runs_with_a_coup']['count']} / {m['runs']}")
        for name in ("coup_rate", "coup_rate_mass_killing", "coup_rate_no_mass_killing"):
            t = r[name]
            shown = _interval(t) if t["n"] else "no at-risk years"
            lines.append(f"  {name:<27} {shown:<26} {t['count']:>5,} / {t['n']:<5,}")
        mean = (f"{s['episode_ongoing']:.3f}" if s["episode_ongoing"] is not None else "-")
        lines.append(f"  atrocity score, mean: {mean} in {s['months_with_episode']} months "
                     f"with an episode ongoing, {s['no_episode']:.3f} without")
        lines.append(f"  P(stage 3) {m['stage3']['value']:.0%}, P(onset) "
                     f"{m['onset']['value']:.0%}, episodes {m['episodes']}, ended "
                     f"{m['episodes_ended']}")
    if models:
        lines.append("Results for the model are the model's, not a forecast.")
    lines.append("Aggregate results only; no country or profile is named or ranked.")
    return "\n".join(lines)
