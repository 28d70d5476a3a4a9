"""Calibration (escalation_sim.record.calibrate) and posteriors (.posterior): the calibration
file is validated with one clear line per problem; the simulated statistics follow the record's
definitions; the particle sampler is reproducible and resumable; a calibration writes every
output; ``forecast --posterior`` draws reproducibly and changes the forecast; a bad posterior
file is one clear error naming the file and the column."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from escalation_sim.cli import main
from escalation_sim.errors import InputError
from escalation_sim.record.calibrate import (
    BEFORE_KERNEL,
    HALVES,
    INSIDE,
    NOT_SIMULATED,
    OPEN,
    RESUMABLE,
    SIMULATED,
    Distance,
    Record,
    Sample,
    Simulator,
    _as_begun,
    _check_sampled,
    _config_json,
    _same_fit,
    _sampler_class,
    check_targets,
    load_calibration,
    natural,
    quintile_mix,
    statistics,
)
from escalation_sim.record.data import PREDICTORS_FILE, data_dir
from escalation_sim.record.forecast import (
    BATCH_RUNS,
    TASK_RUNS,
    _Batch,
    _drawn,
    _scenarios,
    counted,
    forecast,
    forecast_csv,
    row_seed,
    task_runs,
)
from escalation_sim.record.measure import Target, Targets
from escalation_sim.record.posterior import (
    SHIPPED_SOURCE,
    draw_seed,
    drawn_scenarios,
    draws,
    fitted,
    read_posterior,
    shipped_posterior,
    split,
    with_fixed,
    write_posterior,
)
from escalation_sim.record.profiles import REFERENCE, profile_at, read_profiles
from escalation_sim.rng import run_seed
from escalation_sim.runner import run_ensemble
from escalation_sim.runner import run_model as run_one
from escalation_sim.scenario import load_scenario
from escalation_sim.submodels.violence import STATE_FORCES

SHIPPED = data_dir() / PREDICTORS_FILE
TINY = """
name = "tiny"
seed = 1
targets = ["first_onset_rate", "onset_rate_after_episode", "onset_rate_risk_q1",
           "onset_rate_risk_q5", "onset_rate_inside_episode"]
[[parameters]]
name = "violence.state_orders"
[[parameters]]
name = "links.complicity_killings"
range = [0.2, 0.8]
[sample]
rows_per_quintile = 1
rows_inside = 1
runs = 2
months = 24
civilians = 300
[abc]
population = 4
generations = {generations}
predictive = 3
resamples = 100
"""


def write(tmp_path: Path, text: str, name: str = "cal.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---- the calibration file -------------------------------------------------------------------
@pytest.mark.parametrize(("change", "field", "words"), [
    (("targets = [", 'targets = ["spell_years_median", '), "targets.0",
     "cannot be simulated: episode duration"),
    (("targets = [", 'targets = ["nonsense", '), "targets.0", "unknown target 'nonsense'"),
    (('name = "violence.state_orders"', 'name = "violence.no_such"'), "parameters.0.name",
     "is not a parameter of the scenario schema"),
    (('name = "violence.state_orders"', 'name = "government.inclusiveness"'),
     "parameters.0.name", "set by the profile link 'exclusion'"),
    (('name = "violence.state_orders"', 'name = "links.coup_months"'), "parameters.0.name",
     "is not a real number"),
    (("range = [0.2, 0.8]", "range = [0.2, 1.8]"), "parameters.1.range",
     "leaves the declared bounds [0, 1]"),
    (("months = 24", "months = 30"), "sample.months", "must be a multiple of 12"),
    (("population = 4", "populaton = 4"), "abc.populaton", "unknown key 'populaton'"),
    (("seed = 1", "seed = -1"), "seed", "greater than or equal to 0"),
    (("[sample]", '[held]\n"violence.no_such" = 1\n[sample]'), "held.violence.no_such",
     "is not a parameter of the scenario schema"),
    (("[sample]", '[held]\n"links.complicity_killings" = 0.5\n[sample]'),
     "held.links.complicity_killings", "also in parameters"),
    (("[sample]", '[held]\n"links.excluded_share_max" = 1\n[sample]'),
     "held.links.excluded_share_max", "1 leaves the declared bounds (0, 1)"),
])
def test_a_bad_calibration_file_is_one_line_naming_file_and_field(tmp_path, capsys, change,
                                                                   field, words):
    path = write(tmp_path, TINY.format(generations=1).replace(*change, 1))
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"{path}: {field}: ") and words in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "abc.db").exists()


@pytest.mark.parametrize("path", sorted((Path(__file__).parent.parent / "experiments")
                                         .glob("calibration*.toml")), ids=lambda p: p.name)
def test_the_shipped_calibration_files_are_valid_and_fit_assumptions_within_bounds(path):
    config = load_calibration(path)
    assert config.last_year <= 1995 and set(config.targets) <= set(SIMULATED)
    for p in config.parameters:
        f = fitted(p.name)
        low, high = p.prior()
        assert f.value == "assumption" and f.low <= low < high <= f.high
        assert p.range is not None or (low, high) == (f.low, f.high)


def test_fitted_parameters_take_their_declared_bounds():
    f = fitted("links.shock_hazard_per_imr")
    assert (f.low, f.high) == (0.0, 0.1)
    assert fitted("violence.state_orders").high == 1.0
    with pytest.raises(ValueError, match="describes a scenario or a policy"):
        fitted("space.segregation")


def _stopped_fit(tmp_path: Path) -> tuple[Path, Path]:
    """A calibration file and a directory that looks like its stopped fit (no real abc.db is
    needed: the state files are checked before pyabc opens it)."""
    path = write(tmp_path, TINY.format(generations=1))
    out = tmp_path / "out"
    out.mkdir()
    (out / "abc.db").write_bytes(b"finished generations")
    (out / "config.json").write_text(json.dumps(load_calibration(path).model_dump(mode="json")))
    return path, out


@pytest.mark.parametrize(("damage", "field", "words"), [
    ('{"name": "tiny", "seed": ', "line 1, column 26", "damaged: not valid JSON"),
    ('{"name": "tiny"}', "targets", "required field is missing (damaged;"),
    ('[1, 2]', "", "damaged;"),
])
def test_a_damaged_config_json_on_resume_is_one_line_and_keeps_the_fit(tmp_path, capsys,
                                                                         damage, field, words):
    path, out = _stopped_fit(tmp_path)
    (out / "config.json").write_text(damage)
    assert main(["calibrate", str(path), "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and words in err, err
    # one line per problem, each naming the file (and where a field is known, the field)
    assert all(line.startswith(f"{out / 'config.json'}: ") for line in err.splitlines()), err
    assert err.startswith(f"{out / 'config.json'}: {field}"), err
    assert (out / "abc.db").read_bytes() == b"finished generations"
    assert (out / "config.json").read_text() == damage            # nothing rewritten


def test_a_damaged_record_json_on_resume_is_one_line_and_keeps_the_fit(tmp_path, capsys):
    path, out = _stopped_fit(tmp_path)
    (out / "record.json").write_text('{"rows": [1, 2]}')
    assert main(["calibrate", str(path), "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"{out / 'record.json'}: targets: damaged"), err
    assert "delete the file and --resume again" in err
    assert (out / "abc.db").read_bytes() == b"finished generations"


def test_a_target_undefined_in_the_calibration_years_is_named(tmp_path):
    """At an early last_year a target can have no value or an interval of no width (e.g. no
    country-year at risk): the calibration file's entry is named, not a traceback."""
    config = load_calibration(write(tmp_path, TINY.format(generations=1).replace(
        f', "{INSIDE}"', "")))
    nan = math.nan
    found = Targets((Target("first_onset_rate", 0.01, 0.005, 0.02, "", 100, 1, "", ""),
                     Target("onset_rate_after_episode", nan, nan, nan, "", 0, 0, "", "", nan,
                            nan),
                     Target("onset_rate_risk_q1", 0.0, 0.0, 0.0, "", 5, 0, "", "", 0.0, 0.0),
                     Target("onset_rate_risk_q5", 0.1, 0.05, 0.2, "", 50, 5, "", "")),
                    "", None, 0, 0)
    with pytest.raises(InputError) as e:
        check_targets(config, found, "cal.toml")
    assert e.value.source == "cal.toml"
    assert [f for f, _ in e.value.problems] == ["targets.1", "targets.2"]
    assert "onset_rate_after_episode is undefined" in e.value.problems[0][1]
    assert "0 in 0" in e.value.problems[0][1] and "later last_year" in e.value.problems[0][1]


