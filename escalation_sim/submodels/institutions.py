"""Institutions: the brakes grow with investment and decay without it, can be captured; the
regime reacts to threat; justice reduces impunity with delay (R14 §40, §43–58).

Brake dynamics live in :class:`escalation_sim.agents.Institution`, the regime's in
:class:`escalation_sim.agents.Government`. Impunity follows the strength of the judiciary and of
transitional justice as a first-order lag with time constant ``justice_delay`` months: justice
acts, but late.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import EscalationModel


def impunity_target(judiciary: float, transitional_justice: float) -> float:
    """The impunity a justice system of given strengths sustains in the long run."""
    return 1.0 - (0.7 * judiciary + 0.3 * transitional_justice)


def lag(value: float, target: float, delay: float) -> float:
    """One month of a first-order lag with time constant ``delay`` months."""
    return value + (target - value) / delay


def regime_threat(armed_groups, ruling: int, n_civilians: int) -> float:
    """Armed strength aimed at the ruling group, relative to 2 % of the population, capped at 1."""
    aimed = sum(a.strength * a.multiplier for a in armed_groups if a.targets[ruling])
    return min(1.0, aimed / (0.02 * n_civilians))


def step(model: EscalationModel) -> None:
    gov = model.government
    gov.threat = regime_threat(model.armed_groups, gov.ruling, model.civilians.n)
    gov.step()
    model.brake_set.do("step")
    model.impunity = lag(model.impunity,
                         impunity_target(model.brakes["judiciary"].strength,
                                         model.brakes["transitional_justice"].strength),
                         model.params.dynamics.justice_delay)
