"""Intervention delivery (step 9): the pipeline from warning to action, and its effects.

What is delivered is the catalogue's (:mod:`escalation_sim.catalogue`); when and how is this
module's. A :class:`Deployment` (one per intervention in a policy) decides *when*: from a fixed
month, or when the observed stage has been at or above a level for some months; it waits out the
agenda, the decision (Security Council veto, regional consensus), consent and funding, then the
lag, applies the effect each month while active, and logs its start, refusal and end. Ending is
an event too: the moved variables are transient (protectors present, pressure, external
investment, denial of means) or decay back once the effort stops, so premature exit lets root
causes return (R16 §53–56).

Each month the transient hooks — the violence module's protectors, the pressure applied to the
government, this module's ``denial`` and every brake's external investment — are reset, and
every active deployment adds its share again. Each deployment draws one uniform a month from
its own sub-stream of ``international`` (for Security Council votes), used or not, and from no
other stream, so a policy changes no other submodel's draws. A deployment's status is a
:class:`Status`.
"""

from __future__ import annotations

from enum import StrEnum

from mesa import Model

from ..catalogue import CATALOGUE
from ..params import InterventionSpec
from .base import Module
from .observation import INDICATORS


class Status(StrEnum):
    """Where a deployment is in the pipeline."""

    WAITING = "waiting"
    AGENDA = "agenda"
    DECIDING = "deciding"
    LAGGING = "lagging"
    ACTIVE = "active"
    ENDED = "ended"
    BLOCKED = "blocked"


def will_factor(political_will: float, floor: float, slope: float) -> float:
    """Mutual commitment (R14 §16): with no will an assisted effort keeps the share ``floor``
    (``interventions.will_floor``) of its effect, rising by ``slope`` per unit of will."""
    return floor + slope * political_will