# ---- the simulated statistics ------------------------------------------------------------------
def _record(quintiles, episode_table, prior) -> Record:
    return Record(Targets((), "", None, 0, 0), tuple(range(1, len(quintiles) + 1)),
                  tuple(quintiles), tuple(episode_table), tuple(prior))


def test_statistics_follow_the_record_definitions_on_a_hand_made_sample():
    # rows: 0 no past (quintile 0), 1 a past episode (quintile 4), 2 ongoing (quintile 4: not
    # in the onset rates, only in the gradient); two runs each, 36 months (3 years a run)
    record = _record([0, 4, 4], [True, True, False], [False, True, False])
    episodes = [(), ((14, None),),          # row 0: none; an onset in year 2, never ends
                ((30, None),), (),          # row 1: an onset in year 3 (after an episode)
                ((2, 10),), ()]             # row 2: an onset in month 2 (gradient only)
    rows = [0, 0, 1, 1, 2, 2]
    s = statistics(episodes, 36, rows, record)
    # first onsets: row 0's years outside an episode: run 0 years 1-3, run 1 years 1-2 = 5
    assert s["first_onset_rate"] == pytest.approx(1 / 5)
    # after an episode: row 1's years 1-3 of both runs = 6 at risk, one onset
    assert s["onset_rate_after_episode"] == pytest.approx(1 / 6)
    assert s["after_episode_ratio"] == pytest.approx((1 / 6) / (1 / 5))
    # gradient: an onset within 24 months: row 0 run 1 (month 14), row 2 run 0 (month 2)
    assert s["onset_rate_risk_q1"] == pytest.approx(1 / 2)
    assert s["onset_rate_risk_q5"] == pytest.approx(1 / 4)      # rows 1 and 2: 1 of 4 runs
    assert math.isnan(s["onset_rate_risk_q3"])                  # no row sampled there
    assert s["onset_share_top_quintile"] == pytest.approx(1 / 2)


def test_a_warmup_is_history_not_years_at_risk():
    # the sample above, its runs' months shifted by a 12-month warm-up, plus an onset in each
    # run's warm-up year for row 0 run 0 and row 1 run 1
    record = _record([0, 4, 4], [True, True, False], [False, True, False])
    episodes = [((5, 8),), ((26, None),),   # row 0: warm-up onset (ended); one in year 2
                ((42, None),), ((3, None),),  # row 1: one in year 3; a warm-up onset, ongoing
                ((14, 22),), ()]             # row 2: an onset in month 2 after the warm-up
    rows = [0, 0, 1, 1, 2, 2]
    s = statistics(episodes, 36, rows, record, warmup=12)
    # row 0 run 0's years 1-3 now follow its warm-up episode: after an episode, not first
    # onsets; run 1's first two counted years are at risk of a first onset, one onset
    assert s["first_onset_rate"] == pytest.approx(1 / 2)
    # after an episode: row 0 run 0 (3 years), row 1 run 0 (3 years, one onset); row 1 run 1
    # is inside its warm-up episode throughout
    assert s["onset_rate_after_episode"] == pytest.approx(1 / 6)
    # the gradient counts onsets in the 24 months after the warm-up only
    assert s["onset_rate_risk_q1"] == pytest.approx(1 / 2)      # row 0 run 1 (month 26)
    assert s["onset_rate_risk_q5"] == pytest.approx(1 / 4)      # row 2 run 0 (month 14)
    with pytest.raises(ValidationError, match="warmup"):
        Sample(warmup=6)


def test_rows_inside_an_episode_have_their_own_rate_and_stay_out_of_the_gradient():
    # rows: 0 quintile 1, 1 quintile 5, 2 and 3 inside an episode (no quintile); two runs each
    record = Record(Targets((), "", None, 0, 0), (1, 2, 3, 4), (0, 4, -1, -1),
                    (True, True, False, False), (False, False, True, True),
                    (False, False, True, True))
    episodes = [(), ((5, None),),            # row 0: an onset in month 5
                ((7, None),), (),            # row 1: an onset in month 7
                ((3, None),), ((30, None),),  # row 2: month 3 counts; month 30 is too late
                ((1, None),), ((2, None),)]   # row 3: both count
    s = statistics(episodes, 36, [0, 0, 1, 1, 2, 2, 3, 3], record)
    assert s[INSIDE] == pytest.approx(3 / 4)
    assert s["onset_rate_risk_q1"] == s["onset_rate_risk_q5"] == pytest.approx(1 / 2)
    assert s["onset_share_top_quintile"] == pytest.approx(1 / 2)   # inside rows' onsets: out
    assert s["first_onset_rate"] == pytest.approx(2 / 8)   # rows 0 and 1's years, not 2, 3
    # a sample without such rows (every fit before them) has no such statistic
    old = _record([0, 4], [True, True], [False, False])
    assert INSIDE not in old.simulated() and INSIDE not in statistics([(), ()], 24, [0, 1], old)
    written = {k: v for k, v in old.to_dict().items() if k != "inside"}   # before the field
    assert Record.from_dict(written).inside == () and INSIDE in record.simulated()
    with pytest.raises(KeyError):                                          # damaged: one flag
        Record.from_dict({**record.to_dict(), "inside": [True]})


