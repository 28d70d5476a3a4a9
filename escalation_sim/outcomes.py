"""Per-run outcomes and ensemble summaries.

Definitions (also in the README and ``docs/ODD.md``):

* **highest stage** — the highest true stage of any month, month 0 included.
* **first month at stage k** — the first month whose stage is at least k (None if never).
* **stopped at stage k** — the run reached stage k (k ≥ 1), never reached k + 1, and its last
  ``stop_hold`` months (at least) were all at stage ≤ k − 1: escalation was halted at k and stayed
  halted to the end of the horizon. A run still at its highest stage at the end, or back below it
  for fewer than ``stop_hold`` months, was not stopped.
* **recurrences** — how often the stage re-entered ≥ 2 after at least ``stop_hold`` months below 2
  (R16 §53–56).
* **mass-killing onset** — the field's outcome (Early Warning Project, Political Instability
  Task Force; Ulfelder & Valentino 2008): one perpetrator (the state's forces or one armed group)
  deliberately killed at least ``outcomes.onset_deaths`` (1,000) noncombatant civilians within
  ``outcomes.onset_window`` (12) months; ``onset_month`` is the month of the first onset,
  ``onset_perpetrator`` who. An episode ends when that perpetrator's twelve-month count falls
  below ``outcomes.episode_end_deaths``; ``mass_killing_episodes`` counts onsets,
  ``mass_killing_ended`` says whether an episode ended within the run, and
  ``mass_killing_recurrence`` whether an onset followed the end of an earlier episode.
  Stage 3 is a separate measurement, from the indicators: see ``summarize``'s
  ``stage3_without_onset`` and ``onset_without_stage3``.
* **mass atrocity** — since model v2, the mass-killing onset under its older name:
  ``mass_atrocity`` is ``mass_killing_onset`` and ``mass_atrocity_month`` is ``onset_month``
  (kept so that scripts and the summary's ``mass_atrocity`` field keep working; v1 counted
  cumulative killings of anyone, combatants included, against a share of the population).
* **deaths by victim and perpetrator** — ``deaths_noncombatant`` and ``deaths_combatant``
  (civilians killed while mobilized), and ``deaths_by_perpetrator`` (each killing attributed in
  proportion to the perpetrators' shares of its cell's expected killings).
* **warning month** — the first month the *observed* stage was ≥ 2 (early warning of a specific
  threat); **first action month** — the first month any intervention of the policy took effect;
  **blocked** — the responses that stopped in the pipeline, as ``kind:stage`` (``consent``:
  refused by the government, R14 §15; ``veto``: abandoned after Security Council vetoes).
* Counts (deaths, displaced, violations) are in people: simulated civilians times
  ``population / n_civilians``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np

from .model import EscalationModel, column

CAVEAT = "Results are the model's, for a stylized scenario; not a forecast of any real country."
"""The one sentence every result shown to a user carries."""


def first_months(stages: np.ndarray) -> tuple[int | None, ...]:
    """First month at stage ≥ k for k = 0..3."""
    out = []
    for k in range(4):
        hit = np.flatnonzero(stages >= k)
        out.append(int(hit[0]) if hit.size else None)
    return tuple(out)


def stopped_at(stages: np.ndarray, hold: int) -> int | None:
    """The stage at which escalation was stopped, or None (see the module docstring)."""
    top = int(stages.max())
    if top < 1:
        return None
    last_top = int(np.flatnonzero(stages == top)[-1])
    months_below = stages.size - 1 - last_top
    return top if months_below >= hold else None


def recurrences(stages: np.ndarray, hold: int, level: int = 2) -> int:
    """Re-entries into stage ≥ ``level`` after at least ``hold`` months below it."""
    above = stages >= level
    count, below_run, seen = 0, 0, False
    for a in above:
        if a:
            if seen and below_run >= hold:
                count += 1
            seen, below_run = True, 0
        else:
            below_run += 1
    return count


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What one run produced. Counts are in people."""

    seed: int
    months: int
    stages: tuple[int, ...]
    highest_stage: int
    first_month_at_stage: tuple[int | None, ...]
    stopped_at: int | None
    recurrences: int
    mass_atrocity: bool
    mass_atrocity_month: int | None
    mass_killing_onset: bool
    onset_month: int | None
    onset_perpetrator: str | None
    mass_killing_episodes: int
    mass_killing_ended: bool
    mass_killing_recurrence: bool
    deaths: float
    deaths_noncombatant: float
    deaths_combatant: float
    deaths_by_perpetrator: tuple[tuple[str, float], ...]
    displaced_peak: float
    displaced_end: float
    violations: float
    cost: float
    warning_month: int | None
    formal_warning_month: int | None
    first_action_month: int | None
    blocked: tuple[str, ...]

    @classmethod
    def from_model(cls, model: EscalationModel) -> RunOutcome:
        stages = column(model, "stage").astype(np.int8)
        displaced = column(model, "displaced")
        scale = model.params.people_per_civilian
        hold = model.params.outcomes.stop_hold
        observed = column(model, "observed_stage").astype(np.int8)
        violence = model.violence
        episodes = violence.episodes
        ends = [e.end for e in episodes if e.end is not None]
        deployments = model.delivery.deployments
        starts = [d.first_effect for d in deployments if d.first_effect is not None]
        return cls(
            seed=model.seed,
            months=model.steps,
            stages=tuple(int(s) for s in stages),
            highest_stage=int(stages.max()),
            first_month_at_stage=first_months(stages),
            stopped_at=stopped_at(stages, hold),
            recurrences=recurrences(stages, hold),
            mass_atrocity=violence.onset_month is not None,      # the onset, its older name
            mass_atrocity_month=violence.onset_month,
            mass_killing_onset=violence.onset_month is not None,
            onset_month=violence.onset_month,
            onset_perpetrator=episodes[0].perpetrator if episodes else None,
            mass_killing_episodes=len(episodes),
            mass_killing_ended=bool(ends),
            mass_killing_recurrence=any(e.onset > min(ends) for e in episodes) if ends else False,
            deaths=violence.deaths * scale,
            deaths_noncombatant=violence.noncombatant_deaths,
            deaths_combatant=violence.combatant_deaths,
            deaths_by_perpetrator=tuple(
                (name, float(d)) for name, d in zip(violence.perpetrators, violence.deaths_by,
                                                    strict=True)),
            displaced_peak=float(displaced.max()),
            displaced_end=float(displaced[-1]),
            violations=violence.violations_total * scale,
            cost=model.delivery.cost,
            warning_month=first_months(observed)[2],
            formal_warning_month=model.decisions.actors["secretariat"].warned,
            first_action_month=min(starts) if starts else None,
            blocked=tuple(f"{d.name}:{d.stopped}" for d in deployments if d.stopped),
        )

    def to_dict(self) -> dict:
        return asdict(self)

    def to_row(self) -> dict[str, Any]:
        """The outcome as one flat table row of :data:`ROW_COLUMNS` (``outcomes.csv``, a
        sweep's run table)."""
        row = {}
        for name, _ in ROW_COLUMNS:
            if name.startswith("first_month_at_stage_"):
                row[name] = self.first_month_at_stage[int(name[-1])]
            elif name == "blocked":
                row[name] = ";".join(self.blocked)
            elif name == "deaths_by_perpetrator":
                row[name] = ";".join(f"{who}:{d:.0f}" for who, d in self.deaths_by_perpetrator)
            else:
                row[name] = getattr(self, name)
        return row


