"""International decisions (step 8) and the international actors who take them (R14 §20–27).

The actors are Mesa agents with a budget, attention and a decision rule: the Secretary-General
and special advisers, six UN agencies, a regional organization and the neighbouring states in
it, member states acting bilaterally, the Security Council, local civil-society networks, and
external sponsors. :class:`Decisions` builds them, owns them (``actors``: the deliverers by the
names of ``params.ACTORS``; ``stepping``: every actor in stepping order) and steps them each
month; the delivery step (:mod:`escalation_sim.submodels.delivery`) takes interventions to them.
"""

from __future__ import annotations

import mesa
import numpy as np
from mesa import Model

from ..numeric import larger
from ..stages import Score
from .base import Module
from .observation import Indicator


def perpetrators(model: Model) -> set[int]:
    """Groups on the perpetrating side: the ruling group when the state is complicit (at least
    ``international.perpetrator_complicity``), and the base groups of armed groups that field
    fighters."""
    out = {a.base for a in model.armed_groups if a.strength > 0}
    if model.government.complicity >= model.params.international.perpetrator_complicity:
        out.add(model.government.ruling)
    return out


class InternationalActor(mesa.Agent):
    """An international actor: a budget, attention, and a monthly decision rule.

    * **attention** moves each month a share ``attention_rate`` of the way toward the
      situation's *salience* as the actor sees it — by default the higher of the observed threat
      and atrocity scores, less ``distraction`` (competing crises). A triggered response reaches
      the agenda only once its deliverer's attention is at least ``attention_threshold``.
    * **budget** — what it can spend per year on the interventions it delivers (none: not
      binding); :meth:`pay` funds a month's cost in full or in part (R14 §18, §75).

    Its month (:meth:`step`) is :meth:`attend`, then :meth:`act`. Subclasses add their own
    decision rule as :meth:`act`; one that overrides :meth:`step` (or :meth:`attend`) instead
    works as well, but in runs stepped together it and every actor after it step as their
    run's own rather than attending with the others (:class:`DecisionsBatch`).
    """

    local = False   # a local actor sees the true situation and is not distracted by crises
                    # elsewhere; the others see the observed one

    def __init__(self, model: Model, name: str, key: str = "",
                 budget: float | None = None):
        super().__init__(model)
        self.name = name
        self.key = key
        self.budget = budget
        self.spent = 0.0         # this year
        self.attention = 0.0
        self.short = False       # could not pay a month in full this year (logged once a year)

    def salience(self) -> float:
        obs = self.model.observation   # the higher of the threat and atrocity scores
        return obs.salience if self.local else obs.observed_salience

    def step(self) -> None:
        self.attend()
        self.act()

    def attend(self) -> None:
        """Renew the yearly budget; move attention toward the salience."""
        m = self.model
        ip = m.params.international
        if (m.steps - 1) % 12 == 0:
            self.spent, self.short = 0.0, False
        target = min(1.0, max(0.0, self.salience()
                              - (0.0 if self.local else ip.distraction)))
        self.attention += ip.attention_rate * (target - self.attention)

    def act(self) -> None:
        """The actor's own monthly rule, once its attention has moved (none by default)."""

    def capacity(self) -> float:
        """Share of full strength at which it delivers (1; civil society: its presence)."""
        return 1.0

    def pay(self, cost: float, what: str) -> float:
        """Spend ``cost`` if the year's budget allows; return the share funded (0–1)."""
        if self.budget is None or cost <= 0.0:
            return 1.0
        share = min(1.0, max(0.0, self.budget - self.spent) / cost)
        self.spent += cost * share
        if share < 1.0 and not self.short:
            self.short = True
            self.model.log("resources", f"{self.name}: the year's budget is spent; {what} runs "
                           f"at {share:.0%} of its effort")
        return share


