"""Runs stepped together (``escalation_sim/batch.py``) give each run the bits of its own run.

The oracle is the model run by run (``runner.run_model``): every series, the event log and the
episodes must be equal byte for byte, so that a run's result does not depend on the batch it
ran in, its size or its order."""

import sys
from pathlib import Path

import numpy as np
import pytest

from escalation_sim.batch import Together, run_all, run_together, stackable
from escalation_sim.model import SERIES, EscalationModel
from escalation_sim.outcomes import RunOutcome
from escalation_sim.population import STACKED, Crowd
from escalation_sim.record.posterior import (
    fitted,
)
from escalation_sim.rng import run_seed
from escalation_sim.runner import run_model
from escalation_sim.scenario import load_scenario, resolve_policy
from escalation_sim.submodels.decisions import Decisions, Neighbour, RegionalOrganization
from escalation_sim.submodels.mobilization import Mobilization

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from batch_gate import forecast_scenarios, mixed_scenario  # noqa: E402

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def deterrence(model):
    """The mobilization step's deterrence product, as it computes it (a Python float while the
    brakes have not moved, a numpy scalar after)."""
    return model.mobilization.p.w_deterrence * model.mobilization.punishment()


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
    scenarios, seeds = forecast_scenarios(12, 6, seed=5, sample=3)
    return scenarios, seeds, [run_model(s, x) for s, x in zip(scenarios, seeds, strict=True)]


@pytest.mark.parametrize("runs", ["forecast_runs", "mixed_runs"])
def test_runs_together_equal_their_own_runs(runs, request):
    scenarios, seeds, alone = request.getfixturevalue(runs)
    together = run_together(scenarios, seeds)
    assert_same(alone, together)
    # they mobilized people and reached the deterrence term's float64 branch (the brakes
    # moved), so the batched step's arithmetic was exercised, not only its zeros
    assert max(float(m.series[:, SERIES.index("mobilized")].max()) for m in together) > 0
    assert any(isinstance(deterrence(m), np.floating) for m in together)
    if runs == "mixed_runs":   # and detention, a coup regime's fear, episodes
        detained = [m for m in together if m.params.violence.counterinsurgency > 0]
        assert any(m.civilians.detained.any() for m in detained)
        assert any(m.government.coup_strength > 0 for m in together)
        assert any(m.violence.episodes for m in together)


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


