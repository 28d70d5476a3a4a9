"""The scenario schema: one typed, validated, frozen parameter object.

Every parameter is declared once, here (the intervention kinds' coefficients in their catalogue
classes, gathered here into the ``interventions`` section), with :func:`P`: its meaning, unit,
where its mechanism comes from (a paragraph of the 2014 report, "R14 §n", or the 2016 report,
"R16 §n"; a paper; or "assumption") and, separately, where its *value* comes from
(``value="assumption"`` for almost all; see :mod:`escalation_sim.declare`). The ODD parameter
table (``docs/ODD.md``) is generated from these declarations (``escalation-sim docs``), and a
test fails when the two drift apart.

All fractions and levels are on [0, 1]; "per month" means per model step.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Literal

from pydantic import BaseModel, Field, create_model, model_validator

from .catalogue import CATALOGUE
from .declare import P, Section

BRAKES: tuple[str, ...] = (
    "security_sector",
    "electoral_body",
    "judiciary",
    "early_warning",
    "local_peace",
    "media",
    "transitional_justice",
)
"""The seven atrocity brakes of R14 §43–58 (a)–(g), in the reports' order."""


class RunParams(Section):
    months: int = P(120, "Length of one run", "months (steps)",
                    "R16 §55 (engagement sustained over years)", value="assumption", ge=1,
                    le=1200)
    n_civilians: int = P(10_000, "Number of simulated civilians", "agents", "assumption",
                         value="assumption", ge=100, le=5_000_000)
    population: float = P(1_000_000.0,
                          "People the simulated civilians stand for; one civilian stands for "
                          "population / n_civilians people", "people", "assumption",
                          value="scenario", gt=0, le=1e10)


class SpaceParams(Section):
    width: int = P(4, "Districts along the x axis of the district grid", "districts",
                   "assumption", value="scenario", ge=1, le=32)
    height: int = P(4, "Districts along the y axis of the district grid", "districts",
                    "assumption", value="scenario", ge=1, le=32)
    segregation: float = P(0.6, "How concentrated each group is in its home districts "
                           "(0 fully mixed, 1 each group only in its own districts)", "fraction",
                           "assumption", value="scenario", ge=0, le=1)


class NetworkParams(Section):
    degree: int = P(8, "Social ties per civilian", "ties", "assumption",
                    value="assumption", ge=1, le=64)
    homophily: float = P(0.85, "Probability that a tie is drawn from one's own identity group; "
                         "the others are drawn from everyone, so the realized in-group share "
                         "is higher (information diffuses mostly within groups)", "probability",
                         "assumption", value="assumption", ge=0, le=1)
    distant_ties: float = P(0.1, "Probability that a tie is drawn from the whole country rather "
                            "than one's district", "probability", "assumption",
                            value="assumption", ge=0, le=1)


class GroupParams(Section):
    name: str = Field(min_length=1, max_length=40, description="Group name, unique")
    share: float = P(..., "Share of the population", "fraction", "assumption",
                     value="scenario", gt=0, le=1)
    economic_status: float = P(0.5, "Relative access to income, land and services; gaps between "
                               "groups are the horizontal inequality of R14 §8, §41–42",
                               "level", "R14 §8, §42", value="scenario", ge=0, le=1)
    leader_extremism: float = P(0.2, "Initial stance of the group's leader, moderate (0) to "
                                "extremist (1)", "level", "R14 §9", value="scenario", ge=0, le=1)
    excludes: list[str] = P([], "Groups the leader's exclusionary ideology targets; empty means "
                            "no exclusionary ideology", "group names", "R14 §8, §9",
                            value="scenario")


class GovernmentParams(Section):
    ruling_group: str = P(..., "The group that controls the state", "group name", "assumption",
                          value="scenario")
    political_will: float = P(0.5, "Will of the authorities to protect all groups (Pillar I)",
                              "level", "R14 §1, §16", value="scenario", ge=0, le=1)
    inclusiveness: float = P(0.4, "Inclusiveness of governance towards groups other than the "
                             "ruling one (minority rights, power sharing)", "level",
                             "R14 §41–42", value="scenario", ge=0, le=1)
    complicity: float = P(0.2, "Baseline willingness of the state to use force against the "
                          "groups its ruling leader excludes", "level", "R14 §76, R16 §12, §27",
                          value="scenario",
                          ge=0, le=1)
    regime_threat_response: float = P(0.8, "Rise of state complicity per unit of armed threat "
                                      "(armed groups that target the ruling group), scaled by the "
                                      "ruling leader's extremism", "level / level", "R16 §12",
                                      value="assumption",
                                      ge=0, le=5)
    complicity_rate: float = P(0.08, "Speed at which complicity adjusts to its target (before v2 "
                               "the leaders' `information.leader_rate`)", "fraction / month",
                               "assumption", value="assumption", gt=0, le=1)
    threat_scale: float = P(0.02, "Armed strength aimed at the ruling group (members times "
                            "their multiplier), as a share of the population, at which the "
                            "regime's threat is full: threat = min(1, strength / (this × n))",
                            "fraction of population", "R16 §12", value="assumption", gt=0, le=1)
    will_rate: float = P(0.05, "Speed at which political will adjusts to its target (the "
                         "scenario's political_will, moved by pressure, threat and complicity)",
                         "fraction / month", "R14 §16", value="assumption", ge=0, le=1)
    will_pressure: float = P(0.3, "Rise of the will target per unit of international pressure "
                             "felt (scrutiny, sanctions, prosecution: the costs of violence "
                             "to the regime)", "level / pressure", "R14 §31–38; R16 §45–47",
                             value="assumption", ge=0, le=5)
    will_threat: float = P(0.2, "Rise of the will target per unit of armed threat to the "
                           "ruling group, times (1 − the ruling leader's extremism): for a "
                           "moderate ruler the violence is a cost to end; an extremist one turns "
                           "complicit instead", "level / level", "R16 §12",
                           value="assumption", ge=0, le=5)
    will_complicity: float = P(1.0, "Fall of the will target per unit of complicity above its "
                               "initial level (the regime's interest in the violence)",
                               "level / level", "R14 §76; R16 §12", value="assumption", ge=0,
                               le=5)
    complicity_pressure: float = P(0.2, "Fall of the complicity target per unit of "
                                   "international pressure felt", "level / pressure",
                                   "R14 §31–35; R16 §45–52", value="assumption", ge=0, le=5)


class InstitutionParams(Section):
    capacity: float = P(0.5, "Capacity of this brake", "level", "R14 §43",
                        value="scenario", ge=0, le=1)
    integrity: float = P(0.5, "Independence from capture by the government or a faction",
                         "level", "R14 §43, §48", value="scenario", ge=0, le=1)
    investment: float | None = P(None, "Domestic investment, the capacity it sustains; "
                                 "default: equal to the initial capacity (a steady state)",
                                 "level", "R14 §40", value="scenario", ge=0, le=1)


class SecuritySectorParams(InstitutionParams):
    professionalism: float = P(0.5, "Discipline, training in rules of engagement and "
                               "accountability of the security forces; with integrity it decides "
                               "whether capacity protects or perpetrates", "level",
                               "R14 §44–45, §76", value="scenario", ge=0, le=1)
    forces: float = P(4.0, "Security forces (police, gendarmerie, army) per 1,000 people at "
                      "full capacity; capacity × this is the force the state fields, split "
                      "into a lawful part that protects and a complicit part that threatens "
                      "civilians (violence.deterrence)", "people / 1,000 people",
                      "R14 §44–45", value="assumption", gt=0, le=100)


