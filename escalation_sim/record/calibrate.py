"""Calibration: ABC-SMC (pyabc) of profile links and model coefficients to the record.

A calibration file (``experiments/calibration.toml``, validated by :class:`Calibration`) names
the parameters to fit (:mod:`.posterior`: ``links.*`` or scenario dotted paths; each prior
uniform over the parameter's declared bounds unless the file narrows it), the targets (names of
:func:`.measure.targets`), the calibration years, the sample of profile rows, and the ABC
settings. :func:`calibrate` runs it and writes, in its output directory:

* ``posterior.parquet`` — one row per particle of the last generation (parameters, ``weight``),
  with the calibration's record in the file's metadata (:mod:`.posterior`);
* ``diagnostics.json`` — per generation: epsilon, particles accepted, simulations, ESS; the cost
  of one simulated parameter set;
* ``predictive.csv`` and ``predictive.png`` — posterior predictive checks against every target
  the model can simulate;
* ``README.md`` — what was fitted to what; and ``abc.db`` (pyabc's history, for ``--resume``),
  ``config.json`` and ``record.json`` (the targets and the sampled rows).

**The simulated statistics** are measured by the record's own definitions
(:func:`.measure.episode_years`, :func:`.measure.onset_masks`): a parameter set is simulated by
running every sampled profile row ``runs`` times for ``months`` months; each run becomes a
country in an episode table of the record's format (a year per 12 months; a profile with a past
episode gets a year 0 in which that episode ends, so its years count as "after an episode");
the three onset rates follow. The risk gradient: each sampled row belongs to a quintile of the
record's out-of-fold risk score (:func:`.measure.risk_quintiles`, computed on the calibration
years) among the rows with no episode ongoing (:func:`.measure.outside_episode`: a simulated
profile starts without one, so only those rows are comparable), rows are sampled equally from
each quintile (as the quintiles have equal counts), and a run's event is an onset within its
first 24 months (the EWP's ``mk_onset_1or2``). With ``sample.warmup`` each run first steps that
many months, its history, and the years and the 24 months are counted after it; a profile's own
history (years since its past episode, an episode just ended, a recent coup) then describes the
warm-up's start, the row's own year. Rows inside an ongoing episode
(``sample.rows_inside``, for ``onset_rate_inside_episode``) start with it just ended, and their
event is an onset within 24 months by another perpetrator (:func:`.forecast.counted`), as the
forecast scores them; they enter no other statistic. The rates by half of population
(:func:`.measure.population_halves`) are those of the sampled rows in each half, quintile by
quintile, weighted by the record's mix of quintiles in the half (:func:`statistics`); so is the
rate of the rows whose profile excludes no group (:func:`.measure.without_exclusion`). Episode
duration is not simulated: spells last a median 12 years in the record, far beyond affordable
runs (the model's episodes end through campaign exhaustion, but observing durations of a
decade needs runs of decades).

**Distance**: the Euclidean norm of each target's error divided by the width of its 95 %
interval (the wider of the Wilson and the country-bootstrap interval); a statistic the
simulation leaves undefined (no onsets for a share or a ratio) counts ``undefined_distance``
widths.

**Reproducibility**: pyabc draws from numpy's global generator, and its parallel samplers reseed
each worker from the operating system's entropy, so they are not reproducible. Particles are
therefore sampled one after another (:class:`SeededSampler`), the global generator seeded for
each from (seed, generation, particle index); the parallel work is inside each particle, whose
runs go to the executor (local pool or Dask) through :func:`escalation_sim.runner.dispatch`.
The same seed gives the same posterior on any number of workers, and ``--resume`` continues a
stopped fit exactly where an uninterrupted one would have gone.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
import platform
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..batch import run_all
from ..errors import InputError
from ..files import write_bytes_atomic, write_json_atomic
from ..outcomes import CAVEAT
from ..rng import run_seed
from ..runner import WORKER_RETRIES, WorkerLost, dispatch
from ..scenario import explain, flatten, read_toml
from .data import (
    CITATION,
    EPISODES_FILE,
    PREDICTORS_FILE,
    data_dir,
    load_episodes,
    load_predictors,
)
from .forecast import counted, ongoing_perpetrator
from .measure import (
    Target,
    Targets,
    episode_years,
    inside_episode,
    onset_masks,
    outside_episode,
    population_halves,
    risk_quintiles,
    risk_scores,
    targets,
    without_exclusion,
)
from .posterior import Fitted, fitted, split, weighted_summary, write_posterior
from .profiles import ProfileTable, profile_at, read_profiles

GRADIENT_MONTHS = 24
"""A run's window for the risk gradient: the EWP's outcome is an onset in the next two years."""
QUINTILES = tuple(f"onset_rate_risk_q{q}" for q in range(1, 6))
INSIDE = "onset_rate_inside_episode"
HALVES = ("onset_rate_smaller_half", "onset_rate_larger_half")
OPEN = "onset_rate_without_exclusion"
SIMULATED = ("first_onset_rate", "onset_rate_after_episode", "after_episode_ratio",
             *QUINTILES, "onset_share_top_quintile", *HALVES, OPEN, INSIDE)
"""The targets the model's runs can be measured against, in report order."""
NOT_SIMULATED = {
    "onset_rate_during_episode": "profiles with an ongoing episode start the model without "
                                 "one (the model cannot carry an episode into month 0); fit "
                                 f"{INSIDE}, its two-year form on the predictor rows, "
                                 "instead",
    **{name: "episode duration is not simulated: spells last a median 12 years in the record, "
             "beyond affordable runs (observing them needs runs of decades)"
       for name in ("spell_years_q1", "spell_years_median", "spell_years_q3")},
}
RESUMABLE = ("abc.generations", "abc.min_epsilon", "abc.predictive", "name", "description")
"""The fields ``--resume`` may change: when to stop, how many predictive checks, the prose (a
fit moved to be the shipped one is renamed without refitting)."""
BEFORE_KERNEL = ("abc.kernel_scaling",)
"""The fields ``--resume`` may change while generation 0 alone is done: it samples the prior,
so no kernel has acted yet and the fit is the one a fresh start with the new value gives."""
NOTE = ("the model's numbers for stylized, anonymous profiles; a posterior of the model's "
        "parameters given the record's aggregate rates, not a forecast of any country")


