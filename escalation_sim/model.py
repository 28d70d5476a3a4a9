"""The escalation model: wiring and step order. Behaviour lives in the submodels and agents."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from random import Random

import mesa
import numpy as np
from mesa.discrete_space import OrthogonalMooreGrid

from . import population
from .agents import (
    ArmedGroup,
    Government,
    IdentityGroup,
    Institution,
    Leader,
    SecuritySector,
)
from .params import BRAKES, PolicyParams, Scenario
from .rng import Streams
from .situation import situate
from .submodels.base import Module
from .submodels.decisions import Decisions
from .submodels.delivery import Delivery
from .submodels.events import Events
from .submodels.history import History
from .submodels.information import Information
from .submodels.institutions import Institutions
from .submodels.mobilization import Mobilization
from .submodels.observation import INDICATORS, Observation
from .submodels.violence import Violence

STEPS: tuple[type[Module], ...] = (History, Events, Information, Mobilization, Violence,
                                   Institutions, Observation, Decisions, Delivery)
"""The month's recipe: one module per step, in order (printed by :meth:`EscalationModel.plan`)."""

SERIES: tuple[str, ...] = (
    "stage", "observed_stage", "risk", "threat", "atrocity",
    "deaths", "killings", "violations", "displaced", "mobilized", "armed",
    "propaganda", "grievance", "fear", "radicalization",
    "heat", "impunity", "complicity", "political_will", "cost",
    *(f"brake_{b}" for b in BRAKES),
    *(f"ind_{i}" for i in INDICATORS),
)
"""Names of the recorded monthly time series (people, not simulated civilians, for counts), in
the columns' order; each is declared by exactly one module (``Module.series``)."""
assert sorted(SERIES) == sorted(n for m in STEPS for n in m.series), "series and modules differ"


def column(model: EscalationModel, name: str) -> np.ndarray:
    """The recorded series ``name`` (one of :data:`SERIES`), months 0 to the current one."""
    if not model.recorded:
        raise ValueError("this run recorded no series after month 0 (runs stepped together "
                         "with series=False keep their episodes only)")
    return model.series[: model.steps + 1, SERIES.index(name)]


