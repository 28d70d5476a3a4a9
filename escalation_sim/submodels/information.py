"""Information: propaganda and hate speech from leaders, damped by the media, spread by ties.

Leaders (Mesa agents) update their stance and emit hate speech (see
:class:`escalation_sim.agents.Leader`). Independent media with capacity neutralize a share of it
(counter-speech by trusted voices, brake (f), R14 §55–56). Each civilian's exposure then moves
towards a mix of their own leader's (damped) voice and the mean exposure of their ties; since
ties are mostly inside one's group, hate speech diffuses mostly within groups. The module owns
the hate speech directed at each group (``hate``) and is the one writer of civilians' exposure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..numeric import relax_to
from ..population import stacked_views
from .base import Module

if TYPE_CHECKING:
    from ..population import Crowd


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
        for leader in model.leaders:
            leader.step()
        emission = np.fromiter((leader.emission for leader in model.leaders), float,
                               len(model.leaders))
        voiced = damp(emission, model.brakes["media"].strength, p.media_damping)
        self.hate = hate_against(voiced, model.excludes)
        civ = model.civilians
        update_exposure(civ.exposure, civ.by_group(voiced.astype(np.float32)),
                        civ.ties @ civ.exposure, p.exposure_rate, p.peer_weight)


class InformationBatch:
    """:meth:`Information.step` of R runs computed at once, with the same bits in every run
    (:mod:`escalation_sim.batch`). ``mods`` are the runs' own modules, ``crowd`` their stacked
    civilians; the runs' hate speech becomes views of an (R, groups) array.

    The leaders' step stays each run's own (a few scalar updates whose results' types, Python
    float or numpy scalar, travel on into the regime's and the armed groups' arithmetic); their
    speech is then damped, aimed and diffused over the stacked networks for all runs at once.
    The weights of the exposure's mix meet float32 arrays as Python floats do (NEP 50): rounded
    to float32, the own voice's weight ``1 − peer_weight`` computed in float64 first. Who
    excludes whom (``model.excludes``) is fixed for a run, so it is stacked once."""

    def __init__(self, mods: list[Information], crowd: Crowd) -> None:
        self.mods, self.crowd = mods, crowd
        models = [m.model for m in mods]
        params = [m.p for m in mods]
        self.damping = np.array([p.media_damping for p in params])[:, None]
        peer = np.array([p.peer_weight for p in params])[:, None]
        self.own_weight = (1.0 - peer).astype(np.float32)
        self.peer_weight = peer.astype(np.float32)
        self.rate = np.array([p.exposure_rate for p in params], dtype=np.float32)[:, None]
        self.excludes = np.stack([m.excludes for m in models])
        self.views: list = []   # (owner, attribute, stacked)
        self.hate = stacked_views(mods, "hate", self.views)
        self.rows = np.arange(len(mods))[:, None]

    def step(self) -> None:
        models = [m.model for m in self.mods]
        for model in models:
            for leader in model.leaders:
                leader.step()
        emission = np.array([[leader.emission for leader in model.leaders]
                             for model in models], dtype=float)
        media = np.array([model.brakes["media"].strength for model in models])[:, None]
        voiced = damp(emission, media, self.damping)
        np.minimum(np.einsum("rg,rgh->rh", voiced, self.excludes), 1.0, out=self.hate)
        crowd = self.crowd
        exposure = crowd.attitudes[:, 3]
        own = voiced.astype(np.float32)[self.rows, crowd.group]
        peer = (crowd.ties @ exposure.ravel()).reshape(exposure.shape)
        relax_to(exposure, self.own_weight * own + self.peer_weight * peer, self.rate)