def month_by_month(scenarios, seeds, policy=None, prepare=None) -> set[str]:
    """Step the runs alone and together, and after every month compare the stacked civilians
    (attitudes in float32, the flags, detention, cells), what the batched steps own or hand on
    (hate, weariness, inequality; the violence step's books, campaigns' exhaustion and
    episodes' windows, which each run's second half computes from the batched first half's
    parts; the actors' attention), the protectors and the series row: a difference shows in
    the month it arises, before it reaches a series. ``prepare`` is called on every model once
    built. Returns the branches the runs went through."""
    alone = [EscalationModel(s, x, policy) for s, x in zip(scenarios, seeds, strict=True)]
    together = Together(scenarios, seeds, policy)
    for model in (*alone, *together.models):
        if prepare is not None:
            prepare(model)
    initial = [m.mobilization.inequality.copy() for m in together.models]
    reached = set()
    for month in range(scenarios[0].run.months):
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
                         (model.mobilization.inequality, mine.mobilization.inequality),
                         (v.victimization, w.victimization), (v.menace, w.menace),
                         (v.alive_cells, w.alive_cells), (v.exhaustion, w.exhaustion),
                         (v.campaign, w.campaign), (v.resolve, w.resolve),
                         (v._window, w._window), (v._toll, w._toll),
                         (v.deaths_by, w.deaths_by), (v.protectors, w.protectors),
                         (v.protectors_state, w.protectors_state),
                         (model.series[month + 1], mine.series[month + 1])):
                assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (month, r)
            assert [e is None for e in v._ongoing] == [e is None for e in w._ongoing]
            assert v.episodes == w.episodes, (month, r)
            o, q = model.observation, mine.observation
            for a, b in ((o.history, q.history), (o.scores, q.scores),
                         (o.observed_indicators, q.observed_indicators),
                         (o.observed_scores, q.observed_scores),
                         (model.mobilization.group_alive, mine.mobilization.group_alive),
                         (model.mobilization.group_totals, mine.mobilization.group_totals)):
                assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (month, r)
            for a, b in ((o.stage, q.stage), (o.observed_stage, q.observed_stage),
                         (o.delay, q.delay), (o.salience, q.salience),
                         (o.observed_salience, q.observed_salience),
                         *((x.mean_grievance, y.mean_grievance) for x, y in zip(
                             model.groups, mine.groups, strict=True)),
                         *((x.mobilized_share, y.mobilized_share) for x, y in zip(
                             model.groups, mine.groups, strict=True))):
                assert type(a) is type(b) and a == b, (month, r)
            for a, b in ((v.prevented, w.prevented), (v.international, w.international),
                         *((x.strength, y.strength) for x, y in zip(
                             model.armed_groups, mine.armed_groups, strict=True)),
                         *((x.attention, y.attention) for x, y in zip(
                             model.decisions.stepping, mine.decisions.stepping, strict=True)),
                         *((x.spent, y.spent) for x, y in zip(
                             model.decisions.stepping, mine.decisions.stepping, strict=True))):
                assert type(a) is type(b) and a == b, (month, r)
            attending = together.batched[Decisions].attending
            reached |= {name for name, hit in (
                ("neighbours together", any(type(a) is Neighbour for a in attending)),
                ("informed together", any(type(a) is RegionalOrganization and a.information() > 0
                                          for a in attending)),
                ("deterred", w.prevented > 0), ("exhausted", w.exhaustion.any()),
                ("armed", bool(mine.armed_groups) and w.menace.any()),
                ("protected", w.international > 0),
                ("attentive", min(a.attention for a in mine.decisions.stepping) > 0),
                ("warned", mine.decisions.actors["secretariat"].warned is not None),
                ("included", (mine.mobilization.inequality != initial[r]).any()),
                ("onset", bool(w.episodes)),
                ("ended", any(e.end is not None for e in w.episodes)),
                ("relocated", w.model.civilians.displaced.any()),
                ("killing", mine.series[month + 1, SERIES.index("killings")] > 0),
                ("risk", q.stage >= 1), ("threat", q.stage >= 2),
                ("observed_threat", q.observed_stage >= 2), ("delayed", q.delay > 0)) if hit}
    return reached


@pytest.mark.parametrize("runs", ["forecast_runs", "mixed_runs"])
def test_every_civilians_state_equals_the_runs_own_month_by_month(runs, request):
    scenarios, seeds, _ = request.getfixturevalue(runs)
    reached = month_by_month(scenarios, seeds)
    assert reached >= {"deterred", "armed", "killing", "risk", "delayed", "attentive"}
    if runs == "mixed_runs":
        assert reached >= {"exhausted", "threat", "observed_threat"}


@pytest.mark.parametrize(("name", "policy", "reaches"), [
    ("default", "sustained", {"included"}),
    ("state_perpetrator", "late_response", {"protected"}),
    ("coup_polarization", "act_on_the_coup", {"protected"})])
def test_runs_under_a_policy_equal_their_own_month_by_month(name, policy, reaches):
    """A policy's deliveries act on state the batched steps read: protectors deployed,
    inequality reduced, leaders moderated."""
    scenario = load_scenario(name, ["run.n_civilians=600"])
    reached = month_by_month([scenario] * 3, [run_seed(4, i) for i in range(3)],
                             resolve_policy(scenario, policy))
    assert reached >= reaches


def test_actors_attention_equals_their_own_month_by_month():
    """Neighbours see the true situation, the regional organization partly through them, the
    others the observed one less distraction; an actor registered after the secretariat moves
    after its warning's boost, and one stepping by its own ``step`` (here first, reading a
    later actor's attention) keeps every actor after it stepping as its run's own."""
    from escalation_sim.submodels.decisions import InternationalActor

    class Watcher(InternationalActor):
        def __init__(self, model, watched):
            super().__init__(model, "Watcher", "watcher")
            self.watched = watched

        def step(self):
            super().step()
            self.spent = self.watched.attention   # last month's, as the model steps them

    def observer(model):
        if model.seed == seeds[0]:   # one run only: the others' actors attend together
            watched = InternationalActor(model, "Watched", "watched")
            model.decisions.stepping[:0] = [Watcher(model, watched), watched]
        model.decisions.register(InternationalActor(model, "Observer", "observer"))

    scenario = load_scenario("violent_extremism", [
        "run.n_civilians=600", "international.distraction=0.05",
        'international.neighbours=[{name="North", information=0.7}, {name="South"}]'])
    assert any(isinstance(a, Neighbour) for a in EscalationModel(scenario, 0).decisions.stepping)
    seeds = [run_seed(7, i) for i in range(3)]
    reached = month_by_month([scenario] * 3, seeds, prepare=observer)
    assert reached >= {"attentive", "warned", "neighbours together", "informed together"}


