"""The historical record (escalation_sim.record): loading and validation, the calibration targets
on the shipped data and on small files with answers worked out by hand, and the statistical
baseline (its time split must never look at the test years)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from escalation_sim.cli import main
from escalation_sim.errors import InputError
from escalation_sim.record import (
    PREDICTORS,
    baseline,
    episode_years,
    km_quantiles,
    load_episodes,
    load_predictors,
    rate_target,
    spells,
    targets,
)
from escalation_sim.record.measure import CountryBootstrap

EPISODE_HEADER = "profile,year,mk_onset_count,mk_offset_count,mk_ongoing_count\n"
Z = 1.959963984540054  # the 97.5 % point of the standard normal


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """Wilson's score interval, written out (Wilson 1927), independent of scipy."""
    p = k / n
    denom = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denom
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denom
    return centre - half, centre + half


def episode_rows(profile: int, first: int, last: int,
                 episodes: list[tuple[int, int | None]]) -> str:
    """CSV rows of one profile; each episode is (onset year, offset year or None = still going);
    an onset before ``first`` is an episode already ongoing when the record starts."""
    lines = []
    for year in range(first, last + 1):
        onset = sum(a == year for a, _ in episodes)
        offset = sum(b == year for _, b in episodes)
        ongoing = sum(a <= year and (b is None or year <= b) for a, b in episodes)
        lines.append(f"{profile},{year},{onset},{offset},{ongoing}\n")
    return "".join(lines)


# Four profiles, 2000-2019 (80 country-years), worked out by hand:
#   1: an episode 2004-2006, a one-year recurrence in 2012
#   2: an episode from 2010 still going in 2019, and a second one (another perpetrator)
#      2013-2014 during it
#   3: none
#   4: an episode already ongoing in 2000 (begun before the record), ended 2002
# First onset at risk: 1: 2000-2004, 2: 2000-2010, 3: all 20 -> 36 years, 2 onsets.
# After an episode (none carried in): 1: 2007-2019 (13), 4: 2003-2019 (17) -> 30 years, 1 onset.
# During an episode (one carried in): 1: 2005-2006, 2: 2011-2019, 4: 2000-2002 -> 14, 1 onset.
# Spells: 1: 2004-2006 (3 years), 2012 (1); 2: 2010-2019 (10, censored); 4: left-censored.
SYNTHETIC = (EPISODE_HEADER + episode_rows(1, 2000, 2019, [(2004, 2006), (2012, 2012)])
             + episode_rows(2, 2000, 2019, [(2010, None), (2013, 2014)])
             + episode_rows(3, 2000, 2019, [])
             + episode_rows(4, 2000, 2019, [(1990, 2002)]))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    path = tmp_path_factory.mktemp("record") / "episodes.csv"
    path.write_text(SYNTHETIC)
    return path


@pytest.fixture(scope="module")
def shipped():
    return targets(gradient=False, resamples=400)


def test_rates_on_a_file_worked_out_by_hand(synthetic):
    t = targets(load_episodes(synthetic), gradient=False, resamples=200)
    for name, k, n in (("first_onset_rate", 2, 36), ("onset_rate_after_episode", 1, 30),
                       ("onset_rate_during_episode", 1, 14)):
        assert (t[name].count, t[name].n) == (k, n), name
        assert t[name].value == k / n
        low, high = wilson_by_hand(k, n)
        assert t[name].low == pytest.approx(low, abs=1e-12)
        assert t[name].high == pytest.approx(high, abs=1e-12)
    assert t["after_episode_ratio"].value == pytest.approx((1 / 30) / (2 / 36))


def test_spells_and_kaplan_meier_on_the_file_worked_out_by_hand(synthetic):
    sp = spells(load_episodes(synthetic))
    assert sp[["profile", "start", "end", "years"]].values.tolist() == [
        [1, 2004, 2006, 3], [1, 2012, 2012, 1], [2, 2010, 2019, 10], [4, 2000, 2002, 3]]
    assert sp.censored.tolist() == [False, False, True, False]
    assert sp.left_censored.tolist() == [False, False, False, True]
    t = targets(load_episodes(synthetic), gradient=False, resamples=200)
    # survival over the three usable spells (1, 3, 10+): 2/3 after 1 year, 1/3 after 3, then
    # censored: the median is 3, the first quartile 1, the third quartile never reached
    assert t["spell_years_q1"].value == 1 and t["spell_years_median"].value == 3
    assert math.isnan(t["spell_years_q3"].value)


