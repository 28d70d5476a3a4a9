"""``record effect``: a policy against another on the model's onset risk in a risk quintile of
the record's profiles (escalation_sim.record.effect)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_validate import _fails

from escalation_sim.cli import main
from escalation_sim.record.data import PREDICTORS_FILE, data_dir
from escalation_sim.record.effect import paired_means
from escalation_sim.record.forecast import forecast
from escalation_sim.record.posterior import SHIPPED_SOURCE
from escalation_sim.record.profiles import profile_at, read_profiles
from escalation_sim.scenario import resolve_policy

SHIPPED = data_dir() / PREDICTORS_FILE


def test_paired_means_on_a_hand_made_case():
    """Every row 10 points lower under the policy: the difference is -0.1 in every resample,
    so its interval has no width; the relative change is the ratio of the means less one."""
    a, b = np.array([0.1, 0.3, 0.0]), np.array([0.2, 0.4, 0.1])
    draws = [np.array([0, 0, 1]), np.array([2, 1, 2]), np.array([0, 1, 2])]
    m = paired_means(a, b, draws)
    assert m["difference"] == pytest.approx(-0.1)
    assert (m["difference_low"], m["difference_high"]) == (pytest.approx(-0.1),
                                                           pytest.approx(-0.1))
    assert m["p_policy"] == pytest.approx(0.4 / 3) and m["p_against"] == pytest.approx(0.7 / 3)
    assert m["relative"] == pytest.approx(0.4 / 0.7 - 1)
    # no onset without the policy: no relative change to report
    none = paired_means(np.array([0.1, 0.0]), np.zeros(2), [np.array([0, 1])])
    assert none["relative"] is None and none["relative_low"] is None


@pytest.mark.slow
def test_the_empty_policy_leaves_every_run_as_it_was():
    """The pairing: giving a forecast a policy changes neither its runs' seeds nor anything
    else, so the shipped empty policy `none` gives the flags of no policy at all, run by run
    (two rows with onsets in some of their runs and not others, 3 and 2 of 6, at seed 0: a
    shift of the seeds would show)."""
    table = read_profiles(SHIPPED)
    none = resolve_policy(profile_at(table, 1).scenario, "none")
    rows = [3038, 3039]
    plain = forecast(table, 6, 24, 0, 300, rows=rows)
    with_none = forecast(table, 6, 24, 0, 300, rows=rows, policy=none)
    assert [sum(r.flags) for r in plain] == [3, 2]
    assert [r.flags for r in with_none] == [r.flags for r in plain]


def test_bad_options_are_one_line(tmp_path, capsys):
    out = ["--out", str(tmp_path / "e")]
    err = _fails(["record", "effect", "--policy", "early_pilar2", *out], capsys)
    assert "--policy early_pilar2" in err and "did you mean 'early_pillar2'" in err, err
    err = _fails(["record", "effect", "--policy", "none", "--against", "nothing", *out], capsys)
    assert "--against nothing" in err and "unknown policy" in err, err
    err = _fails(["record", "effect", "--policy", "none", "--quintile", "6", *out], capsys)
    assert "--quintile: must be 1 to 5, got 6" in err, err
    err = _fails(["record", "effect", "--policy", "none", "--runs", "0", *out], capsys)
    assert "--runs: must be at least 1, got 0" in err, err
    assert not (tmp_path / "e").exists()


@pytest.mark.slow
def test_effect_reports_paired_means_over_the_top_quintile(tmp_path, capsys):
    """A sixth of the profiles (the risk score's regression is the slow part), 12 rows of the
    top quintile, 4 runs each: the figures mean nothing at this size; the pairing, the fields
    and what the output says about itself do."""
    table = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    path = tmp_path / "predictors.csv"
    table[table.profile.astype(int) % 6 == 0].to_csv(path, index=False)
    out = tmp_path / "e"
    assert main(["record", "effect", "--policy", "early_pillar2", "--predictors", str(path),
                 "--sample", "12", "--runs", "4", "--civilians", "300", "--json",
                 "--out", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    e = report["effect"]
    assert (e["policy"], e["against"], e["quintile"], e["rows"], e["runs"]) == (
        "early_pillar2", "none", 5, 12, 4)
    assert e["quintile_rows"] > 12 and 1 <= e["countries"] <= 12
    assert e["difference"] == pytest.approx(e["p_policy"] - e["p_against"])
    for name in ("p_policy", "p_against", "difference"):
        assert e[f"{name}_low"] <= e[name] <= e[f"{name}_high"]
    assert e["rows_lower"] + e["rows_higher"] <= 12
    assert e["posterior"] == SHIPPED_SOURCE     # the default: the fitted posterior
    assert "model's" in report["caveat"] and "real country" in report["does_not_show"]
    assert json.loads((out / "effect.json").read_text())["effect"] == e
    assert '"profile"' not in (out / "effect.json").read_text()   # aggregate only
