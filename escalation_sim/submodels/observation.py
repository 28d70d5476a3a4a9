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
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from ..numeric import larger, saturate
from ..population import stacked_views
from ..stages import Score, classify, classify_rows
from .base import Module
from .mobilization import book_runs

if TYPE_CHECKING:
    from ..population import Crowd


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
    """Risk, threat and atrocity scores (:class:`Score`) from an indicator vector (or from one
    per run, on a leading axis: each row's sums are the vector's)."""
    if ind.ndim == 1:   # one run (the scalar path costs half the general one)
        return np.array([ind[RISK].sum() / RISK.size, ind[THREAT].sum() / THREAT.size,
                         ind[Indicator.LETHAL_VIOLENCE]])
    return np.stack([ind[:, RISK].sum(axis=1) / RISK.size,
                     ind[:, THREAT].sum(axis=1) / THREAT.size,
                     ind[:, Indicator.LETHAL_VIOLENCE]], axis=1)


def readings(model) -> tuple:
    """What the indicators read of the model's state, reduced over its agents as Python reduces
    them (its ``sum`` and ``max``, whose order and types decide the last bit): armed strength
    fielded and with intent per civilian, the violation rate, the brakes' mean strength, the
    exclusionary leaders' extremism, the highest inequality, the security sector's capacity to
    perpetrate, the mitigating brakes' mean strength, the share of killings protection
    prevented, the mean exposure to hate speech, heat, the highest group grievance and hate
    speech, the mobilized share and the killing rate (:func:`indicator_values`)."""
    n = model.civilians.n
    b = model.brakes
    violence, mob = model.violence, model.mobilization
    armed = armed_intent = 0.0
    for a in model.armed_groups:
        fielded = a.strength * a.multiplier
        armed += fielded
        armed_intent += fielded * a.intent
    exclusionary = [lead.extremism for lead in model.leaders if lead.exclusionary]
    return (armed / n, armed_intent / n, violence.violation_rate,
            sum(x.strength for x in model.brake_list) / len(model.brake_list),
            max(exclusionary) if exclusionary else 0.0, float(mob.inequality.max()),
            b["security_sector"].perpetration,
            sum(b[k].strength for k in MITIGATING) / len(MITIGATING), violence.prevented,
            float(mob.group_totals[3].sum() / max(mob.group_alive.sum(), 1.0)),
            model.events.heat, max(g.mean_grievance for g in model.groups),
            float(model.information.hate.max()),
            sum(g.mobilized_share * g.share for g in model.groups), violence.killing_rate)


def indicator_values(readings: tuple, st) -> tuple:
    """The twelve indicators, in :class:`Indicator` order, from :func:`readings` and the stage
    parameters ``st``: numbers for one run, or arrays with one entry per run (the same bits in
    each: elementwise float64 arithmetic; Python's ``max`` as :func:`~..numeric.larger`)."""
    (armed, armed_intent, violation_rate, brakes, exclusionary, inequality, perpetration,
     mitigation, prevented, exposure, heat, grievance, hate, mobilized, killing_rate) = readings
    intent = saturate(armed_intent, st.intent_half)
    return (saturate(armed, st.armed_half), saturate(violation_rate, st.violations_half),
            1.0 - brakes, 0.5 * (exclusionary + inequality), 0.5 * intent + 0.5 * perpetration,
            (1.0 - mitigation) * (1.0 - prevented), exposure, saturate(heat, st.heat_half),
            grievance, larger(hate, intent), saturate(mobilized, st.mobilized_half),
            saturate(killing_rate, st.killing_scale))


def indicators(model) -> np.ndarray:
    """The true indicator vector of the model's current state, in :class:`Indicator` order."""
    return np.array(indicator_values(readings(model), model.params.stages))


def observe(history: np.ndarray, month: int, delay, noise_sd, normals: np.ndarray) -> np.ndarray:
    """What early warning sees in ``month``: the indicators of ``month - delay``, with noise.
    For runs on a leading axis of ``history`` and ``normals``, ``delay`` and ``noise_sd`` are
    arrays with one entry per run."""
    if history.ndim == 2:
        past = history[max(0, month - delay)]
    else:
        past = history[np.arange(len(history)), np.maximum(0, month - delay)]
        noise_sd = noise_sd[:, None]
    return (past + noise_sd * normals).clip(0.0, 1.0)


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