# ---- the calibration file ------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class FitParameter(_Strict):
    """One parameter to fit: its name, and optionally a narrower prior range."""

    name: str = Field(description="links.FIELD (a profile link coefficient) or a scenario "
                                  "dotted path (e.g. violence.state_orders)")
    range: list[float] | None = Field(None, description="[low, high] of the uniform prior, "
                                      "within the declared bounds (default: the bounds)")

    @model_validator(mode="after")
    def _known(self) -> FitParameter:
        try:
            f = fitted(self.name)
        except ValueError as e:
            raise ValueError(f"name: {e}") from None
        if self.range is not None:
            if len(self.range) != 2 or not self.range[0] < self.range[1]:
                raise ValueError("range: give [low, high] with low below high")
            if self.range[0] < f.low or self.range[1] > f.high:
                raise ValueError(f"range: [{self.range[0]:g}, {self.range[1]:g}] leaves the "
                                 f"declared bounds [{f.low:g}, {f.high:g}] of {self.name}")
        return self

    def prior(self) -> tuple[float, float]:
        f = fitted(self.name)
        return (self.range[0], self.range[1]) if self.range else (f.low, f.high)


class Sample(_Strict):
    """What one simulated parameter set runs."""

    rows_per_quintile: int = Field(4, ge=1, le=1000, description="Profile rows sampled from "
                                   "each quintile of the risk score (seeded)")
    rows_inside: int = Field(0, ge=0, le=1000, description="Profile rows sampled (seeded) "
                             "from the scored rows with an episode ongoing, for the target "
                             f"{INSIDE}")
    runs: int = Field(5, ge=1, le=10_000, description="Runs per sampled row")
    months: int = Field(24, ge=GRADIENT_MONTHS, le=600,
                        description="Months per run counted (a multiple of 12, at least 24)")
    warmup: int = Field(0, ge=0, le=120, description="Months each run is stepped before the "
                        "counted ones (a multiple of 12): their onsets are the run's history, "
                        "not counted. A profile starts calm (no one mobilized, no killing under "
                        "way) while the record's country-years are in the middle of their "
                        "histories (benchmarks/onset_timing.py). Forecasts under a posterior "
                        "fitted with one use the same (forecast.posterior_warmup)")
    civilians: int = Field(1000, ge=100, le=100_000, description="Simulated civilians per run")

    @model_validator(mode="after")
    def _years(self) -> Sample:
        for name in ("months", "warmup"):
            if getattr(self, name) % 12:
                raise ValueError(f"{name}: must be a multiple of 12 (whole years), got "
                                 f"{getattr(self, name)}")
        return self


class ABC(_Strict):
    """pyabc's ABC-SMC settings."""

    population: int = Field(100, ge=2, le=100_000, description="Particles per generation")
    generations: int = Field(5, ge=1, le=100, description="Most generations (stop earlier at "
                             "min_epsilon)")
    min_epsilon: float = Field(0.0, ge=0, description="Stop when epsilon falls to this "
                               "distance (in interval widths)")
    undefined_distance: float = Field(3.0, gt=0, le=100, description="Scaled error charged to a "
                                      "target the simulation leaves undefined (assumption)")
    predictive: int = Field(20, ge=1, le=10_000, description="Posterior predictive simulations "
                            "(parameter sets drawn by weight)")
    resamples: int = Field(500, ge=100, le=100_000, description="Resamples of countries for the "
                           "targets' bootstrap intervals")
    kernel_scaling: float = Field(1.0, gt=0, le=100, description="Factor on the covariance of "
                                  "the kernel that perturbs particles (pyabc's multivariate "
                                  "normal transition: 1, its default, is Silverman's "
                                  "bandwidth). Wider proposals can spread the importance "
                                  "weights more evenly (a higher ESS), at some cost in "
                                  "acceptance (benchmarks/abc_kernel.py)")
    kernel_space: Literal["natural", "logit"] = Field(
        "natural", description="Where the kernel perturbs particles: in the parameters' own "
        "units, or in each one's logit within its prior's bounds, logit((x - low) / (high - "
        "low)), where the uniform prior is a standard logistic one and the kernel loses no "
        "proposals at the bounds (the posterior is written in the parameters' units)")


class Calibration(_Strict):
    """A validated calibration file."""

    name: str = Field(description="Name of the calibration")
    description: str = Field("", description="What it fits and why")
    seed: int = Field(0, ge=0, description="Seed: the row sample, every particle and run")
    last_year: int = Field(1995, ge=1965, le=2011, description="Calibration years: the record "
                           "up to this year (episodes to it; predictor rows whose two-year "
                           "outcome ends by it); later years stay out of sample")
    targets: list[str] = Field(min_length=1, description="Target names (record targets)")
    parameters: list[FitParameter] = Field(min_length=1, description="The parameters to fit")
    held: dict[str, float] = Field(default_factory=dict, description="Parameters held at a "
                                   "chosen value in every simulation rather than fitted (name: "
                                   "value within its declared bounds), e.g. at an earlier "
                                   "fit's median where freeing one more would cost the fit its "
                                   "effective sample size. The posterior carries each as a "
                                   "column of that one value, so that its users run the model "
                                   "it was fitted with; the value's own uncertainty is not "
                                   "carried")
    sample: Sample = Sample()
    abc: ABC = ABC()

    @field_validator("held", mode="before")
    @classmethod
    def _dotted(cls, value: Any) -> Any:
        # an unquoted dotted key (links.excluded_share_max = 0.38) is a TOML table: its path
        return flatten(value) if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _consistent(self) -> Calibration:
        for i, t in enumerate(self.targets):
            if t in NOT_SIMULATED:
                raise ValueError(f"targets.{i}: {t!r} cannot be simulated: {NOT_SIMULATED[t]}")
            if t not in SIMULATED:
                raise ValueError(f"targets.{i}: unknown target {t!r}; targets are "
                                 f"{', '.join(SIMULATED)}")
        if INSIDE in self.targets and self.sample.rows_inside == 0:
            raise ValueError(f"sample.rows_inside: the target {INSIDE} needs rows sampled "
                             "inside an episode; set it above 0")
        if len(set(self.targets)) != len(self.targets):
            raise ValueError("targets: a target is listed twice")
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError("parameters: a parameter is listed twice")
        for name, value in self.held.items():
            field = f"held.{name}" if name.isprintable() else f"held.{name!r}"
            try:
                f = fitted(name)
            except ValueError as e:
                raise ValueError(f"{field}: {e}") from None
            if name in names:
                raise ValueError(f"{field}: also in parameters; hold it or fit it")
            if not f.admits(value):
                raise ValueError(f"{field}: {value:g} leaves the declared bounds {f.bounds()}")
        return self

    def names(self) -> list[str]:
        """The posterior's columns: the fitted parameters, then the held ones."""
        return [p.name for p in self.parameters] + list(self.held)


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration file; errors name the file and the field."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), [("", "no such calibration file")])
    try:
        return Calibration.model_validate(read_toml(path))
    except ValidationError as e:
        raise InputError(str(path), explain(e, Calibration)) from None


