"""Events: the triggers that turn general risk into a specific threat (R14 §9, R16 §28).

Scheduled events (elections and other transitions) fire in their month; coups, economic shocks
and spill-over from neighbours happen at random with monthly hazards. Every event adds *heat*
(a trigger intensity on [0, ∞) that decays geometrically) and may change actors:

* **election** — heat grows with distrust of the electoral body (brake (b), R14 §46–47); a
  distrusted body is also more likely to produce a contested result, which adds grievance to the
  groups out of power.
* **coup** — captures the security sector, cuts political will, raises complicity (R16 §12, §28);
  the lost will and raised complicity fade over ``coup_memory_months`` (the government's);
  with probability ``coup_reform`` (drawn from the month's fourth uniform) the new regime turns
  against the campaign instead: complicity's baseline falls and will is not cut (regime change
  as one way mass killings end).
  The hazard's base and its rise with violence come from the record's coup attempts
  (``escalation-sim record coups``).
* **economic shock** — raises economic stress, which amplifies horizontal inequality (R14 §8).
* **spill-over** — arms and fighters flow to the armed groups (R16 §11).

The stream draws the same four uniforms every month whatever happens, so the draws of later
months never depend on this month's events. The module owns heat, economic stress and the
grievance shocks of contested elections; interventions cool heat through :meth:`Events.cool`.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..numeric import saturate
from ..stages import Score
from .base import Module

KINDS = ("election", "coup", "economic_shock", "spillover")


def election_heat(magnitude: float, trust: float, contested: bool, p) -> float:
    """Heat of an election given the electoral body's strength (capacity × integrity), with the
    coefficients of :class:`escalation_sim.params.EventParams` ``p``."""
    distrust = 1.0 - trust
    return magnitude * (p.election_heat + p.election_distrust * distrust * (
        1.0 if contested else p.election_accepted))


def coup_probability(hazard: float, atrocity_score: float, security_integrity: float,
                     p) -> float:
    """Monthly coup probability: raised by violence, lowered by an accountable security sector
    (coefficients of :class:`escalation_sim.params.EventParams` ``p``)."""
    return min(1.0, hazard * (1.0 + p.coup_violence * atrocity_score)
               * (p.coup_integrity - security_integrity))


class Events(Module):
    """Step 2: decay last month's heat, then fire this month's scheduled and random events."""

    name = "events"
    section = "events"
    series = ("heat",)
    reads = ("brakes: electoral_body, security_sector", "observation: atrocity score",
             "groups: ruling")

    def __init__(self, model):
        super().__init__(model)
        self.heat = 0.0                                     # trigger intensity
        self.stress = 0.0                                   # economic stress
        self.grievance_shock = np.zeros(model.n_groups)     # per group, from contested elections
        self.scheduled: dict[int, list] = defaultdict(list)
        for e in self.p.scheduled:
            self.scheduled[e.month].append(e)

    def cool(self, share: float) -> None:
        """Diplomacy or mediation: heat falls by ``share`` this month."""
        self.heat *= max(0.0, 1.0 - share)

    def fire(self, kind: str, magnitude: float, u_contest: float) -> None:
        """Apply one event to the model and log it."""
        model, p = self.model, self.p
        if kind == "election":
            eb = model.brakes["electoral_body"]
            contested = u_contest < 1.0 - eb.strength
            self.heat += election_heat(magnitude, eb.strength, contested, p)
            if contested:
                out = np.array([not g.ruling for g in model.groups])
                self.grievance_shock[out] += p.election_grievance * magnitude * (1.0 - eb.strength)
            model.log(kind, "Election held; result contested, tension rises" if contested
                      else "Election held; result accepted")
        elif kind == "coup":
            self.heat += magnitude
            model.brakes["security_sector"].capture(p.coup_capture)
            reform = p.coup_reform + p.coup_reform_atrocity * float(
                model.observation.scores[Score.ATROCITY])
            if u_contest < reform:   # a regime that turns against the campaign
                model.government.coup(magnitude, 1.0, -p.coup_complicity)
                model.log(kind, "Coup: the new regime turns against the campaign of violence")
            else:
                model.government.coup(magnitude, p.coup_will, p.coup_complicity)
                model.log(kind, "Coup: the security sector is captured and political will "
                          "collapses")
        elif kind == "economic_shock":
            self.heat += p.shock_heat * magnitude
            self.stress += p.shock_stress * magnitude
            model.log(kind, "Economic shock: inequality between groups bites harder")
        elif kind == "spillover":
            self.heat += p.spillover_heat * magnitude
            for a in model.armed_groups:
                a.arm(p.spillover_arms * magnitude)
            model.log(kind, "Spill-over from a neighbouring conflict: arms and fighters arrive")
        else:  # guarded by the schema; kept for callers outside it
            raise ValueError(f"unknown event kind {kind!r}; kinds are {KINDS}")

    def settlement_probability(self) -> float:
        """Monthly probability of a negotiated settlement: ``settlement_hazard`` × the regime's
        threat × the harm to the groups whose armed groups target the ruling group (the most
        harmed), saturating at ``violence.revenge_half``: both sides hurt (Zartman 1989)."""
        model = self.model
        ruling = model.government.ruling
        bases = [a.base for a in model.armed_groups if a.targets[ruling]]
        if not bases:
            return 0.0
        hurt = float(saturate(model.violence.group_harm()[bases].max(),
                              model.params.violence.revenge_half))
        return self.p.settlement_hazard * model.government.threat * hurt

    def settle(self) -> None:
        """A negotiated settlement: power sharing, the regime's commitment to end its campaign,
        the insurgents stand down and lose their arms and sponsors."""
        model = self.model
        ruling = model.government.ruling
        model.government.settle(self.p.settlement_inclusion)
        groups = np.zeros(model.n_groups, bool)
        for a in model.armed_groups:
            if a.targets[ruling]:
                groups[a.base] = True
                a.disarm(1.0)
                a.cut_support(1.0)
        model.mobilization.stand_down(groups)
        model.log("settlement", "Negotiated settlement: power sharing, the insurgents stand "
                  "down")

    def step(self) -> None:
        model, p = self.model, self.p
        u = model.streams["events"].random(4)
        if p.settlement_hazard > 0 and (model.streams["settlement"].random()
                                        < self.settlement_probability()):
            self.settle()
        self.heat *= p.trigger_decay
        self.stress *= p.trigger_decay
        self.grievance_shock *= p.trigger_decay
        for e in self.scheduled.get(model.steps, ()):
            self.fire(e.kind, e.magnitude, u[3])
        sec = model.brakes["security_sector"]
        if u[0] < coup_probability(p.coup_hazard, model.observation.scores[Score.ATROCITY],
                                   sec.integrity, p):
            self.fire("coup", 1.0, u[3])
        if u[1] < p.shock_hazard:
            self.fire("economic_shock", 1.0, u[3])
        if u[2] < p.spillover_hazard:
            self.fire("spillover", 1.0, u[3])

    def record(self) -> tuple[float, ...]:
        return (self.heat,)
