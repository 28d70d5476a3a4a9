"""Planning a sweep: an experiment file made concrete — its points, its runs, their seeds —
and checked before any work starts (scenarios, policies, parameter paths, sizes).

Identity: run ``(point, replication, policy)`` has index
``(point * replications + replication) * len(policies) + policy_index`` and seed
``rng.run_seed(experiment seed, point * replications + replication)`` — the same for every
policy (common random numbers), whatever worker runs it and whenever it completes. An experiment
with no varied parameters therefore has the seeds of ``ensemble --seed S``. With a
``posterior``, replication ``r`` draws its parameter set from the experiment seed and ``r`` only
(:func:`_posterior`): the same set at every point and under every policy, and the set run ``r``
of ``ensemble --seed S --posterior`` draws.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from ..errors import InputError
from ..params import PolicyParams, Scenario
from ..rng import run_seed
from ..scenario import apply_override, explain, read_scenario, resolve, resolve_policy, validate
from .samplers import Design, design_size, sample, toml_value
from .schema import Experiment, Outputs, load_experiment

MAX_RUNS = 1_000_000
"""Largest sweep run without ``--allow-large`` (10^6 runs of the default scenario take about
ten hours on 2 cores at the speed measured in the README)."""
MAX_POINTS = 1_000_000
"""Largest design sampled without ``--allow-large`` (the points are held in memory)."""


@dataclass(frozen=True, slots=True)
class RunSpec:
    """One run, as sent to a worker: identity, seed and the point's parameter values."""

    run: int
    point: int
    replication: int
    policy: str
    seed: int
    values: tuple[tuple[str, Any], ...]
    scenario: str = ""
    drawn: int | None = None
    """With a posterior, the row (0-based) of the parameter set this run drew."""


@dataclass(frozen=True)
class RunConfig:
    """What every run of a sweep shares: base scenario data, policies (by scenario), outputs."""

    bases: dict[str, dict[str, Any]]
    sources: dict[str, str]
    policies: dict[str, dict[str, PolicyParams]]
    outputs: Outputs = field(default_factory=Outputs)
    drawn: dict[int, tuple[str, ...]] | None = None
    """With a posterior: each drawn row's scenario coefficients as ``PATH=VALUE`` overrides."""


def check_size(path: str | Path, exp: Experiment, scenarios: int,
               allow_large: bool = False) -> None:
    """Refuse, before sampling, a design or a sweep larger than :data:`MAX_POINTS` or
    :data:`MAX_RUNS` (unless ``allow_large``), naming the number and the limit."""
    if allow_large:
        return
    points = design_size(exp) * scenarios
    runs = points * exp.replications * len(exp.policies)
    if points > MAX_POINTS:
        field_ = "sampler.samples" if exp.sampler.method != "grid" else "parameters"
        raise InputError(str(path), [(field_, (
            f"{points:,} points to sample, more than the limit of {MAX_POINTS:,}; use fewer "
            "samples or steps, or --allow-large for a sweep this large on purpose"))])
    if runs > MAX_RUNS:
        raise InputError(str(path), [("replications", (
            f"{runs:,} runs ({points:,} points x {exp.replications:,} replications x "
            f"{len(exp.policies)} policies), more than the limit of {MAX_RUNS:,}; use fewer, "
            "or --allow-large for a sweep this large on purpose (on a cluster)"))])


@dataclass
class Plan:
    """An experiment made concrete: its design, shared config and run count."""

    experiment: Experiment
    digest: str
    file: str
    design: Design
    config: RunConfig
    scenarios: list[str]
    skipped: list[str]
    posterior: Any = None
    """The experiment's :class:`~escalation_sim.record.posterior.Posterior`, or None."""
    draws: list[int] = field(default_factory=list)
    """With a posterior, the row each replication draws (the same at every point and policy)."""

    @property
    def total(self) -> int:
        e = self.experiment
        return len(self.design) * e.replications * len(e.policies)

    def runs(self, skip: set[int] = frozenset()) -> Iterator[RunSpec]:
        """Every run not in ``skip``, in run-index order (generated lazily)."""
        e = self.experiment
        reps, npol = e.replications, len(e.policies)
        for point, values in enumerate(self.design.points):
            vals = tuple(values.items())
            scenario = values.get("scenario", self.scenarios[0])
            for rep in range(reps):
                seed = run_seed(e.seed, point * reps + rep)
                drawn = self.draws[rep] if self.draws else None
                for k, policy in enumerate(e.policies):
                    run = (point * reps + rep) * npol + k
                    if run not in skip:
                        yield RunSpec(run, point, rep, policy, seed, vals, scenario, drawn)


def _base(path: str | Path, exp: Experiment, name: str, field: str):
    """Raw data (with the experiment's fixed overrides), file, validated scenario of ``name``."""
    try:
        scenario_path = resolve(name)
        base = read_scenario(scenario_path)
        for assignment in exp.set:
            apply_override(base, assignment)
    except InputError as e:
        raise InputError(str(path), [(field, f"{e.source}: {e.problems[0][1]}")]) from None
    source = str(scenario_path) + (" (with the experiment's set)" if exp.set else "")
    return base, str(scenario_path), validate(base, source)