class InstitutionsParams(Section):
    security_sector: SecuritySectorParams = P(SecuritySectorParams(),
                                              "(a) professional, accountable security sector",
                                              "section", "R14 §44–45", value="section")
    electoral_body: InstitutionParams = P(InstitutionParams(),
                                          "(b) impartial institutions for political transitions",
                                          "section", "R14 §46–47", value="section")
    judiciary: InstitutionParams = P(InstitutionParams(),
                                     "(c) independent judiciary and human-rights institutions",
                                     "section", "R14 §48–50", value="section")
    early_warning: InstitutionParams = P(InstitutionParams(),
                                         "(d) capacity to assess risk and mobilize early response",
                                         "section", "R14 §51–52", value="section")
    local_peace: InstitutionParams = P(InstitutionParams(),
                                       "(e) local capacity to resolve conflict", "section",
                                       "R14 §53–54", value="section")
    media: InstitutionParams = P(InstitutionParams(),
                                 "(f) media able to counter prejudice and hate speech", "section",
                                 "R14 §55–56", value="section")
    transitional_justice: InstitutionParams = P(InstitutionParams(),
                                                "(g) effective, legitimate transitional justice",
                                                "section", "R14 §57–58", value="section")
    growth_rate: float = P(0.05, "Speed at which capacity approaches a higher investment level",
                           "fraction / month", "R14 §40", value="assumption", gt=0, le=1)
    decay_rate: float = P(0.02, "Speed at which capacity decays to a lower investment level",
                          "fraction / month", "assumption", value="assumption", gt=0, le=1)
    capture_rate: float = P(0.02, "Speed at which integrity falls as complicity rises above its "
                            "initial level (capture)",
                            "fraction / month", "R14 §48", value="assumption", ge=0, le=1)
    justice_delay: float = P(12.0, "Time constant of the justice system: impunity follows "
                             "brake strength with this lag", "months", "R14 §48, §57",
                             value="assumption", ge=1,
                             le=120)
    impunity_judiciary: float = P(0.7, "Weight of the judiciary's strength in the justice "
                                  "that lowers impunity: impunity tends to 1 − (this × S_judiciary "
                                  "+ impunity_transitional_justice × S_transitional_justice)",
                                  "level / level", "R14 §48–50", value="assumption", ge=0, le=1)
    impunity_transitional_justice: float = P(0.3, "Weight of transitional justice's strength in "
                                             "the justice that lowers impunity (with "
                                             "impunity_judiciary, at most 1 in all)",
                                             "level / level", "R14 §57–58",
                                             value="assumption", ge=0, le=1)

    @model_validator(mode="after")
    def _weights(self) -> InstitutionsParams:
        if self.impunity_judiciary + self.impunity_transitional_justice > 1.0 + 1e-9:
            raise ValueError("impunity_judiciary + impunity_transitional_justice: the weights "
                             "must sum to at most 1 (impunity stays on [0, 1])")
        return self


class ArmedGroupParams(Section):
    name: str = Field(min_length=1, max_length=40, description="Armed group name, unique")
    kind: Literal["state_militia", "rebel", "violent_extremist"] = P(
        ..., "State-affiliated militia, rebel group, or violent extremist group", "category",
        "R14 §9, R16 §9, §12, §27", value="scenario")
    base_group: str = P(..., "Identity group it recruits from", "group name", "R14 §9",
                        value="scenario")
    targets: list[str] = P(..., "Identity groups whose civilians it targets", "group names",
                           "R14 §10", value="scenario")
    recruit_share: float = P(0.5, "Share of its base group's mobilized civilians who join it",
                             "fraction", "assumption", value="assumption", ge=0, le=1)
    lethality: float = P(0.02, "Deliberate civilian killings per armed member per month at full "
                         "intent and no protection", "killings / member / month", "assumption",
                         value="assumption",
                         ge=0, le=1)
    external_support: float = P(0.0, "Arms and money from an external sponsor, as a "
                                "multiplier on its strength", "multiplier", "R16 §30",
                                value="scenario", ge=0, le=10)


EventKind = Literal["election", "coup", "economic_shock", "spillover"]


class ScheduledEvent(Section):
    kind: EventKind = P(..., "Kind of triggering event", "category", "R14 §9, R16 §28",
                        value="scenario")
    month: int = P(..., "Month it happens", "month", "scenario input", value="scenario", ge=1,
                   le=1200)
    magnitude: float = P(1.0, "Strength of the trigger", "multiplier", "assumption",
                         value="scenario", ge=0, le=5)


class EventParams(Section):
    scheduled: list[ScheduledEvent] = P([], "Scheduled events (elections and other transitions)",
                                        "list", "R14 §9, §46–47", value="scenario")
    coup_hazard: float = P(
        0.0019, "Base probability of a coup per month, raised by violence and lowered by an "
        "accountable security sector; at the default integrity (0.5) and no violence it is the "
        "record's rate of a new coup attempt in years without mass killing",
        "probability / month", "R16 §12, §28",
        value="cited: Early Warning Project record, escalation-sim record coups: a new coup "
        "attempt in 2.27 % [1.78, 2.83] of country-years without an ongoing mass killing, "
        "0.00191 a month", ge=0, le=1)
    shock_hazard: float = P(0.01, "Probability of an economic shock per month", "probability / "
                            "month", "R14 §8", value="assumption", ge=0, le=1)
    spillover_hazard: float = P(0.005, "Probability per month that a neighbour's conflict spills "
                                "over (arms, fighters)", "probability / month",
                                "R16 §11", value="assumption", ge=0, le=1)
    trigger_decay: float = P(0.85, "Share of a trigger's heat left after one month",
                             "fraction / month", "assumption", value="assumption", ge=0, lt=1)
    election_heat: float = P(0.2, "Heat of an election held by a fully trusted electoral body, "
                             "per unit of magnitude", "heat", "R14 §46–47",
                             value="assumption", ge=0, le=5)
    election_distrust: float = P(0.8, "Extra heat of a contested election per unit of distrust "
                                 "of the electoral body (1 − its strength), per unit of magnitude",
                                 "heat", "R14 §46–47", value="assumption", ge=0, le=5)
    election_accepted: float = P(0.4, "Share of that extra heat an accepted (uncontested) "
                                 "election still brings", "fraction", "R14 §46–47",
                                 value="assumption", ge=0,
                                 le=1)
    election_grievance: float = P(0.3, "Grievance shock to every group out of power from a "
                                  "contested election, per unit of magnitude and of distrust",
                                  "level", "R14 §8, §46–47", value="assumption", ge=0, le=5)
    coup_violence: float = P(
        1.25, "Rise of the coup hazard with violence: the hazard is multiplied by 1 + this × "
        "the atrocity score. The record's 'mass killing ongoing' is read as the model's mean "
        "atrocity score in months of its own episodes (0.598 over the 1,037 episode months of "
        "60 runs each of default, security_split, coup_polarization and state_perpetrator, "
        "seed 0, with coup_violence 0.99, 2026-12-03: escalation-sim record coups --scenario "
        "default --scenario security_split --scenario coup_polarization --scenario "
        "state_perpetrator --runs 60 --seed 0) and 'none' as a score of 0 (a judgement)",
        "multiplier / score", "R16 §12, §28",
        value="cited: Early Warning Project record, escalation-sim record coups: new coup "
        "attempts 1.75 [1.15, 2.54] times as frequent with a mass killing ongoing; "
        "(1.75 − 1) / 0.598", ge=0, le=50)
    coup_integrity: float = P(1.5, "Coup hazard factor: the hazard is multiplied by this − the "
                              "security sector's integrity (an accountable force resists)",
                              "level", "R16 §12, §28", value="assumption", ge=1, le=5)
    coup_capture: float = P(0.5, "Share of the security sector's integrity a coup destroys",
                            "fraction", "R16 §12, §28", value="assumption", ge=0, le=1)
    coup_will: float = P(0.6, "Share of the state's political will that survives a coup (the "
                         "loss fades over coup_memory_months)",
                         "fraction", "R16 §12, §28", value="assumption", ge=0, le=1)
    coup_complicity: float = P(0.3, "Rise of the baseline of complicity after a coup, per unit "
                               "of magnitude; it fades over coup_memory_months", "level",
                               "R16 §12, §28", value="assumption", ge=0, le=1)
    coup_memory_months: float = P(
        106.0, "Months over which a coup's legacy (its share of political will lost and its "
        "rise of the complicity baseline) fades to 1/e: a coup this long ago acts at 37 % of a "
        "coup now. The same for a coup during the run and one in the country's past "
        "(history.coup_months_ago). The value reads the mean life of a military regime as the "
        "mean of an exponential survival: 8.8 years × 12", "months",
        "R16 §12, §28; Geddes 1999", value="cited: Geddes 1999, Annual Review of Political "
        "Science 2: military regimes last 8.8 years on average", gt=0, le=600)
    coup_reform: float = P(0.0, "Probability that a coup brings a regime that turns against "
                           "the campaign: the baseline of complicity then falls by "
                           "coup_complicity (instead of rising) and political will is not cut; "
                           "drawn from the event's own uniform; 0: every coup raises complicity",
                           "probability", "Valentino 2004; Conley-Zilkic (ed.) 2016 (regime "
                           "change as one way mass killings end)", value="assumption", ge=0,
                           le=1)
    coup_reform_atrocity: float = P(0.0, "Rise of that probability per unit of the atrocity "
                                    "score when the coup happens: the costlier the campaign, "
                                    "the likelier officers turn against it (clipped at 1); 0: "
                                    "the probability is coup_reform whatever the violence",
                                    "probability / score", "assumption", value="assumption",
                                    ge=0, le=1)
    settlement_hazard: float = P(0.0, "Monthly probability of a negotiated settlement in a "
                                 "mutually hurting stalemate, at full regime threat and full "
                                 "harm to the insurgents' group: the probability is this × "
                                 "threat × the insurgents' group's harm (saturating at "
                                 "violence.revenge_half, as reprisal does); 0 switches it off",
                                 "probability / month", "Zartman 1989 (ripeness, the mutually "
                                 "hurting stalemate)", value="assumption", ge=0, le=1)
    settlement_inclusion: float = P(0.3, "Rise of the government's inclusiveness with a "
                                    "settlement (power sharing)", "level",
                                    "Hartzell & Hoddie 2003", value="assumption", ge=0, le=1)
    shock_heat: float = P(0.3, "Heat of an economic shock, per unit of magnitude", "heat",
                          "R14 §8", value="assumption", ge=0, le=5)
    shock_stress: float = P(0.5, "Economic stress from an economic shock, per unit of magnitude "
                            "(stress amplifies the grievance of horizontal inequality: × (1 + "
                            "stress))", "level", "R14 §8", value="assumption", ge=0, le=5)
    spillover_heat: float = P(0.5, "Heat of a spill-over from a neighbouring conflict, per unit "
                              "of magnitude", "heat", "R16 §11", value="assumption", ge=0, le=5)
    spillover_arms: float = P(0.5, "Arms and fighters every armed group gains from a spill-over, "
                              "per unit of magnitude (added to its multiplier; decays at "
                              "violence.arms_decay)", "multiplier", "R16 §11",
                              value="assumption", ge=0, le=10)


