"""Coup attempts measured alike in the record and in the model (escalation_sim.record.coups)."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from escalation_sim.cli import main
from escalation_sim.model import SERIES, LogEntry
from escalation_sim.record.coups import (
    coup_masks,
    coup_targets,
    model_table,
    monthly,
    violence_coefficient,
)
from escalation_sim.submodels.violence import Episode


def table(rows):
    return pd.DataFrame(rows, columns=["profile", "year", "flag", "mk"])


# profile 1: an attempt in 2002 (flag on 2002-2006), then calm years with an episode ongoing;
# profile 2: an attempt in 2001 during an episode; profile 3: a gap in its years, so 2003 is
# not at risk (its previous row is not the year before)
HAND = table([(1, 2000, 0, 0), (1, 2001, 0, 0), (1, 2002, 1, 0), (1, 2003, 1, 0),
              (1, 2004, 1, 0), (1, 2005, 1, 0), (1, 2006, 1, 0), (1, 2007, 0, 0),
              (1, 2008, 0, 1), (1, 2009, 0, 1),
              (2, 2000, 0, 1), (2, 2001, 1, 1), (2, 2002, 1, 1),
              (3, 2000, 0, 0), (3, 2003, 1, 0)])


def test_coup_rates_on_a_table_worked_out_by_hand():
    masks = coup_masks(HAND)
    event, at_risk = masks["coup_rate"]
    # at risk: 1/2001, 1/2002, 1/2008, 1/2009 (the previous year's flag is off), 2/2001; a
    # profile's first year and the year after a gap are not; events: 1/2002, 2/2001
    assert at_risk.sum() == 5 and (event & at_risk).sum() == 2
    assert HAND.year[at_risk].tolist() == [2001, 2002, 2008, 2009, 2001]
    t = {x.name: x for x in coup_targets(HAND, resamples=200)}
    assert t["coup_rate"].value == pytest.approx(2 / 5)
    assert t["coup_rate_mass_killing"].value == pytest.approx(1 / 3)
    assert t["coup_rate_no_mass_killing"].value == pytest.approx(1 / 2)
    assert t["coup_ratio_mass_killing"].value == pytest.approx((1 / 3) / (1 / 2))
    assert "coup_rate_battle" not in t     # the table has no battle-death column


def test_monthly_hazard_and_the_violence_coefficient():
    assert 1 - (1 - monthly(0.1)) ** 12 == pytest.approx(0.1)
    c = violence_coefficient(1.75, 0.8, 0.0)
    assert (1 + c * 0.8) / (1 + c * 0.0) == pytest.approx(1.75)
    assert np.isnan(violence_coefficient(1.75, 0.5, 0.4))   # no positive coefficient does it


def fake_run(seed, months, coups, episodes, past=None):
    """What model_table reads of a finished model: the event log, the episodes, the series,
    the past coup."""
    series = np.zeros((months + 1, len(SERIES)))
    series[:, SERIES.index("atrocity")] = 0.2
    for e in episodes:
        end = months if e.end is None else e.end
        series[e.onset:end + 1, SERIES.index("atrocity")] = 0.8
    return SimpleNamespace(
        seed=seed, steps=months, series=series, recorded=True,
        events_log=[LogEntry(m, "coup", "") for m in coups] + [LogEntry(5, "election", "")],
        violence=SimpleNamespace(episodes=episodes),
        params=SimpleNamespace(history=SimpleNamespace(coup_months_ago=past)))


def test_simulated_years_are_measured_as_the_record_is():
    # run 1, 48 months: a coup in month 12 (year 0) and one in month 13 (year 1, hidden by the
    # first's five-year window); an episode from month 30 on. Run 2, 24 months: a past coup 70
    # months before the run (its window ended) and none in the run
    runs = [fake_run(1, 48, [12, 13], [Episode("state", 30)]), fake_run(2, 24, [], [], 70)]
    t, with_mk, without = model_table(runs)
    assert t.year.tolist() == [-1, 0, 1, 2, 3, -1, 0, 1]
    assert t.flag.tolist() == [False, True, True, True, True, False, False, False]
    assert t.mk.tolist() == [False, False, False, True, True, False, False, False]
    event, at_risk = coup_masks(t)["coup_rate"]
    assert at_risk.sum() == 3 and event.sum() == 1          # 1/0 (event), 2/0, 2/1
    assert with_mk.size == 19 and set(with_mk) == {0.8} and set(without) == {0.2}
    # a past coup 30 months before the run keeps the flag on into the run's first years
    t, _, _ = model_table([fake_run(3, 24, [], [], 30)])
    assert t.flag.tolist() == [True, True, True]


def test_record_coups_command_reports_the_record_and_a_scenario(capsys):
    assert main(["record", "coups", "--scenario", "resilient", "--runs", "2", "--set",
                 "run.months=24", "--set", "run.n_civilians=500", "--set",
                 "events.scheduled=[]"]) == 0
    out = capsys.readouterr().out
    assert "not escalation-sim" in out and "coup_rate_no_mass_killing" in out
    assert "The model's (resilient, 2 runs of 24 months" in out and "not a forecast" in out
