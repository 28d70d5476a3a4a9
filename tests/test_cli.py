"""The command line, run as a user would (a subprocess, real files)."""

import csv
import json
import subprocess
import sys

import pyarrow.parquet as pq


def cli(*args, cwd=None):
    r = subprocess.run([sys.executable, "-m", "escalation_sim.cli", *args], capture_output=True,
                       text=True, cwd=cwd)
    assert "Traceback" not in r.stderr, r.stderr
    return r


def test_run_writes_series_events_and_plot_and_reproduces(tmp_path):
    r = cli("run", "--seed", "3", "--out", str(tmp_path / "a"), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) == {"scenario", "outcome", "files", "caveat"}
    o = doc["outcome"]
    for field in ("seed", "months", "stages", "highest_stage", "first_month_at_stage",
                  "stopped_at", "recurrences", "mass_atrocity", "mass_atrocity_month", "deaths",
                  "displaced_peak", "displaced_end", "violations", "cost"):
        assert field in o
    assert o["seed"] == 3 and len(o["stages"]) == o["months"] + 1 == 121
    with open(doc["files"]["timeseries"]) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 121 and float(rows[-1]["deaths"]) == o["deaths"]
    assert (tmp_path / "a" / "run.png").stat().st_size > 10_000
    again = cli("run", "--seed", "3", "--out", str(tmp_path / "b"), "--format", "parquet",
                "--json")
    table = pq.read_table(json.loads(again.stdout)["files"]["timeseries"])
    assert table.column("deaths").to_pylist() == [float(r["deaths"]) for r in rows]


def test_ensemble_json_summary_and_files(tmp_path):
    r = cli("ensemble", "--runs", "6", "--workers", "2", "--out", str(tmp_path), "--json",
            "--set", "run.months=30", "--set", "events.scheduled=[{kind='election', month=18}]")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    s = doc["summary"]
    assert s["runs"] == 6
    for k in ("1", "2", "3"):
        for table in ("reach_stage_at_least", "stopped_at_stage"):
            rate = s[table][k]
            assert set(rate) == {"count", "n", "p", "low", "high"}
            assert 0 <= rate["low"] <= rate["p"] <= rate["high"] <= 1
    assert {"mass_atrocity", "recurrence", "deaths", "displaced_peak"} <= set(s)
    with open(doc["files"]["outcomes"]) as f:
        assert len(list(csv.DictReader(f))) == 6
    assert (tmp_path / "stages.png").stat().st_size > 10_000


def test_ensemble_identical_on_one_worker_or_two(tmp_path):
    short = ("--set", "run.months=24", "--set", "events.scheduled=[]")
    one = cli("ensemble", "--runs", "4", "--workers", "1", "--json", *short,
              "--out", str(tmp_path / "1"))
    two = cli("ensemble", "--runs", "4", "--workers", "2", "--json", *short,
              "--out", str(tmp_path / "2"))
    assert json.loads(one.stdout)["summary"] == json.loads(two.stdout)["summary"]
    assert (tmp_path / "1" / "outcomes.csv").read_text() == (
        tmp_path / "2" / "outcomes.csv").read_text()


def test_demo_prints_the_stage_table(tmp_path):
    r = cli("demo", "--runs", "4", "--no-progress", "--set", "run.months=24",
            "--set", "events.scheduled=[]", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "reached stage >= 2" in r.stdout and "95% CI" in r.stdout
    assert "not a forecast" in r.stdout
    assert (tmp_path / "output" / "demo" / "stages.png").exists()


def test_help_everywhere():
    for args in ([], ["run"], ["ensemble"], ["demo"], ["scenarios"], ["scenarios", "validate"],
                 ["docs"]):
        r = cli(*args, "--help")
        assert r.returncode == 0 and "usage" in r.stdout


def test_bad_runs_option_is_a_clear_error():
    r = cli("ensemble", "--runs", "0")
    assert r.returncode == 2 and "--runs" in r.stderr


def test_run_and_ensemble_take_a_named_policy(tmp_path):
    r = cli("run", "--policy", "early_pillar2", "--json", "--out", str(tmp_path / "r"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["outcome"]["cost"] > 0
    events = (tmp_path / "r" / "events.csv").read_text()
    assert "takes effect" in events
    bad = cli("ensemble", "--policy", "early_pilar2", "--runs", "2", "--out", str(tmp_path / "e"))
    assert bad.returncode == 2 and "did you mean 'early_pillar2'" in bad.stderr