class Secretariat(InternationalActor):
    """The Secretary-General and the special advisers (good offices, early warning; R14 §51–52,
    R16 §28–29): once its attention reaches ``warning_threshold`` it issues a formal early
    warning, once per run, which raises every other actor's attention by ``warning_boost``."""

    def __init__(self, model: Model, p):
        super().__init__(model, "Secretary-General and special advisers", "secretariat",
                         p.budget)
        self.p = p
        self.warned: int | None = None

    def act(self) -> None:
        if self.warned is None and self.attention >= self.p.warning_threshold:
            self.warned = self.model.steps
            self.model.log("warning", "The special advisers issue a formal early warning to the "
                           "Secretary-General and the Security Council")
            for actor in self.model.decisions.stepping:
                if actor is not self:
                    actor.attention = min(1.0, actor.attention + self.p.warning_boost)


class SecurityCouncil(InternationalActor):
    """The Security Council as far as this country is concerned: members, some permanent, some
    backing a party (R16 §15–16, §49). It decides Pillar III drafts put to it."""

    def __init__(self, model: Model, members, budget: float | None = None):
        super().__init__(model, "Security Council", "council", budget)
        self.members = list(members)
        self.index = {g.name: g.index for g in model.groups}

    def vote(self, u: float) -> tuple[bool, str]:
        """Put a draft against the perpetrators to the vote with uniform ``u``: adopted, or
        vetoed by a permanent member backing a perpetrator (with its veto propensity)."""
        side = perpetrators(self.model)
        shields = [mb for mb in self.members
                   if mb.permanent and side & {self.index[g] for g in mb.backs}]
        if shields:
            vetoer = max(shields, key=lambda mb: mb.veto_propensity)
            if u < vetoer.veto_propensity:
                return False, vetoer.name
        return True, ""


class Neighbour(InternationalActor):
    """A neighbouring state (R14 §23): it sees the true situation first-hand, tells the regional
    organization what it sees, and obstructs regional action against a side it backs."""

    local = True

    def __init__(self, model: Model, p):
        super().__init__(model, p.name, "neighbour")
        self.p = p
        self.backs = {g.index for g in model.groups if g.name in p.backs}

    def obstructs(self) -> bool:
        """Whether it backs the side that regional action would be directed against."""
        return bool(self.backs & perpetrators(self.model))


def regional_view(informed, observed: np.ndarray, true: np.ndarray):
    """The regional organization's salience: the higher of the threat and atrocity scores
    (Python's ``max``, elementwise) of a mix of the ``observed`` and, a share ``informed``, the
    ``true`` scores (scores on the last axis; one run, or many with ``informed`` a column)."""
    seen = (1.0 - informed) * observed + informed * true
    return larger(seen[..., Score.THREAT], seen[..., Score.ATROCITY])


class RegionalOrganization(InternationalActor):
    """A regional or sub-regional organization (R14 §24, R16 §59). It sees the situation partly
    through its neighbouring members' eyes and decides by consensus, which a neighbour backing
    the perpetrator may block."""

    def __init__(self, model: Model, p, neighbours: list[Neighbour]):
        super().__init__(model, "Regional organization", "regional", p.budget)
        self.p = p
        self.neighbours = neighbours

    def information(self) -> float:
        """The best first-hand information of a neighbour that does not back the perpetrator
        (one that does has a stake in what the others see)."""
        return max((nb.p.information for nb in self.neighbours if not nb.obstructs()),
                   default=0.0)

    def salience(self) -> float:
        obs = self.model.observation
        return float(regional_view(self.information(), obs.observed_scores, obs.scores))

    def agree(self, u: float) -> tuple[bool, str]:
        """Decide a proposed action with uniform ``u``. Consensus: each neighbour backing the
        perpetrator may block it, in scenario order, with its obstruction probability (so the
        action passes them with probability Π(1 − obstruction)); then the members agree with
        probability ``consensus``. One uniform decides all of it (rescaled at each step)."""
        for nb in self.neighbours:
            if nb.obstructs():
                if u < nb.p.obstruction:
                    return False, nb.name
                u = (u - nb.p.obstruction) / (1.0 - nb.p.obstruction)
        return (True, "") if u < self.p.consensus else (False, "no consensus")