class InformationParams(Section):
    """Leaders' stance and hate speech, the media brake, diffusion over ties (step
    ``information``)."""

    propaganda_base: float = P(0.6, "Hate speech a fully extremist, exclusionary leader emits "
                               "in calm times", "level", "R14 §9", value="assumption", ge=0, le=1)
    propaganda_trigger: float = P(0.8, "Extra hate speech per unit of trigger heat",
                                  "level / heat", "R14 §9", value="assumption", ge=0, le=5)
    media_damping: float = P(0.8, "Share of hate speech a full-capacity, independent media and "
                             "counter-speech neutralize", "fraction", "R14 §55–56",
                             value="assumption", ge=0, le=1)
    exposure_rate: float = P(0.25, "Share of exposure renewed each month", "fraction / month",
                             "assumption", value="assumption", gt=0, le=1)
    peer_weight: float = P(0.5, "Weight of ties against the leader's own voice in exposure",
                           "fraction", "assumption", value="assumption", ge=0, le=1)
    outbidding: float = P(0.5, "Pull of the group's grievance, fear and trigger heat on its "
                          "leader's extremism (ethnic outbidding)", "level / level",
                          "R14 §9; Rabushka & Shepsle 1972", value="assumption", ge=0, le=5)
    moderation: float = P(0.6, "Pull of inclusive governance on leaders towards moderation",
                          "level / level", "R14 §41–42", value="assumption", ge=0, le=5)
    leader_rate: float = P(0.08, "Speed at which leaders' stance adjusts", "fraction / month",
                           "assumption", value="assumption", gt=0, le=1)
    heat_pressure_inclusive: float = P(0.5, "Weight of trigger heat in the pressure on a "
                                       "leader without exclusionary ideology (1 for an "
                                       "exclusionary one)", "level / heat", "R14 §9",
                                       value="assumption", ge=0,
                                       le=1)
    emission_inclusive: float = P(0.3, "Hate speech of a leader without exclusionary ideology "
                                  "(mobilizing rhetoric aimed at no group), relative to an "
                                  "exclusionary leader's", "fraction", "R14 §9",
                                  value="assumption", ge=0, le=1)


class MobilizationParams(Section):
    """Civilians' grievance, fear, radicalization and threshold mobilization (step
    ``mobilization``)."""

    w_inequality: float = P(0.8, "Grievance from horizontal inequality", "level / level",
                            "R14 §8, §41", value="assumption", ge=0, le=5)
    w_discrimination: float = P(0.5, "Grievance from political exclusion", "level / level",
                                "R14 §8, §42", value="assumption", ge=0, le=5)
    w_victimization: float = P(3.0, "Grievance from victimization of one's group in one's "
                               "district", "level / level", "R14 §10",
                               value="assumption", ge=0, le=20)
    w_impunity: float = P(0.3, "Grievance from impunity", "level / level", "R14 §57",
                          value="assumption", ge=0, le=5)
    grievance_rate: float = P(0.1, "Speed at which grievance approaches its target",
                              "fraction / month", "assumption", value="assumption", gt=0, le=1)
    fear_victimization: float = P(6.0, "Fear from violence against one's group nearby",
                                  "level / level", "R14 §10", value="assumption", ge=0, le=50)
    fear_threat: float = P(0.4, "Fear from hate speech directed at one's group", "level / level",
                           "R14 §9", value="assumption", ge=0, le=5)
    fear_coup: float = P(0.0, "Fear among the groups out of power after a coup that raised "
                         "complicity, per unit of the coup's strength (its magnitude, 1 for a "
                         "random coup and a coup in the country's past at the time, fading over "
                         "events.coup_memory_months; a later coup's replaces it): those outside "
                         "the new regime fear it, excluded or not, and fear's road to armed "
                         "self-protection opens where no group is excluded (fear also feeds "
                         "the leaders' outbidding and flight). 0 switches it off",
                         "level / coup strength",
                         "Harff 2003 (political upheaval); R16 §12, §28", value="assumption",
                         ge=0, le=5)
    fear_rate: float = P(0.3, "Speed at which fear approaches its target", "fraction / month",
                         "assumption", value="assumption", gt=0, le=1)
    radicalization_rate: float = P(0.06, "Speed at which radicalization rises to its target",
                                   "fraction / month", "assumption", value="assumption", ge=0, le=1)
    deradicalization_rate: float = P(0.02, "Speed at which radicalization falls to its target",
                                     "fraction / "
                                     "month", "assumption", value="assumption", ge=0, le=1)
    w_peer: float = P(0.3, "Pull of mobilized ties on mobilization (Granovetter thresholds)",
                      "level / fraction", "Granovetter 1978", value="assumption", ge=0, le=5)
    w_self_protection: float = P(0.5, "Push of fear towards armed self-protection", "level / level",
                                 "R14 §10", value="assumption", ge=0, le=5)
    w_deterrence: float = P(0.6, "Deterrence of expected punishment on mobilization",
                            "level / level", "R14 §44, §48; Epstein 2002",
                            value="assumption", ge=0, le=5)
    w_grievance: float = P(0.4, "Direct pull of grievance (exclusion, inequality, "
                           "victimization) on mobilization, whatever the hate speech: the "
                           "grievance road", "level / level",
                           "Gurr 1970; Cederman, Gleditsch & Buhaug 2013",
                           value="assumption", ge=0, le=5)
    fear_armed: float = P(0.5, "Fear from armed men nearby who target one's group, before "
                          "anyone is killed (the security dilemma)", "level / level",
                          "Posen 1993; R14 §10", value="assumption", ge=0, le=5)
    menace_half: float = P(0.01, "Intent-weighted hostile fighters per person of one's cell at "
                           "which the armed-menace term of fear is one half",
                           "fighters / person", "assumption", value="assumption", gt=0, le=1)
    weariness_fade: float = P(0.01, "Speed at which war-weariness fades once the burden of the "
                              "war is below it (slower than it builds: societies remember)",
                              "fraction / month", "assumption", value="assumption", ge=0, le=1)
    weariness_half: float = P(0.03, "Share of a group's members under arms at which the burden "
                              "of the war on it is one half", "fraction", "assumption",
                              value="assumption", gt=0, le=1)
    w_opportunity: float = P(0.4, "Pull of an armed group of one's own group that pays and arms "
                             "its recruits (times the group's poverty and the armed groups' "
                             "reach): the opportunity road", "level / level",
                             "Collier & Hoeffler 2004; Weinstein 2007",
                             value="assumption", ge=0, le=5)
    w_weariness: float = P(3.0, "Push of a group's war-weariness against mobilization "
                           "(exhaustion)", "level / level", "Zartman 2000 (hurting stalemate)",
                           value="assumption", ge=0, le=20)
    weariness_rate: float = P(0.03, "Speed at which a group's war-weariness rises towards the "
                              "burden of the war on it, its share under arms saturating at "
                              "weariness_half (slow: it builds over years)",
                              "fraction / month", "assumption", value="assumption", ge=0, le=1)
    threshold_mean: float = P(1.45, "Mean mobilization threshold", "level", "assumption",
                              value="assumption",
                              ge=0, le=2)
    threshold_sd: float = P(0.3, "Spread of mobilization thresholds", "level", "assumption",
                            value="assumption",
                            ge=0, le=1)
    demobilization_margin: float = P(0.1, "Motive must fall this far below the threshold before "
                                     "a mobilized civilian stands down", "level", "assumption",
                                     value="assumption",
                                     ge=0, le=1)
    threshold_floor: float = P(0.05, "Lowest mobilization threshold (thresholds drawn below it "
                               "are raised to it)", "level", "assumption",
                               value="assumption", ge=0, le=2)
    radicalization_base: float = P(0.0, "Radicalization that sustained exposure produces at no "
                                   "grievance: the target is min(1, exposure × (this + "
                                   "grievance))", "level / exposure", "R14 §9",
                                   value="assumption", ge=0, le=2)
    initial_radicalization: float = P(0.1, "Civilians' initial radicalization is uniform on [0, "
                                      "this]", "level", "assumption",
                                      value="assumption", ge=0, le=1)
    risk_aversion_min: float = P(0.2, "Lowest risk aversion: civilians' risk aversion is uniform "
                                 "on [this, risk_aversion_max]", "level", "Epstein 2002",
                                 value="assumption",
                                 ge=0, le=1)
    risk_aversion_max: float = P(1.0, "Highest risk aversion", "level", "Epstein 2002",
                                 value="assumption", ge=0,
                                 le=2)
    punishment_security: float = P(0.5, "Weight of the security sector's lawful capacity "
                                   "(capacity × restraint) in the expected punishment of taking "
                                   "up arms", "level / level", "R14 §44; Epstein 2002",
                                   value="assumption",
                                   ge=0, le=1)
    punishment_judiciary: float = P(0.5, "Weight of the judiciary's strength in the expected "
                                    "punishment (with punishment_security, at most 1 in all)",
                                    "level / level", "R14 §48", value="assumption", ge=0, le=1)

    @model_validator(mode="after")
    def _consistent(self) -> MobilizationParams:
        if self.risk_aversion_min > self.risk_aversion_max:
            raise ValueError("risk_aversion_min: must not exceed risk_aversion_max "
                             f"({self.risk_aversion_max})")
        if self.punishment_security + self.punishment_judiciary > 1.0 + 1e-9:
            raise ValueError("punishment_security + punishment_judiciary: the weights must sum "
                             "to at most 1 (expected punishment stays on [0, 1])")
        return self