def _row_columns() -> list[tuple[str, str]]:
    cols = []
    for f in fields(RunOutcome):
        if f.name == "stages":
            continue
        if f.name == "first_month_at_stage":
            cols += [(f"first_month_at_stage_{k}", "int | None") for k in (1, 2, 3)]
        elif f.name in ("blocked", "deaths_by_perpetrator"):
            cols.append((f.name, "str"))
        else:
            cols.append((f.name, f.type))
    return cols


ROW_COLUMNS = _row_columns()
"""``(name, type)`` of the flat, tabular form of an outcome (:meth:`RunOutcome.to_row`): every
field but the stage trajectory; ``first_month_at_stage`` as ``first_month_at_stage_1..3``
(stage 0 is always month 0); ``blocked`` joined by ``;``; ``deaths_by_perpetrator`` as
``name:people`` joined by ``;``."""


@lru_cache(maxsize=4096)
def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (scipy; remembered, as a sweep's many groups
    repeat the same counts)."""
    from scipy import stats  # imported here: scipy.stats costs a second at import

    if n == 0:
        return (float("nan"), float("nan"))
    ci = stats.binomtest(successes, n).proportion_ci(confidence_level=confidence,
                                                     method="wilson")
    return (float(ci.low), float(ci.high))


@dataclass(frozen=True, slots=True)
class Rate:
    """A proportion with its Wilson confidence interval."""

    count: int
    n: int
    p: float
    low: float
    high: float

    @classmethod
    def of(cls, flags: Sequence[bool] | np.ndarray, confidence: float = 0.95) -> Rate:
        k, n = int(np.count_nonzero(flags)), len(flags)
        low, high = wilson(k, n, confidence)
        return cls(k, n, k / n if n else float("nan"), low, high)


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> dict[str, float]:
    """Mean with a t-based confidence interval."""
    from scipy import stats

    x = np.asarray(values, float)
    m = float(x.mean()) if x.size else float("nan")
    if x.size < 2:
        return {"mean": m, "low": m, "high": m}
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return {"mean": m, "low": m - half, "high": m + half}


SPLIT_METHOD = ("method of moments over runs grouped by their drawn parameter set (one-way "
                "random effects, the sets weighted by how often they were drawn): parameter "
                "variance = (SSB - (J - 1) MSW) / N, floored at 0; run variance = MSW")
"""How :func:`variance_split` separates parameter from run uncertainty (README, "Which is
which")."""


def _split_sets(values: Sequence[float] | np.ndarray, groups: Sequence[int] | np.ndarray,
                strata: Sequence[int] | np.ndarray | None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per drawn set (a distinct (stratum, group), sorted by stratum): its runs, the sum and the
    sum of squares of its values, and where each stratum's sets start."""
    x = np.asarray(values, float)
    g = np.asarray(groups, np.int64)
    s = np.zeros_like(g) if strata is None else np.asarray(strata, np.int64)
    pairs, idx = np.unique(np.column_stack([s, g]), axis=0, return_inverse=True)
    idx = idx.ravel()
    starts = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]])
    return (np.bincount(idx).astype(float), np.bincount(idx, x), np.bincount(idx, x * x),
            starts)


