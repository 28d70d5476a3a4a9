"""The intervention catalogue (Pillar II of R14 §28–69, Pillar III of R16 §45–52): what is
delivered.

An :class:`InterventionKind` class says which paragraph it models, who delivers it, whether it
needs the state's consent (national ownership, R14 §15), whether its effect scales with
political will (mutual commitment, §16), which state variables it moves, and its possible harm
(do no harm, §17). Its numbers — lag to effect, cost per month and every effect coefficient —
are parameters: the kind declares them in its nested ``Params`` section (with :func:`P`, like
every parameter of the schema), the schema gathers them into ``interventions.<kind>``, and
:meth:`InterventionKind.pars` reads the run's values (set by ``--set`` and sweeps like any
other). *When and how* an intervention is delivered —
the pipeline from warning to action — is the delivery step
(:mod:`escalation_sim.submodels.delivery`). An effect never writes another module's state
directly: it calls the owner (``model.events.cool``, ``model.institutions.reduce_impunity``,
``model.violence.protect``, ``model.delivery.deny``, an agent's own method).
"""


from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .declare import P, Section

if TYPE_CHECKING:
    from mesa import Model


def LAG(months: int) -> Any:  # noqa: N802 (a declaration, like P)
    """The ``lag`` parameter of a kind, with its default."""
    return P(months, "Months from the decision to the first month of effect", "months",
             "R16 §28–29 (action comes late)", value="assumption", ge=0, le=60)


def COST(units: float, per: str | None = None) -> Any:  # noqa: N802
    """The ``cost`` parameter of a kind, with its default; ``per``: what it is paid per, for the
    kinds whose cost scales with the number they deploy (e.g. "1,000 troops")."""
    if per is None:
        return P(units, "Cost per month at intensity 1 and stage multiplier 1 "
                 "(international.stage_cost)", "cost units / month", "R14 §18, §75",
                 value="assumption", ge=0, le=1000)
    return P(units, f"Cost per month per {per} deployed, at stage multiplier 1 "
             "(international.stage_cost): the cost scales with the number deployed",
             f"cost units / month / {per}", "R14 §18, §75", value="assumption", ge=0, le=1000)


def DEPLOYED(people: float, who: str, paragraph: str) -> Any:  # noqa: N802
    """The number of people a protection kind deploys at intensity 1."""
    return P(people, f"{who} deployed at intensity 1 (times the strength of the month: "
             "intensity × funded share × the deliverer's capacity, × the will factor if "
             "will-scaled)", "people", paragraph, value="assumption", ge=0, le=200_000)


def SHARE(default: float, description: str, paragraph: str, unit: str = "fraction / month",
          le: float = 1.0) -> Any:  # noqa: N802
    """An effect coefficient of a kind (a share or level per month per unit of strength)."""
    return P(default, description, unit, paragraph, value="assumption", ge=0, le=le)


class KindParams(Section):
    """What every kind's section holds: its lag and cost (defaults set by each kind)."""

    lag: int
    cost: float


class InterventionKind:
    """Base of the catalogue. Subclasses set the class attributes and :meth:`effect`."""

    kind: ClassVar[str]
    paragraph: ClassVar[str]
    deliverer: ClassVar[str]          # who delivers it, in words
    actors: ClassVar[tuple[str, ...]]  # deliverers (params.ACTORS), the default first
    family: ClassVar[str]             # encouragement, capacity building, protection assistance
    consent: ClassVar[bool]           # needs the state's consent (R14 §15)
    intrusive: ClassVar[bool] = False  # scrutiny or foreign presence: a complicit state refuses
    council: ClassVar[bool] = False    # Pillar III: needs a Security Council decision
    will_scaled: ClassVar[bool]       # effect scales with political will (R14 §16)
    Params: ClassVar[type[KindParams]]  # its parameters: lag, cost, effect coefficients
    lag: ClassVar[int]                # the default lag and cost (from Params; a run reads
    cost: ClassVar[float]             # model.params.interventions.<kind>)
    moves: ClassVar[str]              # the state variables it moves, in words; {name} is
                                      # replaced by the default of the parameter ``name``
    harm: ClassVar[str] = "none modelled"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "Params" in cls.__dict__ or "moves" in cls.__dict__:
            defaults = cls.Params()
            cls.lag, cls.cost = defaults.lag, defaults.cost
            if "moves" in cls.__dict__:
                cls.moves = cls.moves.format(**{k: f"{v:g}" for k, v in defaults})

    def scale(self, model: Model) -> float:
        """What the cost is paid per, at intensity 1: 1, or for the kinds that deploy people,
        the number deployed in thousands (their ``cost`` is per 1,000)."""
        return 1.0

    def pars(self, model: Model) -> Any:
        """This kind's parameters in the run's scenario (``interventions.<kind>``)."""
        return getattr(model.params.interventions, self.kind)

    def effect(self, model: Model, s: float) -> None:
        """Apply one month of effect with strength ``s`` (intensity × will factor)."""
        raise NotImplementedError


