"""The three stages of escalation (R14 §7–11) and the classifier that assigns them.

The classifier reads three scores, each on [0, 1] and each built from indicators of the UN
Framework of Analysis for Atrocity Crimes (see :mod:`escalation_sim.submodels.observation`):

* structural **risk** (stage 1, R14 §8),
* specific **threat** (stage 2, R14 §9),
* **atrocity** — ongoing violence against civilians (stage 3, R14 §10).

The stage is the highest level ``k`` whose score is at or above its threshold, where the
threshold of a level at or below the current stage is the lower *exit* threshold
``entry * (1 - hysteresis)``. A stage is therefore entered at its entry threshold and left only
when its score has fallen clearly below it, so noise near a threshold does not make the stage
flicker.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Score(IntEnum):
    """The three scores the classifier reads, by name (positions in a score vector)."""

    RISK = 0
    THREAT = 1
    ATROCITY = 2


class Stage(IntEnum):
    """Stage of escalation towards atrocity crimes (R14 §7–11)."""

    NONE = 0
    GENERAL_RISK = 1
    SPECIFIC_THREAT = 2
    IMMINENT_OR_ONGOING = 3

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Stage.NONE: "no significant risk",
    Stage.GENERAL_RISK: "general risk",
    Stage.SPECIFIC_THREAT: "specific threat",
    Stage.IMMINENT_OR_ONGOING: "imminent or ongoing atrocity",
}


def classify(previous: int, scores: np.ndarray, entry: np.ndarray, hysteresis: float) -> int:
    """Stage from ``scores`` = (risk, threat, atrocity) given the previous stage.

    Args:
        previous: the stage last month (0–3).
        scores: risk, threat and atrocity scores, each on [0, 1].
        entry: the entry thresholds of stages 1, 2 and 3.
        hysteresis: share by which the exit threshold lies below the entry threshold.
    """
    stage = 0
    for level in (3, 2, 1):
        threshold = entry[level - 1] * (1.0 - hysteresis) if level <= previous else entry[level - 1]
        if scores[level - 1] >= threshold:
            stage = level
            break
    return stage


def classify_rows(previous: np.ndarray, scores: np.ndarray, entry: np.ndarray,
                  hysteresis: np.ndarray) -> np.ndarray:
    """:func:`classify` for runs on a leading axis: ``previous`` (runs,), ``scores`` and
    ``entry`` (runs, 3), ``hysteresis`` (runs,); each run's stage, as :func:`classify` gives it
    (the highest level whose threshold is met, the thresholds computed alike)."""
    stage = np.zeros(len(previous), dtype=np.int64)
    for level in (1, 2, 3):
        threshold = np.where(level <= previous, entry[:, level - 1] * (1.0 - hysteresis),
                             entry[:, level - 1])
        stage = np.where(scores[:, level - 1] >= threshold, level, stage)
    return stage
