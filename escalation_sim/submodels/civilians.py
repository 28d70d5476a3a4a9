"""Civilians: grievance, fear, radicalization and threshold mobilization (R14 §8–10).

All updates are array operations. Targets for grievance and fear are computed once per
district×group cell and gathered to civilians by their ``key``.

* Grievance target: horizontal inequality (amplified by economic stress), political exclusion,
  victimization of one's group in one's district, impunity, and event shocks (R14 §8, §41–42, §57).
* Fear target: victimization nearby and hate speech directed at one's group (R14 §9–10).
* Radicalization approaches ``exposure × (0.5 + grievance)`` — hate speech resonates with the
  aggrieved — quickly upwards and slowly downwards.
* Mobilization is a threshold decision (Granovetter 1978; Epstein 2002): the motive —
  radicalization, the share of one's ties already mobilized, and fear (armed self-protection,
  R14 §10) — minus deterrence, the expected punishment from an accountable security sector and
  judiciary scaled by one's risk aversion. A mobilized civilian stands down only when the
  motive falls a margin
  below the threshold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import EscalationModel


def horizontal_inequality(status: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Each group's shortfall below the population-weighted mean status, on [0, 1]."""
    mean = float(np.einsum("g,g->", status, share))   # einsum, not BLAS: CPU-independent bits
    return np.clip((mean - status) / max(mean, 1e-9), 0.0, 1.0)


def saturate(rate: np.ndarray, half: float) -> np.ndarray:
    """Map a non-negative rate to [0, 1), reaching one half at ``half``."""
    return rate / (rate + half)


def relax_to(value: np.ndarray, target: np.ndarray, rate: float) -> None:
    """In place: ``value`` moves a share ``rate`` of the way to ``target`` (which is consumed)."""
    target -= value
    target *= np.float32(rate)
    value += target


def radicalization_target(exposure: np.ndarray, grievance: np.ndarray) -> np.ndarray:
    """Radicalization that sustained exposure produces: hate speech resonates with grievance."""
    return np.minimum(exposure * (0.5 + grievance), 1.0)


def expected_punishment(security_restraint_capacity: float, judiciary: float,
                        impunity: float) -> float:
    """Probability-like expectation of being punished for taking up arms, on [0, 1]."""
    return (0.5 * security_restraint_capacity + 0.5 * judiciary) * (1.0 - impunity)


def motive(radical: np.ndarray, peer: np.ndarray, fear: np.ndarray, risk_aversion: np.ndarray,
           punishment: float, w_peer: float, w_fear: float, w_det: float) -> np.ndarray:
    """Mobilization motive of each civilian:
    ``radical + w_peer * peer + w_fear * fear - w_det * punishment * risk_aversion``, summed in
    that order into one buffer (the same bits with fewer temporaries)."""
    m = radical + w_peer * peer
    part = np.multiply(fear, w_fear)
    m += part
    m -= np.multiply(risk_aversion, w_det * punishment, out=part)
    return m


def step(model: EscalationModel) -> None:
    d = model.params.dynamics
    civ = model.civilians
    vict = model.victimization_index()                       # (districts, groups)
    grievance_cell = (d.w_inequality * model.inequality * (1.0 + model.stress)
                      + d.w_discrimination * model.discrimination()
                      + d.w_impunity * model.impunity
                      + model.grievance_shock)[None, :] + d.w_victimization * vict
    fear_cell = d.fear_victimization * vict + (d.fear_threat * model.hate)[None, :]
    relax_to(civ.grievance, civ.by_cell(np.clip(grievance_cell, 0.0, 1.0).astype(np.float32)),
             d.grievance_rate)
    relax_to(civ.fear, civ.by_cell(np.clip(fear_cell, 0.0, 1.0).astype(np.float32)), d.fear_rate)
    r_target = radicalization_target(civ.exposure, civ.grievance)
    r_target -= civ.radical
    rising = r_target > 0   # masked products, not np.where: the same bits, a quarter of the time
    np.multiply(r_target, np.float32(d.radicalization_rate), out=r_target, where=rising)
    np.multiply(r_target, np.float32(d.deradicalization_rate), out=r_target, where=~rising)
    civ.radical += r_target

    sec = model.brakes["security_sector"]
    punish = expected_punishment(sec.capacity * sec.restraint,
                                 model.brakes["judiciary"].strength, model.impunity)
    # the share of one's ties mobilized; no product needed in months when nobody is
    peer = civ.ties @ civ.mobilized.astype(np.float32) if civ.mobilized.any() else np.float32(0)
    m = motive(civ.radical, peer, civ.fear, civ.risk_aversion, punish, d.w_peer,
               d.w_self_protection, d.w_deterrence)
    able = civ.alive & ~civ.displaced
    stay = civ.mobilized & (m > civ.threshold - d.demobilization_margin)
    civ.mobilized = able & (stay | (m > civ.threshold))


def refresh_groups(model: EscalationModel) -> None:
    """Group sums and means of grievance, fear, radicalization, exposure and mobilization over
    alive civilians, for the leaders and the recorder (civilians are stored sorted by group)."""
    civ = model.civilians
    alive = civ.alive
    sums = np.zeros((2, model.n_groups))
    totals = np.zeros((4, model.n_groups))
    for g, (start, size) in enumerate(zip(civ.group_starts, civ.group_sizes, strict=True)):
        part = slice(start, start + size)
        n_alive = np.count_nonzero(alive[part])
        sums[0, g] = n_alive
        sums[1, g] = np.count_nonzero(civ.mobilized[part])
        # the four attitudes at once: numpy's pairwise sums in float64 (not BLAS: the same bits
        # on any CPU), minus the dead
        totals[:, g] = np.add.reduce(civ.attitudes[:, part], axis=1, dtype=np.float64)
        if n_alive < size:
            totals[:, g] -= np.add.reduce(civ.attitudes[:, part][:, ~alive[part]], axis=1,
                                          dtype=np.float64)
    model.group_alive = sums[0].astype(float)
    model.group_totals = totals.astype(float)  # rows: grievance, fear, radical, exposure
    n = np.maximum(model.group_alive, 1.0)
    for g, group in enumerate(model.groups):
        group.mean_grievance = float(model.group_totals[0, g] / n[g])
        group.mean_fear = float(model.group_totals[1, g] / n[g])
        group.mobilized_share = float(sums[1, g] / n[g])