def protect_worst(model: Model, people: float, against_state: float | None = None) -> None:
    """Rapid reaction: ``people`` protectors split evenly over the share
    ``interventions.worst_share`` of districts with the most victimization (``k = max(1,
    ⌊share · D⌋)`` of the ``D`` districts, re-targeted every month), ``people / k`` each."""
    share = model.params.interventions.worst_share
    k = max(1, int(model.n_districts * share))
    worst = np.argsort(-model.violence.victimization.sum(axis=1), kind="stable")[:k]
    model.violence.protect(people / k, worst, against_state)


def protect_residents(model: Model, people: float, weights: np.ndarray) -> None:
    """``people`` unarmed protection staff spread over the districts in proportion to
    ``weights`` (none deployed where every weight is zero), each counting as
    ``interventions.unarmed_weight`` of an armed protector."""
    total = float(weights.sum())
    if total > 0:
        model.violence.protect(people * model.params.interventions.unarmed_weight
                               * weights / total)


class DeploysPeople(InterventionKind):
    """A kind that deploys a number of people: its cost is per 1,000 of them."""

    who: ClassVar[str] = "troops"

    def scale(self, model: Model) -> float:
        return getattr(self.pars(model), self.who) / 1000.0


# ---- encouragement (R14 §29–38) ------------------------------------------------------------
class NormDissemination(InterventionKind):
    actors = ("development", "civil_society")
    kind, paragraph, deliverer, family = ("norm_dissemination", "R14 §30",
                                          "UN agencies, civil society", "encouragement")
    consent, will_scaled = False, False
    moves = ("every leader's extremism falls by the share {moderation} × strength a month "
             "(against their own drift)")

    class Params(KindParams):
        lag: int = LAG(3)
        cost: float = COST(1.0)
        moderation: float = SHARE(0.01, "Share by which every leader's extremism falls a month "
                                  "per unit of strength", "R14 §30")

    def effect(self, model, s):
        p = self.pars(model)
        for leader in model.leaders:
            leader.moderate(p.moderation * s)


class PeerReview(InterventionKind):
    actors = ("human_rights_office", "regional")
    kind, paragraph, deliverer, family = ("peer_review", "R14 §31–35",
                                          "Human Rights Council, treaty bodies, commissions of "
                                          "inquiry", "encouragement")
    consent, will_scaled = False, False
    moves = ("impunity falls by {impunity} × strength a month; scrutiny puts pressure "
             "{pressure} × strength on the regime (its will rises, its complicity falls)")
    harm = "public naming can harden a complicit regime's leader (not modelled)"

    class Params(KindParams):
        lag: int = LAG(6)
        cost: float = COST(1.0)
        impunity: float = SHARE(0.01, "Fall of impunity a month per unit of strength",
                                "R14 §31–35", "impunity points / month")
        pressure: float = SHARE(0.2, "International pressure of scrutiny on the regime per "
                                "unit of strength (government.will_pressure, "
                                "complicity_pressure)", "R14 §31–35", "pressure", le=10)

    def effect(self, model, s):
        p = self.pars(model)
        model.institutions.reduce_impunity(p.impunity * s)
        model.government.press(p.pressure * s)


