"""The meso-level actors: a few dozen Mesa agents with behaviour of their own.

Identity groups and their leaders, armed groups, the government and the seven brakes. The
civilians are not agents (see :mod:`escalation_sim.population`); the international actors live in
:mod:`escalation_sim.submodels.decisions`. Each agent's ``step`` is a handful of scalar updates; the
submodels call them in the order the model's docstring gives. An agent is the one writer of its
own attributes: interventions and events change them through its methods (``moderate``,
``restrain``, ``assist``, ``disarm``, ...), never by assignment.
"""

from __future__ import annotations

import math

import mesa
import numpy as np
from mesa import Model

from .numeric import clip01, relax, saturate
from .params import ArmedGroupParams, GroupParams, InstitutionParams, SecuritySectorParams


class IdentityGroup(mesa.Agent):
    """An identity group; its aggregates are refreshed at the start of observation each month."""

    def __init__(self, model: Model, index: int, p: GroupParams, ruling: bool):
        super().__init__(model)
        self.index = index
        self.name = p.name
        self.share = p.share
        self.economic_status = p.economic_status
        self.ruling = ruling
        self.mean_grievance = 0.0
        self.mean_fear = 0.0
        self.mobilized_share = 0.0


class Leader(mesa.Agent):
    """A group's leader: moderate (0) to extremist (1), with or without exclusionary ideology.

    Each month the stance moves towards a target raised by the group's grievance and fear and by
    trigger heat (ethnic outbidding, R14 §9) and lowered by governance more inclusive than at the
    start (R14 §41–42); the leader then emits hate speech against the groups it excludes.
    """

    def __init__(self, model: Model, group: IdentityGroup, p: GroupParams,
                 excludes: np.ndarray):
        super().__init__(model)
        self.group = group
        self.extremism = p.leader_extremism
        self.base_extremism = p.leader_extremism
        self.excludes = excludes  # bool array over groups
        self.exclusionary = bool(excludes.any())
        self.emission = 0.0

    def step(self) -> None:
        m = self.model
        d = m.params.information
        g = self.group
        heat = m.events.heat
        pressure = 0.5 * (g.mean_grievance + g.mean_fear) + heat * (
            1.0 if self.exclusionary else d.heat_pressure_inclusive)
        target = (self.base_extremism + d.outbidding * pressure
                  - d.moderation * (m.government.inclusiveness - m.government.base_inclusiveness))
        self.extremism = relax(self.extremism, clip01(target), d.leader_rate)
        voice = d.propaganda_base + d.propaganda_trigger * heat
        self.emission = clip01(self.extremism * (1.0 if self.exclusionary else d.emission_inclusive)
                               * voice)

    def moderate(self, share: float) -> None:
        """Outside pressure or persuasion: extremism falls by ``share`` (this month)."""
        self.extremism *= max(0.0, 1.0 - share)


class ArmedGroup(mesa.Agent):
    """An armed group or militia recruiting from one identity group and targeting others."""

    def __init__(self, model: Model, p: ArmedGroupParams, base: int,
                 targets: np.ndarray):
        super().__init__(model)
        self.name = p.name
        self.kind = p.kind
        self.base = base
        self.targets = targets  # bool array over groups
        self.recruit_share = p.recruit_share
        self.lethality = p.lethality
        self.external_support = p.external_support
        self.arms = 0.0          # arms inflow from spill-over, decays
        self.sponsored = 0.0     # this month's support from external sponsors
        self.strength = 0.0      # members, in simulated civilians
        self.intent = 0.0

    def step(self) -> None:
        """Decide how hard to hit its targets this month (intent on [0, 1])."""
        m = self.model
        leader = m.leaders[self.base]
        if self.kind == "violent_extremist":
            self.intent = 1.0
        elif self.kind == "state_militia":
            self.intent = max(leader.extremism, m.government.complicity)
        else:  # rebel: fights the state's group in proportion to its leader's extremism
            self.intent = leader.extremism
        # reprisal: its men avenge the killing of their own group, on top of the ideology
        v = m.params.violence
        self.intent = min(1.0, self.intent + v.revenge * float(
            saturate(m.violence.group_harm()[self.base], v.revenge_half)))
        self.arms *= m.params.violence.arms_decay

    def arm(self, amount: float) -> None:
        """Arms and fighters arrive (spill-over): the inflow rises by ``amount``."""
        self.arms += amount

    def disarm(self, share: float) -> None:
        """Arms in the country fall by ``share`` (denial of means, authorized force)."""
        self.arms *= max(0.0, 1.0 - share)

    def cut_support(self, share: float) -> None:
        """Standing external support falls by ``share``."""
        self.external_support *= max(0.0, 1.0 - share)

    def supply(self, amount: float) -> None:
        """A sponsor's support this month (reset by :meth:`end_supply` each month)."""
        self.sponsored += amount

    def end_supply(self) -> None:
        self.sponsored = 0.0

    @property
    def multiplier(self) -> float:
        """Sponsor support and arms inflow multiply the fighting power of its members."""
        return 1.0 + self.external_support + self.arms + self.sponsored