def test_kaplan_meier_quantiles_by_hand():
    # durations 2, 4, 6 (censored), 8: survival 3/4 after 2, 1/2 after 4, 0 after 8
    q = km_quantiles(np.array([2, 4, 6, 8]), np.array([False, False, True, False]))
    assert q.tolist() == [2, 4, 8]
    # without censoring the median is the sample's lower median
    assert km_quantiles(np.arange(1, 11), np.zeros(10, bool))[1] == 5


def test_the_shipped_record_loads():
    e, p = load_episodes(), load_predictors()
    assert len(e) == 8729 and e.profile.nunique() == 171
    assert (e.year.min(), e.year.max()) == (1946, 2013)
    assert len(p) == 7293 and p.mk_onset_1or2.sum() == 194
    assert (p.year.min(), p.year.max()) == (1960, 2011)
    assert p[list(PREDICTORS)].isna().sum().sum() == 46 + 125 + 76


def test_shipped_targets(shipped):
    """The figures of the README, and the three at-risk sets partition the record."""
    t = shipped
    assert (t["first_onset_rate"].count, t["first_onset_rate"].n) == (63, 6049)
    assert (t["onset_rate_after_episode"].count, t["onset_rate_after_episode"].n) == (32, 1385)
    assert (t["onset_rate_during_episode"].count, t["onset_rate_during_episode"].n) == (35, 1295)
    assert 6049 + 1385 + 1295 == 8729
    assert load_episodes().mk_onset_count.gt(0).sum() == 63 + 32 + 35
    assert t["after_episode_ratio"].value == pytest.approx(2.22, abs=0.005)
    assert [t[f"spell_years_{q}"].value for q in ("q1", "median", "q3")] == [5, 12, 22]
    for x in t.targets:
        assert x.low <= x.value <= x.high, x.name
        assert x.definition and x.unit


def test_the_issues_figures_come_from_an_inconsistent_at_risk_set():
    """Issue 13 quotes 1.07 % [0.84, 1.35], 5.0 % [4.0, 6.4] (x 4.7) and spells of 11 years
    (4, 19). They come back exactly when onset years during an ongoing episode count as at risk
    while the other years of that episode do not, and "prior" ignores episodes begun before
    1946; and from plain sample quantiles of every spell, censored ones included. The README
    explains why the targets use other definitions."""
    e = load_episodes()
    y = episode_years(e)
    boot = CountryBootstrap(e.profile.to_numpy(), 50)
    onset = y.onset.to_numpy()
    quoted_at_risk = (e.mk_ongoing_count.to_numpy() == 0) | onset
    onset_before = (y.assign(o=onset).groupby("profile").o
                    .transform(lambda s: s.shift(1, fill_value=False).cummax())).to_numpy(bool)
    first = rate_target("x", onset, quoted_at_risk & ~onset_before, y.profile.to_numpy(), boot, "")
    after = rate_target("x", onset, quoted_at_risk & onset_before, y.profile.to_numpy(), boot, "")
    assert (first.count, first.n, after.count, after.n) == (66, 6197, 64, 1272)
    assert [round(100 * v, 2) for v in (first.value, first.low, first.high)] == [1.07, 0.84, 1.35]
    assert [round(100 * v, 1) for v in (after.value, after.low, after.high)] == [5.0, 4.0, 6.4]
    assert round(after.value / first.value, 1) == 4.7
    # 34 of those 64 "after" onsets begin while another episode is ongoing: their years are in
    # the numerator, the other years of ongoing episodes are not in the denominator
    during = (y.carried.to_numpy() > 0) & onset
    assert (during & onset_before).sum() == 34
    lengths = spells(e).years.to_numpy()
    assert len(lengths) == 96
    assert np.percentile(lengths, [25, 50, 75], method="lower").tolist() == [4, 11, 19]


def test_targets_are_deterministic_and_json_ready(synthetic):
    a = targets(load_episodes(synthetic), gradient=False, resamples=100, seed=3).to_dict()
    b = targets(load_episodes(synthetic), gradient=False, resamples=100, seed=3).to_dict()
    assert json.dumps(a) == json.dumps(b)  # (NaN == NaN is false; its JSON text is not)
    assert "not from escalation-sim" in a["note"] and "Early Warning Project" in a["source"]


