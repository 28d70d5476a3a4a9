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
| signs_of_intent | RF10 signs of an intent to destroy in whole or in part a protected group |
| mobilization | RF7 preparatory action (mobilized civilians, armed groups forming) |
| lethal_violence | RF11–14 attacks on civilians: deliberate killings per person per month |

Scores: **risk** is the mean of RF1–RF6 and RF9 (R14 §8); **threat** the mean of motives, enabling
circumstances, triggers, signs of intent and mobilization (R14 §9); **atrocity** the lethal
violence indicator (R14 §10). The stage classifier (:func:`escalation_sim.stages.classify`)
assigns the true stage from the true scores and the observed stage from observed ones.

Early warning sees the indicators ``max_delay × (1 − s)`` months late with Gaussian noise of s.d.
``observation_noise × (1 − s)``, where ``s`` is the strength of brake (d) (R14 §51–52) improved
by local civil-society reports (:func:`warning_strength`). The stream draws one normal per
indicator every month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..stages import classify
from .civilians import refresh_groups, saturate

if TYPE_CHECKING:
    from ..model import EscalationModel

INDICATORS: tuple[str, ...] = (
    "armed_conflict", "violations_record", "state_weakness", "motives", "capacity_to_commit",
    "absence_of_mitigation", "enabling_circumstances", "triggering_factors",
    "intergroup_tension", "signs_of_intent", "mobilization", "lethal_violence",
)
MITIGATING = ("judiciary", "early_warning", "local_peace", "media")
RISK = np.array([0, 1, 2, 3, 4, 5, 8])
THREAT = np.array([3, 6, 7, 9, 10])
ATROCITY = 11


def scores(ind: np.ndarray) -> np.ndarray:
    """Risk, threat and atrocity scores from an indicator vector."""
    return np.array([ind[RISK].sum() / RISK.size, ind[THREAT].sum() / THREAT.size,
                     ind[ATROCITY]])


def indicators(model: EscalationModel) -> np.ndarray:
    """The true indicator vector of the model's current state."""
    civ = model.civilians
    n = civ.n
    b = model.brakes
    sec = b["security_sector"]
    armed = sum(a.strength * a.multiplier for a in model.armed_groups)
    armed_intent = sum(a.strength * a.multiplier * a.intent for a in model.armed_groups)
    leaders = model.leaders
    excl_extremism = max(lead.extremism for lead in leaders if lead.exclusionary) if any(
        lead.exclusionary for lead in leaders) else 0.0
    grievance = max(g.mean_grievance for g in model.groups)
    mobilized = sum(g.mobilized_share * g.share for g in model.groups)
    mitigation = sum(b[k].strength for k in MITIGATING) / len(MITIGATING)
    return np.array([
        saturate(armed / n, 0.01),
        saturate(model.violation_rate, 5e-4),
        1.0 - sum(x.strength for x in model.brake_list) / len(model.brake_list),
        0.5 * (excl_extremism + float(model.inequality.max())),
        0.5 * saturate(armed_intent / n, 0.01) + 0.5 * sec.perpetration,
        (1.0 - mitigation) / (1.0 + float(model.protection.sum()) / model.n_districts),
        float(model.group_totals[3].sum() / max(model.group_alive.sum(), 1.0)),
        saturate(model.heat, 0.5),
        grievance,
        float(model.hate.max()),
        saturate(mobilized, 0.02),
        saturate(model.killing_rate, model.params.stages.killing_scale),
    ])


def observe(history: np.ndarray, month: int, delay: int, noise_sd: float,
            normals: np.ndarray) -> np.ndarray:
    """What early warning sees in ``month``: the indicators of ``month - delay``, with noise."""
    return np.clip(history[max(0, month - delay)] + noise_sd * normals, 0.0, 1.0)


def warning_strength(model: EscalationModel) -> float:
    """How well early warning works: brake (d), with local civil-society reports closing a share
    ``warning_weight × presence`` of the remaining gap (R14 §27, §51–52)."""
    cs = model.civil_society
    return 1.0 - ((1.0 - model.brakes["early_warning"].strength)
                  * (1.0 - cs.p.warning_weight * cs.presence))


def step(model: EscalationModel) -> None:
    st = model.params.stages
    t = model.steps
    entry = np.array([st.risk_up, st.threat_up, st.atrocity_up])
    refresh_groups(model)
    model.indicator_history[t] = indicators(model)
    model.scores = scores(model.indicator_history[t])
    model.stage = classify(model.stage, model.scores, entry, st.hysteresis)
    s = warning_strength(model)
    normals = model.streams["observation"].standard_normal(len(INDICATORS))
    seen = observe(model.indicator_history, t, round(st.max_delay * (1.0 - s)),
                   st.observation_noise * (1.0 - s), normals)
    model.observed_indicators = seen
    model.observed_scores = scores(seen)
    model.observed_stage = classify(model.observed_stage, model.observed_scores, entry,
                                    st.hysteresis)