class PreventiveDiplomacy(InterventionKind):
    actors = ("secretariat", "regional")
    kind, paragraph, deliverer, family = ("preventive_diplomacy", "R14 §36–38",
                                          "Secretary-General, envoys, regional organization",
                                          "encouragement")
    consent, will_scaled = True, True
    intrusive = True
    moves = ("trigger heat falls by the share {cooling} × strength a month; the ruling leader's "
             "extremism by the share {moderation} × strength a month")

    class Params(KindParams):
        lag: int = LAG(1)
        cost: float = COST(2.0)
        cooling: float = SHARE(0.3, "Share by which trigger heat falls a month per unit of "
                               "strength", "R14 §36–38")
        moderation: float = SHARE(0.01, "Share by which the ruling leader's extremism falls a "
                                  "month per unit of strength", "R14 §36–38")

    def effect(self, model, s):
        p = self.pars(model)
        model.events.cool(p.cooling * s)
        model.leaders[model.government.ruling].moderate(p.moderation * s)


# ---- capacity building (R14 §39–58) --------------------------------------------------------
class InclusiveGovernance(InterventionKind):
    actors = ("development",)
    kind, paragraph, deliverer, family = ("inclusive_governance", "R14 §41–42",
                                          "development agencies, World Bank",
                                          "capacity building")
    consent, will_scaled = True, True
    moves = ("inclusiveness rises by {inclusion} × strength a month; horizontal inequality "
             "falls by the share {equalization} × strength a month")
    harm = "assistance that favours one group deepens divisions (R14 §17; not modelled)"

    class Params(KindParams):
        lag: int = LAG(6)
        cost: float = COST(4.0)
        inclusion: float = SHARE(0.01, "Rise of inclusiveness a month per unit of strength",
                                 "R14 §41–42", "level / month")
        equalization: float = SHARE(0.01, "Share by which horizontal inequality falls a month "
                                    "per unit of strength", "R14 §41–42")

    def effect(self, model, s):
        p = self.pars(model)
        model.government.include(p.inclusion * s)
        model.mobilization.reduce_inequality(p.equalization * s)


class BuildBrake(InterventionKind):
    """Capacity building for one brake: external investment of ``investment`` × strength while
    active."""

    brake: ClassVar[str]
    family, consent, will_scaled = "capacity building", True, True

    class Params(KindParams):
        lag: int = LAG(3)
        cost: float = COST(3.0)
        investment: float = SHARE(0.3, "External investment in the brake while active, per unit "
                                  "of strength: its capacity approaches a level this much "
                                  "higher", "R14 §40, §43", "level")

    def effect(self, model, s):
        model.brakes[self.brake].assist(self.pars(model).investment * s)


def _brake_class(brake: str, letter: str, paragraph: str, deliverer: str,
                 actors: tuple[str, ...]) -> type[BuildBrake]:
    return type(f"Build_{brake}", (BuildBrake,), {
        "kind": f"build_{brake}", "brake": brake, "paragraph": paragraph, "deliverer": deliverer,
        "actors": actors,
        "moves": f"brake ({letter}) {brake}: capacity approaches a level {{investment}} × "
                 "strength higher; falls back at the decay rate after the end"})


class TrainSecuritySector(BuildBrake):
    actors = ("states", "peace_operations")
    kind, brake, paragraph, deliverer = ("build_security_sector", "security_sector",
                                         "R14 §44–45, §76", "bilateral partners, UN peace "
                                         "operations")
    moves = ("security-sector capacity approaches a level {investment} × strength higher; "
             "professionalism rises by {professionalism} × strength × (1 − complicity) a month")
    harm = ("in a complicit or unprofessional state, training adds capacity but little "
            "restraint, so the capacity to kill rises (R14 §44, §76)")

    class Params(BuildBrake.Params):
        professionalism: float = SHARE(0.01, "Rise of professionalism a month per unit of "
                                       "strength, times (1 − complicity)", "R14 §44–45, §76",
                                       "level / month")

    def effect(self, model, s):
        super().effect(model, s)
        model.brakes["security_sector"].train(
            self.pars(model).professionalism * s * (1.0 - model.government.complicity))


