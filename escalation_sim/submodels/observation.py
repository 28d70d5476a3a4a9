"""Observation: risk-factor indicators, the stage classifier, and noisy, delayed early warning.

Indicators follow the UN Framework of Analysis for Atrocity Crimes (2014; R14 §52, R16 §41),
each on [0, 1] and computed from the true state of the model:

| indicator | Framework risk factor |
|---|---|
| armed_conflict | RF1 situations of armed conflict or other instability |
| violations_record | RF2 record of serious violations of human rights and humanitarian law |
| state_weakness | RF3 weakness of state structures |
| motives | RF4 motives or incentives (exclusionary ideology, horizontal inequality) |
| capacity_to_commit | RF5 capacity to commit atrocity crimes |
| absence_of_mitigation | RF6 absence of mitigating factors |
| enabling_circumstances | RF7 enabling circumstances or preparatory action (propaganda) |
| triggering_factors | RF8 triggering factors (elections, coups, shocks) |
| intergroup_tension | RF9 intergroup tension or patterns of discrimination |
| signs_of_intent | RF10 signs of intent to destroy a group (hate speech, armed men mustered) |
| mobilization | RF7 preparatory action (mobilized civilians, armed groups forming) |
| lethal_violence | RF11–14 attacks on civilians: deliberate killings per person per month |

Scores: **risk** is the mean of RF1–RF6 and RF9 (R14 §8); **threat** the mean of motives, enabling
circumstances, triggers, signs of intent and mobilization (R14 §9); **atrocity** the lethal
violence indicator (R14 §10). The stage classifier (:func:`escalation_sim.stages.classify`)
assigns the true stage from the true scores and the observed stage from observed ones.

Early warning sees the indicators ``max_delay × (1 − s)`` months late with Gaussian noise of s.d.
``observation_noise × (1 − s)``, where ``s`` is the strength of brake (d) (R14 §51–52) improved
by local civil-society reports (:func:`warning_strength`). The stream draws one normal per
indicator every month. The module owns the indicator history, the true and observed scores and
stages; indicators and scores are named (:class:`Indicator`, :class:`escalation_sim.stages.Score`).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from ..numeric import saturate
from ..stages import Score, classify
from .base import Module


class Indicator(IntEnum):
    """The Framework-of-Analysis indicators, by name (positions in an indicator vector)."""

    ARMED_CONFLICT = 0
    VIOLATIONS_RECORD = 1
    STATE_WEAKNESS = 2
    MOTIVES = 3
    CAPACITY_TO_COMMIT = 4
    ABSENCE_OF_MITIGATION = 5
    ENABLING_CIRCUMSTANCES = 6
    TRIGGERING_FACTORS = 7
    INTERGROUP_TENSION = 8
    SIGNS_OF_INTENT = 9
    MOBILIZATION = 10
    LETHAL_VIOLENCE = 11

    @property
    def key(self) -> str:
        """The indicator's name in series and files (``armed_conflict``, ...)."""
        return self.name.lower()


INDICATORS: tuple[str, ...] = tuple(i.key for i in Indicator)
MITIGATING = ("judiciary", "early_warning", "local_peace", "media")
RISK = np.array([Indicator.ARMED_CONFLICT, Indicator.VIOLATIONS_RECORD, Indicator.STATE_WEAKNESS,
                 Indicator.MOTIVES, Indicator.CAPACITY_TO_COMMIT,
                 Indicator.ABSENCE_OF_MITIGATION, Indicator.INTERGROUP_TENSION])
THREAT = np.array([Indicator.MOTIVES, Indicator.ENABLING_CIRCUMSTANCES,
                   Indicator.TRIGGERING_FACTORS, Indicator.SIGNS_OF_INTENT,
                   Indicator.MOBILIZATION])


def scores(ind: np.ndarray) -> np.ndarray:
    """Risk, threat and atrocity scores (:class:`Score`) from an indicator vector."""
    return np.array([ind[RISK].sum() / RISK.size, ind[THREAT].sum() / THREAT.size,
                     ind[Indicator.LETHAL_VIOLENCE]])


