import hashlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation_sim import SERIES, EscalationModel, load_scenario
from escalation_sim.agents import Institution, Leader
from escalation_sim.model import STEPS
from escalation_sim.stages import Stage
from escalation_sim.submodels.decisions import InternationalActor

COL = {k: i for i, k in enumerate(SERIES)}


def digest(model) -> str:
    return hashlib.sha256(model.series.tobytes()).hexdigest()


def test_a_country_without_armed_groups_runs():
    """The schema allows no armed groups; a model of one built an empty (0, groups) array of
    their targets with ``reshape(0, -1)``, which numpy refuses, and the run crashed."""
    model = EscalationModel(load_scenario("default", ["armed_groups=[]",
                                                      "run.n_civilians=1000"]), 1).run()
    assert model.armed_groups == [] and model.violence.armed_arrays() is None
    assert np.isfinite(model.series).all()


def test_step_order_is_the_docstring_recipe_and_the_plan():
    doc = EscalationModel.__doc__
    order = [m.name for m in STEPS]
    assert order == ["history", "events", "information", "mobilization", "violence", "institutions",
                     "observation", "decisions", "delivery"]
    positions = [doc.index(f"**{name}**") for name in order]
    assert positions == sorted(positions)
    plan = EscalationModel.plan()
    assert [plan.index(f"{i}. {name}") for i, name in enumerate(order, 1)] == sorted(
        plan.index(f"{i}. {name}") for i, name in enumerate(order, 1))


def test_every_series_has_one_owner_and_timings_name_every_step(small):
    owners = [n for m in STEPS for n in m.series]
    assert sorted(owners) == sorted(SERIES) and len(set(owners)) == len(owners)
    m = EscalationModel(small, seed=0)
    plain = EscalationModel(small, seed=0).run(6)
    m.timings = {}
    m.run(6)
    assert list(m.timings) == [s.name for s in STEPS] and all(t > 0 for t in m.timings.values())
    assert np.array_equal(m.series, plain.series, equal_nan=True)   # timing changes nothing


def test_mesa_agents_for_meso_actors(default):
    m = EscalationModel(default, seed=0)
    assert len(m.agents_by_type[Leader]) == len(default.groups)
    assert len(m.brakes) == 7 and all(isinstance(b, Institution) for b in m.brake_list)
    assert len(m.grid.all_cells) == m.n_districts == 16


def test_same_seed_bit_identical_in_this_process(small):
    a, b = EscalationModel(small, seed=9).run(), EscalationModel(small, seed=9).run()
    assert digest(a) == digest(b)
    assert digest(EscalationModel(small, seed=10).run()) != digest(a)


@pytest.mark.slow
def test_same_seed_bit_identical_in_another_process_whatever_the_blas_kernel():
    import os

    code = ("import hashlib; from escalation_sim import EscalationModel, load_scenario; "
            "m = EscalationModel(load_scenario('default'), seed=4).run(); "
            "print(hashlib.sha256(m.series.tobytes()).hexdigest())")
    here = digest(EscalationModel(load_scenario("default"), seed=4).run())
    # the model avoids BLAS, so forcing another OpenBLAS kernel must not change a bit
    for kernel in (None, "Prescott"):
        env = dict(os.environ)
        if kernel:
            env["OPENBLAS_CORETYPE"] = kernel
        other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True, env=env).stdout.strip()
        assert other == here, kernel


def test_invariants_over_a_run(default):
    m = EscalationModel(default, seed=1)
    n = m.civilians.n
    last_deaths = 0
    for _ in range(default.run.months):
        m.step()
        civ = m.civilians
        assert civ.alive.sum() + m.violence.deaths == n                      # population conserved
        assert m.violence.deaths >= last_deaths                              # deaths never decrease
        last_deaths = m.violence.deaths
        for arr in (civ.grievance, civ.fear, civ.radical, civ.exposure):
            assert arr.min() >= 0.0 and arr.max() <= 1.0
        assert not (civ.mobilized & ~civ.alive).any()
        assert not (civ.mobilized & civ.displaced).any()
        assert 0 <= m.observation.stage <= 3 and 0 <= m.observation.observed_stage <= 3
        assert np.all((m.observation.history[m.steps] >= 0)
                      & (m.observation.history[m.steps] <= 1))
    assert m.steps == default.run.months
    assert not np.isnan(m.series).any()