# ---- the record in the calibration years ---------------------------------------------------------
@dataclass(frozen=True)
class Record:
    """The targets in the calibration years and the sampled profile rows."""

    targets: Targets
    rows: tuple[int, ...]          # 1-based rows of the predictors file
    quintiles: tuple[int, ...]     # each row's risk quintile (0-4; -1: a row inside an episode)
    episode_table: tuple[bool, ...]  # whether the row enters the onset rates (no ongoing episode)
    prior: tuple[bool, ...]        # whether the row's profile had an episode before
    inside: tuple[bool, ...] = ()  # whether the row is one of sample.rows_inside (none: ())
    halves: tuple[int, ...] = ()   # each row's half by population (0, 1; -1: inside an episode)
    # the record's share of each half's rows in each quintile (2 × 5; () without halves)
    half_mix: tuple[tuple[float, ...], ...] = ()
    # whether the row's profile excludes no group (measure.without_exclusion; rows inside an
    # episode False), and the record's share of such rows in each quintile (5; () before them)
    open: tuple[bool, ...] = ()
    open_mix: tuple[float, ...] = ()

    def to_dict(self) -> dict:
        return {"targets": self.targets.to_dict(), "rows": list(self.rows),
                "quintiles": list(self.quintiles), "episode_table": list(self.episode_table),
                "prior": list(self.prior), "inside": list(self.inside),
                "halves": list(self.halves), "half_mix": [list(m) for m in self.half_mix],
                "open": list(self.open), "open_mix": list(self.open_mix)}

    def simulated(self) -> list[str]:
        """The targets of :data:`SIMULATED` this sample measures (:data:`INSIDE` only with rows
        inside an episode, :data:`HALVES` only with the rows' halves, :data:`OPEN` only with
        the rows' exclusion: fits made before any of them lack them)."""
        return [n for n in SIMULATED if (n != INSIDE or any(self.inside))
                and (n not in HALVES or self.halves) and (n != OPEN or self.open)]

    @classmethod
    def from_dict(cls, d: dict) -> Record:
        """The record as :meth:`to_dict` wrote it (``--resume`` reads it rather than fitting the
        risk score again)."""
        t = d["targets"]
        found = Targets(tuple(Target(**x) for x in t["targets"].values()),
                        t["files"]["episodes"], t["files"]["predictors"], t["seed"],
                        t["resamples"])
        inside = tuple(d.get("inside", ()))   # fits before rows_inside have none
        halves = tuple(d.get("halves", ()))   # nor the halves by population
        open_ = tuple(d.get("open", ()))      # nor the rows' exclusion
        for name, flags in (("inside", inside), ("halves", halves), ("open", open_)):
            if flags and len(flags) != len(d["rows"]):   # one a row, or none
                raise KeyError(name)
        mix = tuple(tuple(float(x) for x in m) for m in d["half_mix"]) if halves else ()
        if halves and [len(m) for m in mix] != [5, 5]:
            raise KeyError("half_mix")
        open_mix = tuple(float(x) for x in d["open_mix"]) if open_ else ()
        if open_ and len(open_mix) != 5:
            raise KeyError("open_mix")
        return cls(found, tuple(d["rows"]), tuple(d["quintiles"]), tuple(d["episode_table"]),
                   tuple(d["prior"]), inside, halves, mix, open_, open_mix)


def check_targets(config: Calibration, found: Targets, source: str) -> None:
    """Every fitted target must have a value and an interval of positive width in the
    calibration years (the distance divides by it): else an :class:`InputError` of ``source``
    naming the target's entry and the problem."""
    problems = []
    for i, name in enumerate(config.targets):
        t = found[name]
        counts = f"{t.count} in {t.n}" if t.count is not None else f"n = {t.n}"
        try:
            ok = math.isfinite(t.value) and width(t) > 0
        except ValueError:
            ok = False
        if not ok:
            problems.append((f"targets.{i}", (
                f"{name} is undefined or has no interval in the record's years to "
                f"{config.last_year} (value {t.value:g}, 95 % interval [{t.low:g}, {t.high:g}], "
                f"{counts}); choose a later last_year or leave the target out")))
    if problems:
        raise InputError(source, problems)


def calibration_record(config: Calibration, source: str = "calibration") -> Record:
    """The targets computed on the calibration years only, and the seeded sample of rows
    (``source``: the calibration file, named in an error)."""
    episodes = load_episodes(data_dir() / EPISODES_FILE)
    predictors = load_predictors(data_dir() / PREDICTORS_FILE)
    episodes = episodes[episodes.year <= config.last_year].reset_index(drop=True)
    predictors = predictors[predictors.year <= config.last_year - 2].reset_index(drop=True)
    try:
        score = risk_scores(predictors, config.seed)
        found = targets(episodes, predictors, config.seed, config.abc.resamples,
                        episodes_file=f"{EPISODES_FILE} (years to {config.last_year})",
                        predictors_file=f"{PREDICTORS_FILE} (years to {config.last_year - 2})",
                        score=score)
        quintile = risk_quintiles(score, outside_episode(predictors))
        half = population_halves(predictors, quintile >= 0)
        open_ = without_exclusion(predictors, quintile >= 0)
    except ValueError as e:   # too few rows or onsets to fit the risk score or cut quintiles
        raise InputError(source, [("last_year", (
            f"the record's years to {config.last_year} are too few to compute the targets "
            f"({str(e).splitlines()[0][:160]}); choose a later last_year"))]) from None
    check_targets(config, found, source)
    fewest = min(int((quintile == q).sum()) for q in range(5))
    if config.sample.rows_per_quintile > fewest:
        raise InputError(source, [("sample.rows_per_quintile", (
            f"{config.sample.rows_per_quintile} rows from each quintile, but the calibration "
            f"years to {config.last_year} have {fewest} scored rows in the smallest"))])
    inside = np.flatnonzero(inside_episode(predictors, score))
    if config.sample.rows_inside > len(inside):
        raise InputError(source, [("sample.rows_inside", (
            f"{config.sample.rows_inside} rows inside an episode, but the calibration years to "
            f"{config.last_year} have {len(inside)} scored rows with an episode ongoing"))])
    rng = np.random.default_rng(config.seed)
    chosen = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(quintile == q), config.sample.rows_per_quintile, replace=False)
        for q in range(5)]))
    _check_sampled(config, half[chosen], open_[chosen], source)
    # drawn after the quintiles' rows, so that a fit without them keeps its sample
    chosen_inside = np.sort(rng.choice(inside, config.sample.rows_inside, replace=False))
    chosen = np.concatenate([chosen, chosen_inside])
    # rows of the predictors file (the filtered table keeps the file order and line numbers)
    rows = tuple(int(predictors.line.iloc[i]) - 1 for i in chosen)
    ongoing = predictors["mk_ongoing_count_log2"].fillna(0).to_numpy()[chosen] > 0
    ever = predictors["mk_ever"].fillna(0).to_numpy()[chosen] > 0.5
    return Record(found, rows, tuple(int(quintile[i]) for i in chosen),
                  tuple(bool(x) for x in ~ongoing), tuple(bool(x) for x in ever),
                  tuple([False] * (len(chosen) - len(chosen_inside))
                        + [True] * len(chosen_inside)) if len(chosen_inside) else (),
                  tuple(int(half[i]) for i in chosen),
                  tuple(quintile_mix(quintile, half == h) for h in range(2)),
                  tuple(bool(open_[i]) for i in chosen), quintile_mix(quintile, open_))