# parameters the batched steps read into per-run columns, each set to a value of its own in
# every run (their declared value times a factor, within bounds), so that a column taken from
# one run for all would show
VARIED = ("mobilization.grievance_rate", "mobilization.fear_rate",
          "mobilization.radicalization_base", "mobilization.radicalization_rate",
          "mobilization.deradicalization_rate", "mobilization.w_grievance", "mobilization.w_peer",
          "mobilization.w_self_protection", "mobilization.demobilization_margin",
          "mobilization.w_inequality", "mobilization.w_discrimination",
          "mobilization.w_impunity", "mobilization.w_victimization",
          "mobilization.fear_victimization", "mobilization.fear_armed",
          "mobilization.menace_half", "mobilization.fear_threat", "mobilization.weariness_half",
          "mobilization.weariness_rate", "mobilization.weariness_fade",
          "mobilization.w_opportunity", "mobilization.w_weariness", "mobilization.w_deterrence",
          "history.w_memory", "history.fear_memory", "information.media_damping",
          "information.exposure_rate", "violence.state_violence",
          "violence.state_violence_hate", "violence.state_orders", "violence.purge",
          "violence.exhaustion_half", "violence.state_efficacy", "violence.deterrence",
          "violence.max_hazard", "violence.defuse_strength", "violence.violations_per_killing",
          "violence.victimization_memory", "violence.rate_window", "violence.flight_base",
          "violence.flee_fear", "violence.return_fear", "violence.refuge_margin",
          "violence.exhaustion_start", "violence.exhaustion_stop",
          "violence.exhaustion_spread", "violence.counterinsurgency", "stages.risk_up",
          "stages.threat_up", "stages.atrocity_up", "stages.hysteresis",
          "stages.killing_scale", "stages.observation_noise", "stages.armed_half",
          "stages.violations_half", "stages.intent_half", "stages.heat_half",
          "stages.mobilized_half", "international.attention_rate",
          "international.distraction", "violence.victimization_half",
          "violence.organized_at", "violence.organized_factor")


def test_runs_whose_every_column_differs_equal_their_own_month_by_month():
    base = load_scenario("coup_polarization", ["run.n_civilians=800", "run.months=24"])
    scenarios = []
    for i in range(6):
        overrides = []
        for j, path in enumerate(VARIED):
            section, field = path.split(".")
            value = getattr(getattr(base, section), field)
            bounds = fitted(path)
            factor = 0.6 + 0.2 * ((i + j) % 5)
            if value == 0:
                new = bounds.low + (bounds.high - bounds.low) * 0.05 * ((i + j) % 5)
            else:
                # (inside the bounds, some of which are exclusive)
                new = min(max(value * factor, bounds.low),
                          bounds.low + 0.99 * (bounds.high - bounds.low))
            overrides.append(f"{path}={new!r}")
        overrides.append(f"stages.max_delay={i + 1}")   # an integer, not a factor of one
        if i == 5:
            overrides.append("violence.deterrence=0.0")   # protection off: its guard
        scenarios.append(load_scenario("coup_polarization",
                                       ["run.n_civilians=800", "run.months=24", *overrides]))
    for path in VARIED:   # the columns do differ between runs
        section, field = path.split(".")
        assert len({getattr(getattr(s, section), field) for s in scenarios}) > 1, path
    reached = month_by_month(scenarios, [run_seed(6, i) for i in range(6)])
    assert reached >= {"deterred", "armed", "killing"}


def test_runs_whose_episodes_end_equal_their_own_month_by_month():
    """An episode that ends leaves its legacy (memory, impunity) through the run's own code,
    from the tolls the batched second half books."""
    scenarios = [load_scenario("state_perpetrator", ["run.n_civilians=600"])] * 4
    reached = month_by_month(scenarios, [run_seed(2, i) for i in range(4)])
    assert reached >= {"onset", "ended", "exhausted", "relocated", "killing"}


