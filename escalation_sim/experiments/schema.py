"""Experiment files: what a sweep varies, how it samples, which policies it pairs, what it keeps.

An experiment is a TOML file (see ``experiments/*.toml``), validated like a scenario: errors name
the file, the field (dotted path) and the problem, and the command line exits with code 2.

.. code-block:: toml

    name = "quick"
    scenario = "default"               # base scenario: a name or a path (relative to this file)
    set = ["run.months=60"]            # fixed overrides, applied before the varied parameters
    seed = 0                           # the experiment seed
    replications = 5                   # runs per sampled point (and per policy)
    policies = ["none", "early_pillar2"]
    posterior = "fit/posterior.parquet"   # optional: each replication draws a parameter set

    [sampler]
    method = "grid"                    # grid | latin | sobol | morris
    samples = 64                       # latin: points; sobol: base samples N; morris: trajectories

    [[parameters]]
    path = "government.inclusiveness"  # a scenario dotted path, as with --set
    levels = [0.2, 0.5, 0.8]           # or: range = [low, high] (+ steps for a grid)
                                       # or: distribution = "norm", range = [mean, sd]

    [outputs]
    series = "end"                     # none | every | end: the time series to keep
    every = 12                         # with series = "every": every k months (and the last)
    columns = ["stage", "deaths"]      # which series columns (escalation_sim.model.SERIES)
    stop_at_stage = 3                  # stop a run when it reaches this stage (BehaviorSpace's
    stop_on_mass_atrocity = false      #   stop condition), or when mass atrocity happens
    time_limit = 60                    # seconds per run; a run over it is recorded as failed
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..errors import InputError
from ..model import SERIES
from ..scenario import explain, read_toml

DISTRIBUTIONS = {"unif": "uniform on range = [low, high]",
                 "norm": "normal, range = [mean, standard deviation]",
                 "triang": "triangular, range = [low, high, peak as a fraction of the width]",
                 "lognorm": "log-normal, range = [mean, standard deviation] of ln x",
                 "truncnorm": "truncated normal, range = [low, high, mean, standard deviation]"}
"""The distributions SALib's samplers accept (its ``dists`` names)."""