def _moments(n_j: np.ndarray, sum_j: np.ndarray, sq_j: np.ndarray, starts: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The method of moments of :func:`variance_split` over sets given by their sufficient
    statistics, batched over leading axes (the bootstrap's resamples): the parameter variance
    (before the floor), MSW and the runs."""
    n_runs = n_j.sum(axis=-1)
    mean_j = sum_j / n_j
    ss_within = np.maximum((sq_j - sum_j * mean_j).sum(axis=-1), 0.0)
    sizes = np.diff(np.r_[starts, n_j.shape[-1]])
    stratum_mean = (np.add.reduceat(sum_j, starts, axis=-1)
                    / np.add.reduceat(n_j, starts, axis=-1))
    ss_between = (n_j * (mean_j - np.repeat(stratum_mean, sizes, axis=-1)) ** 2).sum(axis=-1)
    df_b, df_w = n_j.shape[-1] - starts.size, n_runs - n_j.shape[-1]
    msw = ss_within / np.maximum(df_w, 1)
    return (ss_between - df_b * msw) / n_runs, msw, n_runs


def variance_split(values: Sequence[float] | np.ndarray, groups: Sequence[int] | np.ndarray,
                   strata: Sequence[int] | np.ndarray | None = None) -> dict[str, Any]:
    """How much of the spread of a per-run quantity comes from the parameter set each run drew
    (``groups[i]``, e.g. the posterior row) and how much from the run itself.

    Runs that drew their parameters by weight from a posterior sample it: set ``j`` is drawn
    ``n_j`` times of ``N``. A method-of-moments split (one-way random effects): the run
    variance is ``MSW = Σ_j Σ_i (x_ij − x̄_j)² / (N − J)`` (for 0/1 flags, a set's binomial
    variance p(1 − p), averaged); the parameter variance — the variance of the per-set mean
    over the posterior as the runs sampled it — is the spread of the set means less what their
    own noise adds to it: ``(SSB − (J − 1) MSW) / N``, ``SSB = Σ_j n_j (x̄_j − x̄)²``, floored at
    0 (with equal ``n_j = n``: the variance of the set means minus the mean within-set variance
    over ``n``, times (J − 1)/J). Their sum is the variance of one run's outcome. With
    ``strata`` (a forecast's rows) sets are grouped within each stratum and measured from its
    own mean, and the sums pool (``J − S`` in place of ``J − 1``): the parameter variance
    within a stratum, averaged over runs.

    Returns ``sets`` (J), ``runs`` (N), ``parameter_var`` and ``run_var`` (None when not
    estimable), ``estimable`` and ``reason`` (why not, or ""). Not estimable: fewer than two
    runs per drawn set on average (``N − J < J``: most sets drawn once, so the run variance
    rests on too few repeats to subtract). When every stratum drew a single set, the
    parameter variance among these runs is exactly 0: all their spread is the runs' own."""
    n_j, sum_j, sq_j, starts = _split_sets(values, groups, strata)
    n_sets, n_runs = n_j.size, int(n_j.sum())
    out: dict[str, Any] = {"sets": n_sets, "runs": n_runs, "parameter_var": None,
                           "run_var": None, "estimable": False, "reason": ""}
    if n_sets == starts.size:   # one set per stratum: every run of a stratum had the same set
        out.update(parameter_var=0.0, run_var=float(_moments(n_j, sum_j, sq_j, starts)[1]),
                   estimable=True)
        return out
    if n_runs - n_sets < n_sets:
        out["reason"] = (f"{n_runs} runs drew {n_sets} distinct parameter sets, too few runs "
                         "per set (fewer than 2 on average) to tell parameter from run noise")
        return out
    parameter_var, msw, _ = _moments(n_j, sum_j, sq_j, starts)
    out.update(parameter_var=max(float(parameter_var), 0.0), run_var=float(msw), estimable=True)
    return out


SPLIT_RESAMPLES = 400
"""Cluster-bootstrap resamples behind the interval of ``parameter_share``."""


def share_interval(values: Sequence[float] | np.ndarray, groups: Sequence[int] | np.ndarray,
                   strata: Sequence[int] | np.ndarray | None = None,
                   confidence: float = 0.95, resamples: int = SPLIT_RESAMPLES,
                   seed: int = 0) -> tuple[float, float] | None:
    """A percentile interval for the parameter share of :func:`variance_split`, by a cluster
    bootstrap: each resample draws, within each stratum, as many sets as it drew, with
    replacement, each with all its runs (the sets are the independent units; the runs of a set
    are not). None where the split is not estimable or every stratum drew one set. The same
    inputs give the same interval (a fixed ``seed``)."""
    n_j, sum_j, sq_j, starts = _split_sets(values, groups, strata)
    n_sets = n_j.size
    if n_sets == starts.size or n_j.sum() - n_sets < n_sets:
        return None
    sizes = np.diff(np.r_[starts, n_sets])
    first, size = np.repeat(starts, sizes), np.repeat(sizes, sizes)
    rng = np.random.default_rng(seed)
    shares = np.empty(resamples)
    for lo in range(0, resamples, 50):    # 50 resamples at a time: bounded memory
        pick = first + (rng.random((min(50, resamples - lo), n_sets)) * size).astype(np.int64)
        parameter_var, msw, _ = _moments(n_j[pick], sum_j[pick], sq_j[pick], starts)
        parameter_var = np.maximum(parameter_var, 0.0)
        total = parameter_var + msw
        shares[lo:lo + pick.shape[0]] = np.divide(parameter_var, total,
                                                  out=np.zeros_like(total), where=total > 0)
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(shares, [tail, 1.0 - tail])
    return float(low), float(high)


def parameter_fields(flags: np.ndarray, groups: np.ndarray,
                     strata: np.ndarray | None = None) -> dict[str, float | None]:
    """``parameter_sd`` (the standard deviation of the per-set rate across the drawn sets),
    ``parameter_share`` (its share of the total variance of a run's outcome) and that share's
    95 % cluster-bootstrap interval (``parameter_share_low``, ``parameter_share_high``:
    :func:`share_interval`) of a rate, from :func:`variance_split`; None where not estimable
    (and the share where nothing varies)."""
    v = variance_split(flags, groups, strata)
    if not v["estimable"]:
        return {"parameter_sd": None, "parameter_share": None, "parameter_share_low": None,
                "parameter_share_high": None}
    total = v["parameter_var"] + v["run_var"]
    interval = share_interval(flags, groups, strata) if total > 0 else None
    return {"parameter_sd": float(np.sqrt(v["parameter_var"])),
            "parameter_share": v["parameter_var"] / total if total > 0 else None,
            "parameter_share_low": None if interval is None else interval[0],
            "parameter_share_high": None if interval is None else interval[1]}


def split_note(groups: np.ndarray, strata: np.ndarray | None = None) -> dict[str, Any]:
    """What a summary's ``parameter_split`` says: the drawn sets, whether the split is
    estimable, the method, and how to read the interval and the split."""
    v = variance_split(np.zeros(len(groups)), groups, strata)
    note = ("Each rate's interval (Wilson) covers the mean over the posterior, run and parameter "
            "noise together. ")
    note += ("The parameter sd (parameter_sd) is how much the rate itself varies between the "
             "posterior's parameter sets, in the rate's units; its share (parameter_share) is "
             "that variance's share of a run's variance, the rest being run-to-run noise; "
             "its interval (parameter_share_low, parameter_share_high) is a cluster bootstrap "
             f"over the {v['sets']} sets drawn, a little narrower than 95 % when they are "
             "few." if v["estimable"] else
             f"Parameter and run uncertainty are not separated: {v['reason']}; run more runs "
             "than the posterior has parameter sets.")
    return {"sets": v["sets"], "runs": v["runs"], "estimable": v["estimable"],
            "method": SPLIT_METHOD, "note": note}


COLUMNS = ("highest_stage", "stopped_at", "mass_atrocity", "mass_killing_onset",
           "mass_killing_ended", "mass_killing_recurrence",
           "recurrences", "deaths", "deaths_noncombatant", "displaced_peak", "cost")
"""The outcome fields that summaries and comparisons read."""

Columns = Mapping[str, np.ndarray]
"""Outcomes as columns: each field of :data:`COLUMNS` as a float array, one value per run
(None as NaN, booleans as 0/1)."""


def columns(outcomes: Sequence[RunOutcome] | Columns | Any) -> Columns:
    """Outcomes as :data:`Columns`, from a sequence of :class:`RunOutcome`, from a table with
    those columns (a pandas DataFrame of sweep rows; fields it lacks are left out), or from
    columns already (returned as they are)."""
    if isinstance(outcomes, Mapping):
        return outcomes
    if hasattr(outcomes, "columns"):   # a DataFrame: one vectorized conversion per column
        return {f: outcomes[f].to_numpy(float) for f in COLUMNS if f in outcomes.columns}
    return {f: np.array([getattr(o, f) for o in outcomes], float) for f in COLUMNS}


def summarize(outcomes: Sequence[RunOutcome] | Columns, confidence: float = 0.95,
              groups: Sequence[int] | np.ndarray | None = None) -> dict:
    """Ensemble summary: stage reach and stop rates, mass atrocity, deaths; stable field names.
    ``outcomes`` is anything :func:`columns` takes.

    ``groups`` (runs that drew their parameters from a posterior: the set each run drew) adds
    to every rate its ``parameter_sd`` and ``parameter_share`` (:func:`parameter_fields`) and to
    the summary a ``parameter_split`` (:func:`split_note`); without it the summary is as it
    always was."""
    c = columns(outcomes)
    n = len(c["highest_stage"])
    g = None if groups is None else np.asarray(groups)

    def rate(flags: np.ndarray) -> dict:
        r = asdict(Rate.of(flags, confidence))
        return r if g is None else {**r, **parameter_fields(flags, g)}

    out = {
        "runs": n,
        "confidence": confidence,
        "reach_stage_at_least": {str(k): rate(c["highest_stage"] >= k) for k in (1, 2, 3)},
        "stopped_at_stage": {str(k): rate(c["stopped_at"] == k) for k in (1, 2, 3)},
        "mass_atrocity": rate(c["mass_atrocity"] != 0),
        "recurrence": rate(c["recurrences"] > 0),
        "deaths": mean_ci(c["deaths"], confidence),
        "displaced_peak": mean_ci(c["displaced_peak"], confidence),
        **(_onset_summary(c, rate, confidence) if "mass_killing_onset" in c else {}),
    }
    if g is not None:
        out["parameter_split"] = split_note(g)
    return out


def _onset_summary(c: Columns, rate, confidence: float) -> dict:
    """The mass-killing onset and what goes with it (absent from tables written before it)."""
    onset, stage3 = c["mass_killing_onset"] != 0, c["highest_stage"] >= 3
    return {
        "mass_killing_onset": rate(onset),
        "stage3_without_onset": rate(stage3 & ~onset),
        "onset_without_stage3": rate(onset & ~stage3),
        **({"mass_killing_ended": rate(c["mass_killing_ended"] != 0)}
           if "mass_killing_ended" in c else {}),
        "mass_killing_recurrence": rate(c["mass_killing_recurrence"] != 0),
        "deaths_noncombatant": mean_ci(c["deaths_noncombatant"], confidence),
    }


def format_table(summary: dict) -> str:
    """The ensemble summary as a plain-text table."""
    pct = int(round(summary["confidence"] * 100))
    split = summary.get("parameter_split")
    lines = [f"{'outcome':<48}{'rate':>8}   {pct}% CI (Wilson)      runs"
             + ("   param. sd  share [95% CI]" if split else ""),
             "-" * (82 + (19 if split else 0))]

    def row(label: str, r: dict) -> None:
        lines.append(f"{label:<48}{r['p']:>8.1%}   [{r['low']:6.1%}, {r['high']:6.1%}]"
                     f"   {r['count']:>4}/{r['n']}" + (_split_cells(r) if split else ""))

    for k, label in (("1", "general risk"), ("2", "specific threat"),
                     ("3", "imminent/ongoing atrocity")):
        row(f"reached stage >= {k} ({label})", summary["reach_stage_at_least"][k])
    for k in ("1", "2", "3"):
        row(f"stopped at stage {k}", summary["stopped_at_stage"][k])
    row("mass atrocity (mass-killing onset: 1,000", summary["mass_atrocity"])
    lines.append("  noncombatants by one perpetrator in 12 months)")
    if "mass_killing_onset" in summary:
        row("  stage 3 reached, no onset", summary["stage3_without_onset"])
        row("  onset, stage 3 never reached", summary["onset_without_stage3"])
        if "mass_killing_ended" in summary:
            row("a mass-killing episode ended", summary["mass_killing_ended"])
        row("mass killing recurred after an episode ended", summary["mass_killing_recurrence"])
    row("recurrence (back to >= 2 after a stop)", summary["recurrence"])
    d = summary["deaths"]
    lines.append(f"{'deaths (people), mean':<48}{d['mean']:>8.0f}   [{d['low']:6.0f}, "
                 f"{d['high']:6.0f}]")
    if split:
        lines.append(split_text(split))
    lines.append(CAVEAT)
    return "\n".join(lines)


def share_text(r: dict) -> str:
    """A rate's ``parameter_share`` with its interval, e.g. "23% [5-48]"; "-" where none."""
    share, low, high = (r.get(k) for k in ("parameter_share", "parameter_share_low",
                                           "parameter_share_high"))
    if share is None:
        return "-"
    return f"{share:.0%}" + ("" if low is None else f" [{low:.0%}-{high:.0%}]".replace("%-", "-"))


def _split_cells(r: dict) -> str:
    sd = r.get("parameter_sd")
    return f"   {'-' if sd is None else f'{sd:.1%}':>9}  {share_text(r):>13}"


def split_text(split: dict) -> str:
    """A ``parameter_split`` (:func:`split_note`) as the lines under a table."""
    return (f"Runs drew {split['sets']} distinct parameter sets of the posterior "
            f"({split['runs']} runs). {split['note']}")
