"""Runs stepped together (``escalation_sim/batch.py``) give each run the bits of its own run.

The oracle is the model run by run (``runner.run_model``): every series, the event log and the
episodes must be equal byte for byte, so that a run's result does not depend on the batch it
ran in, its size or its order."""

from pathlib import Path

import numpy as np
import pytest

from escalation_sim.batch import Together, run_together, stackable
from escalation_sim.model import SERIES, EscalationModel
from escalation_sim.population import STACKED, Crowd
from escalation_sim.record.data import PREDICTORS_FILE, data_dir
from escalation_sim.record.posterior import draw_seed, read_posterior, shipped_posterior, split
from escalation_sim.record.profiles import profile_at, read_profiles
from escalation_sim.rng import run_seed
from escalation_sim.runner import run_model
from escalation_sim.scenario import load_scenario
from escalation_sim.submodels.mobilization import Mobilization, expected_punishment

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def deterrence(model):
    """The mobilization step's deterrence product, as it computes it (a Python float while the
    brakes have not moved, a numpy scalar after)."""
    p, sec = model.mobilization.p, model.brakes["security_sector"]
    return p.w_deterrence * expected_punishment(
        sec.capacity * sec.restraint, model.brakes["judiciary"].strength,
        model.institutions.impunity, p.punishment_security, p.punishment_judiciary)


def assert_same(alone, together):
    for a, b in zip(alone, together, strict=True):
        assert a.steps == b.steps
        assert a.series.dtype == b.series.dtype
        assert a.series.tobytes() == b.series.tobytes()
        assert a.events_log == b.events_log
        assert a.violence.episodes == b.violence.episodes


@pytest.fixture(scope="module")
def forecast_runs():
    """Twelve forecast-shaped runs (24 months, 1,000 civilians) of six rows of the record,
    each with a parameter set drawn from the shipped posterior, as ``forecast`` runs them."""
    table = read_profiles(data_dir() / PREDICTORS_FILE)
    posterior = read_posterior(shipped_posterior())
    rows = np.random.default_rng(3).choice(np.arange(1, len(table) + 1), 6, replace=False)
    scenarios = []
    for i in range(12):
        links, overrides = split(posterior.parameters(posterior.draw(draw_seed(5, i))))
        scenarios.append(profile_at(table, int(rows[i % 6]), links, 24, 1000,
                                    overrides).scenario)
    seeds = [run_seed(5, i) for i in range(12)]
    return scenarios, seeds, [run_model(s, x) for s, x in zip(scenarios, seeds, strict=True)]


def test_forecast_runs_together_equal_their_own_runs(forecast_runs):
    scenarios, seeds, alone = forecast_runs
    together = run_together(scenarios, seeds)
    assert_same(alone, together)
    # they mobilized people and reached the deterrence term's float64 branch (the brakes
    # moved), so the batched step's arithmetic was exercised, not only its zeros
    assert max(float(m.series[:, 9].max()) for m in together) > 0          # mobilized
    assert any(isinstance(deterrence(m), np.floating) for m in together)


@pytest.mark.parametrize("runs", ["forecast_runs", "mixed_runs"])
def test_the_batched_motive_has_the_bits_of_each_runs_own(runs, request):
    """The motive compared with the thresholds, month by month: a last bit off seldom flips a
    decision, so equal series alone would not show it (float32, where the deterrence term's
    type decides the rounding)."""
    scenarios, seeds, _ = request.getfixturevalue(runs)
    own = []
    for scenario, seed in zip(scenarios, seeds, strict=True):
        model = EscalationModel(scenario, seed)
        motives = []
        compute = model.mobilization.current_motive
        model.mobilization.current_motive = lambda c=compute, k=motives: k.append(c()) or k[-1]
        own.append((model.run(), motives))
    together = Together(scenarios, seeds)
    batch = together.batched[Mobilization]
    for month in range(24):
        together.month()
        for r, (_, motives) in enumerate(own):
            assert batch.motive[r].dtype == motives[month].dtype == np.float32
            assert batch.motive[r].tobytes() == motives[month].tobytes(), (month, r)