class CivilSociety(InternationalActor):
    """Local civil-society networks (R14 §27, R16 §51), an actor of the outside's side of the
    pipeline: its ``presence`` feeds early warning (the observation submodel reads it), its
    documentation of violations lowers impunity, and a complicit state closes civic space
    (R14 §76), from which it recovers slowly."""

    local = True

    def __init__(self, model: Model, p):
        super().__init__(model, "Civil-society networks", "civil_society", p.budget)
        self.p = p
        self.presence = p.presence

    def capacity(self) -> float:
        return self.presence

    def act(self) -> None:
        m, p = self.model, self.p
        self.presence += (p.recovery * (p.presence - self.presence)
                          - p.suppression * m.government.complicity * self.presence)
        documented = m.observation.history[m.steps, Indicator.VIOLATIONS_RECORD]
        m.institutions.reduce_impunity(p.accountability * self.presence * documented)


def create_actors(model: Model) -> tuple[dict[str, InternationalActor],
                                         list[InternationalActor]]:
    """Build every international actor of the scenario; return the deliverers by actor name
    (``params.ACTORS``) and every actor in the order they step."""
    ip = model.params.international
    ag = ip.agencies
    neighbours = [Neighbour(model, nb) for nb in ip.neighbours]
    actors: dict[str, InternationalActor] = {}
    for key, name in (("human_rights_office", "Human rights office"),
                      ("development", "Development agencies"),
                      ("refugee_agency", "Refugee agency"),
                      ("humanitarian", "Humanitarian agencies"),
                      ("mediation_support", "Mediation support"),
                      ("peace_operations", "Peace operations")):
        actors[key] = InternationalActor(model, name, key, getattr(ag, key).budget)
    if ip.regional.present:
        actors["regional"] = RegionalOrganization(model, ip.regional, neighbours)
    actors["states"] = InternationalActor(model, "Member states", "states", ip.states.budget)
    actors["council"] = SecurityCouncil(model, ip.council, ip.council_budget)
    actors["civil_society"] = CivilSociety(model, ip.civil_society)
    sponsors = [Sponsor(model, sp) for sp in ip.sponsors]
    # the secretariat steps last, so its warning's boost is not diluted the month it is given
    secretariat = Secretariat(model, ip.secretariat)
    return ({**actors, "secretariat": secretariat},
            [*actors.values(), *neighbours, *sponsors, secretariat])


class Sponsor(InternationalActor):
    """An external sponsor arming one armed group (R16 §30); denial of means and sanctions cut
    the flow (``model.delivery.denial``, set by interventions the month before)."""

    def __init__(self, model: Model, p):
        super().__init__(model, p.name, "sponsor")
        self.p = p
        self.group = next(a for a in model.armed_groups if a.name == p.backs)

    def act(self) -> None:
        if self.model.steps >= self.p.start:
            self.group.supply(self.p.arms * (1.0 - self.model.delivery.denial))


class Decisions(Module):
    """Step 8: every international actor takes its monthly decision (sponsors re-supply)."""

    name = "decisions"
    section = "international"
    reads = ("observation: scores, indicators", "government: complicity",
             "armed groups (their supply is reset here)", "delivery: denial")

    def __init__(self, model):
        super().__init__(model)
        self.actors, stepping = create_actors(model)
        self.stepping = stepping
        self.council: SecurityCouncil = self.actors["council"]
        self.civil_society: CivilSociety = self.actors["civil_society"]

    def register(self, actor: InternationalActor) -> None:
        """Add an international actor to those stepped each month (after the others)."""
        self.stepping.append(actor)

    def step(self) -> None:
        for a in self.model.armed_groups:
            a.end_supply()
        for actor in self.stepping:
            actor.step()


def _batchable(actor: InternationalActor) -> bool:
    """Whether ``actor`` attends by the base rule, toward a salience :class:`DecisionsBatch`
    computes (the default, or the regional organization's), and then acts by its ``act``."""
    cls = type(actor)
    return (cls.step is InternationalActor.step and cls.attend is InternationalActor.attend
            and cls.salience in (InternationalActor.salience, RegionalOrganization.salience))