def test_rates_by_half_of_population_weigh_quintiles_as_the_record_mixes_them():
    # rows: 0 and 1 the smaller half (quintiles 1 and 5), 2 the larger (quintile 5), 3 inside
    # an episode (in neither half); two runs each. In the record the smaller half's rows are
    # 60 % in quintile 1, 20 % in 3 (no row sampled there: left out) and 20 % in 5
    mix = ((0.6, 0.0, 0.2, 0.0, 0.2), (0.0, 0.0, 0.0, 0.0, 1.0))
    record = Record(Targets((), "", None, 0, 0), (1, 2, 3, 4), (0, 4, 4, -1),
                    (True, True, True, False), (False, False, False, True),
                    (False, False, False, True), (0, 0, 1, -1), mix)
    episodes = [(), (),                      # row 0: none
                ((3, None),), ((9, None),),   # row 1: both runs
                ((7, None),), ((30, None),),  # row 2: month 7 counts; month 30 is too late
                ((1, None),), ((2, None),)]   # row 3: inside an episode, in neither half
    rows = [0, 0, 1, 1, 2, 2, 3, 3]
    s = statistics(episodes, 36, rows, record)
    # (0.6 × 0 + 0.2 × 1) / 0.8, where the rows' plain rate would be 1/2
    assert s["onset_rate_smaller_half"] == pytest.approx(0.25)
    assert s["onset_rate_larger_half"] == pytest.approx(1 / 2)
    assert Record.from_dict(record.to_dict()) == record
    # a sample without halves (every fit before them) has no such statistic and reads back so
    old = replace(record, halves=(), half_mix=())
    measured = set(old.simulated()) | set(statistics(episodes, 36, rows, old))
    assert not set(HALVES) & measured
    written = {k: v for k, v in old.to_dict().items() if k not in ("halves", "half_mix")}
    assert Record.from_dict(written) == old and set(HALVES) <= set(record.simulated())
    for damaged in ({"halves": [0]}, {"half_mix": [[1.0] * 5]}):
        with pytest.raises(KeyError):
            Record.from_dict({**record.to_dict(), **damaged})
    # a resume that recomputes the record measures what the fit began with
    assert _as_begun(record, dict.fromkeys(record.simulated())) == record
    assert _as_begun(record, dict.fromkeys(old.simulated())) == old


def test_the_rate_without_exclusion_weighs_quintiles_as_the_record_mixes_them():
    # rows: 0 quintile 1 and 1 quintile 5 exclude no group, 2 quintile 5 excludes one, 3 inside
    # an episode (out of every gradient rate); two runs each. In the record such rows are
    # 70 % in quintile 1, 10 % in 3 (no row sampled there: left out) and 20 % in 5
    mix = (0.7, 0.0, 0.1, 0.0, 0.2)
    record = Record(Targets((), "", None, 0, 0), (1, 2, 3, 4), (0, 4, 4, -1),
                    (True, True, True, False), (False, False, False, True),
                    (False, False, False, True), (), (), (True, True, False, False), mix)
    episodes = [(), (),                       # row 0: none
                ((3, None),), ((4, None),),   # row 1: both runs
                ((7, None),), ((9, None),),   # row 2: excludes a group, both runs
                ((1, None),), ((2, None),)]   # row 3: inside an episode
    rows = [0, 0, 1, 1, 2, 2, 3, 3]
    s = statistics(episodes, 36, rows, record)
    # (0.7 × 0 + 0.2 × 1) / 0.9, where the rows' plain rate would be 1/2; row 2's stay out
    assert s[OPEN] == pytest.approx(0.2 / 0.9)
    flipped = replace(record, open=(True, False, True, False))   # row 2 in, row 1 out
    assert statistics(episodes, 36, rows, flipped)[OPEN] == pytest.approx(0.2 / 0.9)
    assert statistics(episodes, 36, rows, replace(record, open=(False, True, True, False))
                      )[OPEN] == pytest.approx(1.0)   # only quintile 5's rows, all onsets
    assert Record.from_dict(record.to_dict()) == record and OPEN in record.simulated()
    # a sample without the rows' exclusion (every fit before it) has no such statistic
    old = replace(record, open=(), open_mix=())
    assert OPEN not in set(old.simulated()) | set(statistics(episodes, 36, rows, old))
    written = {k: v for k, v in old.to_dict().items() if k not in ("open", "open_mix")}
    assert Record.from_dict(written) == old
    for damaged in ({"open": [True]}, {"open_mix": [1.0] * 4}):
        with pytest.raises(KeyError):
            Record.from_dict({**record.to_dict(), **damaged})
    # a resume that recomputes the record measures what the fit began with: with the new
    # rate, or without it (every fit before it, which had the halves)
    assert _as_begun(record, dict.fromkeys(record.simulated())) == record
    assert _as_begun(record, dict.fromkeys(old.simulated())) == old
    halved = replace(record, halves=(0, 0, 1, -1), half_mix=((1.0, 0, 0, 0, 0),) * 2)
    before = replace(halved, open=(), open_mix=())
    assert set(HALVES) <= set(before.simulated())
    assert _as_begun(halved, dict.fromkeys(before.simulated())) == before


def test_the_record_mix_of_quintiles_is_each_quintile_share_of_the_rows_marked():
    quintile = np.array([0, 0, 1, 4, 4, 4, -1, 2])
    within = np.array([True, False, True, True, True, False, True, False])
    # marked: quintiles 0, 1, 4, 4 and one row in none (inside an episode): shares of 5 rows
    assert quintile_mix(quintile, within) == (0.2, 0.2, 0.0, 0.0, 0.4)
    assert quintile_mix(quintile, np.zeros(8, dtype=bool)) == (0.0,) * 5