@pytest.mark.parametrize("runs", ["forecast_runs", "mixed_runs"])
def test_every_civilians_state_equals_the_runs_own_month_by_month(runs, request):
    """The stacked civilians (attitudes in float32, the flags, detention, cells) and what the
    batched steps own or hand on (the violence step's books, campaigns' exhaustion and
    episodes' windows, which its second half computes from the batched first half's parts),
    against each run stepped alone, after every month: a difference shows in the month it
    arises, before it reaches a series."""
    scenarios, seeds, _ = request.getfixturevalue(runs)
    alone = [EscalationModel(s, x) for s, x in zip(scenarios, seeds, strict=True)]
    together = Together(scenarios, seeds)
    reached = set()   # branches of the violence step's batched half the runs went through
    for month in range(24):
        together.month()
        for r, model in enumerate(alone):
            model.step()
            mine = together.models[r]
            for name in STACKED:
                a, b = getattr(model.civilians, name), getattr(mine.civilians, name)
                assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (month, r, name)
            v, w = model.violence, mine.violence
            for a, b in ((model.information.hate, mine.information.hate),
                         (model.mobilization.weariness, mine.mobilization.weariness),
                         (v.victimization, w.victimization), (v.menace, w.menace),
                         (v.alive_cells, w.alive_cells), (v.exhaustion, w.exhaustion),
                         (v._window, w._window), (v._toll, w._toll),
                         (v.deaths_by, w.deaths_by),
                         (model.series[month + 1], mine.series[month + 1])):
                assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (month, r)
            for a, b in ((v.prevented, w.prevented), (v.international, w.international),
                         *((x.strength, y.strength) for x, y in zip(
                             model.armed_groups, mine.armed_groups, strict=True))):
                assert type(a) is type(b) and a == b, (month, r)
            reached |= {name for name, hit in (
                ("deterred", w.prevented > 0), ("exhausted", w.exhaustion.any()),
                ("armed", bool(mine.armed_groups) and w.menace.any()),
                ("killing", mine.series[month + 1, SERIES.index("killings")] > 0)) if hit}
    assert reached >= {"deterred", "armed", "killing"}
    if runs == "mixed_runs":
        assert "exhausted" in reached


def test_a_run_does_not_depend_on_its_batch(forecast_runs):
    """The same runs in batches of one, of five and in reverse order."""
    scenarios, seeds, alone = forecast_runs
    assert_same(alone[:1], run_together(scenarios[:1], seeds[:1]))
    assert_same(alone[3:8], run_together(scenarios[3:8], seeds[3:8]))
    assert_same(alone[::-1], run_together(scenarios[::-1], seeds[::-1]))


@pytest.fixture(scope="module")
def mixed_runs():
    """Runs of ``coup_polarization`` that differ in fear of a coup regime, detention,
    repression, exhausted campaigns, episodes and a peer weight inexact in float32 (the batch
    the gate of ``docs/batched-engine.md`` used to reach the step's branches)."""
    scenarios = [load_scenario("coup_polarization", [
        "run.n_civilians=1000", "run.months=24",
        f"mobilization.fear_coup={i % 2}",
        f"violence.counterinsurgency={0.2 if i % 3 == 0 else 0.0}",
        f"violence.repression={0.5 if i % 4 == 0 else 0.0}",
        f"violence.exhaustion_start={20.0 if i % 5 == 0 else 1000.0}",
        f"violence.exhaustion_stop={10.0 if i % 5 == 0 else 100.0}",
        f"outcomes.onset_deaths={40.0 if i % 7 == 0 else 1000.0}",
        f"outcomes.episode_end_deaths={20.0 if i % 7 == 0 else 100.0}",
        f"information.peer_weight={0.6 if i % 2 else 0.5}"]) for i in range(14)]
    seeds = [run_seed(1, i) for i in range(14)]
    return scenarios, seeds, [run_model(s, x) for s, x in zip(scenarios, seeds, strict=True)]


def test_runs_that_reach_every_branch_equal_their_own_runs(mixed_runs):
    scenarios, seeds, alone = mixed_runs
    together = run_together(scenarios, seeds)
    assert_same(alone, together)
    detained = [m for m in together if m.params.violence.counterinsurgency > 0]
    assert any(m.civilians.detained.any() for m in detained)
    assert any(m.government.coup_strength > 0 for m in together)
    assert any(m.violence.episodes for m in together)


@pytest.mark.parametrize("name", sorted(p.stem for p in SCENARIOS.glob("*.toml")))
def test_named_scenarios_together_equal_their_own_runs(name):
    """Every scenario of the library over its whole horizon, at 600 civilians."""
    scenarios = [load_scenario(name, ["run.n_civilians=600"])] * 4
    seeds = [run_seed(2, i) for i in range(4)]
    assert_same([run_model(s, x) for s, x in zip(scenarios, seeds, strict=True)],
                run_together(scenarios, seeds))


def test_runs_of_different_shapes_are_refused():
    a = load_scenario("default", ["run.n_civilians=600"])
    b = load_scenario("default", ["run.n_civilians=700"])
    assert stackable([a, a]) and not stackable([a, b])
    with pytest.raises(ValueError, match="one shape"):
        run_together([a, b], [0, 1])


def test_a_rebound_array_is_detected():
    """A step that rebinds a stacked array instead of writing into it would leave the batch
    reading stale values: the crowd notices."""
    scenario = load_scenario("default", ["run.n_civilians=300", "run.months=1",
                                         "events.scheduled=[]"])
    models = [run_model(scenario, i) for i in range(2)]
    crowd = Crowd([m.civilians for m in models])
    crowd.check()
    models[1].civilians.alive = models[1].civilians.alive.copy()
    with pytest.raises(RuntimeError, match="run 1: civilians' alive was rebound"):
        crowd.check()