@functools.cache
def district_layout(width: int, height: int) -> tuple[dict[tuple[int, int], int], np.ndarray]:
    """The districts of a ``width`` × ``height`` grid (Mesa's ``OrthogonalMooreGrid``, no torus):
    each cell's district number, in the grid's cell order, and the (districts, districts)
    adjacency, itself included. Computed once per shape and process (every model of a shape
    shares it: the adjacency is read-only)."""
    grid = OrthogonalMooreGrid((width, height), torus=False, random=Random(0))
    cells = list(grid.all_cells)
    district_of_cell = {c.coordinate: i for i, c in enumerate(cells)}
    neighbours = np.eye(len(cells), dtype=bool)
    for i, c in enumerate(cells):
        for nb in c.neighborhood:
            neighbours[i, district_of_cell[nb.coordinate]] = True
    neighbours.flags.writeable = False
    return district_of_cell, neighbours


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of the narrative event log."""

    month: int
    kind: str
    text: str


class EscalationModel(mesa.Model):
    """A stylized country sliding, or not, from general risk into atrocity crimes.

    One step is one month. ``step()`` runs the modules of :data:`STEPS`, in this order (each in
    ``escalation_sim/submodels/``, reachable as ``model.<name>``):

    1. **history** — the country's past, applied at month 0 (a prior episode, an ongoing
       conflict, a recent coup); each month its memory fades;
    2. **events** — scheduled and random triggers: elections, coups, shocks, spill-over;
    3. **information** — leaders update their stance and emit hate speech; media damp it;
       exposure diffuses over the social network, mostly within groups;
    4. **mobilization** — grievance, fear and radicalization update; threshold mobilization;
    5. **violence** — armed groups and the security sector attack or protect; local bodies
       defuse; civilians are killed; violations; displacement and return;
    6. **institutions** — the regime reacts to threat; brakes grow, decay or are captured;
       impunity follows justice with delay;
    7. **observation** — month-end group aggregates; true indicators, true stage; noisy,
       delayed observed stage;
    8. **decisions** — the international actors decide;
    9. **delivery** — the policy's interventions move through the pipeline, apply their effects
       and costs;

    then one row of the fixed time series is recorded. The model builds the space, the meso
    agents (groups, leaders, government, brakes, armed groups) and the civilians, then the
    modules; it owns nothing else but the event log and the series.

    Args:
        scenario: the validated scenario (:class:`escalation_sim.params.Scenario`).
        seed: non-negative integer; with the scenario it fixes every random number.
        policy: the interventions to deploy (:class:`escalation_sim.params.PolicyParams`;
            see :func:`escalation_sim.scenario.resolve_policy` for named ones); none by default.
        start: run month 0 (:meth:`start`) once built; false for runs stepped together, whose
            month 0 :class:`escalation_sim.batch.Together` runs.
    """

    def __init__(self, scenario: Scenario, seed: int = 0, policy: PolicyParams | None = None,
                 start: bool = True):
        self.streams = Streams(seed)
        super().__init__(rng=self.streams["mesa"])
        self._mesa_step, self.step = self.step, self._step_within_horizon
        self.seed = int(seed)
        # the run's own situation around the scenario's values (situation.spread; the same
        # scenario when it is 0)
        self.params = s = situate(scenario, self.streams["situation"])

        # space: a grid of districts (a Mesa discrete space, :attr:`grid`), and its adjacency
        # as arrays (the same for every model of its shape: built once per process)
        layout, self.neighbours = district_layout(s.space.width, s.space.height)
        self.district_of_cell = dict(layout)
        self.n_districts = len(layout)

        # meso actors
        names = [g.name for g in s.groups]
        self.n_groups = len(names)
        index = {n: i for i, n in enumerate(names)}
        ruling = index[s.government.ruling_group]
        self.groups = [IdentityGroup(self, i, g, i == ruling) for i, g in enumerate(s.groups)]
        self.excludes = np.zeros((self.n_groups, self.n_groups))
        for i, g in enumerate(s.groups):
            self.excludes[i, [index[t] for t in g.excludes]] = 1.0
        self.leaders = [Leader(self, grp, p, self.excludes[i] > 0)
                        for i, (grp, p) in enumerate(zip(self.groups, s.groups, strict=True))]
        gp = s.government
        self.government = Government(self, ruling, gp.political_will, gp.inclusiveness,
                                     gp.complicity)
        self.brakes: dict[str, Institution] = {
            b: (SecuritySector if b == "security_sector" else Institution)(
                self, b, getattr(s.institutions, b)) for b in BRAKES}
        self.brake_list = list(self.brakes.values())
        self.armed_groups = [ArmedGroup(self, a, index[a.base_group],
                                        self._group_mask([index[t] for t in a.targets]))
                             for a in s.armed_groups]
        self.civilians = population.create(s, self.streams["setup"])
        self.events_log: list[LogEntry] = []

        # the modules, in step order; then month 0
        self.history = History(self)
        self.events = Events(self)
        self.information = Information(self)
        self.mobilization = Mobilization(self)
        self.violence = Violence(self)
        self.institutions = Institutions(self)
        self.observation = Observation(self)
        self.decisions = Decisions(self)
        self.delivery = Delivery(self, policy)
        self.modules: tuple[Module, ...] = tuple(getattr(self, m.name) for m in STEPS)
        self.timings: dict[str, float] | None = None   # seconds per module, when timed
        self.series = np.full((s.run.months + 1, len(SERIES)), np.nan)
        self.recorded = True   # every month's row so far (false once a month is not recorded)
        # the modules that record, and the columns of their values in that order (one write)
        self._recording = tuple(m for m in self.modules if m.series)
        self._columns = np.array([SERIES.index(n) for m in self._recording for n in m.series],
                                 int)
        if start:
            self.start()

    def start(self) -> None:
        """Month 0, once every module exists: each module's ``start``, in step order, then
        month 0's row of the series."""
        for module in self.modules:
            module.start()
        self.record()

    def _group_mask(self, groups: list[int]) -> np.ndarray:
        """A boolean array over groups, true at ``groups``."""
        mask = np.zeros(self.n_groups, dtype=bool)
        mask[groups] = True
        return mask

    @functools.cached_property
    def grid(self) -> OrthogonalMooreGrid:
        """The districts as a Mesa grid (``space.width`` × ``space.height``, no torus), built when
        first asked for: the model's rules read the adjacency (:attr:`neighbours`) only."""
        return OrthogonalMooreGrid((self.params.space.width, self.params.space.height),
                                   torus=False, random=self.random)

    # ---- the recipe ---------------------------------------------------------------------
    def step(self) -> None:
        """One month: every module of :data:`STEPS` in order, then one row of the series."""
        if self.timings is None:
            for module in self.modules:
                module.step()
        else:
            for module in self.modules:
                start = time.perf_counter()
                module.step()
                self.timings[module.name] = (self.timings.get(module.name, 0.0)
                                             + time.perf_counter() - start)
        self.end_month()

    def end_month(self, record: bool = True) -> None:
        """The month's end, after its last module: record its row (unless ``record`` is false,
        for runs read for their episodes only; nothing in a run reads its series); stop at the
        horizon."""
        if record:
            self.record()
        else:
            self.recorded = False
        self.running = self.steps < self.params.run.months

    def _step_within_horizon(self) -> None:
        """Mesa's step (which counts the step, then calls :meth:`step`), refused at the horizon."""
        if self.steps >= self.params.run.months:
            raise RuntimeError(f"the run has reached its horizon of {self.params.run.months} "
                               "months (run.months)")
        self._mesa_step()

    def run(self, months: int | None = None) -> EscalationModel:
        """Step to the end of the scenario's horizon (or ``months`` more months)."""
        end = self.params.run.months if months is None else min(
            self.steps + months, self.params.run.months)
        while self.steps < end:
            self.step()
        return self

    @staticmethod
    def plan() -> str:
        """The month's recipe as text: each module, its scenario section, what it records and
        what it reads from others."""
        lines = []
        for i, m in enumerate(STEPS, 1):
            lines.append(f"{i}. {m.name}" + (f"  [{m.section}]" if m.section else ""))
            if m.series:
                lines.append(f"   records: {', '.join(m.series)}")
            if m.reads:
                lines.append(f"   reads: {'; '.join(m.reads)}")
        lines.append(f"{len(STEPS) + 1}. record one row of the series")
        return "\n".join(lines)

    def log(self, kind: str, text: str) -> None:
        """Add a line to the narrative event log."""
        self.events_log.append(LogEntry(self.steps, kind, text))

    def record(self) -> None:
        """Write this month's row of the time series, each module's values into its columns."""
        self.series[self.steps, self._columns] = [
            v for module in self._recording for v in module.record()]
