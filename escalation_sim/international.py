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


class Intervention(Protocol):
    """Anything that changes model state each month and reports what that cost."""

    name: str

    def apply(self, model: EscalationModel) -> float:
        """Apply this month's effect; return its cost this month (arbitrary currency units)."""
        ...


def decide(model: EscalationModel) -> None:
    """Step 7: every international actor takes its monthly decision."""
    model.international_set.do("step")


def apply_interventions(model: EscalationModel) -> None:
    """Step 8: reset the transient hooks, then every intervention applies its effect; costs are
    summed. Once a policy's budget is spent, its interventions stop (R14 §18, §75)."""
    from .interventions import reset_transient

    reset_transient(model)
    budget = model.policy.budget if model.policy is not None else None
    if budget is not None and model.cost >= budget:
        if not model.budget_exhausted:
            model.budget_exhausted = True
            model.log("intervention", "budget exhausted: all interventions stop")
        return
    for intervention in model.interventions:
        model.cost += intervention.apply(model)
