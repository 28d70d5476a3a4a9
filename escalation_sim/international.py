"""Extension points for international actors and interventions.

The engine steps every registered international actor after observation (step 7 of the model's
recipe) and applies every registered intervention after that (step 8). Actors are Mesa agents in
``model.international_set``; interventions are plain objects with an ``apply(model) -> cost``
method in ``model.interventions``. What an intervention may move is model *state*, never the
frozen scenario: institutions' ``external_investment``, ``model.protection`` (international
protective presence per district), the government's attributes, armed groups' ``arms`` and
``external_support``, and so on. The catalogue of actors and interventions builds on these hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import mesa

if TYPE_CHECKING:
    from .model import EscalationModel


class InternationalActor(mesa.Agent):
    """An international actor: a name, a budget and attention, and a monthly decision rule.

    Subclasses override :meth:`step`; a bare actor decides nothing.
    """

    def __init__(self, model: EscalationModel, name: str, budget: float = 0.0):
        super().__init__(model)
        self.name = name
        self.budget = budget
        self.attention = 0.0

    def step(self) -> None:
        """Decide this month's action from what the actor observes (override)."""


class SecurityCouncil(InternationalActor):
    """The Security Council as far as this country is concerned: members, some permanent, some
    backing a party (R16 §15–16, §49). It decides Pillar III drafts put to it."""

    def __init__(self, model: EscalationModel, members):
        super().__init__(model, "Security Council")
        self.members = list(members)
        self.index = {g.name: g.index for g in model.groups}

    def perpetrators(self) -> set[int]:
        """Groups on the perpetrating side: the ruling group when the state is complicit
        (≥ 0.5), and the base groups of armed groups that field fighters."""
        m = self.model
        out = {a.base for a in m.armed_groups if a.strength > 0}
        if m.government.complicity >= 0.5:
            out.add(m.government.ruling)
        return out

    def vote(self, u: float) -> tuple[bool, str]:
        """Put a draft against the perpetrators to the vote with uniform ``u``: adopted, or
        vetoed by a permanent member backing a perpetrator (with its veto propensity)."""
        side = self.perpetrators()
        shields = [mb for mb in self.members
                   if mb.permanent and side & {self.index[g] for g in mb.backs}]
        if shields:
            vetoer = max(shields, key=lambda mb: mb.veto_propensity)
            if u < vetoer.veto_propensity:
                return False, vetoer.name
        return True, ""


class Sponsor(InternationalActor):
    """An external sponsor arming one armed group (R16 §30); denial of means and sanctions cut
    the flow (``model.denial``, set by interventions the month before)."""

    def __init__(self, model: EscalationModel, p):
        super().__init__(model, p.name)
        self.p = p
        self.group = next(a for a in model.armed_groups if a.name == p.backs)

    def step(self) -> None:
        if self.model.steps >= self.p.start:
            self.group.sponsored += self.p.arms * (1.0 - self.model.denial)


class Intervention(Protocol):
    """Anything that changes model state each month and reports what that cost."""

    name: str

    def apply(self, model: EscalationModel) -> float:
        """Apply this month's effect; return its cost this month (arbitrary currency units)."""
        ...


def decide(model: EscalationModel) -> None:
    """Step 7: every international actor takes its monthly decision (sponsors re-supply)."""
    for a in model.armed_groups:
        a.sponsored = 0.0
    model.international_set.do("step")


def apply_interventions(model: EscalationModel) -> None:
    """Step 8: reset the transient hooks, then every intervention applies its effect; costs are
    summed. Once a policy's budget is spent, its interventions stop (R14 §18, §75)."""
    from .interventions import reset_transient

    reset_transient(model)
    budget = model.policy.budget if model.policy is not None else None
    if budget is not None and model.cost >= budget:
        model.streams["international"].random(len(model.interventions))  # the draws, unused
        if not model.budget_exhausted:
            model.budget_exhausted = True
            model.log("intervention", "budget exhausted: all interventions stop")
        return
    for intervention in model.interventions:
        model.cost += intervention.apply(model)