def quintile_mix(quintile: np.ndarray, within: np.ndarray) -> tuple[float, ...]:
    """The share of the rows ``within`` marks in each of the five quintiles (``quintile``, 0-4;
    -1 in none); zeros where it marks no row."""
    n = within.sum()
    return tuple(float((within & (quintile == q)).sum() / n) if n else 0.0 for q in range(5))


def _check_sampled(config: Calibration, halves: np.ndarray, open_: np.ndarray,
                   source: str) -> None:
    """A fitted rate of a subset of rows needs a sampled row in it (``halves``: the sampled
    rows' halves by population; ``open_``: whether each excludes no group); else an
    :class:`InputError` of ``source``."""
    subsets = [(name, halves == h, f"of the {name.split('_')[2]} half by population")
               for h, name in enumerate(HALVES)]
    subsets.append((OPEN, open_, "whose profile excludes no group"))
    for name, rows, which in subsets:
        if name in config.targets and not rows.any():
            raise InputError(source, [("sample.rows_per_quintile", (
                f"the {len(halves)} rows sampled hold none {which}, which {name} needs; "
                "sample more rows"))])


# ---- simulation ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Batch:
    """Runs ``indices`` of sampled row ``k`` (the unit of work sent to a worker)."""

    k: int
    scenario: Any
    seed: int
    indices: list[int]
    ongoing: str | None = None   # the perpetrator of the row's ongoing episode (rows inside one)


TOGETHER = 25
"""Runs sent to a worker as one task, stepped together (:mod:`escalation_sim.batch`): as many
rows' batches as fit in it (one, whatever its size, when a row's batch is larger)."""


def _run_task(task: tuple[_Batch, ...]) -> list[list[tuple[tuple[int, int | None], ...]]]:
    """For each batch of the task, each run's mass-killing episodes as (onset month, end month
    or None); in a row inside an episode, only those the record would count as new
    (:func:`.forecast.counted`). The task's runs are stepped together, which gives each run
    the result it has alone."""
    models = iter(run_all([b.scenario for b in task for _ in b.indices],
                          [run_seed(b.seed, i) for b in task for i in b.indices], series=False))
    return [[tuple((e.onset, e.end) for e in counted(next(models).violence.episodes,
                                                      b.ongoing))
             for _ in b.indices] for b in task]


def _year(month: int) -> int:
    return (month - 1) // 12 + 1


def statistics(episodes: Sequence[Sequence[tuple[int, int | None]]], months: int,
               rows: Sequence[int], record: Record, warmup: int = 0) -> dict[str, float]:
    """Every simulated statistic of :meth:`Record.simulated` from the runs' episodes
    (``episodes[j]`` is run ``j``, of sampled row ``rows[j]``, an index into ``record``), by the
    record's definitions (NaN where undefined). The first ``warmup`` months of each run (whole
    years) are its history: its episodes then classify the later years (an onset in them makes
    the years after it "after an episode"), but no year of them is at risk, and the gradient's
    event is an onset in the 24 months after them. A half's rate by population weights its rows'
    rates by quintile with the record's mix of quintiles in that half (``half_mix``; quintiles
    with no sampled row of the half left out): the sample is drawn by quintile, so each half's
    mix of quintiles in it is left to chance, and the rate rises steeply with the quintile. The
    rate where no group is excluded is weighted so too (``open_mix``)."""
    lines = []
    years, first_counted = (warmup + months) // 12, warmup // 12 + 1
    for j, (eps, k) in enumerate(zip(episodes, rows, strict=True)):
        if not record.episode_table[k]:
            continue
        if record.prior[k]:  # the past episode ends in year 0: the run's years follow one
            lines.append((j, 0, 0, 1, 1))
        for y in range(1, years + 1):
            onset = sum(_year(a) == y for a, _ in eps)
            ongoing = sum(_year(a) <= y and (b is None or _year(b) >= y) for a, b in eps)
            offset = sum(b is not None and _year(b) == y for _, b in eps)
            lines.append((j, y, onset, ongoing, offset))
    table = pd.DataFrame(lines, columns=["profile", "year", "mk_onset_count",
                                         "mk_ongoing_count", "mk_offset_count"])
    out: dict[str, float] = {}
    masks = onset_masks(episode_years(table)) if len(table) else {}
    counted = table["year"].to_numpy() >= first_counted
    for name in ("first_onset_rate", "onset_rate_after_episode"):
        event, at_risk = masks[name] if masks else (np.zeros(0, bool), np.zeros(0, bool))
        at_risk = at_risk & counted
        n = int(at_risk.sum())
        out[name] = float((event & at_risk).sum() / n) if n else math.nan
    first = out["first_onset_rate"]
    out["after_episode_ratio"] = (out["onset_rate_after_episode"] / first
                                  if first > 0 else math.nan)
    event = np.array([any(warmup < a <= warmup + GRADIENT_MONTHS for a, _ in eps)
                      for eps in episodes])
    quintile = np.array([record.quintiles[k] for k in rows])

    def rate(rows: np.ndarray) -> float:
        return float(event[rows].mean()) if rows.any() else math.nan

    def mixed(within: np.ndarray, mix: Sequence[float]) -> float:
        """The rate of the runs ``within`` marks, its quintiles' rates weighted by ``mix``."""
        cells = [(w, rate(within & (quintile == q))) for q, w in enumerate(mix)]
        cells = [(w, r) for w, r in cells if not math.isnan(r)]
        weight = sum(w for w, _ in cells)
        return sum(w * r for w, r in cells) / weight if weight > 0 else math.nan

    for q, name in enumerate(QUINTILES):
        out[name] = rate(quintile == q)
    scored = event & (quintile >= 0)
    out["onset_share_top_quintile"] = (float(event[quintile == 4].sum() / scored.sum())
                                       if scored.any() else math.nan)
    if record.halves:   # each half's quintile rates weighted by the record's mix of quintiles
        half = np.array([record.halves[k] for k in rows])
        for h, name in enumerate(HALVES):
            out[name] = mixed(half == h, record.half_mix[h])
    if record.open:
        out[OPEN] = mixed(np.array([record.open[k] for k in rows], dtype=bool), record.open_mix)
    if any(record.inside):
        out[INSIDE] = rate(np.array([record.inside[k] for k in rows], dtype=bool))
    return out


