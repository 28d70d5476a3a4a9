"""The intervention catalogue (Pillar II of R14 §28–69) and its delivery.

What is delivered is separate from when and how: an :class:`InterventionKind` class says which
paragraph it models, who delivers it, whether it needs the state's consent (national
ownership, R14 §15), how its effect scales with political will (mutual commitment, §16), its lag
to effect, its cost per month, which state variables it moves, and its possible harm (do no
harm, §17). A :class:`Deployment` (one per intervention in a policy) decides *when*: from a fixed
month, or when the observed stage has been at or above a level for some months; it waits out the
lag, applies the effect each month while active, and logs its start, refusal and end. Ending is an
event too: the moved variables are transient (protective presence, external investment) or
decay back once the effort stops, so premature exit lets root causes return (R16 §53–56).

Each month (step 8 of the model) the transient hooks — ``model.protection``, ``model.denial``
and every brake's ``external_investment`` — are reset to zero, and every active deployment adds
its share again. Each deployment draws one uniform a month from the ``international`` stream (for
Security Council votes), used or not, and from no other stream, so a policy changes no other
submodel's draws.

Security Council response (Pillar III: sanctions, court referral, authorized force) goes
through the Security Council agent's vote (:mod:`escalation_sim.international`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .agents import clip01

if TYPE_CHECKING:
    from .model import EscalationModel
    from .params import InterventionSpec


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

    def effect(self, model: EscalationModel, s: float) -> None:
        """Apply one month of effect with strength ``s`` (intensity × will factor)."""
        raise NotImplementedError


def will_factor(political_will: float) -> float:
    """Mutual commitment (R14 §16): with no will an assisted effort keeps 30 % of its effect."""
    return 0.3 + 0.7 * political_will


def consents(model: EscalationModel, intrusive: bool) -> bool:
    """Whether the state accepts consensual assistance (R14 §15). Help for its own institutions
    it accepts unless its political will is negligible (< 0.1); scrutiny and foreign presence
    (``intrusive``) only while its will to protect exceeds its complicity (R14 §76)."""
    gov = model.government
    return gov.political_will > gov.complicity if intrusive else gov.political_will >= 0.1


def protect_worst(model: EscalationModel, amount: float) -> None:
    """Rapid reaction: ``amount`` of protection per district on average, concentrated on the
    quarter of districts with the most victimization (re-targeted every month)."""
    n = model.n_districts
    k = max(1, n // 4)
    worst = np.argsort(-model.victimization.sum(axis=1), kind="stable")[:k]
    model.protection[worst] += amount * n / (4 * k)


# ---- encouragement (R14 §29–38) ------------------------------------------------------------
class NormDissemination(InterventionKind):
    actors = ("development", "civil_society")
    kind, paragraph, deliverer, family = ("norm_dissemination", "R14 §30",
                                          "UN agencies, civil society", "encouragement")
    consent, will_scaled, lag, cost = False, False, 3, 1.0
    moves = "leaders' extremism falls 1 % a month (against their own drift)"

    def effect(self, model, s):
        for leader in model.leaders:
            leader.extremism *= max(0.0, 1.0 - 0.01 * s)


class PeerReview(InterventionKind):
    actors = ("human_rights_office", "regional")
    kind, paragraph, deliverer, family = ("peer_review", "R14 §31–35",
                                          "Human Rights Council, treaty bodies, commissions of "
                                          "inquiry", "encouragement")
    consent, will_scaled, lag, cost = False, False, 6, 1.0
    moves = "impunity falls 1 point a month; complicity falls 1 % a month (scrutiny)"
    harm = "public naming can harden a complicit regime's leader (not modelled)"

    def effect(self, model, s):
        model.impunity = clip01(model.impunity - 0.01 * s)
        model.government.complicity *= max(0.0, 1.0 - 0.01 * s)


class PreventiveDiplomacy(InterventionKind):
    actors = ("secretariat", "regional")
    kind, paragraph, deliverer, family = ("preventive_diplomacy", "R14 §36–38",
                                          "Secretary-General, envoys, regional organization",
                                          "encouragement")
    consent, will_scaled, lag, cost = True, True, 1, 2.0
    intrusive = True
    moves = "trigger heat falls 30 % a month; the ruling leader's extremism falls 1 % a month"

    def effect(self, model, s):
        model.heat *= max(0.0, 1.0 - 0.3 * s)
        ruler = model.leaders[model.government.ruling]
        ruler.extremism *= max(0.0, 1.0 - 0.01 * s)


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
        gov = model.government
        gov.inclusiveness = clip01(gov.inclusiveness + 0.01 * s)
        model.inequality *= 1.0 - 0.01 * s


class BuildBrake(InterventionKind):
    """Capacity building for one brake: external investment of 0.3 × strength while active."""

    brake: ClassVar[str]
    family, consent, will_scaled, lag, cost = "capacity building", True, True, 3, 3.0

    def effect(self, model, s):
        model.brakes[self.brake].external_investment += 0.3 * s


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
        sec = model.brakes["security_sector"]
        sec.professionalism = clip01(sec.professionalism
                                     + 0.01 * s * (1.0 - model.government.complicity))


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
        model.denial = max(model.denial, min(1.0, 0.5 * s))
        for a in model.armed_groups:
            a.arms *= max(0.0, 1.0 - 0.1 * s)
            a.external_support *= max(0.0, 1.0 - 0.1 * s)


class MediationSupport(InterventionKind):
    actors = ("mediation_support", "regional")
    kind, paragraph, deliverer, family = ("mediation_support", "R14 §61(a)",
                                          "mediation support unit, regional organization",
                                          "protection assistance")
    consent, will_scaled, lag, cost = True, True, 2, 2.0
    intrusive = True
    moves = "external investment in local peace bodies (+0.3 × strength); heat falls 10 %"

    def effect(self, model, s):
        model.brakes["local_peace"].external_investment += 0.3 * s
        model.heat *= max(0.0, 1.0 - 0.1 * s)


class HumanRightsMonitoring(InterventionKind):
    actors = ("human_rights_office", "regional", "civil_society")
    kind, paragraph, deliverer, family = ("human_rights_monitoring", "R14 §61(b)",
                                          "human rights office", "protection assistance")
    consent, will_scaled, lag, cost = True, False, 2, 2.0
    intrusive = True
    moves = ("early warning gains external investment (+0.3 × strength); presence protects "
             "(+0.2 × strength in every district) and lowers impunity 1 point a month")

    def effect(self, model, s):
        model.brakes["early_warning"].external_investment += 0.3 * s
        model.protection += 0.2 * s
        model.impunity = clip01(model.impunity - 0.01 * s)


class PoliceSupport(InterventionKind):
    actors = ("peace_operations", "states")
    kind, paragraph, deliverer, family = ("police_support", "R14 §61(c)",
                                          "UN police, bilateral partners", "protection assistance")
    consent, will_scaled, lag, cost = True, True, 4, 3.0
    intrusive = True
    moves = "judiciary gains external investment (+0.3 × strength); impunity falls 1 point"

    def effect(self, model, s):
        model.brakes["judiciary"].external_investment += 0.3 * s
        model.impunity = clip01(model.impunity - 0.01 * s)


class RefugeeProtection(InterventionKind):
    actors = ("refugee_agency",)
    kind, paragraph, deliverer, family = ("refugee_protection", "R14 §61(d)",
                                          "refugee agency", "protection assistance")
    consent, will_scaled, lag, cost = False, False, 1, 2.0
    moves = "protection in districts in proportion to the share of displaced people there"

    def effect(self, model, s):
        civ = model.civilians
        displaced = np.bincount(civ.district[civ.displaced], minlength=model.n_districts)
        alive = np.maximum(model.alive_cells.sum(axis=1), 1.0)
        model.protection += 2.0 * s * displaced / alive


class HumanitarianProtection(InterventionKind):
    actors = ("humanitarian",)
    kind, paragraph, deliverer, family = ("humanitarian_protection", "R14 §61(e)",
                                          "humanitarian agencies", "protection assistance")
    consent, will_scaled, lag, cost = False, False, 1, 2.0
    moves = "protection +0.1 × strength in every district"

    def effect(self, model, s):
        model.protection += 0.1 * s


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
        model.denial = max(model.denial, min(1.0, 0.6 * s))
        model.government.complicity *= max(0.0, 1.0 - 0.02 * s)


class CourtReferral(InterventionKind):
    actors = ("council",)
    kind, paragraph, deliverer, family = ("court_referral", "R16 §47", "Security Council, "
                                          "International Criminal Court",
                                          "Security Council response")
    consent, will_scaled, lag, cost, council = False, False, 6, 2.0, True
    moves = "impunity falls 3 points a month; every leader's extremism falls 1 % a month"

    def effect(self, model, s):
        model.impunity = clip01(model.impunity - 0.03 * s)
        for leader in model.leaders:
            leader.extremism *= max(0.0, 1.0 - 0.01 * s)


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
        model.denial = max(model.denial, min(1.0, 0.5 * s))
        for a in model.armed_groups:
            a.arms *= max(0.0, 1.0 - 0.2 * s)


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


class Deployment:
    """One intervention of a policy in one run, taken through the pipeline from warning to
    action (R16 §28–29, §46–49), every stage recorded:

    * **warning** — its trigger holds (a fixed schedule is a decision already taken: it skips
      warning and agenda);
    * **agenda** — ``agenda_delay`` months, plus ``resistance_delay × complicity`` while the
      observed stage is below 3 (states resist being put on an agenda early, R14 §73), and not
      before the delivering actor's attention reaches ``attention_threshold``;
    * **decision** — consensus, except Pillar III drafts, which the Security Council may veto
      when a permanent member backs the perpetrator, and actions of the regional organization,
      which need its members' consensus and which a neighbour backing the perpetrator may block;
      a vetoed or blocked proposal is tabled again each month until ``council_attempts`` run out;
    * **consent** — for consensual tools (R14 §15);
    * **resources** — decided before observed stage 3, only ``prevention_funding`` of the
      intensity is funded (R14 §18, §75); each month's cost is paid from the delivering actor's
      yearly budget, and a month it cannot pay in full runs at the share it can;
    * **deployment lag**, then **effect** each month until ``duration`` ends it or the policy
      budget is spent.

    ``blocked`` names the stage where a response stopped (``consent``, ``veto``, ``regional``,
    or ``absent`` when its deliverer is not in the scenario), if it did.
    """

    def __init__(self, spec: InterventionSpec, index: int | None = None):
        self.spec = spec
        self.index = index   # its place in the policy: its sub-stream of `international`
        self.intervention = CATALOGUE[spec.kind]()
        self.name = spec.kind
        self.status = "waiting"   # waiting → agenda → deciding → lagging → active → ended
        self.warned: int | None = None
        self.decided: int | None = None
        self.active_from: int | None = None
        self.blocked: str | None = None
        self.streak = 0            # months the trigger condition has held
        self.attempts = 0          # months tabled at the Security Council
        self.funded = 1.0          # share of the intensity funded
        self.agenda_at = 0
        self.actor = None          # the delivering international actor, found on first apply
        self.first_effect: int | None = None   # first month of effect its deliverer paid for

    def log(self, model: EscalationModel, text: str) -> None:
        model.log("intervention", f"{self.name}: {text}")

    def _block(self, model: EscalationModel, stage: str, text: str) -> float:
        self.status, self.blocked = "blocked", stage
        self.log(model, text)
        return 0.0

    def apply(self, model: EscalationModel, u: float | None = None) -> float:
        """Advance this deployment by one month; return its cost this month. ``u`` is the month's
        uniform for a vote; without it the deployment draws its own."""
        spec, iv, month = self.spec, self.intervention, model.steps
        if u is None:
            # one uniform every month from its own sub-stream, used or not: its position never
            # depends on state, and adding a deployment changes no other deployment's draws
            u = model.streams["international", self.index].random()
        ip = model.params.international
        if self.status in ("blocked", "ended"):
            return 0.0
        if self.actor is None:
            by = spec.by or next((a for a in iv.actors if a in model.actors), iv.actors[0])
            self.actor = model.actors.get(by)
            if self.actor is None:
                return self._block(model, "absent", f"no {by} in this scenario to deliver it")
        if self.status == "waiting":
            if spec.trigger_stage is None:
                if month < spec.start:
                    return 0.0
                self.warned, self.agenda_at, self.status = month, month, "deciding"
            else:
                self.streak = self.streak + 1 if model.observed_stage >= spec.trigger_stage else 0
                if month < spec.start or self.streak < spec.trigger_months:
                    return 0.0
                resist = ip.resistance_delay * model.government.complicity \
                    if model.observed_stage < 3 else 0.0
                self.warned, self.status = month, "agenda"
                self.agenda_at = month + ip.agenda_delay + round(resist)
                self.log(model, f"warning acted on; on the agenda in month {self.agenda_at}")
        if self.status == "agenda":
            # a formal early warning overrides the state's resistance: the item is due on the
            # agenda agenda_delay months after the warning (R14 §73; R16 §28–29)
            formal = model.actors["secretariat"].warned
            due = self.agenda_at if formal is None else min(
                self.agenda_at, max(formal, self.warned) + ip.agenda_delay)
            if month >= due and self.actor.attention >= ip.attention_threshold:
                self.status = "deciding"
        if self.status == "deciding":
            if iv.council or self.actor.key == "regional":
                self.attempts += 1
                stage, (adopted, by) = (("veto", model.council.vote(u)) if iv.council
                                        else ("regional", self.actor.agree(u)))
                if not adopted:
                    what = "vetoes" if iv.council else "regional deadlock"
                    if self.attempts >= ip.council_attempts:
                        return self._block(model, stage, f"abandoned after {self.attempts} "
                                           f"months of {what} ({by})")
                    self.log(model, f"Security Council draft vetoed by {by}" if iv.council
                             else f"regional organization: no decision ({by})")
                    return 0.0
            if iv.consent and not consents(model, iv.intrusive):
                return self._block(model, "consent",
                                   "refused by the government (consent needed, R14 §15)")
            if model.observed_stage < 3:
                self.funded = ip.prevention_funding
            self.status, self.decided = "lagging", month
            self.log(model, f"decided; takes effect in {iv.lag} months")
        if self.status == "lagging" and month - self.decided >= iv.lag:
            self.status, self.active_from = "active", month
            self.log(model, "takes effect")
        if self.status != "active":
            return 0.0
        if spec.duration is not None and month - self.active_from >= spec.duration:
            self.status = "ended"
            self.log(model, "ends")
            return 0.0
        intensity = spec.intensity * self.funded
        cost = iv.cost * intensity * ip.stage_cost[model.stage]
        paid = self.actor.pay(cost, self.name)
        if paid > 0.0 and self.first_effect is None:
            self.first_effect = month
        s = intensity * paid * self.actor.capacity() * (
            will_factor(model.government.political_will) if iv.will_scaled else 1.0)
        iv.effect(model, s)
        return cost * paid

    @property
    def stopped(self) -> str | None:
        """Where this response stopped short of acting, if it did: the stage that blocked it
        (``consent``, ``veto``, ``regional``, ``absent``), the stage it was still waiting in at
        the end of the run (``agenda``, ``deciding``), or ``resources`` when it was decided but
        its deliverer never paid for a month of it."""
        if self.blocked:
            return self.blocked
        if self.status in ("agenda", "deciding"):
            return self.status
        if self.status in ("active", "ended") and self.first_effect is None:
            return "resources"
        return None


def reset_transient(model: EscalationModel) -> None:
    """Zero the hooks that interventions set afresh each month."""
    model.protection[:] = 0.0
    model.denial = 0.0
    for brake in model.brake_list:
        brake.external_investment = 0.0


RESPONSES: dict[str, str] = {
    "armed_conflict": "deny_means",
    "violations_record": "human_rights_monitoring",
    "state_weakness": "build_{weakest}",
    "motives": "inclusive_governance",
    "capacity_to_commit": "deny_means",
    "absence_of_mitigation": "build_local_peace",
    "enabling_circumstances": "build_media",
    "triggering_factors": "preventive_diplomacy",
    "intergroup_tension": "inclusive_governance",
    "signs_of_intent": "peer_review",
    "mobilization": "mediation_support",
    "lethal_violence": "peacekeeping",
}
"""The response an adaptive rule gives to each observed Framework-of-Analysis indicator
(``build_{weakest}``: capacity building for the weakest brake)."""


class AdaptiveRule:
    """Flexibility (R14 §19): every ``every`` months, review the *observed* indicators; respond
    to the highest ones at or above ``threshold`` (up to ``slots`` responses at once, each through
    the same pipeline as any deployment) and end responses whose indicator has fallen below
    ``threshold × 0.75``."""

    name = "adaptive"

    def __init__(self, params, index: int):
        self.p = params
        self.index = index   # its place in the policy: its sub-stream of `international`
        self.deployments: dict[str, tuple[str, Deployment]] = {}   # kind -> (indicator, deployment)
        self.history: list[Deployment] = []                         # every deployment it made

    def _response(self, model: EscalationModel, indicator: str) -> str:
        kind = RESPONSES[indicator]
        if "{weakest}" in kind:
            weakest = min(model.brake_list, key=lambda b: b.strength)
            kind = kind.format(weakest=weakest.brake)
        return kind

    def review(self, model: EscalationModel) -> None:
        from .params import InterventionSpec
        from .submodels.observation import INDICATORS

        seen = dict(zip(INDICATORS, model.observed_indicators, strict=True))
        for kind, (indicator, d) in list(self.deployments.items()):
            if seen[indicator] < 0.75 * self.p.threshold and d.status in ("active", "lagging"):
                d.status = "ended"
                d.log(model, f"re-targeted: {indicator} has eased, ends")
            if d.status in ("ended", "blocked"):
                del self.deployments[kind]
        ranked = sorted((v, k) for k, v in seen.items() if v >= self.p.threshold)[::-1]
        for level, indicator in ranked:
            if len(self.deployments) >= self.p.slots:
                break
            kind = self._response(model, indicator)
            if kind in self.deployments:
                continue
            d = Deployment(InterventionSpec(kind=kind, start=max(1, model.steps),
                                            intensity=self.p.intensity))
            self.deployments[kind] = (indicator, d)
            self.history.append(d)
            d.log(model, f"re-targeted at {indicator} (observed {level:.2f})")

    @property
    def active(self) -> list[Deployment]:
        return [d for _, d in self.deployments.values()]

    def apply(self, model: EscalationModel) -> float:
        # `slots` uniforms every month from its own sub-stream, one per place a deployment may
        # hold, so the stream's position does not depend on how many responses are deployed
        us = model.streams["international", self.index].random(self.p.slots)
        if model.steps % self.p.every == 0:
            self.review(model)
        return sum(d.apply(model, float(u)) for d, u in zip(self.active, us, strict=False))
