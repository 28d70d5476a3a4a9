"""Information: propaganda and hate speech from leaders, damped by the media, spread by ties.

Leaders (Mesa agents) update their stance and emit hate speech (see
:class:`escalation_sim.agents.Leader`). Independent media with capacity neutralize a share of it
(counter-speech by trusted voices, brake (f), R14 §55–56). Each civilian's exposure then moves
towards a mix of their own leader's (damped) voice and the mean exposure of their ties; since
ties are mostly inside one's group, hate speech diffuses mostly within groups. The module owns
the hate speech directed at each group (``hate``) and is the one writer of civilians' exposure.
"""

from __future__ import annotations

import numpy as np

from ..numeric import relax_to
from .base import Module


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


class Information(Module):
    """Step 3: leaders update their stance and speak; the media damp it; exposure diffuses."""

    name = "information"
    section = "information"
    reads = ("leaders (stepped here)", "brakes: media", "events: heat",
             "civilians: ties, exposure")

    def __init__(self, model):
        super().__init__(model)
        self.hate = np.zeros(model.n_groups)   # hate speech directed at each group

    def step(self) -> None:
        model, p = self.model, self.p
        model.leader_set.do("step")
        emission = np.fromiter((leader.emission for leader in model.leaders), float,
                               len(model.leaders))
        voiced = damp(emission, model.brakes["media"].strength, p.media_damping)
        self.hate = hate_against(voiced, model.excludes)
        civ = model.civilians
        update_exposure(civ.exposure, civ.by_group(voiced.astype(np.float32)),
                        civ.ties @ civ.exposure, p.exposure_rate, p.peer_weight)