# ---- protection assistance (R14 §59–69) ----------------------------------------------------
class DenyMeans(InterventionKind):
    actors = ("states",)
    kind, paragraph, deliverer, family = ("deny_means", "R14 §60",
                                          "states, customs cooperation, Arms Trade Treaty",
                                          "protection assistance")
    consent, will_scaled = False, False
    moves = ("sponsors' arms flows are cut by the share {denial} × strength; arms already in the "
             "country fall by the share {disarmament} × strength a month, standing external "
             "support by {support_cut} × strength")

    class Params(KindParams):
        lag: int = LAG(3)
        cost: float = COST(3.0)
        denial: float = SHARE(0.5, "Share of sponsors' arms flows stopped per unit of strength "
                              "(at most 1)", "R14 §60; R16 §30", "fraction")
        disarmament: float = SHARE(0.1, "Share by which armed groups' arms fall a month per unit "
                                   "of strength", "R14 §60")
        support_cut: float = SHARE(0.1, "Share by which armed groups' standing external support "
                                   "falls a month per unit of strength", "R14 §60; R16 §30")

    def effect(self, model, s):
        p = self.pars(model)
        model.delivery.deny(p.denial * s)
        for a in model.armed_groups:
            a.disarm(p.disarmament * s)
            a.cut_support(p.support_cut * s)


class MediationSupport(InterventionKind):
    actors = ("mediation_support", "regional")
    kind, paragraph, deliverer, family = ("mediation_support", "R14 §61(a)",
                                          "mediation support unit, regional organization",
                                          "protection assistance")
    consent, will_scaled = True, True
    intrusive = True
    moves = ("external investment in local peace bodies (+{investment} × strength); heat falls "
             "by the share {cooling} × strength a month")

    class Params(KindParams):
        lag: int = LAG(2)
        cost: float = COST(2.0)
        investment: float = SHARE(0.3, "External investment in local peace bodies per unit of "
                                  "strength", "R14 §53–54, §61(a)", "level")
        cooling: float = SHARE(0.1, "Share by which trigger heat falls a month per unit of "
                               "strength", "R14 §61(a)")

    def effect(self, model, s):
        p = self.pars(model)
        model.brakes["local_peace"].assist(p.investment * s)
        model.events.cool(p.cooling * s)


class HumanRightsMonitoring(InterventionKind):
    actors = ("human_rights_office", "regional", "civil_society")
    kind, paragraph, deliverer, family = ("human_rights_monitoring", "R14 §61(b)",
                                          "human rights office", "protection assistance")
    consent, will_scaled = True, False
    intrusive = True
    moves = ("early warning gains external investment (+{investment} × strength); "
             "documentation lowers impunity by {impunity} × strength a month; scrutiny puts "
             "pressure {pressure} × strength on the regime. Monitors are unarmed observers: "
             "they deter no killing directly")

    class Params(KindParams):
        lag: int = LAG(2)
        cost: float = COST(2.0)
        investment: float = SHARE(0.3, "External investment in early warning per unit of "
                                  "strength", "R14 §51–52, §61(b)", "level")
        impunity: float = SHARE(0.01, "Fall of impunity a month per unit of strength",
                                "R14 §61(b)", "impunity points / month")
        pressure: float = SHARE(0.2, "International pressure of scrutiny on the regime per "
                                "unit of strength", "R14 §61(b)", "pressure", le=10)

    def effect(self, model, s):
        p = self.pars(model)
        model.brakes["early_warning"].assist(p.investment * s)
        model.institutions.reduce_impunity(p.impunity * s)
        model.government.press(p.pressure * s)


class PoliceSupport(DeploysPeople):
    actors = ("peace_operations", "states")
    kind, paragraph, deliverer, family = ("police_support", "R14 §61(c)",
                                          "UN police, bilateral partners", "protection assistance")
    consent, will_scaled = True, True
    intrusive = True
    who = "officers"
    moves = ("{officers} police officers × strength protect the most victimized districts "
             "(as peacekeeping); the judiciary gains external investment (+{investment} × "
             "strength); impunity falls by {impunity} × strength a month")

    class Params(KindParams):
        lag: int = LAG(4)
        cost: float = COST(6.0, "1,000 officers")
        officers: float = DEPLOYED(500.0, "Police officers", "R14 §61(c); Hultman, Kathman & "
                                   "Shannon 2013 (UN police reduce civilian killings)")
        investment: float = SHARE(0.3, "External investment in the judiciary per unit of "
                                  "strength", "R14 §48–50, §61(c)", "level")
        impunity: float = SHARE(0.01, "Fall of impunity a month per unit of strength",
                                "R14 §61(c)", "impunity points / month")

    def effect(self, model, s):
        p = self.pars(model)
        protect_worst(model, p.officers * s)
        model.brakes["judiciary"].assist(p.investment * s)
        model.institutions.reduce_impunity(p.impunity * s)


