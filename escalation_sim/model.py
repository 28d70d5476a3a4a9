"""The escalation model: wiring and step order. Behaviour lives in the submodels and agents."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import mesa
import numpy as np
from mesa.agentset import AgentSet
from mesa.discrete_space import OrthogonalMooreGrid

from . import international, population
from .agents import (
    ArmedGroup,
    Government,
    IdentityGroup,
    Institution,
    Leader,
    SecuritySector,
)
from .interventions import AdaptiveRule, Deployment
from .params import BRAKES, PolicyParams, Scenario
from .rng import Streams
from .submodels import civilians, events, information, institutions, observation, violence
from .submodels.civilians import horizontal_inequality, saturate
from .submodels.observation import INDICATORS

SERIES: tuple[str, ...] = (
    "stage", "observed_stage", "risk", "threat", "atrocity",
    "deaths", "killings", "violations", "displaced", "mobilized", "armed",
    "propaganda", "grievance", "fear", "radicalization",
    "heat", "impunity", "complicity", "political_will", "cost",
    *(f"brake_{b}" for b in BRAKES),
    *(f"ind_{i}" for i in INDICATORS),
)
"""Names of the recorded monthly time series (people, not simulated civilians, for counts)."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of the narrative event log."""

    month: int
    kind: str
    text: str


