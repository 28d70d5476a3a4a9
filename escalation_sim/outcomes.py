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


def summarize(outcomes: Sequence[RunOutcome] | Columns, confidence: float = 0.95) -> dict:
    """Ensemble summary: stage reach and stop rates, mass atrocity, deaths; stable field names.
    ``outcomes`` is anything :func:`columns` takes."""
    c = columns(outcomes)
    n = len(c["highest_stage"])
    reach = {str(k): Rate.of(c["highest_stage"] >= k, confidence) for k in (1, 2, 3)}
    stopped = {str(k): Rate.of(c["stopped_at"] == k, confidence) for k in (1, 2, 3)}
    return {
        "runs": n,
        "confidence": confidence,
        "reach_stage_at_least": {k: asdict(r) for k, r in reach.items()},
        "stopped_at_stage": {k: asdict(r) for k, r in stopped.items()},
        "mass_atrocity": asdict(Rate.of(c["mass_atrocity"] != 0, confidence)),
        "recurrence": asdict(Rate.of(c["recurrences"] > 0, confidence)),
        "deaths": mean_ci(c["deaths"], confidence),
        "displaced_peak": mean_ci(c["displaced_peak"], confidence),
        **(_onset_summary(c, confidence) if "mass_killing_onset" in c else {}),
    }


def _onset_summary(c: Columns, confidence: float) -> dict:
    """The mass-killing onset and what goes with it (absent from tables written before it)."""
    onset, stage3 = c["mass_killing_onset"] != 0, c["highest_stage"] >= 3
    return {
        "mass_killing_onset": asdict(Rate.of(onset, confidence)),
        "stage3_without_onset": asdict(Rate.of(stage3 & ~onset, confidence)),
        "onset_without_stage3": asdict(Rate.of(onset & ~stage3, confidence)),
        **({"mass_killing_ended": asdict(Rate.of(c["mass_killing_ended"] != 0, confidence))}
           if "mass_killing_ended" in c else {}),
        "mass_killing_recurrence": asdict(Rate.of(c["mass_killing_recurrence"] != 0, confidence)),
        "deaths_noncombatant": mean_ci(c["deaths_noncombatant"], confidence),
    }


def format_table(summary: dict) -> str:
    """The ensemble summary as a plain-text table."""
    pct = int(round(summary["confidence"] * 100))
    lines = [f"{'outcome':<48}{'rate':>8}   {pct}% CI (Wilson)      runs",
             "-" * 82]

    def row(label: str, r: dict) -> None:
        lines.append(f"{label:<48}{r['p']:>8.1%}   [{r['low']:6.1%}, {r['high']:6.1%}]"
                     f"   {r['count']:>4}/{r['n']}")

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
    lines.append(CAVEAT)
    return "\n".join(lines)