_QUIET = (InternationalActor.act, CivilSociety.act, Sponsor.act)
"""Monthly rules that change nothing a later actor's :meth:`~InternationalActor.attend` reads
or writes: another actor's attention, spending or budget, the saliences, and what the
regional organization's information reads (the armed groups' strength, the regime's
complicity)."""


class DecisionsBatch:
    """:meth:`Decisions.step` of R runs, with the same bits in every run
    (:mod:`escalation_sim.batch`). Every actor that attends by the base rule (:func:`_batchable`)
    moves its attention for all runs at once, in float64 as Python moves it (its ``max`` and
    ``min`` as comparisons, which keep their choice at ties and signed zeros); then each run's
    actors act, and the others step, as their own, in their order. Attending first changes
    nothing as long as no actor's rule reads or writes another's attention before that other
    attends: so only the actors up to the first whose rule is not :data:`_QUIET` (the
    secretariat, whose warning raises the others' attention) or who steps otherwise (a user's
    actor) attend together. The plan is made again if a run's actors change (``register``, or
    any change to ``stepping``). Which actors attend together is decided by their classes'
    methods: an override set on one actor object is not seen."""

    def __init__(self, mods: list[Decisions], crowd=None) -> None:
        self.mods = mods
        self.views: list = []   # it installs no views: attention is written back per actor
        ips = [m.model.params.international for m in mods]
        self.rates = np.array([ip.attention_rate for ip in ips])
        self.distractions = np.array([ip.distraction for ip in ips])
        self._plan()

    def _plan(self) -> None:
        """Each run's actors that attend together, those of them with a rule of their own, and
        the rest (stepped whole, after them)."""
        self.actors = [list(m.stepping) for m in self.mods]
        self.attending, self.acting, self.rest, run = [], [], [], []
        for r, m in enumerate(self.mods):
            acting, rest, after = [], [], False
            for actor in m.stepping:
                if not after and _batchable(actor):
                    self.attending.append(actor)
                    run.append(r)
                    rule = type(actor).act
                    if rule is not InternationalActor.act:
                        acting.append(actor)
                    after = rule not in _QUIET
                else:
                    rest.append(actor)
                    after = True
            self.acting.append(acting)
            self.rest.append(rest)
        self.run = np.array(run, dtype=np.intp)
        self.local = np.array([a.local for a in self.attending], dtype=bool)
        self.regional = [k for k, a in enumerate(self.attending)
                         if type(a).salience is RegionalOrganization.salience]
        self.rate = self.rates[self.run]
        self.distraction = np.where(self.local, 0.0, self.distractions[self.run])

    def step(self) -> None:
        mods = self.mods
        if any(m.stepping != actors for m, actors in zip(mods, self.actors, strict=True)):
            self._plan()
        models = [m.model for m in mods]
        for model in models:
            for a in model.armed_groups:
                a.end_supply()
        if (models[0].steps - 1) % 12 == 0:
            for actor in self.attending:
                actor.spent, actor.short = 0.0, False
        salience = np.where(self.local,
                            np.array([m.observation.salience for m in models])[self.run],
                            np.array([m.observation.observed_salience for m in models])[self.run])
        if self.regional:   # :meth:`RegionalOrganization.salience`, elementwise
            actors = [self.attending[k] for k in self.regional]
            informed = np.array([a.information() for a in actors], dtype=float)[:, None]
            salience[self.regional] = regional_view(
                informed, np.array([a.model.observation.observed_scores for a in actors]),
                np.array([a.model.observation.scores for a in actors]))
        target = salience - self.distraction
        target = np.where(target > 0.0, target, 0.0)    # max(0.0, x)
        target = np.where(target < 1.0, target, 1.0)    # min(1.0, x)
        attention = np.array([a.attention for a in self.attending], dtype=float)
        attention += self.rate * (target - attention)
        for actor, x in zip(self.attending, attention.tolist(), strict=True):
            actor.attention = x
        for acting, rest in zip(self.acting, self.rest, strict=True):
            for actor in acting:
                actor.act()
            for actor in rest:
                actor.step()
