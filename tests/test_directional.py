"""Directional tests under shared seeds (common random numbers).

Each comparison runs the same 40 run seeds under two scenarios, so the runs are paired. "Beyond
noise" means beyond two standard errors of the paired difference of the 0/1 outcome (about a 2.5 %
one-sided false-alarm rate if the true effect were nil), plus one run's worth (1/40) so that a
single flipped run can never fail a test of "no worse".
"""

import numpy as np
import pytest

from escalation_sim import load_scenario, run_ensemble
from escalation_sim.params import BRAKES

pytestmark = pytest.mark.slow   # ensembles, subprocesses or a browser: the slow tier

RUNS = 40


def flags(overrides, what="mass_atrocity", name="default"):
    outcomes = run_ensemble(load_scenario(name, overrides), RUNS, seed=2024, workers=2)
    if what == "mass_atrocity":
        return np.array([o.mass_atrocity for o in outcomes], float)
    if what == "reach2":
        return np.array([o.highest_stage >= 2 for o in outcomes], float)
    if what == "reach3":
        return np.array([o.highest_stage >= 3 for o in outcomes], float)
    raise ValueError(what)


def paired(a, b):
    """Mean of a − b and its standard error over paired runs."""
    d = a - b
    return d.mean(), d.std(ddof=1) / np.sqrt(d.size)


def stronger(brake):
    sets = [f"institutions.{brake}.capacity=0.8", f"institutions.{brake}.integrity=0.8"]
    if brake == "security_sector":
        sets.append("institutions.security_sector.professionalism=0.8")
    return sets


# Since model v2 the mass-atrocity outcome is the mass-killing onset, rare in `default` (1 run
# in 200 at seed 0) and in `state_perpetrator` (2 in 60 at this seed): a check of the onset there
# could not fail. The onset checks therefore run on `security_split` (group A rules and excludes
# B, as in `default`), whose state forces reach the onset in most runs (28 of these 40), and the
# two effects that must be large are also tested on stage 3 in `default` (a third of its runs).
ONSETS = "security_split"


@pytest.fixture(scope="module")
def onsets_base():
    onsets = flags([], name=ONSETS)
    assert 10 <= onsets.sum() <= RUNS - 10, "the onset checks need onsets that can move both ways"
    return onsets


@pytest.mark.parametrize("brake", BRAKES)
def test_a_stronger_brake_never_raises_the_mass_atrocity_rate(onsets_base, brake):
    diff, se = paired(flags(stronger(brake), name=ONSETS), onsets_base)
    assert diff <= 2 * se + 1 / RUNS, (brake, diff, se)


@pytest.fixture(scope="module")
def base3():
    return flags([], "reach3")


def test_all_brakes_strong_cut_stage_3_and_the_mass_atrocity_rate(onsets_base, base3):
    diff, se = paired(flags([], "reach3", name="resilient"), base3)
    assert diff < -2 * se and diff < -0.15, (diff, se)
    strong = [s for brake in BRAKES for s in stronger(brake)]
    diff, se = paired(flags(strong, name=ONSETS), onsets_base)
    assert diff < -2 * se, (diff, se)


def test_an_exclusionary_leader_raises_stage_3_and_the_mass_atrocity_rate(onsets_base, base3):
    diff, se = paired(base3, flags(["groups.A.excludes=[]"], "reach3"))
    assert diff > 2 * se and diff > 0.15, (diff, se)
    diff, se = paired(onsets_base, flags(["groups.A.excludes=[]"], name=ONSETS))
    assert diff > 2 * se, (diff, se)


def test_a_distrusted_electoral_body_makes_the_election_a_stronger_trigger():
    # one election in month 18, none later; compare how often it tips the country into stage 2
    single = ["events.scheduled=[{kind='election', month=18}]", "run.months=36"]
    distrusted = flags([*single, "institutions.electoral_body.capacity=0.2",
                        "institutions.electoral_body.integrity=0.2"], "reach2")
    trusted = flags([*single, "institutions.electoral_body.capacity=0.9",
                     "institutions.electoral_body.integrity=0.9"], "reach2")
    diff, se = paired(distrusted, trusted)
    assert diff > 2 * se and diff > 0.1, (diff, se)
