"""A policy's effect on the model's onset risk in a risk quintile of the record's profiles
(``escalation-sim record effect``): "does early Pillar II assistance lower onset risk in
high-risk profiles, and by how much, with what uncertainty?"

The rows are the record's country-years with no episode ongoing (as a simulated profile starts)
in one quintile of the EWP-style risk score (:func:`.measure.risk_scores`, out of fold; the
quintiles of the gradient targets, :func:`.measure.risk_quintiles`), all of them or a seeded
sample. Each row is forecast twice (:func:`.forecast.forecast`: ``runs`` runs of ``months``
months), under the policy and under the one it is set against (``none`` by default), with the
same run seeds and, with a posterior, the same drawn parameter sets: run ``i`` of a row differs
between the two only by the policy (paired, common random numbers). Under a posterior fitted with
a warm-up (:func:`.forecast.posterior_warmup`), a policy's months count from the warm-up's first
month, the row's own year: a policy "from the start" is in place a warm-up before the counted
months, and a triggered one can start in it.

Reported: the mean ``p_onset`` over the rows under each, their difference (policy − against)
and the relative change, each with a 95 % percentile interval over resamples of countries (a
country's rows go together; :func:`.regression.country_resamples`). The interval covers the
spread between the rows, the runs' noise within each row and, with a posterior, the parameter
sets the runs drew; it speaks to profiles like the sampled ones, not to any one country.
Aggregate results only: no row or profile is named or ranked. The numbers are the model's, for
stylized profiles: uncalibrated without a posterior.
"""

from __future__ import annotations

import time
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..outcomes import CAVEAT
from ..scenario import resolve_policy
from .data import CITATION, PREDICTORS_FILE, data_dir, load_predictors
from .forecast import (
    FORECAST_CIVILIANS,
    FORECAST_MONTHS,
    forecast,
    parameter_split,
    posterior_warmup,
    warmup_text,
)
from .measure import outside_episode, risk_quintiles, risk_scores
from .posterior import Posterior
from .profiles import profile_at, read_profiles
from .regression import BOOTSTRAP, country_resamples, percentile_interval

SHOWS = ("the model's P(mass-killing onset within the horizon) for the record's country-years "
         "in one risk quintile (no episode ongoing), under a policy and under the one it is set "
         "against, paired run by run; the mean over the rows, the difference and the relative "
         "change, with intervals over resamples of countries")
DOES_NOT_SHOW = ("what the policy would do in any real country: the profiles are stylized "
                 "translations of the record's predictors and the model's coefficients are "
                 "assumptions unless a fitted posterior is given; the policy is the model's "
                 "catalogue of interventions, decided, funded and consented to by the model's "
                 "actors")
NOTE = "aggregate results only; no profile is named or ranked"


@dataclass(frozen=True)
class Effect:
    """A policy against another on one risk quintile's rows (aggregate only)."""

    policy: str
    against: str
    quintile: int           # 1 (lowest risk) to 5 (highest)
    quintile_rows: int      # scored rows of the quintile with no episode ongoing
    rows: int               # rows forecast (a sample, or all of the quintile's)
    countries: int
    sample: int | None
    seed: int
    runs: int
    months: int
    n_civilians: int
    posterior: str | None
    p_policy: float
    p_policy_low: float
    p_policy_high: float
    p_against: float
    p_against_low: float
    p_against_high: float
    difference: float       # p_policy - p_against, mean over the rows
    difference_low: float
    difference_high: float
    relative: float | None  # p_policy / p_against - 1 (None: no onset under `against`)
    relative_low: float | None
    relative_high: float | None
    rows_lower: int         # rows whose p_onset is lower under the policy
    rows_higher: int
    parameter_split: dict | None   # with a posterior: per policy, forecast.parameter_split
    resamples: int
    seconds: float
    warmup: int = 0         # months each run warmed up first (the posterior's; not counted)

    def to_dict(self) -> dict:
        return {"effect": asdict(self), "shows": SHOWS, "does_not_show": DOES_NOT_SHOW,
                "source": CITATION, "note": NOTE, "caveat": CAVEAT}


def quintile_rows(predictors, quintile: int) -> np.ndarray:
    """Indices (into ``predictors``) of the rows in ``quintile`` (1-5) of the risk score among
    the scored rows with no episode ongoing: the gradient targets' quintiles (the score's folds
    seeded as ``record targets`` seeds them, whatever the effect's seed)."""
    q = risk_quintiles(risk_scores(predictors), outside_episode(predictors))
    return np.flatnonzero(q == quintile - 1)


def paired_means(a: np.ndarray, b: np.ndarray, draws: list[np.ndarray]) -> dict:
    """The means of ``a`` and ``b`` (per row), their difference and ``a / b − 1``, each with a
    percentile interval over the row resamples ``draws``."""
    def stats(idx: np.ndarray | slice) -> tuple[float, float, float, float]:
        ma, mb = float(a[idx].mean()), float(b[idx].mean())
        return ma, mb, ma - mb, (ma / mb - 1.0 if mb > 0 else np.nan)

    point = stats(slice(None))
    boot = np.array([stats(d) for d in draws])
    out = {}
    for k, name in enumerate(("p_policy", "p_against", "difference", "relative")):
        low, high = percentile_interval(boot[:, k])
        value = point[k]
        if name == "relative" and np.isnan(value):
            value, low, high = None, None, None
        out.update({name: value, f"{name}_low": low, f"{name}_high": high})
    return out


