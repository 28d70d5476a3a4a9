"""Information: propaganda and hate speech from leaders, damped by the media, spread by ties.

Leaders (Mesa agents) update their stance and emit hate speech (see
:class:`escalation_sim.agents.Leader`). Independent media with capacity neutralize a share of it
(counter-speech by trusted voices, brake (f), R14 §55–56). Each civilian's exposure then moves
towards a mix of their own leader's (damped) voice and the mean exposure of their ties; since
ties are mostly inside one's group, hate speech diffuses mostly within groups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .civilians import relax_to

if TYPE_CHECKING:
    from ..model import EscalationModel


def damp(emission: np.ndarray, media_strength: float, damping: float) -> np.ndarray:
    """Hate speech that gets through media of ``media_strength`` (capacity × integrity)."""
    return emission * (1.0 - damping * media_strength)


def hate_against(emission: np.ndarray, excludes: np.ndarray) -> np.ndarray:
    """Hate speech directed at each group: emissions of the leaders who exclude it, summed."""
    return np.minimum(np.einsum("g,gh->h", emission, excludes), 1.0)   # einsum: no BLAS


def update_exposure(exposure: np.ndarray, own_voice: np.ndarray, peer_mean: np.ndarray,
                    rate: float, peer_weight: float) -> None:
    """In place: exposure moves a share ``rate`` towards the mix of own voice and ties."""
    relax_to(exposure, (1.0 - peer_weight) * own_voice + peer_weight * peer_mean, rate)


def step(model: EscalationModel) -> None:
    d = model.params.dynamics
    model.leader_set.do("step")
    emission = np.fromiter((leader.emission for leader in model.leaders), float,
                           len(model.leaders))
    voiced = damp(emission, model.brakes["media"].strength, d.media_damping)
    model.hate = hate_against(voiced, model.excludes)
    civ = model.civilians
    update_exposure(civ.exposure, civ.by_group(voiced.astype(np.float32)), civ.ties @ civ.exposure,
                    d.exposure_rate, d.peer_weight)