class ViolenceParams(Section):
    """Attacks, protection, killings, violations, displacement (step ``violence``)."""

    state_violence: float = P(0.004, "Civilian killings per month by a fully complicit, "
                              "unprofessional security sector, per mobilized civilian of an "
                              "excluded group in the district, plus 0.05 × hate speech against "
                              "the group per alive member", "killings / month",
                              "R14 §44, §76; R16 §27", value="assumption", ge=0, le=1)
    deterrence: float = P(2.3, "Deterrence constant k: in a district, protectors (international "
                          "troops and police, the lawful part of the security forces) stop the "
                          "share 1 − exp(−k × protectors / armed force) of the killings the "
                          "armed force there would commit (Epstein's arrest probability); 2.3 "
                          "stops 90 % at one protector per armed member", "1 / ratio",
                          "Epstein 2002; Hultman, Kathman & Shannon 2013",
                          value="assumption", ge=0, le=50)
    state_efficacy: float = P(0.2, "Deterrent weight of a consent-bound protector (peacekeepers, "
                              "police, the state's own lawful forces) against the state's forces "
                              "and state-affiliated militias, relative to against rebels and "
                              "extremists (1): local peacekeeping presence reduces rebel, not "
                              "government, killings of civilians", "fraction",
                              "Fjelde, Hultman & Nilsson 2019",
                              value="assumption", ge=0, le=1)
    defuse_strength: float = P(0.6, "Share of incidents full-capacity local dispute-resolution "
                               "bodies defuse", "fraction", "R14 §53–54",
                               value="assumption", ge=0, le=1)
    violations_per_killing: float = P(5.0, "Other serious violations (arrests, torture, sexual "
                                      "violence, destruction) per deliberate killing",
                                      "violations / killing", "R14 §9",
                                      value="assumption", ge=0, le=100)
    max_hazard: float = P(0.25, "Cap on a civilian's monthly probability of being killed",
                          "probability / month", "assumption", value="assumption", gt=0, le=1)
    victimization_memory: float = P(0.8, "Share of last month's victimization remembered",
                                    "fraction / month", "assumption",
                                    value="assumption", ge=0, lt=1)
    flee_fear: float = P(0.6, "Fear at which a civilian of risk aversion 0.5 flees (the "
                         "threshold scales with 1 / (0.5 + risk aversion))",
                         "level", "R14 §64", value="assumption", ge=0, le=2)
    refuge_margin: float = P(0.5, "A civilian flees to a neighbouring district only if its "
                             "expected killing rate is below (1 − this) times that of their "
                             "own: small differences keep people home", "fraction", "assumption",
                             value="assumption", ge=0, lt=1)
    return_fear: float = P(0.25, "Fear under which a displaced civilian returns home", "level",
                           "assumption", value="assumption", ge=0, le=2)
    spill: float = P(0.3, "Share of an armed group's members based in a district who act in its "
                     "neighbouring districts, spread evenly over them (operational reach)",
                     "fraction", "assumption", value="assumption", ge=0, le=1)
    state_violence_hate: float = P(0.05, "State violence against every member of an excluded "
                                   "group per unit of hate speech against it, as a share of that "
                                   "against each of its mobilized members", "fraction / hate",
                                   "R14 §9, §76", value="assumption", ge=0, le=1)
    state_orders: float = P(0.6, "State killings of every member of an excluded group per unit "
                            "of regime threat, ordered whatever the hate speech, as a share of "
                            "those of each of its mobilized members: the road of orders",
                            "fraction / threat", "Valentino 2004 (strategic logic); R14 §76",
                            value="assumption", ge=0, le=1)
    organized_at: float = P(0.0, "Killings per member and month of the state's violence "
                            "against a whole group (its hate and orders terms, with the "
                            "security sector's perpetration, before campaign exhaustion, "
                            "protection and local defusing) at and above which that killing is "
                            "organized, multiplied by organized_factor: killing a group is a "
                            "decision that brings its own apparatus, rather than a rate that "
                            "grows smoothly with hate and threat. 0 switches it off",
                            "killings / member / month",
                            "Valentino 2004 (mass killing as a leaders' strategy); Straus "
                            "2015 (the decision to destroy)", value="assumption", ge=0,
                            le=1e-3)
    organized_factor: float = P(5.0, "Multiplier of the state's killing of a whole group once "
                                "organized (organized_at); 1: organizing adds nothing",
                                "multiplier", "Valentino 2004; Straus 2015",
                                value="assumption", ge=1, le=100)
    repression: float = P(0.0, "Weight with which the state's violence targets a political "
                          "opposition: the groups its ruling leader does not exclude, other "
                          "than the ruling group, count in all of its violence with this "
                          "weight (an excluded group counts with 1): for them, the killing of "
                          "mobilized members and on orders, since hate speech is aimed only "
                          "at excluded groups; the road to mass killing that needs no "
                          "exclusion. 0 switches it off", "weight",
                          "R14 §10 (systematic targeting of a political opposition); "
                          "Valentino 2004 (political and counter-guerrilla mass killing)",
                          value="assumption", ge=0, le=1)
    purge: float = P(0.0, "State killings on orders after a coup that raised complicity, per "
                     "unit of the coup's strength (its magnitude, 1 for a random coup and a "
                     "coup in the country's past at the time, fading over "
                     "events.coup_memory_months; a later coup's replaces it), as a share of "
                     "those under full regime threat (this term adds to the threat, so the "
                     "two may exceed 1): a regime that came by coup kills those it sees as its "
                     "enemies whether or not they are armed, with the weights of the groups "
                     "it targets (excluded groups; an opposition only with repression above "
                     "0); the road of the purge. 0 switches it off",
                     "threat / coup strength",
                     "Harff 2003 (political upheaval); Valentino 2004 (political mass "
                     "killing); R16 §12, §28", value="assumption", ge=0, le=5)
    revenge: float = P(0.5, "Intent an armed group adds to its ideology's when its own group is "
                       "harmed (reprisal): this times the group's country-wide harm per person, "
                       "saturating at revenge_half", "intent", "R14 §10 (cycles of reprisal)",
                       value="assumption", ge=0, le=1)
    revenge_half: float = P(5e-5, "A group's country-wide harm (killings and violations, each "
                            "violations_per_killing violations weighing as one killing, per "
                            "person per month, smoothed) at which reprisal is one half",
                            "harm / person / month", "assumption", value="assumption", gt=0, le=1)
    arms_decay: float = P(0.97, "Share of an armed group's arms inflow (spill-over) left after "
                          "one month", "fraction / month", "R16 §11",
                          value="assumption", ge=0, le=1)
    victimization_half: float = P(0.002, "Victimization (harm per person of the cell per month, "
                                  "smoothed) at which the victimization index that drives "
                                  "grievance and fear is one half", "harm / person / month",
                                  "R14 §10", value="assumption", gt=0, le=1)
    flight_base: float = P(0.5, "Flight weight offset: a civilian flees when fear × (this + risk "
                           "aversion) exceeds flee_fear", "level", "R14 §64",
                           value="assumption", ge=0, le=2)
    counterinsurgency: float = P(0.0, "Counter-insurgency attrition: the monthly probability "
                                 "that the security forces detain a "
                                 "mobilized member of a group whose armed group targets the "
                                 "ruling group is this × r / (1 + r), r the ratio of the security "
                                 "forces present in the district (capacity × forces, lawful and "
                                 "complicit alike) to the armed members acting there (times "
                                 "their multiplier): an insurgency can be worn down and the "
                                 "regime's threat fall; 0 switches it off",
                                 "probability / month", "Lanchester 1916; Valentino 2004 "
                                 "(counter-guerrilla mass killing ends with the threat)",
                                 value="assumption", ge=0, le=1)
    detention: int = P(12, "Months an insurgent detained by counter-insurgency is held (cannot "
                       "mobilize; then released), in the manner of Epstein's jail term",
                       "months", "Epstein 2002", value="assumption", ge=1, le=240)
    exhaustion_half: float = P(1000.0, "Campaign exhaustion: a perpetrator's deliberate killings "
                               "are multiplied by H / (H + E), E its exhaustion (people: its "
                               "killings of noncombatants in its current campaign, added up "
                               "while the campaign goes on and forgotten once it is over) and H "
                               "the campaign's resolve, this times a draw of mean 1 "
                               "(exhaustion_spread); at E = H they are halved. The costs of a "
                               "campaign of mass killing — casualties, money, isolation, splits "
                               "among the perpetrator's elites — build up with its toll and turn "
                               "its leaders against going on; 0 switches it off. 1,000: of "
                               "200, 500 and 1,000 tried when exhaustion still faded over ten "
                               "years after a campaign and every campaign was alike, the one at "
                               "which security_split's median episode lasted 10.1 years (40 "
                               "runs of 480 months), inside the record's interval for the "
                               "median, 9-15 years (record targets); chosen by hand, not fitted, "
                               "and not re-chosen since (README, Episodes that end)", "people",
                               "Valentino 2004 (strategic logic: a campaign ends when its costs "
                               "outweigh its aims)", value="assumption", ge=0, le=1e7)
    exhaustion_start: float = P(1000.0, "A perpetrator's campaign, which tires it, begins when its "
                                "killings of noncombatants over the last outcomes.onset_window "
                                "months reach this (the scale the field calls mass killing: "
                                "below it, a first onset is untouched by exhaustion)", "people",
                                "Ulfelder & Valentino 2008 (the onset threshold)",
                                value="assumption", ge=0, le=1e9)
    exhaustion_stop: float = P(100.0, "A perpetrator's campaign ends when that count falls below "
                               "this; its exhaustion is then forgotten", "people", "assumption",
                               value="assumption", ge=0, le=1e9)
    exhaustion_spread: float = P(1.0, "Dispersion of campaigns' resolve: each campaign's H is "
                                 "exhaustion_half times a lognormal draw with mean 1 and this "
                                 "log-standard deviation, drawn when the campaign starts "
                                 "(leaders, aims and costs differ from one campaign to the "
                                 "next); 0: every campaign alike. 1: about two campaigns in "
                                 "three give up within a factor e of the typical toll (a round "
                                 "value, not fitted to the record's spread of durations)",
                                 "log-standard deviation", "Valentino 2004 (a campaign ends "
                                 "when its costs outweigh its aims, which differ by campaign)",
                                 value="assumption", ge=0, le=3)
    rate_window: float = P(3.0, "Smoothing of the killing and violation rates the indicators "
                           "read: each month they move 1 / this of the way to the month's rate",
                           "months", "assumption", value="assumption", ge=1, le=36)

    @model_validator(mode="after")
    def _campaign_stops_below_its_start(self) -> ViolenceParams:
        if self.exhaustion_stop > self.exhaustion_start:
            raise ValueError(f"exhaustion_stop: {self.exhaustion_stop:g} is above "
                             f"exhaustion_start ({self.exhaustion_start:g}); a campaign must "
                             "end below the level that starts it")
        return self


