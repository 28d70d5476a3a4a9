"""Institutions: the brakes grow with investment and decay without it, can be captured; the
regime reacts to threat; justice reduces impunity with delay (R14 §40, §43–58).

Brake dynamics live in :class:`escalation_sim.agents.Institution`, the regime's in
:class:`escalation_sim.agents.Government`. Impunity follows the strength of the judiciary and of
transitional justice as a first-order lag with time constant ``justice_delay`` months: justice
acts, but late. The module owns impunity; civil society's documentation and interventions
lower it through :meth:`Institutions.reduce_impunity`.
"""

from __future__ import annotations

from ..numeric import clip01
from ..params import BRAKES
from .base import Module


def impunity_target(judiciary: float, transitional_justice: float, p) -> float:
    """The impunity a justice system of given strengths sustains in the long run (weights of
    :class:`escalation_sim.params.InstitutionsParams` ``p``)."""
    return 1.0 - (p.impunity_judiciary * judiciary
                  + p.impunity_transitional_justice * transitional_justice)


def lag(value: float, target: float, delay: float) -> float:
    """One month of a first-order lag with time constant ``delay`` months."""
    return value + (target - value) / delay


def regime_threat(armed_groups, ruling: int, n_civilians: int, scale: float) -> float:
    """Armed strength aimed at the ruling group, relative to the share ``scale`` of the
    population, capped at 1."""
    aimed = sum(a.strength * a.multiplier for a in armed_groups if a.targets[ruling])
    return min(1.0, aimed / (scale * n_civilians))


class Institutions(Module):
    """Step 6: the regime reacts to threat; the brakes grow, decay or are captured; impunity
    follows justice with delay."""

    name = "institutions"
    section = "institutions"
    series = ("impunity", "complicity", "political_will", *(f"brake_{b}" for b in BRAKES))
    reads = ("government and brakes (stepped here)", "armed groups: strength")

    def __init__(self, model):
        super().__init__(model)
        self.impunity = impunity_target(model.brakes["judiciary"].strength,
                                        model.brakes["transitional_justice"].strength, self.p)

    def raise_impunity(self, amount: float) -> None:
        """A past atrocity left unpunished raises impunity by ``amount`` (on [0, 1])."""
        self.impunity = clip01(self.impunity + amount)

    def reduce_impunity(self, amount: float) -> None:
        """Documentation, scrutiny or prosecution lower impunity by ``amount`` (on [0, 1])."""
        self.impunity = clip01(self.impunity - amount)

    def step(self) -> None:
        model = self.model
        gov = model.government
        gov.step(regime_threat(model.armed_groups, gov.ruling, model.civilians.n,
                               model.params.government.threat_scale))
        for brake in model.brake_list:
            brake.step()
        self.impunity = lag(self.impunity,
                            impunity_target(model.brakes["judiciary"].strength,
                                            model.brakes["transitional_justice"].strength,
                                            self.p),
                            self.p.justice_delay)

    def record(self) -> tuple[float, ...]:
        gov = self.model.government
        return (self.impunity, gov.complicity, gov.political_will,
                *(b.strength for b in self.model.brake_list))
