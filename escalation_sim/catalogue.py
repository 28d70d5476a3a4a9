"""The intervention catalogue (Pillar II of R14 §28–69, Pillar III of R16 §45–52): what is
delivered.

An :class:`InterventionKind` class says which paragraph it models, who delivers it, whether it
needs the state's consent (national ownership, R14 §15), how its effect scales with political
will (mutual commitment, §16), its lag to effect, its cost per month, which state variables it
moves, and its possible harm (do no harm, §17). *When and how* an intervention is delivered —
the pipeline from warning to action — is the delivery step
(:mod:`escalation_sim.submodels.delivery`). An effect never writes another module's state
directly: it calls the owner (``model.events.cool``, ``model.institutions.reduce_impunity``,
``model.violence.protect``, ``model.delivery.deny``, an agent's own method).
"""


from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from mesa import Model


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
    lag: ClassVar[int]                # months from decision to effect
    cost: ClassVar[float]             # cost units per month at intensity 1
    moves: ClassVar[str]              # the state variables it moves, in words
    harm: ClassVar[str] = "none modelled"

    def effect(self, model: Model, s: float) -> None:
        """Apply one month of effect with strength ``s`` (intensity × will factor)."""
        raise NotImplementedError


def protect_worst(model: Model, amount: float) -> None:
    """Rapid reaction: ``amount`` of protection per district on average, concentrated on the
    quarter of districts with the most victimization (re-targeted every month)."""
    n = model.n_districts
    k = max(1, n // 4)
    worst = np.argsort(-model.violence.victimization.sum(axis=1), kind="stable")[:k]
    model.violence.protect(amount * n / (4 * k), worst)


# ---- encouragement (R14 §29–38) ------------------------------------------------------------
class NormDissemination(InterventionKind):
    actors = ("development", "civil_society")
    kind, paragraph, deliverer, family = ("norm_dissemination", "R14 §30",
                                          "UN agencies, civil society", "encouragement")
    consent, will_scaled, lag, cost = False, False, 3, 1.0
    moves = "leaders' extremism falls 1 % a month (against their own drift)"

    def effect(self, model, s):
        for leader in model.leaders:
            leader.moderate(0.01 * s)


class PeerReview(InterventionKind):
    actors = ("human_rights_office", "regional")
    kind, paragraph, deliverer, family = ("peer_review", "R14 §31–35",
                                          "Human Rights Council, treaty bodies, commissions of "
                                          "inquiry", "encouragement")
    consent, will_scaled, lag, cost = False, False, 6, 1.0
    moves = "impunity falls 1 point a month; complicity falls 1 % a month (scrutiny)"
    harm = "public naming can harden a complicit regime's leader (not modelled)"

    def effect(self, model, s):
        model.institutions.reduce_impunity(0.01 * s)
        model.government.restrain(0.01 * s)


class PreventiveDiplomacy(InterventionKind):
    actors = ("secretariat", "regional")
    kind, paragraph, deliverer, family = ("preventive_diplomacy", "R14 §36–38",
                                          "Secretary-General, envoys, regional organization",
                                          "encouragement")
    consent, will_scaled, lag, cost = True, True, 1, 2.0
    intrusive = True
    moves = "trigger heat falls 30 % a month; the ruling leader's extremism falls 1 % a month"

    def effect(self, model, s):
        model.events.cool(0.3 * s)
        model.leaders[model.government.ruling].moderate(0.01 * s)


# ---- capacity building (R14 §39–58) --------------------------------------------------------
class InclusiveGovernance(InterventionKind):
    actors = ("development",)
    kind, paragraph, deliverer, family = ("inclusive_governance", "R14 §41–42",
                                          "development agencies, World Bank",
                                          "capacity building")
    consent, will_scaled, lag, cost = True, True, 6, 4.0
    moves = "inclusiveness rises 1 point a month; horizontal inequality falls 1 % a month"
    harm = "assistance that favours one group deepens divisions (R14 §17; not modelled)"

    def effect(self, model, s):
        model.government.include(0.01 * s)
        model.mobilization.reduce_inequality(0.01 * s)


class BuildBrake(InterventionKind):
    """Capacity building for one brake: external investment of 0.3 × strength while active."""

    brake: ClassVar[str]
    family, consent, will_scaled, lag, cost = "capacity building", True, True, 3, 3.0

    def effect(self, model, s):
        model.brakes[self.brake].assist(0.3 * s)


def _brake_class(brake: str, letter: str, paragraph: str, deliverer: str,
                 actors: tuple[str, ...]) -> type[BuildBrake]:
    return type(f"Build_{brake}", (BuildBrake,), {
        "kind": f"build_{brake}", "brake": brake, "paragraph": paragraph, "deliverer": deliverer,
        "actors": actors,
        "moves": f"brake ({letter}) {brake}: capacity approaches a level 0.3 × strength higher; "
                 "falls back at the decay rate after the end"})


class TrainSecuritySector(BuildBrake):
    actors = ("states", "peace_operations")
    kind, brake, paragraph, deliverer = ("build_security_sector", "security_sector",
                                         "R14 §44–45, §76", "bilateral partners, UN peace "
                                         "operations")
    moves = ("security-sector capacity approaches a level 0.3 × strength higher; professionalism "
             "rises 1 point a month × (1 − complicity)")
    harm = ("in a complicit or unprofessional state, training adds capacity but little "
            "restraint, so the capacity to kill rises (R14 §44, §76)")

    def effect(self, model, s):
        super().effect(model, s)
        model.brakes["security_sector"].train(0.01 * s * (1.0 - model.government.complicity))


# ---- protection assistance (R14 §59–69) ----------------------------------------------------
class DenyMeans(InterventionKind):
    actors = ("states",)
    kind, paragraph, deliverer, family = ("deny_means", "R14 §60",
                                          "states, customs cooperation, Arms Trade Treaty",
                                          "protection assistance")
    consent, will_scaled, lag, cost = False, False, 3, 3.0
    moves = ("sponsors' arms flows are cut by 0.5 × strength; arms already in the country and "
             "standing external support fall 10 % a month")

    def effect(self, model, s):
        model.delivery.deny(0.5 * s)
        for a in model.armed_groups:
            a.disarm(0.1 * s)
            a.cut_support(0.1 * s)


class MediationSupport(InterventionKind):
    actors = ("mediation_support", "regional")
    kind, paragraph, deliverer, family = ("mediation_support", "R14 §61(a)",
                                          "mediation support unit, regional organization",
                                          "protection assistance")
    consent, will_scaled, lag, cost = True, True, 2, 2.0
    intrusive = True
    moves = "external investment in local peace bodies (+0.3 × strength); heat falls 10 %"

    def effect(self, model, s):
        model.brakes["local_peace"].assist(0.3 * s)
        model.events.cool(0.1 * s)


class HumanRightsMonitoring(InterventionKind):
    actors = ("human_rights_office", "regional", "civil_society")
    kind, paragraph, deliverer, family = ("human_rights_monitoring", "R14 §61(b)",
                                          "human rights office", "protection assistance")
    consent, will_scaled, lag, cost = True, False, 2, 2.0
    intrusive = True
    moves = ("early warning gains external investment (+0.3 × strength); presence protects "
             "(+0.2 × strength in every district) and lowers impunity 1 point a month")

    def effect(self, model, s):
        model.brakes["early_warning"].assist(0.3 * s)
        model.violence.protect(0.2 * s)
        model.institutions.reduce_impunity(0.01 * s)


class PoliceSupport(InterventionKind):
    actors = ("peace_operations", "states")
    kind, paragraph, deliverer, family = ("police_support", "R14 §61(c)",
                                          "UN police, bilateral partners", "protection assistance")
    consent, will_scaled, lag, cost = True, True, 4, 3.0
    intrusive = True
    moves = "judiciary gains external investment (+0.3 × strength); impunity falls 1 point"

    def effect(self, model, s):
        model.brakes["judiciary"].assist(0.3 * s)
        model.institutions.reduce_impunity(0.01 * s)


class RefugeeProtection(InterventionKind):
    actors = ("refugee_agency",)
    kind, paragraph, deliverer, family = ("refugee_protection", "R14 §61(d)",
                                          "refugee agency", "protection assistance")
    consent, will_scaled, lag, cost = False, False, 1, 2.0
    moves = "protection in districts in proportion to the share of displaced people there"

    def effect(self, model, s):
        civ = model.civilians
        displaced = np.bincount(civ.district[civ.displaced], minlength=model.n_districts)
        alive = np.maximum(model.violence.alive_cells.sum(axis=1), 1.0)
        model.violence.protect(2.0 * s * displaced / alive)


class HumanitarianProtection(InterventionKind):
    actors = ("humanitarian",)
    kind, paragraph, deliverer, family = ("humanitarian_protection", "R14 §61(e)",
                                          "humanitarian agencies", "protection assistance")
    consent, will_scaled, lag, cost = False, False, 1, 2.0
    moves = "protection +0.1 × strength in every district"

    def effect(self, model, s):
        model.violence.protect(0.1 * s)


class Peacekeeping(InterventionKind):
    actors = ("peace_operations", "regional")
    kind, paragraph, deliverer, family = ("peacekeeping", "R14 §67–69",
                                          "UN peace operations, regional organization",
                                          "protection assistance")
    consent, will_scaled, lag, cost = True, False, 6, 20.0
    intrusive = True
    moves = ("troops protect the most victimized districts first (rapid reaction): protection "
             "of 1.0 × strength per district on average, concentrated on the quarter of "
             "districts with most victimization (4.0 × strength each), re-targeted monthly")

    def effect(self, model, s):
        protect_worst(model, 1.0 * s)


# ---- Security Council response, Pillar III (R16 §45–52) -----------------------------------
class Sanctions(InterventionKind):
    actors = ("council",)
    kind, paragraph, deliverer, family = ("sanctions", "R16 §45–52, §30", "Security Council",
                                          "Security Council response")
    consent, will_scaled, lag, cost, council = False, False, 2, 3.0, True
    moves = ("sponsors' arms flows are cut by 0.6 × strength; state complicity falls 2 % a "
             "month")
    harm = "broad sanctions hurt civilians (not modelled)"

    def effect(self, model, s):
        model.delivery.deny(0.6 * s)
        model.government.restrain(0.02 * s)


class CourtReferral(InterventionKind):
    actors = ("council",)
    kind, paragraph, deliverer, family = ("court_referral", "R16 §47", "Security Council, "
                                          "International Criminal Court",
                                          "Security Council response")
    consent, will_scaled, lag, cost, council = False, False, 6, 2.0, True
    moves = "impunity falls 3 points a month; every leader's extremism falls 1 % a month"

    def effect(self, model, s):
        model.institutions.reduce_impunity(0.03 * s)
        for leader in model.leaders:
            leader.moderate(0.01 * s)


class AuthorizedForce(InterventionKind):
    actors = ("council",)
    kind, paragraph, deliverer, family = ("authorized_force", "R16 §49–52; R14 §1 (Pillar III)",
                                          "Security Council, member states",
                                          "Security Council response")
    consent, will_scaled, lag, cost, council = False, False, 3, 60.0, True
    moves = ("protection of 3 × strength per district on average, concentrated on the most "
             "victimized quarter of districts; armed groups' arms fall 20 % a month and "
             "sponsors' flows are cut by 0.5 × strength")
    harm = "force is the last resort; its own casualties are not modelled"

    def effect(self, model, s):
        protect_worst(model, 3.0 * s)
        model.delivery.deny(0.5 * s)
        for a in model.armed_groups:
            a.disarm(0.2 * s)


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