class StageParams(Section):
    risk_up: float = P(0.35, "Structural risk score at which stage 1 (general risk) begins",
                       "score", "R14 §8; Framework of Analysis RF1–6, 9",
                       value="assumption", ge=0, le=1)
    threat_up: float = P(0.45, "Threat score at which stage 2 (specific threat) begins",
                         "score", "R14 §9; Framework of Analysis RF4, 7–8, 10",
                         value="assumption", ge=0, le=1)
    atrocity_up: float = P(0.5, "Atrocity score at which stage 3 (imminent or ongoing) begins",
                           "score", "R14 §10; Framework of Analysis RF11–14 (attacks on civilians)",
                           value="assumption", ge=0, le=1)
    hysteresis: float = P(0.2, "A stage is left only when its score falls this share below the "
                          "entry threshold", "fraction", "assumption",
                          value="assumption", ge=0, lt=1)
    killing_scale: float = P(4e-5, "Killings per person per month at which the atrocity score "
                             "is one half", "killings / person / month", "assumption",
                             value="assumption", gt=0, le=1)
    observation_noise: float = P(0.1, "Noise of observed indicators with no early-warning "
                                 "capacity", "score s.d.", "R14 §51–52",
                                 value="assumption", ge=0, le=1)
    max_delay: int = P(6, "Delay of observed indicators with no early-warning capacity",
                       "months", "R14 §51–52, R16 §28", value="assumption", ge=0, le=36)
    armed_half: float = P(0.01, "Armed strength (members × multiplier) per civilian at which "
                          "the armed-conflict indicator (RF1) is one half", "members / civilian",
                          "Framework of Analysis RF1", value="assumption", gt=0, le=1)
    violations_half: float = P(5e-4, "Violation rate (per civilian per month, smoothed) at which "
                               "the violations-record indicator (RF2) is one half",
                               "violations / civilian / month", "Framework of Analysis RF2",
                               value="assumption",
                               gt=0, le=1)
    intent_half: float = P(0.01, "Intent-weighted armed strength per civilian at which its half "
                           "of the capacity-to-commit indicator (RF5) is one half",
                           "members / civilian", "Framework of Analysis RF5",
                           value="assumption", gt=0, le=1)
    heat_half: float = P(0.5, "Trigger heat at which the triggering-factors indicator (RF8) is "
                         "one half", "heat", "Framework of Analysis RF8",
                         value="assumption", gt=0, le=10)
    mobilized_half: float = P(0.02, "Share of the population mobilized at which the mobilization "
                              "indicator (RF7) is one half", "fraction",
                              "Framework of Analysis RF7", value="assumption", gt=0, le=1)


class OutcomeParams(Section):
    stop_hold: int = P(12, "Months at a lower stage after which escalation counts as stopped",
                       "months", "R16 §53–56", value="assumption", ge=1, le=120)
    onset_deaths: float = P(1000.0, "Deliberate killings of noncombatant civilians by one "
                            "perpetrator (the state or one armed group) within onset_window "
                            "months that make a mass-killing onset (the Early Warning Project "
                            "and Political Instability Task Force definition)", "people",
                            "Ulfelder & Valentino 2008", value=(
                                "cited: Ulfelder & Valentino 2008: 1,000 noncombatant "
                                "civilians killed by one perpetrator"), gt=0, le=1e9)
    onset_window: int = P(12, "Months over which a perpetrator's killings of noncombatants are "
                          "counted against onset_deaths", "months", "Ulfelder & Valentino 2008",
                          value="cited: Ulfelder & Valentino 2008: a period of a year or less",
                          ge=1, le=120)
    episode_end_deaths: float = P(100.0, "An episode ends when its perpetrator's killings of "
                                  "noncombatants over the last onset_window months fall below "
                                  "this; a new onset after that is a recurrence (a tenth of "
                                  "the onset level, so that an episode does not end and restart "
                                  "on noise around the threshold)", "people",
                                  "episode definition of the Early Warning Project",
                                  value="assumption", ge=0, le=1e9)

    @model_validator(mode="after")
    def _end_below_onset(self) -> OutcomeParams:
        if self.episode_end_deaths > self.onset_deaths:
            raise ValueError(f"episode_end_deaths: {self.episode_end_deaths:g} is above "
                             f"onset_deaths ({self.onset_deaths:g}); an episode must end below "
                             "the level that starts it")
        return self