class EscalationModel(mesa.Model):
    """A stylized country sliding, or not, from general risk into atrocity crimes.

    One step is one month. ``step()`` runs, in this order:

    1. **events** — scheduled and random triggers: elections, coups, shocks, spill-over;
    2. **information** — leaders update their stance and emit hate speech; media damp it;
       exposure diffuses over the social network, mostly within groups;
    3. **civilians** — grievance, fear and radicalization update; threshold mobilization;
    4. **violence** — armed groups and the security sector attack or protect; local bodies
       defuse; civilians are killed; violations; displacement and return;
    5. **institutions** — the regime reacts to threat; brakes grow, decay or are captured;
       impunity follows justice with delay;
    6. **observation** — month-end group aggregates; true indicators, true stage; noisy,
       delayed observed stage;
    7. **international decisions** — registered international actors decide;
    8. **interventions** — registered interventions apply their effects and costs;
    9. **recording** — one row of the fixed time series.

    Args:
        scenario: the validated scenario (:class:`escalation_sim.params.Scenario`).
        seed: non-negative integer; with the scenario it fixes every random number.
        policy: the interventions to deploy (:class:`escalation_sim.params.PolicyParams`;
            see :func:`escalation_sim.scenario.resolve_policy` for named ones); none by default.
    """

    def __init__(self, scenario: Scenario, seed: int = 0, policy: PolicyParams | None = None):
        self.streams = Streams(seed)
        super().__init__(rng=self.streams["mesa"])
        self._mesa_step, self.step = self.step, self._step_within_horizon
        self.seed = int(seed)
        self.params = scenario
        s = scenario

        # space: a grid of districts (a Mesa discrete space), and its adjacency as arrays
        self.grid = OrthogonalMooreGrid((s.space.width, s.space.height), torus=False,
                                        random=self.random)
        cells = list(self.grid.all_cells)
        self.district_of_cell = {c.coordinate: i for i, c in enumerate(cells)}
        self.n_districts = len(cells)
        self.neighbours = np.eye(self.n_districts, dtype=bool)
        for i, c in enumerate(cells):
            for nb in c.neighborhood:
                self.neighbours[i, self.district_of_cell[nb.coordinate]] = True
        # reach[i, j]: share of the members based in district j who act in district i; a share
        # `spill` of them spreads evenly over j's neighbours (columns sum to one)
        spill = 0.3
        others = self.neighbours & ~np.eye(self.n_districts, dtype=bool)
        n_others = others.sum(axis=0, keepdims=True)
        self.reach = np.where(n_others > 0, (1.0 - spill) * np.eye(self.n_districts)
                              + spill * others / np.maximum(n_others, 1), np.eye(self.n_districts))

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
        self.armed_groups = [
            ArmedGroup(self, a, index[a.base_group],
                       np.isin(np.arange(self.n_groups), [index[t] for t in a.targets]))
            for a in s.armed_groups]
        a = self.armed_groups   # what does not change during a run
        self._armed_fixed = (np.array([x.base for x in a], int),
                             np.array([x.recruit_share for x in a], float),
                             np.array([x.lethality for x in a], float),
                             np.array([x.targets for x in a], float).reshape(len(a), -1))
        self.leader_set = AgentSet(self.leaders, random=self.random)
        self.brake_set = AgentSet(self.brake_list, random=self.random)
        self.armed_set = AgentSet(self.armed_groups, random=self.random)
        self.international_set = AgentSet([], random=self.random)
        self.denial = 0.0  # share of sponsors' arms flows stopped (denial of means, sanctions)
        self.actors = international.create_actors(self)
        self.council = self.actors["council"]
        self.civil_society = self.actors["civil_society"]
        self.policy = policy
        self.interventions: list[international.Intervention] = [
            Deployment(spec, j) for j, spec in enumerate(policy.interventions if policy else ())]
        if policy is not None and policy.adaptive is not None:
            self.interventions.append(AdaptiveRule(policy.adaptive, len(self.interventions)))

        # civilians
        self.civilians = population.create(s, self.streams["setup"])
        share = np.array([g.share for g in s.groups])
        self.inequality = horizontal_inequality(np.array([g.economic_status for g in s.groups]),
                                                share)

        # aggregate state
        self.heat = 0.0
        self.stress = 0.0
        self.grievance_shock = np.zeros(self.n_groups)
        self.hate = np.zeros(self.n_groups)
        self.impunity = institutions.impunity_target(
            self.brakes["judiciary"].strength, self.brakes["transitional_justice"].strength)
        self.protection = np.zeros(self.n_districts)  # international protective presence
        self.victimization = np.zeros((self.n_districts, self.n_groups))
        # alive civilians per (district, group), kept up to date by the violence submodel
        self.alive_cells = np.bincount(
            self.civilians.key, minlength=self.n_districts * self.n_groups).reshape(
            self.n_districts, self.n_groups).astype(float)
        self.killing_rate = 0.0     # killings per civilian per month, smoothed (weight 1/3)
        self.violation_rate = 0.0   # violations per civilian per month, smoothed (weight 1/3)
        self.killings = 0           # simulated civilians killed this month
        self.violations = 0         # violations this month
        self.deaths = 0             # simulated civilians killed so far
        self.violations_total = 0
        self.cost = 0.0
        self.budget_exhausted = False
        self.mass_atrocity_threshold = max(
            1, int(np.ceil(round(s.outcomes.mass_atrocity_fraction * s.run.n_civilians, 6))))
        self.mass_atrocity_month: int | None = None
        self.events_log: list[LogEntry] = []
        self.scheduled_events: dict[int, list] = defaultdict(list)
        for e in s.events.scheduled:
            self.scheduled_events[e.month].append(e)

        # month 0: grievance at its structural level, stage from the initial state
        civ = self.civilians
        civ.grievance[:] = civ.by_group(np.clip(
            (s.dynamics.w_inequality * self.inequality
             + s.dynamics.w_discrimination * self.discrimination()
             + s.dynamics.w_impunity * self.impunity), 0, 1).astype(np.float32))
        self.indicator_history = np.zeros((s.run.months + 1, len(INDICATORS)))
        self.scores = np.zeros(3)
        self.observed_scores = np.zeros(3)
        self.observed_indicators = np.zeros(len(INDICATORS))
        self.stage = 0
        self.observed_stage = 0
        self.series = np.full((s.run.months + 1, len(SERIES)), np.nan)
        self._series_index = {k: i for i, k in enumerate(SERIES)}
        observation.step(self)
        self.record()

    # ---- the recipe ---------------------------------------------------------------------
    def step(self) -> None:
        """One month, in the order of the class docstring."""
        events.step(self)
        information.step(self)
        civilians.step(self)
        violence.step(self)
        institutions.step(self)
        observation.step(self)
        international.decide(self)
        international.apply_interventions(self)
        self.record()
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

    # ---- state used by several submodels --------------------------------------------------
    def discrimination(self) -> np.ndarray:
        """Political exclusion of each group: groups out of power, by (1 - inclusiveness)."""
        out = np.array([0.0 if g.ruling else 1.0 for g in self.groups])
        return out * (1.0 - self.government.inclusiveness)

    def victimization_index(self) -> np.ndarray:
        """Victimization per (district, group) on [0, 1): half at 0.2 % of the cell per month."""
        return saturate(self.victimization, 2e-3)

    def armed_arrays(self) -> tuple[np.ndarray, ...] | None:
        """Per-armed-group arrays for the violence submodel (None without armed groups)."""
        a = self.armed_groups
        if not a:
            return None
        base, share, lethality, targets = self._armed_fixed
        return (base, share, np.fromiter((x.multiplier for x in a), float, len(a)),
                np.fromiter((x.intent for x in a), float, len(a)), lethality, targets)

    def record_violence(self, kills: np.ndarray, violations: np.ndarray, alive: np.ndarray,
                        expected_kills: float) -> None:
        """Book this month's killings and violations per (district, group).

        The killing rate that the atrocity indicator reads is the *expected* number of killings
        (the sum of the hazards), not the realized count, so that the stage does not depend on
        how many people one simulated civilian stands for; deaths and the mass-atrocity outcome
        count the realized killings."""
        mem = self.params.dynamics.victimization_memory
        harm = (kills + violations / max(self.params.dynamics.violations_per_killing, 1.0))
        self.victimization = mem * self.victimization + (1 - mem) * harm / np.maximum(alive, 1)
        n = self.civilians.n
        self.killings = int(kills.sum())
        self.violations = int(violations.sum())
        self.deaths += self.killings
        self.violations_total += self.violations
        self.killing_rate += (expected_kills / n - self.killing_rate) / 3.0
        self.violation_rate += (self.violations / n - self.violation_rate) / 3.0
        if self.mass_atrocity_month is None and self.deaths >= self.mass_atrocity_threshold:
            self.mass_atrocity_month = self.steps
            self.log("atrocity", "Mass atrocity: deliberate killings of civilians cross the "
                     "threshold")

    def log(self, kind: str, text: str) -> None:
        """Add a line to the narrative event log."""
        self.events_log.append(LogEntry(self.steps, kind, text))

    def record(self) -> None:
        """Write this month's row of the time series."""
        civ = self.civilians
        scale = self.params.people_per_civilian
        n_alive = max(float(self.group_alive.sum()), 1.0)
        grievance, fear, radical, exposure = self.group_totals.sum(axis=1) / n_alive
        row = [
            self.stage, self.observed_stage, *self.scores,
            self.deaths * scale, self.killings * scale, self.violations * scale,
            np.count_nonzero(civ.displaced) * scale, np.count_nonzero(civ.mobilized) / n_alive,
            sum(a.strength for a in self.armed_groups) * scale,
            exposure, grievance, fear, radical,
            self.heat, self.impunity, self.government.complicity,
            self.government.political_will, self.cost,
            *(b.strength for b in self.brake_list),
            *self.indicator_history[self.steps],
        ]
        self.series[self.steps] = row

    def register_actor(self, actor: international.InternationalActor) -> None:
        """Add an international actor to the registry stepped at step 7."""
        self.international_set.add(actor)
