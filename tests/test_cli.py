"""The command line, run as a user would (a subprocess, real files). Checks of what the command
parses or computes, not of how it starts, call ``main()`` in-process: the same code, without an
interpreter start (several seconds each) per call."""

import contextlib
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest


def cli(*args, cwd=None):
    r = subprocess.run([sys.executable, "-m", "escalation_sim.cli", *args], capture_output=True,
                       text=True, cwd=cwd)
    assert "Traceback" not in r.stderr, r.stderr
    return r


@pytest.mark.slow
def test_run_writes_series_events_and_plot_and_reproduces(tmp_path):
    r = cli("run", "--seed", "3", "--out", str(tmp_path / "a"), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) == {"scenario", "outcome", "files", "caveat"}
    o = doc["outcome"]
    for field in ("seed", "months", "stages", "highest_stage", "first_month_at_stage",
                  "stopped_at", "recurrences", "mass_atrocity", "mass_atrocity_month", "deaths",
                  "displaced_peak", "displaced_end", "violations", "cost", "mass_killing_onset",
                  "onset_month", "onset_perpetrator", "mass_killing_episodes",
                  "mass_killing_ended", "mass_killing_recurrence", "deaths_noncombatant",
                  "deaths_combatant", "deaths_by_perpetrator"):
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_ensemble_identical_on_one_worker_or_two(tmp_path, capsys):
    # in-process: what differs between the two is the pool of worker processes, which is real
    # here too; the command's start-up is checked by the subprocess tests around this one
    from escalation_sim.cli import main

    short = ("--set", "run.months=24", "--set", "events.scheduled=[]")
    summaries = []
    for workers in ("1", "2"):
        assert main(["ensemble", "--runs", "4", "--workers", workers, "--json", "--no-progress",
                     *short, "--out", str(tmp_path / workers)]) == 0
        summaries.append(json.loads(capsys.readouterr().out)["summary"])
    assert summaries[0] == summaries[1]
    assert (tmp_path / "1" / "outcomes.csv").read_text() == (
        tmp_path / "2" / "outcomes.csv").read_text()