class CouncilMember(Section):
    name: str = Field(min_length=1, max_length=40, description="Member name, unique")
    permanent: bool = P(False, "Permanent member with a veto", "yes/no", "R16 §15–16, §49",
                        value="scenario")
    backs: list[str] = P([], "Groups it shields: it may veto Security Council action against a "
                         "perpetrator of these groups", "group names", "R16 §15–16, §30",
                         value="scenario")
    veto_propensity: float = P(0.8, "Probability that a permanent member backing the "
                               "perpetrator vetoes a draft in a month it is tabled",
                               "probability / month", "R16 §16", value="assumption", ge=0, le=1)


class SponsorParams(Section):
    name: str = Field(min_length=1, max_length=40, description="Sponsor name, unique")
    backs: str = P(..., "Armed group it arms", "armed group name", "R16 §30", value="scenario")
    arms: float = P(0.5, "Arms and money it supplies, as an addition to the armed group's "
                    "strength multiplier (before denial of means)", "multiplier", "R16 §30",
                    value="scenario",
                    ge=0, le=10)
    start: int = P(1, "First month of support", "month", "scenario input", value="scenario", ge=1,
                   le=1200)


ACTORS: tuple[str, ...] = (
    "secretariat", "human_rights_office", "development", "refugee_agency", "humanitarian",
    "mediation_support", "peace_operations", "regional", "states", "council", "civil_society",
)
"""The international actors that deliver interventions (``by`` of a policy entry): the
Secretary-General and special advisers; the UN agencies; a regional organization; member states
acting bilaterally; the Security Council; local civil-society networks (R14 §20–27)."""


class ActorParams(Section):
    budget: float | None = P(None, "What the actor can spend per year on the interventions it "
                             "delivers; a month it cannot pay in full runs at the share it can "
                             "pay; none: not binding", "cost units / year",
                             "R14 §18, §75; R16 §14", value="scenario", ge=0, le=1e12)


class SecretariatParams(ActorParams):
    warning_threshold: float = P(0.4, "Attention at which the Secretary-General's special "
                                 "advisers issue a formal early warning", "attention level",
                                 "R14 §51–52; R16 §28–29", value="assumption", ge=0, le=1)
    warning_boost: float = P(0.2, "Attention every other actor gains from a formal warning",
                             "attention level", "R16 §28–29", value="assumption", ge=0, le=1)


class AgenciesParams(Section):
    human_rights_office: ActorParams = Field(ActorParams(), description="Human rights office "
                                             "(OHCHR; peer review, monitoring, transitional "
                                             "justice)")
    development: ActorParams = Field(ActorParams(), description="Development agencies (UNDP, "
                                     "World Bank; governance and brakes)")
    refugee_agency: ActorParams = Field(ActorParams(), description="Refugee agency (UNHCR)")
    humanitarian: ActorParams = Field(ActorParams(), description="Humanitarian agencies")
    mediation_support: ActorParams = Field(ActorParams(), description="Mediation support "
                                           "(DPA)")
    peace_operations: ActorParams = Field(ActorParams(), description="Peace operations "
                                          "(peacekeeping, police, security-sector support)")


class RegionalParams(ActorParams):
    present: bool = P(True, "A regional or sub-regional organization with a mandate in the "
                      "country", "yes/no", "R14 §24; R16 §59", value="scenario")
    consensus: float = P(0.7, "Probability per month that its members agree on a proposed "
                         "action when no member shields the perpetrator", "probability / month",
                         "R14 §24", value="assumption", ge=0, le=1)


class NeighbourParams(Section):
    name: str = Field(min_length=1, max_length=40, description="Neighbour name, unique")
    backs: list[str] = P([], "Groups it has a vested interest in: it obstructs regional action "
                         "against their side", "group names", "R14 §23", value="scenario")
    information: float = P(0.5, "What it knows first-hand (proximity), passed to the regional "
                           "organization: that organization sees this share of the true "
                           "situation instead of the observed one", "fraction", "R14 §23",
                           value="assumption", ge=0, le=1)
    obstruction: float = P(0.8, "Probability per month that a neighbour backing the "
                           "perpetrator blocks a regional decision", "probability / month",
                           "R14 §23", value="assumption", ge=0, le=1)


class CivilSocietyParams(ActorParams):
    presence: float = P(0.2, "Strength of local civil-society networks (human-rights defenders, "
                        "women's, youth and religious groups, local monitors) at the start",
                        "level", "R14 §27; R16 §51", value="scenario", ge=0, le=1)
    warning_weight: float = P(0.5, "Share of the early-warning gap that local reports close at "
                              "full presence: early warning works with strength "
                              "1 − (1 − s_d)(1 − warning_weight × presence)", "fraction",
                              "R14 §27, §51–52", value="assumption", ge=0, le=1)
    accountability: float = P(0.02, "Impunity reduction per month at full presence and a "
                              "violations indicator of 1 (documentation of violations)",
                              "impunity points / month", "R14 §27; R16 §51", value="assumption",
                              ge=0, le=1)
    suppression: float = P(0.05, "Rate at which a complicit state closes civic space: presence "
                           "falls by suppression × complicity × presence a month",
                           "fraction / month", "R14 §76", value="assumption", ge=0, le=1)
    recovery: float = P(0.02, "Rate at which presence recovers toward its initial level",
                        "fraction / month", "assumption", value="assumption", ge=0, le=1)


class InternationalParams(Section):
    council: list[CouncilMember] = Field([], max_length=15, description="Security Council "
                                         "members that matter for this country")
    sponsors: list[SponsorParams] = Field([], max_length=12, description="External sponsors")
    agenda_delay: int = P(2, "Months from a warning (a trigger) to the item being on the "
                          "agenda", "months",
                          "R16 §28–29 (warnings are acted on late); the only datum there, in "
                          "R16 §28, is one delay of 13 months from warning to decisive action "
                          "(Central African Republic: coup in March 2013, Security Council "
                          "authorization in April 2014), which this value does not use",
                          value="assumption", ge=0, le=60)
    resistance_delay: float = P(6.0, "Extra months before the agenda, times the state's "
                                "complicity, while the observed stage is below 3: states resist "
                                "being put on an agenda early", "months", "R14 §73",
                                value="assumption", ge=0,
                                le=60)
    perpetrator_complicity: float = P(0.5, "Complicity from which the ruling group counts as a "
                                      "perpetrator side (a Council member backing it may veto; a "
                                      "neighbour backing it obstructs)", "level",
                                      "R16 §15–16, §27", value="assumption", ge=0, le=1)
    council_attempts: int = P(12, "Months a Security Council draft, or a proposal to the "
                              "regional organization, stays tabled before it is abandoned",
                              "months", "R16 §49", value="assumption", ge=1, le=120)
    stage_cost: list[Annotated[float, Field(ge=0, le=1000)]] = P(
        [1.0, 1.0, 3.0, 10.0], "Multiplier of an intervention's monthly cost at true stage 0, 1, "
        "2 and 3: operating amid a specific threat or ongoing atrocities costs more (costs rise "
        "steeply with stage)", "multiplier per stage", "R14 §18", value="assumption",
        min_length=4, max_length=4)
    attention_rate: float = P(0.3, "Rate at which an actor's attention moves toward the "
                              "situation's salience (the higher of the observed threat and "
                              "atrocity scores, minus distraction)", "fraction / month",
                              "R16 §28–29", value="assumption", ge=0, le=1)
    attention_threshold: float = P(0.3, "Attention the delivering actor needs before a "
                                   "triggered response reaches its agenda", "attention level",
                                   "R16 §28–29", value="assumption", ge=0, le=1)
    distraction: float = P(0.0, "Competing crises elsewhere: subtracted from every actor's "
                           "salience", "attention level", "R14 §75; R16 §14", value="assumption",
                           ge=0, le=1)
    council_budget: float | None = P(None, "What member states will pay per year for Security "
                                     "Council (Pillar III) action (the Council's budget; its "
                                     "members are listed in `council`); none: not binding",
                                     "cost units / year", "R16 §14", value="scenario", ge=0,
                                     le=1e12)
    secretariat: SecretariatParams = Field(SecretariatParams(), description="Secretary-General "
                                           "and special advisers (good offices, early warning)")
    agencies: AgenciesParams = Field(AgenciesParams(), description="UN agencies")
    regional: RegionalParams = Field(RegionalParams(), description="Regional organization")
    states: ActorParams = Field(ActorParams(), description="Member states acting bilaterally "
                                "(arms embargoes, security-sector training)")
    neighbours: list[NeighbourParams] = Field([], max_length=12,
                                              description="Neighbouring states")
    civil_society: CivilSocietyParams = Field(CivilSocietyParams(),
                                              description="Local civil-society networks")
    prevention_funding: float = P(1.0, "Share of the requested intensity funded for an "
                                  "intervention decided before the observed stage reaches 3 "
                                  "(prevention is under-funded)", "fraction",
                                  "R14 §18, §75; R16 §14", value="assumption", ge=0, le=1)