class Simulator:
    """A parameter set → the simulated statistics (pyabc's model), running every sampled row
    ``runs`` times on ``executor`` (None: in this process). The seed of a simulation is drawn
    from numpy's global generator, which :class:`SeededSampler` seeds for each particle."""

    def __init__(self, config: Calibration, table: ProfileTable, record: Record,
                 executor: Executor | None = None, workers: int = 1):
        self.config, self.table, self.record = config, table, record
        self.executor, self.workers = executor, workers
        self.simulations = 0
        self.seconds = 0.0

    def __call__(self, parameters: dict) -> dict[str, float]:
        # pyabc's particles draw from numpy's global generator: the simulation's seed too
        seed = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002
        values = {p.name: float(natural(self.config, p, np.float64(parameters[_key(p.name)])))
                  for p in self.config.parameters} | self.config.held
        return self.simulate(values, seed)

    def simulate(self, values: dict[str, float], seed: int) -> dict[str, float]:
        start = time.perf_counter()
        ran = self.episodes(values, seed)
        if ran is None:
            return {**dict.fromkeys(self.record.simulated(), math.nan), "valid": 0.0}
        episodes, rows = ran
        s = self.config.sample
        stats = statistics(episodes, s.months, rows, self.record, s.warmup)
        self.simulations += 1
        self.seconds += time.perf_counter() - start
        return {**stats, "valid": 1.0}

    def episodes(self, values: dict[str, float], seed: int) -> tuple[list, list[int]] | None:
        """Every run's episodes (``(onset month, end month or None)``) and its sampled row (an
        index into the record), in order of row and run; None where ``values`` make a row's
        scenario invalid."""
        s = self.config.sample
        try:
            links, overrides = split(values)
            profiles = [profile_at(self.table, r, links, s.warmup + s.months, s.civilians,
                                   overrides)
                        for r in self.record.rows]
        except (InputError, ValueError):
            return None
        size = max(1, min(s.runs, math.ceil(s.runs * len(profiles) / (4 * self.workers))))
        batches = [_Batch(k, p.scenario, run_seed(seed, k), list(range(i, min(i + size, s.runs))),
                          ongoing_perpetrator(p.values, p.history))
                   for k, p in enumerate(profiles) for i in range(0, s.runs, size)]
        # several rows' batches a task, up to TOGETHER runs, at least four tasks a worker
        per_task = max(1, min(TOGETHER // size, len(batches) // (4 * self.workers)))
        tasks = [tuple(batches[i:i + per_task]) for i in range(0, len(batches), per_task)]
        found: dict[tuple[int, int], Any] = {}

        def take(task: tuple[_Batch, ...], result: list) -> None:
            for batch, episodes in zip(task, result, strict=True):
                for i, eps in zip(batch.indices, episodes, strict=True):
                    found[(batch.k, i)] = eps

        def lost(task: tuple[_Batch, ...], cause: BaseException) -> None:
            rows = ", ".join(str(self.record.rows[b.k]) for b in task)
            raise WorkerLost(f"calibration rows {rows}: the worker process running them died "
                             f"{WORKER_RETRIES + 1} times ({cause})")

        if self.executor is None:
            for t in tasks:
                take(t, _run_task(t))
        else:
            dispatch(tasks, _run_task, self.executor, take, lost,
                     max_pending=2 * max(self.workers, 1) + 2)
        keys = sorted(found)
        return [found[key] for key in keys], [k for k, _ in keys]


class Distance:
    """Each target's error divided by its interval's width, the Euclidean norm of those."""

    def __init__(self, config: Calibration, found: Targets):
        self.names = tuple(config.targets)
        self.scale = {n: width(found[n]) for n in self.names}
        self.undefined = config.abc.undefined_distance

    def __call__(self, x: dict, x_0: dict) -> float:
        if not x.get("valid", 1.0):
            return math.inf
        total = 0.0
        for n in self.names:
            v = float(x[n])
            term = self.undefined if math.isnan(v) else (v - float(x_0[n])) / self.scale[n]
            total += term * term
        return math.sqrt(total)


def width(t: Target) -> float:
    """The width of a target's 95 % interval: the wider of its two intervals."""
    widths = [t.high - t.low]
    if t.country_low is not None and t.country_high is not None:
        widths.append(t.country_high - t.country_low)
    w = max((x for x in widths if math.isfinite(x)), default=math.nan)
    if not w > 0:
        raise ValueError(f"target {t.name}: its interval has no width")
    return w


def natural(config: Calibration, p: FitParameter, x: np.ndarray) -> np.ndarray:
    """Parameter ``p``'s values in its own units from pyabc's (which, with ``abc.kernel_space``
    "logit", are logits within the prior's bounds)."""
    if config.abc.kernel_space == "natural":
        return x
    from scipy.special import expit

    lo, hi = p.prior()
    return lo + (hi - lo) * expit(x)


def _key(name: str) -> str:
    """A parameter's name in pyabc's database (which keeps only word characters)."""
    return name.replace(".", "__")


def particle_seed(seed: int, t: int, i: int) -> list[int]:
    """The seed of numpy's global generator for particle ``i`` of generation ``t`` (t = -1:
    pyabc's calibration sample)."""
    return [int(x) for x in np.random.SeedSequence([seed, t + 1, i]).generate_state(4)]


def _sampler_class():
    from pyabc.sampler import Sampler

    class SeededSampler(Sampler):
        """pyabc's single-core sampling, numpy's global generator seeded for each particle from
        (seed, generation, particle index), so that a generation depends only on the previous
        one: the same on any number of workers, and after ``--resume``."""

        def __init__(self, seed: int, report: Callable[[int, int, int], None] | None = None):
            super().__init__()
            self.seed, self.report = seed, report

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                    all_accepted=False, ana_vars=None):
            sample = self._create_empty_sample()
            i = 0
            while sample.n_accepted < n and i < max_eval:
                np.random.seed(particle_seed(self.seed, t, i))  # noqa: NPY002 - pyabc's
                sample.append(simulate_one())
                i += 1
            self.nr_evaluations_ = i
            if sample.n_accepted < n:
                sample.ok = False
            if self.report:
                self.report(t, sample.n_accepted, i)
            return sample

    return SeededSampler


# ---- the fit -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Result:
    out: Path
    generations: int
    epsilon: float
    ess: float
    simulations: int
    seconds_per_simulation: float | None


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("escalation-sim", "pyabc", "numpy", "scipy", "pandas",
                                    "mesa", "scikit-learn")} | {
        "python": platform.python_version()}


