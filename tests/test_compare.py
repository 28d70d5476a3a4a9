import json
import subprocess
import sys

import numpy as np
import pytest

from escalation_sim import load_scenario, run_ensemble
from escalation_sim.compare import compare, paired_difference
from escalation_sim.scenario import resolve_policy


def test_paired_difference_by_hand():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = a + np.array([1.0, 1.0, 2.0, 0.0])        # differences 1, 1, 2, 0: mean 1, sd 0.8165
    r = paired_difference(a, b)
    half = 3.182446 * 0.816497 / 2              # t(0.975, 3) × sd / √n
    assert r["difference"] == 1.0
    assert r["paired_low"] == pytest.approx(1 - half, abs=1e-5)
    assert r["paired_high"] == pytest.approx(1 + half, abs=1e-5)
    # shared run-to-run spread cancels when paired, not when unpaired
    assert r["width_ratio"] < 1


def test_compare_refuses_unpaired_runs():
    s = load_scenario("default", ["run.months=12", "events.scheduled=[]"])
    a, b = run_ensemble(s, 3, seed=1, workers=1), run_ensemble(s, 3, seed=2, workers=1)
    with pytest.raises(ValueError, match="not paired"):
        compare({"a": a, "b": b})


def after(outcomes, month):
    return np.array([max(o.stages[month:]) >= 2 for o in outcomes], float)


@pytest.mark.slow
def test_premature_exit_lets_escalation_return_more_than_sustained_engagement():
    s = load_scenario("default")
    runs = 60
    sustained = run_ensemble(s, runs, seed=7, workers=2, policy=resolve_policy(s, "sustained"))
    exit_ = run_ensemble(s, runs, seed=7, workers=2, policy=resolve_policy(s, "premature_exit"))
    d = after(exit_, 36) - after(sustained, 36)   # the exit takes effect by month 30
    se = d.std(ddof=1) / np.sqrt(runs)
    assert d.mean() > 2 * se and d.mean() > 0.05, (d.mean(), se)


@pytest.mark.slow
def test_compare_cli_json(tmp_path, capsys):
    r = subprocess.run([sys.executable, "-m", "escalation_sim.cli", "compare", "--policy", "none",
                        "--policy", "late_response", "--runs", "8", "--workers", "2", "--json",
                        "--out", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)["comparison"]
    assert set(doc["policies"]) == {"none", "late_response"}
    assert doc["runs"] == 8
    pair = doc["pairs"][0]
    assert (pair["first"], pair["second"]) == ("none", "late_response")
    for metric in ("mass_atrocity", "reach_stage_2", "deaths", "cost", "recurrence"):
        assert {"difference", "paired_low", "paired_high", "unpaired_low", "unpaired_high",
                "width_ratio"} <= set(pair[metric])
    assert doc["policies"]["none"]["cost"]["mean"] == 0
    lines = (tmp_path / "outcomes.csv").read_text().splitlines()
    assert len(lines) == 1 + 16 and lines[0].startswith("policy,run,seed")
    # the refusal in-process (an uncaught exception fails the test; no second interpreter start)
    from escalation_sim.cli import main

    assert main(["compare", "--policy", "none", "--policy", "everything"]) == 2
    assert "unknown policy" in capsys.readouterr().err