class InterventionsBase(Section):
    """What the delivery of every kind shares; each kind's own coefficients (lag, cost, effect
    sizes) are a subsection named after it, declared in its catalogue class (``Params``)."""

    will_floor: float = P(0.3, "Share of its effect a will-scaled intervention keeps when the "
                          "state has no political will: the will factor is will_floor + "
                          "will_slope × political will", "fraction", "R14 §16",
                          value="assumption", ge=0, le=1)
    will_slope: float = P(0.7, "Rise of the will factor per unit of political will", "fraction",
                          "R14 §16", value="assumption", ge=0, le=1)
    consent_will: float = P(0.1, "Political will below which the state refuses even "
                            "non-intrusive help for its own institutions", "level", "R14 §15",
                            value="assumption", ge=0, le=1)
    consent_pressure: float = P(0.3, "Weight of the international pressure the regime feels "
                                "in its consent: it consents when political will + this × "
                                "pressure passes the threshold (consent_will, or complicity for "
                                "intrusive tools)", "level / pressure", "R14 §15, §76",
                                value="assumption", ge=0, le=5)
    unarmed_weight: float = P(0.1, "Deterrent weight of an unarmed protection worker "
                              "(humanitarian and refugee protection staff) relative to an armed "
                              "soldier", "fraction", "R14 §61(d–e); Hultman, Kathman & Shannon "
                              "2013 (unarmed observers do not reduce killings)",
                              value="assumption", ge=0, le=1)
    worst_share: float = P(0.25, "Share of districts, the most victimized, that peacekeeping "
                           "and authorized force protect (at least one district), re-targeted "
                           "monthly", "fraction", "R14 §67–69 (rapid reaction)",
                           value="assumption", gt=0, le=1)


InterventionsParams: type[InterventionsBase] = create_model(
    "InterventionsParams", __base__=InterventionsBase,
    __doc__="The delivery's shared coefficients and one section per catalogue kind.",
    **{kind: (c.Params, P(c.Params(), f"Coefficients of `{kind}` ({c.paragraph}): lag, cost "
                          "and effect sizes (docs/interventions.md)", "section", c.paragraph,
                          value="section"))
       for kind, c in CATALOGUE.items()})


class InterventionSpec(Section):
    kind: str = P(..., "Intervention from the catalogue (docs/interventions.md)", "name",
                  "R14 §28–69", value="policy")
    start: int = P(1, "First month it may start (decision month for a fixed schedule)", "month",
                   "policy input", value="policy", ge=1, le=1200)
    trigger_stage: int | None = P(None, "If set, start only once the observed stage has been at "
                                  "least this for trigger_months consecutive months",
                                  "stage", "R16 §28–29", value="policy", ge=1, le=3)
    trigger_months: int = P(1, "Months the trigger condition must hold", "months",
                            "R16 §28–29", value="policy", ge=1, le=120)
    duration: int | None = P(None, "Months of effect before it ends; none: to the end of the "
                             "run", "months", "R16 §53–56", value="policy", ge=1, le=1200)
    intensity: float = P(1.0, "Scale of the effort (effect and cost)", "multiplier",
                         "assumption", value="policy", ge=0, le=5)
    by: str | None = P(None, "The actor that delivers it, one of the kind's deliverers "
                       "(docs/interventions.md); none: the kind's first deliverer", "actor name",
                       "R14 §20–27", value="policy")

    @model_validator(mode="after")
    def _known_kind(self) -> InterventionSpec:
        if self.kind not in CATALOGUE:
            hint = difflib.get_close_matches(self.kind, list(CATALOGUE), n=1)
            raise ValueError(f"kind: unknown intervention {self.kind!r}" + (
                f"; did you mean {hint[0]!r}?" if hint else
                f"; the catalogue has {', '.join(CATALOGUE)}"))
        actors = CATALOGUE[self.kind].actors
        if self.by is not None and self.by not in actors:
            hint = difflib.get_close_matches(self.by, ACTORS, n=1)
            raise ValueError(f"by: {self.by!r} does not deliver {self.kind}; its deliverers "
                             f"are {', '.join(actors)}" + (
                                 f" (did you mean {hint[0]!r}?)" if hint and hint[0] in actors
                                 else ""))
        return self


class AdaptiveParams(Section):
    every: int = P(6, "Months between reviews of the observed indicators", "months",
                   "R14 §19, §40", value="policy", ge=1, le=120)
    slots: int = P(3, "Most interventions the rule keeps deployed at once", "interventions",
                   "R14 §18, §75", value="policy", ge=1, le=12)
    threshold: float = P(0.4, "Observed indicator level that calls for a response; a response "
                         "ends when its indicator falls below release × threshold",
                         "indicator level", "assumption", value="policy", ge=0, le=1)
    release: float = P(0.75, "A response ends when its indicator falls below this × threshold "
                       "(hysteresis of the rule)", "fraction", "assumption", value="policy",
                       ge=0, le=1)
    intensity: float = P(1.0, "Intensity of each intervention the rule deploys", "multiplier",
                         "assumption", value="policy", ge=0, le=5)


class PolicyParams(Section):
    description: str = Field("", description="What the policy is meant to test")
    interventions: list[InterventionSpec] = Field([], description="Interventions it deploys")
    adaptive: AdaptiveParams | None = Field(None, description="An adaptive rule: review the "
                                            "observed indicators every few months and re-target "
                                            "(flexibility, R14 §19)")
    budget: float | None = P(None, "Total cost the policy may spend; interventions stop when "
                             "it is exhausted", "cost units", "R14 §18, §75",
                             value="policy", ge=0, le=1e12)


def _key_parameter_problem(scenario: BaseModel, path: str) -> str:
    """Why ``path`` cannot be a key parameter of ``scenario`` ("" if it can): it must name a
    number (not a list item) with both bounds declared."""
    obj, parts = scenario, path.split(".")
    for i, part in enumerate(parts):
        fields = type(obj).model_fields if isinstance(obj, BaseModel) else {}
        if part not in fields:
            return "is not a parameter of the scenario"
        value = getattr(obj, part)
        if i < len(parts) - 1:
            obj = value
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "is not a number (a slider needs one)"
        bounds = [m for m in fields[part].metadata
                  if getattr(m, "ge", None) is not None or getattr(m, "le", None) is not None
                  or getattr(m, "gt", None) is not None or getattr(m, "lt", None) is not None]
        low = any(getattr(m, "ge", None) is not None or getattr(m, "gt", None) is not None
                  for m in bounds)
        high = any(getattr(m, "le", None) is not None or getattr(m, "lt", None) is not None
                   for m in bounds)
        if not (low and high):
            return "has no declared lower and upper bound (a slider needs both)"
    return ""