def _config_json(config: Calibration) -> dict:
    return config.model_dump(mode="json")


_KEPT = ("nothing in the directory was changed (abc.db keeps the finished generations); "
         "restore the file, or start a new calibration with another --out")


def _saved_json(path: Path) -> Any:
    """A state file of a calibration directory, or an :class:`InputError` naming it (where
    JSON breaks: line and column) if it is not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(str(path), [("", f"damaged: not UTF-8 text; {_KEPT}")]) from None
    except json.JSONDecodeError as e:
        raise InputError(str(path), [(f"line {e.lineno}, column {e.colno}",
                                      f"damaged: not valid JSON ({e.msg}); {_KEPT}")]) from None
    except OSError as e:
        raise InputError(str(path), [("", f"cannot read: {e.strerror}")]) from None


def _saved_config(path: Path) -> Calibration:
    """The calibration a directory holds (``config.json``), checked like a calibration file."""
    try:
        return Calibration.model_validate(_saved_json(path))
    except ValidationError as e:
        raise InputError(str(path), [(field, f"{problem} (damaged; {_KEPT})")
                                     for field, problem in explain(e, Calibration)]) from None


def _saved_record(path: Path) -> Record:
    """The targets and sampled rows a directory holds (``record.json``)."""
    data = _saved_json(path)
    try:
        return Record.from_dict(data)
    except (KeyError, TypeError, AttributeError) as e:
        field = e.args[0] if isinstance(e, KeyError) else ""
        raise InputError(str(path), [(str(field), "damaged: missing or not of its kind; delete "
                                      "the file and --resume again (it is recomputed from the "
                                      "calibration file, the same as before)")]) from None


def _as_begun(record: Record, observed: dict) -> Record:
    """A recomputed ``record`` as a fit begun with the statistics ``observed`` (pyabc's stored
    observation) measured it: without the halves by population, or the rows' exclusion, if it
    began before them."""
    if record.halves and not set(HALVES) <= set(observed):
        record = replace(record, halves=(), half_mix=())
    if record.open and OPEN not in observed:
        record = replace(record, open=(), open_mix=())
    return record


def _with_defaults(config: dict) -> dict:
    """A saved calibration (``config.json``, a posterior's metadata) with the fields added since
    it was written at their defaults; as saved if it no longer validates."""
    try:
        return _config_json(Calibration.model_validate(config))
    except ValidationError:
        return config


def _same_fit(old: dict, new: dict, may_change: tuple[str, ...] = RESUMABLE) -> str:
    """The first field that differs between two calibrations beyond ``may_change`` (a field
    added since ``old`` was written counts at its default)."""
    a, b = flatten(_with_defaults(old)), flatten(_with_defaults(new))
    for k in sorted(set(a) | set(b)):
        if k in may_change:
            continue
        if a.get(k) != b.get(k):
            return k
    return ""


def calibrate(path: str | Path, out: str | Path, resume: bool = False,
              executor: Executor | None = None, workers: int = 1,
              command: str = "", log: Callable[[str], None] | None = None) -> Result:
    """Run (or with ``resume`` continue) the calibration of file ``path`` into ``out``.

    pyabc draws from numpy's global generator, so each particle reseeds it (from the seed, the
    generation and the particle): a caller's global numpy random state is changed."""
    config = load_calibration(path)
    out = Path(out)
    db_file = out / "abc.db"
    log = log or (lambda _: None)
    logging.getLogger("ABC").setLevel(logging.WARNING)
    if resume:
        if not db_file.is_file() or not (out / "config.json").is_file():
            raise InputError(str(out), [("", "no calibration to resume here (abc.db and "
                                             "config.json missing)")])
        old = _config_json(_saved_config(out / "config.json"))
        differs = _same_fit(old, _config_json(config), RESUMABLE + BEFORE_KERNEL)
        if differs:
            raise InputError(str(path), [(differs, f"differs from the calibration in {out}; "
                                          "--resume may change only " + ", ".join(RESUMABLE)
                                          + " (and abc.kernel_scaling while generation 0 "
                                          "alone is done)")])
    elif db_file.exists():
        raise InputError(str(out), [("", "already holds a calibration (abc.db): continue it "
                                         "with --resume, or choose another --out")])
    out.mkdir(parents=True, exist_ok=True)
    saved = resume and (out / "record.json").is_file()
    if saved:
        record = _saved_record(out / "record.json")
    else:
        log(f"{path}: the record's targets in the years to {config.last_year} (fits the risk "
            "score's regression; about a minute)")
        record = calibration_record(config, str(path))
    if not resume:   # a resume writes its state after the check of the kernel (below)
        write_json_atomic(out / "record.json", record.to_dict())
        write_json_atomic(out / "config.json", _config_json(config))
    table = read_profiles(data_dir() / PREDICTORS_FILE)
    import pyabc  # 5-15 s: after every check of the input

    simulator = Simulator(config, table, record, executor, workers)
    distance = Distance(config, record.targets)
    observed = {n: record.targets[n].value for n in record.simulated()} | {"valid": 1.0}
    # a uniform prior on [lo, hi], or its logit's: the standard logistic distribution
    prior = pyabc.Distribution(**{_key(p.name): pyabc.RV("uniform", lo, hi - lo)
                                  if config.abc.kernel_space == "natural"
                                  else pyabc.RV("logistic", 0, 1)
                                  for p in config.parameters for lo, hi in [p.prior()]})

    def report(t: int, accepted: int, simulations: int) -> None:
        what = "calibration sample" if t < 0 else f"generation {t}"
        log(f"  {what}: {accepted} accepted of {simulations} simulations")

    sampler = _sampler_class()(config.seed, report)
    # epsilon the median of the last generation's distances, and particles perturbed by a
    # multivariate normal kernel (Silverman's bandwidth) on the last one: pyabc's defaults,
    # named, but for the kernel's covariance, times abc.kernel_scaling
    kernel = pyabc.MultivariateNormalTransition(scaling=config.abc.kernel_scaling)
    abc = pyabc.ABCSMC(simulator, prior, distance, population_size=config.abc.population,
                       sampler=sampler, eps=pyabc.MedianEpsilon(), transitions=kernel)
    db = f"sqlite:///{db_file.resolve()}"
    load_start = os.getloadavg()
    if resume:
        try:
            history = abc.load(db, 1)
            done = history.max_t + 1
        except Exception as e:  # sqlalchemy's and pyabc's errors vary
            detail = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
            raise InputError(str(db_file), [("", f"cannot read pyabc's history ({detail}); it "
                                                 "is left as it was")]) from None
        if done > 1:
            differs = _same_fit(old, _config_json(config))
            if differs:
                raise InputError(str(path), [(differs, f"differs from the calibration in {out}, "
                                              f"which has {done} generations; it may change "
                                              "while generation 0 alone is done")])
        if not saved:   # recomputed: as the fit began it (without halves, if before them)
            record = simulator.record = _as_begun(record, history.observed_sum_stat())
            write_json_atomic(out / "record.json", record.to_dict())
        write_json_atomic(out / "config.json", _config_json(config))
    else:
        history = abc.new(db, observed)
        done = 0
    remaining = config.abc.generations - done
    if remaining > 0:
        history = abc.run(minimum_epsilon=config.abc.min_epsilon,
                          max_nr_populations=remaining)
    load_end = os.getloadavg()
    return _write_outputs(config, record, history, simulator, out, command,
                          {"start": load_start, "end": load_end}, log)