class _Strict(BaseModel):
    """Unknown keys are errors, numbers finite (no inf or nan), values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Parameter(_Strict):
    """One varied scenario field."""

    path: str = Field(description="Scenario dotted path, as with --set (list items by name)")
    levels: list[float | int | bool | str] | None = Field(
        None, description="Explicit levels (grid sampler; other samplers pick among them)")
    range: list[float] | None = Field(
        None, description="[low, high] (or the distribution's parameters, see distribution)")
    steps: int | None = Field(None, ge=2, description="Grid: evenly spaced levels over range")
    distribution: Literal["unif", "norm", "triang", "lognorm", "truncnorm"] = Field(
        "unif", description="Distribution over range for latin/sobol/morris (SALib names)")
    integer: bool = Field(False, description="Round sampled values to integers")

    @field_validator("levels", mode="before")
    @classmethod
    def _finite_levels(cls, levels: object) -> object:
        # checked before the union of level types, which would report one error per type
        bad = [v for v in levels if isinstance(v, float) and not math.isfinite(v)] \
            if isinstance(levels, list) else []
        if bad:
            raise ValueError(f"numbers must be finite, got {bad[0]}")
        return levels

    @model_validator(mode="after")
    def _one_kind(self) -> Parameter:
        if not self.path or any(not p for p in self.path.split(".")):
            raise ValueError(f"path: not a dotted path: {self.path!r}")
        if (self.levels is None) == (self.range is None):
            raise ValueError("give either levels or range")
        if self.levels is not None:
            if len(self.levels) < 1:
                raise ValueError("levels: give at least one level")
            kinds = {bool if isinstance(v, bool) else str if isinstance(v, str) else float
                     for v in self.levels}
            if len(kinds) > 1:
                raise ValueError("levels: all levels must be of one type (numbers, booleans or "
                                 "strings)")
            if kinds == {float} and any(isinstance(v, float) for v in self.levels):
                # one column type per parameter: [0, 0.5] is stored as floats
                object.__setattr__(self, "levels", [float(v) for v in self.levels])
        if self.range is not None:
            need = {"unif": 2, "norm": 2, "lognorm": 2, "triang": 3, "truncnorm": 4}
            n = need[self.distribution]
            if len(self.range) != n:
                raise ValueError(f"range: {self.distribution} needs {n} numbers "
                                 f"({DISTRIBUTIONS[self.distribution]})")
            problem = _distribution_problem(self.distribution, self.range)
            if problem:
                raise ValueError(f"range: {problem} ({DISTRIBUTIONS[self.distribution]})")
        return self

    @property
    def categorical(self) -> bool:
        return self.levels is not None


def _distribution_problem(dist: str, r: list[float]) -> str:
    """What SALib's samplers would refuse (or turn into nan) in a distribution's parameters,
    checked here so that it is one line naming the field rather than a SALib traceback."""
    if dist in ("unif", "triang", "truncnorm") and not r[0] < r[1]:
        return "low must be below high"
    if dist in ("norm", "lognorm", "truncnorm") and not r[-1] > 0:
        return f"the standard deviation must be above 0, got {r[-1]:g}"
    if dist == "triang" and not 0 <= r[2] < 1:
        return f"the peak must be in [0, 1) (a fraction of the width), got {r[2]:g}"
    if dist == "triang" and r[1] < 0:
        return f"SALib needs a triangular range that ends at 0 or above, got {r[1]:g}"
    return ""


class Sampler(_Strict):
    method: Literal["grid", "latin", "sobol", "morris"] = Field(
        "grid", description="grid (full factorial), latin (Latin hypercube), sobol "
                            "(Saltelli's scheme on a scrambled Sobol' sequence, for Sobol "
                            "indices), morris (elementary effects)")
    samples: int = Field(16, ge=1, description="latin: points; sobol: base samples N (points = "
                                               "N(D+2), or N(2D+2) with second_order); morris: "
                                               "trajectories (points = N(D+1))")
    second_order: bool = Field(False, description="sobol: also second-order indices")
    levels: int = Field(4, ge=2, description="morris: grid levels")


class Outputs(_Strict):
    series: Literal["none", "every", "end"] = Field(
        "none", description="Time series kept per run: none, every k months, or the last month")
    every: int = Field(1, ge=1, description="With series = 'every': keep every k-th month "
                                            "(and the last)")
    columns: list[str] = Field(["stage", "deaths", "displaced"],
                               description="Series columns to keep (escalation_sim.model.SERIES)")
    stop_at_stage: int | None = Field(None, ge=1, le=3,
                                      description="Stop a run in the month it reaches this stage")
    stop_on_mass_atrocity: bool = Field(False, description="Stop a run at mass atrocity (the "
                                        "first mass-killing onset)")
    time_limit: float | None = Field(None, gt=0, description="Seconds per run; a run over it is "
                                                            "recorded as failed")

    @model_validator(mode="after")
    def _columns(self) -> Outputs:
        unknown = [c for c in self.columns if c not in SERIES]
        if unknown:
            raise ValueError(f"columns: unknown series {unknown}; series are {list(SERIES)}")
        return self


class Experiment(_Strict):
    """A validated experiment file."""

    name: str = Field(description="Name of the experiment")
    description: str = Field("", description="What the experiment asks")
    scenario: str = Field("default", description="Base scenario: name or path")
    scenarios: list[str] = Field([], description="Several base scenarios, as a factor crossed "
                                                 "with the points (instead of scenario)")
    missing_scenarios: Literal["error", "skip"] = Field(
        "error", description="A listed scenario that does not exist: error, or skip and report")
    set: list[str] = Field([], description="Fixed overrides PATH=VALUE for every run")
    seed: int = Field(0, ge=0, description="Experiment seed")
    replications: int = Field(1, ge=1, description="Runs per sampled point and policy")
    policies: list[str] = Field(["none"], min_length=1,
                                description="Named policies; every run index is paired across "
                                            "them on common random numbers")
    sampler: Sampler = Sampler()
    parameters: list[Parameter] = Field([], description="The varied parameters")
    posterior: str | None = Field(
        None, description="A posterior file (posterior.parquet of `calibrate`; a path relative "
                          "to this file), or 'shipped' (the fitted posterior of calibration/): "
                          "replication r of every point draws one parameter set "
                          "by weight from the experiment's seed and r only, and takes its "
                          "scenario coefficients; none of them may be varied or set here")
    outputs: Outputs = Outputs()

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        if len(set(self.policies)) != len(self.policies):
            raise ValueError("policies: a policy is listed twice")
        paths = [p.path for p in self.parameters]
        if len(set(paths)) != len(paths):
            raise ValueError("parameters: a path is listed twice")
        m = self.sampler.method
        if self.scenarios and "scenario" in self.model_fields_set:
            raise ValueError("scenarios: give scenario or scenarios, not both")
        if len(set(self.scenarios)) != len(self.scenarios):
            raise ValueError("scenarios: a scenario is listed twice")
        if self.scenarios and m in ("sobol", "morris"):
            raise ValueError(f"scenarios: the {m} sampler needs one base scenario")
        if m in ("sobol", "morris") and len(self.parameters) < 2:
            raise ValueError(f"sampler.method: {m} needs at least two parameters")
        for i, p in enumerate(self.parameters):
            if m == "morris" and p.distribution != "unif":
                raise ValueError(f"parameters.{i}.distribution: morris needs uniform ranges")
            if m == "grid" and p.range is not None and (p.steps is None
                                                        or p.distribution != "unif"):
                raise ValueError(f"parameters.{i}.steps: a grid over a range needs steps "
                                 "(and a uniform range)")
        return self


def load_experiment(path: str | Path) -> tuple[Experiment, str]:
    """Read and validate an experiment file; return it with the digest of its text.

    A relative ``scenario`` path is taken relative to the experiment file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), [("", "no such experiment file")])
    data = read_toml(path)
    try:
        exp = Experiment.model_validate(data)
    except ValidationError as e:
        raise InputError(str(path), explain(e, Experiment)) from None
    def local(name: str) -> str:
        if name.endswith(".toml") and not Path(name).is_absolute():
            return str((path.parent / name).resolve())
        return name

    exp = exp.model_copy(update={
        "scenario": local(exp.scenario), "scenarios": [local(n) for n in exp.scenarios],
        "posterior": exp.posterior if exp.posterior in (None, "shipped", "none")
        else str((path.parent / exp.posterior).resolve())})
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return exp, digest
