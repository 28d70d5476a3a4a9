"""International actors and the warning-to-action pipeline, under shared seeds."""

import numpy as np

from escalation_sim import EscalationModel, load_scenario, run_ensemble
from escalation_sim.params import PolicyParams

RUNS = 40


def policy(*specs):
    return PolicyParams.model_validate({"interventions": list(specs)})


FORCE = policy({"kind": "authorized_force", "trigger_stage": 3, "trigger_months": 1})


def council(backs):
    return load_scenario("default", [
        f"international.council=[{{name='P1', permanent=true, backs={backs}, "
        "veto_propensity=1.0}, {name='P2', permanent=true}, {name='E1'}]"])


def test_a_veto_holding_backer_of_the_perpetrator_delays_action_and_raises_deaths():
    free = run_ensemble(council("[]"), RUNS, seed=11, workers=2, policy=FORCE)
    shielded = run_ensemble(council("['A']"), RUNS, seed=11, workers=2, policy=FORCE)
    acted_free = [o.first_action_month for o in free]
    acted_shielded = [o.first_action_month for o in shielded]
    # wherever action came under both councils, the shielded council acted no earlier
    assert all(b >= a for a, b in zip(acted_free, acted_shielded, strict=True)
               if a is not None and b is not None)
    assert sum(a is not None for a in acted_shielded) < sum(a is not None for a in acted_free)
    assert any("authorized_force:veto" in o.blocked for o in shielded)
    d = np.array([b.deaths - a.deaths for a, b in zip(free, shielded, strict=True)])
    assert d.mean() > 2 * d.std(ddof=1) / np.sqrt(RUNS), d.mean()


def test_vetoes_are_logged_and_a_non_backed_perpetrator_is_not_shielded():
    m = EscalationModel(council("['C']"), 3, FORCE).run()   # C fields no armed group
    assert not any("vetoed" in e.text for e in m.events_log)
    m = EscalationModel(council("['A']"), 3, FORCE).run()
    d = m.interventions[0]
    if d.warned is not None:
        assert any("vetoed by P1" in e.text for e in m.events_log)


def test_an_external_sponsor_raises_armed_capacity_and_deaths_and_denial_counters_it():
    plain = load_scenario("default")
    sponsored = load_scenario("default", ["international.sponsors=[{name='S', "
                                          "backs='militia', arms=1.0}]"])
    m = EscalationModel(sponsored, 0).run(months=3)
    assert m.armed_groups[0].multiplier == 2.0 and m.armed_groups[1].multiplier == 1.0
    base = run_ensemble(plain, RUNS, seed=5, workers=2)
    armed = run_ensemble(sponsored, RUNS, seed=5, workers=2)
    denied = run_ensemble(sponsored, RUNS, seed=5, workers=2,
                          policy=policy({"kind": "deny_means"}))
    up = np.array([b.deaths - a.deaths for a, b in zip(base, armed, strict=True)])
    down = np.array([b.deaths - a.deaths for a, b in zip(armed, denied, strict=True)])
    assert up.mean() > 2 * up.std(ddof=1) / np.sqrt(RUNS)
    assert down.mean() < -2 * down.std(ddof=1) / np.sqrt(RUNS)


def test_states_resist_early_agendas():
    # the same trigger reaches the agenda later when the state is more complicit (R14 §73)
    months = {}
    for complicity in (0.0, 0.6):
        s = load_scenario("default", [f"government.complicity={complicity}"])
        m = EscalationModel(s, 0, policy({"kind": "peer_review", "trigger_stage": 1})).run(12)
        d = m.interventions[0]
        months[complicity] = d.agenda_at - d.warned
    assert months[0.0] == 2 and months[0.6] == 2 + round(6.0 * 0.6)


def test_prevention_funding_scales_early_interventions():
    s = load_scenario("default", ["international.prevention_funding=0.5"])
    m = EscalationModel(s, 0, policy({"kind": "build_judiciary"})).run(12)
    assert m.interventions[0].funded == 0.5


def test_earlier_action_costs_less_per_mass_atrocity_averted_than_the_same_tools_late():
    s = load_scenario("default")
    tools = [{"kind": "human_rights_monitoring"}, {"kind": "mediation_support"},
             {"kind": "deny_means"}]
    late_tools = [dict(t, trigger_stage=3, trigger_months=1) for t in tools]
    runs = 60
    base = run_ensemble(s, runs, seed=5, workers=2)
    p0 = np.mean([o.mass_atrocity for o in base])

    def cost_per_averted(outcomes):
        averted = p0 - np.mean([o.mass_atrocity for o in outcomes])
        cost = np.mean([o.cost for o in outcomes])
        assert cost > 0
        return cost / averted if averted > 0 else np.inf

    early = cost_per_averted(run_ensemble(s, runs, seed=5, workers=2, policy=policy(*tools)))
    late = cost_per_averted(run_ensemble(s, runs, seed=5, workers=2, policy=policy(*late_tools)))
    assert early < late