class ObservationBatch:
    """:meth:`Observation.step` of R runs computed at once, with the same bits in every run
    (:mod:`escalation_sim.batch`); the runs' indicator histories become views of an (R, months
    + 1, indicators) array.

    Each run's group aggregates, :func:`readings` and early warning's strength stay its own
    (Python's sums and maxima over its agents, whose types and order decide the last bit); the
    indicators, scores and stages, what early warning sees after its delay and noise (each
    run's normals from its own stream) and the saliences are computed for all runs at once,
    by the functions the model's step calls (:func:`indicator_values`, :func:`scores`,
    :func:`observe`; :func:`~escalation_sim.stages.classify_rows` for the classifier)."""

    def __init__(self, mods: list[Observation], crowd: Crowd) -> None:
        self.mods = mods
        ps = [m.p for m in mods]
        self.st = SimpleNamespace(**{k: np.array([getattr(p, k) for p in ps], dtype=float)
                                     for k in ("intent_half", "armed_half", "violations_half",
                                               "heat_half", "mobilized_half", "killing_scale")})
        self.entry = np.stack([m._entry for m in mods])
        self.hysteresis = np.array([p.hysteresis for p in ps], dtype=float)
        self.max_delay = np.array([p.max_delay for p in ps], dtype=float)
        self.noise = np.array([p.observation_noise for p in ps], dtype=float)
        self.crowd = crowd
        self.n_groups = mods[0].model.n_groups
        # each civilian's (run, group), numbered across runs (civilians never change group)
        self.groups = crowd.group + (np.arange(len(mods)) * self.n_groups)[:, None]
        self.views: list = []
        self.history = stacked_views(mods, "history", self.views)

    def start(self) -> None:
        """:meth:`Observation.start` for all runs: month 0's step."""
        self.step()

    def step(self) -> None:
        mods = self.mods
        models = [m.model for m in mods]
        # each run's group aggregates (:meth:`~.mobilization.Mobilization.aggregate`), the
        # counts for all runs at once
        crowd, R, G = self.crowd, len(mods), self.n_groups
        sums = np.empty((R, 2, G))
        sums[:, 0] = np.bincount(self.groups[crowd.alive], minlength=R * G).reshape(R, G)
        sums[:, 1] = np.bincount(self.groups[crowd.mobilized], minlength=R * G).reshape(R, G)
        book_runs([model.mobilization for model in models], sums)
        t = models[0].steps
        seen_by = np.array([readings(model) for model in models])
        self.history[:, t] = np.stack(indicator_values(tuple(seen_by.T), self.st), axis=1)
        true = scores(self.history[:, t])
        stage = classify_rows(np.array([m.stage for m in mods]), true, self.entry,
                              self.hysteresis)
        strength = np.array([warning_strength(model) for model in models])
        normals = np.empty((len(mods), len(Indicator)))
        for r, model in enumerate(models):
            model.streams["observation"].standard_normal(out=normals[r])
        delay = np.round(self.max_delay * (1.0 - strength)).astype(np.int64)
        seen = observe(self.history, t, delay, self.noise * (1.0 - strength), normals)
        observed = scores(seen)
        observed_stage = classify_rows(np.array([m.observed_stage for m in mods]), observed,
                                       self.entry, self.hysteresis)
        salience = larger(true[:, Score.THREAT], true[:, Score.ATROCITY]).tolist()
        observed_salience = larger(observed[:, Score.THREAT],
                                   observed[:, Score.ATROCITY]).tolist()
        for r, (m, s, d, o) in enumerate(zip(mods, stage.tolist(), delay.tolist(),
                                             observed_stage.tolist(), strict=True)):
            m.scores, m.stage, m.delay = true[r], s, d
            m.observed_indicators, m.observed_scores, m.observed_stage = seen[r], observed[r], o
            m.salience, m.observed_salience = salience[r], observed_salience[r]