def test_registered_international_actor_is_stepped(small):
    class Counter(InternationalActor):
        calls = 0

        def step(self):
            Counter.calls += 1

    m = EscalationModel(small, seed=0)
    m.decisions.register(Counter(m, "observer"))
    m.run(months=5)
    assert Counter.calls == 5


def test_intervention_hook_changes_state_and_books_cost(default):
    class Protect:
        name = "protect"

        def apply(self, model):
            model.violence.protect(5000.0)   # 5,000 protectors in every district
            return 2.0

    base = EscalationModel(default, seed=3).run()
    assert base.violence.deaths > 0
    m = EscalationModel(default, seed=3)
    m.delivery.interventions.append(Protect())
    m.run()
    assert m.delivery.cost == 2.0 * default.run.months
    assert m.series[-1, COL["cost"]] == m.delivery.cost
    assert m.violence.deaths < base.violence.deaths


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(100, 3000),
    months=st.integers(1, 40),
    width=st.integers(1, 5),
    height=st.integers(1, 5),
    seg=st.floats(0, 1),
    homophily=st.floats(0, 1),
    degree=st.integers(1, 12),
    prof=st.floats(0, 1),
    complicity=st.floats(0, 1),
    share_a=st.floats(0.05, 0.9),
    seed=st.integers(0, 2**32),
)
def test_any_valid_scenario_builds_and_runs(n, months, width, height, seg, homophily, degree,
                                            prof, complicity, share_a, seed):
    rest = 1.0 - share_a
    s = load_scenario("default", [
        f"run.n_civilians={n}", f"run.months={months}", f"space.width={width}",
        f"space.height={height}", f"space.segregation={seg}", f"network.homophily={homophily}",
        f"network.degree={degree}", f"institutions.security_sector.professionalism={prof}",
        f"government.complicity={complicity}", f"groups.A.share={share_a}",
        f"groups.B.share={rest * 0.6}", f"groups.C.share={rest * 0.4}",
        "events.scheduled=[]"])
    m = EscalationModel(s, seed=seed).run()
    stages = m.series[:, COL["stage"]]
    assert set(np.unique(stages)) <= {int(x) for x in Stage}
    assert m.civilians.alive.sum() + m.violence.deaths == n
    deaths = m.series[:, COL["deaths"]]
    assert np.all(np.diff(deaths) >= 0)
    for k in ("mobilized", "propaganda", "grievance", "fear", "radicalization", "risk",
              "threat", "atrocity"):
        assert np.all((m.series[:, COL[k]] >= 0) & (m.series[:, COL[k]] <= 1)), k


def test_stepping_past_the_horizon_is_refused_without_counting(small):
    import pytest

    m = EscalationModel(small, seed=0).run()
    assert not m.running and m.steps == small.run.months
    with pytest.raises(RuntimeError, match="horizon"):
        m.step()
    assert m.steps == small.run.months


def test_alive_counts_per_cell_stay_in_step_with_the_civilians(default):
    m = EscalationModel(default, seed=2)
    cells = m.n_districts * m.n_groups
    for _ in range(60):
        m.step()
        civ = m.civilians
        recount = np.bincount(civ.key[civ.alive], minlength=cells).reshape(
            m.violence.alive_cells.shape)
        assert np.array_equal(m.violence.alive_cells, recount)
        assert np.array_equal(civ.key, civ.district.astype(np.int32) * m.n_groups + civ.group)
