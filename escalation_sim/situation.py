"""The situation a run draws: a scenario stands for a range of situations, not one.

A scenario's values are read from coarse indicators (a profile's from binary codes and expert
ratings), so two countries with the same indicators differ in what the indicators do not show.
With ``situation.spread`` above 0 each run draws its own situation: the government's
complicity, inclusiveness and political will, and each group's leader extremism and economic
status, each moved on the log-odds scale by an independent normal deviate of that standard
deviation (values of exactly 0 or 1 stay). The draws come from the run's own ``situation``
stream, so they depend on the seed only: runs paired across policies draw the same situation,
and no other stream moves. With a spread of 0 nothing is drawn and the scenario is unchanged.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .params import Scenario

GOVERNMENT = ("complicity", "inclusiveness", "political_will")
GROUP = ("leader_extremism", "economic_status")


def moved(values: np.ndarray, z: np.ndarray, spread: float) -> np.ndarray:
    """``values`` on [0, 1] moved by ``spread · z`` on the log-odds scale (0 and 1 stay)."""
    inner = (values > 0) & (values < 1)
    logit = special.logit(np.where(inner, values, 0.5))
    return np.where(inner, special.expit(logit + spread * z), values)


def drawn_fields(scenario: Scenario) -> list[tuple[str, float]]:
    """The fields a run's situation draws, as (name, value) in the order of the draws: the
    government's :data:`GOVERNMENT` (``government.FIELD``), then each group's :data:`GROUP`
    (``groups.NAME.FIELD``)."""
    gov = scenario.government
    return ([(f"government.{f}", getattr(gov, f)) for f in GOVERNMENT]
            + [(f"groups.{g.name}.{f}", getattr(g, f)) for g in scenario.groups for f in GROUP])


def situate(scenario: Scenario, rng: np.random.Generator) -> Scenario:
    """The situation of one run: ``scenario`` itself with a spread of 0, else a copy with the
    fields of :data:`GOVERNMENT` and :data:`GROUP` drawn around its values (module docstring).
    Draws ``len(GOVERNMENT) + len(GROUP) × groups`` normals from ``rng``, in that order."""
    spread = scenario.situation.spread
    if spread == 0:
        return scenario
    gov, groups = scenario.government, scenario.groups
    z = rng.standard_normal(len(GOVERNMENT) + len(GROUP) * len(groups))
    base = np.array([v for _, v in drawn_fields(scenario)], float)
    new = moved(base, z, spread).tolist()
    n, m = len(GOVERNMENT), len(GROUP)
    government = gov.model_copy(update=dict(zip(GOVERNMENT, new[:n], strict=True)))
    drawn = [g.model_copy(update=dict(zip(GROUP, new[n + m * i: n + m * (i + 1)], strict=True)))
             for i, g in enumerate(groups)]
    return scenario.model_copy(update={"government": government, "groups": drawn})
