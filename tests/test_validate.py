"""``record validate`` (escalation_sim.record.validate): the shared scoring is right on a
hand-made case; the sample is seeded and stratified; bad input is one clear line; the command
writes its outputs and says what they are."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalation_sim.cli import main
from escalation_sim.record.data import PREDICTORS_FILE, data_dir
from escalation_sim.record.posterior import SHIPPED_SOURCE, write_posterior
from escalation_sim.record.regression import (
    auc,
    auc_as_share_of_runs,
    auc_difference_at_runs,
    country_resamples,
    resampled_auc,
    scores,
)
from escalation_sim.record.validate import sample_rows, subsets

SHIPPED = data_dir() / PREDICTORS_FILE


# ---- the scoring ------------------------------------------------------------------------------
def test_scores_on_a_hand_made_case():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    draws = country_resamples(np.array([1, 2, 3, 4]), 0, 200)
    s = scores(y, p, 0.5, draws, bins=2)
    # AUC: of the 4 (onset, non-onset) pairs, 0.35 < 0.4 is the one ranked wrong
    assert s.auc == pytest.approx(3 / 4)
    # Brier: (0.1² + 0.4² + 0.65² + 0.2²) / 4; the constant 0.5 scores 0.25
    assert s.brier == pytest.approx(0.6325 / 4)
    assert s.brier_reference == pytest.approx(0.25)
    assert s.brier_skill == pytest.approx(1 - 0.6325 / 4 / 0.25)
    assert (s.mean_predicted, s.observed, s.n, s.onsets) == (pytest.approx(0.4125), 0.5, 4, 2)
    assert s.auc_low <= s.auc <= s.auc_high and s.brier_low <= s.brier <= s.brier_high
    # two equal-count bins by prediction: {0.1, 0.35} and {0.4, 0.8}, one onset each
    assert [(b.n, b.onsets) for b in s.bins] == [(2, 1), (2, 1)]
    assert [b.mean_predicted for b in s.bins] == pytest.approx([0.225, 0.6])
    assert all(b.observed_low < 0.5 < b.observed_high for b in s.bins)


def test_subsets_part_the_rows_by_ongoing_episode_with_their_training_rates():
    ongoing = np.array([False, False, True, True, False])
    y = np.array([0, 1, 1, 0, 0])
    model_p = np.array([0.1, 0.2, 0.5, 0.3, 0.0])
    regression_p = np.array([0.0, 0.1, 0.2, 0.2, 0.3])
    train_ongoing = np.array([False, True, True, False])
    train_y = np.array([1, 0, 1, 0])
    none, during = subsets(ongoing, y, model_p, regression_p, train_ongoing, train_y)
    assert (none.name, none.n, none.onsets, none.train_n) == ("no ongoing episode", 3, 1, 2)
    assert (none.observed, none.model_mean, none.regression_mean, none.train_observed) == (
        pytest.approx(1 / 3), pytest.approx(0.1), pytest.approx(0.4 / 3), 0.5)
    assert (during.n, during.onsets, during.observed, during.train_observed) == (2, 1, 0.5, 0.5)
    assert (during.model_mean, during.regression_mean) == (pytest.approx(0.4), 0.2)
    # a sample without a row inside an episode has one subset only
    assert len(subsets(np.zeros(5, bool), y, model_p, regression_p, train_ongoing,
                       train_y)) == 1


def test_the_fast_auc_is_scikit_learns_ties_included():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(5)
    y = (rng.random(300) < 0.2).astype(int)
    p = np.round(rng.random(300) + 0.3 * y, 1)       # many ties
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert np.isnan(auc(np.zeros(3), np.arange(3)))


def _rare_events(n: int = 3000):
    """Exact probabilities of rare events (mean 3.4 %) and outcomes drawn from them (AUC 0.78
    on 3,000 rows, seed 3)."""
    rng = np.random.default_rng(3)
    p = 1 / (1 + np.exp(4 - 1.2 * rng.standard_normal(n)))
    return p, (rng.random(n) < p).astype(int)


def test_probabilities_estimated_from_few_runs_lose_auc_and_many_runs_keep_it():
    """As shares of 20 runs, these probabilities score a median AUC of 0.695 (Monte Carlo
    range 0.66-0.72) against 0.784 exact; as shares of 10^5 runs 0.7835. The bounds: the
    median 0.04 inside the 0.05 drop asked, 10^5 runs within 0.005."""
    p, y = _rare_events()
    exact = auc(y, p)
    few, few_low, few_high = auc_as_share_of_runs(y, p, 20, seed=0, draws=100)
    many, *_ = auc_as_share_of_runs(y, p, 100_000, seed=0, draws=20)
    assert few_low <= few <= few_high < exact and few < exact - 0.05
    assert many == pytest.approx(exact, abs=0.005)
    assert auc_as_share_of_runs(y, p, 20, seed=0, draws=100)[0] == few     # seeded
    assert auc_as_share_of_runs(y, p, 20, seed=0, draws=5)[0] != auc_as_share_of_runs(
        y, p, 20, seed=1, draws=5)[0]
    assert auc_as_share_of_runs(y, np.zeros(3000), 20, seed=0, draws=5)[0] == 0.5


def test_the_paired_difference_at_runs_sets_resolution_apart_from_ranking():
    """Against the same probabilities at 20 runs: a model with the exact probabilities ranks
    better (its whole interval above 0: it has no Monte Carlo noise), a model that is one more
    draw of 20 runs of them ranks alike (the interval holds 0), and a model whose prediction
    is noise ranks worse (the interval below 0)."""
    p, y = _rare_events()
    draws = country_resamples(np.arange(3000) // 10, 0, 200)   # 300 "countries" of 10 rows
    rng = np.random.default_rng(9)
    exact = auc_difference_at_runs(y, p, p, 20, draws, seed=0)
    alike = auc_difference_at_runs(y, rng.binomial(20, p) / 20, p, 20, draws, seed=0)
    noise = auc_difference_at_runs(y, rng.random(3000), p, 20, draws, seed=0)
    assert 0 < exact[0] < exact[1]
    assert alike[0] < 0 < alike[1]
    assert noise[0] < noise[1] < 0
    assert auc_difference_at_runs(y, p, p, 20, draws, seed=0) == exact   # seeded


def test_tied_predictions_make_one_bin_and_chance_auc():
    """A model whose runs give every row the same share (e.g. all 0) ranks nothing."""
    y = np.array([0, 1, 0, 0])
    s = scores(y, np.zeros(4), 0.25, country_resamples(np.arange(4), 0, 50), bins=5)
    assert s.auc == 0.5 and len(s.bins) == 1 and s.bins[0].n == 4


def test_resampled_auc_keeps_whole_countries_and_skips_one_class_resamples():
    groups = np.array([7, 7, 9, 9])
    draws = country_resamples(groups, 1, 30)
    assert all(set(groups[d].tolist()) <= {7, 9} and len(d) % 2 == 0 for d in draws)
    auc = resampled_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.3, 0.4]), draws)
    # a resample of country 7 twice (or 9 twice) has one class only: NaN, not an error
    assert set(np.unique(auc[~np.isnan(auc)])) <= {1.0} and np.isnan(auc).any()


def test_the_sample_is_seeded_and_keeps_the_share_of_onsets():
    y = np.r_[np.ones(40, int), np.zeros(2524, int)]
    a = sample_rows(y, 200, 3)
    assert np.array_equal(a, sample_rows(y, 200, 3))
    assert not np.array_equal(a, sample_rows(y, 200, 4))
    assert len(a) == 200 == len(set(a.tolist())) and y[a].sum() == round(200 * 40 / 2564)
    assert y[sample_rows(y, 10, 0)].sum() == 1          # at least one onset
    with pytest.raises(ValueError, match="the test years have 2564 complete rows"):
        sample_rows(y, 3000, 0)


# ---- bad input ----------------------------------------------------------------------------------
def _subset(tmp_path: Path, keep, drop_column: str | None = None) -> Path:
    table = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    table = table[keep(table)]
    if drop_column:
        table = table.drop(columns=drop_column)
    path = tmp_path / "predictors.csv"
    table.to_csv(path, index=False)
    return path


def _fails(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_a_missing_column_is_named(tmp_path, capsys):
    path = _subset(tmp_path, lambda t: t.year.astype(int) > 2005, drop_column="discrimpop")
    err = _fails(["record", "validate", "--predictors", str(path), "--out",
                  str(tmp_path / "v")], capsys)
    assert err == f"{path}: column discrimpop: missing (the header line has no such column)"


def test_an_empty_test_split_is_named(tmp_path, capsys):
    path = _subset(tmp_path, lambda t: t.year.astype(int) <= 1995)
    err = _fails(["record", "validate", "--predictors", str(path), "--out",
                  str(tmp_path / "v")], capsys)
    assert ("--split-year: split year 1995: the test rows need onsets and non-onsets (0 onsets "
            "in 0 complete rows)") in err, err
    assert not (tmp_path / "v").exists()


def test_a_sample_larger_than_the_test_rows_and_a_bad_run_count_are_named(tmp_path, capsys):
    path = _subset(tmp_path, lambda t: t.year.astype(int) >= 1990)
    err = _fails(["record", "validate", "--predictors", str(path), "--sample", "999999",
                  "--out", str(tmp_path / "v")], capsys)
    assert err.startswith("escalation-sim") and "--sample: 999999 rows asked" in err, err
    err = _fails(["record", "validate", "--runs", "0", "--out", str(tmp_path / "v")], capsys)
    assert "--runs: must be at least 1, got 0" in err
    (tmp_path / "file").write_text("")
    err = _fails(["record", "validate", "--out", str(tmp_path / "file" / "v")], capsys)
    assert "--out: cannot create" in err, err


def test_a_posterior_fitted_on_the_test_years_is_refused(tmp_path, capsys):
    post = tmp_path / "p.parquet"
    write_posterior(post, ["violence.state_orders"], np.array([[0.5]]), np.array([1.0]),
                    {"calibration": {"last_year": 2005}})
    path = _subset(tmp_path, lambda t: t.year.astype(int) >= 1985)
    err = _fails(["record", "validate", "--predictors", str(path), "--posterior", str(post),
                  "--out", str(tmp_path / "v")], capsys)
    assert err.startswith(f"{post}: calibration.last_year: 2005: the posterior was fitted on "
                          "years after the split year 1995"), err
    # the default, the shipped posterior (fitted to 1995), with an earlier split: the way out
    err = _fails(["record", "validate", "--predictors", str(path), "--split-year", "1990",
                  "--out", str(tmp_path / "v")], capsys)
    assert err.startswith(f"{SHIPPED_SOURCE}: calibration.last_year: 1995"), err
    assert "pass --posterior none" in err, err


# ---- end to end -------------------------------------------------------------------------------
@pytest.mark.slow
def test_validate_writes_metrics_bins_and_plot_and_says_whose_they_are(tmp_path, capsys):
    """A third of the profiles (the regression's fit is the slow part), 60 sampled test rows,
    2 runs each: the figures mean nothing at this size; the outputs and their labels do."""
    path = _subset(tmp_path, lambda t: t.profile.astype(int) % 3 == 0)
    out = tmp_path / "v"
    assert main(["record", "validate", "--predictors", str(path), "--sample", "60", "--runs",
                 "2", "--civilians", "300", "--seed", "1", "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    v = report["validation"]
    assert v["split_year"] == 1995 and v["test_years"][0] == 1996 and v["sample"] == 60
    assert v["posterior"] == SHIPPED_SOURCE      # the default: the fitted posterior
    assert v["model"]["n"] == v["regression"]["n"] == 60 and v["model"]["onsets"] >= 1
    for name in ("model", "regression"):
        s = v[name]
        assert 0 <= s["auc"] <= 1 and 0 <= s["brier"] <= 1 and s["bins"]
        assert sum(b["n"] for b in s["bins"]) == 60
    assert v["auc_difference"] == pytest.approx(v["model"]["auc"] - v["regression"]["auc"])
    # the regression at the model's number of runs (what it means: the unit tests above)
    assert (0 <= v["regression_auc_at_runs_low"] <= v["regression_auc_at_runs"]
            <= v["regression_auc_at_runs_high"] <= 1)
    assert v["auc_difference_at_runs"] == pytest.approx(
        v["model"]["auc"] - v["regression_auc_at_runs"])
    assert v["auc_difference_at_runs_low"] <= v["auc_difference_at_runs_high"]
    assert sum(x["n"] for x in v["subsets"]) == 60
    assert sum(x["onsets"] for x in v["subsets"]) == v["model"]["onsets"]
    assert sum(x["n"] * x["model_mean"] for x in v["subsets"]) / 60 == pytest.approx(
        v["model"]["mean_predicted"])
    assert 0 < v["train_observed"] < 0.1
    assert "model's" in report["caveat"] and "2011" in report["does_not_show"]
    assert json.loads((out / "metrics.json").read_text())["validation"]["model"] == v["model"]
    lines = (out / "calibration.csv").read_text().splitlines()
    assert lines[0].startswith("predictor,bin,n,onsets,mean_predicted,observed")
    assert {line.split(",")[0] for line in lines[1:]} == {"model", "regression"}
    assert (out / "calibration.png").stat().st_size > 10_000
    # aggregate only: no output names a profile
    text = (out / "metrics.json").read_text() + "\n".join(lines)
    assert '"profile"' not in text


@pytest.mark.slow
def test_validate_on_a_local_dask_cluster_gives_the_in_process_metrics(tmp_path, capsys):
    """``--dask local:2`` (a real scheduler and two workers on 127.0.0.1) scores the same runs:
    every figure of the model's and the regression's scores is identical to the in-process
    run's, since each run's seed depends on its row and index only."""
    path = _subset(tmp_path, lambda t: t.profile.astype(int) % 6 == 0)
    common = ["record", "validate", "--predictors", str(path), "--sample", "30", "--runs", "2",
              "--civilians", "300", "--seed", "2", "--json", "--posterior", "none"]
    reports = []
    for how in (["--workers", "1"], ["--dask", "local:2"]):
        assert main([*common, *how, "--out", str(tmp_path / how[0].strip("-"))]) == 0
        reports.append(json.loads(capsys.readouterr().out)["validation"])
    assert reports[0]["model"]["onsets"] >= 1
    for name in ("model", "regression", "auc_difference", "auc_difference_low"):
        assert reports[1][name] == reports[0][name], name


def test_validate_takes_workers_or_dask_not_both(tmp_path, capsys):
    err = _fails(["record", "validate", "--workers", "2", "--dask", "local:2",
                  "--out", str(tmp_path / "v")], capsys)
    assert "--workers and --dask: give one of them" in err, err
    err = _fails(["record", "validate", "--dask", "local:0", "--out", str(tmp_path / "v")],
                 capsys)
    assert "--dask local:0" in err and "N >= 1" in err, err