def test_a_resume_may_change_when_to_stop_and_the_prose_only(tmp_path):
    old = _config_json(load_calibration(write(tmp_path, TINY.format(generations=1))))
    new = _config_json(load_calibration(write(tmp_path, TINY.format(generations=3).replace(
        'name = "tiny"', 'name = "small"\ndescription = "said better"'))))
    assert _same_fit(old, new) == ""
    # a fit written before rows_inside existed reads it at its default, 0
    plain = _config_json(load_calibration(write(tmp_path, TINY.format(generations=1).replace(
        f', "{INSIDE}"', "").replace("rows_inside = 1", ""))))
    before = {**plain, "sample": {k: v for k, v in plain["sample"].items() if k != "rows_inside"}}
    assert plain["sample"]["rows_inside"] == 0 and _same_fit(before, plain) == ""
    assert _same_fit(before, old) == "sample.rows_inside"
    assert _same_fit(old, {**old, "seed": 2}) == "seed"
    # the kernel may change only while generation 0 alone is done (calibrate checks which)
    wide = {**old, "abc": {**old["abc"], "kernel_scaling": 3.0}}
    assert _same_fit(old, wide) == "abc.kernel_scaling"
    assert _same_fit(old, wide, RESUMABLE + BEFORE_KERNEL) == ""
    # a held value is part of the fit (generation 0 ran with it); unquoted, a dotted key is
    # the same parameter
    held = [_config_json(load_calibration(write(tmp_path, TINY.format(generations=1).replace(
        "[sample]", f"[held]\n{key} = 0.4\n[sample]"), f"h{i}.toml")))
        for i, key in enumerate(('"links.excluded_share_max"', "links.excluded_share_max"))]
    assert held[0] == held[1] and held[0]["held"] == {"links.excluded_share_max": 0.4}
    assert _same_fit(old, held[0], RESUMABLE + BEFORE_KERNEL) == "held.links.excluded_share_max"


def test_the_inside_target_needs_rows_inside(tmp_path):
    with pytest.raises(InputError) as e:
        load_calibration(write(tmp_path, TINY.format(generations=1).replace(
            "rows_inside = 1", "rows_inside = 0")))
    (field, problem), = e.value.problems
    assert field == "sample.rows_inside" and INSIDE in problem


def test_a_fitted_subset_of_rows_needs_a_sampled_row_in_it(tmp_path):
    config = load_calibration(write(tmp_path, TINY.format(generations=1).replace(
        '"onset_rate_risk_q5", ', '"onset_rate_risk_q5", "onset_rate_larger_half", ')))
    none = np.zeros(3, dtype=bool)
    _check_sampled(config, np.array([0, 1, 0]), none, "cal.toml")   # both halves sampled: fine
    with pytest.raises(InputError) as e:
        _check_sampled(config, np.array([0, 0, 0]), none, "cal.toml")
    (field, problem), = e.value.problems
    assert field == "sample.rows_per_quintile" and "none of the larger half" in problem
    tiny = load_calibration(write(tmp_path, TINY.format(generations=1)))
    _check_sampled(tiny, np.array([0, 0]), none[:2], "cal.toml")   # not fitted: no need
    # so with the rows that exclude no group
    fitted_open = load_calibration(write(tmp_path, TINY.format(generations=1).replace(
        '"onset_rate_risk_q5", ', f'"onset_rate_risk_q5", "{OPEN}", ')))
    _check_sampled(fitted_open, np.array([0, 1]), np.array([False, True]), "cal.toml")
    with pytest.raises(InputError) as e:
        _check_sampled(fitted_open, np.array([0, 1]), none[:2], "cal.toml")
    (field, problem), = e.value.problems
    assert field == "sample.rows_per_quintile" and "excludes no group" in problem


def test_a_calibration_row_inside_an_episode_counts_new_episodes_only(tmp_path):
    """Wiring: the simulator runs a row inside the state's episode with the state as the
    ongoing perpetrator, so its statistic is the share of runs with another perpetrator's
    onset within 24 months (:func:`counted`), not of runs with any onset."""
    path = tmp_path / "p.csv"
    pd.DataFrame([{"profile": 7, "year": 2000, **REFERENCE, "mk_ever": 1,
                   "mk_ongoing_count_log2": 1, "pol_killing_approved": 1, "discrimpop": 0.3,
                   "minorityrule": 1, "battledeaths.log2": 12.0}]).to_csv(path, index=False)
    table = read_profiles(path)
    config = load_calibration(write(tmp_path, TINY.format(generations=1).replace(
        "runs = 2", "runs = 8")))
    record = Record(Targets((), "", None, 0, 0), (1,), (-1,), (False,), (True,), (True,))
    s = Simulator(config, table, record).simulate({}, 3)
    scenario = profile_at(table, 1, months=24, n_civilians=300).scenario
    runs = [run_one(scenario, run_seed(run_seed(3, 0), i)).violence.episodes for i in range(8)]
    new = [any(e.onset <= 24 for e in counted(eps, STATE_FORCES)) for eps in runs]
    assert s[INSIDE] == pytest.approx(np.mean(new))
    # these seeds give a run whose only onset is the state's renewed one (not counted)
    assert s[INSIDE] < np.mean([any(e.onset <= 24 for e in eps) for eps in runs])


def test_a_calibration_with_a_warmup_runs_it_first(tmp_path):
    """Wiring: with ``sample.warmup`` the simulator runs each row warm-up plus counted months,
    and its statistics count the 24 months after the warm-up."""
    path = tmp_path / "p.csv"
    pd.DataFrame([{"profile": 7, "year": 2000, **REFERENCE, "pol_killing_approved": 1,
                   "discrimpop": 0.3, "minorityrule": 1, "battledeaths.log2": 12.0}]
                 ).to_csv(path, index=False)
    table = read_profiles(path)
    config = load_calibration(write(tmp_path, TINY.format(generations=1).replace(
        "runs = 2", "runs = 12").replace("months = 24", "months = 24\nwarmup = 12")))
    record = Record(Targets((), "", None, 0, 0), (1,), (4,), (True,), (False,), (False,))
    simulator = Simulator(config, table, record)
    episodes, _ = simulator.episodes({}, 3)
    scenario = profile_at(table, 1, months=36, n_civilians=300).scenario
    runs = [run_one(scenario, run_seed(run_seed(3, 0), i)).violence.episodes for i in range(12)]
    assert episodes == [tuple((e.onset, e.end) for e in eps) for eps in runs]
    rate = simulator.simulate({}, 3)["onset_rate_risk_q5"]
    assert rate == pytest.approx(np.mean([any(12 < e.onset <= 36 for e in eps) for eps in runs]))
    # these seeds give runs with an onset in the warm-up only, which the rate leaves out
    assert rate < np.mean([any(e.onset <= 36 for e in eps) for eps in runs])