class Government(mesa.Agent):
    """The regime: political will, inclusiveness and complicity (R14 §1, §16, §76; R16 §12).

    Both dispositions are state that moves each month towards a target (``government.*``):

    * **Complicity** approaches ``base_complicity + regime_threat_response · threat · e −
      complicity_pressure · pressure``: armed groups that target the ruling group push a regime
      towards using force against the groups its leader excludes, the more so the more
      extremist the ruling leader (``e``); international pressure pushes back.
    * **Political will** approaches ``base_will + will_pressure · pressure + will_threat ·
      threat · (1 − e) − will_complicity · (complicity − initial complicity)``, clipped to
      [0, 1], at ``will_rate`` a month: will rises with the costs of violence to the regime —
      international pressure (scrutiny, sanctions, prosecution) and, for a moderate ruler, armed
      threat against the ruling group — and falls with the regime's interest in the violence
      (complicity above its initial level). With no pressure, no threat and complicity at its
      start, the target is ``base_will``, the scenario's ``political_will``: the initial state
      is steady.

    * **A coup's legacy** fades: each coup (:meth:`coup`) adds to the coup's share of will lost
      and to the coup's rise of the complicity baseline, and both shrink by ``exp(−1 /
      events.coup_memory_months)`` a month, so a coup ``m`` months ago acts at ``exp(−m /
      coup_memory_months)`` of its first strength — the same rule for a coup during the run
      and one in the country's past (``history.coup_months_ago``). The strength of the last
      coup that raised complicity (``coup_strength``: its magnitude, fading the same way; a
      new coup's regime replaces the last one's) is what the purge reads (``violence.purge``);
      a coup that turns against the campaign, or a settlement, ends it.

    ``pressure`` is what the regime felt at its last step: the sum of what the interventions
    applied in the previous month through :meth:`press` (reset each month by
    :meth:`end_pressure`). The consent rule (:func:`escalation_sim.submodels.delivery.consents`)
    reads the same will and pressure.
    """

    def __init__(self, model: Model, ruling: int, political_will: float,
                 inclusiveness: float, complicity: float):
        super().__init__(model)
        self.ruling = ruling
        self.political_will = political_will
        self.base_will = political_will
        self.inclusiveness = inclusiveness
        self.base_inclusiveness = inclusiveness
        self.complicity = complicity
        self.base_complicity = complicity
        self.initial_complicity = complicity
        self.coup_will_lost = 0.0    # share of base_will a coup took, fading
        self.coup_complicity = 0.0   # rise of the complicity baseline from coups, fading
        self.coup_strength = 0.0     # the last complicit coup's magnitude, fading (the purge)
        self.coup_fade = math.exp(-1.0 / model.params.events.coup_memory_months)  # per month
        self.threat = 0.0
        self.pressure = 0.0          # international pressure felt at the last step
        self.pressure_applied = 0.0  # applied this month by the interventions (transient)

    def step(self, threat: float) -> None:
        """React to this month's ``threat`` (armed strength aimed at the ruling group) and to
        the pressure applied last month."""
        self.threat = threat
        self.pressure = self.pressure_applied
        m = self.model
        p = m.params.government
        extremism = m.leaders[self.ruling].extremism
        target = (self.base_complicity + self.coup_complicity
                  + p.regime_threat_response * self.threat * extremism
                  - p.complicity_pressure * self.pressure)
        self.complicity = relax(self.complicity, clip01(target), p.complicity_rate)
        will = (self.base_will * (1.0 - self.coup_will_lost) + p.will_pressure * self.pressure
                + p.will_threat * self.threat * (1.0 - extremism)
                - p.will_complicity * (self.complicity - self.initial_complicity))
        self.political_will = relax(self.political_will, clip01(will), p.will_rate)
        self.coup_will_lost *= self.coup_fade      # a month passes for every coup's legacy
        self.coup_complicity *= self.coup_fade
        self.coup_strength *= self.coup_fade

    def press(self, amount: float) -> None:
        """Scrutiny, sanctions or prosecution apply ``amount`` of pressure this month."""
        self.pressure_applied += amount

    def end_pressure(self) -> None:
        """Pressure is applied afresh every month by the interventions still active."""
        self.pressure_applied = 0.0

    def restrain(self, share: float) -> None:
        """Complicity falls by ``share`` (this month). No catalogue kind calls it since model
        v2 (pressure acts through :meth:`press`); kept for scripted experiments."""
        self.complicity *= max(0.0, 1.0 - share)

    def include(self, amount: float) -> None:
        """Inclusive-governance assistance: inclusiveness rises by ``amount``."""
        self.inclusiveness = clip01(self.inclusiveness + amount)

    def settle(self, inclusion: float) -> None:
        """A negotiated settlement: power sharing raises inclusiveness by ``inclusion``, and the
        regime commits to end its campaign: what coups added to complicity's baseline is undone
        (complicity itself follows at its own rate)."""
        self.include(inclusion)
        self.coup_complicity = min(self.coup_complicity, 0.0)
        self.coup_strength = 0.0

    def coup(self, magnitude: float, will_kept: float, complicity_rise: float) -> None:
        """A coup: political will and the level it returns to fall to the share ``will_kept``,
        and the baseline of complicity moves by ``complicity_rise × magnitude`` (a fall when
        negative: a regime that turns against the campaign), within [0, 1]; both fade from the
        next month on (the class docstring)."""
        self.political_will *= will_kept
        self.coup_will_lost = 1.0 - (1.0 - self.coup_will_lost) * will_kept
        self.coup_complicity = min(1.0 - self.base_complicity,
                                   max(-self.base_complicity,
                                       self.coup_complicity + complicity_rise * magnitude))
        self.coup_strength = magnitude if complicity_rise > 0 else 0.0


