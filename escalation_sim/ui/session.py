"""A trainer's run, always fully described by (scenario, seed, injects).

An injected intervention at month ``m`` is an :class:`InterventionSpec` (``start = m``) in the
policy named ``trainer``; an injected event at month ``m`` is an entry of the scenario's
``events.scheduled``. A deployment draws from the ``international`` stream from month 1 whether
active or not, so a deployment added to a running model would not match a run of the same
inputs from the command line. So every inject rebuilds the model from the inputs and replays it
to the current month (a default run of 120 months costs about 0.1 s). The exported scenario
(:meth:`Session.scenario`, with the ``trainer`` policy in its ``policies`` table) reproduces the
run exactly: ``escalation-sim run FILE --seed S --policy trainer``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from pydantic import ValidationError

from ..catalogue import CATALOGUE
from ..model import SERIES, EscalationModel, LogEntry
from ..outcomes import RunOutcome
from ..params import InterventionSpec, Scenario, ScheduledEvent
from ..scenario import explain
from ..stages import Stage
from ..submodels.delivery import Deployment
from ..submodels.events import KINDS as EVENT_KINDS

TRAINER = "trainer"
"""Name of the policy that holds the trainer's injected interventions."""


@dataclass(frozen=True)
class Inject:
    """One trainer action: an intervention or an event, acting from ``month``."""

    month: int
    kind: str
    is_event: bool
    strength: float          # an intervention's intensity, an event's magnitude
    duration: int | None = None

    @property
    def text(self) -> str:
        if self.is_event:
            return f"Trainer injects an event: {self.kind.replace('_', ' ')} " \
                   f"(magnitude {self.strength:g})"
        iv = CATALOGUE[self.kind]
        span = f", for {self.duration} months" if self.duration else ""
        return (f"Trainer decides to deploy {self.kind.replace('_', ' ')} "
                f"(intensity {self.strength:g}{span}; {iv.deliverer}, {iv.paragraph})")


def with_injects(scenario: Scenario, injects: list[Inject]) -> Scenario:
    """``scenario`` plus the injected events (in ``events.scheduled``) and the ``trainer`` policy
    made of the injected interventions (an empty policy when there are none)."""
    data = scenario.model_dump()
    data["events"]["scheduled"] = [
        *data["events"]["scheduled"],
        *(ScheduledEvent(kind=i.kind, month=i.month, magnitude=i.strength).model_dump()
          for i in injects if i.is_event)]
    specs = [InterventionSpec(kind=i.kind, start=i.month, intensity=i.strength,
                              duration=i.duration).model_dump()
             for i in injects if not i.is_event]
    data["policies"] = {**data["policies"], TRAINER: {
        "description": "Interventions injected by the trainer, each from its month",
        "interventions": specs}}
    return Scenario.model_validate(data)


def build(scenario: Scenario, seed: int, injects: list[Inject],
          months: int = 0) -> EscalationModel:
    """The model of (scenario, seed, injects), stepped to ``months``."""
    full = with_injects(scenario, injects)
    return EscalationModel(full, seed, full.policies[TRAINER]).run(months)


class Month(NamedTuple):
    """What the page keeps of one month, per district: simulated civilians killed so far and
    displaced now (by home district), mobilized civilians alive by (district, group),
    international protectors present (people), and the month up to which outside actors have
    reports (:meth:`Session.reported_month`)."""

    killed: np.ndarray
    mobilized: np.ndarray
    displaced: np.ndarray
    protectors: np.ndarray
    reported: int


def district_counts(model: EscalationModel, reported: int = 0) -> Month:
    """This month's :class:`Month` record of ``model``; ``reported``: the month reports reached
    last month (reports never go back: a delay that grows holds them where they were)."""
    civ = model.civilians
    cells = model.n_districts * model.n_groups
    return Month(np.bincount(civ.home[~civ.alive], minlength=model.n_districts),
                 np.bincount(civ.key[civ.mobilized & civ.alive], minlength=cells).reshape(
                     model.n_districts, model.n_groups),
                 np.bincount(civ.home[civ.displaced & civ.alive], minlength=model.n_districts),
                 model.violence.protectors.copy(),
                 max(reported, model.steps - model.observation.delay))


