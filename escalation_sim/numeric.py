"""Small numeric rules shared by the mechanisms: relaxation towards a target, clipping to [0, 1]
and saturation of a rate. Pure functions with no model state."""

from __future__ import annotations

import numpy as np


def relax(value: float, target: float, rate: float) -> float:
    """Move ``value`` a share ``rate`` of the way to ``target``."""
    return value + rate * (target - value)


def clip01(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def relax_to(value: np.ndarray, target: np.ndarray, rate: float) -> None:
    """In place: ``value`` moves a share ``rate`` of the way to ``target`` (which is consumed)."""
    target -= value
    target *= np.float32(rate)
    value += target


def saturate(rate: np.ndarray, half: float) -> np.ndarray:
    """Map a non-negative rate to [0, 1), reaching one half at ``half``."""
    return rate / (rate + half)


def larger(a, b):
    """Python's ``max(a, b)``, elementwise on arrays: ``a`` unless ``b`` is greater."""
    return np.where(b > a, b, a) if isinstance(a, np.ndarray) or isinstance(b, np.ndarray) \
        else max(a, b)
