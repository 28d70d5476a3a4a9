"""The historical record: the Early Warning Project's data (``data/ewp/``), the calibration
targets computed from it, and the statistical baseline the model must later match or beat.

Everything here is computed from the record, not from escalation-sim, and is aggregate: nothing
names, ranks or singles out a country or a profile.
"""

from .data import CITATION, PREDICTORS, data_dir, load_episodes, load_predictors
from .measure import (
    NOTE,
    Target,
    Targets,
    episode_years,
    format_targets,
    km_quantiles,
    outside_episode,
    rate_target,
    risk_quintiles,
    risk_scores,
    spells,
    targets,
)
from .regression import Baseline, Decile, baseline, format_baseline

__all__ = ["CITATION", "NOTE", "PREDICTORS", "Baseline", "Decile", "Target", "Targets",
           "baseline", "data_dir", "episode_years", "format_baseline", "format_targets",
           "km_quantiles", "load_episodes", "load_predictors", "outside_episode",
           "rate_target", "risk_quintiles", "risk_scores", "spells", "targets"]