def intervention_facts(kind: str) -> dict[str, str]:
    """What a trainer should know before deploying ``kind``: consent, lag, cost and more."""
    iv = CATALOGUE[kind]
    consent = ("needs a Security Council decision (a veto can block it)" if iv.council else
               "needs the government's consent; a complicit government refuses it"
               if iv.consent and iv.intrusive else
               "needs the government's consent" if iv.consent else "needs no consent")
    return {"what": iv.moves, "who": iv.deliverer, "source": iv.paragraph, "family": iv.family,
            "consent": consent, "lag": f"{iv.lag} months from decision to effect",
            "cost": f"{iv.cost:g} cost units per month at intensity 1", "harm": iv.harm}


class Session:
    """One browser session's run. Every change keeps (scenario, seed, injects) the whole input."""

    def __init__(self, scenario: Scenario, seed: int = 0, injects: list[Inject] | tuple = (),
                 month: int = 0):
        """The run of (``scenario``, ``seed``, ``injects``), stepped to ``month``."""
        self.scenario = scenario
        self.seed = int(seed)
        self.injects: list[Inject] = list(injects)
        self.notice: str | None = None
        self.lock = threading.RLock()   # held while the run changes; readers may take it too
        self.model, self._districts = self._build(self.injects, month)
        self._month = self.model.steps

    def _build(self, injects: list[Inject], month: int) -> tuple[EscalationModel, list]:
        """The model of (scenario, seed, ``injects``) stepped to ``month``, one month at a time,
        with :func:`district_counts` after each month."""
        model = build(self.scenario, self.seed, injects, 0)
        history = [district_counts(model)]
        self._advance(model, history, month)
        return model, history

    @staticmethod
    def _advance(model: EscalationModel, history: list, months: int) -> None:
        for _ in range(min(months, model.params.run.months - model.steps)):
            model.step()
            history.append(district_counts(model, history[-1].reported))

    # ---- state -------------------------------------------------------------------------
    @property
    def month(self) -> int:
        """The last month fully recorded. A page may read the session while a background
        thread steps it: the model's own counter moves at the start of a step, this one only
        once the month's row is written."""
        return self._month

    @property
    def months(self) -> int:
        return self.scenario.run.months

    @property
    def ended(self) -> bool:
        return self.month >= self.months

    def series(self, name: str) -> np.ndarray:
        return self.model.series[: self.month + 1, SERIES.index(name)]

    def latest(self, name: str) -> float:
        return float(self.model.series[self.month, SERIES.index(name)])

    def killed_in(self, month: int) -> np.ndarray:
        """People killed in ``month``, by home district."""
        before = self._districts[month - 1].killed if month > 0 else 0
        return (self._districts[month].killed - before) * self.scenario.people_per_civilian

    def armed_members(self, month: int) -> dict[str, np.ndarray]:
        """Each armed group's members by district at the end of ``month`` (people): its share
        of the district's mobilized civilians of its base group, as the violence submodel
        fields them."""
        mobilized = self._districts[month].mobilized
        names = [g.name for g in self.scenario.groups]
        people = self.scenario.people_per_civilian
        return {a.name: mobilized[:, names.index(a.base_group)] * a.recruit_share * people
                for a in self.scenario.armed_groups}

    @property
    def stage(self) -> Stage:
        return Stage(int(self.latest("stage")))

    def stage_changes(self, name: str = "stage") -> list[tuple[int, int, int]]:
        """(month, from, to) for every month the true stage (or ``observed_stage``) changed."""
        s = self.series(name).astype(int)
        return [(m, int(s[m - 1]), int(s[m])) for m in range(1, len(s)) if s[m] != s[m - 1]]

    # ---- what outside actors see (the room's view) ---------------------------------------
    def reported_month(self, month: int | None = None) -> int:
        """The month up to which outside actors have reports in ``month`` (default: now).

        Reports lag by early warning's delay in that month (the observation module's
        ``max_delay × (1 − s)``, ``s`` the strength of early warning with civil society's
        reports), as the indicators behind the warning level do; they never go back."""
        return self._districts[self.month if month is None else month].reported

    def reported(self, name: str, month: int | None = None) -> float:
        """``deaths`` or ``displaced`` as reported in ``month`` (default: now): the true count
        of :meth:`reported_month`, no later."""
        if name not in ("deaths", "displaced"):
            raise ValueError(f"{name!r} is not reported; only deaths and displaced are")
        return float(self.model.series[self.reported_month(month), SERIES.index(name)])

    def reported_series(self, name: str) -> np.ndarray:
        """:meth:`reported` for every month so far."""
        column = self.model.series[:, SERIES.index(name)]
        return np.array([column[self._districts[m].reported] for m in range(self.month + 1)])

    def reported_districts(self, month: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """People killed so far and displaced, by home district, as reported in ``month``."""
        seen = self._districts[self.reported_month(month)]
        people = self.scenario.people_per_civilian
        return seen.killed * people, seen.displaced * people

    def protectors(self, month: int | None = None) -> np.ndarray:
        """International protectors present by district in ``month`` (people): the outside
        actors' own deployments, known to them without delay."""
        return self._districts[self.month if month is None else month].protectors

    def episodes(self) -> list:
        """The run's mass-killing episodes so far (:class:`~escalation_sim.submodels.violence.
        Episode`: perpetrator, onset month, end month or None)."""
        return [e for e in self.model.violence.episodes if e.onset <= self.month]

    # ---- the model read through one place (the lead adapts these when the model changes) ----
    def outcome(self) -> RunOutcome:
        """The run's outcome record so far (deaths, warning and action months, ...)."""
        return RunOutcome.from_model(self.model)

    def deployments(self) -> list[tuple[Inject, Deployment]]:
        """Each injected intervention with its deployment in the model (the pipeline's state:
        ``status``, ``blocked``, ``stopped``, ``decided``, ``active_from``, ``first_effect``,
        ``funded``), in inject order."""
        injected = [i for i in self.injects if not i.is_event]
        found = [d for d in self.model.delivery.interventions if isinstance(d, Deployment)]
        return list(zip(injected, found, strict=True))

    def people(self) -> float:
        """People one simulated civilian stands for."""
        return float(self.scenario.people_per_civilian)

    def sponsors(self) -> int:
        """Outside sponsors that supply armed groups in this scenario."""
        return len(self.scenario.international.sponsors)

    def log(self) -> list[LogEntry]:
        """The narrative log: the model's own entries (triggers, the pipeline of every
        intervention — warnings acted on, decisions, vetoes, refusals, deployments —, mass
        atrocity), the trainer's injects (listed in the month they were decided, first), and
        entries derived from the recorded series: escalation and de-escalation of the true
        stage, and early warnings (months the observed stage rose or fell, saying whether it
        then matches the true stage)."""
        stage = self.series("stage").astype(int)
        derived = []
        for m, a, b in self.stage_changes():
            label = Stage(b).label
            derived.append(LogEntry(m, "stage", f"Escalation: stage {b} ({label})" if b > a else
                                    f"De-escalation: back to stage {b} ({label})"))
        for m, a, b in self.stage_changes("observed_stage"):
            truth = ("matches the true stage" if b == stage[m] else
                     f"true stage {stage[m]}: a false alarm" if b > stage[m] else
                     f"true stage {stage[m]}: a missed signal")
            derived.append(LogEntry(m, "warning", f"Early warning: the observed stage "
                                    f"{'rises' if b > a else 'falls'} to {b} ({truth})"))
        entries = [*(LogEntry(i.month - 1, "inject", i.text) for i in self.injects),
                   *(e for e in list(self.model.events_log) if e.month <= self.month), *derived]
        return sorted(entries, key=lambda e: (e.month, e.kind != "inject"))

    def full_scenario(self) -> Scenario:
        """The scenario that reproduces this run (with the ``trainer`` policy)."""
        return with_injects(self.scenario, self.injects)

    # ---- actions -----------------------------------------------------------------------
    def reset(self, scenario: Scenario | None = None, seed: int | None = None) -> None:
        """Back to month 0, with no injects (and a new scenario or seed, if given)."""
        self.take(Session(self.scenario if scenario is None else scenario,
                          self.seed if seed is None else seed))

    def take(self, fresh: Session) -> None:
        """Become ``fresh`` (a run built elsewhere, e.g. in a background thread)."""
        with self.lock:
            self.scenario, self.seed, self.injects = fresh.scenario, fresh.seed, fresh.injects
            self.notice, self.model, self._districts = None, fresh.model, fresh._districts
            self._month = fresh.month

    def step(self, months: int = 1) -> None:
        if self.ended:
            raise RuntimeError("the run has ended")
        with self.lock:
            self._advance(self.model, self._districts, months)
            self._month = self.model.steps

    def run_to(self, month: int) -> None:
        """Step to ``month`` (clipped to the horizon); never backwards."""
        month = min(int(month), self.months)
        if month > self.month:
            with self.lock:
                self._advance(self.model, self._districts, month - self.month)
                self._month = self.model.steps

    def inject(self, kind: str, strength: float = 1.0, duration: int | None = None) -> Inject:
        """Inject an intervention (a catalogue kind) or an event (``EVENT_KINDS``), acting from
        next month; rebuild the run from its inputs and replay it to the current month."""
        if self.ended:
            raise RuntimeError("the run has ended; reset or branch to try something else")
        if kind not in CATALOGUE and kind not in EVENT_KINDS:
            raise ValueError(f"unknown inject {kind!r}")
        inject = Inject(self.month + 1, kind, kind in EVENT_KINDS, float(strength),
                        None if kind in EVENT_KINDS else duration)
        try:
            self._replay([*self.injects, inject])
        except ValidationError as e:   # e.g. an intensity out of range: say which and why
            raise ValueError("; ".join(f"{field.rsplit('.', 1)[-1]}: {problem}"
                                       for field, problem in explain(e))) from None
        return inject

    def _replay(self, injects: list[Inject]) -> None:
        month, before = self.month, self.model.series[: self.month + 1].copy()
        model, killed = self._build(injects, month)
        with self.lock:
            self.injects, self.model, self._districts, self._month = (injects, model, killed,
                                                                   model.steps)
        changed = np.flatnonzero(~np.all((model.series[: month + 1] == before)
                                         | (np.isnan(before) & np.isnan(model.series[: month + 1])),
                                         axis=1))
        # each deployment draws from its own sub-stream and an inject starts next month, so the
        # past should never change; if it ever does, say so rather than rewrite it silently
        self.notice = None if changed.size == 0 else (
            f"Replaying the run with this inject changed months {changed[0]}–{month}. The run "
            "shown is the one the exported file reproduces.")

    def branch(self, package: list[tuple[str, float, int | None]],
               cancel: threading.Event | None = None,
               progress: Callable[[float], None] | None = None
               ) -> tuple[Session, Session] | None:
        """Fork at the current month: "as is" (the injects so far) and "with this package"
        (plus the package's interventions from next month), on the same seed, both to the end.
        Both are stepped a month at a time: ``progress`` hears the share done, and a set
        ``cancel`` stops the work between months (the result is then None)."""
        return fork(self.scenario, self.seed, list(self.injects), self.month, package, cancel,
                    progress)

    def copy(self) -> Session:
        """The same run (rebuilt from its inputs) at the same month."""
        return Session(self.scenario, self.seed, self.injects, self.month)


def fork(scenario: Scenario, seed: int, injects: list[Inject], month: int,
         package: list[tuple[str, float, int | None]],
         cancel: threading.Event | None = None,
         progress: Callable[[float], None] | None = None) -> tuple[Session, Session] | None:
    """:meth:`Session.branch` of the run of (``scenario``, ``seed``, ``injects``) at
    ``month``; reads nothing of a live session, so it can run outside its lock."""
    extra = [Inject(month + 1, k, False, float(s), d) for k, s, d in package]
    pair = (Session(scenario, seed, injects), Session(scenario, seed, [*injects, *extra]))
    months = scenario.run.months
    for done in range(months):
        if cancel is not None and cancel.is_set():
            return None
        for s in pair:
            s.step()
        if progress is not None:
            progress((done + 1) / months)
    return pair