class RefugeeProtection(DeploysPeople):
    actors = ("refugee_agency",)
    kind, paragraph, deliverer, family = ("refugee_protection", "R14 §61(d)",
                                          "refugee agency", "protection assistance")
    consent, will_scaled = False, False
    who = "staff"
    moves = ("{staff} unarmed protection staff × strength, spread over the districts in "
             "proportion to the displaced people there, each worth "
             "`interventions.unarmed_weight` of an armed protector")

    class Params(KindParams):
        lag: int = LAG(1)
        cost: float = COST(4.0, "1,000 staff")
        staff: float = DEPLOYED(500.0, "Unarmed refugee-protection staff", "R14 §61(d), §64")

    def effect(self, model, s):
        civ = model.civilians
        displaced = np.bincount(civ.district[civ.displaced], minlength=model.n_districts)
        protect_residents(model, self.pars(model).staff * s, displaced.astype(float))


class HumanitarianProtection(DeploysPeople):
    actors = ("humanitarian",)
    kind, paragraph, deliverer, family = ("humanitarian_protection", "R14 §61(e)",
                                          "humanitarian agencies", "protection assistance")
    consent, will_scaled = False, False
    who = "staff"
    moves = ("{staff} unarmed protection staff × strength, spread over the districts with the "
             "residents, each worth `interventions.unarmed_weight` of an armed protector")

    class Params(KindParams):
        lag: int = LAG(1)
        cost: float = COST(4.0, "1,000 staff")
        staff: float = DEPLOYED(500.0, "Unarmed humanitarian protection staff", "R14 §61(e)")

    def effect(self, model, s):
        protect_residents(model, self.pars(model).staff * s,
                          model.violence.alive_cells.sum(axis=1))


class Peacekeeping(DeploysPeople):
    actors = ("peace_operations", "regional")
    kind, paragraph, deliverer, family = ("peacekeeping", "R14 §67–69",
                                          "UN peace operations, regional organization",
                                          "protection assistance")
    consent, will_scaled = True, False
    intrusive = True
    moves = ("{troops} troops × strength protect the most victimized districts first (rapid "
             "reaction): split evenly over the share `interventions.worst_share` of districts "
             "with the most victimization (a quarter by default), re-targeted monthly; they "
             "deter the state's forces with the weight `violence.state_efficacy` only")

    class Params(KindParams):
        lag: int = LAG(6)
        cost: float = COST(10.0, "1,000 troops")
        troops: float = DEPLOYED(2000.0, "Peacekeeping troops", "R14 §67–69; Hultman, Kathman "
                                 "& Shannon 2013 (more UN troops, fewer civilian killings)")

    def effect(self, model, s):
        protect_worst(model, self.pars(model).troops * s)


# ---- Security Council response, Pillar III (R16 §45–52) -----------------------------------
class Sanctions(InterventionKind):
    actors = ("council",)
    kind, paragraph, deliverer, family = ("sanctions", "R16 §45–52, §30", "Security Council",
                                          "Security Council response")
    consent, will_scaled, council = False, False, True
    moves = ("sponsors' arms flows are cut by the share {denial} × strength; the regime feels "
             "pressure {pressure} × strength (its will rises, its complicity falls)")
    harm = "broad sanctions hurt civilians (not modelled)"

    class Params(KindParams):
        lag: int = LAG(2)
        cost: float = COST(3.0)
        denial: float = SHARE(0.6, "Share of sponsors' arms flows stopped per unit of strength "
                              "(at most 1)", "R16 §30, §45–52", "fraction")
        pressure: float = SHARE(0.5, "International pressure of sanctions on the regime per "
                                "unit of strength", "R16 §45–52", "pressure", le=10)

    def effect(self, model, s):
        p = self.pars(model)
        model.delivery.deny(p.denial * s)
        model.government.press(p.pressure * s)