class Institution(mesa.Agent):
    """One of the seven atrocity brakes (R14 §43–58), with capacity and integrity.

    Capacity approaches the level that domestic plus external investment sustains, faster up
    (``growth_rate``) than down (``decay_rate``). Integrity is captured by a complicit government:
    it approaches ``base_integrity * (1 - max(0, complicity - initial complicity))``, so the
    initial state is steady and capture follows a rise in complicity (a coup, a threatened
    regime). ``strength = capacity * integrity`` is what
    the submodels use.
    """

    def __init__(self, model: Model, brake: str, p: InstitutionParams):
        super().__init__(model)
        self.brake = brake
        self.capacity = p.capacity
        self.integrity = p.integrity
        self.base_integrity = p.integrity
        self.investment = p.capacity if p.investment is None else p.investment
        self.external_investment = 0.0  # hook for capacity-building interventions

    @property
    def strength(self) -> float:
        return self.capacity * self.integrity

    def assist(self, amount: float) -> None:
        """Capacity building this month: external investment rises by ``amount``."""
        self.external_investment += amount

    def end_assistance(self) -> None:
        """External investment is set afresh every month by the interventions still active."""
        self.external_investment = 0.0

    def capture(self, share: float) -> None:
        """A coup captures the institution: integrity falls by ``share``."""
        self.integrity *= 1.0 - share

    def step(self) -> None:
        m = self.model
        d = m.params.institutions
        level = clip01(self.investment + self.external_investment)
        rate = d.growth_rate if level > self.capacity else d.decay_rate
        self.capacity = relax(self.capacity, level, rate)
        gov = m.government
        target = self.base_integrity * (1.0 - max(0.0, gov.complicity - gov.initial_complicity))
        self.integrity = relax(self.integrity, target, d.capture_rate)


class SecuritySector(Institution):
    """Brake (a): capacity to use force, and the professionalism and integrity that decide
    whether it protects civilians or perpetrates against them (R14 §44–45, §76)."""

    def __init__(self, model: Model, brake: str, p: SecuritySectorParams):
        super().__init__(model, brake, p)
        self.professionalism = p.professionalism

    def train(self, amount: float) -> None:
        """Security-sector training: professionalism rises by ``amount``."""
        self.professionalism = clip01(self.professionalism + amount)

    @property
    def restraint(self) -> float:
        """Professionalism times integrity: how far force is used lawfully."""
        return self.professionalism * self.integrity

    @property
    def forces(self) -> float:
        """Security forces at full capacity, in people (``forces`` per 1,000 people)."""
        return self.model.params.institutions.security_sector.forces * \
            self.model.params.run.population / 1000.0

    @property
    def protection(self) -> float:
        """Capacity used to protect all civilians, scaled by political will (Pillar I)."""
        return self.capacity * self.restraint * self.model.government.political_will

    @property
    def perpetration(self) -> float:
        """Capacity available to a complicit government to use against civilians."""
        return self.capacity * (1.0 - self.restraint) * self.model.government.complicity