def _write_outputs(config: Calibration, record: Record, history, simulator: Simulator,
                   out: Path, command: str, load: dict, log) -> Result:
    from pyabc.weighted_statistics import effective_sample_size

    names = config.names()
    t_last = history.max_t
    frame, w = history.get_distribution(m=0, t=t_last)
    values = np.column_stack([natural(config, p, frame[_key(p.name)].to_numpy(dtype=np.float64))
                              for p in config.parameters]
                             + [np.full(len(frame), v) for v in config.held.values()])
    weights = np.asarray(w, dtype=np.float64)
    pops = history.get_all_populations()
    generations = []
    for _, row in pops[pops.t >= 0].iterrows():
        t = int(row.t)
        _, wt = history.get_distribution(m=0, t=t)
        generations.append({"generation": t, "epsilon": float(row.epsilon),
                            "accepted": int(row.particles), "simulations": int(row.samples),
                            "acceptance_rate": float(row.particles / row.samples),
                            "ess": float(effective_sample_size(np.asarray(wt)))})
    priors = {p.name: list(p.prior()) for p in config.parameters}
    metadata = {
        "command": command, "calibration": _config_json(config), "seed": config.seed,
        "targets": {n: record.targets[n].to_dict() for n in config.targets},
        "data_years": {"episodes": f"to {config.last_year}",
                       "predictors": f"to {config.last_year - 2} (outcomes to "
                                     f"{config.last_year})"},
        "priors": priors, "held": dict(config.held), "generation": t_last,
        "epsilon": generations[-1]["epsilon"],
        "versions": _versions(), "source": CITATION, "note": NOTE}
    write_posterior(out / "posterior.parquet", names, values, weights, metadata)
    log(f"  posterior predictive checks: {config.abc.predictive} simulations")
    predictive = _predictive(config, record, simulator, names, values, weights)
    rows = _predictive_rows(record, predictive, config.targets)
    write_bytes_atomic(out / "predictive.csv", _csv(rows))
    _figure(rows, out / "predictive.png", config)
    per_sim = simulator.seconds / simulator.simulations if simulator.simulations else None
    diagnostics = {
        "generations": generations, "particles": len(weights),
        # pyabc's calibration sample from the prior and the predictive checks included
        "simulations_this_process": simulator.simulations,
        "seconds_per_simulation": per_sim,
        "runs_per_simulation": len(record.rows) * config.sample.runs,
        "months": config.sample.months, "warmup": config.sample.warmup,
        "civilians": config.sample.civilians,
        "workers": simulator.workers,
        "load_average": load, "note": NOTE}
    write_json_atomic(out / "diagnostics.json", diagnostics)
    (out / "README.md").write_text(_readme(config, record, names, values, weights, generations,
                                           rows, diagnostics, command))
    return Result(out, len(generations), generations[-1]["epsilon"], generations[-1]["ess"],
                  sum(g["simulations"] for g in generations), per_sim)


def _predictive(config: Calibration, record: Record, simulator: Simulator, names: list[str],
                values: np.ndarray, weights: np.ndarray) -> list[dict[str, float]]:
    """Simulations of parameter sets drawn by weight (seeded from the calibration's seed)."""
    rng = np.random.default_rng([config.seed, 7_000_003])
    p = weights / weights.sum()
    picks = rng.choice(len(p), size=config.abc.predictive, p=p)
    seeds = rng.integers(0, 2**31 - 1, size=config.abc.predictive)
    return [simulator.simulate(dict(zip(names, values[j], strict=True)), int(s))
            for j, s in zip(picks, seeds, strict=True)]


def _predictive_rows(record: Record, sims: list[dict[str, float]],
                     fitted_targets: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for n in record.simulated():
        t = record.targets[n]
        x = np.array([s[n] for s in sims], dtype=np.float64)
        known = x[~np.isnan(x)]
        lo, hi = (t.country_low, t.country_high) if t.country_low is not None else (t.low,
                                                                                     t.high)
        rows.append({
            "target": n, "fitted": n in fitted_targets, "observed": t.value,
            "observed_low": min(t.low, lo), "observed_high": max(t.high, hi),
            "unit": t.unit, "simulations": len(x), "undefined": int(np.isnan(x).sum()),
            "predicted_median": float(np.median(known)) if len(known) else math.nan,
            "predicted_low": float(np.percentile(known, 2.5)) if len(known) else math.nan,
            "predicted_high": float(np.percentile(known, 97.5)) if len(known) else math.nan,
            "share_inside": (float(np.mean((known >= min(t.low, lo)) & (known <= max(t.high, hi))))
                             if len(known) else math.nan)})
    return rows


def _csv(rows: list[dict[str, Any]]) -> bytes:
    f = io.StringIO(newline="")
    w = csv.writer(f, lineterminator="\n")
    w.writerow(list(rows[0]))
    for r in rows:
        w.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in r.values()])
    return f.getvalue().encode()