class CourtReferral(InterventionKind):
    actors = ("council",)
    kind, paragraph, deliverer, family = ("court_referral", "R16 §47", "Security Council, "
                                          "International Criminal Court",
                                          "Security Council response")
    consent, will_scaled, council = False, False, True
    moves = ("impunity falls by {impunity} × strength a month; every leader's extremism by the "
             "share {moderation} × strength a month (deterrence of prosecution); the regime "
             "feels pressure {pressure} × strength")

    class Params(KindParams):
        lag: int = LAG(6)
        cost: float = COST(2.0)
        impunity: float = SHARE(0.03, "Fall of impunity a month per unit of strength", "R16 §47",
                                "impunity points / month")
        moderation: float = SHARE(0.01, "Share by which every leader's extremism falls a month "
                                  "per unit of strength (deterrence of prosecution)", "R16 §47")
        pressure: float = SHARE(0.2, "International pressure of prosecution on the regime per "
                                "unit of strength", "R16 §47", "pressure", le=10)

    def effect(self, model, s):
        p = self.pars(model)
        model.institutions.reduce_impunity(p.impunity * s)
        for leader in model.leaders:
            leader.moderate(p.moderation * s)
        model.government.press(p.pressure * s)


class AuthorizedForce(DeploysPeople):
    actors = ("council",)
    kind, paragraph, deliverer, family = ("authorized_force", "R16 §49–52; R14 §1 (Pillar III)",
                                          "Security Council, member states",
                                          "Security Council response")
    consent, will_scaled, council = False, False, True
    moves = ("{troops} troops × strength protect the most victimized districts (as "
             "peacekeeping), deterring the state's forces with the weight {against_state} (no "
             "consent binds them); armed groups' arms fall by the share {disarmament} × "
             "strength a month and sponsors' flows are cut by the share {denial} × strength")
    harm = "force is the last resort; its own casualties are not modelled"

    class Params(KindParams):
        lag: int = LAG(3)
        cost: float = COST(6.0, "1,000 troops")
        troops: float = DEPLOYED(10000.0, "Troops of the authorized force", "R16 §49–52")
        against_state: float = SHARE(1.0, "Deterrent weight of its troops against the state's "
                                     "forces and state-affiliated militias (violence."
                                     "state_efficacy for consent-bound protectors): force "
                                     "under Pillar III does not rest on the state's consent",
                                     "R16 §49–52; Fjelde, Hultman & Nilsson 2019 (the "
                                     "consent mechanism)", "fraction")
        denial: float = SHARE(0.5, "Share of sponsors' arms flows stopped per unit of strength "
                              "(at most 1)", "R16 §49–52", "fraction")
        disarmament: float = SHARE(0.2, "Share by which armed groups' arms fall a month per unit "
                                   "of strength", "R16 §49–52")

    def effect(self, model, s):
        p = self.pars(model)
        protect_worst(model, p.troops * s, p.against_state)
        model.delivery.deny(p.denial * s)
        for a in model.armed_groups:
            a.disarm(p.disarmament * s)


CATALOGUE: dict[str, type[InterventionKind]] = {
    c.kind: c for c in (
        NormDissemination, PeerReview, PreventiveDiplomacy, InclusiveGovernance,
        TrainSecuritySector,
        _brake_class("electoral_body", "b", "R14 §46–47", "electoral assistance division, UNDP",
                     ("development",)),
        _brake_class("judiciary", "c", "R14 §48–50", "UNDP, human rights office",
                     ("development", "human_rights_office")),
        _brake_class("early_warning", "d", "R14 §51–52", "special advisers, regional "
                     "organization", ("secretariat", "regional")),
        _brake_class("local_peace", "e", "R14 §53–54", "UNDP, civil society",
                     ("development", "civil_society")),
        _brake_class("media", "f", "R14 §55–56", "UNESCO, civil society",
                     ("development", "civil_society")),
        _brake_class("transitional_justice", "g", "R14 §57–58", "human rights office, UNDP",
                     ("human_rights_office", "development")),
        DenyMeans, MediationSupport, HumanRightsMonitoring, PoliceSupport, RefugeeProtection,
        HumanitarianProtection, Peacekeeping, Sanctions, CourtReferral, AuthorizedForce,
    )
}
"""Every intervention kind, by name (the ``kind`` of a policy entry)."""