class HistoryParams(Section):
    """The country's past at month 0 (model v2, part 6): a prior mass-killing episode, an ongoing
    armed conflict, a recent coup. The past acts only through mechanisms — the victims' memory
    of it (grievance and fear), the perpetrator's organisation (arms) or impunity, armed groups'
    arms, a captured security sector — never on an outcome (step ``history``)."""

    prior_episode_years_ago: float | None = P(
        None, "Years since the last mass-killing episode ended (0: it ended as the run starts); "
        "none: no episode in memory", "years", "Harff 2003; EWP (prior mass killing is the "
        "strongest predictor of the next)", value="scenario", ge=0, le=200)
    prior_episode_deaths: float = P(0.0, "People killed in that episode", "people",
                                    "scenario input", value="scenario", ge=0, le=1e9)
    prior_victims: str | None = P(None, "Group the episode's victims belonged to", "group name",
                                  "scenario input", value="scenario")
    prior_perpetrator: str | None = P(None, "Who killed them: 'state' or an armed group's name",
                                      "name", "scenario input", value="scenario")
    battle_deaths: float = P(0.0, "Battle deaths a year in an armed conflict going on as the run "
                             "starts (0: none)", "people / year", "EWP predictor battledeaths; "
                             "Framework of Analysis RF1", value="scenario", ge=0, le=1e8)
    coup_months_ago: int | None = P(None, "Months since a coup; none: no coup in memory",
                                    "months", "EWP predictor coup.try.5yr; R16 §12",
                                    value="scenario", ge=0, le=600)
    memory_half: float = P(0.01, "Share of a group killed in a past episode at which its memory "
                           "of it (fresh) is one half", "fraction of the group", "assumption",
                           value="assumption", gt=0, le=1)
    memory_years: float = P(20.0, "Years over which the memory of an episode fades to 1/e "
                            "(also during the run)", "years", "assumption", value="assumption",
                            gt=0, le=200)
    w_memory: float = P(0.3, "Grievance of the victims' group per unit of its memory of past "
                        "atrocity", "level / level", "R14 §57 (legacies of past abuses)",
                        value="assumption", ge=0, le=5)
    fear_memory: float = P(0.3, "Fear of the victims' group per unit of its memory of past "
                           "atrocity", "level / level", "R14 §10", value="assumption", ge=0, le=5)
    legacy_arms: float = P(0.5, "Arms an armed perpetrator keeps from the episode (its "
                           "multiplier rises by this times the memory; arms then decay as any)",
                           "multiplier", "assumption", value="assumption", ge=0, le=10)
    legacy_impunity: float = P(0.3, "Impunity a state perpetrator's episode leaves at month 0 "
                               "(times the memory and the share transitional justice has not "
                               "dealt with); it then returns to what the judiciary and "
                               "transitional justice sustain, with justice_delay", "level",
                               "R14 §57–58", value="assumption", ge=0, le=1)
    conflict_half: float = P(1e-4, "Battle deaths per person per year at which an ongoing "
                             "conflict's intensity is one half", "deaths / person / year",
                             "assumption", value="assumption", gt=0, le=1)
    conflict_arms: float = P(0.5, "Arms each armed group starts with in an ongoing conflict (its "
                             "multiplier rises by this times the intensity)", "multiplier",
                             "assumption", value="assumption", ge=0, le=10)
    conflict_fear: float = P(0.3, "Memory of violence an ongoing conflict gives each group an "
                             "armed group targets (times the intensity)", "level",
                             "assumption", value="assumption", ge=0, le=1)

    @model_validator(mode="after")
    def _episode(self) -> HistoryParams:
        if self.prior_episode_deaths > 0 and self.prior_episode_years_ago is None:
            raise ValueError("prior_episode_deaths: set prior_episode_years_ago too (when the "
                             "episode ended)")
        if self.prior_episode_years_ago is not None and self.prior_victims is None:
            raise ValueError("prior_victims: name the group the episode's victims belonged to")
        return self


class SituationParams(Section):
    """What a scenario does not say about its situation (model v3: calibration). A scenario's
    values are read from coarse indicators (a profile's are binary codes and expert ratings), so
    it stands for a range of situations, not one: each run draws its own, around the scenario's
    values, from its own random stream (:mod:`escalation_sim.situation`)."""

    spread: float = P(0.0, "Standard deviation, on the log-odds scale, of each run's draw of the "
                      "government's complicity, inclusiveness and political will and of each "
                      "group's leader extremism and economic status around the scenario's "
                      "values (0: every run has the scenario's values exactly)", "log-odds",
                      "assumption (unobserved heterogeneity, as a random effect in a "
                      "regression)", value="assumption", ge=0, le=3)


class Scenario(Section):
    """A stylized country: the whole input of one run, apart from the seed."""

    name: str = Field("unnamed", min_length=1, max_length=80, description="Short name")
    title: str = Field("", max_length=200, description="One-line summary")
    brief: str = Field("", description="What the scenario represents and what to watch for; "
                       "stylized, not a model of any real country")
    sources: list[str] = Field([], description="Report paragraphs the scenario draws on")
    run: RunParams = RunParams()
    space: SpaceParams = SpaceParams()
    network: NetworkParams = NetworkParams()
    groups: list[GroupParams] = Field(min_length=2, max_length=12,
                                      description="Identity groups; shares sum to 1")
    government: GovernmentParams
    institutions: InstitutionsParams = InstitutionsParams()
    armed_groups: list[ArmedGroupParams] = Field([], max_length=24,
                                                 description="Armed groups and militias")
    events: EventParams = EventParams()
    information: InformationParams = InformationParams()
    mobilization: MobilizationParams = MobilizationParams()
    violence: ViolenceParams = ViolenceParams()
    stages: StageParams = StageParams()
    outcomes: OutcomeParams = OutcomeParams()
    history: HistoryParams = HistoryParams()
    situation: SituationParams = SituationParams()
    international: InternationalParams = InternationalParams()
    interventions: InterventionsParams = InterventionsParams()  # type: ignore[valid-type]
    policies: dict[str, PolicyParams] = Field({}, description="Named policies of this scenario, "
                                              "added to (or replacing) the shipped ones")
    key_parameters: list[str] = Field(
        [], max_length=8, description="The few parameters that matter most in this scenario "
        "(dotted paths such as 'government.political_will', each a bounded number), shown to "
        "a trainer first, as sliders; the trainer page puts the rest under 'Advanced'")

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        def unique(where: str, items: list) -> list[str]:
            names = [x.name for x in items]
            if len(set(names)) != len(names):
                raise ValueError(f"{where}: names must be unique, got {names}")
            return names

        ip = self.international
        names = unique("groups", self.groups)
        unique("international.council", ip.council)
        unique("international.neighbours", ip.neighbours)
        unique("international.sponsors", ip.sponsors)
        total = sum(g.share for g in self.groups)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"groups: shares must sum to 1, they sum to {total:.6g}")

        def known(where: str, name: str) -> None:
            if name not in names:
                raise ValueError(f"{where}: unknown group {name!r}; groups are {names}")

        known("government.ruling_group", self.government.ruling_group)
        for i, g in enumerate(self.groups):
            for t in g.excludes:
                known(f"groups.{i}.excludes", t)
        for i, path in enumerate(self.key_parameters):
            problem = _key_parameter_problem(self, path)
            if problem:
                raise ValueError(f"key_parameters.{i}: {path!r} {problem}")
        armed = unique("armed_groups", self.armed_groups)
        for i, a in enumerate(self.armed_groups):
            known(f"armed_groups.{i}.base_group", a.base_group)
            for t in a.targets:
                known(f"armed_groups.{i}.targets", t)
        for i, m in enumerate(self.international.council):
            for t in m.backs:
                known(f"international.council.{i}.backs", t)
        for i, sp in enumerate(self.international.sponsors):
            if sp.backs not in armed:
                raise ValueError(f"international.sponsors.{i}.backs: unknown armed group "
                                 f"{sp.backs!r}; armed groups are {armed}")
        for i, nb in enumerate(self.international.neighbours):
            for t in nb.backs:
                known(f"international.neighbours.{i}.backs", t)
        if not self.international.regional.present:
            for pname, pol in self.policies.items():
                for i, spec in enumerate(pol.interventions):
                    if spec.by == "regional":
                        raise ValueError(f"policies.{pname}.interventions.{i}.by: no regional "
                                         "organization in this scenario "
                                         "(international.regional.present = false)")
        h = self.history
        if h.prior_victims is not None:
            known("history.prior_victims", h.prior_victims)
        if h.prior_perpetrator is not None and h.prior_perpetrator not in ("state", *armed):
            raise ValueError(f"history.prior_perpetrator: {h.prior_perpetrator!r} is neither "
                             f"'state' nor an armed group; armed groups are {armed}")
        for i, e in enumerate(self.events.scheduled):
            if e.month > self.run.months:
                raise ValueError(f"events.scheduled.{i}.month: month {e.month} is after the end "
                                 f"of the run (run.months = {self.run.months})")
        return self

    @property
    def people_per_civilian(self) -> float:
        """How many people one simulated civilian stands for."""
        return self.run.population / self.run.n_civilians