def test_a_held_parameter_enters_every_simulation_of_a_particle(tmp_path):
    """A particle's simulation runs the held value with the fitted ones: the same statistics
    as simulating them all named, and not those of the declared value (organized killing,
    declared 0, off, held on at a low level in a profile whose state kills)."""
    path = tmp_path / "p.csv"
    pd.DataFrame([{"profile": 7, "year": 2000, **REFERENCE, "pol_killing_approved": 1,
                   "discrimpop": 0.3, "minorityrule": 1, "battledeaths.log2": 12.0}]
                 ).to_csv(path, index=False)
    table = read_profiles(path)
    held = TINY.format(generations=1).replace("runs = 2", "runs = 12").replace(
        "[sample]", '[held]\n"violence.organized_at" = 1e-5\n[sample]')
    config = load_calibration(write(tmp_path, held))
    assert config.names() == ["violence.state_orders", "links.complicity_killings",
                              "violence.organized_at"]
    record = Record(Targets((), "", None, 0, 0), (1,), (4,), (True,), (False,), (False,))
    particle = {"violence__state_orders": 0.2, "links__complicity_killings": 0.2}
    named = {"violence.state_orders": 0.2, "links.complicity_killings": 0.2}
    np.random.seed(11)  # noqa: NPY002  (the simulator draws its seed as pyabc's particles do)
    rate = Simulator(config, table, record)(particle)["onset_rate_risk_q5"]
    np.random.seed(11)  # noqa: NPY002
    seed = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002
    simulator = Simulator(config, table, record)
    held_rate = simulator.simulate(named | {"violence.organized_at": 1e-5}, seed)
    assert rate == held_rate["onset_rate_risk_q5"]
    assert rate != simulator.simulate(named, seed)["onset_rate_risk_q5"]


def test_statistics_without_onsets_leave_shares_and_ratios_undefined():
    record = _record([0, 4], [True, True], [False, False])
    s = statistics([(), ()], 24, [0, 1], record)
    assert s["first_onset_rate"] == 0
    assert math.isnan(s["onset_rate_after_episode"]) and math.isnan(s["after_episode_ratio"])
    assert math.isnan(s["onset_share_top_quintile"])


def test_distance_scales_each_error_by_its_interval_and_charges_undefined_values(tmp_path):
    config = load_calibration(write(tmp_path, TINY.format(generations=1)))
    found = Targets(tuple(Target(n, 0.1, 0.05, 0.15, "", 1, 1, "", "", 0.0, 0.3)
                          for n in SIMULATED), "", None, 0, 0)
    d = Distance(config, found)
    x0 = {n: 0.1 for n in SIMULATED}
    # the wider of the two intervals (0.3) scales; two targets off by 0.3 -> sqrt(2)
    x = {**x0, "first_onset_rate": 0.4, "onset_rate_risk_q5": -0.2, "valid": 1.0}
    assert d(x, x0) == pytest.approx(math.sqrt(2))
    x = {**x0, "onset_rate_after_episode": math.nan}
    assert d(x, x0) == pytest.approx(config.abc.undefined_distance)
    assert d({**x0, "valid": 0.0}, x0) == math.inf


# ---- the sampler: reproducible, resumable ----------------------------------------------------
def _toy_fit(db: Path, seed: int, generations: int, resume: bool = False) -> np.ndarray:
    """pyabc on a normal mean with the calibration's sampler (microseconds a simulation)."""
    import pyabc

    def model(p):
        return {"y": p["mu"] + np.random.normal(0, 0.5)}  # noqa: NPY002 - pyabc's generator

    abc = pyabc.ABCSMC(model, pyabc.Distribution(mu=pyabc.RV("uniform", -5, 10)),
                       lambda x, y: abs(x["y"] - y["y"]), population_size=20,
                       sampler=_sampler_class()(seed))
    url = f"sqlite:///{db}"
    if resume:
        done = abc.load(url, 1).max_t + 1
    else:
        abc.new(url, {"y": 1.0})
        done = 0
    history = abc.run(max_nr_populations=generations - done)
    frame, w = history.get_distribution(m=0, t=history.max_t)
    return np.column_stack([frame["mu"].to_numpy(), w])


@pytest.mark.slow  # importing pyabc alone takes 5-15 s (it imports scikit-learn and plotting)
def test_the_sampler_gives_the_same_posterior_for_the_same_seed_and_after_resume(tmp_path):
    whole = _toy_fit(tmp_path / "a.db", 3, 3)
    assert np.array_equal(whole, _toy_fit(tmp_path / "b.db", 3, 3))
    _toy_fit(tmp_path / "c.db", 3, 1)
    assert np.array_equal(whole, _toy_fit(tmp_path / "c.db", 3, 3, resume=True))
    assert not np.array_equal(whole, _toy_fit(tmp_path / "d.db", 4, 3))


def test_logit_space_maps_the_real_line_into_the_prior(tmp_path):
    config = load_calibration(write(tmp_path, TINY.format(generations=1).replace(
        "[abc]", '[abc]\nkernel_space = "logit"')))
    p = config.parameters[1]   # range [0.2, 0.8]
    x = natural(config, p, np.array([-40.0, 0.0, 40.0]))
    assert x == pytest.approx([0.2, 0.5, 0.8], abs=1e-15)
    plain = load_calibration(write(tmp_path, TINY.format(generations=1), "plain.toml"))
    assert natural(plain, p, np.array([3.0]))[0] == 3.0      # natural space: as pyabc gave it


# ---- posteriors ------------------------------------------------------------------------------
def _posterior(path: Path, values, weights=(0.5, 0.5),
               names=("violence.state_orders", "links.complicity_killings")) -> Path:
    write_posterior(path, list(names), np.array(values, dtype=float),
                    np.array(weights, dtype=float), {"note": "test"})
    return path


def test_a_posterior_draw_is_seeded_and_follows_the_weights(tmp_path):
    post = read_posterior(_posterior(tmp_path / "p.parquet", [[0.1, 0.1], [0.9, 0.9]],
                                     (0.0, 1.0)))
    assert {post.draw(s) for s in range(50)} == {1}
    post = read_posterior(_posterior(tmp_path / "q.parquet", [[0.1, 0.1], [0.9, 0.9]]))
    draws = [post.draw(s) for s in range(400)]
    assert draws == [post.draw(s) for s in range(400)]
    # 400 fair draws: 200 expected, sd 10; 5 sd is a bound a correct draw cannot fail
    assert abs(sum(draws) - 200) < 50