@pytest.mark.slow
def test_a_killed_ensemble_leaves_no_worker_behind(tmp_path):
    import psutil
    from test_experiments import sigkill_leaves_no_orphans

    proc = subprocess.Popen([sys.executable, "-m", "escalation_sim.cli", "ensemble", "--runs",
                             "400", "--workers", "2", "--no-progress", "--out", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers = []   # the pool's workers: children of the fork server, a child of the CLI
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(psutil.NoSuchProcess):   # a child may exit as we look
            workers = [c for c in psutil.Process(proc.pid).children(recursive=True)
                       if c.ppid() != proc.pid]
        time.sleep(0.05)
    assert len(workers) == 2, "the ensemble runs on two worker processes"
    sigkill_leaves_no_orphans(proc)
    assert not (tmp_path / "outcomes.csv").exists(), "the kill must land mid-ensemble"


STUCK = ["run.months=24", "run.n_civilians=1000", "events.scheduled=[]",
         "international.attention_threshold=1.0",   # triggered responses never get on the agenda
         "policies.stuck={interventions=[{kind='peer_review', trigger_stage=1}, "
         "{kind='human_rights_monitoring', trigger_stage=1}]}"]


@pytest.mark.slow
def test_ensemble_csv_rows_are_the_sweep_rows_of_the_same_runs(tmp_path):
    from test_experiments import write_experiment

    from escalation_sim.experiments import sweep
    from escalation_sim.outcomes import ROW_COLUMNS

    sets = [a for x in STUCK for a in ("--set", x)]
    r = cli("ensemble", "--runs", "2", "--seed", "5", "--workers", "1", "--policy", "stuck",
            "--no-progress", "--out", str(tmp_path / "e"), *sets)
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "e" / "outcomes.csv") as f:
        written = list(csv.DictReader(f))
    f = write_experiment(tmp_path / "x.toml", 'name = "same"\nscenario = "default"\nseed = 5\n'
                         'replications = 2\npolicies = ["stuck"]\n', STUCK)
    sweep(f, tmp_path / "s", workers=1)
    stored = sorted(pq.read_table(tmp_path / "s" / "runs").to_pylist(), key=lambda r: r["run"])
    columns = [name for name, _ in ROW_COLUMNS]
    assert list(written[0]) == ["run", *columns, "posterior"]
    assert {row["posterior"] for row in written} == {"none"}
    # the same text in both, as csv writes a value ("" for none); blocked joined by ';'
    assert [{k: row[k] for k in columns} for row in written] == [
        {k: "" if row[k] is None else str(row[k]) for k in columns} for row in stored]
    assert written[0]["blocked"] == "peer_review:agenda;human_rights_monitoring:agenda"


@pytest.mark.slow
def test_demo_prints_the_stage_table(tmp_path):
    r = cli("demo", "--runs", "4", "--no-progress", "--set", "run.months=24",
            "--set", "events.scheduled=[]", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "reached stage >= 2" in r.stdout and "95% CI" in r.stdout
    assert "not a forecast" in r.stdout
    assert (tmp_path / "output" / "demo" / "stages.png").exists()


@pytest.mark.slow
def test_help_from_the_installed_command():
    """The console script of pyproject's [project.scripts], as a user types it."""
    r = subprocess.run([str(Path(sys.executable).with_name("escalation-sim")), "--help"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("usage: escalation-sim"), r.stderr


@pytest.mark.parametrize("args", [[], ["run"], ["ensemble"], ["demo"], ["scenarios"],
                                  ["scenarios", "validate"], ["scenarios", "show"],
                                  ["scenarios", "schema"], ["docs"]])
def test_help_everywhere(args, capsys):
    # in-process (one subprocess, above, is the entry point): argparse prints and exits 0; a
    # help text that fails to format raises here instead
    from escalation_sim.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([*args, "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(" ".join(["usage: escalation-sim", *args]))


def test_bad_runs_option_is_a_clear_error(capsys):
    from escalation_sim.cli import main

    assert main(["ensemble", "--runs", "0"]) == 2
    assert "--runs" in capsys.readouterr().err


@pytest.mark.slow
def test_run_and_ensemble_take_a_named_policy(tmp_path):
    r = cli("run", "--policy", "early_pillar2", "--json", "--out", str(tmp_path / "r"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["outcome"]["cost"] > 0
    events = (tmp_path / "r" / "events.csv").read_text()
    assert "takes effect" in events
    bad = cli("ensemble", "--policy", "early_pilar2", "--runs", "2", "--out", str(tmp_path / "e"))
    assert bad.returncode == 2 and "did you mean 'early_pillar2'" in bad.stderr


@pytest.mark.slow
def test_scenarios_list_show_and_schema(tmp_path):
    from escalation_sim.scenario import available

    listed = cli("scenarios", "list")
    assert listed.returncode == 0
    for name in available():
        assert name in listed.stdout
    shown = cli("scenarios", "show", "election_reformed", "--set", "run.months=115")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "extends: default <- election_distrusted <- election_reformed" in out
    assert "not a model of any real country" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line[:1].isalpha()}
    assert rows["institutions.electoral_body.integrity"][1:4] == ["0.85", "level",
                                                                  "election_reformed.toml"]
    assert rows["government.political_will"][3] == "election_distrusted.toml"
    assert rows["run.months"][1] == "115" and "--set" in rows["run.months"]
    assert rows["network.degree"][-2:] == ["default)", "assumption"]  # "(schema default)"
    doc = json.loads(cli("scenarios", "show", "state_perpetrator", "--json").stdout)
    assert doc["extends"] == ["default"] and "council_action" in doc["policies"]
    sponsor = {r["path"]: r for r in doc["parameters"]}["international.sponsors.patron.arms"]
    assert sponsor["value"] == 1.0 and sponsor["provenance"] == "R16 §30; value: scenario"
    dumped = cli("scenarios", "show", "resilient", "--toml")
    (tmp_path / "r.toml").write_text(dumped.stdout)
    assert cli("scenarios", "validate", str(tmp_path / "r.toml")).returncode == 0
    schema = cli("scenarios", "schema", "--out", str(tmp_path / "s.json"))
    assert schema.returncode == 0
    assert json.loads((tmp_path / "s.json").read_text())["title"] == "escalation-sim scenario"
    assert "extends" in json.loads(cli("scenarios", "schema").stdout)["properties"]