def indicators(model) -> np.ndarray:
    """The true indicator vector of the model's current state, in :class:`Indicator` order."""
    civ = model.civilians
    n = civ.n
    b = model.brakes
    sec = b["security_sector"]
    violence, mob = model.violence, model.mobilization
    armed = armed_intent = 0.0
    for a in model.armed_groups:
        fielded = a.strength * a.multiplier
        armed += fielded
        armed_intent += fielded * a.intent
    exclusionary = [lead.extremism for lead in model.leaders if lead.exclusionary]
    excl_extremism = max(exclusionary) if exclusionary else 0.0
    grievance = max(g.mean_grievance for g in model.groups)
    mobilized = sum(g.mobilized_share * g.share for g in model.groups)
    mitigation = sum(b[k].strength for k in MITIGATING) / len(MITIGATING)
    st = model.params.stages
    intent = saturate(armed_intent / n, st.intent_half)
    return np.array([
        saturate(armed / n, st.armed_half),
        saturate(violence.violation_rate, st.violations_half),
        1.0 - sum(x.strength for x in model.brake_list) / len(model.brake_list),
        0.5 * (excl_extremism + float(mob.inequality.max())),
        0.5 * intent + 0.5 * sec.perpetration,
        (1.0 - mitigation) * (1.0 - violence.prevented),
        float(mob.group_totals[3].sum() / max(mob.group_alive.sum(), 1.0)),
        saturate(model.events.heat, st.heat_half),
        grievance,
        max(float(model.information.hate.max()), intent),
        saturate(mobilized, st.mobilized_half),
        saturate(violence.killing_rate, st.killing_scale),
    ])


def observe(history: np.ndarray, month: int, delay: int, noise_sd: float,
            normals: np.ndarray) -> np.ndarray:
    """What early warning sees in ``month``: the indicators of ``month - delay``, with noise."""
    return (history[max(0, month - delay)] + noise_sd * normals).clip(0.0, 1.0)


def warning_strength(model) -> float:
    """How well early warning works: brake (d), with local civil-society reports closing a share
    ``warning_weight × presence`` of the remaining gap (R14 §27, §51–52)."""
    cs = model.decisions.civil_society
    return 1.0 - ((1.0 - model.brakes["early_warning"].strength)
                  * (1.0 - cs.p.warning_weight * cs.presence))


class Observation(Module):
    """Step 7: month-end group aggregates; true indicators, true stage; noisy, delayed observed
    stage."""

    name = "observation"
    section = "stages"
    series = ("stage", "observed_stage", *(s.name.lower() for s in Score),
              *(f"ind_{i}" for i in INDICATORS))
    reads = ("mobilization: group aggregates (refreshed here), inequality",
             "violence: rates, share of killings protection prevented", "events: heat",
             "information: hate",
             "brakes, leaders, armed groups", "civil society: presence")

    def __init__(self, model):
        super().__init__(model)
        self.history = np.zeros((model.params.run.months + 1, len(Indicator)))
        self.scores = np.zeros(len(Score))
        self.observed_scores = np.zeros(len(Score))
        self.observed_indicators = np.zeros(len(Indicator))
        self.stage = 0
        self.observed_stage = 0
        self.delay = 0   # months early warning lags behind this month (set each month)
        # the higher of the threat and atrocity scores, true and observed (actors' salience)
        self.salience = 0.0
        self.observed_salience = 0.0
        self._entry = np.array([self.p.risk_up, self.p.threat_up, self.p.atrocity_up])

    def start(self) -> None:
        """Month 0: the stage of the initial state."""
        self.step()

    def step(self) -> None:
        model, st = self.model, self.p
        t = model.steps
        entry = self._entry
        model.mobilization.aggregate()
        self.history[t] = indicators(model)
        self.scores = scores(self.history[t])
        self.stage = classify(self.stage, self.scores, entry, st.hysteresis)
        s = warning_strength(model)
        normals = model.streams["observation"].standard_normal(len(Indicator))
        self.delay = round(st.max_delay * (1.0 - s))
        seen = observe(self.history, t, self.delay,
                       st.observation_noise * (1.0 - s), normals)
        self.observed_indicators = seen
        self.observed_scores = scores(seen)
        self.observed_stage = classify(self.observed_stage, self.observed_scores, entry,
                                       st.hysteresis)
        self.salience = float(max(self.scores[Score.THREAT], self.scores[Score.ATROCITY]))
        self.observed_salience = float(max(self.observed_scores[Score.THREAT],
                                           self.observed_scores[Score.ATROCITY]))

    def record(self) -> tuple[float, ...]:
        return (self.stage, self.observed_stage, *self.scores.tolist(),
                *self.history[self.model.steps].tolist())