def test_a_screen_holds_chosen_values_and_keeps_the_other_draws(tmp_path):
    post = read_posterior(_posterior(tmp_path / "p.parquet", [[0.1, 0.2], [0.9, 0.8]]))
    first = post.names[0]
    held = with_fixed(post, {first: 0.5, "links.population_elasticity": 0.3})
    assert len(held) == len(post) and list(held.weights) == list(post.weights)
    assert [held.parameters(i) for i in range(2)] == [
        {post.names[1]: post.values[i, 1], first: 0.5, "links.population_elasticity": 0.3}
        for i in range(2)]
    alone = with_fixed(None, {"situation.spread": 1.0})
    assert len(alone) == 1 and alone.parameters(0) == {"situation.spread": 1.0}


def test_each_forecast_run_gets_the_scenario_of_its_drawn_parameter_set(tmp_path):
    table = read_profiles(SHIPPED)
    post = read_posterior(_posterior(tmp_path / "p.parquet", [[0.05, 0.2], [0.95, 0.7]]))
    seed = row_seed(0, 1, 1960)
    batch = _Batch(0, None, seed, list(range(6)))
    (drawn,) = _drawn([batch], table, [5], post, 24, 300)
    for i, sc in zip(batch.indices, _scenarios(drawn), strict=True):
        j = post.draw(draw_seed(seed, i))
        assert sc.violence.state_orders == post.values[j, 0]
        # the worker's build from the row's values is the profile's, every field
        links, overrides = split(post.parameters(j))
        assert sc == profile_at(table, 5, links, 24, 300, overrides).scenario


# rows where the model has onsets at 300 civilians with these parameters, so that a changed
# parameter set can show in the forecast (both rows' counts differ between the two)
ROWS = [851, 860]


def test_forecast_with_a_posterior_repeats_and_differs_from_none(tmp_path):
    table = read_profiles(SHIPPED)
    post = read_posterior(_posterior(tmp_path / "p.parquet", [[1.0, 1.0], [0.9, 0.8]]))
    with_post = forecast_csv(forecast(table, 6, 24, 0, 300, rows=ROWS, posterior=post),
                             post.source)
    assert with_post == forecast_csv(forecast(table, 6, 24, 0, 300, rows=ROWS, posterior=post),
                                     post.source)
    assert with_post.decode().splitlines()[1].endswith(f",{post.source}")
    assert with_post != forecast_csv(forecast(table, 6, 24, 0, 300, rows=ROWS))


def test_forecast_tasks_are_rows_unless_a_worker_would_get_fewer_than_four(tmp_path):
    """A task is up to TASK_RUNS runs of a row (its worker builds each drawn set's scenario
    once), or BATCH_RUNS where that would leave a worker of a pool fewer than four; either way the
    file is the same. A thread pool counts the tasks (the runs are the real ones)."""
    from concurrent.futures import ThreadPoolExecutor

    assert task_runs(1668, 100, 2) == TASK_RUNS and task_runs(1, 1000, 2) == TASK_RUNS
    assert task_runs(3, 100, 2) == BATCH_RUNS and task_runs(8, 100, 2) == TASK_RUNS
    assert task_runs(3, 100, 1) == TASK_RUNS   # one worker (or in-process): never idle

    class Counting(ThreadPoolExecutor):
        def __init__(self):
            super().__init__(1)
            self.sizes = []

        def submit(self, fn, batch):
            self.sizes.append(len(batch.indices))
            return super().submit(fn, batch)

    table = read_profiles(SHIPPED)
    post = read_posterior(_posterior(tmp_path / "p.parquet", [[1.0, 1.0], [0.9, 0.8]]))
    files = []
    for workers in (1, 2):
        with Counting() as pool:
            found = forecast(table, 30, 24, 0, 300, pool, workers, rows=[*ROWS, 852, 861],
                             posterior=post)
        assert sorted(pool.sizes) == ([30] * 4 if workers == 1 else [5] * 4 + [25] * 4)
        for r in found:   # each run's drawn set, kept from its task, as a fresh draw gives it
            assert r.draws == tuple(draws(post, row_seed(0, r.profile, r.year), 30))
        files.append(forecast_csv(found))
    assert files[0] == files[1]


SMALL = ["run.months=36", "run.n_civilians=2000", "events.scheduled=[{kind='election', "
         "month=18}]"]


def test_ensemble_runs_draw_their_scenario_coefficients_and_differ_from_none(tmp_path):
    post = read_posterior(_posterior(tmp_path / "p.parquet", [[0.0, 0.5], [1.0, 0.5]]))
    drawn = drawn_scenarios(post, "default", SMALL, 0, 8)
    for i, sc in enumerate(drawn):
        assert sc.violence.state_orders == post.values[post.draw(draw_seed(0, i)), 0]
    assert {sc.violence.state_orders for sc in drawn} == {0.0, 1.0}
    assert len({id(sc) for sc in drawn}) == 2          # one scenario built per distinct draw
    with_post = run_ensemble(drawn[0], 8, 0, workers=1, scenarios=drawn)
    without = run_ensemble(load_scenario("default", [*SMALL, "violence.state_orders=0.6"]), 8,
                           0, workers=1)
    assert [o.deaths for o in with_post] != [o.deaths for o in without]


def test_compare_with_a_posterior_pairs_each_runs_draw_across_policies(tmp_path, capsys):
    """A policy with no interventions must give every run exactly the outcome of none: only
    if run i draws the same parameter set under both."""
    post = _posterior(tmp_path / "p.parquet", [[0.0, 0.5], [1.0, 0.5]])
    args = ["compare", "default", "--runs", "4", "--workers", "1", "--policy", "none",
            "--policy", "idle", "--set", "policies.idle.interventions=[]", "--posterior",
            str(post), "--json", "--out", str(tmp_path / "c")]
    for s in SMALL:
        args += ["--set", s]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["posterior"]["parameters"] == ["violence.state_orders"]
    with open(tmp_path / "c" / "outcomes.csv") as f:   # the file says which posterior
        assert {row["posterior"] for row in csv.DictReader(f)} == {str(post)}
    pair = report["comparison"]["pairs"][0]["deaths"]
    assert pair["difference"] == pair["paired_low"] == pair["paired_high"] == 0


