"""Runs stepped together: R models of one structure, month by month, with the steps that have a
batched form computed for all runs at once (``docs/batched-engine.md``).

Each run keeps its own model, random streams and results: a batched step gives every run the
same bits as its own step would (``tests/test_batch.py`` checks the whole runs, series and
logs, byte for byte), so a run's result does not depend on the batch it ran in. Steps without
a batched form run run by run, in the month's order. So far information, mobilization,
violence, observation and decisions are batched
(:class:`~.submodels.information.InformationBatch`,
:class:`~.submodels.mobilization.MobilizationBatch`, :class:`~.submodels.violence.ViolenceBatch`,
which leaves each run's episodes to its own
:meth:`~.submodels.violence.Violence.update_episodes` where an onset or an end can happen,
:class:`~.submodels.observation.ObservationBatch`, which leaves each run's readings of its
agents to :func:`~.submodels.observation.readings` and also runs month 0,
:class:`~.submodels.decisions.DecisionsBatch`, which moves the international actors' attention
and leaves their own rules to each run); the civilians of the runs are stacked
(:class:`~escalation_sim.population.Crowd`) and each run's arrays are views of them, as is the
state a batched step owns.

Runs read only for their episodes (``series=False``: the forecast's and the calibration's)
skip writing their monthly series after month 0, which nothing in a run reads.

Runs are stepped to their horizon (no early stopping), all with one policy or none: a policy's
deliveries are a step run run by run, and act on the state the batched steps read.
:func:`run_all` groups any runs by :func:`shape` and steps each group together.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from .model import EscalationModel
from .params import PolicyParams, Scenario
from .population import Crowd
from .submodels.decisions import Decisions, DecisionsBatch
from .submodels.information import Information, InformationBatch
from .submodels.mobilization import Mobilization, MobilizationBatch
from .submodels.observation import Observation, ObservationBatch
from .submodels.violence import Violence, ViolenceBatch

BATCHED = {Decisions: DecisionsBatch, Information: InformationBatch,
           Mobilization: MobilizationBatch, Observation: ObservationBatch,
           Violence: ViolenceBatch}
"""The steps computed for all runs at once, and their batched form."""


def shape(scenario: Scenario) -> tuple:
    """What must be equal for runs to be stepped together: civilians, districts, groups,
    armed groups, horizon and the onset window (the perpetrators' windows are stacked)."""
    return (scenario.run.n_civilians, scenario.space.width, scenario.space.height,
            len(scenario.groups), len(scenario.armed_groups), scenario.run.months,
            scenario.outcomes.onset_window)


def stackable(scenarios: Sequence[Scenario]) -> bool:
    """Whether runs of ``scenarios`` can be stepped together (:func:`shape` equal)."""
    return len({shape(s) for s in scenarios}) <= 1


class Together:
    """Models of ``scenarios`` and ``seeds`` (one shape: :func:`stackable`), built and ready to
    be stepped together a month at a time (:meth:`month`); ``batched`` holds the batched form
    of each step that has one, by the step's class. Set ``timings`` to a dict to time each step
    (seconds for all runs, by module name), as :attr:`EscalationModel.timings` does for one.
    ``series=False``: the runs record month 0's row of their series only."""

    def __init__(self, scenarios: Sequence[Scenario], seeds: Sequence[int],
                 policy: PolicyParams | None = None, series: bool = True):
        if not stackable(scenarios):
            raise ValueError("runs stepped together need one shape (civilians, districts, "
                             "groups, armed groups, horizon, onset window)")
        self.models = [EscalationModel(s, seed, policy, start=False)
                       for s, seed in zip(scenarios, seeds, strict=True)]
        self.batched: dict[type, object] = {}
        self.timings: dict[str, float] | None = None
        self.series = series
        self._steps: list = []   # each step of the month: its batched form, or the runs' own
        if not self.models:
            return
        self.crowd = Crowd([m.civilians for m in self.models])
        for k, cls in enumerate(type(m) for m in self.models[0].modules):
            own = [m.modules[k] for m in self.models]
            if cls in BATCHED:
                self.batched[cls] = BATCHED[cls](own, self.crowd)
            self._steps.append(self.batched.get(cls, own))
        self.months = self.models[0].params.run.months
        # month 0 (:meth:`EscalationModel.start`): each module's start in step order, a
        # batched form's own where it has one (the observation's is its step at month 0)
        for k, step in enumerate(self._steps):
            if hasattr(step, "start"):
                step.start()
            else:
                for m in self.models:
                    m.modules[k].start()
        for m in self.models:
            m.record()

    def month(self) -> None:
        """One month of every run: each step batched or run by run, in the month's order."""
        models = self.models
        for m in models:
            # what Mesa's step does before the model's: count the step and move the clock (runs
            # stepped together end at their horizon, where a model refuses to step)
            m.steps += 1
            m.time = float(m.steps)
        for name, step in zip((m.name for m in models[0].modules), self._steps, strict=True):
            start = time.perf_counter() if self.timings is not None else 0.0
            if isinstance(step, list):
                for module in step:
                    module.step()
            else:
                step.step()
            if self.timings is not None:
                self.timings[name] = (self.timings.get(name, 0.0)
                                      + time.perf_counter() - start)
        for m in models:
            m.end_month(self.series)

    def run(self) -> list[EscalationModel]:
        """Step to the horizon; the models, each as :func:`escalation_sim.runner.run_model`
        would have run it alone (no early stop)."""
        while self.models and self.models[0].steps < self.months:
            self.month()
        if self.models:
            self.crowd.check()
            for batch in self.batched.values():
                for owner, name, stacked in batch.views:
                    if getattr(owner, name).base is not stacked:
                        raise RuntimeError(f"{type(owner).__name__}.{name} was rebound, not "
                                           "written in place")
        return self.models


def run_together(scenarios: Sequence[Scenario], seeds: Sequence[int],
                 policy: PolicyParams | None = None, series: bool = True
                 ) -> list[EscalationModel]:
    """Build one model per (scenario, seed) with ``policy``, step them together to the horizon
    and return them (:class:`Together`, ``series`` as there)."""
    return Together(scenarios, seeds, policy, series).run()


def run_all(scenarios: Sequence[Scenario], seeds: Sequence[int],
            policy: PolicyParams | None = None, series: bool = True) -> list[EscalationModel]:
    """The runs of ``scenarios`` and ``seeds`` with ``policy``, in their order, each group of
    one :func:`shape` stepped together (:func:`run_together`, ``series`` as there)."""
    groups: dict[tuple, list[int]] = {}
    for i, s in enumerate(scenarios):
        groups.setdefault(shape(s), []).append(i)
    out: list = [None] * len(scenarios)
    for idx in groups.values():
        for i, m in zip(idx, run_together([scenarios[i] for i in idx], [seeds[i] for i in idx],
                                          policy, series), strict=True):
            out[i] = m
    return out
