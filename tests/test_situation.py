"""The situation a run draws (``situation.spread``): around the scenario's values, from its own
stream, the same for paired runs, nothing at all with a spread of 0."""

import numpy as np
import pytest
from scipy import special

from escalation_sim import EscalationModel, load_scenario
from escalation_sim.errors import InputError
from escalation_sim.rng import stream
from escalation_sim.scenario import resolve_policy
from escalation_sim.situation import GOVERNMENT, GROUP, drawn_fields, moved, situate

SMALL = ["run.n_civilians=1000", "run.months=12", "events.scheduled=[]"]


def fields(s) -> np.ndarray:
    return np.array([v for _, v in drawn_fields(s)])


def test_the_drawn_fields_are_named_by_their_scenario_paths():
    s = load_scenario("default", SMALL)
    named = drawn_fields(s)
    assert [v for _, v in named] == (   # the order situate draws in, fixed since 2026-12-04
        [getattr(s.government, f) for f in GOVERNMENT]
        + [getattr(g, f) for g in s.groups for f in GROUP])
    for name, value in named:
        section, *rest = name.split(".")
        if section == "government":
            assert getattr(s.government, rest[0]) == value
        else:
            group = next(g for g in s.groups if g.name == rest[0])
            assert section == "groups" and getattr(group, rest[1]) == value


def test_no_spread_draws_nothing_and_is_the_scenario_itself():
    s = load_scenario("default", SMALL)
    rng = stream(5, "situation")
    assert situate(s, rng) is s
    assert rng.random() == stream(5, "situation").random()     # the stream did not move


def test_a_spread_draws_each_run_its_own_situation_by_seed():
    s = load_scenario("default", [*SMALL, "situation.spread=0.8"])
    one, same, other = (situate(s, stream(seed, "situation")) for seed in (1, 1, 2))
    assert np.array_equal(fields(one), fields(same))
    assert not np.array_equal(fields(one), fields(other))
    assert (fields(one) != fields(s)).all()
    assert ((fields(one) > 0) & (fields(one) < 1)).all()
    # only the drawn fields change
    assert one.model_dump(exclude={"government", "groups"}) == s.model_dump(
        exclude={"government", "groups"})
    assert one.government.ruling_group == s.government.ruling_group
    assert [g.excludes for g in one.groups] == [g.excludes for g in s.groups]


def test_the_draw_has_the_declared_spread_on_the_log_odds_scale():
    # 2,000 deviates: the sample sd's standard error is 0.8 / sqrt(4,000) = 0.013, and the
    # mean's 0.8 / sqrt(2,000) = 0.018; tolerances are about four of those
    s = load_scenario("default", [*SMALL, "situation.spread=0.8"])
    base = special.logit(s.government.complicity)
    drawn = np.array([situate(s, stream(seed, "situation")).government.complicity
                      for seed in range(2000)])
    shift = special.logit(drawn) - base
    assert shift.std() == pytest.approx(0.8, abs=0.05)
    assert shift.mean() == pytest.approx(0.0, abs=0.07)


def test_zero_and_one_stay():
    z = np.array([3.0, -3.0, 1.0])
    assert np.array_equal(moved(np.array([0.0, 1.0, 0.5]), z, 1.0)[:2], [0.0, 1.0])
    assert moved(np.array([0.5]), np.array([1.0]), 1.0)[0] == pytest.approx(special.expit(1.0))


def test_the_model_runs_the_drawn_situation_and_no_other_stream_moves():
    plain = EscalationModel(load_scenario("default", SMALL), seed=7)
    spread = EscalationModel(load_scenario("default", [*SMALL, "situation.spread=1"]), seed=7)
    drawn = situate(load_scenario("default", [*SMALL, "situation.spread=1"]),
                    stream(7, "situation"))
    assert spread.params == drawn
    g = spread.government
    assert (g.complicity, g.inclusiveness, g.political_will) == tuple(
        getattr(drawn.government, f) for f in GOVERNMENT)
    assert g.complicity != plain.government.complicity
    assert [leader.extremism for leader in spread.leaders] == [
        x.leader_extremism for x in drawn.groups]
    # the groups' inequality at month 0 comes from the drawn statuses
    assert not np.array_equal(spread.mobilization.inequality, plain.mobilization.inequality)
    # the setup stream drew the same population: groups, districts and thresholds
    for name in ("group", "district", "threshold"):
        assert np.array_equal(getattr(plain.civilians, name), getattr(spread.civilians, name))


def test_paired_runs_draw_the_same_situation_whatever_the_policy():
    s = load_scenario("default", [*SMALL, "situation.spread=1"])
    bare = EscalationModel(s, seed=11)
    helped = EscalationModel(s, seed=11, policy=resolve_policy(s, "early_pillar2"))
    assert bare.params == helped.params


def test_a_bad_spread_is_refused_naming_the_field():
    with pytest.raises(InputError) as e:
        load_scenario("default", ["situation.spread=-1"])
    assert "situation.spread" in str(e.value)
