"""The shipped scenarios behave as their briefs say (issue: default P(stage >= 2) 40-90 % and
P(mass atrocity) 15-60 % over 120 months; resilient low). 100 runs: a Wilson 95 % interval is
at most ±10 points wide, and the measured rates sit well inside the bands (README)."""

import pytest

from escalation_sim import load_scenario, run_ensemble, summarize

pytestmark = pytest.mark.slow   # ensembles, subprocesses or a browser: the slow tier


def rates(name):
    s = summarize(run_ensemble(load_scenario(name), 100, seed=0, workers=2))
    return s["reach_stage_at_least"]["2"]["p"], s["mass_atrocity"]["p"]


def test_default_escalates_often_enough_to_measure_change():
    reach2, atrocity = rates("default")
    assert 0.40 <= reach2 <= 0.90 and 0.15 <= atrocity <= 0.60


def test_resilient_rarely_escalates():
    reach2, atrocity = rates("resilient")
    assert reach2 <= 0.10 and atrocity <= 0.05