def effect(policy: str, against: str = "none", quintile: int = 5, sample: int | None = None,
           runs: int = 20, months: int = FORECAST_MONTHS, seed: int = 0,
           n_civilians: int = FORECAST_CIVILIANS, posterior: Posterior | None = None,
           executor: Executor | None = None, workers: int = 1,
           predictors_file: str | Path | None = None,
           resamples: int = BOOTSTRAP) -> Effect:
    """The policy effect of the module docstring.

    Raises:
        InputError: the predictors file is malformed, or a policy is unknown (the error names
            ``--policy`` or ``--against``).
        ValueError: ``quintile`` is not 1-5, or ``sample`` is not 1 to the quintile's rows.
    """
    if not 1 <= quintile <= 5:
        raise ValueError(f"quintile must be 1 to 5, got {quintile}")
    path = Path(predictors_file) if predictors_file else data_dir() / PREDICTORS_FILE
    data = load_predictors(path)
    table = read_profiles(path)
    # the policies are the shipped ones (and a profile's own, none): resolve them on one profile
    probe = profile_at(table, 1, months=months, n_civilians=n_civilians).scenario
    chosen = {name: resolve_policy(probe, value, f"--{name} {value}")
              for name, value in (("policy", policy), ("against", against))}
    rows = quintile_rows(data, quintile)
    in_quintile = len(rows)
    if sample is not None:
        if not 1 <= sample <= len(rows):
            raise ValueError(f"{sample} rows asked, the quintile has {len(rows)} (1 to "
                             f"{len(rows)})")
        rows = np.sort(np.random.default_rng(seed).choice(rows, sample, replace=False))
    lines = [int(data["line"].iloc[i]) - 1 for i in rows]     # 1-based data rows
    start = time.perf_counter()
    found = {name: forecast(table, runs, months, seed, n_civilians, executor, workers,
                            rows=lines, posterior=posterior, policy=p)
             for name, p in chosen.items()}
    seconds = time.perf_counter() - start
    pa = np.array([r.p_onset for r in found["policy"]])
    pb = np.array([r.p_onset for r in found["against"]])
    profiles = data["profile"].to_numpy()[rows]
    means = paired_means(pa, pb, country_resamples(profiles, seed, resamples))
    split = ({name: parameter_split(found[name]) for name in chosen}
             if posterior is not None else None)
    return Effect(policy, against, quintile, in_quintile, len(rows),
                  len(np.unique(profiles)), sample, seed, runs, months, n_civilians,
                  posterior.source if posterior else None, **means,
                  rows_lower=int((pa < pb).sum()), rows_higher=int((pa > pb).sum()),
                  parameter_split=split, resamples=resamples, seconds=round(seconds, 1),
                  warmup=posterior_warmup(posterior))


def format_effect(e: Effect) -> str:
    """The effect as a printed report."""
    rows = (f"a seeded sample of {e.rows} (seed {e.seed})" if e.sample
            else f"all {e.rows}")
    post = (f"each run with a parameter set drawn from {e.posterior}" if e.posterior
            else "the declared values, uncalibrated (every link and coefficient an assumption)")

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.2%}"

    rel = ("- (no onset without the policy)" if e.relative is None else
           f"{e.relative:+.0%} [{e.relative_low:+.0%}, {e.relative_high:+.0%}]")
    lines = [
        f"Policy effect on the model's onset risk: {e.policy} against {e.against}, risk "
        f"quintile {e.quintile} of 5",
        f"  rows      {rows} of the quintile's {e.quintile_rows:,} country-years with no "
        f"episode ongoing ({e.countries} countries)",
        f"  runs      {e.runs} per row and policy, paired (the same seeds), {e.months} "
        f"months{warmup_text(e.warmup)}, "
        f"{e.n_civilians:,} simulated civilians; {post}; {e.seconds:.0f} s",
        f"  P(onset within {e.months} months), mean over the rows [95 % over resamples of "
        "countries]:",
        f"    {e.policy:<22} {pct(e.p_policy):>7} [{pct(e.p_policy_low)}, "
        f"{pct(e.p_policy_high)}]",
        f"    {e.against:<22} {pct(e.p_against):>7} [{pct(e.p_against_low)}, "
        f"{pct(e.p_against_high)}]",
        f"    difference             {e.difference:+.2%} [{e.difference_low:+.2%}, "
        f"{e.difference_high:+.2%}]  (policy - against)",
        f"    relative change        {rel}",
        f"  rows lower under {e.policy}: {e.rows_lower}; higher: {e.rows_higher}; the same: "
        f"{e.rows - e.rows_lower - e.rows_higher}",
    ]
    if e.parameter_split:
        for name, s in e.parameter_split.items():
            if s.get("estimable") and s.get("parameter_sd") is not None:
                lines.append(f"  parameter sd of a row's p_onset ({name}): "
                             f"{s['parameter_sd']:.1%}")
    lines.append(CAVEAT)
    return "\n".join(lines)


def write_outputs(e: Effect, out: Path) -> dict[str, str]:
    """``effect.json`` in ``out`` (created)."""
    from ..files import json_safe, write_json_atomic

    out.mkdir(parents=True, exist_ok=True)
    path = out / "effect.json"
    write_json_atomic(path, json_safe(e.to_dict()))
    return {"effect": str(path)}
