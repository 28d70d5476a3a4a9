import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from escalation_sim.stages import Stage, classify

ENTRY = np.array([0.35, 0.45, 0.5])


def test_highest_satisfied_level_wins():
    assert classify(0, np.array([0.1, 0.1, 0.1]), ENTRY, 0.2) == Stage.NONE
    assert classify(0, np.array([0.4, 0.1, 0.1]), ENTRY, 0.2) == Stage.GENERAL_RISK
    assert classify(0, np.array([0.4, 0.5, 0.1]), ENTRY, 0.2) == Stage.SPECIFIC_THREAT
    assert classify(0, np.array([0.0, 0.0, 0.6]), ENTRY, 0.2) == Stage.IMMINENT_OR_ONGOING


def test_hysteresis_keeps_a_stage_until_its_score_falls_below_the_exit_threshold():
    just_below_entry = np.array([0.4, 0.42, 0.0])      # threat 0.42 < 0.45 entry, > 0.36 exit
    assert classify(1, just_below_entry, ENTRY, 0.2) == 1   # not entered from below
    assert classify(2, just_below_entry, ENTRY, 0.2) == 2   # but not left from above
    assert classify(2, np.array([0.4, 0.35, 0.0]), ENTRY, 0.2) == 1


@given(prev=st.integers(0, 3), s=st.lists(st.floats(0, 1), min_size=3, max_size=3),
       h=st.floats(0, 0.9))
def test_stage_in_range_and_monotone_in_scores(prev, s, h):
    scores = np.array(s)
    stage = classify(prev, scores, ENTRY, h)
    assert 0 <= stage <= 3
    assert classify(prev, np.minimum(scores + 0.1, 1.0), ENTRY, h) >= stage
    # hysteresis only ever holds a stage up, never pushes it higher than without memory
    assert classify(3, scores, ENTRY, h) >= classify(0, scores, ENTRY, h)