def test_a_posterior_of_links_only_is_refused_for_named_scenarios(tmp_path, capsys):
    post = _posterior(tmp_path / "p.parquet", [[0.5]], (1.0,),
                      names=("links.complicity_killings",))
    assert main(["ensemble", "default", "--runs", "2", "--posterior", str(post), "--out",
                 str(tmp_path / "e")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "act on profiles (forecast)" in err, err


@pytest.mark.parametrize("override", ["violence.state_orders=0.3",
                                      "violence={state_orders=0.3}"])
def test_a_set_of_a_parameter_the_posterior_fits_is_refused_naming_it(tmp_path, capsys,
                                                                      override):
    """The posterior used to win silently over --set; now the combination is refused."""
    post = _posterior(tmp_path / "p.parquet", [[0.0, 0.5], [1.0, 0.5]])
    for command in ("ensemble", "compare"):
        assert main([command, "default", "--runs", "2", "--workers", "1", "--set", override,
                     "--posterior", str(post), "--out", str(tmp_path / command)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert err.startswith(f"escalation-sim {command}: --set violence.state_orders: the "
                              f"posterior {post} sets this parameter"), err
        assert not (tmp_path / command / "outcomes.csv").exists()
    # a --set of another field is fine, and the Python API refuses the same way
    assert len(drawn_scenarios(read_posterior(post), "default", SMALL, 0, 2)) == 2
    with pytest.raises(ValueError, match="violence.state_orders"):
        drawn_scenarios(read_posterior(post), "default", [override], 0, 2)


@pytest.mark.slow
def test_ensemble_with_a_posterior_is_the_same_on_two_workers(tmp_path):
    post = read_posterior(_posterior(tmp_path / "p.parquet", [[0.0, 0.5], [1.0, 0.5]]))
    drawn = drawn_scenarios(post, "default", SMALL, 3, 12)
    one = run_ensemble(drawn[0], 12, 3, workers=1, scenarios=drawn)
    two = run_ensemble(drawn[0], 12, 3, workers=2, scenarios=drawn)
    assert one == two


@pytest.mark.parametrize(("build", "words"), [
    (lambda p: p.write_text("not parquet"), "not a Parquet posterior file"),
    (lambda p: pq.write_table(pa.table({"violence.state_orders": [0.5]}), p),
     "column weight: missing"),
    (lambda p: pq.write_table(pa.table({"violence.state_orders": [0.5], "weight": [-1.0]}), p),
     "column weight: weights must be non-negative"),
    (lambda p: pq.write_table(pa.table({"violence.state_orders": [1.5], "weight": [1.0]}), p),
     "column violence.state_orders: 1.5 (row 1) is outside the parameter's bounds [0, 1]"),
    (lambda p: pq.write_table(pa.table({"links.excluded_share_max": [1.0], "weight": [1.0]}),
                              p),
     "column links.excluded_share_max: 1 (row 1) is outside the parameter's bounds (0, 1)"),
    (lambda p: pq.write_table(pa.table({"no.such": [0.5], "weight": [1.0]}), p),
     "column no.such: 'no.such' is not a parameter"),
    (lambda p: pq.write_table(pa.table({"violence.state_orders": ["a"], "weight": [1.0]}), p),
     "column violence.state_orders: not numbers"),
])
def test_a_bad_posterior_file_is_one_line_naming_file_and_column(tmp_path, capsys, build,
                                                                 words):
    path = tmp_path / "post.parquet"
    build(path)
    code = main(["forecast", str(SHIPPED), "--rows", "1-2", "--runs", "1", "--workers", "1",
                 "--posterior", str(path), "--out", str(tmp_path / "f.csv")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith(f"{path}: "), err
    assert words in err, err
    assert not (tmp_path / "f.csv").exists()


def test_a_parameter_set_that_makes_the_scenario_invalid_names_the_posterior_file(tmp_path,
                                                                                  capsys):
    """Each value within its bounds, but the two weights sum above 1 (a cross-field check of
    the scenario): the error names the posterior file, the row and the field, not only the
    scenario the set was applied to. A forecast's worker finds it (it builds the scenarios),
    so it is also checked from a real worker process."""
    post = _posterior(tmp_path / "p.parquet", [[0.7, 0.6], [0.2, 0.2]], (1.0, 0.0),
                      names=("mobilization.punishment_security",
                             "mobilization.punishment_judiciary"))
    for argv in (["ensemble", "default", "--runs", "2", "--workers", "1", "--out",
                  str(tmp_path / "e")],
                 *(["forecast", str(SHIPPED), "--rows", "1", "--runs", "1", "--workers", w,
                    "--no-progress", "--out", str(tmp_path / "f.csv")] for w in ("1", "2"))):
        assert main([*argv, "--posterior", str(post)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert err.startswith(f"{post}: row 1, mobilization: punishment_security + "
                              "punishment_judiciary"), err
    assert not (tmp_path / "f.csv").exists()


def test_a_missing_posterior_file_is_named(tmp_path, capsys):
    path = tmp_path / "none.parquet"
    assert main(["forecast", str(SHIPPED), "--rows", "1", "--runs", "1", "--posterior",
                 str(path), "--out", str(tmp_path / "f.csv")]) == 2
    assert capsys.readouterr().err.strip() == f"{path}: no such posterior file"


# ---- the shipped posterior ---------------------------------------------------------------------
def test_the_shipped_posterior_is_the_fit_of_the_shipped_calibration_file():
    """calibration/posterior.parquet was made by ``calibrate experiments/calibration.toml``: its
    record holds that file's settings (beyond what ``--resume`` may change), so editing the file
    without refitting fails here; the fit's other outputs ship beside it."""
    path = shipped_posterior()
    post = read_posterior(path)
    shipped = load_calibration(Path(__file__).parent.parent / "experiments" / "calibration.toml")
    assert _same_fit(post.metadata["calibration"], _config_json(shipped)) == ""
    assert list(post.names) == shipped.names()
    assert post.metadata["command"].startswith("escalation-sim calibrate ")
    for name in ("diagnostics.json", "predictive.csv", "predictive.png", "README.md"):
        assert (path.parent / name).stat().st_size > 0, name


def test_forecast_draws_from_the_shipped_posterior_unless_told_none(tmp_path, capsys):
    argv = ["forecast", str(SHIPPED), "--rows", "1", "--runs", "2", "--months", "3",
            "--civilians", "200", "--workers", "1", "--json"]
    assert main([*argv, "--out", str(tmp_path / "a.csv")]) == 0
    # outputs call it the same in every checkout (no path of the machine)
    assert json.loads(capsys.readouterr().out)["forecast"]["posterior"] == SHIPPED_SOURCE
    assert set(pd.read_csv(tmp_path / "a.csv").posterior) == {SHIPPED_SOURCE}
    assert main([*argv, "--posterior", "none", "--out", str(tmp_path / "b.csv")]) == 0
    report = json.loads(capsys.readouterr().out)["forecast"]
    assert report["posterior"] is None and "uncalibrated" in report["note"]


def test_without_a_shipped_posterior_the_default_is_one_clear_line(tmp_path, capsys,
                                                                   monkeypatch):
    import escalation_sim.record.posterior as posterior_module

    monkeypatch.setattr(posterior_module, "SHIPPED_FILES", (tmp_path / "none.parquet",))
    assert main(["forecast", str(SHIPPED), "--rows", "1", "--runs", "1", "--out",
                 str(tmp_path / "f.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("calibration/posterior.parquet: "), err
    assert "--posterior none" in err and not (tmp_path / "f.csv").exists()


# ---- a calibration end to end ------------------------------------------------------------------
@pytest.mark.slow
def test_calibrate_writes_every_output_resumes_and_repeats_on_two_workers(tmp_path, capsys):
    """One generation, then --resume to two; a fresh two-generation fit on two workers gives
    the same posterior (the particles are sequential and seeded; only runs are parallel)."""
    one = write(tmp_path, TINY.format(generations=1), "one.toml")
    two = write(tmp_path, TINY.format(generations=2), "two.toml")
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["calibrate", str(one), "--out", str(a), "--workers", "1"]) == 0
    assert main(["calibrate", str(one), "--out", str(a)]) == 2      # refuses to overwrite
    assert "--resume" in capsys.readouterr().err
    assert main(["calibrate", str(two), "--out", str(a), "--resume", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["generations"] == 2 and summary["seconds_per_simulation"] > 0
    assert main(["calibrate", str(two), "--out", str(b), "--workers", "2"]) == 0
    for name in ("posterior.parquet", "diagnostics.json", "predictive.csv", "predictive.png",
                 "README.md", "abc.db", "config.json", "record.json"):
        assert (a / name).is_file() and (a / name).stat().st_size > 0, name
    pa_, pb = pq.read_table(a / "posterior.parquet"), pq.read_table(b / "posterior.parquet")
    assert pa_.equals(pb)
    post = read_posterior(a / "posterior.parquet")
    assert len(post) == 4 and post.names == ("violence.state_orders",
                                             "links.complicity_killings")
    assert ((post.values[:, 1] >= 0.2) & (post.values[:, 1] <= 0.8)).all()
    meta = post.metadata
    assert meta["seed"] == 1 and meta["data_years"]["episodes"] == "to 1995"
    assert set(meta["targets"]) == {"first_onset_rate", "onset_rate_after_episode",
                                    "onset_rate_risk_q1", "onset_rate_risk_q5", INSIDE}
    record = json.loads((a / "record.json").read_text())
    assert record["inside"] == [False] * 5 + [True] and record["quintiles"][-1] == -1
    assert record["halves"][-1] == -1 and set(record["halves"][:-1]) <= {0, 1}
    assert [sum(m) for m in record["half_mix"]] == [pytest.approx(1.0)] * 2
    assert record["open"][-1] is False and sum(record["open_mix"]) == pytest.approx(1.0)
    assert record["episode_table"][-1] is False
    assert "pyabc" in meta["versions"]
    # the command main() was given, not the process's (here pytest's) arguments
    assert meta["command"].startswith("escalation-sim calibrate ") and str(a) in meta["command"]
    diag = json.loads((a / "diagnostics.json").read_text())
    assert [g["generation"] for g in diag["generations"]] == [0, 1]
    assert all(g["accepted"] == 4 and 0 < g["ess"] <= 4 for g in diag["generations"])
    checks = (a / "predictive.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in checks[1:]] == list(SIMULATED)
    readme = (a / "README.md").read_text()
    assert "not a forecast" in readme and all(n in readme for n in NOT_SIMULATED)
    # a resume with another fit is refused, naming the field
    other = write(tmp_path, TINY.format(generations=2).replace("runs = 2", "runs = 3"), "o.toml")
    assert main(["calibrate", str(other), "--out", str(a), "--resume"]) == 2
    assert "sample.runs: differs" in capsys.readouterr().err
    # the kernel: refused after generation 1 (the directory as it was); after generation 0
    # alone, the resumed fit is the one a fresh start with the new kernel gives
    def wide(generations: int) -> str:
        return str(write(tmp_path, TINY.format(generations=generations).replace(
            "[abc]", "[abc]\nkernel_scaling = 3"), f"wide{generations}.toml"))

    (a / "record.json").unlink()   # recomputed on a resume: not written when it is refused
    saved = {f.name: f.read_bytes() for f in a.iterdir()}
    assert main(["calibrate", wide(3), "--out", str(a), "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert "abc.kernel_scaling: differs" in err.splitlines()[-1] and "Traceback" not in err
    assert {f.name: f.read_bytes() for f in a.iterdir()} == saved
    c, d = tmp_path / "c", tmp_path / "d"
    assert main(["calibrate", str(one), "--out", str(c)]) == 0
    assert main(["calibrate", wide(2), "--out", str(c), "--resume"]) == 0
    assert main(["calibrate", wide(2), "--out", str(d)]) == 0
    pc = pq.read_table(c / "posterior.parquet")
    assert pc.equals(pq.read_table(d / "posterior.parquet")) and not pc.equals(pa_)
    assert json.loads((c / "config.json").read_text())["abc"]["kernel_scaling"] == 3
    # in logit space: every particle inside its prior, written in the parameters' units
    # (and a parameter held: a column of its one value after the fitted ones)
    e = tmp_path / "e"
    assert main(["calibrate", str(write(tmp_path, TINY.format(generations=2).replace(
        "[abc]", '[held]\n"links.excluded_share_max" = 0.4\n[abc]\nkernel_space = "logit"'),
        "logit.toml")), "--out", str(e)]) == 0
    logit = read_posterior(e / "posterior.parquet")
    assert logit.names[2] == "links.excluded_share_max" and set(logit.values[:, 2]) == {0.4}
    assert "| `links.excluded_share_max` (fraction) | 0.4 |" in (e / "README.md").read_text()
    assert ((logit.values[:, 1] >= 0.2) & (logit.values[:, 1] <= 0.8)).all()
    assert ((logit.values[:, 0] >= 0) & (logit.values[:, 0] <= 1)).all()
    assert not pq.read_table(e / "posterior.parquet").equals(pb)
    capsys.readouterr()
    # forecast draws from the fitted posterior
    out = tmp_path / "f.csv"
    assert main(["forecast", str(SHIPPED), "--rows", "1-2", "--runs", "2", "--civilians", "300",
                 "--workers", "1", "--posterior", str(a / "posterior.parquet"), "--out",
                 str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["forecast"]["posterior"] == str(
        a / "posterior.parquet")
    assert set(pd.read_csv(out).posterior) == {str(a / "posterior.parquet")}