def test_runs_with_organized_killing_equal_their_own_month_by_month():
    """Organized killing (``violence.organized_at``) in some runs of a batch, at levels the
    state's killing reaches, steps each run as it steps alone; and it does change the state's
    toll (the same seed without it kills fewer), so the comparison covers the branch."""
    levels = (0.0, 1e-6, 0.0, 2e-5)
    scenarios = [load_scenario("state_perpetrator",
                               ["run.n_civilians=600", f"violence.organized_at={a!r}",
                                "violence.organized_factor=4.0"])
                 for a in levels]
    seeds = [run_seed(11, 0)] * len(levels)   # runs 0 and 1 differ only by organizing
    month_by_month(scenarios, seeds)
    tolls = []   # the state's expected killings of noncombatants over the run (people)
    for s, x in zip(scenarios[:2], seeds[:2], strict=True):
        m, toll = EscalationModel(s, x), 0.0
        for _ in range(m.params.run.months):
            m.step()
            toll += m.violence._window[m.steps % m.params.outcomes.onset_window, 0]
        tolls.append(toll)
    assert tolls[1] > tolls[0] > 0


def test_run_all_keeps_the_order_of_runs_of_several_shapes():
    a = load_scenario("default", ["run.n_civilians=300", "run.months=12",
                                  "events.scheduled=[]"])
    b = load_scenario("default", ["run.n_civilians=400", "run.months=12",
                                  "events.scheduled=[]"])
    c = load_scenario("default", ["run.n_civilians=300", "run.months=12",
                                  "events.scheduled=[]", "outcomes.onset_window=6"])
    scenarios, seeds = [a, b, a, c, b, b], [0, 1, 2, 3, 4, 5]
    assert_same([run_model(s, x) for s, x in zip(scenarios, seeds, strict=True)],
                run_all(scenarios, seeds))


def test_runs_without_their_series_keep_everything_else(mixed_runs):
    """``series=False`` (the forecast's and the calibration's runs) skips the series after
    month 0 and changes nothing a run does: its log, episodes and civilians are the same."""
    scenarios, seeds, alone = mixed_runs
    bare = run_all(scenarios, seeds, series=False)
    for a, b in zip(alone, bare, strict=True):
        assert a.events_log == b.events_log
        assert a.violence.episodes == b.violence.episodes
        assert a.civilians.attitudes.tobytes() == b.civilians.attitudes.tobytes()
        assert a.series[0].tobytes() == b.series[0].tobytes()
        assert np.isnan(b.series[1:]).all()
        with pytest.raises(ValueError, match="series=False"):
            RunOutcome.from_model(b)
    assert any(a.violence.episodes for a in alone)


def test_a_run_does_not_depend_on_its_batch(forecast_runs):
    """The same runs in batches of one, of five and in reverse order."""
    scenarios, seeds, alone = forecast_runs
    assert_same(alone[:1], run_together(scenarios[:1], seeds[:1]))
    assert_same(alone[3:8], run_together(scenarios[3:8], seeds[3:8]))
    assert_same(alone[::-1], run_together(scenarios[::-1], seeds[::-1]))


@pytest.fixture(scope="module")
def mixed_runs():
    """Runs of ``coup_polarization`` that differ in fear of a coup regime, detention,
    repression, exhausted campaigns, episodes and a peer weight inexact in float32 (the gates'
    mixed batch, ``benchmarks/batch_gate.py``, which reaches the steps' branches)."""
    scenarios = [mixed_scenario(i) for i in range(14)]
    seeds = [run_seed(1, i) for i in range(14)]
    return scenarios, seeds, [run_model(s, x) for s, x in zip(scenarios, seeds, strict=True)]


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


def test_a_rebound_view_of_a_batched_step_is_detected():
    scenario = load_scenario("default", ["run.n_civilians=300", "run.months=2",
                                         "events.scheduled=[]"])
    together = Together([scenario] * 2, [0, 1])
    together.month()
    mob = together.models[1].mobilization
    mob.weariness = mob.weariness.copy()
    with pytest.raises(RuntimeError, match="Mobilization.weariness was rebound"):
        together.run()


def test_timed_steps_change_nothing_and_name_every_step(forecast_runs):
    """``Together.timings``, as ``EscalationModel.timings``: a time per step of the month."""
    scenarios, seeds, alone = forecast_runs
    together = Together(scenarios[:3], seeds[:3])
    together.timings = {}
    assert_same(alone[:3], together.run())
    assert list(together.timings) == [m.name for m in alone[0].modules]
    assert all(t > 0 for t in together.timings.values())