def _figure(rows: list[dict[str, Any]], path: Path, config: Calibration) -> None:
    """One panel per target: the record's value and interval, the predictive median and 95 %."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 3.25 * math.ceil(len(rows) / 5)), layout="constrained")
    axes = fig.subplots(math.ceil(len(rows) / 5), 5, squeeze=False).ravel()
    for ax, r in zip(axes, rows, strict=False):
        ax.errorbar([0], [r["observed"]], yerr=[[r["observed"] - r["observed_low"]],
                                                 [r["observed_high"] - r["observed"]]],
                    fmt="s", color="black", capsize=4, label="record (95 %)")
        if not math.isnan(r["predicted_median"]):
            ax.errorbar([1], [r["predicted_median"]],
                        yerr=[[r["predicted_median"] - r["predicted_low"]],
                              [r["predicted_high"] - r["predicted_median"]]],
                        fmt="o", color="tab:red", capsize=4, label="model (95 %)")
        if r["undefined"]:
            ax.text(1, 0.5, f"undefined in\n{r['undefined']} of {r['simulations']}",
                    transform=ax.get_xaxis_transform(), ha="center", fontsize=7,
                    color="tab:red")
        ax.set_xticks([0, 1], ["record", "model"])
        ax.set_xlim(-0.6, 1.6)
        ax.set_title(r["target"] + ("" if r["fitted"] else " (not fitted)"), fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(rows):]:
        ax.set_visible(False)
    fig.suptitle(f"Posterior predictive checks: {config.name} ({rows[0]['simulations']} "
                 f"simulations; record: EWP data, years to {config.last_year})\n{CAVEAT}",
                 fontsize=9)
    fig.savefig(path, dpi=110)


def _fmt(x: float | None, unit: str = "") -> str:
    if x is None or not math.isfinite(x):
        return "undefined"
    if unit == "ratio":
        return f"{x:.2f}"
    return f"{x:.2%}" if "onset" in unit or "share" in unit else f"{x:.4g}"


def _readme(config: Calibration, record: Record, names, values, weights, generations, rows,
            diagnostics, command) -> str:
    simulator_note = f"{diagnostics['workers']} worker(s)"
    lines = [f"# Calibration `{config.name}`", "",
             f"**{NOTE[0].upper() + NOTE[1:]}.** {CAVEAT}", "",
             f"Command: `{command}`", "",
             config.description.strip(), "",
             "## Fitted to", "",
             f"The Early Warning Project record in the calibration years only: episodes up to "
             f"{config.last_year}, predictor rows up to {config.last_year - 2} (their two-year "
             f"outcome ends by {config.last_year}). Later years are out of sample. Source: "
             f"{CITATION}.", "",
             "| target | record | 95 % interval | fitted |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['target']} | {_fmt(r['observed'], r['unit'])} | "
                     f"[{_fmt(r['observed_low'], r['unit'])}, "
                     f"{_fmt(r['observed_high'], r['unit'])}] | {'yes' if r['fitted'] else 'no'} |")
    reasons: dict[str, list[str]] = {}
    for k, v in NOT_SIMULATED.items():
        reasons.setdefault(v, []).append(f"`{k}`")
    lines += ["", "Not simulated: " + "; ".join(f"{', '.join(ks)}: {v}"
                                                for v, ks in reasons.items()) + ".", "",
              f"Simulated by {len(record.rows)} profile rows ({config.sample.rows_per_quintile} "
              f"from each quintile of the risk score"
              + (f", {config.sample.rows_inside} inside an episode" if config.sample.rows_inside
                 else "") + f", seed {config.seed}) × "
              f"{config.sample.runs} runs of {config.sample.months} months"
              + (f" after a {config.sample.warmup}-month warm-up" if config.sample.warmup
                 else "")
              + " at "
              f"{config.sample.civilians:,} simulated civilians per parameter set.", "",
              "## Parameters (prior uniform over the range)", "",
              "| parameter | prior | value source before | posterior mean | 95 % |",
              "|---|---|---|---|---|"]
    for j, p in enumerate(config.parameters):
        f: Fitted = fitted(p.name)
        lo, hi = p.prior()
        s = weighted_summary(values[:, j], weights)
        narrowed = "" if p.range is None else " (narrowed by the file)"
        lines.append(f"| `{p.name}` ({f.unit}) | [{lo:g}, {hi:g}]{narrowed} | {f.value} | "
                     f"{s['mean']:.4g} | [{s['q025']:.4g}, {s['q975']:.4g}] |")
    if config.held:
        lines += ["", "Held, not fitted (a column of one value in the posterior; its "
                  "uncertainty is not carried):", "",
                  "| parameter | held at | value source before |", "|---|---|---|"]
        for name, v in config.held.items():
            f = fitted(name)
            lines.append(f"| `{name}` ({f.unit}) | {v:g} | {f.value} |")
    lines += ["", "## ABC-SMC (pyabc)", "",
              f"Population {config.abc.population}, at most {config.abc.generations} "
              f"generations, minimum epsilon {config.abc.min_epsilon:g}; particles perturbed by "
              "a multivariate normal kernel, Silverman's bandwidth with its covariance times "
              f"{config.abc.kernel_scaling:g}, in the parameters' "
              f"{'units' if config.abc.kernel_space == 'natural' else 'logits'}; distance: the "
              "Euclidean norm of each fitted target's error in widths of its 95 % interval "
              f"(undefined statistics count {config.abc.undefined_distance:g}).", "",
              "| generation | epsilon | accepted | simulations | ESS |", "|---|---|---|---|---|"]
    for g in generations:
        lines.append(f"| {g['generation']} | {g['epsilon']:.4g} | {g['accepted']} | "
                     f"{g['simulations']} | {g['ess']:.1f} |")
    per = diagnostics["seconds_per_simulation"]
    lines += ["", f"Seconds per simulated parameter set (this process, {simulator_note}): "
              f"{per:.2f}; load average {diagnostics['load_average']['start'][0]:.2f} at the "
              "start." if per else "", "",
              "## Posterior predictive checks", "",
              "`predictive.csv`, `predictive.png`: parameter sets drawn by weight, each "
              "simulated like a particle.", "",
              "| target | record | model median | model 95 % | share inside the record's "
              "interval | undefined |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['target']} | {_fmt(r['observed'], r['unit'])} | "
                     f"{_fmt(r['predicted_median'], r['unit'])} | "
                     f"[{_fmt(r['predicted_low'], r['unit'])}, "
                     f"{_fmt(r['predicted_high'], r['unit'])}] | "
                     f"{_fmt(r['share_inside'], 'share')} | {r['undefined']} |")
    lines += ["", "Aggregate results only; no country or profile is named or ranked.", ""]
    return "\n".join(lines)


def format_result(r: Result) -> str:
    per = (f"; {r.seconds_per_simulation:.2f} s per simulated parameter set"
           if r.seconds_per_simulation else "")
    return (f"{r.out}: {r.generations} generations, final epsilon {r.epsilon:.4g}, ESS "
            f"{r.ess:.1f}, {r.simulations} simulations{per}\n"
            f"  posterior: {r.out / 'posterior.parquet'}  diagnostics: "
            f"{r.out / 'diagnostics.json'}  checks: {r.out / 'predictive.png'}\n"
            f"  {NOTE[0].upper() + NOTE[1:]}. {CAVEAT}")