# ---- malformed files: one clear line naming file, line/column and problem, exit code 2 ----
BAD_EPISODES = [
    (EPISODE_HEADER + "1,2000,0,0,0\n1,2001,x,0,0\n",
     "line 3, column mk_onset_count: 'x' is not a whole number >= 0"),
    (EPISODE_HEADER + "1,2000,0,0,-1\n", "line 2, column mk_ongoing_count: '-1' is not"),
    (EPISODE_HEADER + "1,2000,0,0,0.5\n", "line 2, column mk_ongoing_count: '0.5' is not"),
    (EPISODE_HEADER + "1,2000,0,0,\n", "line 2, column mk_ongoing_count: empty"),
    ("profile,year,mk_onset_count,mk_ongoing_count\n1,2000,0,0\n",
     "column mk_offset_count: missing"),
    (EPISODE_HEADER + "1,2000,0,0,0\n1,2002,0,0,0\n",
     "line 3: profile 1 jumps from year 2000 to 2002"),
    (EPISODE_HEADER + "1,2000,0,0,0\n1,2000,0,0,0\n",
     "line 3: profile 1, year 2000 repeats line 2"),
    (EPISODE_HEADER + "1,2000,1,0,1\n1,2001,0,0,0\n",
     "line 3: profile 1, year 2001: 0 episodes carried into the year"),
    (EPISODE_HEADER + "1,2000,2,0,1\n", "line 2, column mk_onset_count: 2 exceeds"),
    (EPISODE_HEADER + "1,2000,0,0,0\n1,2001,0,0,0,7\n", "not a valid CSV table: Expected 5 "
                                                       "fields in line 3, saw 6"),
    ("profile,year,mk_onset_count,mk_offset_count,mk_ongoing_count,mk_onset\n1,2000,1,0,1,0\n",
     "line 2, column mk_onset: 0 disagrees with mk_onset_count = 1"),
    ("", "empty file"),
    (EPISODE_HEADER, "no data rows"),
]