def plan(path: str | Path, allow_large: bool = False) -> Plan:
    """Load an experiment file, check its scenarios, policies and parameter paths; sample it.

    With ``scenarios = [...]`` the scenario is a factor (column ``scenario``) crossed with the
    sampled points; a listed scenario that does not exist is an error, or, with
    ``missing_scenarios = "skip"``, left out and reported (``Plan.skipped``). A sweep over
    :data:`MAX_RUNS` runs or :data:`MAX_POINTS` points is refused unless ``allow_large``.
    """
    exp, digest = load_experiment(path)
    names = exp.scenarios or [exp.scenario]
    skipped = []
    if exp.scenarios and exp.missing_scenarios == "skip":
        for name in names:
            try:
                resolve(name)
            except InputError:
                skipped.append(name)
        names = [n for n in names if n not in skipped]
        if not names:
            raise InputError(str(path), [("scenarios", f"none of {exp.scenarios} exists")])
    check_size(path, exp, len(names), allow_large)
    bases, sources, policies = {}, {}, {}
    for i, name in enumerate(names):
        field = f"scenarios.{i}" if exp.scenarios else "scenario"
        bases[name], sources[name], scenario = _base(path, exp, name, field)
        policies[name] = {p: resolve_policy(scenario, p, str(path), f"policies.{k}")
                          for k, p in enumerate(exp.policies)}
    design = sample(exp)
    problems = []
    for i, p in enumerate(exp.parameters):
        for name, base in bases.items():
            data = copy.deepcopy(base)
            try:
                apply_override(data, f"{p.path}={toml_value(design.points[0][p.path])}")
            except InputError as e:
                problems.append((f"parameters.{i}.path", f"{name}: {e.problems[0][1]}"))
                continue
            try:
                Scenario.model_validate(data)
            except ValidationError as e:
                for f, problem in explain(e):
                    if problem.startswith("unknown key"):
                        problems.append((f"parameters.{i}.path", f"{name}: {f}: {problem}"))
    if problems:
        raise InputError(str(path), problems)
    if exp.scenarios:   # the scenario as a categorical factor, crossed with the points
        k = len(design)
        design = Design(["scenario", *design.names],
                        np.column_stack([np.repeat(np.arange(len(names)), k),
                                         np.tile(design.x, (len(names), 1))]),
                        [{"scenario": n, **pt} for n in names for pt in design.points],
                        design.problem)
    posterior, draws, drawn = _posterior(path, exp, bases, sources)
    config = RunConfig(bases=bases, sources=sources, policies=policies, outputs=exp.outputs,
                       drawn=drawn)
    return Plan(exp, digest, str(path), design, config, names, skipped, posterior, draws)


def _posterior(path: str | Path, exp: Experiment, bases: dict[str, dict[str, Any]],
               sources: dict[str, str]):
    """``(posterior, the row each replication draws, each drawn row's overrides)`` of an
    experiment with ``posterior``, or ``(None, [], None)``.

    Replication ``r`` draws with :func:`~escalation_sim.record.posterior.draw_seed` of the
    experiment's seed and ``r`` — the draw of ``ensemble --seed S --posterior`` for run ``r`` —
    so every point and policy runs replication ``r`` under the same parameter set (common random
    numbers) on any executor. Refused, naming the field: a posterior of link coefficients only
    (they act on profiles), a varied parameter or a ``set`` the posterior fits (the run would
    take the drawn value, and fixing one parameter of a joint posterior is not that posterior),
    and a drawn set that makes a base scenario invalid."""
    if exp.posterior is None:
        return None, [], None
    from ..record.posterior import (
        NotInstalled,
        clashes,
        draws,
        posterior_option,
        scenario_columns,
        split,
    )

    try:
        posterior = posterior_option(exp.posterior)   # a file, or "shipped" / "none"
    except NotInstalled:
        raise InputError(str(path), [("posterior", "shipped: no fitted posterior is installed "
                                      "with this copy of escalation-sim; name a posterior "
                                      'file, or posterior = "none"')]) from None
    if posterior is None:
        return None, [], None
    fitted = scenario_columns(posterior)
    if not fitted:
        raise InputError(str(path), [("posterior", f"{exp.posterior} fits only profile link "
                                      "coefficients (links.*), which act on profiles "
                                      "(forecast), not on a scenario")])
    problems = []
    for i, p in enumerate(exp.parameters):
        hit = [n for n in fitted if n == p.path or n.startswith(p.path + ".")]
        if hit:
            problems.append((f"parameters.{i}.path", f"{p.path} is set by the posterior "
                             f"{exp.posterior} ({', '.join(hit)}; fitted, or held at one "
                             "value): each run takes its drawn set's value; vary another "
                             "parameter, or drop the posterior"))
    clash = clashes(posterior, exp.set)
    if clash:
        problems.append(("set", f"{', '.join(clash)}: set by the posterior {exp.posterior} "
                         "(fitted, or held at one value; each run takes its drawn set's "
                         "value); drop it from set, or drop the posterior"))
    if problems:
        raise InputError(str(path), problems)
    rows = draws(posterior, exp.seed, exp.replications)
    drawn = {j: tuple(split(posterior.parameters(j))[1]) for j in sorted(set(rows))}
    for j, assignments in drawn.items():
        for name, base in bases.items():
            data = copy.deepcopy(base)
            for assignment in assignments:
                apply_override(data, assignment)
            try:
                validate(data, sources[name])
            except InputError as e:
                raise posterior.error(j, e) from None
    return posterior, rows, drawn
