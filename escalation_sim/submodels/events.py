"""Events: the triggers that turn general risk into a specific threat (R14 §9, R16 §28).

Scheduled events (elections and other transitions) fire in their month; coups, economic shocks
and spill-over from neighbours happen at random with monthly hazards. Every event adds *heat*
(a trigger intensity on [0, ∞) that decays geometrically) and may change actors:

* **election** — heat grows with distrust of the electoral body (brake (b), R14 §46–47); a
  distrusted body is also more likely to produce a contested result, which adds grievance to the
  groups out of power.
* **coup** — captures the security sector, cuts political will, raises complicity (R16 §12, §28).
* **economic shock** — raises economic stress, which amplifies horizontal inequality (R14 §8).
* **spill-over** — arms and fighters flow to the armed groups (R16 §11).

The stream draws the same four uniforms every month whatever happens, so the draws of later
months never depend on this month's events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import EscalationModel

KINDS = ("election", "coup", "economic_shock", "spillover")


def election_heat(magnitude: float, trust: float, contested: bool) -> float:
    """Heat of an election given the electoral body's strength (capacity × integrity)."""
    distrust = 1.0 - trust
    return magnitude * (0.2 + 0.8 * distrust * (1.0 if contested else 0.4))


def coup_probability(hazard: float, atrocity_score: float, security_integrity: float) -> float:
    """Monthly coup probability: raised by violence, lowered by an accountable security sector."""
    return min(1.0, hazard * (1.0 + 4.0 * atrocity_score) * (1.5 - security_integrity))


def fire(model: EscalationModel, kind: str, magnitude: float, u_contest: float) -> None:
    """Apply one event to the model and log it."""
    gov = model.government
    if kind == "election":
        eb = model.brakes["electoral_body"]
        contested = u_contest < 1.0 - eb.strength
        model.heat += election_heat(magnitude, eb.strength, contested)
        if contested:
            out = np.array([not g.ruling for g in model.groups])
            model.grievance_shock[out] += 0.3 * magnitude * (1.0 - eb.strength)
        model.log(kind, "Election held; result contested, tension rises" if contested
                  else "Election held; result accepted")
    elif kind == "coup":
        model.heat += magnitude
        sec = model.brakes["security_sector"]
        sec.integrity *= 0.5
        gov.political_will *= 0.6
        gov.base_complicity = min(1.0, gov.base_complicity + 0.3 * magnitude)
        model.log(kind, "Coup: the security sector is captured and political will collapses")
    elif kind == "economic_shock":
        model.heat += 0.3 * magnitude
        model.stress += 0.5 * magnitude
        model.log(kind, "Economic shock: inequality between groups bites harder")
    elif kind == "spillover":
        model.heat += 0.5 * magnitude
        for a in model.armed_groups:
            a.arms += 0.5 * magnitude
        model.log(kind, "Spill-over from a neighbouring conflict: arms and fighters arrive")
    else:  # guarded by the schema; kept for callers outside it
        raise ValueError(f"unknown event kind {kind!r}; kinds are {KINDS}")


def step(model: EscalationModel) -> None:
    """Decay last month's heat, then fire this month's scheduled and random events."""
    p = model.params.events
    u = model.streams["events"].random(4)
    model.heat *= p.trigger_decay
    model.stress *= p.trigger_decay
    model.grievance_shock *= p.trigger_decay
    for e in model.scheduled_events.get(model.steps, ()):
        fire(model, e.kind, e.magnitude, u[3])
    sec = model.brakes["security_sector"]
    if u[0] < coup_probability(p.coup_hazard, model.scores[2], sec.integrity):
        fire(model, "coup", 1.0, u[3])
    if u[1] < p.shock_hazard:
        fire(model, "economic_shock", 1.0, u[3])
    if u[2] < p.spillover_hazard:
        fire(model, "spillover", 1.0, u[3])
