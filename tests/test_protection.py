"""Protection as a presence with a size, and the regime's will and consent as state (issue 12,
part 5). The deterrence function's own unit tests are in test_submodels.py."""

import math

import numpy as np
import pytest

from escalation_sim import EscalationModel, load_scenario
from escalation_sim.params import PolicyParams
from escalation_sim.submodels.delivery import consents


def policy(*specs):
    return PolicyParams.model_validate({"interventions": list(specs)})


# ---- political will and consent ----------------------------------------------------------
def test_will_is_steady_without_pressure_threat_or_new_complicity(default):
    m = EscalationModel(default, 0)
    gov = m.government
    for _ in range(60):
        gov.step(0.0)
    assert gov.political_will == default.government.political_will
    assert gov.complicity == default.government.complicity


def test_pressure_raises_will_and_lowers_complicity_towards_their_targets(default):
    m = EscalationModel(default, 0)
    gov, p = m.government, default.government
    for _ in range(300):
        gov.end_pressure()
        gov.press(0.5)
        gov.step(0.0)
    assert gov.pressure == 0.5
    complicity = p.complicity - p.complicity_pressure * 0.5
    assert gov.complicity == pytest.approx(complicity, abs=1e-4)
    will = (p.political_will + p.will_pressure * 0.5
            - p.will_complicity * (complicity - p.complicity))
    assert gov.political_will == pytest.approx(will, abs=1e-4)
    assert gov.political_will > p.political_will


def test_a_regimes_interest_in_violence_lowers_its_will(default):
    """Threat to the ruling group raises complicity (an extremist ruler's response); the
    complicity above its start lowers the will to protect."""
    m = EscalationModel(default, 0)
    gov = m.government
    m.leaders[gov.ruling].extremism = 1.0       # no will from threat: all of it to complicity
    for _ in range(120):
        gov.step(1.0)
    assert gov.complicity > default.government.complicity
    assert gov.political_will < default.government.political_will


def test_a_coups_legacy_fades(default):
    """A coup's lost will and raised complicity fade by exp(-months / coup_memory_months): after
    two years they are at that share of their first strength, and after fifty the regime is
    back where it was. Fails if either legacy is for good again (complicity would stay 0.3
    above its start, will at half)."""
    m = EscalationModel(default, 0)
    gov = m.government
    memory = default.events.coup_memory_months
    gov.coup(1.0, 0.5, 0.3)
    assert gov.political_will == pytest.approx(0.5 * default.government.political_will)
    for _ in range(24):
        gov.step(0.0)
    assert gov.coup_complicity == pytest.approx(0.3 * math.exp(-24 / memory))
    assert gov.coup_will_lost == pytest.approx(0.5 * math.exp(-24 / memory))
    assert gov.complicity > default.government.complicity + 0.1
    for _ in range(600):
        gov.step(0.0)
    assert gov.complicity == pytest.approx(default.government.complicity, abs=0.01)
    assert gov.political_will == pytest.approx(default.government.political_will, abs=0.01)


def test_consent_follows_will_and_pressure():
    complicit = load_scenario("default", ["government.complicity=0.8",
                                          "government.political_will=0.3"])
    m = EscalationModel(complicit, 0)
    gov = m.government
    assert not consents(m, intrusive=True)
    gov.press(2.0)                  # felt at the regime's next step
    assert not consents(m, intrusive=True)
    gov.step(0.0)
    ready = gov.political_will + complicit.interventions.consent_pressure * 2.0
    assert ready > gov.complicity and consents(m, intrusive=True)


def test_sanctions_make_a_complicit_regime_accept_peacekeepers_it_refused():
    """Sanctions from month 1 press the regime; peacekeeping asked in month 24 is accepted,
    where without them it is refused (same seed)."""
    complicit = load_scenario("default", ["government.complicity=0.6",
                                          "government.political_will=0.3",
                                          "international.council=[]"])
    pk = {"kind": "peacekeeping", "start": 24}
    alone = EscalationModel(complicit, 0, policy(pk)).run(30)
    pressed = EscalationModel(complicit, 0, policy({"kind": "sanctions", "intensity": 3.0},
                                                   pk)).run(30)
    assert alone.delivery.interventions[0].blocked == "consent"
    assert pressed.delivery.interventions[1].blocked is None
    assert pressed.government.political_will > alone.government.political_will


# ---- dose and response -------------------------------------------------------------------
def test_troops_are_a_number_split_over_the_worst_districts_and_cost_per_thousand(default):
    s = load_scenario("default", ["interventions.peacekeeping.troops=4000",
                                  "interventions.peacekeeping.lag=0"])
    m = EscalationModel(s, 1, policy({"kind": "peacekeeping", "start": 1})).run(3)
    present = m.violence.protectors
    k = max(1, int(m.n_districts * s.interventions.worst_share))
    assert np.count_nonzero(present) == k and present.sum() == pytest.approx(4000.0)
    stage = s.international.stage_cost[m.observation.stage]
    assert m.delivery.cost == pytest.approx(3 * 4.0 * s.interventions.peacekeeping.cost
                                            * stage)


@pytest.mark.slow
def test_more_troops_fewer_noncombatant_deaths_and_the_state_is_deterred_less():
    """Paired seeds in `default` (which has killings by the state's forces, a militia and
    rebels), peacekeeping from month 1 with 0, 1,000 and 5,000 troops: noncombatant deaths fall
    with the number of troops (mean paired difference below zero by more than two standard
    errors), and the rebels lose a larger share of their killings than the state's forces
    (the Fjelde, Hultman & Nilsson 2019 pattern, from ``violence.state_efficacy``)."""
    runs = 40
    deaths, by = {}, {}
    for troops in (0, 1000, 5000):
        s = load_scenario("default", [f"interventions.peacekeeping.troops={max(troops, 1)}"])
        pol = policy({"kind": "peacekeeping", "start": 1}) if troops else None
        models = [EscalationModel(s, seed, pol).run() for seed in range(runs)]
        deaths[troops] = np.array([x.violence.noncombatant_deaths for x in models])
        by[troops] = np.array([x.violence.deaths_by for x in models]).sum(axis=0)
    for low, high in ((0, 1000), (1000, 5000)):
        d = deaths[high] - deaths[low]
        assert d.mean() < -2 * d.std(ddof=1) / np.sqrt(runs), (low, high)
    names = EscalationModel(load_scenario("default"), 0).violence.perpetrators
    state, rebels = names.index("state forces"), names.index("rebels")
    kept = by[5000] / by[0]                  # share of each perpetrator's killings left
    assert by[0][state] > 0 and by[0][rebels] > 0
    assert kept[rebels] < kept[state]
