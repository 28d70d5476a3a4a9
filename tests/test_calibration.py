"""The shipped scenarios behave as their briefs say. 100 runs: a Wilson 95 % interval is at most
±10 points wide.

The bands for ``default`` were set (issue: P(stage >= 2) 40-90 %, P(mass atrocity) 15-60 % over
120 months) when "mass atrocity" was the v1 cumulative measure, which in v1 was nearly the stage-3
measurement (31.5 % and 31.0 %). Since model v2 "mass atrocity" is the field's mass-killing onset
(1,000 noncombatants killed by one perpetrator within 12 months), which ``default``'s chronic,
low-level violence hardly ever reaches (0 % [0, 3] at 200 runs, README), so the 15-60 % band now
applies to P(stage 3), and onsets are required of ``state_perpetrator`` (13 % at 10^5 civilians,
README). The state's killing rate was not raised to meet the old band."""

import pytest

from escalation_sim import load_scenario, run_ensemble, summarize

pytestmark = pytest.mark.slow   # ensembles, subprocesses or a browser: the slow tier


def rates(name):
    s = summarize(run_ensemble(load_scenario(name), 100, seed=0, workers=2))
    return (s["reach_stage_at_least"]["2"]["p"], s["reach_stage_at_least"]["3"]["p"],
            s["mass_atrocity"]["p"])


def test_default_escalates_often_enough_to_measure_change():
    reach2, reach3, _ = rates("default")
    assert 0.40 <= reach2 <= 0.90 and 0.15 <= reach3 <= 0.60


def test_a_perpetrator_state_reaches_mass_killing():
    _, reach3, onset = rates("state_perpetrator")
    assert reach3 >= 0.90 and onset >= 0.05


def test_resilient_rarely_escalates():
    reach2, _, onset = rates("resilient")
    assert reach2 <= 0.10 and onset <= 0.05
