"""Analysis of sweeps: rates against hand counts, paired differences, Sobol on Ishigami, PRIM."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from escalation_sim.compare import paired_metrics
from escalation_sim.experiments import sample
from escalation_sim.experiments.analysis import (
    Results,
    analyze,
    factor_levels,
    format_report,
    policy_differences,
    prim_box,
    rates,
    rates_by_factor,
    run_noise,
    sobol_indices,
)
from escalation_sim.experiments.schema import Experiment
from escalation_sim.outcomes import RunOutcome, summarize


def runs_table(highest, stopped, mass, policy="none", point=None, status=None):
    n = len(highest)
    return pd.DataFrame({
        "run": np.arange(n), "point": np.arange(n) if point is None else point,
        "replication": 0, "policy": policy, "seed": 1,
        "status": status if status is not None else ["ok"] * n,
        "highest_stage": highest, "stopped_at": stopped, "mass_atrocity": mass,
        "recurrences": 0, "deaths": 0.0, "displaced_peak": 0.0, "cost": 0.0})


def test_rates_match_hand_counts_and_wilson():
    # 10 runs: 6 reach stage 2, 3 reach stage 3, 2 stopped at 2, 1 mass atrocity; one more
    # run failed and must not count
    highest = [1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3]
    stopped = [None, None, None, None, 2, 2, None, None, None, None, None]
    mass = [False] * 9 + [True, True]
    status = ["ok"] * 10 + ["failed"]
    r = rates(runs_table(highest, stopped, mass, status=status)).set_index("outcome")
    assert r.loc["reach_stage_2", ["count", "n"]].tolist() == [6, 10]
    assert r.loc["reach_stage_3", "count"] == 3
    assert r.loc["stopped_at_stage_2", "count"] == 2
    assert r.loc["mass_atrocity", "count"] == 1
    ci = stats.binomtest(6, 10).proportion_ci(0.95, method="wilson")
    assert r.loc["reach_stage_2", "p"] == 0.6
    assert r.loc["reach_stage_2", "low"] == pytest.approx(ci.low)
    assert r.loc["reach_stage_2", "high"] == pytest.approx(ci.high)


def outcome(seed, highest, stopped, mass, deaths):
    return RunOutcome(seed=seed, months=3, stages=(0, highest, highest, 0), highest_stage=highest,
                      first_month_at_stage=(0, 1, 1 if highest >= 2 else None, None),
                      stopped_at=stopped, recurrences=seed % 2, mass_atrocity=mass,
                      mass_atrocity_month=2 if mass else None, deaths=deaths,
                      displaced_peak=deaths / 3, displaced_end=0.0, violations=1.0,
                      cost=float(seed), warning_month=None, formal_warning_month=None,
                      first_action_month=None, blocked=("consent:2",) if mass else (),
                      mass_killing_onset=mass and deaths > 1, onset_month=2 if mass else None,
                      onset_perpetrator="militia" if mass else None,
                      mass_killing_episodes=int(mass), mass_killing_ended=False,
                      mass_killing_recurrence=False,
                      deaths_noncombatant=deaths / 2, deaths_combatant=deaths / 2,
                      deaths_by_perpetrator=(("state forces", deaths),))


def test_a_stored_table_summarizes_and_compares_like_its_outcomes(tmp_path):
    # the same runs as RunOutcome objects (single ensembles) and as sweep rows read back from
    # Parquet (None as NaN, booleans as objects) give the same numbers, to the bit
    first = [outcome(1, 3, None, True, 0.1), outcome(2, 2, 2, False, 7.3),
             outcome(3, 1, 1, False, 1 / 3), outcome(4, 3, None, True, 2e6)]
    second = [outcome(1, 2, 2, False, 0.2), outcome(2, 2, None, False, 7.1),
              outcome(3, 1, None, False, 1 / 7), outcome(4, 3, 3, False, 1e6)]
    rows = pd.DataFrame([o.to_row() for o in first + second]
                        + [{**first[0].to_row(), "mass_atrocity": None, "stopped_at": None}])
    rows.to_parquet(tmp_path / "t.parquet")
    table = pd.read_parquet(tmp_path / "t.parquet").iloc[:8]
    assert summarize(table.iloc[:4]) == summarize(first)
    assert paired_metrics(table.iloc[:4], table.iloc[4:]) == paired_metrics(first, second)


def test_rates_by_factor_level():
    df = runs_table([3, 3, 1, 1], [None] * 4, [True, False, False, False])
    df["x"] = [0.1, 0.1, 0.9, 0.9]
    r = rates(df, ["policy", "x"])
    m = r[r.outcome == "mass_atrocity"].set_index("x")
    assert m.loc[0.1, "p"] == 0.5 and m.loc[0.9, "p"] == 0.0
    assert r[(r.outcome == "reach_stage_3")].set_index("x").loc[0.1, "p"] == 1.0


def test_rates_by_factor_bin_continuous_factors_in_quartiles():
    # 16 runs per policy with x spread over [5, 20]: quartile bins of 4 runs each, in numeric
    # order (as strings "8.75–12.5" would sort before "5–8.75"); mass atrocity in 3 of the
    # lowest 4 and 1 of the next under 'none', in none under 'help'; a factor with few levels
    # keeps its own values; policies in the given order, not their order in the table
    mass = [True, True, True, False, True] + [False] * 11
    none = runs_table([3] * 5 + [1] * 11, [None] * 16, mass)
    helped = runs_table([1] * 16, [None] * 16, [False] * 16, policy="help")
    df = pd.concat([helped, none], ignore_index=True)
    df["x"] = np.tile(np.linspace(5.0, 20.0, 16), 2)    # quartile edges 5, 8.75, 12.5, 16.25, 20
    df["lvl"] = [0.8, 0.2] * 16                         # 'none': 1 of the 0.2 runs, 3 of 0.8
    df = df.sample(frac=1.0, random_state=1)            # row order must not matter
    r = rates_by_factor(df, ["x", "lvl"], policies=["none", "help"])
    m = r[(r.outcome == "mass_atrocity") & (r.parameter == "x")]
    assert m["policy"].tolist() == ["none"] * 4 + ["help"] * 4
    assert m["level"].tolist() == ["5–8.75", "8.75–12.5", "12.5–16.2", "16.2–20"] * 2
    assert m["count"].tolist() == [3, 1, 0, 0, 0, 0, 0, 0] and set(m["n"]) == {4}
    lv = r[(r.outcome == "mass_atrocity") & (r.parameter == "lvl") & (r.policy == "none")]
    assert lv["level"].tolist() == [0.2, 0.8] and lv["count"].tolist() == [1, 3]


def test_factor_levels_missing_values_narrow_ranges_and_integers():
    x = pd.Series(np.r_[np.linspace(100.0, 100.4, 20), np.nan])
    levels, order = factor_levels(x)
    # edges 100, 100.1, ..., 100.4 need 4 significant digits to be told apart
    assert order == ["100–100.1", "100.1–100.2", "100.2–100.3", "100.3–100.4", "missing"]
    assert levels.iloc[-1] == "missing" and levels.iloc[0] == order[0]
    _, order = factor_levels(pd.Series(np.arange(10_000, 10_020)))   # edges 10000, 10004.75, ..
    assert order == ["10000–10005", "10005–10010", "10010–10014", "10014–10019"]


def test_policy_differences_are_paired_by_point_and_replication():
    a = runs_table([3, 3, 1, 1], [None] * 4, [True, True, False, False], policy="none")
    b = runs_table([1, 3, 1, 1], [None] * 4, [False, True, False, False], policy="help")
    b["run"] += 4
    d = policy_differences(pd.concat([a, b]))
    row = d[d.metric == "mass_atrocity"].iloc[0]
    assert (row["first"], row["second"], row["pairs"]) == ("none", "help", 4)
    assert row["difference"] == pytest.approx(-0.25)
    # per-pair differences (0, -1, 0, 0): sd 0.5, t(3) interval
    half = stats.t.ppf(0.975, 3) * 0.5 / 2
    assert row["paired_low"] == pytest.approx(-0.25 - half)


ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]
"""Analytic first-order and total indices of the Ishigami function, A = 7, B = 0.1 (Saltelli
et al. 2008, Global Sensitivity Analysis: The Primer, as quoted in SALib.test_functions)."""


def test_sobol_indices_recover_the_ishigami_analytic_values():
    from SALib.test_functions import Ishigami

    exp = Experiment.model_validate({
        "name": "ishigami", "seed": 1, "sampler": {"method": "sobol", "samples": 1024},
        "parameters": [{"path": f"x.{i}", "range": [-math.pi, math.pi]} for i in (1, 2, 3)]})
    d = sample(exp)
    y = Ishigami.evaluate(d.x)
    runs = pd.DataFrame({"run": np.arange(len(d)), "point": np.arange(len(d)),
                         "replication": 0, "policy": "none", "status": "ok", "y": y})
    manifest = {"sampler": exp.sampler.model_dump(), "points": len(d), "problem": d.problem,
                "parameters": d.names}
    si = sobol_indices(Results(runs, manifest), "y", seed=1)
    # Tolerance: with N = 1024 base samples (5,120 evaluations) the Saltelli/Jansen estimators'
    # bootstrap 95 % half-widths are about 0.03-0.06 here; 0.06 allows for that sampling error
    # while still failing if columns were mixed up (the indices differ by >= 0.12).
    assert si["S1"].to_numpy() == pytest.approx(ISHIGAMI_S1, abs=0.06)
    assert si["ST"].to_numpy() == pytest.approx(ISHIGAMI_ST, abs=0.06)
    assert (si["S1_conf"] < 0.1).all()
    # the bootstrap is seeded, seed 0 included: the same intervals on every call
    first, again = (sobol_indices(Results(runs, manifest), "y", seed=0) for _ in range(2))
    pd.testing.assert_frame_equal(first, again)


def test_run_noise_measures_the_share_of_replication_noise_in_point_means():
    # 400 points x 4 replications of y = a(point) + e, var(a) = 1, var(e) = 4: the per-point
    # mean carries noise 4 / 4 = 1 of its total variance 1 + 1, a share of 1/2; a share of 0.2
    # needs R >= 4 * 0.8 / (0.2 * 1) = 16. Tolerances: with 400 points the variance estimates
    # have a relative standard error of about sqrt(2 / 400) = 7 %, so the share is within
    # 0.5 +- 0.07 and R within 16 +- 3 at two standard errors (fixed seed, for reproducibility).
    rng = np.random.default_rng(5)
    points, reps = 400, 4
    point = np.repeat(np.arange(points), reps)
    y = rng.normal(0, 1, points)[point] + rng.normal(0, 2, points * reps)
    runs = pd.DataFrame({"point": point, "replication": np.tile(np.arange(reps), points),
                         "policy": "none", "status": "ok", "y": y})
    noise = run_noise(runs, "y")
    assert noise["replications"] == reps
    assert noise["noise_share"] == pytest.approx(0.5, abs=0.07)
    assert 13 <= noise["replications_for_target"] <= 19
    # no noise: the share is 0; one replication: the noise cannot be estimated
    runs["y"] = rng.normal(0, 1, points)[point]
    assert run_noise(runs, "y")["noise_share"] == 0.0
    assert run_noise(runs[runs["replication"] == 0], "y") is None
    # the report warns when the share is above the target, with the replications to add
    report = {"experiment": "x", "runs": 1, "total_runs": 1, "failed": 0, "complete": True,
              "confidence": 0.95, "rates_by_policy": [],
              "sensitivity": {"y": [{"parameter": "p", "S1": 0.1, "S1_conf": 0.2, "ST": 0.9,
                                     "ST_conf": 0.2}]},
              "sensitivity_noise": {"y": {"replications": 2, "noise_share": 0.79,
                                          "target": 0.2, "replications_for_target": 30}},
              "files": {}, "caveat": ""}
    text = format_report(report)
    assert "CAUTION: run noise is 79% of the variance" in text and "about 30 replications" in text


def test_prim_finds_the_box_that_makes_the_outcome():
    rng = np.random.default_rng(0)
    n = 600
    x = rng.random(n)
    z = rng.random(n)
    mass = (x > 0.7) & (z < 0.5)
    df = runs_table([3] * n, [None] * n, mass)
    df["x"], df["z"], df["noise"] = x, z, rng.random(n)
    box = prim_box(df, ["x", "z", "noise"], "mass_atrocity")
    lim = box["limits"].set_index("parameter")
    # PRIM peels in steps of 5 % of the remaining mass, so the edges land within a few percent
    assert lim.loc["x", "min"] == pytest.approx(0.7, abs=0.05)
    assert lim.loc["z", "max"] == pytest.approx(0.5, abs=0.05)
    assert "noise" not in lim.index
    assert box["density"] > 0.9 and box["coverage"] > 0.8


def test_analyze_a_real_sweep_writes_tables_and_figures(tmp_path):
    from test_experiments import TINY, write_experiment

    from escalation_sim.experiments import sweep

    f = write_experiment(tmp_path / "e.toml", TINY)
    sweep(f, tmp_path / "s", workers=1)
    report = analyze(tmp_path / "s")
    assert report["runs"] == 16 and report["complete"]
    assert {r["policy"] for r in report["rates_by_policy"]} == {"none", "early_pillar2"}
    for key in ("stage_rates", "response_surface"):
        for path in report["files"][key]:
            assert (tmp_path / "s" / "analysis").joinpath(path.rsplit("/", 1)[1]).stat().st_size
    assert any(r["metric"] == "mass_atrocity" for r in report["policy_differences"])
    text = format_report(report)
    assert "Rates by policy" in text and "not a forecast" in text
    assert "P(mass atrocity) by factor level, policy none" in text


def test_morris_ranks_an_influential_parameter_above_an_inert_one(tmp_path):
    from escalation_sim.experiments.analysis import morris_indices

    exp = Experiment.model_validate({
        "name": "m", "seed": 2, "sampler": {"method": "morris", "samples": 20},
        "parameters": [{"path": "p.a", "range": [0, 1]}, {"path": "p.b", "range": [0, 1]}]})
    d = sample(exp)
    pd.DataFrame({"point": np.arange(len(d)), "p.a": d.x[:, 0], "p.b": d.x[:, 1]}).to_parquet(
        tmp_path / "design.parquet")
    runs = pd.DataFrame({"run": np.arange(len(d)), "point": np.arange(len(d)), "replication": 0,
                         "policy": "none", "status": "ok", "y": 3 * d.x[:, 0]})
    manifest = {"sampler": exp.sampler.model_dump(), "points": len(d), "problem": d.problem,
                "parameters": d.names}
    si = morris_indices(Results(runs, manifest), tmp_path, "y").set_index("parameter")
    # y = 3a exactly: every elementary effect of a is 3, of b is 0
    assert si.loc["p.a", "mu_star"] == pytest.approx(3.0)
    assert si.loc["p.b", "mu_star"] == pytest.approx(0.0)