def consents(model: Model, intrusive: bool) -> bool:
    """Whether the state accepts consensual assistance (R14 §15). Its readiness is its political
    will plus ``interventions.consent_pressure`` × the international pressure it feels (a
    regime under pressure concedes). Help for its own institutions it accepts unless that
    readiness is below ``interventions.consent_will``; scrutiny and foreign presence
    (``intrusive``) only while it exceeds its complicity (R14 §76). Will and pressure are the
    regime's state (:class:`escalation_sim.agents.Government`), so consent follows them."""
    gov = model.government
    ready = gov.political_will + model.params.interventions.consent_pressure * gov.pressure
    return ready > gov.complicity if intrusive else (
        ready >= model.params.interventions.consent_will)


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
        self.status = Status.WAITING   # → agenda → deciding → lagging → active → ended
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

    def log(self, model: Model, text: str) -> None:
        model.log("intervention", f"{self.name}: {text}")

    def _block(self, model: Model, stage: str, text: str) -> float:
        self.status, self.blocked = Status.BLOCKED, stage
        self.log(model, text)
        return 0.0

    def apply(self, model: Model, u: float | None = None) -> float:
        """Advance this deployment by one month; return its cost this month. ``u`` is the month's
        uniform for a vote; without it the deployment draws its own."""
        spec, iv, month = self.spec, self.intervention, model.steps
        if u is None:
            # one uniform every month from its own sub-stream, used or not: its position never
            # depends on state, and adding a deployment changes no other deployment's draws
            u = model.streams["international", self.index].random()
        ip = model.params.international
        kp = iv.pars(model)   # this kind's lag, cost and coefficients in the scenario
        if self.status in (Status.BLOCKED, Status.ENDED):
            return 0.0
        if self.actor is None:
            actors = model.decisions.actors
            by = spec.by or next((a for a in iv.actors if a in actors), iv.actors[0])
            self.actor = actors.get(by)
            if self.actor is None:
                return self._block(model, "absent", f"no {by} in this scenario to deliver it")
        if self.status == Status.WAITING:
            if spec.trigger_stage is None:
                if month < spec.start:
                    return 0.0
                self.warned, self.agenda_at, self.status = month, month, Status.DECIDING
            else:
                seen = model.observation.observed_stage
                self.streak = self.streak + 1 if seen >= spec.trigger_stage else 0
                if month < spec.start or self.streak < spec.trigger_months:
                    return 0.0
                resist = ip.resistance_delay * model.government.complicity \
                    if model.observation.observed_stage < 3 else 0.0
                self.warned, self.status = month, Status.AGENDA
                self.agenda_at = month + ip.agenda_delay + round(resist)
                self.log(model, f"warning acted on; on the agenda in month {self.agenda_at}")
        if self.status == Status.AGENDA:
            # a formal early warning overrides the state's resistance: the item is due on the
            # agenda agenda_delay months after the warning (R14 §73; R16 §28–29)
            formal = model.decisions.actors["secretariat"].warned
            due = self.agenda_at if formal is None else min(
                self.agenda_at, max(formal, self.warned) + ip.agenda_delay)
            if month >= due and self.actor.attention >= ip.attention_threshold:
                self.status = Status.DECIDING
        if self.status == Status.DECIDING:
            if iv.council or self.actor.key == "regional":
                self.attempts += 1
                stage, (adopted, by) = (("veto", model.decisions.council.vote(u)) if iv.council
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
            if model.observation.observed_stage < 3:
                self.funded = ip.prevention_funding
            self.status, self.decided = Status.LAGGING, month
            self.log(model, f"decided; takes effect in {kp.lag} months")
        if self.status == Status.LAGGING and month - self.decided >= kp.lag:
            self.status, self.active_from = Status.ACTIVE, month
            self.log(model, "takes effect")
        if self.status != Status.ACTIVE:
            return 0.0
        if spec.duration is not None and month - self.active_from >= spec.duration:
            self.status = Status.ENDED
            self.log(model, "ends")
            return 0.0
        intensity = spec.intensity * self.funded
        cost = kp.cost * iv.scale(model) * intensity * ip.stage_cost[model.observation.stage]
        paid = self.actor.pay(cost, self.name)
        if paid > 0.0 and self.first_effect is None:
            self.first_effect = month
        dp = model.params.interventions
        s = intensity * paid * self.actor.capacity() * (
            will_factor(model.government.political_will, dp.will_floor, dp.will_slope)
            if iv.will_scaled else 1.0)
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
        if self.status in (Status.AGENDA, Status.DECIDING):
            return self.status
        if self.status in (Status.ACTIVE, Status.ENDED) and self.first_effect is None:
            return "resources"
        return None


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
    ``release × threshold``."""

    name = "adaptive"

    def __init__(self, params, index: int):
        self.p = params
        self.index = index   # its place in the policy: its sub-stream of `international`
        self.deployments: dict[str, tuple[str, Deployment]] = {}   # kind -> (indicator, deployment)
        self.history: list[Deployment] = []                         # every deployment it made

    def _response(self, model: Model, indicator: str) -> str:
        kind = RESPONSES[indicator]
        if "{weakest}" in kind:
            weakest = min(model.brake_list, key=lambda b: b.strength)
            kind = kind.format(weakest=weakest.brake)
        return kind

    def review(self, model: Model) -> None:
        seen = dict(zip(INDICATORS, model.observation.observed_indicators, strict=True))
        for kind, (indicator, d) in list(self.deployments.items()):
            eased = seen[indicator] < self.p.release * self.p.threshold
            if eased and d.status in (Status.ACTIVE, Status.LAGGING):
                d.status = Status.ENDED
                d.log(model, f"re-targeted: {indicator} has eased, ends")
            if d.status in (Status.ENDED, Status.BLOCKED):
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

    def apply(self, model: Model) -> float:
        # `slots` uniforms every month from its own sub-stream, one per place a deployment may
        # hold, so the stream's position does not depend on how many responses are deployed
        us = model.streams["international", self.index].random(self.p.slots)
        if model.steps % self.p.every == 0:
            self.review(model)
        return sum(d.apply(model, float(u)) for d, u in zip(self.active, us, strict=False))


class Delivery(Module):
    """Step 9: reset the transient hooks, then every deployment of the policy moves through the
    pipeline and applies its effect; costs are summed. Once a policy's budget is spent, its
    interventions stop (R14 §18, §75)."""

    name = "delivery"
    section = "interventions"
    series = ("cost",)
    reads = ("observation: stages, observed indicators", "decisions: actors, council",
             "government: will, complicity", "the catalogue's effects reach their owners")

    def __init__(self, model, policy=None):
        super().__init__(model)
        self.policy = policy
        self.interventions: list[Deployment | AdaptiveRule] = [
            Deployment(spec, j) for j, spec in enumerate(policy.interventions if policy else ())]
        if policy is not None and policy.adaptive is not None:
            self.interventions.append(AdaptiveRule(policy.adaptive, len(self.interventions)))
        self.denial = 0.0   # share of sponsors' arms flows stopped (denial of means, sanctions)
        self.cost = 0.0
        self.budget_exhausted = False

    def deny(self, share: float) -> None:
        """Denial of means or sanctions stop a share of sponsors' arms flows this month."""
        self.denial = max(self.denial, min(1.0, share))

    @property
    def deployments(self) -> list[Deployment]:
        """Every deployment of the run, the adaptive rule's included."""
        return [d for i in self.interventions
                for d in ([i] if isinstance(i, Deployment) else i.history)]

    def step(self) -> None:
        model = self.model
        model.violence.end_protection()
        model.government.end_pressure()
        self.denial = 0.0
        for brake in model.brake_list:
            brake.end_assistance()
        budget = self.policy.budget if self.policy is not None else None
        if budget is not None and self.cost >= budget:
            if not self.budget_exhausted:
                self.budget_exhausted = True
                model.log("intervention", "budget exhausted: all interventions stop")
            return
        for intervention in self.interventions:
            self.cost += intervention.apply(model)

    def record(self) -> tuple[float, ...]:
        return (self.cost,)
