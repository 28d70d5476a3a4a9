import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from escalation_sim.stages import Stage, classify, classify_rows

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


@given(prev=st.lists(st.integers(0, 3), min_size=1, max_size=20),
       pick=st.lists(st.integers(0, 4), min_size=60, max_size=60),
       h=st.lists(st.sampled_from([0.0, 0.2, 0.5]), min_size=20, max_size=20))
def test_classify_rows_gives_each_run_the_stage_classify_gives(prev, pick, h):
    """The batched classifier (``escalation_sim.batch``), with scores exactly at the entry and
    exit thresholds (where ``>=`` and ``>`` differ) and on either side of them."""
    runs = len(prev)
    hysteresis = np.array(h[:runs])
    entry = ENTRY * (1.0 + 0.1 * np.arange(runs))[:, None] % 1.0   # each run its own
    exits = entry * (1.0 - hysteresis)[:, None]
    choices = np.stack([entry - 0.01, exits, entry, entry + 0.01, exits - 0.01])
    at = np.array(pick[:3 * runs]).reshape(runs, 3)
    scores = np.take_along_axis(choices, at[None], axis=0)[0]
    got = classify_rows(np.array(prev), scores, entry, hysteresis)
    assert got.tolist() == [classify(p, scores[r], entry[r], hysteresis[r])
                            for r, p in enumerate(prev)]