@pytest.mark.parametrize("text, message", BAD_EPISODES, ids=[m for _, m in BAD_EPISODES])
def test_a_malformed_episode_file_is_one_clear_error(tmp_path, capsys, text, message):
    path = tmp_path / "episodes.csv"
    path.write_text(text)
    with pytest.raises(InputError) as e:
        load_episodes(path)
    assert str(e.value).startswith(f"{path}: ") and message in str(e.value)
    assert main(["record", "targets", "--episodes", str(path), "--no-gradient"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and err.startswith(str(path))


def predictor_table(rng: np.random.Generator, profiles: int = 40) -> pd.DataFrame:
    """A predictor file with a known signal: onset odds rise with discrimpop and battle deaths;
    the other predictors are noise."""
    rows = []
    for profile in range(1, profiles + 1):
        for year in range(1960, 2012):
            rows.append({"profile": profile, "year": year})
    table = pd.DataFrame(rows)
    for c in PREDICTORS:
        table[c] = rng.normal(size=len(table))
    logit = -3.6 + 1.4 * table["discrimpop"] + 1.0 * table["battledeaths.log2"]
    table["mk_onset_1or2"] = (rng.random(len(table)) < 1 / (1 + np.exp(-logit))).astype(int)
    return table


def write_predictors(table: pd.DataFrame, path) -> None:
    table.to_csv(path, index=False, float_format="%.17g")


BAD_PREDICTORS = [
    ("popsize.log2", "abc", "line 4, column popsize.log2: 'abc' is not a number"),
    ("gdppcgrowth", "inf", "line 4, column gdppcgrowth: 'inf' is not a number"),
    ("mk_onset_1or2", "2", "line 4, column mk_onset_1or2: '2' is not 0 or 1"),
    ("mk_onset_1or2", "", "line 4, column mk_onset_1or2: empty (must be 0 or 1)"),
    ("year", "19x0", "line 4, column year: '19x0' is not a whole number >= 0"),
]


@pytest.mark.parametrize("column, value, message", BAD_PREDICTORS,
                         ids=[m for *_, m in BAD_PREDICTORS])
def test_a_malformed_predictor_file_is_one_clear_error(tmp_path, capsys, column, value, message):
    table = predictor_table(np.random.default_rng(0), profiles=2).astype(str)
    table.loc[2, column] = value
    path = tmp_path / "predictors.csv"
    table.to_csv(path, index=False)
    with pytest.raises(InputError, match="^" + str(path)) as e:
        load_predictors(path)
    assert message in str(e.value)
    assert main(["record", "baseline", "--predictors", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_a_byte_order_mark_and_windows_line_ends_are_fine(tmp_path, synthetic):
    path = tmp_path / "episodes.csv"
    path.write_bytes(b"\xef\xbb\xbf" + synthetic.read_text().replace("\n", "\r\n").encode())
    assert load_episodes(path).drop(columns="line").equals(
        load_episodes(synthetic).drop(columns="line"))


def test_a_missing_predictor_column_and_a_missing_file(tmp_path, capsys):
    path = tmp_path / "predictors.csv"
    predictor_table(np.random.default_rng(0), 2).drop(columns="discrimpop").to_csv(path)
    with pytest.raises(InputError, match="column discrimpop: missing"):
        load_predictors(path)
    assert main(["record", "baseline", "--predictors", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv: no such file" in capsys.readouterr().err


@pytest.mark.slow
def test_no_traceback_from_the_command_line(tmp_path):
    path = tmp_path / "episodes.csv"
    path.write_text(BAD_EPISODES[0][0])
    r = subprocess.run([sys.executable, "-m", "escalation_sim.cli", "record", "targets",
                        "--episodes", str(path), "--no-gradient"], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"{path}: {BAD_EPISODES[0][1]}"


# ---- the baseline ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic_predictors(tmp_path_factory):
    """30 profiles x 52 years with a known signal, through a file; and the baseline on it."""
    table = predictor_table(np.random.default_rng(1), profiles=30)
    path = tmp_path_factory.mktemp("record") / "predictors.csv"
    write_predictors(table, path)
    return table, baseline(load_predictors(path), bootstrap=200)


def test_baseline_finds_a_known_signal(synthetic_predictors):
    _, b = synthetic_predictors
    assert (b.train_years, b.test_years) == ((1960, 1993), (1996, 2011))
    assert b.n_train == 30 * 34 and b.test.n == 30 * 16
    assert b.test.auc > 0.75 and b.test.brier < b.test.brier_reference
    signal = {k: v for k, v in b.coefficients.items() if k in ("discrimpop", "battledeaths.log2")}
    noise = [abs(v) for k, v in b.coefficients.items() if k not in signal]
    assert min(signal.values()) > 3 * max(noise)
    assert sum(d.n for d in b.test.bins) == b.test.n
    assert sum(d.onsets for d in b.test.bins) == b.test.onsets
    t = b.test
    assert t.auc_low < t.auc < t.auc_high and t.brier_low < t.brier < t.brier_high


def test_baseline_never_looks_at_the_test_years(synthetic_predictors):
    """Rewriting everything after the training rows (outcomes and predictors of 1994-2011)
    leaves the fitted model exactly as it was (so the fit is also deterministic): the penalty is
    chosen on training rows only. The test-year metrics do change."""
    table, b = synthetic_predictors
    later = table.year > 1993
    changed = table.copy()
    rng = np.random.default_rng(7)
    changed.loc[later, "mk_onset_1or2"] = rng.integers(0, 2, later.sum())
    changed.loc[later, list(PREDICTORS)] = rng.normal(size=(later.sum(), len(PREDICTORS)))
    c = baseline(changed, bootstrap=200)
    assert (c.chosen_c, c.coefficients) == (b.chosen_c, b.coefficients)
    assert c.test.auc != b.test.auc


def test_baseline_refuses_a_split_with_no_test_years(capsys):
    assert main(["record", "baseline", "--split-year", "2011"]) == 2
    err = capsys.readouterr().err
    assert "--split-year" in err and "test rows" in err and err.count("\n") == 1


def test_record_commands_say_where_results_come_from(capsys):
    assert main(["record", "targets", "--no-gradient"]) == 0
    out = capsys.readouterr().out
    assert "Early Warning Project record" in out and "not from escalation-sim" in out
    assert main(["record", "targets", "--no-gradient", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["targets"]["first_onset_rate"]["count"] == 63
    assert "not from escalation-sim" in d["note"]


@pytest.mark.slow
def test_shipped_baseline_and_gradient(capsys):
    """The README's figures (record baseline; record targets): fitted and scored in about a
    minute on 2 busy cores."""
    assert main(["record", "baseline", "--json"]) == 0
    b = json.loads(capsys.readouterr().out)
    assert "not escalation-sim" in b["note"]
    b = b["baseline"]
    assert (b["n_train"], b["onsets_train"], b["n_test"], b["onsets_test"]) == (4263, 142,
                                                                                2564, 40)
    assert b["auc"] == pytest.approx(0.825, abs=0.002)
    assert b["mean_predicted"] == pytest.approx(0.0354, abs=0.0005)
    t = targets(resamples=200)
    rates = [t[f"onset_rate_risk_q{q}"].value for q in range(1, 6)]
    assert rates == sorted(rates) and rates[4] > 20 * rates[0]
    # among the rows with no episode ongoing only (the simulated profiles' kind): 119 of the
    # 190 onsets; counting the rows inside an episode too (the EWP's way) gave 96 / 190
    assert t["onset_share_top_quintile"].value == pytest.approx(64 / 119)
    assert sum(t[f"onset_rate_risk_q{q}"].n for q in range(1, 6)) == 5989
    halves = [(t[n].count, t[n].n) for n in ("onset_rate_smaller_half", "onset_rate_larger_half")]
    assert halves == [(43, 2994), (76, 2995)]   # the README's table: the same rows, by population
    open_ = t["onset_rate_without_exclusion"]   # the same rows whose profile excludes no group
    assert (open_.count, open_.n) == (36, 3440)
    inside = t["onset_rate_inside_episode"]   # the other 71 onsets, in the 1,149 other rows
    assert (inside.count, inside.n) == (71, 1149)


@pytest.mark.parametrize("args", [["record"], ["record", "targets"], ["record", "baseline"],
                                  ["record", "coups"], ["record", "validate"]])
def test_record_help(capsys, args):
    with pytest.raises(SystemExit) as e:
        main([*args, "--help"])
    assert e.value.code == 0 and "usage" in capsys.readouterr().out


def test_the_gradient_counts_only_rows_with_no_episode_ongoing():
    """A simulated profile starts without an ongoing episode, so the gradient targets count
    only the record's rows outside an episode: rows inside one (here the highest scores, all
    with onsets) must change neither the quintiles nor the rates."""
    from escalation_sim.record.measure import gradient_targets

    outside = pd.DataFrame({"profile": np.arange(10), "year": 2000,
                            "mk_onset_1or2": [0] * 8 + [1, 1], "mk_ongoing_count_log2": 0.0,
                            "popsize.log2": np.arange(10.0),
                            "discrimpop": [0.2] * 5 + [0.0] * 5,
                            "minorityrule": [0.0] * 9 + [1.0]})
    inside = pd.DataFrame({"profile": np.arange(10, 15), "year": 2000, "mk_onset_1or2": 1,
                           "mk_ongoing_count_log2": 1.0, "popsize.log2": 0.0,
                           "discrimpop": 0.0, "minorityrule": 0.0})
    rows = pd.concat([outside, inside], ignore_index=True)
    score = np.r_[np.linspace(0.01, 0.10, 10), np.full(5, 0.9)]
    boot = CountryBootstrap(rows.profile.to_numpy(), 50)
    t = {x.name: x for x in gradient_targets(rows, boot, score=score)}
    assert [t[f"onset_rate_risk_q{q}"].n for q in range(1, 6)] == [2] * 5
    assert t["onset_rate_risk_q5"].value == 1.0 and t["onset_rate_risk_q4"].value == 0.0
    assert (t["onset_share_top_quintile"].count, t["onset_share_top_quintile"].n) == (2, 2)
    # the halves by population, of the same rows: the inside rows' small populations
    # (all with onsets) would move the median and the smaller half's rate
    smaller, larger = t["onset_rate_smaller_half"], t["onset_rate_larger_half"]
    assert (smaller.count, smaller.n, larger.count, larger.n) == (0, 5, 2, 5)
    # the rows that exclude no group: 5-8 (0-4 discriminate, 9 is ruled by a minority); the
    # inside rows exclude no one either, with onsets, and stay out
    open_ = t["onset_rate_without_exclusion"]
    assert (open_.count, open_.n) == (1, 4)


def test_population_halves_split_at_the_median_of_the_rows_given():
    from escalation_sim.record.measure import population_halves

    rows = pd.DataFrame({"popsize.log2": [3.0, 1.0, 2.0, 9.0, 4.0, 0.5]})
    among = np.array([True, True, True, True, False, False])
    # median of 3, 1, 2, 9 is 2.5: 1 and 2 below it; the last two rows are not among them
    assert population_halves(rows, among).tolist() == [1, 0, 0, 1, -1, -1]


def test_the_rate_inside_an_episode_counts_the_scored_rows_with_one_ongoing():
    from escalation_sim.record.measure import gradient_targets

    rows = pd.DataFrame({"profile": np.arange(16), "year": 2000,
                         "mk_onset_1or2": [0] * 10 + [1, 0, 0, 1, 1, 1],
                         "mk_ongoing_count_log2": [0.0] * 10 + [1.0, 1.58, 1.0, 2.0, 1.0, 1.0],
                         "popsize.log2": 10.0, "discrimpop": 0.0, "minorityrule": 0.0})
    score = np.r_[np.linspace(0.01, 0.10, 10), [0.5] * 5, np.nan]   # the last: not scored
    boot = CountryBootstrap(rows.profile.to_numpy(), 50)
    t = {x.name: x for x in gradient_targets(rows, boot, score=score)}
    inside = t["onset_rate_inside_episode"]
    assert (inside.count, inside.n) == (3, 5) and inside.value == pytest.approx(3 / 5)
    assert inside.country_low <= 3 / 5 <= inside.country_high
